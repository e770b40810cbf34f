"""The plan as JSON-compatible data, and its fingerprint."""

from __future__ import annotations

import hashlib
import json

from .ir import Op
from .types import format_type

__all__ = ["fingerprint", "op_to_dict"]


def op_to_dict(op: Op, *, locations: bool = True) -> dict[str, object]:
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
    if op.children:
        data["children"] = [op_to_dict(c, locations=locations) for c in op.children]
    return data


def fingerprint(op: Op) -> str:
    """A hash of the plan's structure, names, types and settings (not of source locations), so it
    is stable across runs and machines and changes when the workflow does."""
    canonical = json.dumps(op_to_dict(op, locations=False), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
