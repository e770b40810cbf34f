from tta_dev_primitives import node, pipe


@node
def parse(text: str) -> int:
    return int(text)


@node
def inc(number: int) -> int:
    return number + 1


@node
def show(number: int) -> str:
    return str(number)


# pipe() is `>>` as one flat call: typed for 2 to 10 steps, and it nests, so a type checker
# reads a 400-step pipeline (pyright gives up on about 300 chained `>>`).
hundred = pipe(
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
    pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc),
)
reveal_type(hundred)  # N: Revealed type is "tta_dev_primitives.stdlib.flow._sequential.SequentialPrimitive[builtins.int, builtins.int]"
pipeline = pipe(parse, hundred, hundred, hundred, hundred, show)
reveal_type(pipeline)  # N: Revealed type is "tta_dev_primitives.stdlib.flow._sequential.SequentialPrimitive[builtins.str, builtins.str]"
