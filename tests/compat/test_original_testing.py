"""The original package's `testing` module: MockPrimitive with the original's surface (name
first, `calls` as `(input, context)` pairs, side effects of `(input, context)`) composing into
the original's Sequential/Parallel primitives, and WorkflowTestCase."""

from __future__ import annotations

import pytest

from tta_dev_primitives import compile, node
from tta_dev_primitives.core.base import WorkflowContext
from tta_dev_primitives.core.parallel import ParallelPrimitive
from tta_dev_primitives.core.sequential import SequentialPrimitive
from tta_dev_primitives.stdlib.testing import MockPrimitive as OurMock
from tta_dev_primitives.testing import MockPrimitive, WorkflowTestCase

pytestmark = pytest.mark.anyio


async def test_mock_records_input_and_context_pairs() -> None:
    mock = MockPrimitive("llm", return_value={"text": "hi"})
    first, second = WorkflowContext(), WorkflowContext()
    assert await mock.execute("a", first) == {"text": "hi"}
    assert await mock.execute("b", second) == {"text": "hi"}
    assert mock.call_count == 2 and mock.calls == [("a", first), ("b", second)]
    assert mock.calls[0][0] == "a" and mock.name == "llm"
    mock.assert_called()
    mock.assert_called_with("b")
    mock.assert_called_with("b", second)
    with pytest.raises(AssertionError, match="Expected input a, got b"):
        mock.assert_called_with("a")
    with pytest.raises(AssertionError, match="Expected context"):
        mock.assert_called_with("b", first)
    with pytest.raises(AssertionError):
        mock.assert_called_once()
    mock.reset()
    assert mock.call_count == 0 and mock.calls == []
    with pytest.raises(AssertionError):
        mock.assert_called()


async def test_mock_side_effects_get_input_and_context_and_errors_are_raised() -> None:
    async def answer(data: str, ctx: WorkflowContext) -> str:
        return f"{data}:{ctx.workflow_id}"

    assert await MockPrimitive("m", side_effect=answer).execute("q", WorkflowContext(workflow_id="wf")) == "q:wf"
    assert await MockPrimitive("m", side_effect=lambda data, ctx: data * 2).execute(2, WorkflowContext()) == 4
    failing = MockPrimitive("m", return_value=1, raise_error=RuntimeError("down"))
    with pytest.raises(RuntimeError, match="down"):
        await failing.execute(None, WorkflowContext())
    assert failing.call_count == 1
    with pytest.raises(TypeError):
        MockPrimitive()  # type: ignore[call-arg]  # the original's name is required


async def test_mocks_compose_into_the_originals_sequential_and_parallel() -> None:
    step1, step2 = MockPrimitive("step1", "one"), MockPrimitive("step2", side_effect=lambda data, ctx: f"{data}+two")
    workflow = step1 >> step2
    assert isinstance(workflow, SequentialPrimitive) and isinstance(step1 | step2, ParallelPrimitive)
    context = WorkflowContext()
    assert await workflow.execute("in", context) == "one+two"
    assert step2.calls == [("one", context)]
    assert await compile(step1 >> node(lambda text: text.upper())).run("x") == "ONE"
    assert isinstance(step1, OurMock)  # our stdlib double underneath


async def test_workflow_test_case_runs_and_checks_mocks() -> None:
    mock1 = MockPrimitive("step1", return_value={"data": "processed"})
    mock2 = MockPrimitive("step2", return_value={"data": "final"})
    case = WorkflowTestCase(mock1 >> mock2)
    case.mocks.extend([mock1, mock2])
    assert await case.execute({"input": "test"}) == {"data": "final"}
    case.assert_primitive_called(mock1, times=1)
    case.assert_primitive_called(mock2)
    with pytest.raises(AssertionError, match="Expected 2 calls to step1, got 1"):
        case.assert_primitive_called(mock1, times=2)
    context = WorkflowContext(workflow_id="given")
    await case.execute({}, context)
    assert mock1.calls[-1][1] is context
    case.reset_mocks()
    assert mock1.call_count == mock2.call_count == 0
    with pytest.raises(AssertionError, match="Expected step2 to be called"):
        case.assert_primitive_called(mock2)


async def test_mock_assertion_messages_and_attributes_are_the_originals() -> None:
    mock = MockPrimitive("m", return_value=1)
    with pytest.raises(AssertionError, match="^Mock m was not called$"):
        mock.assert_called()
    with pytest.raises(AssertionError, match="^Mock m called 0 times, expected 1$"):
        mock.assert_called_once()
    context = WorkflowContext()
    await mock.execute("a", context)
    await mock.execute("b", context)
    with pytest.raises(AssertionError, match="^Mock m called 2 times, expected 1$"):
        mock.assert_called_once()
    kept = mock.calls  # one list, emptied in place by reset() as in the original
    mock.reset()
    assert kept == [] and kept is mock.calls and mock.call_count == 0
    await mock.execute("c", context)
    assert kept == [("c", context)]
    mock.call_count = 0  # plain attributes in the original: tests assign them
    mock.calls = []
    with pytest.raises(AssertionError, match="was not called"):
        mock.assert_called()
    await compile(node(lambda x: x) >> mock).run("d")  # calls through a plan are recorded too
    assert mock.call_count == 1 and mock.calls[0][0] == "d"
    mock.assert_called_once()
