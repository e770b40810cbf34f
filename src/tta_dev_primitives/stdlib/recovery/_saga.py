"""Saga: undo completed steps, in reverse order, when a later step fails.

Typed form: mark steps with their compensation and run them inside `saga(...)`:

    booking = saga(compensated(reserve, cancel_reservation) >> compensated(charge, refund) >> confirm)

`compensated(step, undo)` checks (at compile time) that `undo` accepts what `step` returns; the
compensation gets the step's output. The original package's form:

    saga = Saga()
    saga.add_step(create_user, rollback=delete_user)
    saga.add_step(send_email, rollback=send_cancellation)
    await saga.execute({"user_data": {...}})

On failure (or cancellation) the compensations of the steps that completed run in reverse
order, each optionally under a Retry and bounded by `compensation_timeout` seconds. They run to
the end whatever cancels the run meanwhile: anyio scopes, a native `task.cancel()` (even
repeated), `asyncio.timeout`, a failing sibling branch (see executor._shield). If they all
succeed, the original error is re-raised with a note listing what was undone; if any fails or
times out, a SagaError holds the original error and every compensation failure, and each failure
is logged. A cancellation stays a cancellation: when the run was cancelled, the cancellation is
re-raised after the compensations, with the outcome in its notes. Nothing is dropped.

Because compensations finish before the saga returns, a run's `timeout=` can be exceeded by up
to `compensation_timeout` per completed step.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any, ClassVar, Never, TypeVar, overload

import attrs

from ..._log_masking import library_logger
from ...compiler._ir import Edge, Op
from ...compiler._lowering import Lowerer, lowering, op_identity
from ...dsl._composite import Chain
from ...dsl._core import AnyNode, Node
from ...dsl._function import as_node
from ...executor._emit import Emitter, Step, emitter, node_info
from ...compiler._ir import walk
from ...executor._journaling import (
    DONE,
    FAILED,
    STARTED,
    Recorder,
    ValueCodec,
    current_key,
    current_path,
    current_recorder,
    describe_error,
    find_suspension,
    run_at,
)
from ...executor._shield import run_to_completion
from ...observability._redaction import scrub
from .._clock import SYSTEM_CLOCK, Clock
from .._compiled import CompiledPrimitive
from .._guard import GuardSite
from ..._validate import check_positive
from ...errors import CompensationInterruptedError, JournalCorruptError, NodeTimeoutError, RecordedError, SagaError
from ._retry import Retry, is_transient

__all__ = ["Compensated", "Saga", "SagaNode", "SagaPrimitive", "compensated", "saga"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")

_log = library_logger("tta_dev_primitives.saga")

DEFAULT_COMPENSATION_TIMEOUT = 30.0
"""Seconds one compensation may take (each retry attempt included) before it is reported as
failed and the next one starts."""

Undo = Callable[[object], Awaitable[object]]
_Log = list[tuple[str, Undo, object, str, str]]
"""A saga's completed steps: name, compensation, the step's output, and (in durable runs) the
key path it ran at and its journal key."""
_saga_log: ContextVar[_Log] = ContextVar("tta_saga_log")


class Compensated(Node[In, Out]):
    """`step` with the compensation `undo` to run on the step's output if the saga fails."""

    primitive_type = "compensated"

    def __init__(self, step: AnyNode, undo: AnyNode, *, name: str | None = None) -> None:
        self.step = as_node(step, where="compensated step")
        self.undo = as_node(undo, where=f"compensation of {self.step.name!r}")
        self._set_name(name)

    def _default_name(self) -> str:
        return self.step.name


def compensated(step: Node[A, B], undo: Node[B, object] | Callable[[B], object]) -> Node[A, B]:
    """Mark `step` as undoable by `undo(step_output)` inside a `saga(...)`; `undo` is a node or a
    sync or async function taking the step's output."""
    return Compensated(step, undo)  # type: ignore[arg-type]


class SagaNode(Node[In, Out]):
    """Runs `body`; if it fails, runs the compensations its completed steps registered."""

    primitive_type = "saga"

    def __init__(
        self,
        body: AnyNode,
        *,
        compensation_retry: Retry | None = None,
        compensation_timeout: float = DEFAULT_COMPENSATION_TIMEOUT,
        clock: Clock = SYSTEM_CLOCK,
        name: str | None = None,
    ) -> None:
        self.body = as_node(body, where="saga body")
        self._set_name(name)
        self.compensation_retry, self.compensation_timeout, self.clock = _settings(
            self.name, compensation_retry, compensation_timeout, clock
        )

    def _default_name(self) -> str:
        return f"saga({self.body.name})"


