"""Plan and compile(): the object a user holds, and how to get it.

`compile(node)` has the compiler produce a Program (inert: IR, passes, edges, lints, analysis)
and wraps it in a Plan, which runs it: on the executor (`run`, `stream`, `events`, `map`), as a
durable run (`run_id=`/`journal=`, `resume`, `pending`) or as a tool (`as_tool`). This is the
top of the engine: it drives the layers below it, and none of them imports it.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, cast, overload

from typing_extensions import Never

import anyio

from . import compiler as _compiler
from .compiler import _compile as _compile_module
from .compiler._compile import compile_program
from .compiler._ir import Op
from .compiler.passes import Analysis, Budget, Lint
from .compiler.passes._lint import blocking_leaves
from .compiler._program import Edges, PassRecord, Program
from .compiler._streams import outlets
from .context import RunContext
from .dsl import _fluent as fluent
from .dsl._core import Node
from .dsl._streaming import StreamNode
from .durable._codec import codec_for
from .durable._run import pending, resume, run_durable
from .errors import BlockingCallWarning, ConfigError, RunSyncError
from .executor._events import EVENTS_HOOK
from .executor._runner import build_executable, run_many
from .executor._shield import running_asyncio
from ._validate import check_bool, check_int, check_optional_positive

if TYPE_CHECKING:
    from .durable._interrupt import Interrupted, ResumeToken
    from .durable._journal import Journal
    from .executor._hooks import Hook
    from .executor._live import RunEvents, RunStream
    from .executor._runner import Executable
    from .stdlib.llm._tools import Tool

__all__ = ["PassRecord", "Plan", "StreamPlan", "compile"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
Chunk = TypeVar("Chunk", covariant=True)
Answer = TypeVar("Answer")
I = TypeVar("I")
O = TypeVar("O")
C = TypeVar("C")


class Plan(Program[In, Out]):
    """The result of `compile(node)`.

    Inspect it with `explain()`, `to_json()` and `fingerprint()`; run it with `await plan.run(x)`
    or `plan.run_sync(x)`. The closures that run it are built once, on first run, and rebuilt
    only when the process-wide hooks change.
    """

    def __init__(
        self,
        root: Op,
        *,
        name: str,
        passes: tuple[PassRecord, ...],
        edges: Edges,
        lints: tuple[Lint, ...] = (),
        analysis: Analysis | None = None,
        hooks: tuple[Hook, ...] = (),
    ) -> None:
        super().__init__(root, name=name, passes=passes, edges=edges, lints=lints, analysis=analysis)
        self.hooks = hooks
        """Hooks this plan calls in addition to the installed ones (see `with_hooks`)."""
        self._exe: Executable | None = None
        self._events_exe: Executable | None = None
        self._built = _Built()

    @classmethod
    def of(cls, program: Program[I, O], *, hooks: tuple[Hook, ...] = ()) -> Plan[I, O]:
        """`program` as a runnable plan (a StreamPlan when its result streams)."""
        plan_class = StreamPlan if cls is Plan and outlets(program.root) else cls
        return plan_class(  # type: ignore[return-value]
            program.root,
            name=program.name,
            passes=program.passes,
            edges=program._edges,  # as they are: worked out when first asked for
            lints=program.lints,
            analysis=program.analysis,
            hooks=hooks,
        )

    # -- execution ------------------------------------------------------------------------------

    def as_tool(self, *, name: str | None = None, description: str | None = None) -> Tool[In, Out]:
        """This plan as a tool a model can call (see `tool`): its input type gives the JSON
        Schema of the arguments; agents can call sub-plans, sub-agents included."""
        return cast("Tool[In, Out]", fluent.builder("tool")(self, name=name, description=description))

    def with_hooks(self, *hooks: Hook) -> Plan[In, Out]:
        """A plan sharing this one's IR that also calls `hooks` (in addition to installed ones).

        Cheap enough to call per request: the copy shares this plan's built closures, and
        plans made with the same hooks (the same objects) share the ones built for them."""
        plan = object.__new__(type(self))
        plan.__dict__.update(self.__dict__)
        plan.hooks = (*self.hooks, *hooks)
        plan._exe = plan._events_exe = None
        return plan

    def _executable(self, *, events: bool = False, durable: bool = False) -> Executable:
        """The closures that run this plan (with the events hook for `events()`, or journaling
        for durable runs), built again when the process-wide hooks change."""
        kind = "durable" if durable else "events" if events else "run"
        exe = self._built.get(self, kind, self.hooks)
        if events:
            self._events_exe = exe
        elif not durable:  # a durable run looks its executable up each time (see _run_durable)
            self._exe = exe
        return exe

    @overload
    def run(
        self, input: In, *, context: RunContext | None = None, timeout: float | None = None
    ) -> Coroutine[object, object, Out]: ...
    @overload
    def run(
        self,
        input: In,
        *,
        run_id: str,
        journal: Journal,
        context: RunContext | None = None,
        timeout: float | None = None,
        on_journal_error: Literal["fail", "continue"] = "fail",
        on_code_change: Literal["refuse", "accept"] = "refuse",
    ) -> Coroutine[object, object, Out | Interrupted[object, object]]: ...
    def run(
        self,
        input: In,
        *,
        context: RunContext | None = None,
        timeout: float | None = None,
        run_id: str | None = None,
        journal: Journal | None = None,
        on_journal_error: Literal["fail", "continue"] = "fail",
        on_code_change: Literal["refuse", "accept"] = "refuse",
    ) -> Coroutine[object, object, Out | Interrupted[object, object]]:
        """Run the plan on `input` and return its result.

        `context` supplies ids, metadata and state (a RunContext is created, or the caller's
        inherited when running inside another plan, if omitted). `timeout` (seconds) bounds the
        whole run and raises RunTimeoutError when exceeded.

        With `run_id` and `journal` the run is durable (see the "Durable runs" guide): each
        completed node's output is journaled, running the same run id again resumes it, and it
        returns an `Interrupted` value when an interrupt suspends it. With
        `on_journal_error="continue"` a run whose journal fails goes on without journaling
        (with one warning) instead of stopping. A resumed run refuses (CodeChangedError) when a
        node whose journaled output it would replay has changed its code since;
        `on_code_change="accept"` replays it anyway.
        """
        if run_id is not None or journal is not None:
            return self._run_durable(input, context, timeout, run_id, journal, on_journal_error, on_code_change)
        if context is not None or timeout is not None:
            self._check_run_arguments(context, timeout)
        exe = self._exe
        if exe is None or exe.version != exe.registry.version:
            exe = self._executable()
        return exe.fast_run(input, context, timeout)  # type: ignore[return-value]  # (no cast(): a call on every run)

    def _run_durable(
        self, input: object, context: RunContext | None, timeout: float | None, run_id: object, journal: object, on_error: object,
        on_code_change: object,
    ) -> Coroutine[object, object, Out | Interrupted[object, object]]:
        if run_id is None or journal is None:
            missing = "journal" if run_id is not None else "run_id"
            raise ConfigError(f"plan {self.name!r}.run", missing, "both run_id and journal for a durable run", None)
        self._check_run_arguments(context, timeout)
        return cast(
            "Coroutine[object, object, Out | Interrupted[object, object]]",
            run_durable(
                self, input, run_id=run_id, journal=journal, context=context, timeout=timeout, on_journal_error=on_error,  # type: ignore[arg-type]
                on_code_change=on_code_change,  # type: ignore[arg-type]
            ),
        )

    def resume(
        self,
        token: ResumeToken[Answer],
        answer: Answer,
        *,
        journal: Journal,
        context: RunContext | None = None,
        timeout: float | None = None,
        on_journal_error: Literal["fail", "continue"] = "fail",
        on_code_change: Literal["refuse", "accept"] = "refuse",
    ) -> Coroutine[object, object, Out | Interrupted[object, object]]:
        """Answer the interrupt a durable run is suspended at (`token`: `Interrupted.token`, or
        `ResumeToken.parse(text)` in another process) and run the plan on from there: what ran
        before replays from `journal`, the interrupt returns `answer`. Returns the result, or
        `Interrupted` again at the next interrupt. ResumeError for an answer of the wrong type
        or an answered or unknown interrupt; PlanChangedError for another plan (CodeChangedError
        for changed code, as for `run`)."""
        self._check_run_arguments(context, timeout)
        return cast(
            "Coroutine[object, object, Out | Interrupted[object, object]]",
            resume(
                self, token, answer, journal=journal, context=context, timeout=timeout, on_journal_error=on_journal_error,  # type: ignore[arg-type]
                on_code_change=on_code_change,
            ),
        )

    def pending(self, run_id: str, *, journal: Journal) -> Coroutine[object, object, Interrupted[object, object] | None]:
        """The interrupt the durable run `run_id` is suspended at, read from `journal` (for a
        process other than the one that ran it, e.g. an approval service); None if none."""
        return pending(self, run_id, journal)  # type: ignore[arg-type]

    def stream(
        self, input: In, *, context: RunContext | None = None, timeout: float | None = None, buffer: int = 16
    ) -> RunStream[object, Out]:
        """Run the plan in the background and iterate over the chunks of its streaming output
        as they are produced (see `streaming()`); enter it first, so that leaving the block
        stops the run:

            async with plan.stream(x) as chunks:
                async for chunk in chunks: ...
            value = await chunks.result()

        At most `buffer` chunks wait for the consumer; then the run waits. Raises ConfigError
        for a plan with no streaming node on its result path. A plan compiled from a
        StreamNode is a StreamPlan, whose chunks mypy knows the type of."""
        if context is not None or timeout is not None or type(buffer) is not int or buffer < 1:
            self._check_live_arguments("stream", context, timeout, buffer)
        exe = self._exe
        if exe is None or exe.version != exe.registry.version:
            exe = self._executable()
        if not exe.streams:
            raise ConfigError(
                f"plan {self.name!r}.stream", "plan", "a plan with a streaming node on its result path (see streaming())", "a plan that does not stream"
            )
        return cast("RunStream[object, Out]", exe.stream(input, context, timeout, buffer))

    def events(
        self, input: In, *, context: RunContext | None = None, timeout: float | None = None, buffer: int = 256
    ) -> RunEvents[Out]:
        """Run the plan in the background and iterate over its events as they happen: run and
        node starts and ends (ids and names as in EXPLAIN), chunks, loop iterations, tool calls,
        retries, fallbacks, timeouts, breaker moves, cache hits and misses (see executor._events).

            async with plan.events(x) as events:
                async for event in events: ...

        At most about `buffer` events wait for the consumer; then the run waits."""
        if context is not None or timeout is not None or type(buffer) is not int or buffer < 1:
            self._check_live_arguments("events", context, timeout, buffer)
        exe = self._events_exe
        if exe is None or exe.version != exe.registry.version:
            exe = self._executable(events=True)
        return cast("RunEvents[Out]", exe.events(input, context, timeout, buffer))

    def _check_live_arguments(self, what: str, context: object, timeout: object, buffer: object) -> None:
        """ConfigError for a bad context, timeout or buffer of `stream()` / `events()` (checked
        only when one is given or looks wrong: the common call pays one type test)."""

        if context is not None or timeout is not None:
            self._check_run_arguments(context, timeout)
        check_int(f"plan {self.name!r}.{what}", "buffer", buffer, minimum=1)

    def _check_run_arguments(self, context: object, timeout: object) -> None:
        """ConfigError for a context or timeout of the wrong kind (NaN, a string, a dict, ...)."""

        owner = f"plan {self.name!r}.run"
        if context is not None and not isinstance(context, RunContext):
            raise ConfigError(owner, "context", "a RunContext or None", context)
        check_optional_positive(owner, "timeout", timeout)

    def run_sync(
        self,
        input: In,
        *,
        context: RunContext | None = None,
        timeout: float | None = None,
        backend: Literal["asyncio", "trio"] = "asyncio",
    ) -> Out:
        """Run the plan from synchronous code (scripts, a REPL); where an event loop already
        runs (a Jupyter cell, async code), `await plan.run(x)` instead (RunSyncError here)."""
        running = _running_event_loop()
        if running is not None:
            raise RunSyncError(
                f"plan {self.name!r}.run_sync() was called inside a running {running} event loop (a Jupyter cell or async code), "
                "which it cannot block: use `result = await plan.run(x)` there"
            )
        if backend not in ("asyncio", "trio"):
            raise ConfigError(f"plan {self.name!r}.run_sync", "backend", "'asyncio' or 'trio'", backend)
        if context is not None or timeout is not None:
            self._check_run_arguments(context, timeout)

        async def main() -> Out:
            return await self.run(input, context=context, timeout=timeout)

        return anyio.run(main, backend=backend)

    @overload
    def map(
        self, inputs: Iterable[In], *, concurrency: int = 16, context: RunContext | None = None, return_exceptions: Literal[False] = False
    ) -> Coroutine[object, object, list[Out]]: ...
    @overload
    def map(
        self, inputs: Iterable[In], *, concurrency: int = 16, context: RunContext | None = None, return_exceptions: Literal[True]
    ) -> Coroutine[object, object, list[Out | Exception]]: ...
    @overload
    def map(
        self, inputs: Iterable[In], *, concurrency: int = 16, context: RunContext | None = None, return_exceptions: bool
    ) -> Coroutine[object, object, list[Out | Exception]]: ...
    def map(
        self, inputs: Iterable[In], *, concurrency: int = 16, context: RunContext | None = None, return_exceptions: bool = False
    ) -> Coroutine[object, object, list[Out]] | Coroutine[object, object, list[Out | Exception]]:
        """Run the plan on many inputs, at most `concurrency` at once; results keep input order.

        A failed item's error carries a note naming its index. By default the first failure
        cancels the other items and raises ParallelError naming the failed items; with
        `return_exceptions=True` every item runs and a failed one's exception takes its place
        in the results (`list[Out | Exception]`)."""
        if context is not None:
            self._check_run_arguments(context, None)
        items = list(inputs)
        if isinstance(concurrency, int) and concurrency > 1 and len(items) > 1:  # a bad value: run_many's ConfigError
            self._warn_blocking()
        return cast(
            "Coroutine[object, object, list[Out]]",
            run_many(self, items, concurrency, context, return_exceptions),  # type: ignore[arg-type]
        )

    def _warn_blocking(self) -> None:
        """A BlockingCallWarning for each sync node that looks blocking: under plan.map it runs
        on the event loop, so the items wait for each other (the lint, for the plan's own map)."""
        for leaf, names in blocking_leaves(self.root):
            warnings.warn(
                f"plan {self.name!r}.map runs {leaf!r}, a sync function that looks blocking (uses {', '.join(names)}), on the "
                "event loop: the items wait for each other while it blocks; build it with node(fn, thread=True)",
                BlockingCallWarning,
                stacklevel=3,
            )


class _Built:
    """The executables built for one IR, shared by a plan and its `with_hooks` copies: one per
    kind of run and set of plan hooks (the same hook objects), rebuilt when the process-wide
    hooks change. A handler making `plan.with_hooks(h)` per request builds once per `h`; the
    most recently used `LIMIT` are kept (a new hook object per request builds each time)."""

    LIMIT = 32

    def __init__(self) -> None:
        self._executables: dict[tuple[str, tuple[int, ...]], tuple[tuple[Hook, ...], Executable]] = {}
        self._lock = threading.RLock()  # plans are shared between threads; this runs once per plan object

    def __reduce__(self) -> tuple[type[_Built], tuple[()]]:
        """A copied or pickled plan starts with nothing built (closures and locks do not travel)."""
        return (_Built, ())

    def get(self, plan: Plan[Never, object], kind: str, hooks: tuple[Hook, ...]) -> Executable:
        """The executable running `plan` for `kind` ("run", "events", "durable") with `hooks`."""
        key = (kind, tuple(map(id, hooks)))  # the entry holds the hooks, so no other object has their ids
        with self._lock:
            built = self._executables.pop(key, None)  # popped and put back: the dict's order is the recency
            if built is None or built[1].version != built[1].registry.version:
                built = (hooks, self._build(plan, kind, hooks))
            self._executables[key] = built
            if len(self._executables) > self.LIMIT:
                del self._executables[next(iter(self._executables))]
        return built[1]

    @staticmethod
    def _build(plan: Plan[Never, object], kind: str, hooks: tuple[Hook, ...]) -> Executable:
        if kind == "durable":
            return build_executable(plan, hooks, codec_for)
        if kind == "events":
            return build_executable(plan, (*hooks, EVENTS_HOOK))
        return build_executable(plan, hooks)


def _running_event_loop() -> str | None:
    """The event loop library running in this thread ("asyncio", "trio"), if any."""
    if running_asyncio():
        return "asyncio"
    trio = sys.modules.get("trio")
    if trio is None or getattr(getattr(trio, "__spec__", None), "_initializing", False):
        return None  # not imported, or still being imported by another thread: it runs no loop here
    try:
        trio.lowlevel.current_trio_token()
    except (RuntimeError, AttributeError):  # no trio run in this thread (or a module trio is not)
        return None
    return "trio"


class StreamPlan(Plan[In, Out], Generic[In, Chunk, Out]):
    """A plan compiled from a StreamNode: `stream(x)` yields its `Chunk`s."""

    def stream(
        self, input: In, *, context: RunContext | None = None, timeout: float | None = None, buffer: int = 16
    ) -> RunStream[Chunk, Out]:
        return super().stream(input, context=context, timeout=timeout, buffer=buffer)  # type: ignore[return-value]

    stream.__doc__ = Plan.stream.__doc__


@overload
def compile(
    node: StreamNode[I, C, O],
    *,
    disable: Iterable[str] | str = (),
    name: str | None = None,
    strict: bool = False,
    budget: Budget | None = None,
    state_keys: Iterable[str] = (),
    durable: bool = False,
) -> StreamPlan[I, C, O]: ...
@overload
def compile(
    node: Node[I, O],
    *,
    disable: Iterable[str] | str = (),
    name: str | None = None,
    strict: bool = False,
    budget: Budget | None = None,
    state_keys: Iterable[str] = (),
    durable: bool = False,
) -> Plan[I, O]: ...
def compile(
    node: Node[I, O],
    *,
    disable: Iterable[str] | str = (),
    name: str | None = None,
    strict: bool = False,
    budget: Budget | None = None,
    state_keys: Iterable[str] = (),
    durable: bool = False,
) -> Plan[I, O]:
    """Compile a workflow into a Plan.

    Lowers the node graph to IR, then runs each pass not named in `disable` (see
    `available_passes()`). Raises CompositionError (TypeMismatchError, CycleError,
    StateKeyError) when the graph does not fit together, naming the steps, nodes, types and where
    each was built; LintError for resilience lint findings when `strict`; BudgetError when the
    worst case exceeds `budget`. `state_keys` are RunContext.state keys the caller provides.
    `durable=True` also builds the closures of durable runs, so that a node whose output type
    cannot be journaled is a JournalCodecError here (see "Durable runs").
    """
    check_bool("compile()", "durable", durable)
    program = compile_program(node, disable=disable, name=name, strict=strict, budget=budget, state_keys=state_keys)
    plan = Plan.of(program)
    if durable:
        plan._executable(durable=True)
    return plan


fluent.provide("compile", compile)
# `from tta_dev_primitives.compiler import Plan, compile` keeps working (the names lived there once)
setattr(_compiler, "Plan", Plan)
setattr(_compiler, "compile", compile)
setattr(_compile_module, "compile", compile)  # and from its old module, `compiler.compile`
