"""Program[In, Out]: what the compiler produces, an inert compiled workflow.

It holds the optimized IR, what each pass changed, the edge verdicts, lints and the worst-case
analysis, and shows them (EXPLAIN, JSON, Mermaid, DOT). It knows nothing of running: the Plan
users hold (`tta_dev_primitives.plan`) is a Program that the executor and durable layers run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Generic, Literal, TypeVar

import attrs

from ._explain import render_explain
from ._ir import Op, walk
from .passes import Analysis, Change, EdgeReport, Lint
from ._serialize import fingerprint, op_to_dict
from ._types import format_type

__all__ = ["JSON_FORMAT", "Edges", "PassRecord", "Program"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)

JSON_FORMAT = "tta-plan/1"

Edges = tuple[EdgeReport, ...] | Callable[[], tuple[EdgeReport, ...]]
"""A program's edge verdicts, or how to work them out when first asked for (the typecheck pass
only needs to know that none fails; a plan that is never explained never builds them)."""


@attrs.frozen
class PassRecord:
    """What one pass did during compilation (or that it was disabled)."""

    name: str
    enabled: bool
    changes: tuple[Change, ...] = ()


class Program(Generic[In, Out]):
    """A compiled workflow as data: inspect it with `explain()`, `to_json()` and `fingerprint()`."""

    def __init__(
        self,
        root: Op,
        *,
        name: str,
        passes: tuple[PassRecord, ...],
        edges: Edges,
        lints: tuple[Lint, ...] = (),
        analysis: Analysis | None = None,
    ) -> None:
        self.root = root
        self.name = name
        self.passes = passes
        self._edges = edges
        self.lints = lints
        """Resilience lint findings (see the lint_resilience pass)."""
        self.analysis = analysis
        """Worst-case attempts, latency, cost, width and depth (None if `analyze` was disabled)."""
        self._fingerprint: str | None = None

    # -- inspection -----------------------------------------------------------------------------

    @property
    def edges(self) -> tuple[EdgeReport, ...]:
        """The typecheck pass's verdict on every edge, in plan order (empty if it was disabled)."""
        edges = self._edges
        if not isinstance(edges, tuple):  # worked out on first use (see `Edges`)
            edges = self._edges = edges()
        return edges

    @property
    def input_type(self) -> object:
        """The runtime type the plan accepts (from annotations; `?` when unknown)."""
        return self.root.in_type

    @property
    def output_type(self) -> object:
        """The runtime type the plan returns."""
        return self.root.out_type

    def ops(self) -> list[Op]:
        """Every op of the plan, parents before children."""
        return list(walk(self.root))

    def fingerprint(self) -> str:
        """A stable hash of the plan's structure, names and types (not source locations)."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self.root)
        return self._fingerprint

    def explain(self, *, locations: bool = True) -> str:
        """The final plan as a tree with edge types; then each pass and what it changed (rule id,
        action and reason), the lint findings and the worst-case analysis. `locations=False`
        leaves out source locations (for golden files)."""
        return render_explain(
            self.name, self.root, self.fingerprint(), self.passes, self.edges, self.lints, self.analysis, locations=locations
        )

    def to_dict(self, *, locations: bool = True) -> dict[str, object]:
        """The plan as JSON-compatible data (see `to_json`)."""
        analysis = self.analysis
        return {
            "format": JSON_FORMAT,
            "name": self.name,
            "in": format_type(self.root.in_type),
            "out": format_type(self.root.out_type),
            "fingerprint": self.fingerprint(),
            "root": op_to_dict(self.root, locations=locations),
            "passes": [
                {
                    "name": p.name,
                    "enabled": p.enabled,
                    "changes": [{"rule": c.rule, "action": c.action, "node": c.node, "detail": c.detail} for c in p.changes],
                }
                for p in self.passes
            ],
            "lints": [{"rule": x.rule, "severity": x.severity, "node": x.node, "message": x.message} for x in self.lints],
            "analysis": None
            if analysis is None
            else {
                "max_attempts": analysis.max_attempts,
                "max_attempts_node": analysis.max_attempts_node,
                "latency": None if math.isinf(analysis.latency) else analysis.latency,
                "cost": None if math.isinf(analysis.cost) or analysis.unpriced else analysis.cost,
                "unpriced": list(analysis.unpriced),
                "width": None if math.isinf(analysis.width) else analysis.width,
                "depth": analysis.depth,
            },
            "edges": [
                {
                    "owner": r.edge.owner.node_id,
                    "label": r.edge.label,
                    "src": format_type(r.edge.src),
                    "dst": format_type(r.edge.dst),
                    "checked": r.checked,
                    **({"reason": r.reason} if r.reason else {}),
                }
                for r in self.edges
            ],
        }

    def to_json(self, *, indent: int | None = 2, locations: bool = True) -> str:
        """The plan as JSON: ops with ids, kinds, names, types, locations, settings and children,
        plus the passes' changes, lints, analysis and every edge's verdict. Deterministic, so it
        round-trips through `json.loads` and serves as a golden file (`locations=False` drops
        source paths).

        Raises ValueError for a plan nested deeper than Python's json module encodes (about
        1,000 levels; `to_dict`, `explain` and `fingerprint` have no such limit)."""
        data = self.to_dict(locations=locations)
        try:
            return json.dumps(data, indent=indent, sort_keys=False)
        except RecursionError:
            raise ValueError(
                f"plan {self.name!r}: nested too deep for the json module to encode; use to_dict() with "
                "an encoder without a depth limit, or explain()"
            ) from None

    def to_mermaid(self) -> str:
        """The plan as a Mermaid flowchart (paste into Markdown)."""
        from ._render import to_mermaid

        return to_mermaid(self.root)

    def to_dot(self) -> str:
        """The plan as a Graphviz DOT graph."""
        from ._render import to_dot

        return to_dot(self.root)

    def render(self, path: str, *, format: Literal["svg", "png"] = "svg") -> str:
        """Draw the plan to `path` with Graphviz's `dot` (Debian package `graphviz`); returns
        the path. Raises RenderError when `dot` is not installed."""
        from ._render import render_with_graphviz

        return render_with_graphviz(self.to_dot(), path, format)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {format_type(self.root.in_type)} -> {format_type(self.root.out_type)}>"
