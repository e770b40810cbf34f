"""Durable runs: start or resume a run id against a journal, and answer interrupts.

`plan.run(x, run_id=..., journal=...)` comes here. The run's header (plan fingerprint, outline,
encoded input) is created or checked, every recorded step is verified (checksum, known key),
and the plan's durable closures run with a recorder in a contextvar (see executor._journaling).
What was recorded replays; the rest runs and is recorded. A finished run's result is stored:
running the run id again returns it without running anything.
"""

from __future__ import annotations

import difflib
import json
import typing
import weakref
from typing import Literal

import anyio

from ..compiler._ir import Op, walk
from ..compiler._types import format_type
from ..context import RunContext
from ..errors import ConfigError
from .._log_masking import library_logger
from ..executor._journaling import QUESTION, ValueCodec, _path, _recorder, describe_error, find_suspension
from ..executor._runner import RunTimeoutError, run_deadline
from ..observability._redaction import scrub
from ..observability._run_links import DurableAttempt, attempt as _attempt
from ..stdlib.cache._codec import _difference
from ._code import code_digests
from ._codec import codec_for, describe_op
from .errors import (
    CodeChangedError, JournalCorruptError, JournalEncodeError, JournalUnavailableError, PlanChangedError, ResumeError,
    RunInputMismatchError,
)
from ._interrupt import Interrupted, InterruptOp, ResumeToken
from ._journal import Journal, RunHeader, StoredRun, checksum
from ._trace import TRACE_KEY, attempt_of, trace_payload

if typing.TYPE_CHECKING:
    from ..plan import Plan

__all__ = ["OnJournalError", "outline", "pending", "resume", "run_durable"]

_log = library_logger("tta_dev_primitives.durable")

T = typing.TypeVar("T")
OnJournalError = Literal["fail", "continue"]
OnCodeChange = Literal["refuse", "accept"]


def outline(root: Op) -> str:
    """The plan's structure, one op per line, indented by depth (no source locations)."""
    lines: list[str] = []
    stack: list[tuple[Op, int]] = [(root, 0)]
    while stack:
        op, depth = stack.pop()
        params = op.params()
        shown = f" {params}" if params else ""
        line = f"{'  ' * depth}{op.node_id} {op.kind} {op.name!r}: {format_type(op.in_type)} -> {format_type(op.out_type)}{shown}"
        lines.append(scrub(line))  # journaled in the run's header: a constant's secret never reaches the store
        stack.extend((child, depth + 1) for child in reversed(op.children))
    return "\n".join(lines)


def _changes(before: str, after: str, limit: int = 24) -> str:
    diff = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), "journaled plan", "this plan", lineterm="", n=0)]
    body = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
    shown = body[:limit]
    more = f"\n  ... and {len(body) - limit} more changed line(s)" if len(body) > limit else ""
    return "\n".join(f"  {line[0]} {line[1:]}" for line in shown) + more if shown else "  (same outline: names, settings or types inside params differ)"


def _node_of(key: str, ops: dict[int, Op]) -> Op | None:
    last = key.rsplit("/", 1)[-1]
    digits = ""
    for ch in last:
        if not ch.isdigit():
            break
        digits += ch
    return ops.get(int(digits)) if digits else None


