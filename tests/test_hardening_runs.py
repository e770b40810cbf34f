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


# --- item 8: outputs are checked against their declared types (on in tests via the plugin) ---


# --- item 10: timeouts bound thread nodes (the thread is abandoned, not killed) ---