def _settings(owner: str, retry: object, timeout: object, clock: object) -> tuple[Retry | None, float, Clock]:
    """Validated compensation settings (shared by the typed and the original package's form)."""
    from ...errors import ConfigError

    if retry is not None and not isinstance(retry, Retry):
        raise ConfigError(owner, "compensation_retry", "a Retry or None", retry)
    if not isinstance(clock, Clock):
        raise ConfigError(owner, "clock", "a Clock (e.g. FakeClock in tests)", clock)
    return retry, check_positive(owner, "compensation_timeout", timeout), clock


def saga(
    body: Node[A, B],
    *,
    compensation_retry: Retry | None = None,
    compensation_timeout: float = DEFAULT_COMPENSATION_TIMEOUT,
    clock: Clock = SYSTEM_CLOCK,
    name: str | None = None,
) -> Node[A, B]:
    """A saga scope around `body` (see the module docs).

    `compensation_timeout` bounds each compensation (seconds, retries included); `clock` is
    for tests (a FakeClock).
    """
    return SagaNode(
        body, compensation_retry=compensation_retry, compensation_timeout=compensation_timeout, clock=clock, name=name
    )


class SagaPrimitive(CompiledPrimitive[In, Out]):
    """The original package's form: `Saga()`, then `add_step(step, rollback=undo)`, then `await execute(input)`.

    Steps run in order, each fed the previous step's output; a rollback receives its step's output.
    `add_step` mutates the saga (the original package's style, checked by `compile()`) and also returns it
    typed, so a chain of calls, `Saga().add_step(a, rollback=undo_a).add_step(b, ...)`, is checked
    by mypy and pyright: each step must take the previous one's output, each rollback its own.
    """

    primitive_type = "saga"

    def __init__(
        self: SagaPrimitive[object, object],
        *original: object,
        compensation_retry: Retry | None = None,
        compensation_timeout: float = DEFAULT_COMPENSATION_TIMEOUT,
        clock: Clock = SYSTEM_CLOCK,
        name: str | None = None,
    ) -> None:
        if original:  # the original package's SagaPrimitive(forward, compensation)
            from ...errors import ConfigError

            raise ConfigError(
                "SagaPrimitive",
                "forward, compensation",
                "steps added with Saga().add_step(forward, rollback=compensation) (the rollback gets the step's output, and "
                "runs when a later step fails), or forward.fallback(compensation) to run compensation on the input when "
                "forward fails, as the original did",
                original,
            )
        self.steps: list[AnyNode] = []
        self._set_name(name)
        self.compensation_retry, self.compensation_timeout, self.clock = _settings(
            self.name, compensation_retry, compensation_timeout, clock
        )

    @overload
    def add_step(  # a fresh saga: the first step fixes its types
        self: SagaPrimitive[object, object], step: Node[A, B], rollback: Node[B, object] | Callable[[B], object] | None = None
    ) -> SagaPrimitive[A, B]: ...
    @overload
    def add_step(
        self: SagaPrimitive[A, B], step: Node[B, C], rollback: Node[C, object] | Callable[[C], object] | None = None
    ) -> SagaPrimitive[A, C]: ...
    @overload
    def add_step(self: SagaPrimitive[object, object], step: object, rollback: object | None = None) -> SagaPrimitive[object, object]: ...
    def add_step(self, step: object, rollback: object | None = None) -> SagaPrimitive[Any, Any]:
        """Append a step and its rollback (None for a step with nothing to undo); returns this saga."""
        index = len(self.steps)
        node = as_node(step, where=f"Saga step {index}")
        if rollback is not None:
            if not callable(rollback) and not isinstance(rollback, Node):
                from ...errors import BuildError

                raise BuildError(f"Saga step {index} ({node.name!r}): rollback must be callable or a Node, got {type(rollback).__name__}")
            node = Compensated(node, as_node(rollback, where=f"Saga step {index} rollback"))
        self.steps.append(node)
        self.__dict__.pop("_tta_plan", None)  # the plan changes with the steps
        return self

    def as_node(self) -> SagaNode[object, object]:
        """The saga as a typed-form node."""
        if not self.steps:
            from ...errors import ConfigError

            raise ConfigError(self.name, "steps", "at least one step (use add_step)", [])
        return SagaNode(
            Chain(tuple(self.steps)),
            compensation_retry=self.compensation_retry,
            compensation_timeout=self.compensation_timeout,
            clock=self.clock,
            name=self.name,
        )


Saga = SagaPrimitive


@attrs.frozen(kw_only=True, eq=False)
class CompensatedOp(Op):
    """children = (step, undo)."""

    kind: ClassVar[str] = "compensated"

    def edges(self) -> Iterator[Edge]:
        step, undo = self.children
        yield Edge(self, "compensation", step, undo, step.out_type, undo.in_type)


