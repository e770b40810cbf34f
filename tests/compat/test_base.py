"""Seed-compatible base classes: WorkflowPrimitive, LambdaPrimitive, WorkflowContext; an
AttributeError raised inside a primitive's own property is never hidden."""

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


def test_an_attribute_error_inside_a_property_of_a_node_is_not_hidden() -> None:
    from tta_dev_primitives import WorkflowContext, WorkflowPrimitive

    class Loader(WorkflowPrimitive[int, int]):
        async def execute(self, input_data: int, context: WorkflowContext) -> int:
            return input_data

        @property
        def stream(self) -> int:  # type: ignore[override]
            return self.missing_setting  # type: ignore[attr-defined, no-any-return]

    with pytest.raises(AttributeError, match="missing_setting"):
        Loader().stream  # noqa: B018


def test_properties_of_a_node_reading_each_other_run_once_and_keep_their_own_errors() -> None:
    from tta_dev_primitives import WorkflowContext, WorkflowPrimitive

    runs = 0

    class Base(WorkflowPrimitive[int, int]):
        async def execute(self, input_data: int, context: WorkflowContext) -> int:
            return input_data

    def level(k: int) -> property:
        def get(self: Base) -> object:
            nonlocal runs
            if k == 0:
                runs += 1
                raise AttributeError("model is not configured: call .with_model()")
            hasattr(self, "probe_nothing")  # user code probing an attribute, caught
            return getattr(self, f"p{k - 1}")

        return property(get)

    Deep = type("Deep", (Base,), {f"p{k}": level(k) for k in range(16)})
    with pytest.raises(AttributeError, match=r"^model is not configured: call \.with_model\(\)$"):
        Deep().p15  # noqa: B018
    assert runs == 1  # before: 2**16 runs of the innermost property, then reruns of each level


def test_the_context_dumps_and_copies_as_the_originals_pydantic_model_did() -> None:
    from tta_dev_primitives.context import ORIGINAL_FIELDS
    from tta_dev_primitives.errors import ConfigError

    context = WorkflowContext(workflow_id="wf", state={"seen": [1]}, tags={"env": "dev"})
    context.checkpoint("loaded")
    dumped = context.model_dump()
    assert tuple(dumped) == ORIGINAL_FIELDS and dumped["workflow_id"] == "wf" and dumped["state"] == {"seen": [1]}
    assert [name for name, _ in dumped["checkpoints"]] == ["loaded"]  # type: ignore[union-attr]

    deep = context.model_copy(update={"workflow_id": "wf-2"}, deep=True)
    deep.state["seen"].append(2)  # type: ignore[attr-defined]
    assert (context.workflow_id, deep.workflow_id, deep.correlation_id) == ("wf", "wf-2", context.correlation_id)
    assert context.state == {"seen": [1]} and deep.state == {"seen": [1, 2]}
    shallow = context.model_copy()
    shallow.workflow_id = "other"
    assert context.workflow_id == "wf" and shallow.state is context.state  # pydantic's shallow copy shares, too
    with pytest.raises(ConfigError, match=r"model_copy: invalid update\['stat'\]"):
        context.model_copy(update={"stat": {}})
