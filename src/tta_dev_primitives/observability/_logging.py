"""Structured logging: `get_logger(__name__).info("msg", user_id=123)`.

Records carry their fields, the run's correlation and workflow ids, and the current trace and
span ids, added automatically. Secrets are masked before any handler sees them: values of
secret-looking fields and secret-shaped text anywhere (see `redaction`); a log call never raises,
whatever its payload (cycles, depth, broken reprs). Quiet by default: nothing is printed until the
application configures logging (`configure_logging()` or its own handlers).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Literal

from ..context import _current
from .._log_masking import library_logger
from ._redaction import REDACTED, SECRET_FIELDS, redact, scrub

if TYPE_CHECKING:
    from opentelemetry.trace import Span

__all__ = ["REDACTED", "SECRET_FIELDS", "ContextFilter", "JsonFormatter", "KeyValueFormatter", "StructuredLogger", "configure_logging", "get_logger", "redact", "scrub"]

_FILLED = "tta_filled"
"""The record attribute naming the run ids ContextFilter added (the rest were the caller's)."""
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "tta_fields", "tta_masked", _FILLED}


class StructuredLogger:
    """A logger whose calls take fields as keyword arguments."""

    def __init__(self, logger: logging.Logger, fields: Mapping[str, object] | None = None) -> None:
        self.logger = logger
        self._bound = dict(fields or {})

    def bind(self, **fields: object) -> StructuredLogger:
        """A logger that adds `fields` to every record."""
        return StructuredLogger(self.logger, {**self._bound, **fields})

    def _log(self, level: int, msg: str, fields: dict[str, object], exc_info: bool = False) -> None:
        if not self.logger.isEnabledFor(level):
            return
        merged = {**self._bound, **fields}
        clean = {k: redact(v, k) for k, v in merged.items()}  # never raises
        self.logger.log(level, msg, extra={"tta_fields": clean}, exc_info=exc_info, stacklevel=3)

    def debug(self, msg: str, **fields: object) -> None:
        """Log `msg` at DEBUG with `fields` (masked as secrets where their names or shapes say so)."""
        self._log(logging.DEBUG, msg, fields)

    def info(self, msg: str, **fields: object) -> None:
        """Log `msg` at INFO with `fields` (masked as secrets where their names or shapes say so)."""
        self._log(logging.INFO, msg, fields)

    def warning(self, msg: str, **fields: object) -> None:
        """Log `msg` at WARNING with `fields` (masked as secrets where their names or shapes say so)."""
        self._log(logging.WARNING, msg, fields)

    def error(self, msg: str, **fields: object) -> None:
        """Log `msg` at ERROR with `fields` (masked as secrets where their names or shapes say so)."""
        self._log(logging.ERROR, msg, fields)

    def critical(self, msg: str, **fields: object) -> None:
        """Log `msg` at CRITICAL with `fields` (masked as secrets where their names or shapes say so)."""
        self._log(logging.CRITICAL, msg, fields)

    def exception(self, msg: str, **fields: object) -> None:
        """Log at ERROR with the current exception's traceback."""
        self._log(logging.ERROR, msg, fields, exc_info=True)


def get_logger(name: str) -> StructuredLogger:
    """A structured logger for `name` (usually `__name__`); quiet until logging is configured."""
    logger = library_logger(name)  # its message and traceback masked before any handler, ours or not
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())  # no "last resort" printing from a library
    return StructuredLogger(logger)


_CONTEXT_KEYS = ("correlation_id", "workflow_id", "session_id", "trace_id", "span_id")
"""The run's ids ContextFilter puts on records, in the order a JSON line shows them."""


class ContextFilter(logging.Filter):
    """Adds `correlation_id`, `workflow_id`, `session_id`, `trace_id` and `span_id` to every record.

    What it adds is the run's own identifiers and is printed as is; a value the caller passed
    with `extra=` is kept but is the caller's data, redacted like any field (a `session_id`
    passed that way is masked, see `redaction`)."""

    def __init__(self) -> None:
        super().__init__()
        self._get_span: Callable[[], Span] | None
        try:
            from opentelemetry import trace

            self._get_span = trace.get_current_span
        except ImportError:
            self._get_span = None

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _current.get(None)
        found: dict[str, object] = {}
        if ctx is not None:
            found.update(correlation_id=ctx.correlation_id, workflow_id=ctx.workflow_id, session_id=ctx.session_id)
        if self._get_span is not None:
            context = self._get_span().get_span_context()
            if context.is_valid:
                found.update(trace_id=format(context.trace_id, "032x"), span_id=format(context.span_id, "016x"))
        filled: set[str] = set(getattr(record, _FILLED, ()))  # a second filter on the record: the first's are ours too
        for key in _CONTEXT_KEYS:  # a value the caller passed itself (extra=) is kept
            if getattr(record, key, None) is None:
                setattr(record, key, found.get(key))
                filled.add(key)
        setattr(record, _FILLED, frozenset(filled))
        return True


def _payload(record: logging.LogRecord) -> dict[str, object]:
    data: dict[str, object] = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": scrub(record.getMessage()),
    }
    ours = getattr(record, _FILLED, ())
    for key in _CONTEXT_KEYS:
        value = getattr(record, key, None)
        if value is not None:
            data[key] = value if key in ours else redact(value, key)  # the run's ids as is, the caller's redacted
    fields = getattr(record, "tta_fields", None)
    if isinstance(fields, Mapping):
        data.update(fields)
    for key, value in vars(record).items():  # fields passed with extra= by plain logging calls
        if key not in _STANDARD and key not in data and key not in _CONTEXT_KEYS:
            data[scrub(key)] = redact(value, key)
    return data


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        data = _payload(record)
        exception = _exception(self, record)
        if exception:
            data["exception"] = exception
        return json.dumps(data, default=str)


class KeyValueFormatter(logging.Formatter):
    """`key=value` pairs, values quoted when they contain spaces."""

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        for key, value in _payload(record).items():
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            if not text or any(c in text for c in ' ="'):
                text = json.dumps(text)
            parts.append(f"{key}={text}")
        line = " ".join(parts)
        exception = _exception(self, record)
        return f"{line}\n{exception}" if exception else line


def _exception(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    """The record's traceback, masked: already rendered by the logger's MaskingFilter, or now."""
    if isinstance(record.exc_info, tuple) and record.exc_info[0] is not None:
        return scrub(formatter.formatException(record.exc_info))
    return scrub(record.exc_text) if record.exc_text else ""


def configure_logging(
    level: int | str = "INFO",
    *,
    format: Literal["kv", "json"] = "kv",
    stream: IO[str] | None = None,
    logger: str = "",
) -> logging.Handler:
    """Print structured records of `logger` (the root logger by default) to `stream` (stderr)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if format == "json" else KeyValueFormatter())
    target = logging.getLogger(logger)
    target.addHandler(handler)
    target.setLevel(level)
    return handler
