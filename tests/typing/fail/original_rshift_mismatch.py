from tta_dev_primitives.core import WorkflowContext
from tta_dev_primitives.observability import InstrumentedPrimitive


class Parse(InstrumentedPrimitive[str, int]):
    async def _execute_impl(self, input_data: str, context: WorkflowContext) -> int:
        return len(input_data)


class Upper(InstrumentedPrimitive[str, str]):
    async def _execute_impl(self, input_data: str, context: WorkflowContext) -> str:
        return input_data.upper()


# The original's `>>` is checked like ours: an int does not go into a str step.
workflow = Parse() >> Upper()  # E: Unsupported operand types for >> ("Parse" and "Upper")  [operator]
