from tta_dev_primitives import cached


@cached(ttl=60)
async def lookup(user_id: int) -> str:
    return str(user_id)


async def main() -> None:
    await lookup("7")  # E: Argument 1 to "__call__" of "CachedFunction" has incompatible type "str"; expected "int"  [arg-type]
