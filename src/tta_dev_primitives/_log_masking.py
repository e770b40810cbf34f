"""Masking of log records before any handler sees them, for the library's own loggers and the
ones `get_logger` hands out.

A record's message and traceback are text that may hold secrets (an error quoting a URL with its
password). Formatters of our own mask them, but an application's handlers (a file handler,
pytest's caplog, an error tracker) format records themselves, so the masking happens earlier: a
filter on the logger that replaces the message with its masked text and the traceback with its
masked rendering (`exc_text`; `exc_info` is dropped, so no handler renders the raw exception).
The mask itself is the observability layer's `redaction.scrub`, handed in when that layer is
imported (this module sits below it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

__all__ = ["MaskingFilter", "library_logger", "set_mask"]

_mask: Callable[[str], str] | None = None
_formatter = logging.Formatter()


def set_mask(mask: Callable[[str], str]) -> None:
    """Use `mask` for every record of the loggers that have a MaskingFilter."""
    global _mask
    _mask = mask


class MaskingFilter(logging.Filter):
    """Masks a record's message and traceback in place (see the module docs); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask = _mask
        if mask is None or getattr(record, "tta_masked", False):
            return True
        try:
            record.msg, record.args = mask(record.getMessage()), None
        except Exception:  # noqa: BLE001 - a message that cannot be rendered: the handler reports it as usual
            return True
        if isinstance(record.exc_info, tuple) and record.exc_info[0] is not None:
            record.exc_text = mask(record.exc_text or _formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        record.tta_masked = True
        return True


_FILTER = MaskingFilter()


def library_logger(name: str) -> logging.Logger:
    """`logging.getLogger(name)` with its records masked (the library's own loggers)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
