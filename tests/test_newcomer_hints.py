"""Where newcomers fall: the errors and lints that say what to do instead, and plan.map's
per-item failures."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from tta_dev_primitives import ParallelError, RunSyncError, compile, node, parallel
from tta_dev_primitives.compiler.passes import LintError

pytestmark = pytest.mark.anyio


def double(x: int) -> int:
    return 2 * x


def fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three is refused")
    return x


def waits(x: int) -> int:
    time.sleep(0)  # a blocking call, as far as the lint can tell
    return x


def items(n: int) -> list[int]:
    return list(range(n))


def test_run_sync_inside_a_running_loop_says_to_await_plan_run(anyio_backend: str) -> None:
    plan = compile(node(double))

    async def in_a_notebook_cell() -> None:
        with pytest.raises(RunSyncError, match=r"inside a running (asyncio|trio) event loop .* use `result = await plan.run\(x\)`"):
            plan.run_sync(1)

    anyio.run(in_a_notebook_cell, backend=anyio_backend)
    assert plan.run_sync(2) == 4  # no loop running: fine
    assert issubclass(RunSyncError, RuntimeError)  # what asyncio.run() itself raises there


async def test_plan_map_names_the_failing_item() -> None:
    plan = compile(node(fails_on_three))
    with pytest.raises(ParallelError, match=r"1 of 6 items of plan 'fails_on_three'.map failed \(item 3\)") as info:
        await plan.map(range(6), concurrency=2)
    (error,) = info.value.exceptions
    assert isinstance(error, ValueError) and "in item 3 of plan 'fails_on_three'.map" in (error.__notes__ or [])
    assert info.value.node_name == "fails_on_three"


async def test_plan_map_with_return_exceptions_returns_every_item() -> None:
    plan = compile(node(fails_on_three))
    results = await plan.map(range(6), concurrency=2, return_exceptions=True)
    assert results[:3] == [0, 1, 2] and results[4:] == [4, 5]
    error = results[3]
    assert isinstance(error, ValueError) and "in item 3 of plan 'fails_on_three'.map" in (error.__notes__ or [])


async def test_plan_map_refuses_a_non_bool_return_exceptions() -> None:
    from tta_dev_primitives import ConfigError

    with pytest.raises(ConfigError, match="return_exceptions"):
        await compile(node(double)).map([1], return_exceptions="yes")  # type: ignore[call-overload]


def test_the_cli_exits_quietly_when_its_reader_goes_away(tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text(
        "from tta_dev_primitives import node\n\n"
        + "".join(f"def step{i}(x: int) -> int:\n    return x\n\n" for i in range(200))
        + "pipeline = " + " >> ".join(f"node(step{i})" for i in range(200)) + "\n"
    )
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written, as after `| head` exits
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tta_dev_primitives.cli", "explain", "flows:pipeline"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(tmp_path)},
            timeout=120,
        )
    finally:
        os.close(write)
    assert proc.returncode == 1
    assert proc.stderr == ""  # no traceback, no "Exception ignored" at exit


async def test_a_stray_cancellation_in_an_item_or_branch_is_reported_not_dropped(anyio_backend: str) -> None:
    import asyncio

    from tta_dev_primitives import StrayCancellationError

    if anyio_backend != "asyncio":
        pytest.skip("a CancelledError raised without a cancellation is an asyncio thing")

    async def fetch(x: int) -> int:
        if x == 2:  # awaits a future someone else gave up on
            future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            future.cancel()
            return await future
        return x * 10

    plan = compile(node(fetch))
    outcomes = await plan.map(range(5), concurrency=1, return_exceptions=True)
    assert outcomes[:2] == [0, 10] and outcomes[3:] == [30, 40]
    assert isinstance(outcomes[2], StrayCancellationError) and isinstance(outcomes[2].__cause__, asyncio.CancelledError)
    with pytest.raises(ParallelError, match=r"\(item 2\)"):
        await plan.map(range(5), concurrency=1)
    with pytest.raises(ParallelError) as info:
        await compile(node(items).map(node(fetch), concurrency=1)).run(5)
    assert isinstance(info.value.exceptions[0], StrayCancellationError)
    with pytest.raises(ParallelError) as branch:
        await compile(parallel(node(fetch), node(fetch))).run(2)
    assert all(isinstance(e, StrayCancellationError) for e in branch.value.exceptions)


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
