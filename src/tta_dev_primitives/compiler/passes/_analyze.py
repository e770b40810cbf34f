"""analyze: worst cases of a plan, from its structure and what its nodes declare.

- attempts: how many times one leaf may run in one plan run (retries and hedges multiply);
- latency: an upper bound from declared `max_latency`, timeouts, attempts and backoff caps
  (`inf` when something can wait without bound);
- cost: from declared `cost` per call times attempts (nodes without a cost count 0, and the
  analysis says so), unknown while a model call declares none (an unpriced model: never $0);
- width: the most leaves that can run at once; depth: the longest chain of steps.

With `compile(..., budget=Budget(...))`, a worst case above the budget fails compilation with
BudgetError explaining where it comes from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import attrs

from ...dsl._traits import NO_TRAITS
from ...errors import BudgetError
from .._ir import CallOp, CastOp, ConstOp, LoopOp, MapOp, Op, ParOp, SeqOp, StageOp, StreamOp, fold, walk
from ._base import Budget, Change, CompilerPass, PassContext

__all__ = ["ANALYZE", "Analysis", "BudgetError"]

MAX_CAUSES = 16
"""How many ops "unbounded latency from" keeps per subtree (EXPLAIN shows the first 5)."""

MODEL_CALL = "gen_ai.operation.name"
"""The span attribute that marks a node as a model call (set by `genai`)."""

MODEL_NAME = "gen_ai.request.model"
"""The span attribute naming the model a model call asks (set by `genai`)."""


@attrs.frozen
class Analysis:
    """Worst cases of one plan run."""

    max_attempts: int
    max_attempts_node: str
    latency: float
    cost: float
    costed_leaves: int
    leaves: int
    width: float
    depth: int
    unbounded: tuple[str, ...] = ()
    """Ops that make latency unbounded (no timeout above them, no declared max_latency, waits);
    the first few of them."""
    model_calls: float = 0
    """The most model calls one run can make (nodes marked as LLM calls, e.g. by `genai`),
    retries and loop bounds included; `inf` when a map runs them over an unknown number of
    items."""
    unpriced: tuple[str, ...] = ()
    """Leaves that call a model but declare no cost (no price for the model, or no bound on its
    tokens), as `'name' (model 'x')`: while there are any, the worst-case cost is unknown, and
    `cost` (what the other leaves add up to) bounds nothing."""

    @property
    def cost_known(self) -> bool:
        """Whether `cost` bounds what a run can spend: no model call is unpriced (it may still
        be `inf`, unbounded)."""
        return not self.unpriced

    def cost_text(self) -> str:
        """The worst-case cost as EXPLAIN says it: `$0.006`, `unbounded`, or `unknown` with the
        model calls that have no price."""
        if self.unpriced:
            count = len(self.unpriced)
            named = ", ".join(self.unpriced[:3]) + (f" and {count - 3} more" if count > 3 else "")
            return f"unknown: {'a model call has' if count == 1 else f'{count} model calls have'} no cost bound: {named}"
        return "unbounded" if math.isinf(self.cost) else f"${self.cost:g}"

    def lines(self) -> list[str]:
        """The analysis as EXPLAIN's lines: attempts, latency, cost, width, depth and LLM calls
        (`unbounded` where nothing bounds them)."""
        def fmt(value: float, unit: str) -> str:
            return "unbounded" if math.isinf(value) else f"{value:g}{unit}"

        rows = [
            f"max parallel width   {fmt(self.width, '')}",
            f"critical path depth  {self.depth}",
            f"worst-case attempts  {self.max_attempts} (of {self.max_attempts_node!r})",
            f"worst-case latency   {fmt(self.latency, 's')}",
            f"worst-case cost      {self.cost_text()} ({self.costed_leaves} of {self.leaves} leaves declare a cost)",
        ]
        if self.model_calls:
            rows.insert(4, f"worst-case LLM calls {fmt(self.model_calls, '')}")
        if self.unbounded:
            rows.append(f"unbounded latency from: {', '.join(self.unbounded[:5])}{' ...' if len(self.unbounded) > 5 else ''}")
        return rows


def _runs(op: Op) -> int:
    """How many times one call of `op` may run its child: its policy's say (a retry's attempts)."""
    policy = op.policy()
    return policy.max_runs() if policy is not None else 1


def model_calls_of(op: CallOp) -> float:
    """LLM calls one call of `op` makes: as declared, else one if it is marked as an LLM call."""
    traits = op.traits
    if traits.model_calls is not None:
        return traits.model_calls
    return 1 if traits.attributes and any(key == MODEL_CALL for key, _ in traits.attributes) else 0


def _cost_of(op: CallOp) -> float:
    return op.traits.cost or 0.0


_PLAIN_CALLS = (CallOp, StreamOp)
"""The compiler's own call ops, whose policy and dispatch limit are the base class's (None): a
leaf of one of these exact types takes the short path through the walks below."""


class _Bounds(NamedTuple):
    """The bottom-up worst cases of one op (what one call of it may take), gathered in one fold
    (as plain tuples of these fields, one per op: a named tuple per leaf costs a Python call)."""

    latency: float
    causes: tuple[str, ...]
    """Ops that make `latency` unbounded (none when it is finite), at most MAX_CAUSES."""
    cost: float
    model_calls: float
    width: float
    depth: int


_Fields = tuple[float, tuple[str, ...] | None, float, float, float, int]
"""The fields of `_Bounds` as the fold passes them; causes None stands for `(name of the op,)`."""

_UNDECLARED_CALL: _Fields = (math.inf, None, 0.0, 0, 1.0, 1)
"""The bounds of a plain call that declares nothing (unbounded latency, its own cause, no cost
nor model call, width and depth 1), shared: most leaves of most plans, one tuple for all."""


class _Walker:
    def __init__(self) -> None:
        self.unbounded: list[str] = []
        self.worst_attempts = (1, "")

    def attempts(self, root: Op) -> list[CallOp]:
        """Find the leaf that may run most often; returns the plan's calls, parents first."""
        leaves: list[CallOp] = []
        stack = [(root, 1)]
        pop, push, more = stack.pop, stack.append, stack.extend
        while stack:
            op, multiplier = pop()
            if type(op) in _PLAIN_CALLS:  # a plain leaf, the common op: no policy, no children
                leaves.append(op)  # type: ignore[arg-type]
                if multiplier > self.worst_attempts[0]:
                    self.worst_attempts = (multiplier, op.name)
                continue
            multiplier *= _runs(op)
            if isinstance(op, CallOp):
                leaves.append(op)
                if multiplier > self.worst_attempts[0]:
                    self.worst_attempts = (multiplier, op.name)
            dispatched = op.dispatch_limit()
            if dispatched is not None:  # any child may take every call
                more((child, multiplier * dispatched) for child in reversed(op.children))
                continue
            if isinstance(op, LoopOp):  # the condition runs once more than the body
                until, body = op.children
                more([(body, multiplier * op.max_iterations), (until, multiplier * (op.max_iterations + 1))])
                continue
            children = op.children
            if len(children) == 1:
                push((children[0], multiplier))
            elif all(type(child) in _PLAIN_CALLS for child in children):  # a sequence of calls: no entry per leaf
                leaves.extend(children)  # type: ignore[arg-type]
                if multiplier > self.worst_attempts[0]:  # each runs as often: the first is named
                    self.worst_attempts = (multiplier, children[0].name)
            else:
                more((child, multiplier) for child in reversed(children))
        return leaves

    def bounds(self, root: Op) -> _Bounds:
        """Latency, cost, LLM calls, width and depth of the plan, in one fold over it; the causes
        of unbounded latency go to `unbounded`."""
        latency, causes, cost, calls, width, depth = fold(root, self._bounds)
        found = _Bounds(latency, (root.name,) if causes is None else causes, cost, calls, width, depth)
        self.unbounded.extend(found.causes)
        return found

    def _bounds(self, op: Op, kids: list[_Fields]) -> _Fields:
        if not kids and type(op) in _PLAIN_CALLS:  # a plain leaf: what `_latency` etc. say of it
            traits = op.traits
            if traits is NO_TRAITS:
                return _UNDECLARED_CALL
            latency = traits.max_latency
            if latency is None:
                return (math.inf, (op.name,), traits.cost or 0.0, model_calls_of(op), 1.0, 1)  # type: ignore[arg-type]
            return (latency, (), traits.cost or 0.0, model_calls_of(op), 1.0, 1)  # type: ignore[arg-type]
        latencies, causes, costs, calls, widths, depths = zip(*kids) if kids else ((),) * 6
        latency, why = self._latency_and_causes(op, list(latencies), causes)
        return (
            latency,
            why,
            self._total(op, list(costs), _cost_of),
            self._total(op, list(calls), model_calls_of),
            self._width(op, list(widths)),
            self._depth(op, list(depths)),
        )

    def _latency_and_causes(self, op: Op, kids: list[float], kid_causes: tuple[tuple[str, ...] | None, ...]) -> tuple[float, tuple[str, ...]]:
        """The op's latency bound, and the ops that make it unbounded: none when a bound above
        (a Timeout) caps them, so "unbounded latency from" names only what is really unbounded."""
        before = len(self.unbounded)
        value = self._latency(op, kids)
        own = tuple(self.unbounded[before:])
        del self.unbounded[before:]
        if math.isfinite(value):
            return value, ()
        causes: list[str] = []
        for child, names in zip(op.children, kid_causes):  # a few name the problem; all would cost O(n^2)
            causes.extend((child.name,) if names is None else names)
            if len(causes) >= MAX_CAUSES:
                break
        causes.extend(own)
        return value, tuple(causes[:MAX_CAUSES])

    def _latency(self, op: Op, kids: list[float]) -> float:
        policy = op.policy()
        if policy is not None:
            if math.isinf(policy.latency(0.0)):  # the guard itself may wait without bound
                self.unbounded.append(op.name)
            return policy.latency(kids[0])
        if isinstance(op, ConstOp):
            return 0.0
        if isinstance(op, CallOp):
            if op.traits.max_latency is None:
                self.unbounded.append(op.name)
                return math.inf
            return op.traits.max_latency
        if isinstance(op, (SeqOp, CastOp)):
            return sum(kids)
        if isinstance(op, (ParOp, StageOp)) or op.dispatch_limit() is not None:
            return max(kids, default=0.0)
        if op.selects_one:
            return kids[0] + max(kids[1:])
        if isinstance(op, MapOp):  # the number of items is not known at compile time
            self.unbounded.append(op.name)
            return math.inf
        if isinstance(op, LoopOp):
            return kids[0] * (op.max_iterations + 1) + kids[1] * op.max_iterations
        return sum(kids)  # fallbacks, sagas and unknown composites: every child may run

    def _total(self, op: Op, kids: list[float], leaf: Callable[[CallOp], float]) -> float:
        if isinstance(op, CallOp):
            return leaf(op)
        if isinstance(op, ConstOp):
            return 0.0
        if isinstance(op, MapOp):
            return math.inf if kids[0] > 0 else 0.0
        if isinstance(op, LoopOp):
            return kids[0] * (op.max_iterations + 1) + kids[1] * op.max_iterations
        dispatched = op.dispatch_limit()
        if dispatched is not None:
            return dispatched * max(kids, default=0.0)
        if op.selects_one:
            return kids[0] + max(kids[1:])
        return sum(kids) * _runs(op)

    def _width(self, op: Op, kids: list[float]) -> float:
        if not kids:
            return 1.0
        if isinstance(op, (ParOp, StageOp)):
            return sum(kids)
        if isinstance(op, MapOp):
            return op.concurrency * kids[0]
        dispatched = op.dispatch_limit()
        if dispatched is not None:
            return dispatched * max(kids)
        policy = op.policy()
        if policy is not None:  # overlapping runs of the child (a hedge's attempts)
            return kids[0] * policy.max_concurrent_runs()
        return max(kids)

    def _depth(self, op: Op, kids: list[int]) -> int:
        if not kids:
            return 1
        if isinstance(op, SeqOp):
            return sum(kids)
        if isinstance(op, LoopOp):
            return (kids[0] + kids[1]) * op.max_iterations + kids[0]
        if op.selects_one:
            return kids[0] + max(kids[1:])
        return max(kids)


