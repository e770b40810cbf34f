"""A registry keyed by class that resolves along the MRO, so subclasses inherit entries.

It is the one mechanism behind both lowering rules (node class -> IR op) and emitters
(op class -> runnable closure), which is how stdlib primitives plug into the compiler and the
executor without either knowing about them.
"""

from __future__ import annotations

from typing import Generic, TypeVar

V = TypeVar("V")

__all__ = ["ClassRegistry"]


class ClassRegistry(Generic[V]):
    """Maps classes to values; `lookup` walks the MRO and caches the answer."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[type, V] = {}
        self._cache: dict[type, V | None] = {}

    def register(self, cls: type, value: V) -> None:
        self._entries[cls] = value
        self._cache.clear()

    def lookup(self, cls: type) -> V | None:
        try:
            return self._cache[cls]
        except KeyError:
            pass
        found: V | None = None
        for base in cls.__mro__:
            if base in self._entries:
                found = self._entries[base]
                break
        self._cache[cls] = found
        return found
