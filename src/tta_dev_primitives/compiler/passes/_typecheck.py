"""typecheck: check every edge of the plan against the annotations, at compile time.

Mismatches raise TypeMismatchError listing all of them; edges that cannot be checked (no
annotation, Any, type variables, explicit casts) are recorded for EXPLAIN as unchecked.
"""

from __future__ import annotations

import attrs

from ...dsl._traits import NO_TRAITS
from ...errors import CompositionError, StateKeyError
from .._diagnostics import TypeMismatchError, describe_unchecked, mismatch_message
from .._ir import Edge, Op, walk
from .._types import is_assignable
from ._base import Change, CompilerPass, PassContext

__all__ = ["TYPECHECK", "EdgeReport", "StateKeyError"]


@attrs.frozen
class EdgeReport:
    """The verdict on one edge: `checked` True, or False with the reason it was not checked."""

    edge: Edge
    checked: bool
    reason: str | None = None


def _typecheck(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
    reports: list[EdgeReport] = []
    mismatches: list[Edge] = []
    problems: list[str] = []
    available = set(ctx.state_keys)  # state keys the caller provides or some node writes
    readers: list[Op] = []  # nodes that declare state reads, in plan order
    for op in walk(root):
        traits = op.traits
        if traits is not NO_TRAITS:
            available.update(traits.writes)
            if traits.reads:
                readers.append(op)
        if not op.children and not _leaf_speaks(type(op)):
            continue  # a plain leaf: its edges are its parent's
        problems.extend(op.problems())
        for edge in op.edges():
            if edge.unchecked is not None:
                reports.append(EdgeReport(edge, False, edge.unchecked))
                continue
            same_class = edge.src is edge.dst and isinstance(edge.src, type)  # the common edge, decided at once
            verdict = True if same_class else is_assignable(edge.src, edge.dst)
            if verdict is False:
                mismatches.append(edge)
            elif verdict is None:
                reports.append(EdgeReport(edge, False, describe_unchecked(edge)))
            else:
                reports.append(EdgeReport(edge, True))
    if mismatches:
        raise TypeMismatchError(mismatch_message(mismatches, root), mismatches)
    if problems:
        raise CompositionError(f"workflow {root.name!r} cannot run:\n" + "\n".join(f"  [{i + 1}] {p}" for i, p in enumerate(problems)))
    _check_state_keys(readers, available)
    ctx.facts["edges"] = tuple(reports)
    return root, []


_SPEAKS: dict[type[Op], bool] = {}


def _leaf_speaks(kind: type[Op]) -> bool:
    """Whether a leaf of this class has edges or problems of its own (the compiler's leaves,
    calls and constants, have none: asking each of 10,000 of them would cost a walk of its own)."""
    speaks = _SPEAKS.get(kind)
    if speaks is None:
        speaks = _SPEAKS[kind] = kind.edges is not Op.edges or kind.problems is not Op.problems
    return speaks


def _check_state_keys(readers: list[Op], available: set[str]) -> None:
    for op in readers:
        missing = sorted(op.traits.reads - available)
        if missing:
            raise StateKeyError(
                f"{op.name!r} (built at {op.location}) declares it reads state key(s) {missing}, but no node of the plan "
                f"writes them; declare the writer (node.declare(writes=...)) or pass compile(..., state_keys={missing!r}) "
                "if the caller provides them"
            )


TYPECHECK = CompilerPass("typecheck", "check every edge's types against the annotations", _typecheck)