def analyze(root: Op) -> Analysis:
    """The worst cases of a plan rooted at `root`."""
    walker = _Walker()
    leaves = walker.attempts(root)
    bounds = walker.bounds(root)
    return Analysis(
        max_attempts=walker.worst_attempts[0],
        max_attempts_node=walker.worst_attempts[1] or (leaves[0].name if leaves else root.name),
        latency=bounds.latency,
        cost=bounds.cost,
        costed_leaves=sum(1 for op in leaves if op.traits.cost is not None),
        leaves=len(leaves),
        width=bounds.width,
        depth=bounds.depth,
        unbounded=tuple(dict.fromkeys(walker.unbounded)),
        model_calls=bounds.model_calls,
        unpriced=tuple(dict.fromkeys(_unpriced(op) for op in leaves if op.traits is not NO_TRAITS and op.traits.cost is None and model_calls_of(op))),
    )


def _unpriced(op: CallOp) -> str:
    """`'name'`, with the model it calls when its name does not say (`'ask' (model 'x')`)."""
    model = dict(op.traits.attributes).get(MODEL_NAME)
    return f"{op.name!r}" + (f" (model {model!r})" if isinstance(model, str) and model != op.name else "")


def declared_cost_bound(root: Op, analysis: Analysis | None = None) -> float | None:
    """The worst-case cost of `root` from declared costs, when it is one: every leaf that calls
    a model declares its cost and the total is finite. None otherwise (a leaf without a
    declared cost counts $0 in `Analysis.cost`, which bounds nothing)."""
    model_leaves = [op for op in walk(root) if isinstance(op, CallOp) and model_calls_of(op)]
    if not model_leaves or any(op.traits.cost is None for op in model_leaves):
        return None
    cost = (analysis or analyze(root)).cost
    return cost if math.isfinite(cost) else None


