"""Cost tracking and budget enforcement for LLM calls (the original package's CostTrackingPrimitive and
BudgetEnforcementPrimitive), as guards on any node that returns a ChatResponse.

    cost_tracker = CostTrackingPrimitive(llm_primitive)
    enforcer = BudgetEnforcementPrimitive(cost_tracker, budget_usd=10.0)
    answer = await enforcer.execute(ChatRequest.of("hi"))
    report = await enforcer.get_cost_report()
"""

from __future__ import annotations

import threading
import typing
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import attrs

from ...compiler._ir import CallOp, Op, walk
from ...dsl._core import Node
from ...errors import ConfigError, UnpricedModelWarning
from ..._validate import check_bool, check_positive
from .._compiled import CompiledPrimitive
from ..flow._policies import BudgetExceededError
from .._guard import GuardNode, GuardPolicy, GuardSite
from .model import ChatModel, ChatRequest, ChatResponse
from .prices import DEFAULT_PRICES, ModelPrice, call_cost_bound, price_for, request_cost_bound
from ._primitive import LLMPrimitive, chat_models, unwatched_model_calls
from ._spend import SpendWatcher, enter, in_scope, leave

__all__ = [
    "DEFAULT_PRICES",
    "BudgetEnforcementPrimitive",
    "CostReport",
    "CostTracker",
    "CostTrackingPrimitive",
    "ModelPrice",
    "ModelUsage",
    "SpendBudget",
    "UnpricedModelWarning",
]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)


