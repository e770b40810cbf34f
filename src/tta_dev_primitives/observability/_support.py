"""What the observability modules share: optional imports, and telemetry problems told once.

A telemetry problem (an extra missing, a collector refusing exports) is logged and also given
as a `TelemetryWarning`, once per cause per process: the library's logger has only a
NullHandler until the application configures logging, and a user looking at an empty trace
viewer must still learn why.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import warnings
from types import ModuleType

from .._log_masking import library_logger
from ..errors import TelemetryWarning
from ..extras import MissingExtraError

_log = library_logger("tta_dev_primitives.observability")
_warned: set[str] = set()
_told: set[str] = set()
_lock = threading.Lock()


def warn_once(key: str, message: str, *args: object) -> None:
    """Log `message` as a warning the first time `key` is seen in this process."""
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    _log.warning(message, *args)


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _outside_the_package() -> int:
    """The stacklevel of the caller's first frame outside this package (the user's line that
    configured telemetry), so the warning points there rather than at our internals."""
    frame, level = sys._getframe(2), 2  # tell_once's caller is level 2 of warnings.warn from tell_once
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE + os.sep):
        frame, level = frame.f_back, level + 1
    return level


def tell_once(key: str, message: str, *, from_export: bool = False) -> None:
    """Give `message` as a TelemetryWarning the first time `key` is seen in this process.

    From an export (`from_export`: the SDK's worker thread, or a flush or shutdown that exports
    in the caller's thread) a warnings filter that makes it an error is not allowed to raise
    into the exporter: the warning is dropped there, and the log line stays."""
    with _lock:
        if key in _told:
            return
        _told.add(key)
    if not from_export:
        warnings.warn(message, TelemetryWarning, stacklevel=_outside_the_package())
        return
    try:
        warnings.warn(message, TelemetryWarning, stacklevel=2)
    except TelemetryWarning:  # noqa: S110 - turned into an error by a filter: never raise into the exporter
        pass


def optional(module: str, extra: str) -> ModuleType | None:
    """Import `module`, or tell once per extra (logged and as a TelemetryWarning, naming the
    extra to install) and return None."""
    try:
        return importlib.import_module(module)
    except ImportError:
        message = f"{MissingExtraError('telemetry', module, extra)}; until then telemetry through it is off and workflows run unchanged"
        warn_once(f"missing:{extra}", "%s", message)
        tell_once(f"missing:{extra}", message)
        return None


def installed(module: str) -> bool:
    """Whether `module` can be imported, found without importing it (a finder that refuses the
    name, as an import guard does, counts as not installed)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
