"""Hooks: event order, state hand-back, isolation of failing hooks, and no calls without hooks."""

from __future__ import annotations

import logging

import pytest

from tta_dev_primitives import (
    BuildError,
    Hook,
    NodeInfo,
    Retry,
    RunContext,
    RunInfo,
    compile,
    install_hook,
    installed_hooks,
    node,
    parallel,
    uninstall_hook,
)
from tta_dev_primitives.executor import HookSet
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


def inc(x: int) -> int:
    return x + 1


async def fail(x: int) -> int:
    raise ValueError("nope")


class Recorder(Hook):
    def __init__(self) -> None:
        self.events: list[str] = []

    def on_run_start(self, run: RunInfo) -> None:
        self.events.append(f"run_start {run.plan_name}")

    def on_run_end(self, run: RunInfo, error: BaseException | None) -> None:
        self.events.append(f"run_end {type(error).__name__ if error else 'ok'}")

    def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
        self.events.append(f"start {node.name}")
        return f"state-{node.node_id}"

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        self.events.append(f"end {node.name} {state} -> {result}")

    def on_node_error(self, node: NodeInfo, ctx: RunContext, state: object, error: BaseException) -> None:
        self.events.append(f"error {node.name} {type(error).__name__}")


async def test_events_follow_the_plan_structure_and_hand_back_state() -> None:
    rec = Recorder()
    a, b = node(inc, name="a"), node(inc, name="b")
    plan = compile(a >> b, name="p").with_hooks(rec)
    assert await plan.run(1) == 3
    assert rec.events == [
        "run_start p",
        "start a >> b",
        "start a",
        "end a state-1 -> 2",
        "start b",
        "end b state-2 -> 3",
        "end a >> b state-0 -> 3",
        "run_end ok",
    ]


async def test_errors_reach_on_node_error_and_on_run_end() -> None:
    rec = Recorder()
    plan = compile(node(inc, name="a") >> node(fail, name="f")).with_hooks(rec)
    with pytest.raises(ValueError):
        await plan.run(1)
    assert rec.events[-3:] == ["error f ValueError", "error a >> f ValueError", "run_end ValueError"]


async def test_parallel_branches_each_get_events() -> None:
    rec = Recorder()
    plan = compile(parallel(node(inc, name="x"), node(inc, name="y"))).with_hooks(rec)
    await plan.run(1)
    assert {"start x", "start y", "end x state-1 -> 2", "end y state-2 -> 2"} <= set(rec.events)


async def test_installed_hooks_are_picked_up_and_removed_on_next_run() -> None:
    rec = Recorder()
    plan = compile(node(inc, name="a"))
    await plan.run(1)
    install_hook(rec)
    try:
        assert rec in installed_hooks()
        await plan.run(1)
        assert "start a" in rec.events
    finally:
        uninstall_hook(rec)
    count = len(rec.events)
    await plan.run(1)
    assert len(rec.events) == count
    assert rec not in installed_hooks()


async def test_plan_without_hooks_has_no_instrumentation() -> None:
    plan = compile(node(inc) >> node(inc))
    await plan.run(1)
    exe = plan._executable()
    assert exe.hooks is None
    assert exe.entry.__name__ == "run"  # the generated sequence itself, not an instrumented wrapper


class Broken(Hook):
    def on_node_start(self, node: NodeInfo, ctx: RunContext) -> object:
        raise RuntimeError("hook bug")

    def on_node_end(self, node: NodeInfo, ctx: RunContext, state: object, result: object) -> None:
        raise RuntimeError("hook bug at end")


async def test_a_raising_hook_never_breaks_the_run_and_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    plan = compile(node(inc) >> node(inc)).with_hooks(Broken())
    with caplog.at_level(logging.WARNING, logger="tta_dev_primitives.hooks"):
        for _ in range(3):
            assert await plan.run(1) == 3
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2  # one per failing event, not one per call
    assert any("Broken.on_node_start raised RuntimeError('hook bug')" in m for m in messages)
    assert any("Broken.on_node_end raised" in m for m in messages)


def test_install_hook_rejects_non_hooks() -> None:
    with pytest.raises(BuildError, match="expected a Hook subclass instance, got object"):
        install_hook(object())  # type: ignore[arg-type]


def test_emit_routes_resilience_events_and_isolates_failures(caplog: pytest.LogCaptureFixture) -> None:
    got: list[tuple[str, int, float]] = []

    class RetryWatcher(Hook):
        def on_retry(self, node: NodeInfo, ctx: RunContext, attempt: int, delay: float, error: BaseException) -> None:
            got.append((node.name, attempt, delay))

    class BadWatcher(Hook):
        def on_retry(self, node: NodeInfo, ctx: RunContext, attempt: int, delay: float, error: BaseException) -> None:
            raise KeyError("bad")

    hooks = HookSet([BadWatcher(), RetryWatcher(), Recorder()])
    info = NodeInfo(node_id=1, name="call", primitive_type="retry", kind="call", location=node(inc).location)
    with caplog.at_level(logging.WARNING, logger="tta_dev_primitives.hooks"):
        hooks.emit("on_retry", info, RunContext(), 2, 0.5, ValueError())
    assert got == [("call", 2, 0.5)]
    assert len(caplog.records) == 1


async def test_a_failing_hook_on_a_decorator_guard_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Hook):
        def on_retry(self, node: NodeInfo, ctx: RunContext, attempt: int, error: BaseException, delay: float) -> None:
            raise RuntimeError("hook bug")

    calls = 0

    @Retry(max_attempts=3, clock=FakeClock())
    async def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls % 3:
            raise ConnectionError("reset")
        return calls

    hook = Broken()
    install_hook(hook)
    try:
        with caplog.at_level(logging.WARNING, logger="tta_dev_primitives"):
            for _ in range(5):
                await flaky()
    finally:
        uninstall_hook(hook)
    warnings = [r for r in caplog.records if "hook bug" in r.getMessage() or "Broken" in r.getMessage()]
    assert calls == 15 and len(warnings) == 1


async def test_inputs_go_only_to_hooks_that_want_them_for_that_node() -> None:
    """`wants_input` is asked once per node when the plan's closures are built; the nodes no
    hook wants are not reported, and a hook with a false `wants_inputs` gets none."""

    class Inputs(Hook):
        def __init__(self, wanted: str | None) -> None:
            self.wanted = wanted
            self.asked: list[str] = []
            self.seen: list[tuple[str, object]] = []

        def wants_input(self, node: NodeInfo) -> bool:
            self.asked.append(node.name)
            return node.name == self.wanted

        def on_node_input(self, node: NodeInfo, ctx: RunContext, state: object, value: object) -> None:
            self.seen.append((node.name, value))

    class Refusing(Hook):
        wants_inputs = False

        def on_node_input(self, node: NodeInfo, ctx: RunContext, state: object, value: object) -> None:
            raise AssertionError("handed an input it did not want")

    hook = Inputs("double")
    plan = compile(node(inc, name="inc") >> node(lambda x: x * 2, name="double"), disable="flatten").with_hooks(hook, Refusing())
    assert await plan.run(1) == 4 and await plan.run(2) == 6
    assert hook.seen == [("double", 2), ("double", 3)]
    assert {"inc", "double"} <= set(hook.asked) and len(hook.asked) == len(set(hook.asked))  # once per node, not per run
