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
    is raised on every call; `call_count` and `calls` record what it received. As in the
    original, they are plain attributes: `calls` is one list, emptied in place by `reset()`, and
    a test may assign either (`mock.call_count = 0`); the assertion helpers read them.
    """

    def __init__(
        self,
        name: str,
        return_value: object = None,
        side_effect: object = None,
        raise_error: BaseException | type[BaseException] | None = None,
    ) -> None:
        super().__init__(name, return_value, side_effect, raise_error)
        self._calls: list[tuple[object, RunContext | None]] = []
        self._call_count = 0

    @property  # type: ignore[override]  # the original's pairs, not our stdlib double's inputs
    def calls(self) -> list[tuple[object, RunContext | None]]:
        """`(input, context)` of every call, in order (the original's record)."""
        return self._calls

    @calls.setter
    def calls(self, value: list[tuple[object, RunContext | None]]) -> None:
        self._calls = value

    @property
    def call_count(self) -> int:
        """How many times the mock was called (assignable, as the original's attribute)."""
        return self._call_count

    @call_count.setter
    def call_count(self, value: int) -> None:
        self._call_count = value

    async def execute(self, input_data: object, context: WorkflowContext | None = None) -> object:
        """Record the call, then return, raise or follow `side_effect` as configured."""
        self._call_count += 1
        self._calls.append((input_data, context))
        return await super().execute(input_data, context)

    def assert_called(self) -> None:
        """Fail unless the mock was called at least once."""
        if not self._call_count > 0:
            raise AssertionError(f"Mock {self.name} was not called")

    def assert_called_once(self) -> None:
        """Fail unless the mock was called exactly once."""
        if self._call_count != 1:
            raise AssertionError(f"Mock {self.name} called {self._call_count} times, expected 1")

    def assert_not_called(self) -> None:
        """Fail if the mock was called (ours; the original had no such helper)."""
        if self._call_count:
            raise AssertionError(f"Mock {self.name} called {self._call_count} times, expected 0")

    def assert_called_with(self, input_data: object, context: object = None) -> None:
        """Fail unless the last call received `input_data` (and a context equal to `context`,
        when given)."""
        self.assert_called()
        last_input, last_context = self._calls[-1]
        if last_input != input_data:
            raise AssertionError(f"Expected input {input_data}, got {last_input}")
        if context is not None and last_context is not context and last_context != context:
            raise AssertionError(f"Expected context {context}, got {last_context}")

    def reset(self) -> None:
        """Forget every call (`calls` is emptied in place, as in the original)."""
        self._call_count = 0
        self._calls.clear()
        super().reset()


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
