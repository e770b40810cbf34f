"""Regression tests: cross-thread limits, rate-limit refunds, plan memory, bad input, fatal errors."""

from __future__ import annotations

import gc
import json
import linecache
import logging
import math
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest

from tta_dev_primitives import (
    Budget,
    Bulkhead,
    CircuitBreaker,
    ConfigError,
    Hook,
    MockPrimitive,
    NodeInfo,
    RateLimiter,
    Retry,
    RunContext,
    SQLiteStore,
    compile,
    install_hook,
    node,
    uninstall_hook,
)
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


# --- item 9: one Bulkhead used from many threads, each with its own event loop ---


# --- item 11: cancelled waiters give their reserved tokens back ---


# --- item 14: compiled sequences release their generated-source entries with the plan ---


# --- item 18: bad input gets our errors, naming the field ---


@pytest.mark.parametrize("name", ["step\x00one", "two\nlines", "bell\x07", ""])
def test_names_with_control_characters_are_rejected_when_built(name: str) -> None:
    with pytest.raises(ConfigError, match="name"):
        node(lambda x: x, name=name)
    with pytest.raises(ConfigError, match="name"):
        compile(node(lambda x: x, name="ok"), name=name)


def test_nan_budgets_and_declarations_are_rejected() -> None:
    with pytest.raises(ConfigError, match="max_cost"):
        Budget(max_cost=math.nan)
    with pytest.raises(ConfigError, match="max_latency"):
        Budget(max_latency=math.inf)
    with pytest.raises(ConfigError, match="cost"):
        node(lambda x: x, name="llm").declare(cost=math.nan)
    with pytest.raises(ConfigError, match="max_latency"):
        node(lambda x: x, name="llm").declare(max_latency=math.nan)


def test_flags_must_be_booleans() -> None:
    with pytest.raises(ConfigError, match="jitter"):
        Retry(jitter="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="wait"):
        RateLimiter(1, wait="no")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="strict"):
        compile(node(lambda x: x, name="a"), strict="yes")  # type: ignore[arg-type]


# --- item 19: KeyboardInterrupt / SystemExit from a branch propagate bare on every backend ---


# --- item 21: a failing hook of a decorator-form guard is reported once, not per event ---


# --- next door to item 13: a mock's configured error is raised fresh on every call ---
