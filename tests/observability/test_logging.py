"""Structured logs: quiet until configured, records carrying their fields and the run's
correlation, trace and session ids, JSON and key=value formats; and a log call never raises,
whatever its payload."""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tta_dev_primitives import RunContext, compile, get_logger, node
from tta_dev_primitives.observability import configure_logging, configure_tracing

pytestmark = pytest.mark.anyio
LOGGER = "tests.logging"


def logged(stream: io.StringIO) -> str:
    return stream.getvalue()


def test_logs_are_quiet_by_default(capfd: pytest.CaptureFixture[str]) -> None:
    logger = get_logger("tests.quiet")
    logger.info("Processing request", user_id=123, request_id="abc")
    logger.warning("even warnings stay quiet until logging is configured")
    assert capfd.readouterr().err == ""


async def test_records_carry_fields_and_correlation_and_trace_ids(log_stream: io.StringIO) -> None:
    tracing = configure_tracing("tests", exporter=InMemorySpanExporter(), set_global=False, install=False)
    logger = get_logger("tests.obs.app")

    def work(x: int) -> int:
        logger.info("Processing request", user_id=123, request_id="abc")
        return x

    assert tracing is not None
    await compile(node(work)).with_hooks(tracing).run(1, context=RunContext(correlation_id="corr-1", workflow_id="wf"))
    record = json.loads(log_stream.getvalue().splitlines()[-1])
    assert record["msg"] == "Processing request" and record["user_id"] == 123 and record["request_id"] == "abc"
    assert record["correlation_id"] == "corr-1" and record["workflow_id"] == "wf"
    assert len(record["trace_id"]) == 32 and len(record["span_id"]) == 16
    assert record["level"] == "info" and record["logger"] == "tests.obs.app"


def test_key_value_format_and_bound_fields() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", format="kv", stream=stream, logger="tests.kv")
    try:
        get_logger("tests.kv").bind(service="agent").warning("slow call", seconds=1.5, note="a b")
    finally:
        logging.getLogger("tests.kv").removeHandler(handler)
    line = stream.getvalue().strip()
    assert 'level=warning logger=tests.kv msg="slow call" service=agent seconds=1.5 note="a b"' in line


def test_a_cyclic_payload_is_logged_not_raised(lines: io.StringIO) -> None:
    cycle: dict[str, object] = {"name": "loop"}
    cycle["self"] = cycle
    items: list[object] = [1]
    items.append(items)
    get_logger(LOGGER).info("cyclic", payload=cycle, items=items)
    record = json.loads(logged(lines))
    assert record["payload"] == {"name": "loop", "self": "<cycle>"} and record["items"] == [1, "<cycle>"]


def test_a_very_deep_payload_is_cut_not_raised(lines: io.StringIO) -> None:
    deep: list[object] = []
    current = deep
    for _ in range(5_000):
        inner: list[object] = []
        current.append(inner)
        current = inner
    get_logger(LOGGER).info("deep", payload=deep)
    assert "<depth limit>" in logged(lines)


def test_objects_that_fail_to_render_are_placeholders(lines: io.StringIO) -> None:
    class Broken:
        __slots__ = ()

        def __str__(self) -> str:
            raise RuntimeError("no text")

        __repr__ = __str__

    get_logger(LOGGER).info("broken", thing=Broken())
    assert "<unloggable Broken>" in logged(lines)


@pytest.mark.anyio
async def test_a_runs_session_id_is_on_its_log_lines_and_a_callers_own_value_wins(lines: io.StringIO) -> None:
    from tta_dev_primitives import RunContext, compile, node

    def step(x: int) -> int:
        get_logger(LOGGER).info("in step")
        logging.getLogger(LOGGER).info("plain", extra={"workflow_id": "mine"})
        return x

    await compile(node(step)).run(1, context=RunContext(workflow_id="wf", session_id="chat-42"))
    first, second = (json.loads(line) for line in logged(lines).splitlines())
    assert (first["workflow_id"], first["session_id"]) == ("wf", "chat-42") and first["correlation_id"]
    assert (second["workflow_id"], second["session_id"]) == ("mine", "chat-42")
