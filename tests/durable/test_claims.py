"""A run id runs once at a time, whichever journal objects, tasks and processes race for it:
the claim lives in the store, so one run executes the node and every other caller gets
RunInProgressError (while it runs) or the finished result (after)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tta_dev_primitives import SQLiteJournal, compile, node
from tta_dev_primitives.durable import ClaimLostError, RunInProgressError

RACE = Path(__file__).parents[1] / "fixtures" / "claim_race.py"


def payment_plan(calls: list[int], others_done: anyio.Event | None = None) -> object:
    async def pay(amount: int) -> int:
        calls.append(amount)
        if others_done is None:
            await anyio.sleep(0.01)  # the payment takes a while: the others arrive meanwhile
        else:
            with anyio.fail_after(30):  # held until every other caller has its answer
                await others_done.wait()
        return amount * 10

    return compile(node(pay))


async def race(path: Path, journals: int, tasks: int, *, hold: bool = False) -> tuple[list[int], list[object]]:
    """Every caller runs the plan on one run id at once. With `hold`, the payment lasts until all
    the others have returned, so each of them meets the run in progress (never its result)."""
    calls: list[int] = []
    others_done = anyio.Event() if hold else None
    plan = payment_plan(calls, others_done)
    stores = [SQLiteJournal(path) for _ in range(journals)]
    outcomes: list[object] = []

    async def one(store: SQLiteJournal) -> None:
        try:
            outcomes.append(await plan.run(7, run_id="pay-1", journal=store))  # type: ignore[attr-defined]
        except RunInProgressError as error:
            outcomes.append(type(error).__name__)
            if others_done is not None and len(outcomes) == journals * tasks - 1:
                others_done.set()

    try:
        async with anyio.create_task_group() as tg:
            for store in stores:
                for _ in range(tasks):
                    tg.start_soon(one, store)
    finally:
        for store in stores:
            store.close()
    return calls, outcomes


@pytest.mark.anyio
async def test_two_journal_objects_on_one_file_run_a_run_id_once(tmp_path: Path) -> None:
    calls, outcomes = await race(tmp_path / "j.db", journals=2, tasks=1, hold=True)
    assert calls == [7]
    assert sorted(map(str, outcomes)) == ["70", "RunInProgressError"]
    with SQLiteJournal(tmp_path / "j.db") as journal:
        stored = await journal.load("pay-1")
    assert stored is not None and stored.status == "done" and stored.result is not None  # the loser never overwrote it


@given(journals=st.integers(1, 4), tasks=st.integers(1, 4))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_number_of_journals_and_tasks_run_a_run_id_once(tmp_path_factory: pytest.TempPathFactory, journals: int, tasks: int) -> None:
    path = tmp_path_factory.mktemp("race") / "j.db"
    for backend in ("asyncio", "trio"):
        path.unlink(missing_ok=True)
        calls, outcomes = anyio.run(race, path, journals, tasks, backend=backend)
        assert calls == [7]
        assert all(outcome in (70, "RunInProgressError") for outcome in outcomes), outcomes
        assert outcomes.count(70) >= 1 and len(outcomes) == journals * tasks


@pytest.mark.parametrize(("processes", "journals", "tasks"), [(3, 1, 1), (2, 2, 3), (4, 3, 2)])
def test_processes_journals_and_tasks_on_one_file_run_a_run_id_once(tmp_path: Path, processes: int, journals: int, tasks: int) -> None:
    path, effects = tmp_path / "j.db", tmp_path / "effects"
    argv = [sys.executable, str(RACE), str(path), str(effects), str(journals), str(tasks)]
    children = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    try:
        for child in children:  # every process has imported everything: start them together
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outcomes = [json.loads(child.communicate(timeout=60)[0]) for child in children]
    finally:
        for child in children:
            child.kill()
    assert len(effects.read_text().splitlines()) == 1  # the payment ran once, in one process
    flat = [outcome for outcome in sum(outcomes, []) if outcome != "RunInProgressError"]
    assert flat and set(flat) == {70}
    assert sum(len(o) for o in outcomes) == processes * journals * tasks


@pytest.mark.anyio
async def test_a_run_taken_over_never_records_its_steps_or_status(tmp_path: Path) -> None:
    """Should another run take a run over (its owner judged gone), the first one's later steps
    and status never reach the store: it stops with ClaimLostError."""
    import sqlite3

    path = tmp_path / "j.db"
    started, go_on = anyio.Event(), anyio.Event()

    async def slow(x: int) -> int:
        started.set()
        await go_on.wait()
        return x + 1

    plan = compile(node(slow) >> node(lambda y: y * 2))
    with SQLiteJournal(path) as journal:
        async with anyio.create_task_group() as tg:

            async def first() -> None:
                with pytest.raises(ClaimLostError, match="no longer claimed"):
                    await plan.run(1, run_id="r", journal=journal)

            tg.start_soon(first)
            await started.wait()
            with sqlite3.connect(path) as db:  # another host's run took it over
                db.execute("UPDATE tta_runs SET owner = 'elsewhere:1:x' WHERE run_id = 'r'")
            go_on.set()
        stored = await journal.load("r")
    assert stored is not None and stored.status == "running" and stored.steps == ()


@pytest.mark.anyio
async def test_a_cancelled_duplicate_never_releases_the_running_claim(tmp_path: Path) -> None:
    """A duplicate call of a running id, cancelled while its open waits for another writer's
    lock, gives back only what it claimed itself: never the running run's claim."""
    import sqlite3

    path = tmp_path / "j.db"
    calls: list[int] = []
    started, finish = anyio.Event(), anyio.Event()

    async def pay(amount: int) -> int:
        calls.append(amount)
        started.set()
        await finish.wait()
        return amount * 10

    plan = compile(node(pay))
    results: list[object] = []
    with SQLiteJournal(path) as journal, SQLiteJournal(path) as other:
        async with anyio.create_task_group() as tg:

            async def first() -> None:
                results.append(await plan.run(7, run_id="pay-1", journal=journal))

            tg.start_soon(first)
            await started.wait()
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")  # another process writing: the duplicate's open waits for it
            with anyio.move_on_after(0.2):
                await plan.run(7, run_id="pay-1", journal=journal)  # its client goes away meanwhile
            holder.execute("ROLLBACK")
            holder.close()
            await journal.load("pay-1")  # queued after the duplicate's open and its give-back: both have run
            with pytest.raises(RunInProgressError):
                await plan.run(7, run_id="pay-1", journal=other)
            finish.set()
    assert results == [70] and calls == [7]


