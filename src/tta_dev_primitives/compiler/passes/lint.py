"""lint_resilience: resilience wrappers arranged in ways that usually mean a mistake.

Findings are warnings (in EXPLAIN and `Plan.lints`), or errors with `compile(..., strict=True)`:

- `timeout-outside-retry`: a timeout around a retry (with no timeout inside it) bounds all
  attempts together; a per-attempt timeout goes inside the retry. With both, the outer one is
  clearly a total timeout and is not flagged.
- `retry-not-idempotent`: a retry (or hedge) may run a node twice that did not declare
  `idempotent=True` or `pure=True`.
- `fallback-not-outermost`: a fallback wrapped by a retry, timeout or breaker; the fallback
  should be the outermost wrapper, catching what is left.
- `retry-streaming`: a retry around a streaming node would repeat chunks already sent.
- `nested-retry`: retries inside retries multiply the attempts.
- `blocking-under-concurrency`: a sync function node that calls something blocking
  (`time.sleep`, `requests`, `urllib`, `subprocess`, `socket`, `os.system`, a sync database
  driver, ...) runs on the event loop under a parallel, map or tool dispatch, so while it blocks
  nothing else runs; built with `thread=True` it runs in a worker thread. Found from the globals
  its own code uses, resolved to what they are (not the functions it calls), so a blocking call
  hidden in a helper is missed.
"""

from __future__ import annotations

import builtins
import contextlib
import dis
import functools
import types

from collections.abc import Iterator, Mapping

import attrs

from ...errors import CompositionError
from ..._deep import depth_independent
from ..ir import CallOp, MapOp, Op, ParOp, StageOp, walk
from .base import Change, CompilerPass, PassContext

__all__ = ["LINT_RESILIENCE", "Lint", "LintError"]


@attrs.frozen
class Lint:
    """One finding: the rule, its severity, the node and a message that says what to do."""

    rule: str
    severity: str  # "warning" | "error"
    node: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: [{self.rule}] {self.node!r} (built at {self.location}): {self.message}"


class LintError(CompositionError):
    """compile(strict=True) found resilience lint errors."""

    def __init__(self, lints: list[Lint]) -> None:
        self.lints = lints
        super().__init__(f"{len(lints)} resilience lint error(s):\n" + "\n".join(f"  {lint}" for lint in lints))


def _guard_kind(op: Op) -> str | None:
    policy = getattr(op, "guard", None)
    kind = getattr(policy, "kind", None)
    return kind if isinstance(kind, str) else None


def _kinds_below(op: Op) -> frozenset[str]:
    """Guard kinds strictly under `op` (a subtree fact, so deep nests lint in linear time)."""
    return op.fact("lint.kinds_below", _derive_kinds_below)  # type: ignore[return-value]


@depth_independent
def _derive_kinds_below(op: Op) -> frozenset[str]:
    kinds: set[str] = set()
    for child in op.children:
        kind = _guard_kind(child)
        if kind is not None:
            kinds.add(kind)
        kinds |= _kinds_below(child)
    return frozenset(kinds)


def _repeat_risks(op: Op) -> tuple[CallOp, ...]:
    """Calls under `op` (itself included) that are unsafe to repeat: not idempotent, or streaming."""
    return op.fact("lint.repeat_risks", _derive_repeat_risks)  # type: ignore[return-value]


@depth_independent
def _derive_repeat_risks(op: Op) -> tuple[CallOp, ...]:
    if isinstance(op, CallOp):
        return (op,) if not op.traits.repeatable or op.traits.streaming else ()
    found: tuple[CallOp, ...] = ()
    for child in op.children:
        found += _repeat_risks(child)
    return found


BLOCKING_MODULES = frozenset({
    "requests", "httpx", "urllib", "urllib3", "subprocess", "socket", "sqlite3", "psycopg", "psycopg2", "pymysql", "boto3",
    "smtplib", "ftplib",
})
"""Modules whose use in a sync function means I/O that waits (in a sync function httpx is its
sync client)."""

