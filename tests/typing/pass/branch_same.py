from tta_dev_primitives import branch, node


def short(text: str) -> str:
    return text


def summarize(text: str) -> str:
    return text[:10]


chosen = branch(lambda text: len(text) < 10, node(short), node(summarize))
reveal_type(chosen)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, str]"


def is_long(text: str) -> bool:
    return len(text) > 100


with_node_predicate = branch(node(is_long), node(summarize), node(short))
reveal_type(with_node_predicate)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, str]"
