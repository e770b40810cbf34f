"""Telemetry problems speak up: a missing extra and a collector that refuses exports each give one
TelemetryWarning (besides the log line), since the library's logger has only a NullHandler until
the application configures logging."""

from __future__ import annotations

import logging
import socket
import sys
import warnings
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from tta_dev_primitives import compile, node
from tta_dev_primitives.errors import TelemetryWarning
from tta_dev_primitives.observability import _support, configure_tracing
from tta_dev_primitives.observability._export import guarded_batch_processor


@pytest.fixture(autouse=True)
def _fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """What was told already is process-wide: each test starts from a process that told nothing."""
    monkeypatch.setattr(_support, "_told", set())
    monkeypatch.setattr(_support, "_warned", set())


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def caught() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always")
        yield found


def _telemetry(found: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in found if issubclass(w.category, TelemetryWarning)]


def inc(x: int) -> int:
    return x + 1


def test_a_collector_down_gives_one_warning_naming_its_endpoint(closed_port: int, caught: list[warnings.WarningMessage]) -> None:
    endpoint = f"http://127.0.0.1:{closed_port}"
    hook = configure_tracing("tests", otlp_endpoint=endpoint, protocol="http", set_global=False, install=False, export_timeout_s=0.2)
    assert hook is not None
    plan = compile(node(inc) >> node(inc)).with_hooks(hook)
    for _ in range(3):
        assert plan.run_sync(1) == 3
        hook.provider.force_flush(2000)  # type: ignore[attr-defined]
    hook.provider.shutdown()  # type: ignore[attr-defined]
    told = _telemetry(caught)
    assert len(told) == 1, told
    assert f"span export to {endpoint} is failing" in told[0] and "is the collector running there?" in told[0]


def test_several_failed_exports_still_give_one_warning(closed_port: int, caught: list[warnings.WarningMessage]) -> None:
    """The guard probes a down endpoint every few seconds: a clock moved past each probe time
    makes every flush a real export attempt, and each of them fails."""
    now = [0.0]
    endpoint = f"http://127.0.0.1:{closed_port}/v1/traces"
    attempts: list[int] = []

    class CountingExporter(OTLPSpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            attempts.append(len(spans))
            return super().export(spans)

    exporter = CountingExporter(endpoint=endpoint, timeout=0.2)
    processor = guarded_batch_processor(exporter, endpoint, max_queue_size=64, export_timeout_s=0.2, clock=lambda: now[0])
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("tests")
    for attempt in range(4):
        with tracer.start_as_current_span(f"span {attempt}"):
            pass
        provider.force_flush(2000)
        now[0] += 60.0  # the next flush is a probe
    provider.shutdown()
    assert attempts == [1, 1, 1, 1]  # four real exports, each refused
    told = _telemetry(caught)
    assert len(told) == 1, told
    assert endpoint in told[0]


def test_a_missing_otel_extra_gives_one_warning_naming_it(monkeypatch: pytest.MonkeyPatch, caught: list[warnings.WarningMessage]) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # type: ignore[arg-type]
    assert configure_tracing("tests", set_global=False, install=False) is None
    assert configure_tracing("again", set_global=False, install=False) is None
    told = _telemetry(caught)
    assert {w.filename for w in caught if issubclass(w.category, TelemetryWarning)} == {__file__}  # the caller's line, not ours
    assert told == [
        "telemetry needs opentelemetry.sdk.trace: pip install 'tta-dev-primitives[otel]'; "
        "until then telemetry through it is off and workflows run unchanged"
    ]


def test_under_an_error_filter_an_export_failure_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    """pytest's `filterwarnings = error` (or `python -W error`) turns warnings into exceptions: a
    failed export, in the SDK's worker thread or in a flush, must still not raise into the
    exporter (the SDK would log it with a traceback); our one log line stays."""

    class Refused(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.FAILURE

    provider = TracerProvider()
    provider.add_span_processor(guarded_batch_processor(Refused(), "fake://refused", max_queue_size=64, export_timeout_s=0.2))
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
        warnings.simplefilter("error")
        provider.get_tracer("tests").start_span("s").end()
        provider.force_flush(2000)
        provider.shutdown()
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(logged) == 1 and "fake://refused is failing" in logged[0], logged
