"""Durable runs: journaling, resume, changed plans, corrupt rows, sagas, interrupts, loops."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from tta_dev_primitives import (
    ChatRequest, FakeChatModel, Interrupted, Journal, MemoryJournal, RunContext, SQLiteJournal, ToolCall, agent, compensated,
    compile, for_each, interrupt, loop, node, parallel, saga, tool,
)
from tta_dev_primitives.durable import (
    JournalCodecError, JournalCorruptError, JournalEncodeError, JournalUnavailableError, PlanChangedError, RecordedError, ResumeError,
    ResumeToken, RunInputMismatchError, RunInProgressError,
)
from tta_dev_primitives import ConfigError, SagaError

pytestmark = pytest.mark.anyio


class Crash(Exception):
    """Stands for the process dying at a node (the subprocess tests kill it for real)."""


@pytest.fixture(params=["memory", "sqlite"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    if request.param == "memory":
        yield MemoryJournal()
    else:
        store = SQLiteJournal(tmp_path / "journal.db")
        yield store
        store.close()


@attrs.frozen
class Order:
    id: str
    amount: int


@attrs.frozen
class Receipt:
    order: str
    charged: int


class Effects:
    """Counts the calls of each side effect, and crashes at a chosen one."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.crash_at: str | None = None

    def hit(self, name: str) -> None:
        if self.crash_at == name:
            self.crash_at = None
            raise Crash(name)
        self.calls.append(name)


def order_plan(fx: Effects) -> object:
    @node
    def validate(order: Order) -> Order:
        fx.hit("validate")
        return order

    @node
    def charge(order: Order) -> Receipt:
        fx.hit("charge")
        return Receipt(order.id, order.amount)

    @node
    def notify(receipt: Receipt) -> str:
        fx.hit("notify")
        return f"{receipt.order}: {receipt.charged}"

    return compile(validate >> charge >> notify)


async def test_resume_skips_completed_nodes(journal: Journal) -> None:
    fx = Effects()
    plan = order_plan(fx)
    fx.crash_at = "notify"
    with pytest.raises(Crash):
        await plan.run(Order("o1", 5), run_id="r1", journal=journal)  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge"]
    assert await plan.run(Order("o1", 5), run_id="r1", journal=journal) == "o1: 5"  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge", "notify"]  # nothing that completed ran again
    assert await plan.run(Order("o1", 5), run_id="r1", journal=journal) == "o1: 5"  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge", "notify"]  # a finished run returns its stored result


async def test_an_uninterrupted_durable_run_equals_a_plain_run(journal: Journal) -> None:
    fx = Effects()
    plan = order_plan(fx)
    plain = await plan.run(Order("o2", 7))  # type: ignore[attr-defined]
    durable = await plan.run(Order("o2", 7), run_id="r2", journal=journal)  # type: ignore[attr-defined]
    assert durable == plain


async def test_typed_outputs_replay_as_their_types(journal: Journal) -> None:
    seen: list[object] = []

    @node
    def pair(x: int) -> tuple[int, frozenset[str], dict[int, Order]]:
        return (x, frozenset({"a"}), {x: Order("o", x)})

    @node
    def boom(value: tuple[int, frozenset[str], dict[int, Order]]) -> str:
        seen.append(value)
        if len(seen) == 1:
            raise Crash()
        return "ok"

    plan = compile(pair >> boom)
    with pytest.raises(Crash):
        await plan.run(3, run_id="t", journal=journal)
    assert await plan.run(3, run_id="t", journal=journal) == "ok"
    assert seen[0] == seen[1] and type(seen[1]) is tuple  # the replayed value is the same value, same types
    assert isinstance(seen[1][2][3], Order)  # type: ignore[index]


async def test_untyped_outputs_replay_as_exact_plain_data(journal: Journal) -> None:
    seen: list[object] = []
    first = node(lambda x: {"t": (1, 2), 3: {4}})  # no annotations
    boom = node(lambda v: seen.append(v) or (_ for _ in ()).throw(Crash()) if len(seen) == 0 else v)
    plan = compile(first >> boom)
    with pytest.raises(Crash):
        await plan.run(0, run_id="u", journal=journal)
    assert await plan.run(0, run_id="u", journal=journal) == {"t": (1, 2), 3: {4}}


