"""The builders behind Node's fluent methods, provided by the layers that define what they build.

`Node` declares `.retry()`, `.timeout()`, `.cached()`, `.fallback()`, `.remote()` and friends so
that mypy and pyright see them on every node, but the nodes they build live above the DSL (the
stdlib's guards, the executor's remote node, the Plan that `execute` compiles to). Each of those
modules provides its builder here when it is imported, so the DSL imports nothing above itself.
The package's `__init__` imports them all, so every builder is in place before user code runs.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["builder", "provide"]

_builders: dict[str, Callable[..., object]] = {}


def provide(name: str, build: Callable[..., object]) -> None:
    """Register `build` as the builder a fluent method calls by `name` (replacing any before)."""
    _builders[name] = build


def builder(name: str) -> Callable[..., object]:
    """The builder registered as `name`; RuntimeError naming it when no module provided one."""
    try:
        return _builders[name]
    except KeyError:
        raise RuntimeError(
            f"no builder for {name!r} is registered: it is provided when tta_dev_primitives is imported (import "
            "tta_dev_primitives, not a module of it by file path)"
        ) from None
