"""What a compiler pass is: a small function `(ir, context) -> (ir, changes)`, disable-able by name."""

from __future__ import annotations


from collections.abc import Callable

import attrs

from ..._validate import check_finite_non_negative
from .._ir import Op

__all__ = ["Budget", "Change", "CompilerPass", "PassContext"]


@attrs.frozen
class Change:
    """One thing a pass did, for EXPLAIN: the rule, the node it touched, what and why.

    `action` is one of "added", "removed", "rewired", "merged" or "note" (an analysis finding).
    """

    rule: str
    node: str
    detail: str
    action: str = "rewired"


@attrs.frozen
class Budget:
    """Worst-case limits a plan must fit; compilation fails (BudgetError) when it cannot."""

    max_cost: float | None = None
    """USD per run."""
    max_latency: float | None = None
    """Seconds per run."""
    max_attempts: int | None = None
    """Calls of any one leaf per run (nested retries multiply)."""

    def __attrs_post_init__(self) -> None:
        for field in ("max_cost", "max_latency", "max_attempts"):
            value = getattr(self, field)
            if value is not None:
                check_finite_non_negative("Budget", field, value)  # NaN would never trigger


@attrs.define
class PassContext:
    """Shared state of one compilation: options in, analysis facts out."""

    facts: dict[str, object] = attrs.field(factory=dict)
    strict: bool = False
    """Lint findings are errors instead of warnings."""
    budget: Budget | None = None
    state_keys: frozenset[str] = frozenset()
    """RunContext.state keys provided by the caller (reads of them need no writer)."""
    next_node_id: int = 0
    """The id for the next op a pass creates (ids of source nodes are never reused)."""

    def new_id(self) -> int:
        """A node id no op of the plan has yet, for an op a pass creates."""
        node_id = self.next_node_id
        self.next_node_id += 1
        return node_id


@attrs.frozen
class CompilerPass:
    """A named pass. `run` must not mutate its input; it returns the new tree and its changes."""

    name: str
    description: str
    run: Callable[[Op, PassContext], tuple[Op, list[Change]]]