_GATE: tuple[object, object] | None = None
"""In a forked worker: the (started, finish) events `_gated_pay` signals and waits on."""
_PAID: list[int] = []


async def _gated_pay(amount: int) -> int:
    _PAID.append(amount)
    if _GATE is not None:
        started, finish = _GATE
        started.set()  # type: ignore[attr-defined]
        await anyio.to_thread.run_sync(finish.wait)  # type: ignore[attr-defined]
    return amount * 10


GATED = compile(node(_gated_pay))


def _forked_run(path: str, started: object, finish: object) -> None:
    """A forked worker's run of "pay-2", waiting for `finish` inside its node."""
    global _GATE
    _GATE = (started, finish)

    async def go() -> None:
        with SQLiteJournal(path) as journal:
            await GATED.run(7, run_id="pay-2", journal=journal)

    anyio.run(go)


def test_a_forked_worker_is_a_process_of_its_own(tmp_path: Path) -> None:
    """A prefork server's workers (fork, as multiprocessing does on Linux) hold their claims as
    processes of their own: the parent cannot take a worker's live run, and a killed worker's
    run can be resumed."""
    import multiprocessing
    import os
    import signal

    path = str(tmp_path / "j.db")
    with SQLiteJournal(path) as warm:  # the parent has a journal (and its thread) before it forks
        anyio.run(lambda: compile(node(lambda x: x)).run(1, run_id="warm", journal=warm))  # type: ignore[arg-type, return-value]
    context = multiprocessing.get_context("fork")
    started, finish = context.Event(), context.Event()
    worker = context.Process(target=_forked_run, args=(path, started, finish))
    worker.start()
    try:
        assert started.wait(30)
        _PAID.clear()
        with SQLiteJournal(path) as journal, pytest.raises(RunInProgressError, match="held by a live process"):
            anyio.run(lambda: GATED.run(7, run_id="pay-2", journal=journal))
        assert _PAID == []
        os.kill(worker.pid, signal.SIGKILL)  # type: ignore[arg-type]
        worker.join(30)
        with SQLiteJournal(path) as journal:  # a dead worker's claim is taken over
            assert anyio.run(lambda: GATED.run(7, run_id="pay-2", journal=journal)) == 70
        assert _PAID == [7]
    finally:
        if worker.is_alive():  # (a killed waiter would make Event.set wait for it forever)
            finish.set()
        worker.join(30)
