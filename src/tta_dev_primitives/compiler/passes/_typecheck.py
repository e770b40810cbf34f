"""typecheck: check every edge of the plan against the annotations, at compile time.

Mismatches raise TypeMismatchError listing all of them; edges that cannot be checked (no
annotation, Any, type variables, explicit casts) are recorded for EXPLAIN as unchecked.
"""

from __future__ import annotations

import attrs

from ...dsl._traits import NO_TRAITS
from ...errors import CompositionError, StateKeyError
from .._diagnostics import TypeMismatchError, describe_unchecked, mismatch_message
from .._ir import Edge, Op, SeqOp, walk
from .._types import is_assignable
from ._base import Change, CompilerPass, PassContext

__all__ = ["TYPECHECK", "EdgeReport", "StateKeyError", "edge_reports"]


@attrs.frozen
class EdgeReport:
    """The verdict on one edge: `checked` True, or False with the reason it was not checked."""

    edge: Edge
    checked: bool
    reason: str | None = None


def _typecheck(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
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
        if type(op) is SeqOp and _steps_match(op):
            continue  # every edge checked and fitting, known without building them
        mismatches.extend(edge for edge in op.edges() if _verdict(edge) is False)
    if mismatches:
        raise TypeMismatchError(mismatch_message(mismatches, root), mismatches)
    if problems:
        raise CompositionError(f"workflow {root.name!r} cannot run:\n" + "\n".join(f"  [{i + 1}] {p}" for i, p in enumerate(problems)))
    _check_state_keys(readers, available)
    ctx.facts["edges"] = _Verdicts(root)
    return root, []


class _Verdicts:
    """`edge_reports(root)`, worked out on the first call and kept (plans made from one program,
    `with_hooks`, share them); a plain object, so a plan still copies and pickles."""

    __slots__ = ("_reports", "_root")

    def __init__(self, root: Op) -> None:
        self._root = root
        self._reports: tuple[EdgeReport, ...] | None = None

    def __call__(self) -> tuple[EdgeReport, ...]:
        if self._reports is None:
            self._reports = edge_reports(self._root)
        return self._reports


def edge_reports(root: Op) -> tuple[EdgeReport, ...]:
    """The verdict on every edge of the plan under `root` (which typecheck passed), in plan
    order: what `Plan.edges` holds. Worked out when first asked for, as the pass itself only
    needs to know that no edge fails: a plan that is only run never builds 10,000 of them."""
    reports: list[EdgeReport] = []
    for op in walk(root):
        if op.children or _leaf_speaks(type(op)):
            for edge in op.edges():
                checked = _verdict(edge) is True
                reports.append(EdgeReport(edge, True) if checked else EdgeReport(edge, False, describe_unchecked(edge)))
    return tuple(reports)


def _verdict(edge: Edge) -> bool | None:
    """Whether the edge's types fit: True, False, or None when it cannot be (or is not to be) checked."""
    if edge.unchecked is not None:
        return None
    if edge.src is edge.dst and isinstance(edge.src, type):  # the common edge, decided at once
        return True
    return is_assignable(edge.src, edge.dst)


def _steps_match(seq: SeqOp) -> bool:
    """Whether each step of `seq` takes exactly the plain class the step before it returns (a
    plain class is no stream, so the value flows as it is): the common sequence, whose edges
    all pass `_verdict` at once."""
    steps = seq.children
    for i in range(1, len(steps)):
        src = steps[i - 1].out_type
        if src is not steps[i].in_type or type(src) is not type:
            return False
    return True


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
