"""The original `testing.mocks`: MockPrimitive and WorkflowTestCase.

MockPrimitive is our stdlib test double with the original's surface: `name` first, `calls` a
list of `(input, context)` pairs, `assert_called_with(input, context=None)` comparing the
context by equality, and `>>` / `|` building the original's Sequential and Parallel primitives.
It also takes what the original could not: an exception or a list of values as `side_effect`.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from ..context import RunContext
from ..core.base import WorkflowContext, WorkflowPrimitive
from ..dsl._core import Node
from ..stdlib.testing._mocks import MockPrimitive as _StdlibMock

__all__ = ["MockPrimitive", "WorkflowTestCase"]

In = TypeVar("In")
Out = TypeVar("Out")



class MockPrimitive(_StdlibMock, WorkflowPrimitive[Any, Any]):  # a double stands for any type
    """A test double: `MockPrimitive("llm", return_value={"text": "hi"})`.

    `side_effect(input, context)` (sync or async) decides the result when given, `raise_error`
    is raised on every call; `call_count` and `calls` record what it received.
    """

    def __init__(
        self,
        name: str,
        return_value: object = None,
        side_effect: object = None,
        raise_error: BaseException | type[BaseException] | None = None,
    ) -> None:
        super().__init__(name, return_value, side_effect, raise_error)

    @property
    def calls(self) -> list[tuple[object, RunContext | None]]:  # type: ignore[override]
        """`(input, context)` of every call, in order (the original's record)."""
        return self.call_args_list

    def assert_called_with(self, input_data: object, context: object = None) -> None:
        """Fail unless the last call received `input_data` (and a context equal to `context`,
        when given)."""
        self.assert_called()
        last_input, last_context = self.call_args_list[-1]
        if last_input != input_data:
            raise AssertionError(f"Expected input {input_data}, got {last_input}")
        if context is not None and last_context is not context and last_context != context:
            raise AssertionError(f"Expected context {context}, got {last_context}")


class WorkflowTestCase(Generic[In, Out]):
    """Runs a workflow in a test and checks its mocks: `await case.execute(x)` then
    `case.assert_primitive_called(mock, times=1)`."""

    def __init__(self, workflow: Node[In, Out]) -> None:
        self.workflow = workflow
        self.mocks: list[MockPrimitive] = []

    async def execute(self, input_data: In, context: WorkflowContext | None = None) -> Out:
        """The workflow's result on `input_data` (with a fresh context unless given one)."""
        return await self.workflow.execute(input_data, context if context is not None else WorkflowContext())

    def assert_primitive_called(self, mock: MockPrimitive, times: int | None = None) -> None:
        """Fail unless `mock` was called (exactly `times` times, when given)."""
        if times is not None and mock.call_count != times:
            raise AssertionError(f"Expected {times} calls to {mock.name}, got {mock.call_count}")
        if times is None and mock.call_count == 0:
            raise AssertionError(f"Expected {mock.name} to be called")

    def reset_mocks(self) -> None:
        """Reset the mocks registered in `self.mocks`."""
        for mock in self.mocks:
            mock.reset()
