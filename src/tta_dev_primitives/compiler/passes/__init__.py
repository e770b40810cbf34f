"""The compiler's passes, in the order they run. Each can be disabled by name."""

from __future__ import annotations

from .base import Change, CompilerPass, PassContext
from .flatten import FLATTEN
from .typecheck import TYPECHECK, EdgeReport

DEFAULT_PASSES: tuple[CompilerPass, ...] = (FLATTEN, TYPECHECK)

__all__ = ["DEFAULT_PASSES", "FLATTEN", "TYPECHECK", "Change", "CompilerPass", "EdgeReport", "PassContext"]
