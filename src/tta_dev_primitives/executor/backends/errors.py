"""Errors of remote nodes: what cannot travel to or from a worker.

The classes live in `tta_dev_primitives.errors` (with every public exception of the package);
this module keeps their old import path, giving the very same classes.
"""

from __future__ import annotations

from ...errors import RemoteError, RemoteSerializationError

__all__ = ["RemoteError", "RemoteSerializationError"]
