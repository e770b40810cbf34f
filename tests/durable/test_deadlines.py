"""A journal store that stops answering never holds a durable run past its deadline, its
caller's cancellation or the journal's own timeout; what it was writing lands once it answers,
and a resumed run replays what landed."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from tta_dev_primitives import Plan, RunTimeoutError, SQLiteJournal, compile, node
from tta_dev_primitives import Interrupted, interrupt
from tta_dev_primitives.durable import JournalUnavailableError, RunStatus, StoredRun

pytestmark = pytest.mark.anyio


class HangingJournal(SQLiteJournal):
    """A real SQLite journal whose store stops answering step writes (and, with `reads`, reads;
    with `closes`, a run's status) while `answering` is clear (a database server stopped with
    SIGSTOP, a disk that blocks)."""

    def __init__(self, path: Path, *, reads: bool = False, closes: bool = False, **settings: float) -> None:
        super().__init__(path, **settings)  # type: ignore[arg-type]
        self.answering = threading.Event()
        self.answering.set()
        self.reads, self.closes = reads, closes

    def _append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        self.answering.wait()
        super()._append(run_id, key, payload, crc)

    def _load(self, run_id: str) -> StoredRun | None:
        if self.reads:
            self.answering.wait()
        return super()._load(run_id)

    def _close(self, run_id: str, status: RunStatus, result: bytes | None, result_crc: int | None, error: str | None) -> None:
        if self.closes:
            self.answering.wait()
        super()._close(run_id, status, result, result_crc, error)


@pytest.fixture
def hung(tmp_path: Path) -> Iterator[HangingJournal]:
    journal = HangingJournal(tmp_path / "j.db")
    journal.answering.clear()
    yield journal
    journal.answering.set()
    journal.close()


def charge_plan(calls: list[int]) -> object:
    def charge(x: int) -> int:
        calls.append(x)
        return x * 10

    return compile(node(charge) >> node(lambda y: y + 1))


async def test_a_run_timeout_bounds_a_journal_that_stopped_answering(hung: HangingJournal) -> None:
    plan = charge_plan([])
    started = time.monotonic()
    with pytest.raises(RunTimeoutError, match="timeout of 0.3s"):
        await plan.run(1, run_id="r", journal=hung, timeout=0.3)  # type: ignore[attr-defined]
    assert time.monotonic() - started < 3  # not when the store answers again


async def test_cancelling_the_caller_stops_waiting_for_the_journal(hung: HangingJournal) -> None:
    plan = charge_plan([])
    started = time.monotonic()
    with anyio.move_on_after(0.3) as scope:
        await plan.run(1, run_id="r", journal=hung)  # type: ignore[attr-defined]
    assert scope.cancelled_caught and time.monotonic() - started < 3


async def test_the_journals_own_timeout_bounds_a_run_without_a_deadline(tmp_path: Path) -> None:
    journal = HangingJournal(tmp_path / "j.db", timeout=0.3)
    journal.answering.clear()
    try:
        started = time.monotonic()
        with pytest.raises(JournalUnavailableError, match=r"append did not answer within 0.3s"):
            await charge_plan([]).run(1, run_id="r", journal=journal)  # type: ignore[attr-defined]
        assert time.monotonic() - started < 3
    finally:
        journal.answering.set()
        journal.close()


async def test_a_step_written_after_the_caller_gave_up_lands_and_replays(hung: HangingJournal) -> None:
    calls: list[int] = []
    plan = charge_plan(calls)
    with pytest.raises(RunTimeoutError):
        await plan.run(1, run_id="r", journal=hung, timeout=0.3)  # type: ignore[attr-defined]
    hung.answering.set()  # the store answers again: the queued step and status land, in order
    assert await plan.run(1, run_id="r", journal=hung) == 11  # type: ignore[attr-defined]
    assert calls == [1]  # charge's record landed: resumed, it replays


async def test_a_locked_sqlite_file_fails_the_run_at_its_deadline_not_after_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with SQLiteJournal(path, busy_timeout=30) as journal:
        plan = charge_plan([])
        assert await plan.run(1, run_id="warm", journal=journal) == 11  # type: ignore[attr-defined]
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            started = time.monotonic()
            with pytest.raises(RunTimeoutError, match="while opening run 'r'"):
                await plan.run(1, run_id="r", journal=journal, timeout=0.3)  # type: ignore[attr-defined]
            assert time.monotonic() - started < 3
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert await plan.run(1, run_id="r", journal=journal) == 11  # type: ignore[attr-defined]  # nothing was left claimed


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_native_asyncio_cancel_stops_waiting_for_the_journal(hung: HangingJournal) -> None:
    plan = charge_plan([])
    task = asyncio.ensure_future(plan.run(1, run_id="r", journal=hung))  # type: ignore[attr-defined]
    await asyncio.sleep(0.2)  # the run is waiting for its first step's write
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 3


def test_a_journal_stuck_in_a_call_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    script = f"""
import threading, anyio, sys
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from tests.durable.test_deadlines import HangingJournal, charge_plan
journal = HangingJournal({str(tmp_path / "j.db")!r})
journal.answering.clear()
async def main():
    with anyio.move_on_after(0.3):
        await charge_plan([]).run(1, run_id="r", journal=journal)
