"""`tta-primitives`: explain, graph, check and run workflows from the command line.

    tta-primitives explain examples/quickstart.py:pipeline
    tta-primitives graph myapp.flows:pipeline --format svg -o plan.svg
    tta-primitives check myapp.flows:pipeline --strict --max-cost 0.50     # non-zero exit on errors
    tta-primitives run myapp.flows:pipeline --input '"hello"'
    tta-primitives run myapp.flows:pipeline --input '["a", "b", "c"]' --map --concurrency 8

TARGET is `module:attribute` or `path/to/file.py:attribute`; the attribute is a Node, a Plan, or a
function of no arguments returning one.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import anyio

from .compiler import Plan, compile
from .compiler.passes import Budget
from .dsl.core import Node
from .errors import PrimitivesError

__all__ = ["main"]


class TargetError(PrimitivesError, LookupError):
    """The TARGET could not be found or is not a workflow."""


def load_target(spec: str) -> object:
    """The object named by `module:attr` or `file.py:attr`."""
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise TargetError(f"target {spec!r}: expected MODULE:ATTRIBUTE or path/to/file.py:ATTRIBUTE")
    if module_part.endswith(".py") or "/" in module_part:
        path = Path(module_part).resolve()
        if not path.exists():
            raise TargetError(f"target {spec!r}: no such file {path}")
        sys.path.insert(0, str(path.parent))
        loader_spec = importlib.util.spec_from_file_location(path.stem, path)
        if loader_spec is None or loader_spec.loader is None:
            raise TargetError(f"target {spec!r}: cannot import {path}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[path.stem] = module
        loader_spec.loader.exec_module(module)
    else:
        sys.path.insert(0, str(Path.cwd()))
        module = importlib.import_module(module_part)
    try:
        obj: object = getattr(module, attr)
    except AttributeError:
        raise TargetError(f"target {spec!r}: module {module.__name__!r} has no attribute {attr!r}") from None
    if not isinstance(obj, (Node, Plan)) and callable(obj):
        obj = obj()
    if not isinstance(obj, (Node, Plan)):
        raise TargetError(f"target {spec!r}: expected a Node or a Plan, got {type(obj).__name__}")
    return obj


def _plan(target: object, args: argparse.Namespace) -> Plan[object, object]:
    if isinstance(target, Plan):
        return target
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
    plan = _plan(load_target(args.target), args)
    print(plan.explain(locations=not args.no_locations), file=out)
    return 0


def _cmd_graph(args: argparse.Namespace, out: TextIO) -> int:
    plan = _plan(load_target(args.target), args)
    if args.format in ("svg", "png"):
        path = args.output or f"{plan.name.replace(' ', '_')[:40]}.{args.format}"
        print(plan.render(path, format=args.format), file=out)
        return 0
    text = plan.to_mermaid() if args.format == "mermaid" else plan.to_dot()
    if args.output:
        Path(args.output).write_text(text + "\n")
        print(args.output, file=out)
    else:
        print(text, file=out)
    return 0


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    try:
        plan = _plan(load_target(args.target), args)
    except PrimitivesError as error:
        print(f"error: {type(error).__name__}: {error}", file=out)
        return 1
    for lint in plan.lints:
        print(str(lint), file=out)
    checked = sum(1 for e in plan.edges if e.checked)
    print(
        f"ok: plan {plan.name!r} compiled: {len(plan.ops())} ops, {checked}/{len(plan.edges)} edges checked, "
        f"{len(plan.lints)} lint warning(s)",
        file=out,
    )
    return 0


def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    plan = _plan(load_target(args.target), args)
    try:
        value = json.loads(args.input)
    except json.JSONDecodeError as error:
        print(f"error: --input is not JSON: {error}", file=out)
        return 2
    if args.map:
        if not isinstance(value, list):
            print("error: --map needs a JSON list as --input", file=out)
            return 2
        results = anyio.run(_run_many, plan, value, args.concurrency, backend=args.backend)
        print(json.dumps(results, default=_jsonable, indent=2), file=out)
        return 0
    result = plan.run_sync(value, backend=args.backend)
    print(json.dumps(result, default=_jsonable, indent=2), file=out)
    return 0


async def _run_many(plan: Plan[object, object], items: list[object], concurrency: int) -> list[object]:
    """plan.run over items, at most `concurrency` at a time, with a progress line on stderr."""
    results: list[object] = [None] * len(items)
    done = 0
    pending = iter(range(len(items)))

    async def worker() -> None:
        nonlocal done
        for i in pending:
            results[i] = await plan.run(items[i])
            done += 1
            print(f"\r{done}/{len(items)} done", end="", file=sys.stderr, flush=True)

    async with anyio.create_task_group() as tg:
        for _ in range(max(1, min(concurrency, len(items)))):
            tg.start_soon(worker)
    if items:
        print(file=sys.stderr)
    return results


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
    explain.set_defaults(handler=_cmd_explain)

    graph = sub.add_parser("graph", help="draw the plan (Mermaid, DOT, or SVG/PNG through Graphviz)")
    target(graph)
    graph.add_argument("--format", choices=["mermaid", "dot", "svg", "png"], default="mermaid")
    graph.add_argument("-o", "--output", help="file to write (default: stdout for text formats)")
    graph.set_defaults(handler=_cmd_graph)

    check = sub.add_parser("check", help="compile, type check and lint; exit 1 on errors (for CI)")
    target(check)
    check.set_defaults(handler=_cmd_check)

    run = sub.add_parser("run", help="run the plan on a JSON input and print the JSON result")
    target(run)
    run.add_argument("--input", required=True, help="the input, as JSON")
    run.add_argument("--map", action="store_true", help="the input is a list: run each item (with a progress line)")
    run.add_argument("--concurrency", type=int, default=8, help="with --map: items in flight at once")
    run.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    run.set_defaults(handler=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Entry point of the `tta-primitives` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    stream = out if out is not None else sys.stdout
    try:
        code: int = args.handler(args, stream)
    except PrimitivesError as error:
        print(f"error: {type(error).__name__}: {error}", file=stream)
        return 1
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
