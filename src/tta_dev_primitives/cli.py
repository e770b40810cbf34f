"""`tta-primitives`: explain, graph, check and run workflows from the command line.

    tta-primitives explain examples/quickstart.py:pipeline
    tta-primitives graph myapp.flows:pipeline --format svg -o plan.svg
    tta-primitives check myapp.flows:pipeline --strict --max-cost 0.50     # non-zero exit on errors
    tta-primitives run myapp.flows:pipeline --input '"hello"'
    tta-primitives run myapp.flows:add --input '{"a": 1, "b": 2}'           # JSON -> the plan's input type (a dataclass, ...)
    tta-primitives run myapp.flows:pipeline --input '["a", "b", "c"]' --map --concurrency 8
    tta-primitives mcp serve myapp.flows:pipeline myapp.flows:summarize          # MCP tools over stdio
    tta-primitives mcp serve myapp.flows:pipeline --http --port 8765            # streamable HTTP on 127.0.0.1
    tta-primitives mcp serve flows.py:pipeline --description "Summarise a text"  # a plan without a docstring
    tta-primitives mcp serve myapp.flows:pipeline --http --host 0.0.0.0 --token-env MCP_TOKEN  # bearer token required
    tta-primitives mcp devtools                     # this package's tools: explain_plan, check_plan, graph_plan
    tta-primitives apm --write                      # regenerate apm.yml from the package

TARGET is `module:attribute` or `path/to/file.py:attribute`; the attribute is a Node, a Plan, or a
function of no arguments returning one. `python -m tta_dev_primitives ...` is the same command.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import TextIO

import anyio

from .plan import Plan, compile
from .observability._redaction import scrub
from .compiler.passes import Budget
from .dsl._core import Node
from .errors import ConfigError, PrimitivesError, TargetError
from .extras import quiet_closed_pipes as _quiet_closed_pipes
from .executor._concurrency import bare_fatal_errors

__all__ = ["main"]


class _Failed(Exception):
    """A command failed: `main` prints `report` on stderr and exits with `code` (2: bad usage)."""

    def __init__(self, report: str, code: int = 1) -> None:
        super().__init__(report)
        self.report, self.code = report, code


def load_target(spec: str) -> object:
    """The Node or Plan named by `module:attr` or `file.py:attr` (see `_workflow_of`).

    A file is imported under a private module name (`_tta_target_<hash>_<stem>`), so a target
    called `json.py` cannot shadow the standard library. Its directory is appended to `sys.path`
    once, for its own sibling imports: at the end, so neither the file (a later `import json`)
    nor its neighbours can shadow the standard library or installed packages. Module targets
    resolve from the working directory first, as `python -m` does. Any failure to import raises
    TargetError naming the target, never a traceback.
    """
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise TargetError(f"target {spec!r}: expected MODULE:ATTRIBUTE or path/to/file.py:ATTRIBUTE")
    module = _import_file(spec, module_part) if module_part.endswith(".py") or "/" in module_part else _import_module(spec, module_part)
    try:
        obj: object = getattr(module, attr)
    except AttributeError:
        where = module_part if module.__name__.startswith("_tta_target_") else module.__name__  # a file: its path, not our private name
        public = sorted(name for name, value in vars(module).items() if not name.startswith("_") and isinstance(value, (Node, Plan)))
        hint = f" (its workflows: {', '.join(public[:10])})" if public else ""
        raise TargetError(f"target {spec!r}: {where} has no attribute {attr!r}{hint}") from None
    return _workflow_of(spec, module, obj)


def _on_path(directory: Path, *, first: bool) -> None:
    """Put `directory` on `sys.path` if absent: first (it wins over installed modules) or last."""
    entry = str(directory)
    if entry not in sys.path:
        sys.path.insert(0 if first else len(sys.path), entry)


def _import_module(spec: str, name: str) -> ModuleType:
    _on_path(Path.cwd(), first=True)
    try:
        return importlib.import_module(name)
    except (Exception, SystemExit) as error:  # not found, a syntax error, an error or sys.exit() while importing
        raise TargetError(f"target {spec!r}: cannot import module {name!r}: {_failure(error)}") from None


def _import_file(spec: str, file: str) -> ModuleType:
    path = Path(file).resolve()
    if not path.is_file():
        raise TargetError(f"target {spec!r}: no such file {path}")
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    name = f"_tta_target_{digest}_{re.sub(r'[^A-Za-z0-9_]', '_', path.stem)}"
    loaded = sys.modules.get(name)
    if isinstance(loaded, ModuleType):
        return loaded
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise TargetError(f"target {spec!r}: cannot import {path}")
    module = importlib.util.module_from_spec(loader_spec)
    _on_path(path.parent, first=False)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    try:
        loader_spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        del sys.modules[name]
        raise TargetError(f"target {spec!r}: importing {path} failed: {_failure(error)}") from None
    return module


def _failure(error: BaseException) -> str:
    """`Type: message` for an error raised by a target's code (sys.exit() included)."""
    if isinstance(error, SystemExit):
        return f"it called sys.exit({error.code!r})"
    return f"{type(error).__name__}: {_message(error)}"


