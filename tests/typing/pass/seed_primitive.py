from tta_dev_primitives import WorkflowContext, WorkflowPrimitive, compile, node


class Retrieve(WorkflowPrimitive[str, list[str]]):
    async def execute(self, input_data: str, context: WorkflowContext) -> list[str]:
        return [input_data]


def count(docs: list[str]) -> int:
    return len(docs)


workflow = Retrieve() >> node(count)
reveal_type(workflow)  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[str, int]"
plan = compile(workflow)
