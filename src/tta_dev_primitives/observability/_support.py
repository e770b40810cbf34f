"""What the observability modules share: optional imports and warnings logged once."""

from __future__ import annotations

import importlib
import threading
from types import ModuleType

from .._log_masking import library_logger

_log = library_logger("tta_dev_primitives.observability")
_warned: set[str] = set()
_lock = threading.Lock()


def warn_once(key: str, message: str, *args: object) -> None:
    """Log `message` as a warning the first time `key` is seen in this process."""
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    _log.warning(message, *args)


def optional(module: str, extra: str) -> ModuleType | None:
    """Import `module`, or warn once (naming the extra to install) and return None."""
    try:
        return importlib.import_module(module)
    except ImportError:
        warn_once(
            f"missing:{module}",
            "%s is not installed; telemetry through it is off and workflows run unchanged "
            "(pip install 'tta-dev-primitives[%s]')",
            module,
            extra,
        )
        return None
