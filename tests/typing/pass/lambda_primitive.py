from tta_dev_primitives import LambdaPrimitive, WorkflowContext


async def shout(text: str) -> str:
    return text.upper()


def with_context(text: str, context: WorkflowContext) -> int:
    return len(text)


reveal_type(LambdaPrimitive(shout))  # N: Revealed type is "tta_dev_primitives.stdlib._base.LambdaPrimitive[str, str]"
reveal_type(LambdaPrimitive(with_context))  # N: Revealed type is "tta_dev_primitives.stdlib._base.LambdaPrimitive[str, int]"
both = LambdaPrimitive(shout) >> LambdaPrimitive(with_context)
reveal_type(both)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, int]"
