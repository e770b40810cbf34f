from tta_dev_primitives import loop, node


async def revise(text: str) -> str:
    return text + "!"


def good_enough(text: str) -> bool:
    return text.endswith("!!!")


polished = loop(node(revise), until=good_enough, max_iterations=5)
reveal_type(polished)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.str]"
fluent = node(revise).loop(until=lambda text: len(text) > 3, max_iterations=3, on_limit="return")
reveal_type(fluent)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.str]"
