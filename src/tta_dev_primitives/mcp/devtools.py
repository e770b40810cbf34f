"""The package's own MCP tools: what a coding agent needs to work on a project's workflows.

    tta-primitives mcp devtools          # over stdio, for an MCP client that starts it
    tta-primitives mcp devtools --http   # streamable HTTP on 127.0.0.1:8000/mcp

They do what `tta-primitives explain`, `check` and `graph` do, for a TARGET named as on the
command line (`module:attribute` or `path/to/file.py:attribute`, relative to the server's working
directory). Each call runs that command in a fresh Python process: the agent's last edit is what
gets compiled (no module cache), and a target that prints, calls `sys.exit()`, crashes or hangs
cannot harm the server (a call is stopped after `TIMEOUT_S` seconds, or when the client cancels
it). Loading a target runs its module's code, so serve these only to clients you would let run
the CLI in that directory. `apm.yml` lists them (generated from `DEVTOOLS`).
"""

from __future__ import annotations

import json
import sys
from typing import Literal

import anyio
import attrs

from ..errors import PrimitivesError
from ..stdlib.llm.tools import Tool, tool

__all__ = ["DEVTOOLS", "TIMEOUT_S", "CheckReport", "DevtoolError", "GraphRequest", "PlanTarget", "check_plan", "explain_plan", "graph_plan"]

TIMEOUT_S = 120.0
"""How long one call may take (importing and compiling the target) before it is stopped."""


class DevtoolError(PrimitivesError):
    """The command behind a devtool failed: the target did not load or compile, or timed out."""


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
    """What compiling a workflow found: `ok` is False when it did not compile (`error` says why,
    naming the node and the types); `plan` is the compiled plan's name."""

    ok: bool
    target: str
    plan: str | None = None
    ops: int = 0
    edges: int = 0
    checked_edges: int = 0
    lints: list[str] = attrs.field(factory=list)
    error: str | None = None


async def _cli(*args: str) -> tuple[int, str, str]:
    """Run `tta-primitives ARGS` in a fresh interpreter: its exit status, standard output and
    standard error."""
    command = [sys.executable, "-m", "tta_dev_primitives.cli", *args]
    with anyio.move_on_after(TIMEOUT_S) as scope:
        done = await anyio.run_process(command, check=False)  # cancelled: the process is killed
    if scope.cancelled_caught:
        raise DevtoolError(f"tta-primitives {' '.join(args)}: stopped after {TIMEOUT_S:g} s")
    return done.returncode, done.stdout.decode("utf-8", "replace").strip(), done.stderr.decode("utf-8", "replace").strip()


async def _text(*args: str) -> str:
    code, output, errors = await _cli(*args)
    if code != 0:
        message = "\n".join(part for part in (output, errors) if part).removeprefix("error: ")
        raise DevtoolError(message or f"tta-primitives {args[0]} exited with status {code}")
    return output


def _strict(request: PlanTarget) -> list[str]:
    return ["--strict"] if request.strict else []


async def explain_plan(request: PlanTarget) -> str:
    """Compile a workflow and explain it: the plan's ops with their types and source locations,
    what each compiler pass changed, lint findings and the cost/latency analysis."""
    return await _text("explain", request.target, *_strict(request))


async def check_plan(request: PlanTarget) -> CheckReport:
    """Compile and type check a workflow without running it: whether it compiles (else the error,
    naming the node and the types), its size, how many edges were type checked, lint findings."""
    code, output, errors = await _cli("check", request.target, "--json", *_strict(request))
    try:  # the report is the last line: the target's module may have printed before it
        report = json.loads(output.splitlines()[-1]) if output else None
    except ValueError:
        report = None
    if not isinstance(report, dict):  # the process died before it could answer
        died = "\n".join(part for part in (output, errors[-2000:]) if part)
        return CheckReport(False, request.target, error=died or f"tta-primitives check exited with status {code}")
    return CheckReport(
        bool(report.get("ok")),
        request.target,
        report.get("plan"),
        int(report.get("ops", 0)),
        int(report.get("edges", 0)),
        int(report.get("checked_edges", 0)),
        [str(lint) for lint in report.get("lints", [])],
        report.get("error"),
    )


async def graph_plan(request: GraphRequest) -> str:
    """Draw a compiled workflow as Mermaid (the default) or Graphviz DOT text."""
    return await _text("graph", request.target, "--format", request.format)


DEVTOOLS: tuple[Tool[PlanTarget, str], Tool[PlanTarget, CheckReport], Tool[GraphRequest, str]] = (
    tool(explain_plan),
    tool(check_plan),
    tool(graph_plan),
)
"""The tools `tta-primitives mcp devtools` serves, in the order `apm.yml` lists them."""
