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
  (`time.sleep`, `requests.get`, a `requests.Session`'s `.get`, `urllib.request.urlopen`,
  `subprocess.run`, socket I/O, `os.system`, a sync database driver's `execute`, ...; see
  `blocking.BLOCKING`), or is one (`node(time.sleep)`), runs on the event loop under a
  parallel, map or tool dispatch, so while it blocks nothing else runs; built with
  `thread=True` it runs in a worker thread. Found from the globals, closure variables and
  imports its own code uses, resolved to what they are (not the functions it calls), so a
  blocking call hidden in a helper is missed.
"""

from __future__ import annotations

import typing

import attrs

from ...errors import LintError
from ...dsl._location import SourceLocation
from .._ir import CallOp, MapOp, Op, ParOp, StageOp, composites
from ._base import Change, CompilerPass, PassContext
from ._blocking import blocking_names

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


@attrs.frozen
class _Below:
    """What the guards strictly under an op do (a subtree fact, so deep nests lint in linear time)."""

    retries: bool = False
    limits_time: bool = False


_NOTHING_BELOW = _Below()


def _below(op: Op) -> _Below:
    if not op.children:
        return _NOTHING_BELOW
    return op.subtree_fact("lint.guards_below", _derive_below)  # type: ignore[return-value]


def _derive_below(op: Op) -> _Below:
    retries = limits_time = False
    for child in op.children:
        policy, below = child.policy(), _below(child)
        retries = retries or below.retries or (policy is not None and policy.retries)
        limits_time = limits_time or below.limits_time or (policy is not None and policy.limits_time)
    return _Below(retries, limits_time)


def _repeat_risks(op: Op) -> tuple[CallOp, ...]:
    """Calls under `op` (itself included) that are unsafe to repeat: not idempotent, or streaming."""
    if isinstance(op, CallOp):
        return (op,) if not op.traits.repeatable or op.traits.streaming else ()
    return op.subtree_fact("lint.repeat_risks", _derive_repeat_risks)  # type: ignore[return-value]


def _derive_repeat_risks(op: Op) -> tuple[CallOp, ...]:
    return tuple(leaf for child in op.children for leaf in _repeat_risks(child))


def _concurrent_kind(op: Op) -> str | None:
    """What runs `op`'s children concurrently ("parallel", "map", ...), or None."""
    if isinstance(op, (ParOp, StageOp)):
        return "parallel"
    if isinstance(op, MapOp):
        return "map"
    return "tool dispatch" if op.dispatch_limit() is not None else None


def _blocking_under_concurrency(root: Op, top: tuple[Op, str] | None = None) -> list[tuple[CallOp, Op, str, list[str]]]:
    """Sync function nodes that look blocking, under an op that runs them concurrently (or
    anywhere, under `top`: the plan run by plan.map): (the node, that op, its kind, the names
    found). A remote node's body runs elsewhere: skipped."""
    found = []
    names_of: dict[int, list[str]] = {}  # one reading of each function's code, however often it is used
    stack: list[tuple[Op, tuple[Op, str] | None]] = [(root, top)]
    while stack:
        op, under = stack.pop()
        if op.kind == "remote":
            continue
        if isinstance(op, CallOp) and under is not None and not op.is_async and not op.thread:
            names = names_of.get(id(op.fn))
            if names is None:
                names = names_of[id(op.fn)] = blocking_names(op.fn)
            if names:
                found.append((op, under[0], under[1], names))
        if not op.children:
            continue
        kind = _concurrent_kind(op)
        below = (op, kind) if kind is not None else under
        if below is None:  # nothing runs concurrently here: only structure below can change that
            stack.extend([(child, None) for child in reversed(op.children) if child.children])
        else:
            stack.extend([(child, below) for child in reversed(op.children)])
    return found


def _lint(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
    severity = "error" if ctx.strict else "warning"
    found: list[Lint] = []
    places: dict[SourceLocation, str] = {}  # each location as text once: a loop builds many nodes on one line

    def report(rule: str, op: Op, message: str) -> None:
        place = places.get(op.location)
        if place is None:
            place = places[op.location] = str(op.location)
        found.append(Lint(rule, severity, op.name, place, message))

    for op in composites(root):  # a guard has a child
        policy = op.policy()
        if policy is None:
            continue
        child = op.children[0]
        inner = child.policy()
        if policy.limits_time and inner is not None and inner.retries and not _below(child).limits_time:
            report("timeout-outside-retry", op, "this timeout bounds all retry attempts together; for a per-attempt limit, put the timeout inside the retry")
        if policy.repeats():
            for leaf in _repeat_risks(op):
                if not leaf.traits.repeatable:
                    report("retry-not-idempotent", op, f"may run {leaf.name!r} more than once, but it is not declared idempotent (node.declare(idempotent=True))")
                if leaf.traits.streaming and policy.retries:
                    report("retry-streaming", op, f"a retry after {leaf.name!r} has streamed its first chunk would send chunks twice")
        if policy.retries and _below(op).retries:
            report("nested-retry", op, "contains another retry: attempts multiply (see the analysis); keep one retry per call")
        if policy.wants_fallback_outside and child.catches_failures:
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


def blocking_leaves(root: Op) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The sync nodes of a plan that look blocking, wherever they are: (name, names found).
    What `plan.map` warns about, as the lint does under `parallel` and `map` (memoized)."""
    def derive(op: Op) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((leaf.name, tuple(names)) for leaf, _, _, names in _blocking_under_concurrency(op, (op, "plan.map")))

    return typing.cast("tuple[tuple[str, tuple[str, ...]], ...]", root.fact("blocking_leaves", derive))