def _message(error: BaseException) -> str:
    """`str(error)`, or a placeholder if its `__str__` itself fails."""
    try:
        return str(error)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the error being reported
        return "<a message that cannot be rendered>"


def _workflow_of(spec: str, module: ModuleType, obj: object) -> object:
    """`obj` if it is a Node or Plan; else, if it is a function of this module that takes no
    arguments, what it returns (which must be one). Nothing else is ever called: not builtins
    (`os:abort`), classes, or functions imported from elsewhere."""
    from .stdlib.llm._tools import Tool

    if isinstance(obj, (Node, Plan, Tool)):  # a Tool: for `mcp serve` (the other commands want a plan)
        return obj
    if not (inspect.isfunction(obj) and obj.__module__ == module.__name__ and _takes_no_arguments(obj)):
        raise TargetError(
            f"target {spec!r}: expected a Node, a Plan, or a function of this module with no required "
            f"arguments returning one; got {type(obj).__name__}"
        )
    try:
        built: object = obj()
    except (Exception, SystemExit) as error:
        raise TargetError(f"target {spec!r}: calling {obj.__name__}() failed: {_failure(error)}") from None
    if not isinstance(built, (Node, Plan, Tool)):
        raise TargetError(f"target {spec!r}: {obj.__name__}() returned {type(built).__name__}, expected a Node or a Plan")
    return built


def _takes_no_arguments(fn: Callable[..., object]) -> bool:
    parameters = inspect.signature(fn).parameters.values()
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters)


def _loaded(args: argparse.Namespace) -> object:
    """The command's target, loaded with what its module prints sent to stderr: standard output
    carries the command's own result (a graph, an explanation, JSON)."""
    with _stdout_to_stderr():
        return load_target(args.target)


def _plan(target: object, args: argparse.Namespace) -> Plan[object, object]:
    from .compiler.passes._lint import LintError
    from .stdlib.llm._tools import Tool

    if isinstance(target, (Tool, Plan)):
        plan = target.plan if isinstance(target, Tool) else target
        given = [flag for flag, value in (("--disable", args.disable), ("--max-cost", args.max_cost), ("--max-latency", args.max_latency),
                                          ("--max-attempts", args.max_attempts), ("--state-key", args.state_key)) if value]
        if given:
            raise TargetError(f"target {args.target!r} is already compiled: {', '.join(given)} apply when compiling; point TARGET at its Node")
        if args.strict and plan.lints:  # what compile(strict=True) would have refused
            raise LintError(list(plan.lints))
        return plan
    assert isinstance(target, Node)
    budget = None
    if any(v is not None for v in (args.max_cost, args.max_latency, args.max_attempts)):
        budget = Budget(max_cost=args.max_cost, max_latency=args.max_latency, max_attempts=args.max_attempts)
    return compile(target, disable=args.disable, strict=args.strict, budget=budget, state_keys=args.state_key)


