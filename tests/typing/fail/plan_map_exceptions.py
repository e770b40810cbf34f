from tta_dev_primitives import compile, node


async def parse(text: str) -> int:
    return int(text)


plan = compile(node(parse))


async def main() -> None:
    results: list[int] = await plan.map(["1", "x"], return_exceptions=True)  # E: Incompatible types in assignment (expression has type "list[int | Exception]", variable has type "list[int]")  [assignment]
    node(parse).run("1")  # E: "Node[str, int]" has no attribute "run"  [attr-defined]
