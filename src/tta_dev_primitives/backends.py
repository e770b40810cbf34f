"""Where `.remote()` nodes run (this process, a Dask cluster): `tta_dev_primitives.backends`,
the short path of `tta_dev_primitives.executor.backends`."""

from typing import TYPE_CHECKING

from .executor.backends import (
    Backend as Backend,
    LocalBackend as LocalBackend,
    RemoteError as RemoteError,
    RemoteJob as RemoteJob,
    RemoteSerializationError as RemoteSerializationError,
    current_backend as current_backend,
    use_backend as use_backend,
)

if TYPE_CHECKING:
    from .executor.backends import DaskBackend as DaskBackend

__all__ = [
    "Backend",
    "DaskBackend",
    "LocalBackend",
    "RemoteError",
    "RemoteJob",
    "RemoteSerializationError",
    "current_backend",
    "use_backend",
]


def __getattr__(name: str) -> object:
    if name in ('DaskBackend',):  # imported on use: each needs an extra
        from .executor.backends import __getattr__ as lazy

        return lazy(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
