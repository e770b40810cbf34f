from tta_dev_primitives import Router, node


async def fast(prompt: dict[str, str]) -> str:
    return "fast"


async def quality(prompt: dict[str, str]) -> str:
    return "quality"


router = Router({"fast": node(fast), "quality": node(quality)})
reveal_type(router)  # N: Revealed type is "tta_dev_primitives.stdlib.flow._routing.RouterPrimitive[dict[str, str], str]"
