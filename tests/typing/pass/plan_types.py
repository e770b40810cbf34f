from tta_dev_primitives import Plan, compile, node


async def parse(text: str) -> int:
    return int(text)


plan = compile(node(parse))
reveal_type(plan)  # N: Revealed type is "tta_dev_primitives.plan.Plan[str, int]"


async def main(flag: bool) -> None:
    result = await plan.run("42")
    reveal_type(result)  # N: Revealed type is "int"
    many = await plan.map(["1", "2"])
    reveal_type(many)  # N: Revealed type is "list[int]"
    each = await plan.map(["1", "x"], return_exceptions=True)
    reveal_type(each)  # N: Revealed type is "list[int | Exception]"
    decided = await plan.map(["1"], return_exceptions=flag)  # a bool known only at run time
    reveal_type(decided)  # N: Revealed type is "list[int | Exception]"


sync_result = plan.run_sync("7")
reveal_type(sync_result)  # N: Revealed type is "int"
typed: Plan[str, object] = plan
