"""EXPLAIN: the final plan as a tree with edge types, what each pass did, lints and analysis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .._deep import depth_independent
from ._ir import CallOp, StreamOp, Op, SeqOp
from .passes import Analysis, EdgeReport, Lint
from ..dsl._core import shorten
from ._types import format_type

if TYPE_CHECKING:
    from ._program import PassRecord

__all__ = ["render_explain"]


_MAX_TYPE = 120
"""Longest type shown on a line: types of deeply nested plans grow with the nesting."""

_MAX_INDENT = 32
"""Deeper levels are indented as `┆(level n) `, so EXPLAIN of a deep plan is not O(n^2) text."""


def _shown(tp: object) -> str:
    return shorten(format_type(tp), _MAX_TYPE)


def _describe(op: Op, locations: bool) -> str:
    head = f"{op.kind} {op.name!r}  {_shown(op.in_type)} -> {_shown(op.out_type)}"
    extras: list[str] = []
    if isinstance(op, StreamOp):
        extras.append(f"stream of {_shown(op.chunk_type)}" + (", ctx" if op.arity == 2 else ""))
    elif isinstance(op, CallOp):
        extras.append(str(op.params()["mode"]) + (", ctx" if op.arity == 2 else ""))
    else:
        extras.extend(f"{k}={v}" for k, v in op.params().items())
    traits = op.traits
    marks = [m for m, on in (("pure", traits.pure), ("idempotent", traits.idempotent and not traits.pure), ("passthrough", traits.passthrough)) if on]
    if traits.reads:
        marks.append(f"reads={sorted(traits.reads)}")
    if traits.writes:
        marks.append(f"writes={sorted(traits.writes)}")
    if traits.cost is not None:
        marks.append(f"cost=${traits.cost:g}")
    if traits.model_calls is not None:
        marks.append(f"model_calls={traits.model_calls}")
    extras.extend(marks)
    suffix = f"  [{'; '.join(extras)}]" if extras else ""
    where = f"  @ {op.location}" if locations else ""
    return f"{head}{suffix}{where}  #{op.node_id}"  # the id events and plan.ops() carry


def _edge_text(report: EdgeReport | None, producer: Op) -> str:
    shown = _shown(producer.out_type if report is None else report.edge.src)
    if report is None:
        return f"↓ {shown}"
    if report.checked:
        return f"↓ {shown}  (checked)"
    return f"↓ {shown}  (unchecked: {report.reason})"


@depth_independent
def _render(
    op: Op,
    prefix: str,
    is_last: bool,
    is_root: bool,
    edges: Mapping[tuple[int, str], EdgeReport],
    locations: bool,
    out: list[str],
    level: int = 0,
) -> None:
    connector = "" if is_root else ("└─ " if is_last else "├─ ")
    out.append(f"{prefix}{connector}{_describe(op, locations)}")
    child_prefix = prefix if is_root else prefix + ("   " if is_last else "│  ")
    if len(child_prefix) > 3 * _MAX_INDENT:
        child_prefix = f"┆(level {level + 1}) "
    for i, child in enumerate(op.children):
        last = i == len(op.children) - 1
        _render(child, child_prefix, last, False, edges, locations, out, level + 1)
        if isinstance(op, SeqOp) and not last:
            out.append(f"{child_prefix}│    {_edge_text(edges.get((op.node_id, f'step {i + 1}')), child)}")


def render_explain(
    name: str,
    root: Op,
    fingerprint: str,
    passes: Sequence[PassRecord],
    edges: Sequence[EdgeReport],
    lints: Sequence[Lint] = (),
    analysis: Analysis | None = None,
    *,
    locations: bool = True,
) -> str:
    """The EXPLAIN text of a compiled plan: its tree with edge types, each pass's changes, the lints
    and the analysis (what `Plan.explain()` prints)."""
    by_key = {(r.edge.owner.node_id, r.edge.label): r for r in edges}
    lines = [f"plan {name!r}  {_shown(root.in_type)} -> {_shown(root.out_type)}  fingerprint {fingerprint}", ""]
    _render(root, "", True, True, by_key, locations, lines)
    lines += ["", "passes:"]
    width = max((len(p.name) for p in passes), default=0)
    for record in passes:
        label = record.name.ljust(width)
        if not record.enabled:
            lines.append(f"  {label}  off (disabled)")
            continue
        if record.name == "typecheck":
            checked = sum(1 for r in edges if r.checked)
            lines.append(f"  {label}  {len(edges)} edges: {checked} checked, {len(edges) - checked} unchecked")
            lines.extend(f"      unchecked  {r.edge.label} of {r.edge.owner.name!r}: {r.reason}" for r in edges if not r.checked)
            continue
        if record.name == "lint_resilience":
            lines.append(f"  {label}  {len(lints)} finding{'s' if len(lints) != 1 else ''}")
            lines.extend(f"      {lint.severity}  [{lint.rule}] {lint.node!r}: {lint.message}" for lint in lints)
            continue
        if record.name == "analyze":
            lines.append(f"  {label}  see analysis")
            continue
        count = len(record.changes)
        lines.append(f"  {label}  {count} change{'s' if count != 1 else ''}")
        lines.extend(f"      {c.action:<8} {c.rule}  {c.node!r}: {c.detail}" for c in record.changes)
    if analysis is not None:
        lines += ["", "analysis:"]
        lines.extend(f"  {row}" for row in analysis.lines())
    return "\n".join(lines)