class _Recorder:
    """The Recorder of one durable run (see executor._journaling.Recorder)."""

    def __init__(self, run_id: str, journal: Journal, records: dict[str, bytes], on_error: OnJournalError, plan_name: str) -> None:
        self.run_id = run_id
        self.journal = journal
        self.records = records
        self.on_error = on_error
        self.plan_name = plan_name
        self.disabled = False
        self._latest: dict[str, int] | None = None
        self.attempt: DurableAttempt | None = None
        """The running attempt while its root span context is still to be journaled (the run's
        first traced attempt): written before its first step."""

    def latest(self, base: str) -> int:
        if self._latest is None:
            self._latest = {}
            for key in self.records:
                self._note(key)
        return self._latest.get(base, -1)

    def _note(self, key: str) -> None:
        """Index `key`'s path: for each segment "<op>.<n>/", the highest n under its base."""
        assert self._latest is not None
        start = 0
        while (end := key.find("/", start)) != -1:
            segment = key[start:end]
            dot = segment.rfind(".")
            if dot != -1 and segment[dot + 1 :].isdigit():
                base, n = key[: start + dot + 1], int(segment[dot + 1 :])
                if n > self._latest.get(base, -1):
                    self._latest[base] = n
            start = end + 1

    async def record(self, key: str, payload: bytes) -> None:
        if self.attempt is not None:
            await self.record_trace()
        if self.disabled:
            return
        try:  # a store finishes a write it started even if this run is cancelled meanwhile
            await self.journal.append(self.run_id, key, payload, checksum(key, payload))
        except BaseException as error:
            if not isinstance(error, JournalUnavailableError):
                if not isinstance(error, Exception):  # cancelled once the write had landed: it is journaled
                    self.records[key] = payload
                raise
            if self.on_error == "fail":
                error.add_note(f"run {self.run_id!r} of plan {self.plan_name!r} stopped: step {key!r} was not journaled")
                raise
            self.disabled = True
            _log.warning("run %r: the journal failed (%s); continuing without journaling (on_journal_error='continue')", self.run_id, error)
            return
        self.records[key] = payload
        if self._latest is not None:
            self._note(key)

    async def record_trace(self) -> None:
        """Journal the attempt's root span context (once; nothing when no hook traced it), as a
        step is: a journal that fails here fails as it would for the step."""
        attempt, self.attempt = self.attempt, None
        payload = None if attempt is None else trace_payload(attempt)
        if payload is not None:
            await self.record(TRACE_KEY, payload)

    def replay(self, key: str, payload: bytes, codec: ValueCodec, op: Op) -> object:
        return _decoded(self.run_id, key, payload, codec, op)


def _decoded(run_id: str, key: str, payload: bytes, codec: ValueCodec, op: Op) -> object:
    """The value of a journal row; JournalCorruptError naming the run, key and node if it does
    not decode."""
    try:
        return codec.decode(payload)
    except Exception as error:  # noqa: BLE001 - any decoder failure means the row does not fit
        raise JournalCorruptError(
            f"run {run_id!r}: the journal row of {describe_op(op)} (key {key!r}) does not decode as what the node "
            f"records: {error}; the run stops rather than re-running the node"
        ) from None


class _PlanFacts:
    """What every durable run of one plan needs, computed once per plan (plans are immutable)."""

    def __init__(self, plan: Plan[object, object]) -> None:
        self.outline = outline(plan.root)
        self.ops = {op.node_id: op for op in walk(plan.root)}
        self.input_codec = codec_for(plan.root, plan.root.in_type)
        self.result_codec = codec_for(plan.root, plan.root.out_type)
        self.code = code_digests(plan.root)


_FACTS: weakref.WeakKeyDictionary[Plan[object, object], _PlanFacts] = weakref.WeakKeyDictionary()


def _facts(plan: Plan[object, object]) -> _PlanFacts:
    facts = _FACTS.get(plan)
    if facts is None:
        facts = _FACTS[plan] = _PlanFacts(plan)
    return facts


def _verified(stored: StoredRun, plan: Plan[object, object]) -> dict[str, bytes]:
    """The run's records by key, each checked against its checksum and the plan's ops."""
    run_id = stored.header.run_id
    ops = _facts(plan).ops
    records: dict[str, bytes] = {}
    for step in stored.steps:
        if step.key == TRACE_KEY:  # no op's: the trace context of the run's first attempt (durable._trace)
            continue
        node = _node_of(step.key, ops)
        where = describe_op(node) if node is not None else f"an op the plan does not have (key {step.key!r})"
        if node is None:
            raise JournalCorruptError(f"run {run_id!r}: journal row {step.seq} names {where}")
        if checksum(step.key, step.payload) != step.crc:
            raise JournalCorruptError(
                f"run {run_id!r}: journal row {step.seq} (key {step.key!r}, {where}) fails its checksum: it is truncated or "
                f"was altered ({len(step.payload)} bytes); the run stops rather than re-running the node"
            )
        records[step.key] = step.payload
    return records


