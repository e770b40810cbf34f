"""OTLP export that a collector going away cannot turn into noise, waits or exceptions.

A collector that is down costs one logged warning per endpoint and outage (and one
`TelemetryWarning` per endpoint and process, for users who have not configured logging) and
never an exception: the
OTLP exporter's own retry and give-up messages, logged while *our* export runs in this thread,
are folded into that warning (an exporter you configured yourself logs as before); while the
endpoint is known to be down, batches are dropped at once except one probe every few seconds,
so a flush or shutdown waits for one export, not one per queued batch; a full queue drops spans
with one warning instead of one line per span. When an export succeeds again, one INFO line
says the endpoint recovered and how many spans were lost. What these lines say is scrubbed as
log lines are (`redaction.scrub`): an endpoint's `user:password@` and an exporter's error text
(which may quote a URL or a header) never reach a handler verbatim, whatever the handler.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from .._log_masking import library_logger
from ._redaction import REDACTED, scrub
from ._support import tell_once

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

__all__ = ["guarded_batch_processor"]

_log = library_logger("tta_dev_primitives.observability")
_exporting = threading.local()
"""The guard whose export runs in this thread (see `_FoldExportLogs`)."""


class _FoldExportLogs(logging.Filter):
    """Folds what the OTLP exporter logs at WARNING and above during a guarded export into that
    guard's one warning; anything logged outside our exports passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        guard: _Guard | None = getattr(_exporting, "guard", None)
        if guard is None or record.levelno < logging.WARNING:
            return True
        guard.failed(record.getMessage())
        return False


_FOLD = _FoldExportLogs()


def _password(endpoint: str) -> str | None:
    """The password in an endpoint URL, which exporters quote in their errors without the
    scheme (`user:pw@host`), where no URL pattern recognises it."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(endpoint).password or None
    except ValueError:
        return None


class _Guard:
    """One endpoint's export state: up or down, and what was dropped while down."""

    def __init__(self, endpoint: str, probe_every_s: float, clock: Callable[[], float]) -> None:
        self.endpoint = scrub(endpoint)  # only ever shown in warnings
        self._password = _password(endpoint)
        self._clock = clock
        self.down = False
        self.overflowing = False
        self.dropped = 0
        self._probe_every_s = probe_every_s
        self._next_probe = 0.0
        self._lock = threading.Lock()

    def failed(self, reason: str) -> None:
        with self._lock:
            self._next_probe = self._clock() + self._probe_every_s
            if self.down:
                return
            self.down = True
        reason = reason.strip() if not self._password else reason.strip().replace(self._password, REDACTED)  # quoted without its scheme
        _log.warning("span export to %s is failing (%s); spans are dropped until it recovers", self.endpoint, scrub(reason))
        tell_once(
            f"export:{self.endpoint}",
            f"span export to {self.endpoint} is failing ({scrub(reason)}): is the collector running there? Spans are dropped until it answers",
            from_export=True,
        )

    def lost(self, count: int) -> None:
        """`count` spans were dropped (reported when the endpoint recovers)."""
        with self._lock:
            self.dropped += count

    def skip(self) -> bool:
        """Whether to drop this batch without trying: the endpoint is down and no probe is due."""
        return self.down and self._clock() < self._next_probe

    def succeeded(self) -> None:
        with self._lock:
            recovered, dropped = self.down, self.dropped
            self.down, self.overflowing, self.dropped = False, False, 0
        if recovered:
            _log.info("span export to %s recovered (%d spans were dropped meanwhile)", self.endpoint, dropped)

    def queue_full(self, size: int) -> None:
        """A span was dropped because the queue is full: one warning until the queue drains."""
        with self._lock:
            self.dropped += 1
            if self.down or self.overflowing:
                return
            self.overflowing = True
        _log.warning("the span queue for %s is full (max_queue_size=%d); spans are dropped until it drains", self.endpoint, size)


class _GuardedExporter:
    """The OTLP exporter behind a `_Guard`: never raises, logs through the guard."""

    def __init__(self, inner: SpanExporter, guard: _Guard) -> None:
        self._inner = inner
        self._guard = guard
        for cls in type(inner).__mro__:  # the exporter logs under its classes' module names
            if cls.__module__.startswith("opentelemetry.exporter."):
                logging.getLogger(cls.__module__).addFilter(_FOLD)
        logging.getLogger("opentelemetry.exporter.otlp.common.http").addFilter(_FOLD)

    def export(self, spans: object) -> object:
        from opentelemetry.sdk.trace.export import SpanExportResult

        guard = self._guard
        if guard.skip():
            guard.lost(len(spans))  # type: ignore[arg-type]
            return SpanExportResult.FAILURE
        _exporting.guard = guard
        try:
            result = self._inner.export(spans)  # type: ignore[arg-type]
        except Exception as error:
            result = SpanExportResult.FAILURE
            guard.failed(repr(error))
        finally:
            _exporting.guard = None
        if result is SpanExportResult.FAILURE:
            guard.failed("the exporter gave up")
            guard.lost(len(spans))  # type: ignore[arg-type]
        else:
            guard.succeeded()
        return result

    def shutdown(self) -> None:
        _exporting.guard = self._guard
        try:
            self._inner.shutdown()
        except Exception:  # noqa: S110 - shutting down a broken exporter must not raise
            pass
        finally:
            _exporting.guard = None

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        try:
            return bool(self._inner.force_flush(timeout_millis))
        except Exception:
            return False


def guarded_batch_processor(
    exporter: SpanExporter,
    endpoint: str,
    *,
    max_queue_size: int,
    export_timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> BatchSpanProcessor:
    """A BatchSpanProcessor sending to `exporter` (at `endpoint`) under a guard (see the module);
    while the endpoint is down it is probed every max(5, export_timeout_s) seconds of `clock`."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    guard = _Guard(endpoint, max(5.0, export_timeout_s), clock)

    class _Processor(BatchSpanProcessor):
        def on_end(self, span: ReadableSpan) -> None:
            inner = getattr(self, "_batch_processor", None)  # the SDK's queue (1.3x+); else its own warning
            queue = getattr(inner, "_queue", None)
            if queue is not None and len(queue) >= max_queue_size:
                guard.queue_full(max_queue_size)
                return
            super().on_end(span)

    guarded = cast("SpanExporter", _GuardedExporter(exporter, guard))
    return _Processor(guarded, max_queue_size=max_queue_size, max_export_batch_size=min(512, max_queue_size))
