"""Running a plan: the closures built once per plan, the RunContext, hooks and deadlines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Protocol

from typing_extensions import Never

import anyio

from ..compiler._ir import Op, walk
from ..compiler._streams import outlets
from ..compiler._types import format_type
from ..context import RunContext, _current, _idempotency_key, _run_deadline, _same_call
from ..errors import RunTimeoutError
from . import _concurrency as concurrency, _control as control, _leaf as leaf, _sequence as sequence, _streaming as streaming  # noqa: F401 - register the core emitters
from ._emit import AsyncFn, Emitter, Step
from ._hooks import REGISTRY, Hook, HookSet, RunInfo, _Registry
from ._live import RunEvents, RunStream
from ._streaming import Sink, _sink
from ._notes import already_noted, note, where
from ._outputs import InputTypeError, instance_types, output_checker
from ._sequence import framed
from ._step import Frame

if TYPE_CHECKING:
    from ..compiler._program import Program
    from ._journaling import ValueCodec

JournalCodec = Callable[[Op, object], "ValueCodec"]

__all__ = ["Executable", "RunTimeoutError", "build_executable", "run_deadline", "run_many"]


class Executable:
    """The runnable form of a plan for one set of hooks."""

    __slots__ = ("accepts", "entry", "fast_run", "hooks", "name", "owner", "plan", "registry", "root", "root_step", "streams", "version")

    def __init__(
        self, plan: Program[Never, object], registry: _Registry, extra: tuple[Hook, ...] = (), journal_codec: JournalCodec | None = None
    ) -> None:
        self.plan = plan
        self.name = plan.name
        self.root = plan.root
        self.registry = registry
        self.version = registry.version
        hooks = HookSet((*registry.hooks, *extra))
        self.hooks: HookSet | None = hooks if hooks else None
        plan_outlets = outlets(plan.root)
        self.streams = bool(plan_outlets)
        """Whether the plan has a streaming output (what `plan.stream()` needs)."""
        emitter = Emitter(self.hooks, check_outputs=registry.check_outputs, outlets=plan_outlets, journal_codec=journal_codec)
        self.owner = emitter.owner
        """What `plan.stream()` gives its sink so only this plan's outlet sends to it."""
        root = emitter.emit(plan.root)
        if journal_codec is None:
            suspending = next((op for op in walk(plan.root) if op.kind == "interrupt"), None)
            if suspending is not None:  # refused before any node runs, not when the interrupt is reached
                root = Step(_needs_journal(plan.name, suspending.name), True)
        self.entry: AsyncFn = root.as_async()
        self.accepts = output_checker(plan.root.in_type)
        """The plan-boundary input check (an isinstance, or None when the type cannot be checked
        cheaply): a wrong input fails here, naming the plan, not in some node far inside it."""
        self.root_step = root
        self.fast_run: Callable[[object, RunContext | None, float | None], Awaitable[object]] = (
            self.run if self.hooks is not None and self.hooks.run_hooks else self._first_fast_run
        )
        """What `plan.run(x)` calls: `run` with its common case generated as one coroutine
        around the root's steps (see `_frame`); the rest (a timeout, a deadline, a stream or
        durable call around it, run hooks) goes on to `run`."""

    def _first_fast_run(self, x: object, context: RunContext | None, timeout: float | None) -> Awaitable[object]:
        """`fast_run`, generated on the first `plan.run`: the executables built for `events()`
        and durable runs never call it, so they never compile it."""
        self.fast_run = framed(self.root_step, self._frame(), self.name)
        return self.fast_run(x, context, timeout)

    def _frame(self) -> Frame:
        """The code `fast_run` wraps around the root's steps: `run`'s input check and RunContext
        set-up, for a run with no deadline started outside any stream or durable node; such a
        run inside another run with the same context sets no contextvar at all. A run started
        outside any run with no context and no timeout has no deadline, sink or key to look
        for (a stream's sink and a durable node's key are set only inside runs)."""
        accepts = self.accepts
        name, in_type, plan_note = self.name, self.root.in_type, f"in {where(self.root)} of plan {self.name!r}"
        accepted = None if accepts is None else instance_types(accepts)
        check = (
            ()
            if accepts is None
            else ("    if not isinstance(x, accepted):", "        raise bad_input(x)")
            if accepted is not None
            else ("    if not accepts(x):", "        raise bad_input(x)")
        )
        return Frame(
            params=("context", "timeout"),
            prologue=(
                *check,
                "    current = get_current(None)",
                "    if current is None and context is None and timeout is None:",  # a run of its own: nothing else to ask
                "        token = set_current(new_context())",
                "    else:",
                "        if context is None:",
                "            context = current or new_context()",
                "        if timeout is not None or context.deadline is not None or get_sink() is not None or get_key() is not None:",
                "            return await slow_run(x, context, timeout)",
                "        token = None if context is current else set_current(context)",
            ),
            epilogue=("        if token is not None:", "            reset_current(token)"),
            namespace={
                "accepts": accepts,
                "accepted": accepted,
                "bad_input": lambda x: InputTypeError(name, format_type(in_type), x),
                "get_current": _current.get,
                "new_context": RunContext._for_run,
                "get_sink": _sink.get,
                "get_key": _idempotency_key.get,
                "slow_run": self.run,
                "set_current": _current.set,
                "reset_current": _current.reset,
            },
            place=lambda exc: note(exc, plan_note),
        )

    async def run(
        self, x: object, context: RunContext | None, timeout: float | None, sink: Sink | None = None, deadline: tuple[float, str] | None = None
    ) -> object:
        """Run the plan; `sink` receives the chunks of its streaming output (`plan.stream()`).
        A run started inside another (a node that runs a plan) never sends to the enclosing
        run's sink, even when it is the same plan. `deadline` (see `run_deadline`) replaces the
        one `timeout` and the context give, for a caller that started the run's clock earlier."""
        if self.accepts is not None and not self.accepts(x):
            raise InputTypeError(self.name, format_type(self.root.in_type), x)
        if context is None:
            context = _current.get(None) or RunContext._for_run()
        token = _current.set(context)
        sink_token = _sink.set(sink) if _sink.get() is not sink else None
        # a run inside a durable node's call is not that node: its nodes get no key of the node's
        key_token = _idempotency_key.set(None) if _idempotency_key.get() is not None and not _same_call.get() else None
        try:
            if self.hooks is not None and self.hooks.run_hooks:
                return await self._run_with_hooks(x, context, timeout, deadline)
            if timeout is None and context.deadline is None and deadline is None:
                return await self.entry(x)  # the common run: no second coroutine (see _run)
            return await self._run(x, context, timeout, deadline)
        except Exception as exc:
            if not already_noted(exc):
                note(exc, f"in {where(self.root)} of plan {self.name!r}")
            raise
        finally:
            _current.reset(token)
            if sink_token is not None:
                _sink.reset(sink_token)
            if key_token is not None:
                _idempotency_key.reset(key_token)

    def stream(self, x: object, context: RunContext | None, timeout: float | None, buffer: int) -> RunStream[object, object]:
        """A `plan.stream()` of this executable (imported here, not per call by the plan)."""
        return RunStream(self, x, context, timeout, buffer)

    def events(self, x: object, context: RunContext | None, timeout: float | None, buffer: int) -> RunEvents[object]:
        """A `plan.events()` of this executable."""
        return RunEvents(self, x, context, timeout, buffer)

    async def _run_with_hooks(self, x: object, context: RunContext, timeout: float | None, deadline: tuple[float, str] | None) -> object:
        assert self.hooks is not None
        info = RunInfo(self.name, self.plan.fingerprint(), context)
        self.hooks.run_start(info)
        try:
            result = await self._run(x, context, timeout, deadline)
        except BaseException as exc:
            self.hooks.run_end(info, exc)
            raise
        self.hooks.run_end(info, None)
        return result

    async def _run(self, x: object, context: RunContext, timeout: float | None, given: tuple[float, str] | None = None) -> object:
        """Run the entry under this run's deadline: the earliest of `timeout`, the context's
        deadline and the enclosing run's. It lives in a contextvar, never on the shared context,
        so overlapping runs that share one RunContext cannot restore each other's deadlines."""
        if timeout is None and context.deadline is None and given is None:
            return await self.entry(x)  # an enclosing run's deadline is enforced by its own scope
        deadline, limit = given if given is not None else run_deadline(context, timeout)
        token = _run_deadline.set(deadline)
        try:
            with anyio.move_on_at(deadline) as scope:
                return await self.entry(x)
        finally:
            _run_deadline.reset(token)
        # Only reached when the deadline cancelled the run.
        assert scope.cancelled_caught
        raise RunTimeoutError(f"plan {self.name!r} exceeded its {limit}")


