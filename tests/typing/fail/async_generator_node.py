from collections.abc import AsyncIterator

from tta_dev_primitives import Node, node


async def words(text: str) -> AsyncIterator[str]:
    for word in text.split():
        yield word


@node
async def count(text: str) -> int:
    return len(text)


# An async generator is not a node (it returns many values): the checkers say so where it is used.
streamed: Node[str, str] = node(words)  # E: Incompatible types in assignment (expression has type "AsyncGeneratorFunctionsAreNotNodes", variable has type "Node[str, str]")  [assignment]
chained = count >> node(words)  # E: No overload variant of "__rshift__" of "Node" matches argument type "AsyncGeneratorFunctionsAreNotNodes"  [operator]