BLOCKING_CALLS = frozenset({
    ("time", "sleep"), ("builtins", "input"), ("os", "system"), ("os", "popen"), ("os", "wait"), ("os", "waitpid"),
    ("select", "select"),
})
"""Functions of otherwise harmless modules that block: (module, name)."""


def _codes_of(fn: object) -> list[tuple[types.CodeType, dict[str, object], dict[str, object]]]:
    """The Python code a callable runs, with its globals and its closure's variables: its own, and through decorators (`__wrapped__`), partials, bound
    methods and callable instances what it calls; none for builtins and C functions."""
    found: list[tuple[types.CodeType, dict[str, object], dict[str, object]]] = []
    for _ in range(8):
        if isinstance(fn, types.FunctionType):
            closure: dict[str, object] = {}
            for free, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
                with contextlib.suppress(ValueError):  # an empty cell
                    closure[free] = cell.cell_contents
            found.append((fn.__code__, fn.__globals__, closure))
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        elif hasattr(fn, "__func__"):
            fn = fn.__func__
        elif not isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, type)) and callable(fn):
            fn = getattr(type(fn), "__call__", None)
        else:
            break
    return found


def _blocking_use(value: object, attribute: str | None) -> str | None:
    """What a global (and the attribute read from it) names, if it blocks; None for anything
    that cannot even say what it is (a proxy whose attributes raise)."""
    try:
        return _blocking_use_of(value, attribute)
    except Exception:  # noqa: BLE001 - a lint never breaks compilation
        return None


def _blocking_use_of(value: object, attribute: str | None) -> str | None:
    if isinstance(value, types.ModuleType):
        package = str(value.__name__)
        if package.split(".")[0] in BLOCKING_MODULES:
            return package if attribute is None else f"{package}.{attribute}"
        if attribute is not None and (package, attribute) in BLOCKING_CALLS:
            return f"{package}.{attribute}"
        return None
    module, name = getattr(value, "__module__", None), getattr(value, "__name__", None)
    if not isinstance(module, str) or not isinstance(name, str):
        return None
    if (module, name) in BLOCKING_CALLS or module.split(".")[0] in BLOCKING_MODULES:
        return f"{module}.{name}"
    return None


def _uses(instructions: list[dis.Instruction], names: Mapping[str, object], closure: Mapping[str, object]) -> Iterator[str]:
    """The blocking uses in one code object's instructions: globals (and builtins) and closure
    variables resolved to what they are (a local captured by an inner function is no global),
    and imports made inside the function (`import time; time.sleep()`, `from os import system`)."""
    imported: dict[str, str] = {}  # local name -> the module an import inside the function bound to it
    module: str | None = None  # the module of the import being read
    for i, instruction in enumerate(instructions):
        following = instructions[i + 1] if i + 1 < len(instructions) else None
        attribute = str(following.argval) if following is not None and following.opname in ("LOAD_ATTR", "LOAD_METHOD") else None
        op, name = instruction.opname, str(instruction.argval)
        if op == "IMPORT_NAME":
            module = name
            if name.split(".")[0] in BLOCKING_MODULES:
                yield name
        elif op == "IMPORT_FROM" and module is not None:
            if (module, name) in BLOCKING_CALLS:
                yield f"{module}.{name}"
        elif op in ("STORE_FAST", "STORE_NAME", "STORE_DEREF") and module is not None:
            previous = instructions[i - 1]
            if previous.opname == "IMPORT_NAME":  # `import a.b` binds `a`
                imported[name] = module.split(".")[0] if name == module.split(".")[0] else module
            else:  # `from a import b`
                imported[name] = f"{module}.{previous.argval}"
            if following is None or following.opname != "IMPORT_FROM":
                module = None
        elif op in ("LOAD_FAST", "LOAD_DEREF") and name in imported:
            if attribute is not None and (imported[name], attribute) in BLOCKING_CALLS:
                yield f"{imported[name]}.{attribute}"
        elif op == "LOAD_DEREF":
            if name in closure:
                use = _blocking_use(closure[name], attribute)
                if use is not None:
                    yield use
        elif op in ("LOAD_GLOBAL", "LOAD_NAME"):
            use = _blocking_use(names.get(name, getattr(builtins, name, None)), attribute)
            if use is not None:
                yield use


