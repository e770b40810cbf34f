"""The original package's `observability.logging`: `setup_logging(level)` and `get_logger(name)`.

`get_logger` is our structured logger (`logger.info("event_name", key=value)`, the call shape
the original's structlog loggers have); `setup_logging` prints its records, `key=value` per line,
to stdout, as the original's console renderer did. When structlog is installed, it is
configured as the original configured it too, for code that logs through structlog directly.

This path also keeps what it held before it became the original's module (`configure_logging`,
the formatters, `redact`, ...), the same objects as in `tta_dev_primitives.observability`.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading

from ._logging import (
    REDACTED,
    SECRET_FIELDS,
    ContextFilter,
    JsonFormatter,
    KeyValueFormatter,
    StructuredLogger,
    configure_logging,
    get_logger,
    redact,
    scrub,
)
from ._support import installed

__all__ = [
    "REDACTED",
    "SECRET_FIELDS",
    "STRUCTLOG_AVAILABLE",
    "ContextFilter",
    "JsonFormatter",
    "KeyValueFormatter",
    "StructuredLogger",
    "configure_logging",
    "get_logger",
    "redact",
    "scrub",
    "setup_logging",
]

STRUCTLOG_AVAILABLE: bool = installed("structlog")
"""The original's flag: structlog is installed (it is not a dependency of ours)."""

_handler: logging.Handler | None = None
_lock = threading.Lock()


def setup_logging(level: str = "INFO") -> None:
    """Print log records at `level` ("DEBUG", "INFO", "WARNING", "ERROR") and above to stdout.

    Calling it again replaces the output it set up (never prints a record twice).
    """
    global _handler
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"setup_logging(): level must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    with _lock:
        if _handler is not None:
            logging.getLogger().removeHandler(_handler)
        _handler = configure_logging(numeric, stream=sys.stdout)
    if STRUCTLOG_AVAILABLE:
        _configure_structlog(numeric)


def _configure_structlog(level: int) -> None:
    structlog = importlib.import_module("structlog")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.StackInfoRenderer(),
            structlog.dev.set_exc_info,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.dev.ConsoleRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        context_class=dict,
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
