"""Test doubles: MockPrimitive (the original package's API) and the typed mock_node(In, Out, ...)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from ...context import RunContext, WorkflowContext
from ...dsl._function import FunctionNode
from ...dsl._introspect import passes_context
from ...executor._reraise import fresh_copy
from .._base import WorkflowPrimitive

__all__ = ["MockNode", "MockPrimitive", "mock_node"]

A = TypeVar("A")
B = TypeVar("B")
In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)

_UNSET = object()


def _fresh(error: BaseException | type[BaseException]) -> BaseException:
    """A configured error instance is raised as a fresh copy on every call, so its traceback does
    not grow with each raise and concurrent calls do not share one exception object."""
    return fresh_copy(error) if isinstance(error, BaseException) else error()


class _Recorder:
    """Shared behaviour of the mocks: record calls, then return, raise or follow side_effect."""

    def __init__(self, name: str, return_value: object, side_effect: object, raise_error: BaseException | type[BaseException] | None) -> None:
        self.name = name
        self.return_value = return_value
        self.side_effect = side_effect
        self.raise_error = raise_error
        self.calls: list[object] = []
        self.contexts: list[RunContext | None] = []
        self.set_side_effect(side_effect)

    def set_side_effect(self, side_effect: object) -> None:
        self.side_effect = side_effect
        self._effects: Iterator[object] | None = (
            iter(side_effect) if isinstance(side_effect, Iterable) and not isinstance(side_effect, (str, bytes)) else None
        )
        # the original called side effects with (input, context): so do we, when they take two
        self._effect_takes_context = callable(side_effect) and passes_context(side_effect)

    async def __call__(self, value: object, context: RunContext | None) -> object:
        self.calls.append(value)
        self.contexts.append(context)
        if self.raise_error is not None:
            raise _fresh(self.raise_error)
        effect = self.side_effect
        if self._effects is not None:
            try:
                effect = next(self._effects)
            except StopIteration:
                raise AssertionError(f"mock {self.name!r}: side_effect exhausted after {len(self.calls) - 1} calls") from None
            if _is_exception(effect):
                raise _fresh(effect)  # type: ignore[arg-type]
            return effect
        if _is_exception(effect):
            raise _fresh(effect)  # type: ignore[arg-type]
        if callable(effect):
            result = effect(value, context) if self._effect_takes_context else effect(value)
            return await result if inspect.isawaitable(result) else result
        return self.return_value

    def assert_called_with(self, value: object) -> None:
        if not self.calls:
            raise AssertionError(f"mock {self.name!r} was never called (expected a call with {value!r})")
        if self.calls[-1] != value:
            raise AssertionError(f"mock {self.name!r}: last call was with {self.calls[-1]!r}, expected {value!r}")


def _is_exception(value: object) -> bool:
    return isinstance(value, BaseException) or (isinstance(value, type) and issubclass(value, BaseException))


class _MockApi:
    _recorder: _Recorder

    @property
    def call_count(self) -> int:
        """How many times the mock was called."""
        return len(self._recorder.calls)

    @property
    def calls(self) -> list[object]:
        """The inputs of every call, in order."""
        return self._recorder.calls

    @property
    def called(self) -> bool:
        return bool(self._recorder.calls)

    @property
    def call_args_list(self) -> list[tuple[object, RunContext | None]]:
        """`(input, context)` of every call, in order (the original package's `calls`)."""
        return list(zip(self._recorder.calls, self._recorder.contexts))

    def assert_called(self) -> None:
        """Fail unless the mock was called at least once."""
        if not self._recorder.calls:
            raise AssertionError(f"mock {self._recorder.name!r} was never called")

    def assert_called_once(self) -> None:
        """Fail unless the mock was called exactly once."""
        if len(self._recorder.calls) != 1:
            raise AssertionError(f"mock {self._recorder.name!r} was called {len(self._recorder.calls)} times, expected once")

    def assert_not_called(self) -> None:
        """Fail if the mock was called."""
        if self._recorder.calls:
            raise AssertionError(f"mock {self._recorder.name!r} was called {len(self._recorder.calls)} times, expected never")

    def assert_called_with(self, value: object, context: object = _UNSET) -> None:
        """Fail unless the last call received `value` (and `context`, when given)."""
        self._recorder.assert_called_with(value)
        if context is not _UNSET and self._recorder.contexts[-1] is not context:
            raise AssertionError(f"mock {self._recorder.name!r}: last call had another context than {context!r}")

    def assert_called_once_with(self, value: object) -> None:
        if len(self._recorder.calls) != 1:
            raise AssertionError(f"mock {self._recorder.name!r} was called {len(self._recorder.calls)} times, expected once")
        self._recorder.assert_called_with(value)

    def reset(self) -> None:
        self._recorder.calls.clear()
        self._recorder.contexts.clear()

    @property
    def return_value(self) -> object:
        """What a call returns (when no side_effect decides); assignable, as in the original."""
        return self._recorder.return_value

    @return_value.setter
    def return_value(self, value: object) -> None:
        self._recorder.return_value = value

    @property
    def side_effect(self) -> object:
        """A function of the input (and context), an exception, or values one per call; assignable."""
        return self._recorder.side_effect

    @side_effect.setter
    def side_effect(self, value: object) -> None:
        self._recorder.set_side_effect(value)

    @property
    def raise_error(self) -> BaseException | type[BaseException] | None:
        """An error every call raises; assignable."""
        return self._recorder.raise_error

    @raise_error.setter
    def raise_error(self, value: BaseException | type[BaseException] | None) -> None:
        self._recorder.raise_error = value


class MockPrimitive(_MockApi, WorkflowPrimitive[Any, Any]):  # a double stands for any type (typed: mock_node)
    """A test double in the original package's style: `MockPrimitive("llm", return_value="hi")`.

    `side_effect` may be a function of the input, or of the input and the context as in the
    original package (sync or async), an exception (class or instance) to raise, or an
    iterable of values/exceptions used one per call. `raise_error` always raises. `calls` holds
    the inputs; `call_args_list` the `(input, context)` pairs the original's `calls` held.
    """

    primitive_type = "mock"
    _tta_untyped = True  # returns whatever it is told to: the edges around it go unchecked

    def __init__(
        self,
        name: str = "mock",
        return_value: object = None,
        side_effect: object = None,
        raise_error: BaseException | type[BaseException] | None = None,
    ) -> None:
        self._recorder = _Recorder(name, return_value, side_effect, raise_error)
        self._set_name(name)

    async def execute(self, input_data: object, context: WorkflowContext | None = None) -> object:
        return await self._recorder(input_data, context)


class MockNode(_MockApi, FunctionNode[In, Out], Generic[In, Out]):
    """A typed test double made by `mock_node`; a real FunctionNode, so plans type-check it."""


def mock_node(
    in_type: type[A],
    out_type: type[B],
    *,
    return_value: B | None = None,
    side_effect: Callable[[A], B] | BaseException | type[BaseException] | Iterable[B | BaseException] | None = None,
    raise_error: BaseException | type[BaseException] | None = None,
    name: str = "mock",
) -> MockNode[A, B]:
    """A `Node[A, B]` test double that records its calls (see MockPrimitive for `side_effect`)."""
    recorder = _Recorder(name, return_value, side_effect, raise_error)

    async def mock(value: object, ctx: RunContext) -> object:
        return await recorder(value, ctx)

    mock.__annotations__ = {"value": in_type, "ctx": RunContext, "return": out_type}
    mock.__name__ = mock.__qualname__ = name
    result: MockNode[A, B] = MockNode(mock, name=name)
    result._recorder = recorder
    return result
