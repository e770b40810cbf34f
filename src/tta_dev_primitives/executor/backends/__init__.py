"""Backends: where nodes marked `.remote()` run (in this process by default, or on a Dask
cluster). See the "Scale-out on Dask" guide (docs/guides/scale-out.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _remote  # noqa: F401 - provides Node.remote()
from ._base import Backend, LocalBackend, RemoteJob, current_backend, use_backend
from .errors import RemoteError, RemoteSerializationError

if TYPE_CHECKING:
    from .dask import DaskBackend

__all__ = [
    "Backend", "DaskBackend", "LocalBackend", "RemoteError", "RemoteJob", "RemoteSerializationError", "current_backend", "use_backend",
]


def __getattr__(name: str) -> object:
    if name == "DaskBackend":  # imported on use: Dask is an extra
        from .dask import DaskBackend

        return DaskBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
