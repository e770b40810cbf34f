from tta_dev_primitives import Router, node


@node
async def as_text(prompt: str) -> str:
    return prompt


@node
async def as_number(prompt: str) -> int:
    return len(prompt)


# Routes must share one Node[In, Out]; mypy must not widen the outputs to `object`.
router = Router({"text": as_text, "number": as_number})  # E: Dict entry 0 has incompatible type "str": "Node[str, str]"; expected "str": "Exactly[str, object]"  [dict-item]  # E: Dict entry 1 has incompatible type "str": "Node[str, int]"; expected "str": "Exactly[str, object]"  [dict-item]
