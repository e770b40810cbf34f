"""Type expressions as the compiler sees them: real annotations, or UNKNOWN when absent."""

from __future__ import annotations

from typing import Final, final


@final
class _Unknown:
    """Marks an edge whose type was not annotated: it is accepted, and EXPLAIN says unchecked."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "?"


UNKNOWN: Final = _Unknown()
"""The type of an unannotated parameter or return value."""

TypeExpr = object
"""Any runtime type expression: a class, a typing form (``list[int]``, ``int | None``), or UNKNOWN."""