anyio.run(main)
print("done", flush=True)
"""
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == "done\n"


async def suspended(journal: HangingJournal) -> tuple[Plan[int, object], Interrupted[object, object]]:
    """A plan and its run "r", suspended at interrupt "ask" (the answer plus one is its result)."""
    plan = compile(interrupt(int, int, name="ask") >> node(lambda answer: answer + 1))
    outcome = await plan.run(1, run_id="r", journal=journal)
    assert isinstance(outcome, Interrupted)
    return plan, outcome


async def test_resume_answers_within_its_timeout_when_the_journal_stopped_answering(tmp_path: Path) -> None:
    journal = HangingJournal(tmp_path / "j.db", reads=True)
    try:
        plan, outcome = await suspended(journal)
        journal.answering.clear()
        started = time.monotonic()
        with pytest.raises(RunTimeoutError, match="timeout of 0.3s while reading run 'r'"):
            await plan.resume(outcome.token, 41, journal=journal, timeout=0.3)
        assert time.monotonic() - started < 3
        journal.answering.set()
        assert await plan.resume(outcome.token, 41, journal=journal) == 42
    finally:
        journal.answering.set()
        journal.close()


def test_closing_a_journal_stuck_in_a_call_returns(tmp_path: Path) -> None:
    journal = HangingJournal(tmp_path / "j.db")
    journal.answering.clear()

    async def give_up() -> None:
        with anyio.move_on_after(0.3):
            await charge_plan([]).run(1, run_id="r", journal=journal)  # type: ignore[attr-defined]

    anyio.run(give_up)
    started = time.monotonic()
    journal.close()  # the README's `with SQLiteJournal(...)` block ends here
    assert time.monotonic() - started < 3
    journal.answering.set()


async def test_replaying_a_finished_run_answers_within_its_timeout(tmp_path: Path) -> None:
    journal = HangingJournal(tmp_path / "j.db", closes=True)
    plan = charge_plan([])
    try:
        assert await plan.run(1, run_id="r", journal=journal) == 11  # type: ignore[attr-defined]
        journal.answering.clear()
        started = time.monotonic()
        assert await plan.run(1, run_id="r", journal=journal, timeout=0.3) == 11  # type: ignore[attr-defined]  # its result, on time
        assert time.monotonic() - started < 3
    finally:
        journal.answering.set()
        journal.close()


async def test_recording_an_answer_counts_against_the_resumes_timeout(tmp_path: Path) -> None:
    journal = HangingJournal(tmp_path / "j.db")
    try:
        plan, outcome = await suspended(journal)
        journal.answering.clear()
        started = time.monotonic()
        with pytest.raises(RunTimeoutError, match="while recording the answer of run 'r'"):
            await plan.resume(outcome.token, 41, journal=journal, timeout=0.3)
        assert time.monotonic() - started < 3
    finally:
        journal.answering.set()
        journal.close()


async def test_running_on_without_the_journal_keeps_the_runs_clock(tmp_path: Path) -> None:
    """on_journal_error="continue": the time spent failing to open the journal counts."""
    path = tmp_path / "j.db"
    SQLiteJournal(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # the file is locked past the journal's busy timeout

    async def work(x: int) -> int:
        await anyio.sleep(0.8)  # the run's own work, after 0.6 s spent on the locked journal
        return x

    try:
        with SQLiteJournal(path, busy_timeout=0.6) as journal, pytest.raises(RunTimeoutError):
            await compile(node(work)).run(1, run_id="r", journal=journal, timeout=1.2, on_journal_error="continue")  # type: ignore[attr-defined]
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_a_run_whose_journal_timed_out_does_not_wait_a_second_timeout_for_its_status(tmp_path: Path) -> None:
    journal = HangingJournal(tmp_path / "j.db", closes=True, timeout=2.0)
    journal.answering.clear()
    try:
        started = time.monotonic()
        with pytest.raises(JournalUnavailableError, match="did not answer within 2s"):
            await charge_plan([]).run(1, run_id="r", journal=journal)  # type: ignore[attr-defined]
        assert time.monotonic() - started < 3.5  # the step's timeout and two graces, not two timeouts
    finally:
        journal.answering.set()
        journal.close()