class Opaque:
    """No known shape: msgspec cannot encode it."""


async def test_output_type_that_cannot_be_journaled_fails_before_anything_runs(journal: Journal) -> None:
    ran: list[str] = []

    @node
    def first(x: int) -> int:
        ran.append("first")
        return x

    @node
    def make(x: int) -> Opaque:
        return Opaque()

    plan = compile(first >> make)
    with pytest.raises(JournalCodecError, match=r"node 'make' \(built at .*test_durable.py:\d+\).*Opaque cannot be journaled"):
        await plan.run(1, run_id="c", journal=journal)
    assert ran == []
    assert await journal.load("c") is None


def test_compile_durable_reports_the_codec_error_at_compile_time() -> None:
    @node
    def make(x: int) -> Opaque:
        return Opaque()

    with pytest.raises(JournalCodecError, match="node 'make'"):
        compile(make, durable=True)
    assert compile(make.declare(pure=True), durable=True) is not None


async def test_pure_nodes_are_not_journaled_and_need_no_codec(journal: Journal) -> None:
    make = node(lambda x: Opaque()).declare(pure=True)
    use = node(lambda o: type(o).__name__)
    plan = compile(make >> use)
    assert await plan.run(1, run_id="p", journal=journal) == "Opaque"
    stored = await journal.load("p")
    assert stored is not None and [s.key for s in stored.steps] == ["2"]


async def test_a_value_that_does_not_fit_its_declared_type_fails_at_the_node(journal: Journal) -> None:
    @node
    def liar(x: int) -> int:
        return True  # an int to isinstance, not to the journal's codec

    after: list[int] = []
    plan = compile(liar >> node(lambda v: after.append(1)))
    with pytest.raises(JournalEncodeError, match=r"node 'liar'.*bool that does not journal as its declared type int"):
        await plan.run(1, run_id="l", journal=journal)
    assert after == []


async def test_changed_plan_is_refused_naming_what_changed(journal: Journal) -> None:
    fx = Effects()
    fx.crash_at = "notify"
    with pytest.raises(Crash):
        await order_plan(fx).run(Order("o", 1), run_id="x", journal=journal)  # type: ignore[attr-defined]

    @node
    def validate(order: Order) -> Order:
        return order

    @node
    def refund(order: Order) -> Receipt:
        return Receipt(order.id, -order.amount)

    changed = compile(validate >> refund >> node(lambda r: "x"))
    with pytest.raises(PlanChangedError) as caught:
        await changed.run(Order("o", 1), run_id="x", journal=journal)
    message = str(caught.value)
    assert re.search(r"^  -\s+2 call 'charge': Order -> Receipt", message, re.M)
    assert re.search(r"^  \+\s+2 call 'refund': Order -> Receipt", message, re.M)
    assert "notify" in message


async def test_same_run_id_with_another_input_is_refused(journal: Journal) -> None:
    plan = order_plan(Effects())
    await plan.run(Order("a", 1), run_id="i", journal=journal)  # type: ignore[attr-defined]
    with pytest.raises(RunInputMismatchError, match="run 'i' was started with another input"):
        await plan.run(Order("a", 2), run_id="i", journal=journal)  # type: ignore[attr-defined]


async def test_durable_run_arguments_are_checked() -> None:
    plan = order_plan(Effects())
    with pytest.raises(ConfigError, match="journal"):
        await plan.run(Order("a", 1), run_id="i")  # type: ignore[attr-defined, call-overload]
    with pytest.raises(ConfigError, match="run_id"):
        await plan.run(Order("a", 1), run_id="", journal=MemoryJournal())  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="journal"):
        await plan.run(Order("a", 1), run_id="i", journal="runs.db")  # type: ignore[attr-defined]


