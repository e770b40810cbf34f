"""RunContext: what a running plan knows about itself (ids, metadata, state, deadline).

It lives in a contextvar for the duration of `Plan.run`, so any node, hook or helper can reach it
with `current_context()`, and nodes can also ask for it as their second parameter. It sits
outside `executor` because node signatures in the DSL mention it.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Final, Generic, TypeVar, overload

from .errors import ConfigError, NoRunContextError

__all__ = ["ORIGINAL_FIELDS", "RunContext", "WorkflowContext", "current_context", "new_correlation_id"]

ORIGINAL_FIELDS: Final = (
    "workflow_id", "session_id", "player_id", "metadata", "state", "trace_id", "span_id", "parent_span_id", "trace_flags",
    "correlation_id", "causation_id", "baggage", "tags", "start_time", "checkpoints",
)
"""The fields of the original package's WorkflowContext, in its order (`model_dump()`'s keys)."""


def new_correlation_id() -> str:
    """A random 128-bit id in hex, like a W3C trace id."""
    return os.urandom(16).hex()


V = TypeVar("V")


class _Extra(Generic[V]):
    """A field most runs never touch (session and player ids, tags, the start time, the original
    package's trace ids, baggage and checkpoints): kept in one dict made on first write, so a
    run's context is small and quick to make. A field whose default is made anew (a dict, a
    time) keeps it from its first read on; `None` defaults are not stored."""

    def __init__(self, default: Callable[[], V], *, keep: bool = True) -> None:
        self.default = default
        self.keep = keep

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, ctx: None, owner: type) -> _Extra[V]: ...
    @overload
    def __get__(self, ctx: RunContext, owner: type) -> V: ...
    def __get__(self, ctx: RunContext | None, owner: type) -> V | _Extra[V]:
        if ctx is None:
            return self
        extra = ctx._extra
        if extra is not None and self.name in extra:
            return extra[self.name]  # type: ignore[return-value]  # set by this descriptor only
        value = self.default()
        if self.keep:
            self.__set__(ctx, value)
        return value

    def __set__(self, ctx: RunContext, value: V) -> None:
        if ctx._extra is None:
            ctx._extra = {}
        ctx._extra[self.name] = value


def _none() -> None:
    return None


_new_context = object.__new__


class RunContext:
    """Per-run identity and data shared by every node of one run.

    The correlation id is generated lazily on first read, so runs that never look at it pay
    nothing. `deadline` is an absolute time on the event loop's clock (`anyio.current_time()`)
    that the caller sets; the executor enforces it, never changes it, and nodes read the run's
    effective deadline with `remaining()`.
    """

    __slots__ = ("_correlation_id", "_extra", "_metadata", "_state", "deadline", "workflow_id")

    def __init__(
        self,
        *,
        correlation_id: str | None = None,
        workflow_id: str | None = None,
        session_id: str | None = None,
        player_id: str | None = None,
        metadata: dict[str, object] | None = None,
        state: dict[str, object] | None = None,
        tags: dict[str, str] | None = None,
        deadline: float | None = None,
        trace_id: str | None = None,
        span_id: str | None = None,
        parent_span_id: str | None = None,
        trace_flags: int | None = None,
        causation_id: str | None = None,
        baggage: dict[str, str] | None = None,
        start_time: float | None = None,
        checkpoints: list[tuple[str, float]] | None = None,
    ) -> None:
        self._extra: dict[str, object] | None = None
        self.start_time = time.time() if start_time is None else start_time
        if trace_id is not None or span_id is not None or parent_span_id is not None or trace_flags is not None:
            self.trace_id, self.span_id, self.parent_span_id = trace_id, span_id, parent_span_id
            self.trace_flags = 1 if trace_flags is None else trace_flags
        if causation_id is not None:
            self.causation_id = causation_id
        if baggage is not None:
            self.baggage = baggage
        if checkpoints is not None:
            self.checkpoints = checkpoints
        if session_id is not None:
            self.session_id = session_id
        if player_id is not None:
            self.player_id = player_id
        if tags is not None:
            self.tags = tags
        self._correlation_id = correlation_id
        self.workflow_id = workflow_id
        self._metadata = metadata  # the dicts are created on first use: most runs never need them
        self._state = state
        self.deadline = deadline

    @property
    def correlation_id(self) -> str:
        """The id that ties together logs, spans and metrics of this run (generated if absent)."""
        cid = self._correlation_id
        if cid is None:
            cid = self._correlation_id = new_correlation_id()
        return cid

    @correlation_id.setter
    def correlation_id(self, value: str) -> None:
        self._correlation_id = value

    @property
    def metadata(self) -> dict[str, object]:
        """Caller-supplied data about the run (read by hooks, e.g. user or tenant ids)."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict[str, object]) -> None:
        self._metadata = value

    @property
    def state(self) -> dict[str, object]:
        """Mutable data that nodes of the run share."""
        if self._state is None:
            self._state = {}
        return self._state

    @state.setter
    def state(self, value: dict[str, object]) -> None:
        self._state = value

    session_id: _Extra[str | None] = _Extra(_none, keep=False)
    player_id: _Extra[str | None] = _Extra(_none, keep=False)
    tags: _Extra[dict[str, str]] = _Extra(dict)
    """Short string labels (for telemetry)."""
    start_time: _Extra[float] = _Extra(time.time)
    """When this context was created (`time.time()`), as in the original package; for the
    context of a run started without one, when first asked (most runs never ask)."""

    # -- the original package's WorkflowContext fields and methods --------------------------

    trace_id: _Extra[str | None] = _Extra(_none, keep=False)
    """A W3C trace id the caller carries (our tracing hook uses the OpenTelemetry context)."""
    span_id: _Extra[str | None] = _Extra(_none, keep=False)
    parent_span_id: _Extra[str | None] = _Extra(_none, keep=False)
    trace_flags: _Extra[int] = _Extra(lambda: 1, keep=False)
    causation_id: _Extra[str | None] = _Extra(_none, keep=False)
    """The correlation id of the context this one was derived from (`create_child_context`)."""
    baggage: _Extra[dict[str, str]] = _Extra(dict)
    checkpoints: _Extra[list[tuple[str, float]]] = _Extra(list)
    """`(name, time.time())` pairs recorded by `checkpoint(name)`."""

    @classmethod
    def _for_run(cls) -> RunContext:
        """The context of a run started without one: its start time is taken when first asked
        (most runs never ask), not at creation."""
        ctx = _new_context(cls)
        ctx._extra = ctx._correlation_id = ctx._metadata = ctx._state = ctx.workflow_id = ctx.deadline = None
        return ctx

    def __copy__(self) -> RunContext:
        """A shallow copy whose rarely used fields (ids, tags, start time, ...) are its own, as
        its other fields are: setting one on the copy leaves this context alone."""
        cls = type(self)
        copied = _new_context(cls)
        for klass in cls.__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if slot != "__weakref__" and hasattr(self, slot):
                    setattr(copied, slot, getattr(self, slot))
        if hasattr(self, "__dict__"):
            copied.__dict__.update(self.__dict__)
        if self._extra is not None:
            copied._extra = dict(self._extra)
        return copied

    def checkpoint(self, name: str) -> None:
        """Record a named timing checkpoint (the original package's API)."""
        self.checkpoints.append((name, time.time()))

    def elapsed_ms(self) -> float:
        """Milliseconds since `start_time`."""
        return (time.time() - self.start_time) * 1000

    def create_child_context(self) -> RunContext:
        """A context for a nested workflow (a parallel branch): the same ids (the correlation
        id, and this one's as the causation id), this span as its parent span, the deadline, and
        deep copies of metadata and state (as the original's), so a branch's writes stay its own."""
        child = RunContext(
            correlation_id=self.correlation_id,
            workflow_id=self.workflow_id,
            session_id=self.session_id,
            player_id=self.player_id,
            metadata=None if self._metadata is None else copy.deepcopy(self._metadata),
            state=None if self._state is None else copy.deepcopy(self._state),
            tags=dict(self.tags),
            causation_id=self.correlation_id,
            baggage=dict(self.baggage),
            deadline=self.deadline,
        )
        if self.trace_id is not None or self.span_id is not None:
            child.trace_id, child.parent_span_id, child.trace_flags = self.trace_id, self.span_id, self.trace_flags
        return child

    def model_dump(self) -> dict[str, object]:
        """The original package's fields as a dict (its WorkflowContext was a pydantic model):
        ids, trace ids, metadata, state, baggage, tags, start time and checkpoints."""
        return {name: getattr(self, name) for name in ORIGINAL_FIELDS}

    def model_copy(self, *, update: Mapping[str, object] | None = None, deep: bool = False) -> RunContext:
        """A copy (`deep=True`: of its dicts and checkpoints too) with `update`'s fields set, as
        pydantic's `model_copy`; a name that is not one of the original's fields is a ConfigError."""
        copied = copy.deepcopy(self) if deep else copy.copy(self)
        for name, value in (update or {}).items():
            if name not in ORIGINAL_FIELDS:
                raise ConfigError("WorkflowContext.model_copy", f"update[{name!r}]", f"one of {', '.join(ORIGINAL_FIELDS)}", value)
            setattr(copied, name, value)
        return copied

    def to_otel_context(self) -> dict[str, str | float]:
        """The ids as span attributes, as the original package named them."""
        return {
            "workflow.id": self.workflow_id or "unknown",
            "workflow.session_id": self.session_id or "unknown",
            "workflow.player_id": self.player_id or "unknown",
            "workflow.correlation_id": self.correlation_id,
            "workflow.elapsed_ms": self.elapsed_ms(),
        }

    @property
    def idempotency_key(self) -> str | None:
        """In a durable run, a key that names this execution of the current node: the same in
        every attempt of the run (a resumed one included) and different for every other node,
        iteration, item or retry attempt. Pass it to the services a step calls (payment APIs,
        queues) so that a step re-run after a crash has its effect once (a saga's compensation has a
        key of its own). None outside durable runs."""
        return _idempotency_key.get()

    def remaining(self) -> float | None:
        """Seconds left before the deadline, or None when there is none.

        Inside a run of this context, that is the run's own deadline: the earliest of its
        `timeout=`, this context's `deadline` and any enclosing run's (the executor never writes
        it onto this object, which overlapping runs may share).
        """
        deadline = self.deadline
        if _current.get(None) is self:
            effective = _run_deadline.get()
            if effective is not None:
                deadline = effective if deadline is None else min(deadline, effective)
        if deadline is None:
            return None
        import anyio

        return max(0.0, deadline - anyio.current_time())

    def __repr__(self) -> str:
        return (
            f"RunContext(correlation_id={self.correlation_id!r}, workflow_id={self.workflow_id!r}, "
            f"session_id={self.session_id!r}, metadata={self.metadata!r}, state={self.state!r})"
        )


WorkflowContext = RunContext
"""The original package's name for RunContext; both names refer to the same class."""

_current: Final[ContextVar[RunContext]] = ContextVar("tta_run_context")

_run_deadline: Final[ContextVar[float | None]] = ContextVar("tta_run_deadline", default=None)
"""The deadline of the innermost run in this task (the executor sets it; see `remaining()`)."""

_idempotency_key: Final[ContextVar[str | None]] = ContextVar("tta_idempotency_key", default=None)
"""The running node's key in a durable run (see `RunContext.idempotency_key`)."""

_same_call: Final[ContextVar[bool]] = ContextVar("tta_same_call", default=False)
"""A run that is its caller's own call (an LLMPrimitive called directly inside a durable node):
it keeps the node's idempotency key, where another nested run gets none."""


def current_context() -> RunContext:
    """The RunContext of the plan running in this task.

    Raises NoRunContextError outside of `Plan.run`.
    """
    try:
        return _current.get()
    except LookupError:
        raise NoRunContextError("current_context() called outside of a running plan (use Plan.run)") from None