def _blocking_names(fn: object) -> list[str]:
    """The blocking calls `fn`'s code makes through its globals (modules and functions it
    names, resolved: `from time import sleep as nap` is time.sleep; an attribute or local that
    happens to be called `input` is not), its nested code too (comprehensions, inner
    functions), in order; empty for callables without Python code."""
    found: dict[str, None] = {}
    for code, names, closure in _codes_of(fn):
        stack = [code]
        while stack:
            current = stack.pop()
            for use in _uses(list(dis.get_instructions(current)), names, closure):
                found[use] = None
            stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return list(found)


def _concurrent_kind(op: Op) -> str | None:
    """What runs `op`'s children concurrently ("parallel", "map", ...), or None."""
    if isinstance(op, (ParOp, StageOp)):
        return "parallel"
    if isinstance(op, MapOp):
        return "map"
    return "tool dispatch" if op.dispatch_limit() is not None else None


def _blocking_under_concurrency(root: Op) -> list[tuple[CallOp, Op, str, list[str]]]:
    """Sync function nodes that look blocking, under an op that runs them concurrently: (the
    node, that op, its kind, the names found). A remote node's body runs elsewhere: skipped."""
    found = []
    stack: list[tuple[Op, tuple[Op, str] | None]] = [(root, None)]
    while stack:
        op, under = stack.pop()
        if op.kind == "remote":
            continue
        if isinstance(op, CallOp) and under is not None and not op.is_async and not op.thread:
            names = _blocking_names(op.fn)
            if names:
                found.append((op, under[0], under[1], names))
        kind = _concurrent_kind(op)
        below = (op, kind) if kind is not None else under
        stack.extend((child, below) for child in reversed(op.children))
    return found


def _lint(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
    severity = "error" if ctx.strict else "warning"
    found: list[Lint] = []

    def report(rule: str, op: Op, message: str) -> None:
        found.append(Lint(rule, severity, op.name, str(op.location), message))

    for op in walk(root):
        kind = _guard_kind(op)
        if kind is None:
            continue
        child = op.children[0]
        per_attempt = "timeout" in _kinds_below(child)
        if kind == "timeout" and _guard_kind(child) == "retry" and not per_attempt:
            report("timeout-outside-retry", op, "this timeout bounds all retry attempts together; for a per-attempt limit, put the timeout inside the retry")
        if kind in ("retry", "hedge"):
            for leaf in _repeat_risks(op):
                if not leaf.traits.repeatable:
                    report("retry-not-idempotent", op, f"may run {leaf.name!r} more than once, but it is not declared idempotent (node.declare(idempotent=True))")
                if leaf.traits.streaming and kind == "retry":
                    report("retry-streaming", op, f"a retry after {leaf.name!r} has streamed its first chunk would send chunks twice")
        if kind == "retry" and "retry" in _kinds_below(op):
            report("nested-retry", op, "contains another retry: attempts multiply (see the analysis); keep one retry per call")
        if kind in ("retry", "timeout", "circuit_breaker") and child.kind == "fallback":
            report("fallback-not-outermost", op, f"wraps the fallback {child.name!r}; make the fallback the outermost wrapper")
    for leaf, owner, kind, names in _blocking_under_concurrency(root):
        report(
            "blocking-under-concurrency",
            leaf,
            f"is a sync function that looks blocking (uses {', '.join(names)}) and runs on the event loop under {kind} "
            f"{owner.name!r}, so the rest of the {kind} waits while it blocks; build it with node(fn, thread=True) to run it in a thread",
        )
    if ctx.strict and found:
        raise LintError(found)
    ctx.facts["lints"] = tuple(found)
    return root, [Change(f"lint.{lint.rule}", lint.node, lint.message, "note") for lint in found]


LINT_RESILIENCE = CompilerPass(
    "lint_resilience", "flag resilience wrappers arranged in error-prone ways, and blocking sync calls under concurrency", _lint
)
