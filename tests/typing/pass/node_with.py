import functools

from tta_dev_primitives import node, node_with


def translate(text: str, lang: str, *, formal: bool = False) -> str:
    return f"{lang}:{text}"


async def fetch(url: str, timeout: float) -> bytes:
    return url.encode()


# node_with binds every parameter but the first: the input type stays known.
french = node_with(translate, "fr", formal=True)
reveal_type(french)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.str]"
reveal_type(node_with(fetch, timeout=2.0))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, builtins.bytes]"
# functools.partial loses the input type under mypy (Node[Any, str]): prefer node_with.
partial_node = node(functools.partial(translate, lang="fr"))
