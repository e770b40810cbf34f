from tta_dev_primitives import node


@node
def a(x: int) -> int:
    return x


@node
def b(x: int) -> str:
    return str(x)


@node
def c(x: str) -> str:
    return x


@node
def d(x: int) -> int:
    return x


# mypy points at the step that does not fit, even inside a long chain; pyright reports the
# chain's first line (see the README's typing notes).
chain = (  # PY
    a
    >> b
    >> c
    >> d  # E: Unsupported operand types for >> ("Node[int, str]" and "Node[int, int]")  [operator]
)