def run_deadline(context: RunContext | None, timeout: float | None) -> tuple[float, str]:
    """When a run starting now must end (anyio's clock), and what sets that limit: the earliest of
    `timeout`, the context's deadline (the enclosing run's context when None) and an enclosing
    run's deadline (inf, "" for none)."""
    if context is None:
        context = _current.get(None)
    enclosing = _run_deadline.get()
    candidates = [(anyio.current_time() + timeout, f"timeout of {timeout}s")] if timeout is not None else []
    if context is not None and context.deadline is not None:
        candidates.append((context.deadline, "context deadline"))
    if enclosing is not None:
        candidates.append((enclosing, "enclosing run's deadline"))
    return min(candidates, key=lambda candidate: candidate[0], default=(float("inf"), ""))


def _needs_journal(plan: str, interrupt: str) -> AsyncFn:
    async def refuse(x: object) -> object:
        from ..errors import ConfigError

        raise ConfigError(
            f"plan {plan!r}.run", "run_id, journal", f"a durable run (the plan has interrupt {interrupt!r}): plan.run(x, run_id=..., journal=...)", None
        )

    return refuse


def build_executable(
    plan: Program[Never, object], extra: tuple[Hook, ...] = (), journal_codec: JournalCodec | None = None
) -> Executable:
    """The closures that run `plan` with the process-wide hooks and `extra` ones (the plan's own
    first; journaling with `journal_codec`); see `Plan._executable`."""
    return Executable(plan, REGISTRY, extra, journal_codec)