def _header(plan: Plan[object, object], run_id: str, input: object) -> RunHeader:
    facts = _facts(plan)
    try:
        data = facts.input_codec.encode(input)
    except JournalEncodeError as error:
        raise JournalEncodeError(f"the input of plan {plan.name!r} cannot be journaled: {error}") from None
    return RunHeader(run_id, plan.name, plan.fingerprint(), facts.outline, data, checksum("", data), facts.code)


def _check_fits(stored: StoredRun, header: RunHeader, plan: Plan[object, object], input: object, input_codec: ValueCodec) -> None:
    run_id = header.run_id
    if stored.header.fingerprint != header.fingerprint:
        raise PlanChangedError(
            f"run {run_id!r} was started by plan {stored.header.plan!r} (fingerprint {stored.header.fingerprint[:12]}); "
            f"plan {plan.name!r} has fingerprint {header.fingerprint[:12]}, so its journaled steps may not mean the same "
            f"thing. What changed:\n{_changes(stored.header.outline, header.outline)}\nResume with the plan that started the run, "
            "or start a new run id"
        )
    if checksum("", stored.header.input) != stored.header.input_crc:
        raise JournalCorruptError(f"run {run_id!r}: the journaled input fails its checksum")
    if stored.header.input != header.input:  # the same input may encode otherwise (a set, a dict in another order)
        differs = _difference(_decoded_input(stored, plan, input_codec), input, "input", key_order=False)
        if differs is not None:
            raise RunInputMismatchError(
                f"run {run_id!r} was started with another input ({differs}); a run id names one run of one input: use a "
                "new run id for this input (or resume with plan.resume / the stored input)"
            )


def _check_code(stored: StoredRun, header: RunHeader, plan: Plan[object, object]) -> None:
    """CodeChangedError when a node whose journaled output the run would replay has another
    code digest now than when it ran (see durable._code)."""
    if not stored.header.code or stored.header.code == header.code:
        return  # a store that keeps no digests, or nothing changed
    try:
        before, now = json.loads(stored.header.code), json.loads(header.code)
    except ValueError:
        raise JournalCorruptError(f"run {header.run_id!r}: the journaled code digests do not decode") from None
    ops = _facts(plan).ops
    replayed = {op.node_id: op for op in (_node_of(step.key, ops) for step in stored.steps) if op is not None}
    changed = [op for op_id, op in sorted(replayed.items()) if before.get(str(op_id)) != now.get(str(op_id))]
    if changed:
        names = "; ".join(describe_op(op) for op in changed)
        raise CodeChangedError(
            f"run {header.run_id!r}: the code of {names} changed since the run journaled its output; resuming would feed the "
            "old code's output to the new code. Resume with the code that started the run, start a new run id, or pass "
            "on_code_change='accept' to replay it anyway"
        )


def _decoded_input(stored: StoredRun, plan: Plan[object, object], codec: ValueCodec) -> object:
    """A run's journaled input; JournalCorruptError when it does not decode as the plan's input type."""
    try:
        return codec.decode(stored.header.input)
    except Exception:  # noqa: BLE001 - a row that does not decode is corrupt
        raise JournalCorruptError(
            f"run {stored.header.run_id!r}: the journaled input does not decode as {format_type(plan.root.in_type)}"
        ) from None


