from tta_dev_primitives import node


@node
async def answer(question: str) -> str:
    return question


@node
async def score(question: str) -> float:
    return 0.0


safe = answer.timeout(1.0, fallback=score)  # E: Argument "fallback" to "timeout" of "Node" has incompatible type "Node[str, float]"; expected "Node[str, str] | None"  [arg-type]
