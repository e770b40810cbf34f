"""What a compiler pass is: a small function `(ir, context) -> (ir, changes)`, disable-able by name."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ..ir import Op

__all__ = ["Change", "CompilerPass", "PassContext"]


@attrs.frozen
class Change:
    """One rewrite made by a pass, for EXPLAIN: the rule, the node it touched and why."""

    rule: str
    node: str
    detail: str


@attrs.define
class PassContext:
    """Shared state of one compilation: options in, analysis facts out."""

    facts: dict[str, object] = attrs.field(factory=dict)


@attrs.frozen
class CompilerPass:
    """A named pass. `run` must not mutate its input; it returns the new tree and its changes."""

    name: str
    description: str
    run: Callable[[Op, PassContext], tuple[Op, list[Change]]]
