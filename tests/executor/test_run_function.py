"""The run function a plan's `run(x)` calls, and the closures `with_hooks` copies share.

A plan's common run (no timeout, no deadline) is one generated coroutine around its root
sequence's steps; these tests pin that every run still gets its RunContext, restores the
caller's, checks its input, notes errors, and goes the full way when something needs it. With
hooks, copies made per request share the closures built for the same hooks, and each copy still
calls only its own hooks.
"""

from __future__ import annotations

import anyio
import pytest

from tta_dev_primitives import (
    Hook,
    InputTypeError,
    NodeInfo,
    RunContext,
    RunInfo,
    RunTimeoutError,
    compile,
    current_context,
    install_hook,
    node,
    parallel,
    uninstall_hook,
)
from tta_dev_primitives.errors import NoRunContextError

pytestmark = pytest.mark.anyio


async def inc(x: int) -> int:
    return x + 1


def double(x: int) -> int:
    return x * 2


def context_id(x: int) -> int:
    return id(current_context())


class Ends(Hook):
    def __init__(self) -> None:
        self.names: list[str] = []

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        self.names.append(node.name)


class Runs(Hook):
    def __init__(self) -> None:
        self.runs = 0

    def on_run_end(self, run: RunInfo, error: BaseException | None) -> None:
        self.runs += 1


async def test_a_run_has_one_context_for_all_its_steps_and_restores_none_after() -> None:
    seen: list[RunContext] = []

    def record(x: int) -> int:
        seen.append(current_context())
        return x

    async def record_async(x: int) -> int:
        seen.append(current_context())
        return x

    plan = compile(node(record) >> node(inc) >> node(record_async) >> parallel(node(record), node(record)), name="ctx")
    assert await plan.run(1) == (2, 2)
    assert len(seen) == 4 and all(ctx is seen[0] for ctx in seen)
    with pytest.raises(NoRunContextError):
        current_context()
    await plan.run(1)
    assert seen[4] is not seen[0]  # each run its own context


async def test_the_given_context_is_the_runs_and_the_enclosing_one_is_inherited() -> None:
    given = RunContext(workflow_id="w")
    plan = compile(node(inc) >> node(context_id))
    assert await plan.run(1, context=given) == id(given)

    inner = compile(node(context_id) >> node(double))

    async def nested(x: int) -> list[int]:
        return [id(current_context()), await inner.run(x)]

    outer_id, inner_id = await compile(node(nested)).run(1, context=given)
    assert outer_id == id(given) and inner_id == 2 * id(given)


async def test_a_one_node_sync_plan_runs_and_checks_its_input() -> None:
    plan = compile(node(double), name="doubler")
    assert await plan.run(4) == 8
    with pytest.raises(InputTypeError, match="doubler"):
        await plan.run("4")  # type: ignore[call-overload]


async def test_an_error_is_noted_with_its_step_and_the_caller_context_comes_back() -> None:
    def boom(x: int) -> int:
        raise ValueError("no")

    plan = compile(node(inc) >> node(boom, name="boom") >> node(double), name="p")
    outer = RunContext()
    inner = compile(node(inc))

    async def run_then_fail(x: int) -> int:
        before = current_context()
        await inner.run(x, context=RunContext())
        assert current_context() is before  # the inner run's context is reset
        with pytest.raises(ValueError) as caught:
            await plan.run(x, context=RunContext())
        assert current_context() is before
        assert any("step 1 'boom'" in text for text in caught.value.__notes__)
        return x

    assert await compile(node(run_then_fail)).run(1, context=outer) == 1


async def test_a_timeout_or_a_context_deadline_still_bounds_the_run() -> None:
    async def hang(x: int) -> int:
        await anyio.sleep(10)
        return x

    plan = compile(node(inc) >> node(hang))
    with pytest.raises(RunTimeoutError):
        await plan.run(1, timeout=0.01)
    with pytest.raises(RunTimeoutError):
        await plan.run(1, context=RunContext(deadline=anyio.current_time() + 0.01))


async def test_with_hooks_copies_share_closures_built_for_the_same_hooks() -> None:
    plan = compile(node(inc, name="a") >> node(inc, name="b"))
    hook, other = Ends(), Ends()
    first, second = plan.with_hooks(hook), plan.with_hooks(hook)
    assert await first.run(1) == 3 and await second.run(1) == 3
    assert first._exe is second._exe
    assert plan.with_hooks(other)._executable() is not first._exe
    await plan.run(1)
    await plan.with_hooks(other).run(1)
    assert hook.names.count("a") == 2 and other.names.count("a") == 1  # each copy calls its own hooks


async def test_shared_closures_are_rebuilt_when_the_installed_hooks_change() -> None:
    plan = compile(node(inc, name="a"))
    mine, installed = Ends(), Runs()
    before = plan.with_hooks(mine)._executable()
    install_hook(installed)
    try:
        assert await plan.with_hooks(mine).run(1) == 2
        assert plan.with_hooks(mine)._exe is not before
        assert installed.runs == 1 and mine.names == ["a"]
    finally:
        uninstall_hook(installed)


async def test_at_most_limit_hook_sets_are_kept() -> None:
    plan = compile(node(inc))
    for _ in range(40):
        await plan.with_hooks(Ends()).run(1)
    assert len(plan._built._executables) == plan._built.LIMIT


def test_a_copied_context_owns_its_ids_tags_and_start_time() -> None:
    """The rarely used fields live in one dict made on first use; a copy gets its own."""
    import copy

    original = RunContext(workflow_id="w", session_id="s", player_id="p", tags={"t": "1"}, start_time=100.0)
    clone = copy.copy(original)
    clone.session_id = clone.player_id = "other"
    clone.start_time = 1.0
    clone.tags = {"x": "y"}
    assert (original.session_id, original.player_id, original.start_time, original.tags) == ("s", "p", 100.0, {"t": "1"})
    fresh = RunContext(session_id="s")
    copy.copy(fresh).tags["a"] = "b"  # the copy's first read of its tags makes its own dict
    assert fresh.tags == {}