@attrs.frozen(kw_only=True, eq=False)
class SagaOp(Op):
    """children = (body,)."""

    kind: ClassVar[str] = "saga"

    compensation_retry: Retry | None = None
    compensation_timeout: float = DEFAULT_COMPENSATION_TIMEOUT
    clock: Clock = SYSTEM_CLOCK

    def params(self) -> dict[str, object]:
        params: dict[str, object] = {"compensation_timeout": self.compensation_timeout}
        if self.compensation_retry:
            params["compensation_retry"] = self.compensation_retry.describe()
        return params


@lowering(Compensated)
def _lower_compensated(node: Compensated[Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    step, undo = lw.lower(node.step), lw.lower(node.undo)
    return CompensatedOp(**ident, in_type=step.in_type, out_type=step.out_type, children=(step, undo))


@lowering(SagaNode)
def _lower_saga(node: SagaNode[Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    body = lw.lower(node.body)
    return SagaOp(
        **ident,
        in_type=body.in_type,
        out_type=body.out_type,
        children=(body,),
        compensation_retry=node.compensation_retry,
        compensation_timeout=node.compensation_timeout,
        clock=node.clock,
    )


@lowering(SagaPrimitive)
def _lower_saga_primitive(node: SagaPrimitive[Never, object], lw: Lowerer) -> Op:
    return lw.lower(node.as_node())


def _output_leaf(op: Op) -> str | None:
    """The id of the journaled leaf whose output is `op`'s (through sequences' last steps, which
    add nothing to the key path), or None."""
    from ...compiler._ir import SeqOp

    while isinstance(op, SeqOp) and op.children:
        op = op.children[-1]
    return str(op.node_id) if op.journaled and not op.traits.pure else None


@emitter(CompensatedOp)
def _emit_compensated(op: CompensatedOp, em: Emitter) -> Step:
    step = em.emit_async(op.children[0])
    undo = em.emit_async(op.children[1])
    name = op.name

    async def run(x: object) -> object:
        result = await step(x)
        log = _saga_log.get(None)
        if log is not None:
            log.append((name, undo, result, "", ""))
        return result

    if not em.durable:
        return Step(run, True)
    codec = em.journal_codec(op, op.out_type)  # type: ignore[misc]

    async def run_journaled(x: object) -> object:
        """Records the step as started before it runs and its output once it completed, so a
        resumed saga knows which steps to undo; a replayed step registers its compensation."""
        recorder = current_recorder()
        if recorder is None:
            return await run(x)
        key, path = current_key(op), current_path()
        done = recorder.records.get(key + DONE)
        if done is not None:
            result = recorder.replay(key + DONE, done, codec, op)
        else:
            if key + STARTED not in recorder.records:
                await recorder.record(key + STARTED, b"")
            result = await step(x)
            payload = codec.encode(result)
            register(result, path)  # before the write: a run cancelled during it still undoes the step
            await recorder.record(key + DONE, payload)
            return result
        register(result, path)
        return result

    def register(result: object, path: str) -> None:
        log = _saga_log.get(None)
        if log is not None:
            log.append((name, undo, result, path, path + str(op.node_id)))

    return Step(run_journaled, True)


@emitter(SagaOp)
def _emit_saga(op: SagaOp, em: Emitter) -> Step:
    body = em.emit_async(op.children[0])
    site = GuardSite(node_info(op), em.hooks)
    retry, seconds, cancel_after, name = op.compensation_retry, op.compensation_timeout, op.clock.cancel_after, op.name
    durable = em.durable

    async def undo_one(step_name: str, undo: Undo, output: object, path: str) -> None:
        """One compensation, bounded by the compensation timeout; in a durable run at the key
        path its step ran at, so a compensation that completed before a crash replays."""
        call = retry.wrap(undo, site) if retry is not None else undo
        with cancel_after(seconds) as scope:
            if durable:
                await run_at(path, call, output)
            else:
                await call(output)
        if scope.cancelled_caught:
            raise NodeTimeoutError(f"compensation of {step_name!r}", seconds)

    async def compensate(log: _Log) -> tuple[list[str], list[Exception]]:
        undone: list[str] = []
        failures: list[Exception] = []
        token = _saga_log.set([])  # what the undos themselves register is not this saga's business
        try:
            for step_name, undo, output, path, _ in reversed(log):
                try:
                    await undo_one(step_name, undo, output, path)
                except BaseException as caught:  # incl. this task's own cancellation at loop shutdown
                    error = caught if isinstance(caught, Exception) else CompensationInterruptedError(step_name, caught)
                    error.add_note(f"compensation of step {step_name!r} in saga {name!r} failed")
                    failures.append(error)
                    _log.error("saga %r: compensation of step %r failed", name, step_name, exc_info=error)
                    site.emit("on_compensate", step_name, error)
                else:
                    undone.append(step_name)
                    site.emit("on_compensate", step_name, None)
        finally:
            _saga_log.reset(token)
        return undone, failures

    async def unwind(error: BaseException, log: _Log, key: str | None) -> Never:
        """Run the compensations of `log` and raise what the saga raises for `error`. In a
        durable run (`key`), the failure is journaled first, inside the protected region: a
        resumed run must finish the compensations, never carry on with undone steps."""

        async def protected() -> tuple[list[str], list[Exception]]:
            if key is not None:
                await record_failure(key, error)
                recorder = current_recorder()
                if recorder is not None:  # steps whose registration a cancellation cut off are in the journal
                    known = {entry[4] for entry in log}
                    log.extend(entry for entry in journaled_log(recorder, key[: key.rfind("/") + 1]) if entry[4] not in known)
            return await compensate(log)

        done = await run_to_completion(protected)
        undone, failures = done.value
        summary = f"saga {name!r}: compensated {len(undone)} of {len(log)} completed step(s) in reverse order {undone}"
        if failures:
            summary += f"; {len(failures)} compensation(s) failed: {', '.join(repr(f) for f in failures)}"
        if done.cancelled is not None:  # cancelled while compensating: cancellation stays cancellation
            done.cancelled.add_note(summary)
            raise done.cancelled  # noqa: B904 - its context is the error that started the compensation
        if failures and isinstance(error, Exception):
            raise SagaError(summary, [error, *failures]) from None
        error.add_note(summary)  # all undone, or a cancellation (which must stay one)
        raise error

    async def run(x: object) -> object:
        parent = _saga_log.get(None)
        log: _Log = []
        token = _saga_log.set(log)
        try:
            result = await body(x)
        except BaseException as error:
            if not durable:
                await unwind(error, log, None)
            if find_suspension(error) is not None:
                raise  # suspended by an interrupt: not a failure; the resumed run replays the steps
            await unwind(error, log, current_key(op) + FAILED if current_recorder() is not None else None)
        finally:
            _saga_log.reset(token)
        if parent is not None:
            parent.extend(log)  # a nested saga that succeeded is undone with its enclosing saga
        return result

    if not durable:
        return Step(run, True)

    # What a resumed saga needs to undo steps it did not run in this process: each
    # compensated step's compensation and the codec of its journaled output.
    undos: dict[int, tuple[str, Undo, ValueCodec, str | None]] = {
        step.node_id: (
            step.name,
            em.emit_async(step.children[1]),
            em.journal_codec(step, step.out_type),  # type: ignore[misc]
            _output_leaf(step.children[0]),
        )
        for step in walk(op.children[0])
        if isinstance(step, CompensatedOp)
    }

    async def record_failure(key: str, error: BaseException) -> None:
        recorder = current_recorder()
        if recorder is not None and key not in recorder.records:
            failure = {"error": describe_error(error, scrub), "transient": is_transient(error)}
            await recorder.record(key, json.dumps(failure).encode())

    def journaled_log(recorder: Recorder, path: str) -> _Log:
        """The completed steps of this saga at `path`, from the journal, in the order they
        completed (not by replaying the body: a failing branch would cut that short). A step
        whose completion record a crash or a cancellation cut off counts when its step is one
        leaf whose output was journaled."""
        log: _Log = []
        for key, payload in recorder.records.items():
            if not key.startswith(path) or not (key.endswith(DONE) or key.endswith(STARTED)):
                continue
            base = key[: -len(DONE)] if key.endswith(DONE) else key[: -len(STARTED)]
            step_path, _, step_id = base.rpartition("/")
            found = undos.get(int(step_id)) if step_id.isdigit() else None
            if found is None:
                continue
            step_name, undo, codec, leaf = found
            prefix = f"{step_path}/" if step_path else ""
            if key.endswith(DONE):
                output = recorder.replay(key, payload, codec, op)
            elif base + DONE not in recorder.records and leaf is not None and prefix + leaf in recorder.records:
                output = recorder.replay(prefix + leaf, recorder.records[prefix + leaf], codec, op)
            else:
                continue
            log.append((step_name, undo, output, prefix, base))
        return log

    async def run_journaled(x: object) -> object:
        recorder = current_recorder()
        failed = recorder.records.get(current_key(op) + FAILED) if recorder is not None else None
        if recorder is None or failed is None:
            return await run(x)
        # The saga failed in an earlier attempt of this run: it is not retried; the
        # compensations not yet done run (those done replay), then its error is raised.
        try:
            failure = json.loads(failed)
            text, transient = str(failure["error"]), bool(failure["transient"])
        except (ValueError, KeyError, TypeError):
            raise JournalCorruptError(f"run {recorder.run_id!r}: the failure record of saga {name!r} does not decode") from None
        error_type, _, message = text.partition(": ")
        error = RecordedError(
            f"saga {name!r} failed in an earlier attempt of run {recorder.run_id!r}: {text}",
            error_type=error_type, original=message, transient=transient,
        )
        await unwind(error, journaled_log(recorder, current_path()), None)

    return Step(run_journaled, True)
