"""The durable-run behaviours against a real PostgreSQL server (started here on 127.0.0.1),
plus what only a server shared by processes shows: claims held by live processes and
released by dead ones, the server going down mid-run, and SIGKILLed workers resuming.

Every behavioural test of tests/durable/test_durable.py that takes a `journal` runs again here, with
a PostgresJournal in a schema of its own."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.durable.test_durable as durable_tests
from tests.durable.test_durable import Effects, Order, order_plan
from tta_dev_primitives.durable import ClaimLostError, JournalUnavailableError, PostgresJournal

from postgres_backend import Postgres, postgres_server, server_root, stop

pytestmark = pytest.mark.anyio
WORKER = Path(__file__).parent.parent / "tests" / "fixtures" / "durable_worker.py"


# every test of tests/durable/test_durable.py that takes a journal, collected here again with the
# `journal` fixture below: a PostgresJournal
globals().update(
    {name: test for name, test in vars(durable_tests).items() if name.startswith("test_") and "journal" in inspect.signature(test).parameters}
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with postgres_server() as server:
        yield server


def schema_dsn(postgres: Postgres, name: str) -> str:
    """A DSN whose tables live in a schema of their own (created here)."""
    import psycopg

    schema = "t_" + "".join(ch if ch.isalnum() else "_" for ch in name)[-50:].lower()
    with psycopg.connect(postgres.dsn, autocommit=True) as db:
        db.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[arg-type]
        db.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
    return f"{postgres.dsn}?options=-csearch_path%3D{schema}"


@pytest.fixture
def journal(postgres: Postgres, request: pytest.FixtureRequest) -> Iterator[PostgresJournal]:
    store = PostgresJournal(schema_dsn(postgres, request.node.name))
    yield store
    store.close()


def worker(dsn: str, tmp: Path, *kill: int) -> list[str]:
    return [sys.executable, str(WORKER), dsn, str(tmp / "effects"), str(tmp / "result"), "pg-run", "0", *map(str, kill)]


def test_a_run_claimed_by_a_live_process_is_refused_until_it_dies(postgres: Postgres, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    dsn = schema_dsn(postgres, request.node.name)
    holder = subprocess.Popen(worker(dsn, tmp_path, 4), stdout=subprocess.PIPE, text=True, env={**os.environ, "TTA_WORKER_HOLD": "1"})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"  # mid-run, claim held
        assert subprocess.run(worker(dsn, tmp_path), timeout=60, check=False).returncode == 0
        assert json.loads((tmp_path / "result").read_text()) == {"error": "tta_dev_primitives.errors.RunInProgressError"}
    finally:
        holder.send_signal(signal.SIGKILL)  # dies holding the claim: its connection, and so its lock, go with it
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert subprocess.run(worker(dsn, tmp_path), timeout=60, check=False).returncode == 0
    assert json.loads((tmp_path / "result").read_text()) == {"result": "order-1/seat/paid in 3 parcels"}


async def test_server_down_before_the_run_fails_before_side_effects() -> None:
    with postgres_server() as server:
        dsn = server.dsn
    fx = Effects()
    with pytest.raises(JournalUnavailableError, match="PostgresJournal"):
        await order_plan(fx).run(Order("o", 1), run_id="down", journal=PostgresJournal(dsn, connect_timeout=2))  # type: ignore[attr-defined]
    assert fx.calls == []
    result = await order_plan(fx).run(  # type: ignore[attr-defined]
        Order("o", 1), run_id="down", journal=PostgresJournal(dsn, connect_timeout=2), on_journal_error="continue"
    )
    assert result == "o: 1"


async def test_server_stopping_mid_run_stops_the_run_and_a_resume_after_restart_finishes() -> None:
    root = server_root()
    fx = Effects()
    plan = order_plan(fx)
    with postgres_server(root=root) as server:
        port, journal = server.port, PostgresJournal(server.dsn, connect_timeout=2)
        original_hit = fx.hit

        def hit(name: str) -> None:
            original_hit(name)
            if name == "charge":  # the server goes away after charge ran, before it is journaled
                stop(server.process)

        fx.hit = hit  # type: ignore[method-assign]
        with pytest.raises(ClaimLostError, match="was lost, and the run's claim with it") as lost:  # the lock was the session's
            await plan.run(Order("o", 1), run_id="mid", journal=journal)  # type: ignore[attr-defined]
        assert isinstance(lost.value.__context__, JournalUnavailableError)
        assert fx.calls == ["validate", "charge"]  # notify did not run
        fx.hit = original_hit  # type: ignore[method-assign]
    with postgres_server(port=port, root=root) as server:
        result = await plan.run(Order("o", 1), run_id="mid", journal=PostgresJournal(server.dsn))  # type: ignore[attr-defined]
    assert result == "o: 1"
    shutil.rmtree(root, ignore_errors=True)
    assert fx.calls == ["validate", "charge", "charge", "notify"]  # only the step never acknowledged ran again


@pytest.mark.parametrize("kill_at", [1, 4, 7, 11])
def test_a_killed_worker_resumes_on_postgres(postgres: Postgres, tmp_path: Path, kill_at: int, request: pytest.FixtureRequest) -> None:
    dsn = schema_dsn(postgres, request.node.name)

    def attempt(*kill: int) -> int:
        return subprocess.run(worker(dsn, tmp_path, *kill), timeout=60, check=False).returncode

    assert attempt(kill_at) == -signal.SIGKILL
    assert attempt() == 0
    assert json.loads((tmp_path / "result").read_text()) == {"result": "order-1/seat/paid in 3 parcels"}
    lines = (tmp_path / "effects").read_text().splitlines()
    repeated = {line for line in lines if lines.count(line) > 1}
    assert len(repeated) <= (1 if kill_at % 2 == 1 else 0)  # only a kill between an effect and its record repeats it
    assert [line.split()[0] for line in dict.fromkeys(lines)] == ["reserve", "charge", "pack", "pack", "pack", "confirm"]


async def test_a_run_whose_connection_was_lost_stops_if_another_process_took_it(postgres: Postgres, request: pytest.FixtureRequest) -> None:
    import psycopg

    from tta_dev_primitives.durable import RunHeader

    dsn = schema_dsn(postgres, request.node.name)
    first, second = PostgresJournal(dsn), PostgresJournal(dsn)
    try:
        header = RunHeader("lost", "p", "f", "", b"", 0)
        await first.open_run(header)
        with psycopg.connect(postgres.dsn, autocommit=True) as admin:  # the server drops first's session (and its lock)
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = 'postgres'"
                          " AND application_name = '' AND state IS NOT NULL")
        await second.open_run(header)  # another process claims it meanwhile
        with pytest.raises(ClaimLostError, match="was lost, and the run's claim with it"):
            await first.append("lost", "1", b"x", 0)  # the write that finds the connection gone: never "continue"
        with pytest.raises(ClaimLostError):
            await first.append("lost", "1", b"x", 0)  # reconnected, the run is still not its own
        await second.append("lost", "1", b"y", 0)
    finally:
        first.close()
        second.close()


def _server_processes(postgres: Postgres) -> list[int]:
    """The postmaster and every process it started (the backends serving our connections)."""
    pid = postgres.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


async def test_a_stopped_server_never_holds_a_run_past_its_deadline(postgres: Postgres, request: pytest.FixtureRequest) -> None:
    """The server stops answering (SIGSTOP) between two steps: the run ends at its timeout, not
    when the server comes back; once it does, the run resumes and replays what landed."""
    import time

    import anyio

    from tta_dev_primitives import RunTimeoutError, compile, node

    journal = PostgresJournal(schema_dsn(postgres, request.node.name))
    calls: list[int] = []
    stopped: list[int] = []

    def pay(x: int) -> int:
        calls.append(x)
        stopped.extend(_server_processes(postgres))
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        return x * 10

    plan = compile(node(pay) >> node(lambda y: y + 1))
    try:
        started = time.monotonic()
        with anyio.fail_after(10), pytest.raises(RunTimeoutError, match="timeout of 1.0s"):
            await plan.run(1, run_id="stopped", journal=journal, timeout=1.0)
        assert time.monotonic() - started < 4
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    try:
        assert await plan.run(1, run_id="stopped", journal=journal) == 11
        assert calls == [1]  # pay's step landed once the server answered: it replays
    finally:
        journal.close()


async def test_a_run_that_lost_its_connection_never_overwrites_the_run_that_took_over(postgres: Postgres, request: pytest.FixtureRequest) -> None:
    """Run A's connection dies inside a node; run B takes the run over and finishes it. A stops
    with ClaimLostError when it next writes (even under on_journal_error="continue"): it does not
    lock the run again once B has let go, and B's finished row stays as B wrote it."""
    import anyio
    import psycopg

    from tta_dev_primitives import compile, node

    dsn = schema_dsn(postgres, request.node.name)
    inside, go_on = anyio.Event(), anyio.Event()
    ran: list[str] = []

    async def slow(x: int) -> int:
        ran.append("slow")
        if not inside.is_set():  # run A waits here while its connection is cut
            inside.set()
            await go_on.wait()
        return x + 1

    def last(x: int) -> int:
        ran.append("last")
        return x * 10

    plan = compile(node(slow) >> node(last))
    a, b = PostgresJournal(dsn), PostgresJournal(dsn)
    try:
        async with anyio.create_task_group() as tg:

            async def run_a() -> None:
                with pytest.raises(ClaimLostError):
                    await plan.run(1, run_id="taken", journal=a, on_journal_error="continue")

            tg.start_soon(run_a)
            await inside.wait()
            assert a._db is not None
            (pid,) = a._db.execute("SELECT pg_backend_pid()").fetchone() or (0,)
            with psycopg.connect(postgres.dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            assert await plan.run(1, run_id="taken", journal=b) == 20  # B resumes and finishes it
            go_on.set()
        stored = await b.load("taken")
        assert stored is not None and stored.status == "done" and stored.result is not None
        assert ran == ["slow", "slow", "last"]  # A never ran `last`
    finally:
        a.close()
        b.close()


async def test_opening_a_journal_takes_no_table_lock_when_its_schema_is_current(postgres: Postgres, request: pytest.FixtureRequest) -> None:
    """A reader's open transaction on the runs table never stalls a journal that connects."""
    import anyio
    import psycopg

    from tta_dev_primitives import compile, node

    dsn = schema_dsn(postgres, request.node.name)
    with PostgresJournal(dsn) as first:
        await compile(node(lambda x: x)).run(1, run_id="schema", journal=first)
    with psycopg.connect(dsn) as reader:  # a report reading the table, its transaction still open
        reader.execute("SELECT count(*) FROM tta_runs").fetchone()
        with PostgresJournal(dsn, timeout=5) as journal, anyio.fail_after(10):
            assert await journal.load("schema") is not None