def _jsonable(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    import attrs

    if attrs.has(type(value)):
        return attrs.asdict(value)  # type: ignore[arg-type]
    return str(value)


def _cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    plan = _plan(_loaded(args), args)
    _emit(plan.explain(locations=not args.no_locations), args, out)
    return 0


def _emit(text: str, args: argparse.Namespace, out: TextIO) -> None:
    """The command's result, to `--output FILE` when given (then its path is printed), else `out`."""
    if args.output:
        _write(args.output, text + "\n")
        print(args.output, file=out)
    else:
        print(text, file=out)


def _write(path: str | Path, text: str) -> None:
    """Write `text` to `path`; an OS error is a `_Failed` naming the file, not a traceback."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise _Failed(f"error: cannot write {path}: {error.strerror or error}") from None


def _cmd_graph(args: argparse.Namespace, out: TextIO) -> int:
    plan = _plan(_loaded(args), args)
    if args.format in ("svg", "png"):
        path = args.output or f"{plan.name.replace(' ', '_')[:40]}.{args.format}"
        print(plan.render(path, format=args.format), file=out)
        return 0
    _emit(plan.to_mermaid() if args.format == "mermaid" else plan.to_dot(), args, out)
    return 0


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    try:
        plan = _plan(_loaded(args), args)
    except PrimitivesError as error:
        if not args.json:
            raise  # `main` reports it on stderr
        _emit(json.dumps({"ok": False, "target": args.target, "error": f"{type(error).__name__}: {error}"}), args, out)
        return 1
    checked = sum(1 for e in plan.edges if e.checked)
    if args.json:
        report = {"ok": True, "target": args.target, "plan": plan.name, "ops": len(plan.ops()), "edges": len(plan.edges),
                  "checked_edges": checked, "lints": [str(lint) for lint in plan.lints]}
        _emit(json.dumps(report), args, out)
        return 0
    for lint in plan.lints:
        print(str(lint), file=out)
    print(
        f"ok: plan {plan.name!r} compiled: {len(plan.ops())} ops, {checked}/{len(plan.edges)} edges checked, "
        f"{len(plan.lints)} lint warning(s)",
        file=out,
    )
    return 0


def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    plan = _plan(_loaded(args), args)
    try:
        value = json.loads(args.input)
    except json.JSONDecodeError as error:
        hint = f" (a string is quoted: --input '{json.dumps(args.input)}')" if plan.input_type is str else ""
        raise _Failed(f"error: --input is not JSON: {error}{hint}", 2) from None
    except RecursionError:
        raise _Failed("error: --input is nested too deeply to read", 2) from None
    typed = _input_of(plan)
    if args.map:
        if not isinstance(value, list):
            raise _Failed("error: --map needs a JSON list as --input", 2)
        items = [typed(item, f"--input[{index}]") for index, item in enumerate(value)]
        runner: Callable[[], Awaitable[object]] = functools.partial(_run_many, plan, items, args.concurrency)
    else:
        runner = functools.partial(plan.run, typed(value, "--input"))
    try:
        result = anyio.run(runner, backend=args.backend)
    except Exception as error:  # the plan failed: say where, as one report (no traceback), on stderr
        raise _Failed(_run_failure(error)) from None
    try:
        text = json.dumps(result, default=_jsonable, indent=2)
    except Exception as error:  # noqa: BLE001 - tuple keys, a cycle, a failing __str__: one line, not a traceback
        raise _Failed(f"error: the result of {args.target!r} is not JSON-serialisable: {_message(error)}") from None
    print(text, file=out)
    return 0


def _input_of(plan: Plan[object, object]) -> Callable[[object, str], object]:
    """`typed(value, field)`: a decoded `--input` (or one item of it) as a value of the plan's
    input type, by the conversion tools and MCP use (`convert_input`: a dict becomes the
    dataclass, attrs class, TypedDict or msgspec Struct, a field it does not have is refused); a
    JSONInputError naming the field and what was expected is one line, exit code 2. A type with
    no JSON Schema (or no msgspec installed) takes plain data as it is, as before."""
    from .compiler._types import format_type
    from .dsl._types import UNKNOWN
    from .errors import BuildError, JSONInputError, MissingExtraError
    from .executor._outputs import output_checker
    from .stdlib.llm._schema import convert_input, type_schema

    tp = plan.input_type
    where = f"plan {plan.name!r}"
    if tp is UNKNOWN or tp is object:
        return lambda value, field: value
    try:
        validator = type_schema(tp, where=where, closed=True)
    except (BuildError, MissingExtraError) as error:  # no schema for the type, or no msgspec
        accepts, reason = output_checker(tp), str(error)

        def as_it_is(value: object, field: str) -> object:
            if accepts is None or accepts(value):
                return value
            raise _Failed(f"error: {field} cannot be read as a {format_type(tp)}: {reason}", 2)  # say why: msgspec missing, or no schema

        return as_it_is

    def typed(value: object, field: str) -> object:
        try:
            return convert_input(validator, value, where=where, field=field)
        except JSONInputError as error:
            raise _Failed(f"error: {type(error).__name__}: {error}", 2) from None

    return typed


async def _run_many(plan: Plan[object, object], items: list[object], concurrency: int) -> list[object]:
    """`plan.map` over items (ParallelError naming the failed items), with a progress line on
    stderr when it is a terminal (a log or a pipe gets no carriage returns)."""
    from .executor._runner import run_many

    done = 0
    stderr = sys.stderr
    shown = _is_terminal(stderr)

    def progress(_: int) -> None:
        nonlocal done
        done += 1
        print(f"\r{done}/{len(items)} done", end="", file=stderr, flush=True)

    try:
        with bare_fatal_errors():  # Ctrl-C stops the map with a plain KeyboardInterrupt
            return await run_many(plan, items, concurrency, None, on_item=progress if shown else None)
    finally:
        if done:
            print(file=stderr)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: no progress
        return False


def _run_failure(error: BaseException) -> str:
    """`error: Type: message`, its notes (where in the plan), and a group's members likewise."""
    lines = [f"error: {_failure(error)}", *(f"  {note}" for note in getattr(error, "__notes__", ()))]
    for member in getattr(error, "exceptions", ()):
        lines += ["  " + line for line in _run_failure(member).splitlines()]
    return "\n".join(lines)


def _cmd_mcp_serve(args: argparse.Namespace, out: TextIO) -> int:
    """Serve the targets as MCP tools. Under stdio the protocol gets a private copy of standard
    output first, and file descriptor 1 becomes stderr for the rest of the process: nothing a
    target prints, at import or later from its threads, can reach the protocol. Over HTTP the
    bearer token comes from the environment (`--token-env NAME`), never the command line, where
    `ps` would show it."""
    from .mcp._server import PlanToolServer, StaticTokenVerifier, _run_app, endpoint, listening_socket

    if args.token_env is not None and not args.http:
        raise _Failed("error: --token-env protects HTTP only: add --http (over stdio, only the process that started the server can talk to it)")
    description = getattr(args, "description", None)
    if description is not None and len(args.targets) != 1:
        raise _Failed(f"error: --description describes one tool, and {len(args.targets)} targets were given: serve them one per command", 2)
    if description is not None and not description.strip():
        raise _Failed("error: --description is empty: the tool's description is what a model reads to decide when to call it", 2)
    protocol = None if args.http else _claim_stdout()
    try:
        if args.mcp_command == "devtools":
            from .extras import require_extra

            require_extra("mcp", "tta-primitives mcp devtools")  # the whole extra first: one install fixes it
            from .mcp._devtools import DEVTOOLS

            targets: list[object] | dict[str, object] = list(DEVTOOLS)
        else:
            targets = _tools_by_name(args.targets, description)
        server = PlanToolServer(targets, name=args.name)  # build errors (a missing description, a duplicate name) before serving
        verifier = None
        if args.token_env is not None:
            token = os.environ.get(args.token_env, "")
            if not token:
                raise _Failed(f"error: --token-env {args.token_env}: environment variable {args.token_env} is not set (or is empty)")
            verifier = StaticTokenVerifier(token)
        app = server.http_app(host=args.host, token_verifier=verifier) if protocol is None else None  # a public host without a token: refused here
    except PrimitivesError as error:
        report = f"{type(error).__name__}: {error}"
        if isinstance(error, ConfigError) and error.field == "description" and error.got is None:
            report = (f"{type(error).__name__}: {error.node} has no description, and no docstring to take one from: give it one with "
                      "--description TEXT (what a model reads to decide when to call it)")
        raise _Failed(f"error: {report}") from None  # on stderr: fd 1 may be the protocol's
    sock = None
    if app is not None:  # bound before the start line: a client may connect as soon as it reads it
        try:
            sock = listening_socket(args.host, args.port)
        except OSError as error:
            raise _Failed(f"error: cannot listen on {args.host} port {args.port}: {error.strerror or error}") from None
        guarded = " (bearer token required)" if verifier is not None else ""
        print(f"serving {', '.join(server.tools)} over MCP streamable HTTP at {endpoint(args.host, sock)}{guarded}", file=sys.stderr, flush=True)

    async def serve() -> None:
        if app is not None:
            await _run_app(app, host=args.host, port=args.port, sock=sock)
        else:
            await server.run_stdio(stdout_fd=protocol)

    anyio.run(serve)
    return 0


def _claim_stdout() -> int:
    """A private duplicate of file descriptor 1 for the protocol; fd 1 (and `sys.stdout`) then
    write to stderr."""
    sys.stdout.flush()
    protocol = os.dup(1)
    os.dup2(2, 1)
    return protocol


def _cmd_apm(args: argparse.Namespace, out: TextIO) -> int:
    """Print apm.yml as generated from the package, write it, or check a file against it."""
    from .apm_metadata import render_apm

    text = render_apm()
    path = Path(args.file)
    if args.check:
        if not path.is_file():
            print(f"{path} does not exist; run: tta-primitives apm --write", file=out)
            return 1
        try:
            current = path.read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise _Failed(f"error: cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
        if current != text:
            print(f"{path} is out of date with the package; run: tta-primitives apm --write", file=out)
            return 1
        print(f"{path} is up to date", file=out)
    elif args.write:
        _write(path, text)
        print(path, file=out)
    else:
        print(text, end="", file=out)
    return 0


def _tools_by_name(specs: Sequence[str], description: str | None = None) -> dict[str, object]:
    """The targets by tool name: the node's or tool's own name where it is a valid tool name,
    else the attribute's (`flow.py:flow` serves an unnamed `a >> b` as `flow`). `description`
    (`--description`, one target) replaces the tool's description, or gives a plan without a
    docstring one."""
    import attrs

    from .stdlib.llm._tools import TOOL_NAME, Tool, tool

    named: dict[str, object] = {}
    for spec in specs:
        target = load_target(spec)
        own = target.name if isinstance(target, (Tool, Plan, Node)) else ""
        name = own if TOOL_NAME.fullmatch(own) else spec.rpartition(":")[2]
        if name in named:
            raise TargetError(f"target {spec!r}: a second tool named {name!r}; give one of them another name with .named(...)")
        if description is not None:
            if isinstance(target, Tool):
                target = attrs.evolve(target, description=description)
            elif isinstance(target, (Plan, Node)):
                target = tool(target, name=name, description=description)
        named[name] = target
    return named


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what importing a target prints (Python or C level) to stderr while the block runs:
    standard output carries the command's result."""
    saved = _claim_stdout()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        if sys.__stdout__ is not None:
            sys.__stdout__.flush()  # what was written to it went to stderr: it must not reach the result later
        os.dup2(saved, 1)
        os.close(saved)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tta-primitives", description="Inspect, check and run tta-dev-primitives workflows.")
    sub = parser.add_subparsers(dest="command", required=True)

    def target(p: argparse.ArgumentParser) -> None:
        p.add_argument("target", help="MODULE:ATTRIBUTE or path/to/file.py:ATTRIBUTE (a Node, a Plan, or a function returning one)")
        p.add_argument("--disable", action="append", default=[], metavar="PASS", help="skip a compiler pass (repeatable)")
        p.add_argument("--strict", action="store_true", help="resilience lint findings are errors")
        p.add_argument("--max-cost", type=float, help="budget: worst-case USD per run")
        p.add_argument("--max-latency", type=float, help="budget: worst-case seconds per run")
        p.add_argument("--max-attempts", type=int, help="budget: worst-case calls of one leaf per run")
        p.add_argument("--state-key", action="append", default=[], metavar="KEY", help="a RunContext.state key the caller provides")

    explain = sub.add_parser("explain", help="print the compiled plan, what each pass did, lints and analysis")
    target(explain)
    explain.add_argument("--no-locations", action="store_true", help="leave out source locations")
    explain.add_argument("-o", "--output", help="file to write (default: stdout)")
    explain.set_defaults(handler=_cmd_explain)

    graph = sub.add_parser("graph", help="draw the plan (Mermaid, DOT, or SVG/PNG through Graphviz)")
    target(graph)
    graph.add_argument("--format", choices=["mermaid", "dot", "svg", "png"], default="mermaid")
    graph.add_argument("-o", "--output", help="file to write (default: stdout for text formats)")
    graph.set_defaults(handler=_cmd_graph)

    check = sub.add_parser("check", help="compile, type check and lint; exit 1 on errors (for CI)")
    target(check)
    check.add_argument("--json", action="store_true", help="print one JSON object: ok, plan, ops, edges, checked_edges, lints or error")
    check.add_argument("-o", "--output", help="with --json: file to write the object to (default: stdout)")
    check.set_defaults(handler=_cmd_check)

    run = sub.add_parser("run", help="run the plan on a JSON input and print the JSON result")
    target(run)
    run.add_argument("--input", required=True, help="the input, as JSON, converted to the plan's input type (an object becomes its dataclass, attrs class, TypedDict, ...)")
    run.add_argument("--map", action="store_true", help="the input is a list: run each item (with a progress line on a terminal)")
    run.add_argument("--concurrency", type=int, default=8, help="with --map: items in flight at once")
    run.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    run.set_defaults(handler=_cmd_run)

    mcp = sub.add_parser("mcp", help="serve plans as MCP tools (extra 'mcp')")
    mcp_sub = mcp.add_subparsers(dest="mcp_command", required=True)
    serve = mcp_sub.add_parser("serve", help="serve each TARGET as an MCP tool, over stdio (default) or streamable HTTP")
    serve.add_argument("targets", nargs="+", metavar="TARGET", help="MODULE:ATTRIBUTE or path/to/file.py:ATTRIBUTE")
    serve.add_argument(
        "--description", metavar="TEXT", help="the tool's description for clients and their models (one TARGET; default: its docstring)"
    )
    devtools = mcp_sub.add_parser("devtools", help="serve this package's own tools (explain_plan, check_plan, graph_plan) for coding agents")
    for served in (serve, devtools):
        served.add_argument("--http", action="store_true", help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio")
        served.add_argument("--host", default="127.0.0.1", help="with --http: the interface to listen on; any but loopback needs --token-env")
        served.add_argument(
            "--token-env",
            metavar="NAME",
            help="with --http: clients must send 'Authorization: Bearer TOKEN', TOKEN being the value of environment variable NAME "
            "(at least 16 characters; never put a token on the command line)",
        )
        served.add_argument("--port", type=int, default=8000, help="with --http: the port (0: a free one; the start line on stderr gives the URL)")
        served.add_argument("--name", default="tta-primitives", help="the server's name in the MCP handshake")
        served.set_defaults(handler=_cmd_mcp_serve)

    apm = sub.add_parser("apm", help="print apm.yml as generated from the installed package (its exports and MCP tools)")
    mode = apm.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write it to FILE")
    mode.add_argument("--check", action="store_true", help="exit 1 if FILE differs from it")
    apm.add_argument("--file", default="apm.yml", help="default: apm.yml")
    apm.set_defaults(handler=_cmd_apm)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Entry point of the `tta-primitives` console script; returns the exit code. The result goes
    to `out` (default: stdout), errors to stderr as `error: ...` (status 1; 2 for bad usage).
    Output cut short by its reader (`tta-primitives explain ... | head`), on either stream, ends
    the command quietly, with exit code 1 and no traceback."""
    args = _parser().parse_args(argv)
    stream = out if out is not None else sys.stdout
    try:
        try:
            code: int = args.handler(args, stream)
        except PrimitivesError as error:
            code, report = 1, f"error: {type(error).__name__}: {error}"
        except _Failed as failure:
            code, report = failure.code, failure.report
        else:
            report = ""
        if report:  # CI logs keep stderr: secret-shaped text in an error is masked
            print(scrub(report), file=sys.stderr)
        stream.flush()
    except BrokenPipeError:
        _quiet_closed_pipes()
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
