"""Plans as pictures: Mermaid, Graphviz DOT, and SVG/PNG through Graphviz's `dot`.

Leaves (calls, constants) are boxes; every structural op is a labelled cluster around its
children; arrows are the data flow with the type on each sequence edge. Both renderers share
one graph model built here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import attrs

from ..errors import RenderError
from .._deep import depth_independent
from ._ir import BranchOp, Op, SeqOp
from ._types import format_type

__all__ = ["RenderError", "render_with_graphviz", "to_dot", "to_mermaid"]


@attrs.define
class _Cluster:
    ident: str
    label: str
    nodes: list[str] = attrs.field(factory=list)
    clusters: list[_Cluster] = attrs.field(factory=list)


@attrs.define
class _Graph:
    labels: dict[str, str] = attrs.field(factory=dict)
    edges: list[tuple[str, str, str, bool]] = attrs.field(factory=list)  # src, dst, label, dashed
    top: _Cluster = attrs.field(factory=lambda: _Cluster("top", ""))


@depth_independent
def _build(op: Op, graph: _Graph, cluster: _Cluster) -> tuple[list[str], list[str]]:
    """Add `op` to `graph`; return its entry and exit node ids."""
    if not op.children:
        ident = f"n{op.node_id}"
        graph.labels[ident] = f"{op.name}\n{format_type(op.in_type)} → {format_type(op.out_type)}"
        cluster.nodes.append(ident)
        return [ident], [ident]
    inner = _Cluster(f"c{op.node_id}", f"{op.kind} {op.name}")
    cluster.clusters.append(inner)
    parts = [_build(child, graph, inner) for child in op.children]
    if isinstance(op, SeqOp):
        for (_, exits), (entries, _), step in zip(parts, parts[1:], op.children):
            graph.edges.extend((a, b, format_type(step.out_type), False) for a in exits for b in entries)
        return parts[0][0], parts[-1][1]
    if isinstance(op, BranchOp) or op.kind in ("route", "compensated"):
        head, arms = parts[0], parts[1:]
        labels = ["true", "false"] if isinstance(op, BranchOp) else ["on failure"] if op.kind == "compensated" else [""] * len(arms)
        for (entries, _), label in zip(arms, labels):
            graph.edges.extend((a, b, label, True) for a in head[1] for b in entries)
        if op.kind == "compensated":
            return head
        return head[0], [x for _, exits in arms for x in exits]
    return [x for entries, _ in parts for x in entries], [x for _, exits in parts for x in exits]


def _graph(root: Op) -> _Graph:
    graph = _Graph()
    graph.labels["input"] = f"input: {format_type(root.in_type)}"
    graph.labels["output"] = f"output: {format_type(root.out_type)}"
    entries, exits = _build(root, graph, graph.top)
    graph.edges[:0] = [("input", b, "", False) for b in entries]
    graph.edges.extend((a, "output", "", False) for a in exits)
    return graph


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def to_mermaid(root: Op) -> str:
    """A Mermaid `flowchart TD` of the plan."""
    graph = _graph(root)
    lines = ["flowchart TD", f'  input(["{_mermaid_text(graph.labels["input"])}"])']

    @depth_independent
    def emit(cluster: _Cluster, indent: str) -> None:
        for ident in cluster.nodes:
            lines.append(f'{indent}{ident}["{_mermaid_text(graph.labels[ident])}"]')
        for sub in cluster.clusters:
            lines.append(f'{indent}subgraph {sub.ident}["{_mermaid_text(sub.label)}"]')
            emit(sub, indent + "  ")
            lines.append(f"{indent}end")

    emit(graph.top, "  ")
    lines.append(f'  output(["{_mermaid_text(graph.labels["output"])}"])')
    for src, dst, label, dashed in graph.edges:
        arrow = "-.->" if dashed else "-->"
        lines.append(f"  {src} {arrow}|{_mermaid_text(label)}| {dst}" if label else f"  {src} {arrow} {dst}")
    return "\n".join(lines)


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def to_dot(root: Op) -> str:
    """A Graphviz DOT digraph of the plan."""
    graph = _graph(root)
    lines = [
        "digraph plan {",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
        f'  input [shape=oval, label="{_dot_text(graph.labels["input"])}"];',
        f'  output [shape=oval, label="{_dot_text(graph.labels["output"])}"];',
    ]

    @depth_independent
    def emit(cluster: _Cluster, indent: str) -> None:
        for ident in cluster.nodes:
            lines.append(f'{indent}{ident} [label="{_dot_text(graph.labels[ident])}"];')
        for sub in cluster.clusters:
            lines.append(f"{indent}subgraph cluster_{sub.ident} {{")
            lines.append(f'{indent}  label="{_dot_text(sub.label)}"; style="dashed";')
            emit(sub, indent + "  ")
            lines.append(f"{indent}}}")

    emit(graph.top, "  ")
    for src, dst, label, dashed in graph.edges:
        attrs_ = [f'label="{_dot_text(label)}"'] if label else []
        if dashed:
            attrs_.append("style=dashed")
        lines.append(f"  {src} -> {dst}" + (f" [{', '.join(attrs_)}]" if attrs_ else "") + ";")
    lines.append("}")
    return "\n".join(lines)


def render_with_graphviz(dot_source: str, path: str, format: str) -> str:
    """Run `dot -T<format>` on the source and write `path`."""
    if format not in ("svg", "png"):
        raise RenderError(f"render: format must be 'svg' or 'png', got {format!r}")
    binary = shutil.which("dot")
    if binary is None:
        raise RenderError("render: Graphviz's `dot` is not installed (Debian: apt-get install graphviz); use to_dot() or to_mermaid()")
    proc = subprocess.run([binary, f"-T{format}", "-o", path], input=dot_source.encode(), capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise RenderError(f"render: dot failed ({proc.returncode}): {proc.stderr.decode(errors='replace').strip()}")
    return str(Path(path))
