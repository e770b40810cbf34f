"""Plan[In, Out]: a compiled, inspectable, runnable workflow."""

from __future__ import annotations

import json
import math
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, cast, overload

import attrs

from ..context import RunContext
from ..validate import check_optional_positive
from .explain import render_explain
from .ir import Op, walk
from .passes import Analysis, Change, EdgeReport, Lint
from .serialize import fingerprint, op_to_dict
from .types import format_type

if TYPE_CHECKING:
    from ..durable.interrupt import Interrupted, ResumeToken
    from ..durable.journal import Journal
    from ..executor.hooks import Hook
    from ..executor.live import RunEvents, RunStream
    from ..executor.runner import Executable
    from ..stdlib.llm.tools import Tool

__all__ = ["PassRecord", "Plan", "StreamPlan"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
Chunk = TypeVar("Chunk", covariant=True)
Answer = TypeVar("Answer")

JSON_FORMAT = "tta-plan/1"


@attrs.frozen
class PassRecord:
    """What one pass did during compilation (or that it was disabled)."""

    name: str
    enabled: bool
    changes: tuple[Change, ...] = ()


class Plan(Generic[In, Out]):
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
        edges: tuple[EdgeReport, ...],
        lints: tuple[Lint, ...] = (),
        analysis: Analysis | None = None,
        hooks: tuple[Hook, ...] = (),
    ) -> None:
        self.root = root
        self.name = name
        self.passes = passes
        self.edges = edges
        self.lints = lints
        """Resilience lint findings (see the lint_resilience pass)."""
        self.analysis = analysis
        """Worst-case attempts, latency, cost, width and depth (None if `analyze` was disabled)."""
        self.hooks = hooks
        self._fingerprint: str | None = None
        self._exe: Executable | None = None
        self._events_exe: Executable | None = None
        self._durable_exe: Executable | None = None

    # -- inspection -----------------------------------------------------------------------------

    @property
    def input_type(self) -> object:
        """The runtime type the plan accepts (from annotations; `?` when unknown)."""
        return self.root.in_type

    @property
    def output_type(self) -> object:
        """The runtime type the plan returns."""
        return self.root.out_type

    def ops(self) -> list[Op]:
        """Every op of the plan, parents before children."""
        return list(walk(self.root))

    def fingerprint(self) -> str:
        """A stable hash of the plan's structure, names and types (not source locations)."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self.root)
        return self._fingerprint

    def explain(self, *, locations: bool = True) -> str:
        """The final plan as a tree with edge types; then each pass and what it changed (rule id,
        action and reason), the lint findings and the worst-case analysis. `locations=False`
        leaves out source locations (for golden files)."""
        return render_explain(
            self.name, self.root, self.fingerprint(), self.passes, self.edges, self.lints, self.analysis, locations=locations
        )

    def to_dict(self, *, locations: bool = True) -> dict[str, object]:
        """The plan as JSON-compatible data (see `to_json`)."""
        analysis = self.analysis
        return {
            "format": JSON_FORMAT,
            "name": self.name,
            "in": format_type(self.root.in_type),
            "out": format_type(self.root.out_type),
            "fingerprint": self.fingerprint(),
            "root": op_to_dict(self.root, locations=locations),
            "passes": [
                {
                    "name": p.name,
                    "enabled": p.enabled,
                    "changes": [{"rule": c.rule, "action": c.action, "node": c.node, "detail": c.detail} for c in p.changes],
                }
                for p in self.passes
            ],
            "lints": [{"rule": x.rule, "severity": x.severity, "node": x.node, "message": x.message} for x in self.lints],
            "analysis": None
            if analysis is None
            else {
                "max_attempts": analysis.max_attempts,
                "max_attempts_node": analysis.max_attempts_node,
                "latency": None if math.isinf(analysis.latency) else analysis.latency,
                "cost": None if math.isinf(analysis.cost) else analysis.cost,
                "width": None if math.isinf(analysis.width) else analysis.width,
                "depth": analysis.depth,
            },
            "edges": [
                {
                    "owner": r.edge.owner.node_id,
                    "label": r.edge.label,
                    "src": format_type(r.edge.src),
                    "dst": format_type(r.edge.dst),
                    "checked": r.checked,
                    **({"reason": r.reason} if r.reason else {}),
                }
                for r in self.edges
            ],
        }

    def to_json(self, *, indent: int | None = 2, locations: bool = True) -> str:
        """The plan as JSON: ops with ids, kinds, names, types, locations, settings and children,
        plus the passes' changes, lints, analysis and every edge's verdict. Deterministic, so it
        round-trips through `json.loads` and serves as a golden file (`locations=False` drops
        source paths).

        Raises ValueError for a plan nested deeper than Python's json module encodes (about
        1,000 levels; `to_dict`, `explain` and `fingerprint` have no such limit)."""
        data = self.to_dict(locations=locations)
        try:
            return json.dumps(data, indent=indent, sort_keys=False)
        except RecursionError:
            raise ValueError(
                f"plan {self.name!r}: nested too deep for the json module to encode; use to_dict() with "
                "an encoder without a depth limit, or explain()"
            ) from None

    def to_mermaid(self) -> str:
        """The plan as a Mermaid flowchart (paste into Markdown)."""
        from .render import to_mermaid

        return to_mermaid(self.root)

    def to_dot(self) -> str:
        """The plan as a Graphviz DOT graph."""
        from .render import to_dot

        return to_dot(self.root)

    def render(self, path: str, *, format: Literal["svg", "png"] = "svg") -> str:
        """Draw the plan to `path` with Graphviz's `dot` (Debian package `graphviz`); returns
        the path. Raises RenderError when `dot` is not installed."""
        from .render import render_with_graphviz

        return render_with_graphviz(self.to_dot(), path, format)

    def __repr__(self) -> str:
        return f"<Plan {self.name!r} {format_type(self.root.in_type)} -> {format_type(self.root.out_type)}>"

    # -- execution ------------------------------------------------------------------------------

    def as_tool(self, *, name: str | None = None, description: str | None = None) -> Tool[In, Out]:
        """This plan as a tool a model can call (see `tool`): its input type gives the JSON
        Schema of the arguments; agents can call sub-plans, sub-agents included."""
        from ..stdlib.llm.tools import tool

        return tool(self, name=name, description=description)

    def with_hooks(self, *hooks: Hook) -> Plan[In, Out]:
        """A plan sharing this one's IR that also calls `hooks` (in addition to installed ones)."""
        return type(self)(
            self.root,
            name=self.name,
            passes=self.passes,
            edges=self.edges,
            lints=self.lints,
            analysis=self.analysis,
            hooks=(*self.hooks, *hooks),
        )

    def _executable(self, *, events: bool = False, durable: bool = False) -> Executable:
        """The closures that run this plan (with the events hook for `events()`, or journaling
        for durable runs), built again when the process-wide hooks change."""
        exe = self._durable_exe if durable else self._events_exe if events else self._exe
        if exe is None or exe.version != exe.registry.version:
            from ..executor.events import EVENTS_HOOK
            from ..executor.runner import build_executable

            if durable:
                from ..durable.codec import codec_for

                exe = self._durable_exe = build_executable(self, (), codec_for)  # type: ignore[arg-type]
            elif events:
                exe = self._events_exe = build_executable(self, (EVENTS_HOOK,))  # type: ignore[arg-type]
            else:
                exe = self._exe = build_executable(self)  # type: ignore[arg-type]
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

        With `run_id` and `journal` the run is durable (see "Durable runs" in the README): each
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
        return cast("Coroutine[object, object, Out]", exe.run(input, context, timeout))

    def _run_durable(
        self, input: object, context: RunContext | None, timeout: float | None, run_id: object, journal: object, on_error: object,
        on_code_change: object,
    ) -> Coroutine[object, object, Out | Interrupted[object, object]]:
        from ..durable.run import run_durable
        from ..errors import ConfigError

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
        from ..durable.run import resume

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
        from ..durable.run import pending

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
            from ..errors import ConfigError

            raise ConfigError(
                f"plan {self.name!r}.stream", "plan", "a plan with a streaming node on its result path (see streaming())", "a plan that does not stream"
            )
        return cast("RunStream[object, Out]", exe.stream(input, context, timeout, buffer))

    def events(
        self, input: In, *, context: RunContext | None = None, timeout: float | None = None, buffer: int = 256
    ) -> RunEvents[Out]:
        """Run the plan in the background and iterate over its events as they happen: run and
        node starts and ends (ids and names as in EXPLAIN), chunks, loop iterations, tool calls,
        retries, fallbacks, timeouts, breaker moves, cache hits and misses (see executor.events).

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
        from ..validate import check_int

        if context is not None or timeout is not None:
            self._check_run_arguments(context, timeout)
        check_int(f"plan {self.name!r}.{what}", "buffer", buffer, minimum=1)

    def _check_run_arguments(self, context: object, timeout: object) -> None:
        """ConfigError for a context or timeout of the wrong kind (NaN, a string, a dict, ...)."""
        from ..errors import ConfigError

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
        import anyio

        running = _running_event_loop()
        if running is not None:
            from ..errors import RunSyncError

            raise RunSyncError(
                f"plan {self.name!r}.run_sync() was called inside a running {running} event loop (a Jupyter cell or async code), "
                "which it cannot block: use `result = await plan.run(x)` there"
            )
        if backend not in ("asyncio", "trio"):
            from ..errors import ConfigError

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
        from ..executor.runner import run_many

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
        import warnings

        from ..errors import BlockingCallWarning
        from .passes.lint import blocking_leaves

        for leaf, names in blocking_leaves(self.root):
            warnings.warn(
                f"plan {self.name!r}.map runs {leaf!r}, a sync function that looks blocking (uses {', '.join(names)}), on the "
                "event loop: the items wait for each other while it blocks; build it with node(fn, thread=True)",
                BlockingCallWarning,
                stacklevel=3,
            )


def _running_event_loop() -> str | None:
    """The event loop library running in this thread ("asyncio", "trio"), if any."""
    import sys

    from ..executor.shield import running_asyncio

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
