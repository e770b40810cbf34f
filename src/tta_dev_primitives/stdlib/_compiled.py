"""CompiledPrimitive: the original package's `await primitive.execute(input)` for structural primitives.

Sequential, Parallel, Router, Fallback, Saga and friends are DSL nodes, lowered to plan ops like
any other; this mixin adds the original package's `execute`, which compiles the primitive once (on first
use) and runs the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from ..dsl._core import seed_plan
from ..context import RunContext
from ..errors import ConfigError
from ._base import WorkflowPrimitive

if TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["CompiledPrimitive", "one_list"]

T = TypeVar("T", contravariant=True)
U = TypeVar("U", covariant=True)
S = TypeVar("S")


class CompiledPrimitive(WorkflowPrimitive[T, U]):
    """A WorkflowPrimitive whose `execute` runs its own compiled plan.

    Subclasses are structural nodes: their lowering rule (found first in the MRO) decides how they
    run inside plans; `execute` is only the entry point for calling them directly.
    """

    def plan(self) -> Plan[T, U]:
        """This primitive compiled (once; build a new primitive to change it)."""
        return seed_plan(self)

    async def execute(self, input_data: T, context: RunContext | None = None) -> U:
        """Run this primitive on `input_data` (the original package's API); `context` is optional."""
        return await seed_plan(self).run(input_data, context=context)




def one_list(owner: str, field: str, given: Sequence[S] | None, original: Sequence[S] | None) -> Sequence[S]:
    """`field`, or the original package's `primitives=` for it (exactly one of them)."""
    if (given is None) == (original is None):
        raise ConfigError(owner, field, f"a list of primitives, as {field}= or the original's primitives= (one of them)", (given, original))
    chosen = given if given is not None else original
    assert chosen is not None
    return chosen
