"""Fixtures of the observability tests: a tracing hook exporting to memory, and JSON log lines."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from tta_dev_primitives.observability import TracingHook


@pytest.fixture
def traced() -> tuple[TracingHook, InMemorySpanExporter]:
    """A tracing hook (not installed process-wide) exporting to memory: run a plan with
    `plan.with_hooks(hook)` and read the spans from the exporter."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from tta_dev_primitives.observability import configure_tracing

    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False)
    assert hook is not None
    return hook, exporter


@pytest.fixture
def traced_every_op() -> tuple[TracingHook, InMemorySpanExporter]:
    """`traced` with a span for every op (`detail="all"`): structure and guards too."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from tta_dev_primitives.observability import configure_tracing

    exporter = InMemorySpanExporter()
    hook = configure_tracing("tests", exporter=exporter, set_global=False, install=False, detail="all")
    assert hook is not None
    return hook, exporter


@pytest.fixture
def lines(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """JSON log lines of the test module's logger (its `LOGGER`), as our formatter prints them."""
    from tta_dev_primitives.observability import configure_logging

    name = request.module.LOGGER
    stream = io.StringIO()
    handler = configure_logging("DEBUG", format="json", stream=stream, logger=name)
    yield stream
    logging.getLogger(name).removeHandler(handler)


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """JSON log lines of the `tests.obs` logger and its children."""
    from tta_dev_primitives.observability import configure_logging

    stream = io.StringIO()
    handler = configure_logging("DEBUG", format="json", stream=stream, logger="tests.obs")
    yield stream
    logging.getLogger("tests.obs").removeHandler(handler)
