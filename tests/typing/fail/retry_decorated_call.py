from tta_dev_primitives import Retry


@Retry(max_attempts=3)
async def lookup(user_id: int) -> str:
    return str(user_id)


async def main() -> None:
    await lookup("42")  # E: Argument 1 to "lookup" has incompatible type "str"; expected "int"  [arg-type]
