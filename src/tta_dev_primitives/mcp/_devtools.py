"""The package's own MCP tools: what a coding agent needs to work on a project's workflows.

    tta-primitives mcp devtools          # over stdio, for an MCP client that starts it
    tta-primitives mcp devtools --http   # streamable HTTP on 127.0.0.1:8000/mcp

They do what `tta-primitives explain`, `check` and `graph` do, for a TARGET named as on the
command line (`module:attribute` or `path/to/file.py:attribute`, relative to the server's working
directory). Each call runs that command in a fresh Python process: the agent's last edit is what
gets compiled (no module cache), and a target that prints, calls `sys.exit()`, crashes or hangs
cannot harm the server (a call is stopped after `TIMEOUT_S` seconds, or when the client cancels
it). Loading a target runs its module's code, so serve these only to clients you would let run
the CLI in that directory. `apm.yml` lists them (generated from `DEVTOOLS`). What a target prints
or raises reaches the agent redacted (`observability._redaction.scrub`), as a served plan's errors do.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal

import anyio
import attrs

from ..errors import DevtoolError
from ..observability._redaction import scrub
from ..stdlib.llm._tools import Tool, tool

__all__ = ["DEVTOOLS", "OUTPUT_LIMIT", "TIMEOUT_S", "CheckReport", "DevtoolError", "GraphRequest", "PlanTarget", "check_plan", "explain_plan", "graph_plan"]

TIMEOUT_S = 120.0
"""How long one call may take (importing and compiling the target) before it is stopped."""


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


OUTPUT_LIMIT = 1_000_000
"""Characters of a command's result (or error output) a tool returns; the rest is cut."""


def _read(path: Path) -> str:
    with path.open("rb") as file:
        data = file.read(OUTPUT_LIMIT + 1)
    text = data.decode("utf-8", "replace").strip()
    return text if len(data) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + " … (cut)"


async def _cli(command: str, target: str, *options: str) -> tuple[int, str, str]:
    """Run `tta-primitives COMMAND OPTIONS --output FILE -- TARGET` in a fresh interpreter of its
    own session: its exit status, the result it wrote to FILE, and what it printed (the target's
    own prints included). Its output goes to files, not pipes, so a process the target started
    cannot keep the call waiting; when the call ends (done, timed out or cancelled) the whole
    session is killed, the target's background processes with it."""
    with tempfile.TemporaryDirectory(prefix="tta-devtools-") as tmp:
        result, printed = Path(tmp) / "result", Path(tmp) / "printed"
        argv = [sys.executable, "-m", "tta_dev_primitives.cli", command, *options, "--output", str(result), "--", target]
        code = -1
        with printed.open("wb") as log, anyio.move_on_after(TIMEOUT_S) as scope:
            async with await anyio.open_process(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True) as process:
                try:
                    code = await process.wait()
                finally:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(process.pid, signal.SIGKILL)  # its session: the target's own children too
        if scope.cancelled_caught:
            raise DevtoolError(f"tta-primitives {command} {target}: stopped after {TIMEOUT_S:g} s")
        return code, _read(result) if result.exists() else "", _read(printed)


async def _text(command: str, target: str, *options: str) -> str:
    code, output, printed = await _cli(command, target, *options)
    if code != 0:
        message = "\n".join(part for part in (output, printed) if part).removeprefix("error: ")
        raise DevtoolError(scrub(message) or f"tta-primitives {command} exited with status {code}")
    return scrub(output)  # EXPLAIN shows constants as they are: a DSN with its password, say


def _strict(request: PlanTarget) -> list[str]:
    return ["--strict"] if request.strict else []


async def explain_plan(request: PlanTarget) -> str:
    """Compile a workflow and explain it: the plan's ops with their types and source locations,
    what each compiler pass changed, lint findings and the cost/latency analysis."""
    return await _text("explain", request.target, *_strict(request))


async def check_plan(request: PlanTarget) -> CheckReport:
    """Compile and type check a workflow without running it: whether it compiles (else the error,
    naming the node and the types), its size, how many edges were type checked, lint findings."""
    code, output, printed = await _cli("check", request.target, "--json", *_strict(request))
    try:  # the report has a file of its own: what the target prints cannot be taken for it
        report = json.loads(output) if output else None
    except ValueError:
        report = None
    if not isinstance(report, dict):  # the process died before it could answer
        return CheckReport(False, request.target, error=scrub(printed)[-4000:] or f"tta-primitives check exited with status {code}")
    return CheckReport(
        bool(report.get("ok")),
        request.target,
        report.get("plan"),
        int(report.get("ops", 0)),
        int(report.get("edges", 0)),
        int(report.get("checked_edges", 0)),
        [scrub(str(lint)) for lint in report.get("lints", [])],
        None if report.get("error") is None else scrub(str(report["error"])),
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