async def run_durable(
    plan: Plan[object, object],
    input: object,
    *,
    run_id: str,
    journal: Journal,
    context: RunContext | None = None,
    timeout: float | None = None,
    on_journal_error: OnJournalError = "fail",
    on_code_change: OnCodeChange = "refuse",
    answer: tuple[str, bytes] | None = None,
    deadline: tuple[float, str] | None = None,
) -> object:
    """Run (or resume) `run_id`; see Plan.run. `answer` (key, payload) is journaled first
    (plan.resume). `deadline` (see `run_deadline`): when a caller that started the run's clock
    earlier (plan.resume) must be done."""
    if not isinstance(run_id, str) or not run_id or len(run_id) > 256 or not run_id.isprintable():
        raise ConfigError(f"plan {plan.name!r}.run", "run_id", "a non-empty str of at most 256 printable characters", run_id)
    if not isinstance(journal, Journal):
        raise ConfigError(f"plan {plan.name!r}.run", "journal", "a Journal (SQLiteJournal, PostgresJournal, MemoryJournal)", journal)
    if on_journal_error not in ("fail", "continue"):
        raise ConfigError(f"plan {plan.name!r}.run", "on_journal_error", "'fail' or 'continue'", on_journal_error)
    if on_code_change not in ("refuse", "accept"):
        raise ConfigError(f"plan {plan.name!r}.run", "on_code_change", "'refuse' or 'accept'", on_code_change)
    exe = plan._executable(durable=True)  # JournalCodecError for an output type that cannot be journaled
    facts = _facts(plan)
    result_codec, input_codec = facts.result_codec, facts.input_codec
    header = _header(plan, run_id, input)
    # the run's clock starts now: opening and closing the run in its journal count against its deadline
    ends, limit = deadline if deadline is not None else run_deadline(context, timeout)
    given = (ends, limit) if ends != float("inf") else None
    try:
        stored = await _in_time(lambda: journal.open_run(header), (ends, limit), f"plan {plan.name!r}", f"opening run {run_id!r} in {journal!r}")
    except JournalUnavailableError as error:
        if on_journal_error == "fail" or answer is not None:  # an answer lives only in the journal: no resume without it
            error.add_note(f"run {run_id!r} of plan {plan.name!r} did not start: nothing ran")
            raise
        _log.warning("run %r: the journal is unavailable (%s); running without journaling (on_journal_error='continue')", run_id, error)
        return await plan._executable().run(input, context, timeout, deadline=given)  # on the clock that started above
    try:
        _check_fits(stored, header, plan, input, input_codec)
        if stored.status == "done" and answer is None:  # its result is what the run recorded, whatever the code is now
            value = _decoded_result(stored, plan, result_codec)
            await _close(journal, run_id, "done", stored.result, stored.result_crc, None, ends)
            return value
        records = _verified(stored, plan)
        if on_code_change == "refuse":
            _check_code(stored, header, plan)
        recorder = _Recorder(run_id, journal, records, on_journal_error, plan.name)
        if answer is not None:
            key, payload = answer
            if key in records:
                raise ResumeError(f"run {run_id!r}: the interrupt at {key!r} is already answered")
            await _in_time(lambda: recorder.record(key, payload), (ends, limit), f"plan {plan.name!r}", f"recording the answer of run {run_id!r}")
    except BaseException as error:
        await _close(journal, run_id, stored.status, stored.result, stored.result_crc, stored.error, _until(ends, error))
        raise
    attempt, first = attempt_of(stored, header.fingerprint)  # what its root spans link to (observability._run_links)
    if first:  # the run's first traced attempt: its root span is journaled
        recorder.attempt = attempt
    rec_token, path_token, attempt_token = _recorder.set(recorder), _path.set(""), _attempt.set(attempt)
    try:
        result = await exe.run(input, context, timeout, deadline=given)
    except BaseException as error:
        suspended = find_suspension(error)
        if suspended is not None:
            await _close(journal, run_id, "interrupted", None, None, None, ends)
            token: ResumeToken[object] = ResumeToken(run_id, suspended.key, suspended.node_name, header.fingerprint)
            return Interrupted(run_id, suspended.node_name, suspended.question, token)
        await _trace_of_failed(recorder, error, ends)
        await _close(journal, run_id, "failed", None, None, describe_error(error, scrub), _until(ends, error))
        raise
    finally:
        _recorder.reset(rec_token)
        _path.reset(path_token)
        _attempt.reset(attempt_token)
    try:
        data = result_codec.encode(result)
    except BaseException as error:
        await _close(journal, run_id, "failed", None, None, describe_error(error, scrub), ends)
        raise
    await _close(journal, run_id, "done", data, checksum("", data), None, ends)
    return result