def _check(analysis: Analysis, budget: Budget, name: str) -> None:
    problems: list[str] = []
    if budget.max_cost is not None and analysis.unpriced:
        problems.append(
            f"worst-case cost {analysis.cost_text()}, so it cannot be held to the budget of ${budget.max_cost:g} "
            "(price the model: a known model id or prices=, and bound its tokens: max_tokens and max_input_tokens; "
            "or declare(cost=...) on the node)"
        )
    elif budget.max_cost is not None and analysis.cost > budget.max_cost:
        problems.append(
            f"worst-case cost ${analysis.cost:g} exceeds the budget of ${budget.max_cost:g} "
            f"(declared costs times attempts; {analysis.costed_leaves} of {analysis.leaves} leaves declare a cost)"
        )
    if budget.max_latency is not None and analysis.latency > budget.max_latency:
        why = f"; unbounded because of {', '.join(analysis.unbounded[:3])} (add a timeout or declare max_latency)" if math.isinf(analysis.latency) else ""
        problems.append(f"worst-case latency {analysis.latency:g}s exceeds the budget of {budget.max_latency:g}s{why}")
    if budget.max_attempts is not None and analysis.max_attempts > budget.max_attempts:
        problems.append(
            f"{analysis.max_attempts_node!r} may run {analysis.max_attempts} times (nested retries multiply), above the budget of {budget.max_attempts}"
        )
    if problems:
        raise BudgetError(f"plan {name!r} does not fit its budget:\n  " + "\n  ".join(problems))


def _analyze(root: Op, ctx: PassContext) -> tuple[Op, list[Change]]:
    result = analyze(root)
    ctx.facts["analysis"] = result
    if ctx.budget is not None:
        _check(result, ctx.budget, root.name)
    return root, []


ANALYZE = CompilerPass("analyze", "worst-case attempts, latency, cost, width and depth; budget check", _analyze)
