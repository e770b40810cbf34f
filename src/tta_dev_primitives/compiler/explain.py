"""EXPLAIN: the compiled plan as an indented tree with edge types, then what each pass did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .ir import CallOp, Op, SeqOp
from .passes import EdgeReport
from .types import format_type

if TYPE_CHECKING:
    from .plan import PassRecord

__all__ = ["render_explain"]


def _describe(op: Op) -> str:
    head = f"{op.kind} {op.name!r}  {format_type(op.in_type)} -> {format_type(op.out_type)}"
    extras: list[str] = []
    if isinstance(op, CallOp):
        extras.append(str(op.params()["mode"]) + (", ctx" if op.arity == 2 else ""))
    else:
        extras.extend(f"{k}={v}" for k, v in op.params().items())
    suffix = f"  [{'; '.join(extras)}]" if extras else ""
    return f"{head}{suffix}  @ {op.location}"


def _edge_text(report: EdgeReport | None, producer: Op) -> str:
    shown = format_type(producer.out_type)
    if report is None:
        return f"↓ {shown}"
    if report.checked:
        return f"↓ {shown}  (checked)"
    return f"↓ {shown}  (unchecked: {report.reason})"


def _render(op: Op, prefix: str, is_last: bool, is_root: bool, edges: Mapping[tuple[int, str], EdgeReport], out: list[str]) -> None:
    connector = "" if is_root else ("└─ " if is_last else "├─ ")
    out.append(f"{prefix}{connector}{_describe(op)}")
    child_prefix = prefix if is_root else prefix + ("   " if is_last else "│  ")
    for i, child in enumerate(op.children):
        last = i == len(op.children) - 1
        _render(child, child_prefix, last, False, edges, out)
        if isinstance(op, SeqOp) and not last:
            out.append(f"{child_prefix}│    {_edge_text(edges.get((op.node_id, f'step {i + 1}')), child)}")


def render_explain(
    name: str,
    root: Op,
    fingerprint: str,
    passes: Sequence[PassRecord],
    edges: Sequence[EdgeReport],
) -> str:
    by_key = {(r.edge.owner.node_id, r.edge.label): r for r in edges}
    lines = [f"plan {name!r}  {format_type(root.in_type)} -> {format_type(root.out_type)}  fingerprint {fingerprint}", ""]
    _render(root, "", True, True, by_key, lines)
    lines += ["", "passes:"]
    width = max((len(p.name) for p in passes), default=0)
    for record in passes:
        if not record.enabled:
            lines.append(f"  {record.name.ljust(width)}  off (disabled)")
            continue
        if record.name == "typecheck":
            checked = sum(1 for r in edges if r.checked)
            lines.append(f"  {record.name.ljust(width)}  {len(edges)} edges: {checked} checked, {len(edges) - checked} unchecked")
            for r in edges:
                if not r.checked:
                    lines.append(f"      unchecked  {r.edge.label} of {r.edge.owner.name!r}: {r.reason}")
            continue
        lines.append(f"  {record.name.ljust(width)}  {len(record.changes)} change{'s' if len(record.changes) != 1 else ''}")
        for change in record.changes:
            lines.append(f"      {change.rule}  {change.node!r}: {change.detail}")
    return "\n".join(lines)
