"""The compiler's passes, in the order they run. Each can be disabled by name.

Optimizations (prune, cse, hoist_parallel, fuse_cache) only touch what nodes declared safe to
touch; typecheck runs first so errors describe the workflow as written.
"""

from __future__ import annotations

from ._analyze import ANALYZE, Analysis, BudgetError
from ._base import Budget, Change, CompilerPass, PassContext
from ._cse import CSE
from ._flatten import FLATTEN
from ._fuse_cache import FUSE_CACHE
from ._hoist import HOIST_PARALLEL
from ._lint import LINT_RESILIENCE, Lint, LintError
from ._prune import PRUNE
from ._typecheck import TYPECHECK, EdgeReport, StateKeyError

DEFAULT_PASSES: tuple[CompilerPass, ...] = (
    FLATTEN,
    TYPECHECK,
    PRUNE,
    CSE,
    HOIST_PARALLEL,
    FUSE_CACHE,
    LINT_RESILIENCE,
    ANALYZE,
)

__all__ = [
    "ANALYZE",
    "CSE",
    "DEFAULT_PASSES",
    "FLATTEN",
    "FUSE_CACHE",
    "HOIST_PARALLEL",
    "LINT_RESILIENCE",
    "PRUNE",
    "TYPECHECK",
    "Analysis",
    "Budget",
    "BudgetError",
    "Change",
    "CompilerPass",
    "EdgeReport",
    "Lint",
    "LintError",
    "PassContext",
    "StateKeyError",
]
