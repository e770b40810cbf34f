"""The plan as JSON-compatible data, and its fingerprint."""

from __future__ import annotations

import hashlib
import json

from .._deep import depth_independent
from ._ir import Op, walk
from ._types import format_type

__all__ = ["fingerprint", "op_to_dict"]


def _own_fields(op: Op, locations: bool) -> dict[str, object]:
    data: dict[str, object] = {
        "id": op.node_id,
        "kind": op.kind,
        "name": op.name,
        "primitive_type": op.primitive_type,
        "in": format_type(op.in_type),
        "out": format_type(op.out_type),
    }
    if locations:
        data["location"] = str(op.location)
    params = op.params()
    if params:
        data["params"] = params
    return data


@depth_independent
def op_to_dict(op: Op, *, locations: bool = True) -> dict[str, object]:
    """The op and its subtree as nested JSON-compatible dicts."""
    data = _own_fields(op, locations)
    if op.children:
        data["children"] = [op_to_dict(c, locations=locations) for c in op.children]
    return data


def fingerprint(op: Op) -> str:
    """A hash of the plan's structure, names, types and settings (not of source locations), so it
    is stable across runs and machines and changes when the workflow does.

    Hashed over the ops in depth-first order, each with its number of children (which fixes the
    tree), so that a deeply nested plan needs no deeply nested JSON."""
    digest = hashlib.sha256()
    for each in walk(op):
        own = _own_fields(each, locations=False) | {"n": len(each.children)}
        digest.update(json.dumps(own, sort_keys=True, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]
