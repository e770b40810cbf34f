"""`compile(node)`: lower, run the passes, and return a Plan."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from ..dsl.core import Node
from ..errors import UnknownPassError
from .lowering import lower
from .passes import DEFAULT_PASSES, EdgeReport, PassContext
from .plan import PassRecord, Plan

__all__ = ["available_passes", "compile"]

In = TypeVar("In")
Out = TypeVar("Out")


def available_passes() -> tuple[str, ...]:
    """Names of the compiler passes, in the order they run."""
    return tuple(p.name for p in DEFAULT_PASSES)


def compile(node: Node[In, Out], *, disable: Iterable[str] | str = (), name: str | None = None) -> Plan[In, Out]:
    """Compile a workflow into a Plan.

    Lowers the node graph to IR, then runs each pass not named in `disable` (see
    `available_passes()`). Raises CompositionError (TypeMismatchError, CycleError) when the graph
    does not fit together, naming the steps, nodes, types and where each was built.
    """
    disabled = {disable} if isinstance(disable, str) else set(disable)
    unknown = sorted(disabled - set(available_passes()))
    if unknown:
        raise UnknownPassError(f"compile(): unknown pass name(s) {unknown}; available passes: {list(available_passes())}")
    root = lower(node)
    ctx = PassContext()
    records: list[PassRecord] = []
    for compiler_pass in DEFAULT_PASSES:
        if compiler_pass.name in disabled:
            records.append(PassRecord(compiler_pass.name, False))
            continue
        root, changes = compiler_pass.run(root, ctx)
        records.append(PassRecord(compiler_pass.name, True, tuple(changes)))
    edges = ctx.facts.get("edges", ())
    assert isinstance(edges, tuple)
    return Plan(
        root,
        name=name or node.name,
        passes=tuple(records),
        edges=tuple(e for e in edges if isinstance(e, EdgeReport)),
    )