# -- corrupt rows and a store that is down ------------------------------------------------------


async def test_corrupt_row_is_an_error_not_a_rerun(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    fx = Effects()
    plan = order_plan(fx)
    fx.crash_at = "notify"
    with pytest.raises(Crash):
        await plan.run(Order("o", 1), run_id="k", journal=SQLiteJournal(path))  # type: ignore[attr-defined]
    with sqlite3.connect(path) as db:
        db.execute("UPDATE tta_steps SET payload = substr(payload, 1, length(payload) - 2) WHERE key = '2'")
    with pytest.raises(JournalCorruptError, match=r"run 'k': journal row \d+ \(key '2', node 'charge'.*fails its checksum"):
        await plan.run(Order("o", 1), run_id="k", journal=SQLiteJournal(path))  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge"]  # charge did not run again


async def test_row_that_passes_its_checksum_but_not_its_type_is_an_error(tmp_path: Path) -> None:
    from tta_dev_primitives.durable._journal import checksum

    path = tmp_path / "j.db"
    fx = Effects()
    plan = order_plan(fx)
    fx.crash_at = "notify"
    with pytest.raises(Crash):
        await plan.run(Order("o", 1), run_id="k", journal=SQLiteJournal(path))  # type: ignore[attr-defined]
    with sqlite3.connect(path) as db:
        bad = b"\xa3abc"
        db.execute("UPDATE tta_steps SET payload = ?, crc = ? WHERE key = '2'", (bad, checksum("2", bad)))
    with pytest.raises(JournalCorruptError, match=r"journal row of node 'charge'.*does not decode"):
        await plan.run(Order("o", 1), run_id="k", journal=SQLiteJournal(path))  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge"]


async def test_store_down_fails_before_side_effects(tmp_path: Path) -> None:
    fx = Effects()
    plan = order_plan(fx)
    unwritable = SQLiteJournal(tmp_path / "missing-dir" / "j.db")
    with pytest.raises(JournalUnavailableError, match="cannot open the journal"):
        await plan.run(Order("o", 1), run_id="d", journal=unwritable)  # type: ignore[attr-defined]
    assert fx.calls == []


async def test_store_down_can_continue_without_journaling(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fx = Effects()
    plan = order_plan(fx)
    unwritable = SQLiteJournal(tmp_path / "missing-dir" / "j.db")
    result = await plan.run(Order("o", 1), run_id="d", journal=unwritable, on_journal_error="continue")  # type: ignore[attr-defined]
    assert result == "o: 1" and fx.calls == ["validate", "charge", "notify"]
    assert "running without journaling" in caplog.text


class FailingAfter(MemoryJournal):
    """A store that goes down after `ok` appends."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok

    async def append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        if self.ok <= 0:
            raise JournalUnavailableError("store down")
        self.ok -= 1
        await super().append(run_id, key, payload, crc)


async def test_store_down_mid_run_stops_before_the_next_node_and_keeps_acknowledged_steps() -> None:
    fx = Effects()
    plan = order_plan(fx)
    store = FailingAfter(ok=1)
    with pytest.raises(JournalUnavailableError, match="store down"):
        await plan.run(Order("o", 1), run_id="m", journal=store)  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge"]  # charge ran, was not acknowledged: notify did not run
    stored = await store.load("m")
    assert stored is not None and [s.key for s in stored.steps] == ["1"] and stored.status == "failed"
    store.ok = 10
    assert await plan.run(Order("o", 1), run_id="m", journal=store) == "o: 1"  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge", "charge", "notify"]  # only the unacknowledged step ran again


async def test_a_run_id_cannot_run_twice_at_once(journal: Journal) -> None:
    import anyio

    started, release = anyio.Event(), anyio.Event()

    @node
    async def wait(x: int) -> int:
        started.set()
        await release.wait()
        return x

    plan = compile(wait)
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: plan.run(1, run_id="busy", journal=journal))
        await started.wait()
        with pytest.raises(RunInProgressError, match="already running in this process"):
            await plan.run(1, run_id="busy", journal=journal)
        release.set()


# -- keys: loops, maps, retries, parallel ------------------------------------------------------


async def test_loop_journals_per_iteration(journal: Journal) -> None:
    bodies: list[int] = []

    @node
    def step(n: int) -> int:
        bodies.append(n)
        if n == 3 and bodies.count(3) == 1:
            raise Crash()
        return n + 1

    plan = compile(loop(step, until=lambda n: n >= 5, max_iterations=10))
    with pytest.raises(Crash):
        await plan.run(0, run_id="loop", journal=journal)
    assert bodies == [0, 1, 2, 3]
    assert await plan.run(0, run_id="loop", journal=journal) == 5
    assert bodies == [0, 1, 2, 3, 3, 4]  # resumed at the iteration that crashed


async def test_map_items_have_keys_of_their_own(journal: Journal) -> None:
    seen: list[int] = []

    @node
    def square(x: int) -> int:
        seen.append(x)
        if x == 3 and seen.count(3) == 1:
            raise Crash()
        return x * x

    plan = compile(for_each(square, concurrency=1))
    with pytest.raises(Exception):
        await plan.run([1, 2, 3, 4], run_id="map", journal=journal)
    assert await plan.run([1, 2, 3, 4], run_id="map", journal=journal) == [1, 4, 9, 16]
    assert sorted(seen) == [1, 2, 3, 3, 4]


async def test_retry_attempts_do_not_replay_each_other(journal: Journal) -> None:
    from tta_dev_primitives import FakeClock

    fetched: list[int] = []
    attempts: list[int] = []

    @node
    def fetch(x: int) -> int:
        fetched.append(x)
        return len(fetched)

    @node
    def flaky(v: int) -> int:
        attempts.append(v)
        if len(attempts) < 3:
            raise ConnectionError("flaky")
        return v

    plan = compile((fetch >> flaky).retry(max_attempts=3, clock=FakeClock()))
    assert await plan.run(0, run_id="retry", journal=journal) == 3
    assert attempts == [1, 2, 3]  # each attempt fetched afresh, as in a plain run


async def test_parallel_branches_resume_independently(journal: Journal) -> None:
    ran: list[str] = []

    @node
    def left(x: int) -> int:
        ran.append("left")
        return x + 1

    @node
    def right(x: int) -> int:
        ran.append("right")
        if ran.count("right") == 1:
            raise Crash()
        return x + 2

    plan = compile(parallel(left, right))
    with pytest.raises(Exception):
        await plan.run(1, run_id="par", journal=journal)
    assert await plan.run(1, run_id="par", journal=journal) == (2, 3)
    assert ran.count("left") == 1


# -- idempotency keys --------------------------------------------------------------------------


async def test_idempotency_keys_are_stable_across_resume_and_distinct_per_node(journal: Journal) -> None:
    keys: dict[str, list[str | None]] = {"a": [], "b": []}
    crash = [True]

    @node
    def a(x: int, ctx: RunContext) -> int:
        keys["a"].append(ctx.idempotency_key)
        return x

    @node
    def b(x: int, ctx: RunContext) -> int:
        keys["b"].append(ctx.idempotency_key)
        if crash.pop() if crash else False:
            raise Crash()
        return x

    plan = compile(a >> b)
    with pytest.raises(Crash):
        await plan.run(1, run_id="idem", journal=journal)
    await plan.run(1, run_id="idem", journal=journal)
    assert keys["a"] == ["idem/1"]
    assert keys["b"] == ["idem/2", "idem/2"]
    assert await compile(a).run(1) == 1 and keys["a"][-1] is None  # outside durable runs


# -- sagas -------------------------------------------------------------------------------------


def booking(fx: Effects) -> object:
    @node
    def reserve(x: int) -> str:
        fx.hit("reserve")
        return f"seat-{x}"

    @node
    def charge(seat: str) -> str:
        fx.hit("charge")
        return f"paid-{seat}"

    @node
    def confirm(payment: str) -> str:
        fx.hit("confirm")
        if fx.crash_at == "confirm-fails":
            raise ValueError("card declined")
        return f"ok-{payment}"

    def cancel(seat: str) -> None:
        fx.hit(f"cancel {seat}")

    def refund(payment: str) -> None:
        fx.hit(f"refund {payment}")

    return compile(saga(compensated(reserve, cancel) >> compensated(charge, refund) >> confirm))


async def test_a_failed_saga_is_not_retried_on_resume(journal: Journal) -> None:
    fx = Effects()
    plan = booking(fx)
    fx.crash_at = "confirm"
    with pytest.raises(Exception):
        await plan.run(1, run_id="s1", journal=journal)  # type: ignore[attr-defined]
    # a Crash (Exception) in confirm made the saga compensate: it is a failure like any other
    assert fx.calls == ["reserve", "charge", "refund paid-seat-1", "cancel seat-1"]
    with pytest.raises(RecordedError, match="card|Crash"):
        await plan.run(1, run_id="s1", journal=journal)  # type: ignore[attr-defined]
    assert fx.calls == ["reserve", "charge", "refund paid-seat-1", "cancel seat-1"]  # nothing ran twice


async def test_saga_crashed_while_compensating_finishes_the_rest_once(journal: Journal) -> None:
    fx = Effects()
    plan = booking(fx)
    calls = fx.calls
    plain_hit = fx.hit

    def hit(name: str) -> None:
        if name == "confirm":
            calls.append(name)
            raise ValueError("card declined")
        if name == "cancel seat-1" and "died" not in calls:
            calls.append("died")
            raise KeyboardInterrupt  # not an Exception: the compensation stops as if the process died
        plain_hit(name)

    fx.hit = hit  # type: ignore[method-assign]
    with pytest.raises(SagaError):
        await plan.run(1, run_id="s2", journal=journal)  # type: ignore[attr-defined]
    assert calls == ["reserve", "charge", "confirm", "refund paid-seat-1", "died"]
    with pytest.raises(RecordedError, match="ValueError: card declined") as caught:
        await plan.run(1, run_id="s2", journal=journal)  # type: ignore[attr-defined]
    assert caught.value.error_type == "builtins.ValueError"
    # the failed saga is not retried (confirm does not run again); the refund that completed
    # is not repeated; the cancellation that did not complete runs, once
    assert calls == ["reserve", "charge", "confirm", "refund paid-seat-1", "died", "cancel seat-1"]
    with pytest.raises(RecordedError):
        await plan.run(1, run_id="s2", journal=journal)  # type: ignore[attr-defined]
    assert calls[-1] == "cancel seat-1" and calls.count("cancel seat-1") == 1


async def test_saga_steps_record_before_and_after(journal: Journal) -> None:
    fx = Effects()
    plan = booking(fx)
    await plan.run(1, run_id="s3", journal=journal)  # type: ignore[attr-defined]
    stored = await journal.load("s3")
    assert stored is not None
    keys = [s.key for s in stored.steps]
    assert keys.index("2!") < keys.index("3") < keys.index("2$")  # started, the step's own record, completed


# -- interrupts --------------------------------------------------------------------------------


@attrs.frozen
class Refund:
    order: str
    amount: int


@attrs.frozen
class Approval:
    ok: bool
    by: str


def refund_plan(fx: Effects) -> tuple[object, object]:
    approve = interrupt(Refund, Approval, name="approve")

    @node
    def check(order: Order) -> Refund:
        fx.hit("check")
        return Refund(order.id, order.amount)

    @node
    def pay(approval: Approval) -> str:
        fx.hit("pay")
        return f"paid by {approval.by}" if approval.ok else "refused"

    return compile(check >> approve >> pay), approve


async def test_interrupt_suspends_and_resume_continues(journal: Journal) -> None:
    fx = Effects()
    plan, approve = refund_plan(fx)
    outcome = await plan.run(Order("o9", 30), run_id="ask", journal=journal)  # type: ignore[attr-defined]
    assert isinstance(outcome, Interrupted)
    asked = approve.pending(outcome)  # type: ignore[attr-defined]
    assert asked is not None and asked.question == Refund("o9", 30)
    assert fx.calls == ["check"]
    stored = await journal.load("ask")
    assert stored is not None and stored.status == "interrupted"
    result = await plan.resume(asked.token, Approval(True, "ana"), journal=journal)  # type: ignore[attr-defined]
    assert result == "paid by ana"
    assert fx.calls == ["check", "pay"]  # check did not run again


async def test_resume_from_another_process_through_the_token_text(tmp_path: Path) -> None:
    fx = Effects()
    plan, approve = refund_plan(fx)
    outcome = await plan.run(Order("o", 1), run_id="far", journal=SQLiteJournal(tmp_path / "j.db"))  # type: ignore[attr-defined]
    text = str(outcome.token)  # type: ignore[union-attr]
    # "another process": a fresh journal object and a plan built again from the same code
    other_fx = Effects()
    other_plan, other_approve = refund_plan(other_fx)
    journal = SQLiteJournal(tmp_path / "j.db")
    waiting = await other_plan.pending("far", journal=journal)  # type: ignore[attr-defined]
    assert waiting is not None and waiting.question == Refund("o", 1) and str(waiting.token) == text
    result = await other_plan.resume(ResumeToken.parse(text), Approval(False, "bo"), journal=journal)  # type: ignore[attr-defined]
    assert result == "refused" and other_fx.calls == ["pay"]
    assert await other_plan.pending("far", journal=journal) is None  # type: ignore[attr-defined]


async def test_resume_refuses_wrong_answers_and_double_answers(journal: Journal) -> None:
    plan, approve = refund_plan(Effects())
    outcome = await plan.run(Order("o", 1), run_id="w", journal=journal)  # type: ignore[attr-defined]
    token = outcome.token  # type: ignore[union-attr]
    with pytest.raises(ResumeError, match=r"interrupt 'approve' of run 'w' expects an answer of type .*Approval, got str"):
        await plan.resume(token, "yes", journal=journal)  # type: ignore[attr-defined]
    await plan.resume(token, Approval(True, "x"), journal=journal)  # type: ignore[attr-defined]
    with pytest.raises(ResumeError, match="already answered|not waiting"):
        await plan.resume(token, Approval(True, "x"), journal=journal)  # type: ignore[attr-defined]
    with pytest.raises(ResumeError, match="not a resume token"):
        ResumeToken.parse("garbage")


async def test_interrupt_without_a_journal_is_refused_before_anything_runs() -> None:
    fx = Effects()
    plan, _ = refund_plan(fx)
    with pytest.raises(ConfigError, match="interrupt 'approve'"):
        await plan.run(Order("o", 1))  # type: ignore[attr-defined]
    assert fx.calls == []


async def test_interrupt_inside_a_saga_does_not_compensate(journal: Journal) -> None:
    undone: list[str] = []
    approve = interrupt(str, bool, name="go")

    @node
    def reserve(x: int) -> str:
        return f"seat-{x}"

    plan = compile(saga(compensated(reserve, lambda seat: undone.append(seat)) >> approve))
    outcome = await plan.run(1, run_id="si", journal=journal)
    assert isinstance(outcome, Interrupted) and undone == []
    assert await plan.resume(outcome.token, True, journal=journal) is True


@attrs.frozen
class Place:
    city: str


async def test_agent_resumes_at_the_turn_where_it_stopped(journal: Journal) -> None:
    lookups: list[str] = []
    crash = [True]

    @tool
    def lookup(place: Place) -> str:
        """Look a city up."""
        city = place.city
        lookups.append(city)
        if city == "rome" and crash:
            crash.pop()
            raise KeyboardInterrupt  # dies while the tool runs
        return f"{city}: sunny"

    script = [
        ToolCall("c1", "lookup", '{"city": "oslo"}'),
        ToolCall("c2", "lookup", '{"city": "rome"}'),
        "done",
    ]
    calls: list[int] = []

    def make_model() -> FakeChatModel:
        replies = iter(script)

        def reply(request: ChatRequest) -> object:
            calls.append(len(request.messages))
            return next(replies)

        return FakeChatModel(reply=reply)  # type: ignore[arg-type]

    plan = compile(agent(make_model(), [lookup], max_turns=5))
    with pytest.raises((KeyboardInterrupt, BaseExceptionGroup)):
        await plan.run("weather?", run_id="agent", journal=journal)
    assert lookups == ["oslo", "rome"] and len(calls) == 2
    resumed = compile(agent(make_model(), [lookup], max_turns=5))
    # a fresh model script: the two journaled model turns replay, the third is asked
    replies_left = iter(script[2:])
    resumed_model_calls: list[int] = []

    def third(request: ChatRequest) -> object:
        resumed_model_calls.append(len(request.messages))
        return next(replies_left)

    resumed = compile(agent(FakeChatModel(reply=third), [lookup], max_turns=5))  # type: ignore[arg-type]
    assert await resumed.run("weather?", run_id="agent", journal=journal) == "done"
    assert lookups == ["oslo", "rome", "rome"]  # oslo's call replayed; rome's, unfinished, ran again
    assert len(resumed_model_calls) == 1  # only the turn that had not been answered was asked


async def test_an_interrupt_is_reported_to_hooks_as_suspended_not_as_a_failure(journal: Journal) -> None:
    from tta_dev_primitives import Hook, NodeInfo

    seen: list[tuple[str, str]] = []

    class Outcomes(Hook):
        def on_node_error(self, node: NodeInfo, ctx: RunContext, state: object, error: BaseException) -> None:
            from tta_dev_primitives.observability._metrics import _outcome

            seen.append((node.name, _outcome(error)))

    plan, _ = refund_plan(Effects())
    outcome = await plan.with_hooks(Outcomes()).run(Order("o", 1), run_id="hooked", journal=journal)  # type: ignore[attr-defined]
    assert isinstance(outcome, Interrupted)
    assert ("approve", "suspended") in seen and all(kind == "suspended" for _, kind in seen)


# -- resumed fallbacks, retries and sagas; nested runs; values that replay; run ids -----------


async def test_a_resumed_fallback_does_not_try_the_failed_primary_again(journal: Journal) -> None:
    charges: list[str] = []
    crash = [True]

    @node
    def primary(x: int) -> str:
        if not charges:
            charges.append("primary failed")
            raise ConnectionError("primary down")
        charges.append("primary")
        return "primary"

    @node
    def backup(x: int) -> str:
        charges.append("backup")
        return "backup"

    @node
    def after(receipt: str) -> str:
        if crash:
            crash.pop()
            raise Crash()
        return receipt

    plan = compile(primary.fallback(backup) >> after)
    with pytest.raises(Crash):
        await plan.run(1, run_id="fb", journal=journal)
    assert await plan.run(1, run_id="fb", journal=journal) == "backup"
    assert charges == ["primary failed", "backup"]  # the primary, which would now succeed, is not tried again


async def test_a_resumed_retry_goes_on_from_the_attempt_it_had_reached(journal: Journal) -> None:
    from tta_dev_primitives import FakeClock

    attempts: list[str | None] = []
    crash = [True]

    @node
    def charge(x: int, ctx: RunContext) -> str:
        attempts.append(ctx.idempotency_key)
        if len(attempts) == 1:
            raise ConnectionError("flaky")
        return "txn"

    @node
    def after(receipt: str) -> str:
        if crash:
            crash.pop()
            raise Crash()
        return receipt

    plan = compile(charge.retry(max_attempts=3, clock=FakeClock()) >> after)
    with pytest.raises(Crash):
        await plan.run(1, run_id="rt", journal=journal)
    assert await plan.run(1, run_id="rt", journal=journal) == "txn"
    assert attempts == ["rt/1.1/2", "rt/1.2/2"]  # attempt 1 is not charged again under its own key


async def test_a_saga_that_compensated_on_cancellation_is_not_continued(journal: Journal) -> None:
    import anyio

    log: list[str] = []

    @node
    def reserve(x: int) -> str:
        log.append("reserve")
        return "seat"

    outside = anyio.CancelScope()

    @node
    async def charge(seat: str) -> str:
        if "cancel" not in log:
            outside.cancel()  # the run is cancelled inside charge, however slow the journal is
            await anyio.sleep_forever()
        log.append("charge")
        return "paid"

    plan = compile(saga(compensated(reserve, lambda seat: log.append("cancel")) >> charge))
    with outside:  # the saga undoes reserve
        await plan.run(1, run_id="sc", journal=journal)
    assert outside.cancelled_caught and log == ["reserve", "cancel"]
    with pytest.raises(RecordedError, match="Cancel"):
        await plan.run(1, run_id="sc", journal=journal)
    assert log == ["reserve", "cancel"]  # not charged for a released seat, not cancelled twice


async def test_a_saga_over_parallel_branches_finishes_every_compensation_after_a_crash(journal: Journal) -> None:
    import anyio

    log: list[str] = []
    booked = anyio.Event()

    @node
    def book_hotel(x: int) -> str:
        log.append("hotel")
        booked.set()
        return "hotel-1"

    @node
    async def book_flight(x: int) -> str:
        await booked.wait()  # fails once the hotel is booked
        raise ValueError("no seats")

    def cancel_hotel(booking: str) -> None:
        if "died" not in log:
            log.append("died")
            raise KeyboardInterrupt
        log.append(f"cancel {booking}")

    plan = compile(saga(parallel(compensated(node(lambda x: x).declare(pure=True) >> book_hotel, cancel_hotel), book_flight)))
    with pytest.raises(BaseException):
        await plan.run(1, run_id="sp", journal=journal)
    with pytest.raises(RecordedError, match="ParallelError"):
        await plan.run(1, run_id="sp", journal=journal)
    assert log == ["hotel", "died", "cancel hotel-1"]


async def test_a_plan_run_inside_a_durable_node_gets_no_idempotency_key(journal: Journal) -> None:
    seen: list[str | None] = []

    @node
    def inner_step(x: int, ctx: RunContext) -> int:
        seen.append(ctx.idempotency_key)
        return x

    inner = compile(inner_step)

    @node
    async def outer(x: int, ctx: RunContext) -> int:
        seen.append(ctx.idempotency_key)
        return await inner.run(x)

    await compile(outer).run(1, run_id="nest", journal=journal)
    assert seen == ["nest/0", None]


async def test_a_value_that_would_replay_as_another_type_fails_where_it_is_written(journal: Journal) -> None:
    @attrs.frozen
    class Base:
        price: int

    @attrs.frozen
    class Premium(Base):
        discount: int

    def load(x: int) -> Base:
        return Premium(100, 30)

    load.__annotations__ = {"x": int, "return": Base}
    plan = compile(node(load))
    with pytest.raises(JournalEncodeError, match=r"node 'load'.*would replay differently.*Premium"):
        await plan.run(1, run_id="sub", journal=journal)


async def test_run_ids_are_checked(journal: Journal) -> None:
    plan = order_plan(Effects())
    for bad in ("a\x00b", "x" * 300):
        with pytest.raises(ConfigError, match="run_id"):
            await plan.run(Order("a", 1), run_id=bad, journal=journal)  # type: ignore[attr-defined]


# -- interrupt names -------------------------------------------------------------------------


def test_two_interrupts_of_one_name_are_refused_at_compile_time() -> None:
    first = interrupt(int, int, name="dup")
    second = interrupt(int, str, name="dup")
    with pytest.raises(ConfigError, match=r"interrupt 'dup' \(built at .*test_durable.py:\d+\): invalid name='dup'; expected a name no other.*answers int; this one answers str"):
        compile(first >> second)


def test_one_interrupt_node_used_twice_keeps_its_name() -> None:
    ask = interrupt(int, int, name="approve")
    compile(ask >> ask)
