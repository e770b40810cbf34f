"""Readable compile errors: which step, which producer and consumer, which types, built where."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import TypeMismatchError
from ._ir import Edge, Op, walk
from ._types import format_type

__all__ = ["TypeMismatchError", "describe_unchecked", "mismatch_message", "sockets_table"]


def _who(op: Op | None, fallback: str) -> str:
    if op is None:
        return fallback
    return f"{op.name!r} ({op.primitive_type}, built at {op.location})"


def describe_mismatch(edge: Edge) -> str:
    owner = edge.owner
    producer = _who(edge.producer, f"the input of {owner.name!r}")
    consumer = _who(edge.consumer, edge.label)
    return (
        f"{edge.label} of {owner.kind} {owner.name!r} (built at {owner.location}):\n"
        f"    producer  {producer}\n"
        f"              returns {format_type(edge.src)}\n"
        f"    consumer  {consumer}\n"
        f"              expects {format_type(edge.dst)}\n"
        f"    {format_type(edge.src)} is not assignable to {format_type(edge.dst)}"
    )


def sockets_table(root: Op) -> str:
    """Every op with its input and output types and where it was built, as an aligned table."""
    rows = [("id", "node", "kind", "in", "out", "built at")]
    for op in walk(root):
        rows.append((str(op.node_id), op.name, op.kind, format_type(op.in_type), format_type(op.out_type), str(op.location)))
    widths = [min(40, max(len(r[i]) for r in rows)) for i in range(len(rows[0]))]
    return "\n".join("  " + "  ".join(cell[:40].ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def mismatch_message(mismatches: Sequence[Edge], root: Op) -> str:
    """The message of the TypeMismatchError for `mismatches` (every failing edge of the plan
    under `root`): each mismatch described, then the graph's sockets."""
    head = f"{len(mismatches)} type mismatch{'es' if len(mismatches) > 1 else ''} in workflow {root.name!r}"
    body = "\n".join(f"  [{i + 1}] {describe_mismatch(e)}" for i, e in enumerate(mismatches))
    return f"{head}:\n{body}\n  graph sockets:\n{sockets_table(root)}"


def describe_unchecked(edge: Edge) -> str:
    """Why an edge could not be checked (the reason shown by EXPLAIN)."""
    from ..dsl._types import UNKNOWN

    if edge.unchecked is not None:
        return edge.unchecked
    if edge.src is UNKNOWN:
        return "producer output not annotated"
    if edge.dst is UNKNOWN:
        return "consumer input not annotated"
    return f"cannot check {format_type(edge.src)} -> {format_type(edge.dst)} (Any, type variable or bare generic)"