async def _trace_of_failed(recorder: _Recorder, error: BaseException, ends: float) -> None:
    """Journal the root span context of an attempt that failed before recording any step, so
    the attempt that resumes it links to it; never in place of the run's own error, and not
    for a run cancelled, timed out or whose journal fails (it would only wait again)."""
    if recorder.attempt is None or not isinstance(error, Exception) or isinstance(error, (JournalUnavailableError, RunTimeoutError)):
        return
    with anyio.move_on_at(ends):
        try:
            await recorder.record_trace()
        except Exception as failure:  # noqa: BLE001 - the run's error is what the caller gets
            _log.warning("run %r: could not journal its trace context: %s", recorder.run_id, failure)


def _decoded_result(stored: StoredRun, plan: Plan[object, object], codec: ValueCodec) -> object:
    """A finished run's journaled result; JournalCorruptError when it fails its checksum or does
    not decode as the plan's output type."""
    run_id = stored.header.run_id
    if stored.result is None or stored.result_crc != checksum("", stored.result):
        raise JournalCorruptError(f"run {run_id!r}: the journaled result fails its checksum")
    try:
        return codec.decode(stored.result)
    except Exception as error:  # noqa: BLE001 - any decoder failure means the row does not fit
        raise JournalCorruptError(
            f"run {run_id!r}: the journaled result does not decode as {format_type(plan.root.out_type)}: {error}"
        ) from None


async def _in_time(call: typing.Callable[[], typing.Awaitable[T]], deadline: tuple[float, str], owner: str, what: str) -> T:
    """`call()` before the run's deadline; RunTimeoutError saying what it was doing after it."""
    ends, limit = deadline
    with anyio.move_on_at(ends):
        return await call()
    raise RunTimeoutError(f"{owner} exceeded its {limit} while {what}")


def _until(deadline: float, error: BaseException) -> float:
    """Until when a run that ended with `error` waits to record its status: its deadline, or
    just now (the journal's call still gives it its grace) for a cancelled run, whose caller
    stops waiting (a native asyncio cancel is not delivered again, so the bound must be
    explicit), and for a run its journal just failed to answer (not a second full timeout)."""
    if isinstance(error, (anyio.get_cancelled_exc_class(), JournalUnavailableError)):  # the store did not answer just now
        return anyio.current_time()
    return deadline


async def _close(journal: Journal, run_id: str, status: typing.Any, result: bytes | None, crc: int | None, error: str | None, deadline: float) -> None:
    """Record the run's status, within the run's deadline (a journal's call waits its short grace
    past it). A journal failure here is logged: the run's own outcome is what the caller
    gets (a result not recorded as done is recomputed from its journaled steps by a re-run).
    A cancellation of the caller propagates once the store has answered or the grace is over."""
    with anyio.move_on_at(max(deadline, anyio.current_time())) as scope:  # a journal's call adds its own grace
        try:
            await journal.close_run(run_id, status, result, crc, error)
        except Exception as failure:  # noqa: BLE001
            _log.warning("run %r: could not record its status %r: %s", run_id, status, failure)
    if scope.cancelled_caught:
        _log.warning("run %r: its status %r was not recorded before the run's deadline (the journal does not answer)", run_id, status)


def _interrupt_op(plan: Plan[object, object], key: str) -> InterruptOp:
    op = _node_of(key, _facts(plan).ops)
    if not isinstance(op, InterruptOp):
        raise ResumeError(f"plan {plan.name!r}: {key!r} is not the key of an interrupt of this plan")
    return op


