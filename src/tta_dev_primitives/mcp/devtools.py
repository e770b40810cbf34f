"""The package's own MCP tools: what a coding agent needs to work on a project's workflows.

    tta-primitives mcp devtools          # over stdio, for an MCP client that starts it
    tta-primitives mcp devtools --http   # streamable HTTP on 127.0.0.1:8000/mcp

They do what `tta-primitives explain`, `check` and `graph` do, for a TARGET named as on the
command line (`module:attribute` or `path/to/file.py:attribute`, relative to the server's working
directory). Loading a target imports its module, so serve these only to clients you would let
run the CLI in that directory. `apm.yml` lists them (generated from `DEVTOOLS`).
"""

from __future__ import annotations

from typing import Literal

import attrs

from ..compiler import Plan, compile
from ..dsl.core import Node
from ..errors import PrimitivesError
from ..stdlib.llm.tools import Tool, tool

__all__ = ["DEVTOOLS", "CheckReport", "GraphRequest", "PlanTarget", "check_plan", "explain_plan", "graph_plan"]


@attrs.frozen
class PlanTarget:
    """A workflow to compile: `module:attribute` or `path/to/file.py:attribute` (a Node, a Plan, or
    a function of that module with no arguments returning one); `strict` makes resilience lint
    findings errors."""

    target: str
    strict: bool = False


@attrs.frozen
class GraphRequest:
    """A workflow to draw, and the text format to draw it in."""

    target: str
    format: Literal["mermaid", "dot"] = "mermaid"


@attrs.frozen
class CheckReport:
    """What compiling a workflow found: `ok` is False when it did not compile (`error` says why)."""

    ok: bool
    plan: str
    ops: int
    edges: int
    checked_edges: int
    lints: list[str]
    error: str | None = None


def _compiled(target: str, strict: bool = False) -> Plan[object, object]:
    from ..cli import load_target

    loaded = load_target(target)
    if isinstance(loaded, Tool):
        return loaded.plan
    if isinstance(loaded, Plan):
        return loaded
    assert isinstance(loaded, Node)
    return compile(loaded, strict=strict)


def explain_plan(request: PlanTarget) -> str:
    """Compile a workflow and explain it: the plan's ops with their types and source locations,
    what each compiler pass changed, lint findings and the cost/latency analysis."""
    return _compiled(request.target, request.strict).explain()


def check_plan(request: PlanTarget) -> CheckReport:
    """Compile and type check a workflow without running it: whether it compiles (else the error,
    naming the node and the types), its size, how many edges were type checked, lint findings."""
    try:
        plan = _compiled(request.target, request.strict)
    except PrimitivesError as error:
        return CheckReport(False, request.target, 0, 0, 0, [], f"{type(error).__name__}: {error}")
    checked = sum(1 for edge in plan.edges if edge.checked)
    return CheckReport(True, plan.name, len(plan.ops()), len(plan.edges), checked, [str(lint) for lint in plan.lints])


def graph_plan(request: GraphRequest) -> str:
    """Draw a compiled workflow as Mermaid (the default) or Graphviz DOT text."""
    plan = _compiled(request.target)
    return plan.to_mermaid() if request.format == "mermaid" else plan.to_dot()


DEVTOOLS: tuple[Tool[PlanTarget, str], Tool[PlanTarget, CheckReport], Tool[GraphRequest, str]] = (
    tool(explain_plan),
    tool(check_plan),
    tool(graph_plan),
)
"""The tools `tta-primitives mcp devtools` serves, in the order `apm.yml` lists them."""
