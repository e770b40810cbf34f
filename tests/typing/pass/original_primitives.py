from typing import assert_type

from tta_dev_primitives.core import ConditionalPrimitive, ParallelPrimitive, SequentialPrimitive, WorkflowContext
from tta_dev_primitives.observability import InstrumentedPrimitive
from tta_dev_primitives.recovery import FallbackPrimitive, RetryPrimitive, TimeoutPrimitive


class Parse(InstrumentedPrimitive[str, int]):
    async def _execute_impl(self, input_data: str, context: WorkflowContext) -> int:
        return len(input_data)


class Double(InstrumentedPrimitive[int, int]):
    async def _execute_impl(self, input_data: int, context: WorkflowContext) -> int:
        return input_data * 2


class Show(InstrumentedPrimitive[int, str]):
    async def _execute_impl(self, input_data: int, context: WorkflowContext) -> str:
        return str(input_data)


# The original's composition keeps the types of both ends.
assert_type(Parse() >> Double() >> Show(), SequentialPrimitive[str, str])
assert_type(Double() | Show(), ParallelPrimitive[int, list[int | str]])
assert_type(RetryPrimitive(Parse()), RetryPrimitive[str, int])
assert_type(FallbackPrimitive(Parse(), Parse()), FallbackPrimitive[str, int])
assert_type(TimeoutPrimitive(Parse(), timeout_seconds=1.0), TimeoutPrimitive[str, int])
assert_type(ConditionalPrimitive(lambda n, c: n > 0, Double(), Double()), ConditionalPrimitive[int, int])
