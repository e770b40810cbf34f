"""Seed-compatible base classes: WorkflowPrimitive, LambdaPrimitive, WorkflowContext."""

from __future__ import annotations

from typing import Any

import pytest

from tta_dev_primitives import (
    LambdaPrimitive,
    RunContext,
    TypeMismatchError,
    WorkflowContext,
    WorkflowPrimitive,
    compile,
    node,
)

pytestmark = pytest.mark.anyio


class LoadData(WorkflowPrimitive[dict[str, Any], list[str]]):
    """A primitive in the seed's style: execute(input_data, context)."""

    def __init__(self) -> None:  # deliberately does not call super().__init__()
        self.calls: list[WorkflowContext] = []

    async def execute(self, input_data: dict[str, Any], context: WorkflowContext) -> list[str]:
        self.calls.append(context)
        return [str(v) for v in input_data.values()]


class CountItems(WorkflowPrimitive[list[str], int]):
    async def execute(self, input_data: list[str], context: WorkflowContext) -> int:
        return len(input_data)


class Untyped(WorkflowPrimitive[str, int]):
    async def execute(self, input_data, context):  # type: ignore[no-untyped-def]
        return len(input_data)


def test_workflow_context_is_the_run_context() -> None:
    assert WorkflowContext is RunContext
    ctx = WorkflowContext(workflow_id="wf", session_id="s", player_id="p", metadata={"a": 1}, state={"b": 2})
    assert (ctx.workflow_id, ctx.session_id, ctx.player_id, ctx.metadata, ctx.state) == ("wf", "s", "p", {"a": 1}, {"b": 2})


async def test_primitives_compose_with_nodes_and_receive_the_context() -> None:
    load = LoadData()
    workflow = load >> CountItems() >> node(lambda n: n * 10)
    ctx = WorkflowContext(workflow_id="wf-7")
    assert await compile(workflow).run({"a": 1, "b": 2}, context=ctx) == 20
    assert load.calls == [ctx]
    assert load.name == "LoadData" and load.location.file == __file__


async def test_direct_execute_still_works() -> None:
    assert await CountItems().execute(["a"], WorkflowContext()) == 1


def test_types_come_from_execute_or_the_generic_base() -> None:
    plan = compile(LoadData() >> CountItems())
    assert plan.input_type == dict[str, Any] and plan.output_type is int
    untyped = compile(Untyped())
    assert untyped.input_type is str and untyped.output_type is int


def test_mismatched_primitives_fail_to_compile() -> None:
    with pytest.raises(TypeMismatchError, match="list\\[str\\] is not assignable to str"):
        compile(LoadData() >> Untyped())  # type: ignore[operator]


def test_abstract_primitive_cannot_be_instantiated() -> None:
    class Incomplete(WorkflowPrimitive[int, int]):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()  # type: ignore[abstract]


async def test_lambda_primitive_wraps_one_and_two_argument_functions() -> None:
    async def upper(text: str) -> str:
        return text.upper()

    def tag(text: str, context: WorkflowContext) -> str:
        return f"{context.workflow_id}:{text}"

    up, tagged = LambdaPrimitive(upper), LambdaPrimitive(tag)
    assert up.name == "upper"
    plan = compile(up >> tagged)
    assert await plan.run("hi", context=WorkflowContext(workflow_id="w")) == "w:HI"
    assert await up.execute("x") == "X"
    assert await tagged.execute("x", WorkflowContext(workflow_id="direct")) == "direct:x"
    assert plan.input_type is str and plan.output_type is str