class _Runs(Protocol):
    """What `run_many` needs of a plan (the Plan above the executor provides it)."""

    @property
    def name(self) -> str: ...
    @property
    def root(self) -> Op: ...
    def run(self, input: object, *, context: RunContext | None = None) -> Coroutine[object, object, object]: ...


async def run_many(
    plan: _Runs,
    inputs: list[object],
    limit: int,
    context: RunContext | None,
    return_exceptions: bool = False,
    *,
    on_item: Callable[[int], object] | None = None,
) -> list[object]:
    """Run `plan` on each input with bounded concurrency; ordered results. A failed item's error
    is noted with its index; by default the first failure cancels the rest and raises
    ParallelError naming the failed items, with `return_exceptions` it takes the item's place.
    `on_item(i)` is called as each item ends (the CLI's progress line)."""
    from .._validate import check_bool, check_int

    check_int(f"plan {plan.name!r}.map", "concurrency", limit, minimum=1)
    check_bool(f"plan {plan.name!r}.map", "return_exceptions", return_exceptions)
    return await concurrency.run_items(
        len(inputs),
        limit,
        lambda i: plan.run(inputs[i], context=context),
        lambda i: f"in item {i} of plan {plan.name!r}.map",
        f"plan {plan.name!r}.map",
        plan.name,
        str(plan.root.location),
        return_exceptions=return_exceptions,
        on_item=on_item,
    )
