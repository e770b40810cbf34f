"""Regression tests for runs: deadlines and metrics of nested runs, output checks, thread timeouts."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any, Literal, NewType, TypedDict, TypeVar

import anyio
import pytest
from prometheus_client import CollectorRegistry

from tta_dev_primitives import (
    ConfigError,
    NodeTimeoutError,
    OutputTypeError,
    RunContext,
    RunTimeoutError,
    check_outputs,
    compile,
    current_context,
    node,
)
from tta_dev_primitives.observability import configure_metrics

pytestmark = pytest.mark.anyio


async def test_run_metrics_of_an_outer_run_survive_a_nested_run() -> None:
    registry = CollectorRegistry()
    metrics = configure_metrics(registry, install=False)
    assert metrics is not None
    inner_plan = compile(node(lambda x: x, name="noop"), name="inner").with_hooks(metrics)

    @node
    async def outer(x: int) -> int:
        await anyio.sleep(0.2)
        await inner_plan.run(x)  # before the fix, this reset the outer run's start time
        return x

    plan = compile(outer, name="outer").with_hooks(metrics)
    started = time.perf_counter()
    await plan.run(1)
    elapsed = time.perf_counter() - started
    recorded = registry.get_sample_value("tta_run_duration_seconds_sum", {"workflow": "outer", "outcome": "ok"})
    assert recorded is not None and 0.2 <= recorded <= elapsed


# --- item 8: outputs are checked against their declared types (on in tests via the plugin) ---


# --- item 10: timeouts bound thread nodes (the thread is abandoned, not killed) ---