async def resume(
    plan: Plan[object, object],
    token: ResumeToken[object],
    answer: object,
    *,
    journal: Journal,
    context: RunContext | None,
    timeout: float | None,
    on_journal_error: OnJournalError = "fail",
    on_code_change: OnCodeChange = "refuse",
) -> object:
    """Journal `answer` for the interrupt `token` names and run the plan on from there, all
    within the run's `timeout` (or its context's deadline)."""
    deadline = run_deadline(context, timeout)
    owner = f"plan {plan.name!r}"
    if isinstance(token, str):
        token = ResumeToken.parse(token)
    if not isinstance(token, ResumeToken):
        raise ConfigError(f"plan {plan.name!r}.resume", "token", "a ResumeToken (Interrupted.token) or its str()", token)
    if token.fingerprint != plan.fingerprint():
        stored = await _in_time(lambda: journal.load(token.run_id), deadline, owner, f"reading run {token.run_id!r} from {journal!r}")
        changes = _changes(stored.header.outline, _facts(plan).outline) if stored is not None else "  (run not found)"
        raise PlanChangedError(
            f"run {token.run_id!r} was suspended by a plan with fingerprint {token.fingerprint[:12]}; plan {plan.name!r} has "
            f"{plan.fingerprint()[:12]}. What changed:\n{changes}"
        )
    op = _interrupt_op(plan, token.key)
    from ..executor._outputs import output_checker

    accepts = output_checker(op.out_type)
    if accepts is not None and not accepts(answer):
        raise ResumeError(
            f"interrupt {op.name!r} of run {token.run_id!r} expects an answer of type {format_type(op.out_type)}, "
            f"got {type(answer).__qualname__}"
        )
    try:
        payload = codec_for(op, op.out_type).encode(answer)
    except JournalEncodeError as error:
        raise ResumeError(f"interrupt {op.name!r}: the answer cannot be journaled: {error}") from None
    found = await _in_time(lambda: journal.load(token.run_id), deadline, owner, f"reading run {token.run_id!r} from {journal!r}")
    if found is None:
        raise ResumeError(f"run {token.run_id!r} is not in {journal!r}")
    asked = {step.key for step in found.steps}
    if token.key + QUESTION not in asked:
        raise ResumeError(f"run {token.run_id!r} is not waiting at interrupt {op.name!r} ({token.key!r})")
    if token.key in asked:
        raise ResumeError(f"run {token.run_id!r}: interrupt {op.name!r} is already answered")
    if checksum("", found.header.input) != found.header.input_crc:
        raise JournalCorruptError(f"run {token.run_id!r}: the journaled input fails its checksum")
    return await run_durable(
        plan, _decoded_input(found, plan, _facts(plan).input_codec), run_id=token.run_id, journal=journal, context=context,
        timeout=timeout, on_journal_error=on_journal_error, on_code_change=on_code_change, answer=(token.key, payload), deadline=deadline,
    )


async def pending(plan: Plan[object, object], run_id: str, journal: Journal) -> Interrupted[object, object] | None:
    """The interrupt run `run_id` waits at (the first unanswered one), read from the journal;
    None when it waits at none."""
    stored = await journal.load(run_id)
    if stored is None:
        raise ResumeError(f"run {run_id!r} is not in {journal!r}")
    if stored.status != "interrupted":
        return None
    if stored.header.fingerprint != plan.fingerprint():
        raise PlanChangedError(
            f"run {run_id!r} was suspended by plan {stored.header.plan!r} with another fingerprint. What changed:\n"
            f"{_changes(stored.header.outline, _facts(plan).outline)}"
        )
    records = _verified(stored, plan)
    for step in stored.steps:  # the first question asked, as the run itself reports it
        if step.key.endswith(QUESTION) and step.key[: -len(QUESTION)] not in records:
            key = step.key[: -len(QUESTION)]
            op = _interrupt_op(plan, key)
            question = _decoded(run_id, step.key, step.payload, codec_for(op, op.in_type), op)
            token: ResumeToken[object] = ResumeToken(run_id, key, op.name, stored.header.fingerprint)
            return Interrupted(run_id, op.name, question, token)
    return None
