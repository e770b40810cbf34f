"""Code written for the original package runs unchanged: chains built with `>>` and `|` are
executable with `execute(input_data, context)`, the original module paths import, and the
original constructor keywords and method names are accepted or refused with the new spelling."""

from __future__ import annotations

import pytest

from tta_dev_primitives import LambdaPrimitive, WorkflowContext, WorkflowPrimitive, compile, node

pytestmark = pytest.mark.anyio


class AddOne(WorkflowPrimitive[int, int]):
    async def execute(self, input_data: int, context: WorkflowContext) -> int:
        return input_data + 1


class Double(WorkflowPrimitive[int, int]):
    async def execute(self, input_data: int, context: WorkflowContext) -> int:
        return input_data * 2


async def test_a_chain_of_seed_primitives_is_executable() -> None:
    workflow = AddOne() >> Double() >> AddOne()
    assert await workflow.execute(1, WorkflowContext(workflow_id="wf")) == 5
    assert await workflow.execute(2, WorkflowContext()) == 7  # compiled once, run again


async def test_a_parallel_of_seed_primitives_is_executable() -> None:
    workflow = AddOne() | Double() | AddOne()
    assert await workflow.execute(3, WorkflowContext()) == [4, 6, 4]


async def test_any_node_is_executable_and_composition_errors_surface_at_execute() -> None:
    @node
    def shout(text: str) -> str:
        return text.upper()

    assert await (shout >> shout).execute("hi", WorkflowContext()) == "HI"
    broken = AddOne() >> LambdaPrimitive(lambda text: text.upper()).cast(str)  # an unchecked edge is fine
    with pytest.raises(AttributeError):
        await broken.execute(1, WorkflowContext())


async def test_a_renamed_copy_runs_its_own_plan() -> None:
    chain = AddOne() >> Double()
    assert await chain.execute(1, WorkflowContext()) == 4
    renamed = chain.named("renamed")
    await renamed.execute(1, WorkflowContext())
    assert renamed.__dict__["_tta_plan"].name == "renamed"
    assert chain.__dict__["_tta_plan"].name != "renamed"
    assert compile(renamed).name == "renamed"
