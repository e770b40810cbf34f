from tta_dev_primitives import node, pipe


@node
def parse(text: str) -> int:
    return int(text)


@node
def shout(text: str) -> str:
    return text.upper()


# Each step must take the previous step's output: shout takes str, parse returns int.
broken = pipe(parse, shout)  # E: Cannot infer value of type parameter "B" of "pipe"  [misc]
