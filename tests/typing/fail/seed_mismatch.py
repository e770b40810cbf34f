from tta_dev_primitives import WorkflowContext, WorkflowPrimitive


class Retrieve(WorkflowPrimitive[str, list[str]]):
    async def execute(self, input_data: str, context: WorkflowContext) -> list[str]:
        return [input_data]


class Score(WorkflowPrimitive[dict[str, str], float]):
    async def execute(self, input_data: dict[str, str], context: WorkflowContext) -> float:
        return 1.0


broken = Retrieve() >> Score()  # E: Unsupported operand types for >> ("Retrieve" and "Score")  [operator]
