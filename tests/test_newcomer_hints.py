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
