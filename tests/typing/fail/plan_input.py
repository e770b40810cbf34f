from tta_dev_primitives import compile, node


async def parse(text: str) -> int:
    return int(text)


plan = compile(node(parse))
plan.run_sync(42)  # E: Argument 1 to "run_sync" of "Plan" has incompatible type "int"; expected "str"  [arg-type]