@attrs.define
class ModelUsage:
    """One model's calls and tokens; `cost_usd` is None when the model has no price."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0

    def summary(self) -> str:
        """One line for reports: `calls=2 in=120 out=40 $0.000042`, or `cost unknown` for a
        model with no price (never a made-up $0)."""
        cost = "cost unknown (no price)" if self.cost_usd is None else f"${self.cost_usd:.6f}"
        return f"calls={self.calls} in={self.input_tokens} out={self.output_tokens} {cost}"


@attrs.frozen
class CostReport:
    """Spend so far, in total and per model; `budget_usd`/`remaining_usd` under a budget.

    `total_usd` sums the priced models; the models in `unpriced_models` were called too, at a
    cost the tracker does not know (their `ModelUsage.cost_usd` is None), so with any of them
    the total is a lower bound."""

    total_usd: float
    by_model: Mapping[str, ModelUsage]
    budget_usd: float | None = None
    remaining_usd: float | None = None
    unpriced_models: tuple[str, ...] = ()


class CostTracker(GuardPolicy, SpendWatcher):
    """Records the usage and cost of every model call made inside its node: each LLMPrimitive
    call, however many and wherever they are (a cache hit, which makes none, costs nothing);
    for a node with no LLMPrimitive inside (one calling a client its own way), the ChatResponse
    it returns. Priced by model; a reply from a model with
    no price is never lost: its usage is recorded, its cost is unknown (None), and an
    UnpricedModelWarning says so (once per model and place, Python's default filter)."""

    kind = "cost_tracking"

    def __init__(self, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> None:
        self.prices = dict(prices)
        self.usage: dict[str, ModelUsage] = {}
        self._lock = threading.Lock()

    def cost_of(self, response: ChatResponse) -> float | None:
        """What `response` cost at these prices; None when its model has no price."""
        price = price_for(response.model, self.prices)
        return None if price is None else price.cost(response.input_tokens, response.output_tokens)

    def record(self, response: ChatResponse) -> float | None:
        """Add `response`'s usage and cost; returns its cost (None when unknown)."""
        cost = self.cost_of(response)
        with self._lock:
            usage = self.usage.get(response.model)
            first = usage is None
            if usage is None:
                usage = self.usage[response.model] = ModelUsage(cost_usd=0.0 if cost is not None else None)
            usage.calls += 1
            usage.input_tokens += response.input_tokens
            usage.output_tokens += response.output_tokens
            if cost is not None and usage.cost_usd is not None:
                usage.cost_usd += cost
        if first and cost is None:
            warnings.warn(
                f"CostTracker: no price for model {response.model!r}; its usage is recorded and its cost is unknown "
                "(add a ModelPrice for it to prices=)",
                UnpricedModelWarning,
                stacklevel=2,
            )
        return cost

    @property
    def total_usd(self) -> float:
        """The cost of the priced models' calls so far."""
        return sum((u.cost_usd for u in list(self.usage.values()) if u.cost_usd is not None), 0.0)

    def report(self, budget_usd: float | None = None, spent_usd: float | None = None) -> CostReport:
        """A snapshot; under a budget, `remaining_usd` is what is left of it after `spent_usd`
        (the budget's own count, default `total_usd`)."""
        with self._lock:
            by_model = {k: attrs.evolve(v) for k, v in self.usage.items()}
        total = sum((u.cost_usd for u in by_model.values() if u.cost_usd is not None), 0.0)
        remaining = None if budget_usd is None else max(0.0, budget_usd - (total if spent_usd is None else spent_usd))
        unpriced = tuple(sorted(k for k, v in by_model.items() if v.cost_usd is None))
        return CostReport(total, by_model, budget_usd, remaining, unpriced)

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        if site.inner is None or not chat_models(site.inner):

            async def returned(x: object) -> object:  # a node that calls a model its own way: its reply is the record
                # unless it made watched calls (an LLMPrimitive's execute, called directly); with this
                # tracker in scope already, those are recorded there: here they are only counted
                seen = _Seen(self, record=not in_scope(self))
                token = enter(seen)
                try:
                    result = await call(x)
                finally:
                    leave(token)
                if not seen.calls and isinstance(result, ChatResponse):
                    self.record(result)
                return result

            return returned

        async def tracked(x: object) -> object:  # each LLMPrimitive call inside, as it is made (a cache hit made none)
            token = enter(self)
            try:
                return await call(x)
            finally:
                leave(token)

        return tracked

    def call_done(self, ticket: object, response: ChatResponse) -> None:
        self.record(response)


class _Seen(SpendWatcher):
    """A tracker, for one call of a node with no LLMPrimitive of its own: counts the watched
    calls made inside (and records them, unless the tracker is in scope already and records them
    itself), so the reply the node returns is recorded only if it made none. A recording one is
    equal to its tracker, so a scope holding either holds the other (each call recorded once)."""

    __slots__ = ("calls", "record", "tracker")

    def __init__(self, tracker: CostTracker, *, record: bool) -> None:
        self.tracker = tracker
        self.record = record
        self.calls = 0

    def call_done(self, ticket: object, response: ChatResponse) -> None:
        self.calls += 1
        if self.record:
            self.tracker.record(response)

    def call_unmetered(self, ticket: object) -> None:
        self.calls += 1

    def __eq__(self, other: object) -> bool:
        if not self.record:  # only counting: always its own place in the scope
            return other is self
        return other is self.tracker or (isinstance(other, _Seen) and other.record and other.tracker is self.tracker)

    def __hash__(self) -> int:
        return hash(self.tracker)


class CostTrackingPrimitive(GuardNode[ChatRequest, ChatResponse], CompiledPrimitive[ChatRequest, ChatResponse]):
    """`CostTrackingPrimitive(llm_primitive)`: the LLM node, with its spend recorded. With your own
    `prices`, an LLMPrimitive's worst-case cost per call (for the analysis and budgets) is
    priced with them too."""

    def __init__(self, llm: Node[ChatRequest, ChatResponse], *, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> None:
        self.tracker = CostTracker(prices)
        if prices is not DEFAULT_PRICES and isinstance(llm, LLMPrimitive):
            bound = call_cost_bound(llm.model, prices)
            if bound is not None:
                llm = llm.declare(cost=bound)
        GuardNode.__init__(self, llm, self.tracker)

    async def get_cost_report(self) -> CostReport:
        """Spend so far, in total and per model."""
        return self.tracker.report()


@attrs.frozen
class _Bounds:
    """What bounds the calls of a budget's guarded node: the chat models of the LLMPrimitives
    inside it (each call reserves its own worst case where it is made), else the node's
    declared worst case (reserved around the whole call)."""

    models: tuple[ChatModel, ...]
    static_usd: float | None
    unseen: tuple[Op, ...] = ()
    """Model calls no spend scope sees: leaves calling a client their own way, remote nodes."""
    costed: tuple[Op, ...] = ()
    """Leaves that declare a cost (for the error when none declares `model_calls`)."""

    @classmethod
    def of(cls, inner: Op | None) -> _Bounds:
        if inner is None:
            return cls((), None)
        from ...compiler.passes._analyze import declared_cost_bound

        costed = tuple(op for op in walk(inner) if isinstance(op, CallOp) and op.traits.cost is not None)
        return cls(tuple(chat_models(inner)), declared_cost_bound(inner), tuple(unwatched_model_calls(inner)), costed)

    def unboundable(self, prices: Mapping[str, ModelPrice]) -> str | None:
        """Why calls cannot be bounded whatever the request (None if they can)."""
        unpriced = [m.model for m in self.models if price_for(m.model, prices) is None]
        if unpriced:
            return f"no price for model {unpriced[0]!r}"
        remote = [op.name for op in self.unseen if op.kind == "remote"]
        if remote:
            return f"{remote[0]!r} calls a model on another backend, where no budget sees the call; put the budget inside it"
        if self.models and self.unseen:
            return (
                f"{self.unseen[0].name!r} calls a model its own way beside LLMPrimitive calls, so no single bound covers "
                "both; make it an LLMPrimitive or give it a budget of its own"
            )
        if not self.models and self.static_usd is None:
            if self.costed and not self.unseen:
                return f"{self.costed[0].name!r} declares cost= but not model_calls= (declare(cost=..., model_calls=1))"
            return "no LLMPrimitive inside and no declared cost"
        return None


class SpendBudget(GuardPolicy, SpendWatcher):
    """Refuses a call once the spend, plus the worst case of the model calls still in flight,
    reaches the budget: concurrent calls (an agent's parallel tool calls, many runs at once)
    cannot all pass the check before the first of them is priced. Under a hard budget every
    model call reserves its own worst case before it is made, and is refused if that does not
    fit, so the spend never exceeds the budget."""

    kind = "budget"

    def __init__(self, tracker: CostTracker, budget_usd: float, hard: bool) -> None:
        self.tracker = tracker
        self.budget_usd = check_positive("BudgetEnforcementPrimitive", "budget_usd", budget_usd)
        self.hard = check_bool("BudgetEnforcementPrimitive", "hard", hard)
        self.in_flight_usd = 0.0
        """The worst-case cost of the calls under way (reserved until they are settled)."""
        self.unpriced_usd = 0.0
        """What calls that could not be metered (a stream closed early) and, under a hard
        budget, replies that could not be priced are counted at: their reservation (the worst
        case), never nothing."""
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def spent_usd(self) -> float:
        """What this budget counts as spent: the tracker's total and the unpriced replies."""
        return self.tracker.total_usd + self.unpriced_usd

    def describe(self) -> dict[str, object]:
        return {"budget_usd": self.budget_usd, "hard": self.hard}

    def bind(self, inner: Op) -> None:
        if self.hard:
            why = _Bounds.of(inner).unboundable(self.tracker.prices)
            if why is not None:
                raise ConfigError(
                    f"BudgetEnforcementPrimitive({inner.name})",
                    "hard",
                    f"hard=False, or a guarded node whose calls have a worst-case cost (here: {why})",
                    True,
                )

    # -- reservations ---------------------------------------------------------------------------

    def _refusal(self, worst: float | None, exclude: float = 0.0) -> str | None:
        """Why a call whose worst case is `worst` must not start (called under the lock): under a
        hard budget, when it does not fit beside what is spent and reserved; under a soft one,
        when the budget is reached already (not counting `exclude`, the reservation of the node
        the call is made in). None when it may start."""
        spent = self.spent_usd
        in_flight = max(0.0, self.in_flight_usd - exclude)
        pending = f", ${in_flight:.6f} reserved by calls in flight" if in_flight > 0 else ""
        if not self.hard:
            if spent + in_flight >= self.budget_usd:
                return f"LLM budget of ${self.budget_usd:g} exhausted (spent ${spent:.6f}{pending}); the call was not made"
            return None
        if worst is None:
            return (
                f"hard LLM budget of ${self.budget_usd:g}: the cost of this call has no bound (give the request or the "
                "model a max_tokens); the call was not made"
            )
        if spent + self.in_flight_usd + worst > self.budget_usd:
            return (
                f"hard LLM budget of ${self.budget_usd:g} would be exceeded: spent ${spent:.6f}{pending}, and this call may "
                f"cost up to ${worst:.6f}; the call was not made"
            )
        return None

    def _check(self, exclude: float = 0.0) -> None:
        """The soft budget's check (at its node's boundary, and at each call a node with no
        LLMPrimitive makes, `exclude` being its own reservation): BudgetExceededError once it is
        reached."""
        with self._lock:
            refusal = self._refusal(None, exclude)
        if refusal is not None:
            raise BudgetExceededError(refusal)

    def _reserve(self, worst: float | None, check: bool) -> float:
        """Reserve `worst` (under the lock); with `check`, refuse a call that must not start."""
        with self._lock:
            refusal = self._refusal(worst) if check else None
            if refusal is None:
                reserved = worst or 0.0
                self.in_flight_usd += reserved
                self._in_flight += 1
                return reserved
        raise BudgetExceededError(refusal)

    def _settle(self, reserved: float, *, counted: bool = False) -> None:
        """Release a reservation; `counted`, it is spent at it (a call made but not metered, a
        stream closed early; under a hard budget, a reply that cannot be priced)."""
        with self._lock:
            self._in_flight -= 1
            self.in_flight_usd = self.in_flight_usd - reserved if self._in_flight else 0.0  # no float drift at rest
            if counted:
                self.unpriced_usd += reserved

    def _settle_reply(self, reserved: float, response: object) -> float | None:
        """Settle a call that returned `response`; its cost (None when it has none known)."""
        cost = self.tracker.cost_of(response) if isinstance(response, ChatResponse) else None
        self._settle(reserved, counted=self.hard and isinstance(response, ChatResponse) and cost is None)
        return cost

    def call_starting(self, model: ChatModel, request: ChatRequest) -> object:
        # every call is checked where it is made: a soft budget too, so a node making several
        # calls cannot run past it
        worst = request_cost_bound(model, request, self.tracker.prices)
        if worst is None and not self.hard:  # no reply cap: held in flight at the model's own limits
            worst = call_cost_bound(model, self.tracker.prices)
        return self._reserve(worst, check=True)

    def call_done(self, ticket: object, response: ChatResponse) -> None:
        reserved = typing.cast(float, ticket)
        cost = self._settle_reply(reserved, response)
        if self.hard and cost is not None and cost > reserved * (1 + 1e-9) + 1e-12:
            warnings.warn(
                f"hard LLM budget of ${self.budget_usd:g}: a {response.model!r} reply cost ${cost:.6f}, more than the "
                f"${reserved:.6f} reserved for it (the model reported more tokens than the limits it declares); "
                "the spend may exceed the budget",
                RuntimeWarning,
                stacklevel=2,
            )

    def call_failed(self, ticket: object) -> None:
        self._settle(typing.cast(float, ticket))

    def call_unmetered(self, ticket: object) -> None:
        self._settle(typing.cast(float, ticket), counted=True)

    def wrap(self, call: Callable[[object], Awaitable[object]], site: GuardSite) -> Callable[[object], Awaitable[object]]:
        bounds = _Bounds.of(site.inner)
        whole = not bounds.models  # no LLMPrimitive inside: the node's declared worst case, around the whole call

        async def enforced(x: object) -> object:
            if whole:  # the declared worst case covers the whole call: nothing inside reserves again
                reserved = self._reserve(bounds.static_usd, check=True)
                token = None if self.hard else enter(_Checked(self, reserved))  # a soft budget checks each call inside
                result: object = None
                try:
                    result = await call(x)
                finally:
                    if token is not None:
                        leave(token)
                    self._settle_reply(reserved, result)
                return result
            if not self.hard:  # the soft check, at the node's boundary: is the budget reached?
                self._check()
            token = enter(self)  # each model call inside reserves where it is made
            try:
                return await call(x)
            finally:
                leave(token)

        return enforced


class _Checked(SpendWatcher):
    """A soft budget's check at each model call made inside a node with no LLMPrimitive of its
    own (an LLMPrimitive's execute called directly): the node's declared reservation covers the
    cost, so nothing is reserved again, but a call past the budget is refused."""

    __slots__ = ("budget", "reserved")

    def __init__(self, budget: SpendBudget, reserved: float) -> None:
        self.budget = budget
        self.reserved = reserved

    def call_starting(self, model: ChatModel, request: ChatRequest) -> object:
        self.budget._check(exclude=self.reserved)
        return None


class BudgetEnforcementPrimitive(GuardNode[ChatRequest, ChatResponse], CompiledPrimitive[ChatRequest, ChatResponse]):
    """Refuses calls (BudgetExceededError, before they are made) once the tracked spend reaches
    `budget_usd`. Model calls in flight count at their worst case, so concurrent calls cannot
    overshoot the budget by more than one call.

    With `hard=True` the spend never exceeds the budget: each model call inside the guarded
    node (every LLMPrimitive call, with the request it is made with) reserves its own worst case
    before it is sent (from the request's size and its `max_tokens`, or the model's, at the
    model's price; see `request_cost_bound`) and is refused if that does not fit; the
    reservation is settled to the real cost when the reply is priced. Compiling a hard budget
    whose calls cannot be bounded (no price for a model, no LLMPrimitive inside and no declared
    cost) is a ConfigError."""

    def __init__(self, cost_tracker: CostTrackingPrimitive, *, budget_usd: float, hard: bool = False) -> None:
        self.cost_tracker = cost_tracker
        self.budget = SpendBudget(cost_tracker.tracker, budget_usd, hard)
        """The budget's state: `spent_usd`, `in_flight_usd`, `unpriced_usd`, `budget_usd`, `hard`."""
        GuardNode.__init__(self, cost_tracker, self.budget)

    async def get_cost_report(self) -> CostReport:
        """Spend so far, with the budget and what remains of it."""
        return self.cost_tracker.tracker.report(self.budget.budget_usd, self.budget.spent_usd)
