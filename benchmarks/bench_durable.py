"""Journaling cost per step: a durable 10-step chain against LangGraph's checkpointers.

Every case runs the same 10 steps, each adding 1 to an int, as a fresh run (a new run id or
thread id per call, so every step executes and is recorded; nothing replays):

- ours: the compiled plan without a journal, then `plan.run(x, run_id=..., journal=...)` with a
  MemoryJournal, an SQLiteJournal and a PostgresJournal;
- LangGraph: the same 10 nodes in a StateGraph, without a checkpointer, then with its
  InMemorySaver, AsyncSqliteSaver and AsyncPostgresSaver (a checkpoint per step).

Compared at matched durability settings, which the output states as read back from each live
connection:

- SQLite, twice: both stores in WAL mode with `synchronous=NORMAL` (our default; LangGraph's
  saver gets `PRAGMA synchronous=NORMAL` on its connection), then both with `synchronous=FULL`
  (`SQLiteJournal(synchronous="FULL")`; the saver at SQLite's default). Each store has a file of
  its own in one temporary directory.
- PostgreSQL: both stores on one server started on 127.0.0.1 for the run (or
  TTA_BENCH_POSTGRES_DSN), with the server's settings (fsync, synchronous_commit) as shown.

Reports the median per run, per step, and the journaling overhead per step over each
framework's own run without a journal, side by side per setting.

Run: python -m benchmarks.bench_durable
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypedDict

from tta_dev_primitives import MemoryJournal, Plan, SQLiteJournal, compile, node
from tta_dev_primitives.durable import Journal

from .harness import Case, Result, environment, measure, table

STEPS = 10
ids = itertools.count()


@node
def step(x: int) -> int:
    return x + 1


def chain() -> Plan[int, int]:
    built = step
    for _ in range(STEPS - 1):
        built = built >> step
    return compile(built)


PLAN = chain()


def ours(name: str, journal: Journal | None) -> Case:
    if journal is None:

        async def plain() -> object:
            return await PLAN.run(0)

        return Case(name, plain, STEPS)

    async def durable() -> object:
        return await PLAN.run(0, run_id=f"bench-{next(ids)}", journal=journal)

    return Case(name, durable, STEPS)


class State(TypedDict):
    x: int


def langgraph_graph(checkpointer: object | None) -> Any:
    from langgraph.graph import END, START, StateGraph

    def add(state: State) -> State:
        return {"x": state["x"] + 1}

    graph = StateGraph(State)
    names = [f"step{i}" for i in range(STEPS)]
    for name in names:
        graph.add_node(name, add)
    graph.add_edge(START, names[0])
    for a, b in itertools.pairwise(names):
        graph.add_edge(a, b)
    graph.add_edge(names[-1], END)
    return graph.compile(checkpointer=checkpointer)


def langgraph(name: str, checkpointer: object | None) -> Case:
    app = langgraph_graph(checkpointer)

    async def run() -> object:
        config = {"configurable": {"thread_id": f"bench-{next(ids)}"}} if checkpointer is not None else None
        return (await app.ainvoke({"x": 0}, config))["x"]

    return Case(name, run, STEPS)


@contextlib.asynccontextmanager
async def postgres_dsn() -> AsyncIterator[str | None]:
    """TTA_BENCH_POSTGRES_DSN, or a server of our own (as the integration tests start one)."""
    given = os.environ.get("TTA_BENCH_POSTGRES_DSN")
    if given:
        yield given
        return
    sys.path.insert(0, str(Path(__file__).parent.parent / "integration"))
    try:
        from postgres_backend import postgres_server  # type: ignore[import-not-found]
    except ImportError:
        yield None
        return
    try:
        with postgres_server() as server:
            yield server.dsn
    except BaseException as error:  # pytest.skip/fail when PostgreSQL is not installed
        if type(error).__name__ in ("Skipped", "Failed"):
            print(f"PostgreSQL cases skipped: {error}")
            yield None
        else:
            raise


OURS_PLAIN, THEIRS_PLAIN = "ours, no journal", "LangGraph, no checkpointer"


def matched(results: list[Result], rows: list[tuple[str, str, str]]) -> str:
    """Journaling overhead per step over each framework's own run without a journal, ours and
    LangGraph's side by side, one row per store and durability setting."""
    by_name = {r.case.name: r.median_s for r in results}

    def per_step(durable: str, plain: str) -> float:
        return (by_name[durable] - by_name[plain]) / STEPS

    lines = [
        "### journaling overhead per step over the same framework without a journal, at matched settings",
        "",
        "| store, settings (the same on both sides) | ours | LangGraph | ours cheaper by |",
        "|---|---:|---:|---:|",
    ]
    for setting, ours_case, theirs_case in rows:
        ours_s, theirs_s = per_step(ours_case, OURS_PLAIN), per_step(theirs_case, THEIRS_PLAIN)
        lines.append(f"| {setting} | {_us(ours_s)} | {_us(theirs_s)} | {theirs_s / ours_s:.1f}x |")
    return "\n".join(lines)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def sqlite_settings(db: Any) -> str:
    """`journal_mode, synchronous=NAME` as a live sqlite3 connection reports them."""
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    level = db.execute("PRAGMA synchronous").fetchone()[0]
    return f"{mode.upper()}, synchronous={SYNCHRONOUS[level]}"


async def langgraph_sqlite_settings(saver: Any) -> str:
    """The same, read from LangGraph's saver's aiosqlite connection."""
    async with saver.conn.execute("PRAGMA journal_mode") as cursor:
        mode = (await cursor.fetchone())[0]
    async with saver.conn.execute("PRAGMA synchronous") as cursor:
        level = (await cursor.fetchone())[0]
    return f"{mode.upper()}, synchronous={SYNCHRONOUS[level]}"


SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


async def langgraph_sqlite(stack: contextlib.AsyncExitStack, path: Path, synchronous: str) -> Any:
    """LangGraph's AsyncSqliteSaver on `path`, set up (its setup turns WAL on), with its
    connection at `PRAGMA synchronous=<synchronous>`."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    saver = await stack.enter_async_context(AsyncSqliteSaver.from_conn_string(str(path)))
    await saver.setup()
    await saver.conn.execute(f"PRAGMA synchronous={synchronous}")
    return saver


async def postgres_settings(dsn: str) -> str:
    """The server's version and the settings that decide what a commit waits for."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        shown = []
        for name in ("server_version", "fsync", "synchronous_commit", "wal_sync_method", "full_page_writes"):
            row = await (await conn.execute(f"SHOW {name}")).fetchone()
            shown.append(f"{name}={row[0] if row else '?'}")
    return ", ".join(shown)


async def main() -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as stack:
            dsn = await stack.enter_async_context(postgres_dsn())
            cases = [
                ours(OURS_PLAIN, None),
                ours("ours, MemoryJournal", MemoryJournal()),
                langgraph(THEIRS_PLAIN, None),
                langgraph("LangGraph, InMemorySaver", InMemorySaver()),
            ]
            rows = [("in memory (MemoryJournal / InMemorySaver)", "ours, MemoryJournal", "LangGraph, InMemorySaver")]
            settings: list[str] = []
            ours_sqlite: list[tuple[str, SQLiteJournal]] = []
            for synchronous in ("NORMAL", "FULL"):
                journal = SQLiteJournal(Path(tmp) / f"ours-{synchronous}.db", synchronous=synchronous)
                stack.callback(journal.close)
                saver = await langgraph_sqlite(stack, Path(tmp) / f"langgraph-{synchronous}.db", synchronous)
                ours_name, theirs_name = f"ours, SQLiteJournal {synchronous}", f"LangGraph, AsyncSqliteSaver {synchronous}"
                cases += [ours(ours_name, journal), langgraph(theirs_name, saver)]
                rows.append((f"SQLite, WAL, synchronous={synchronous}", ours_name, theirs_name))
                ours_sqlite.append((ours_name, journal))
                settings.append(f"{theirs_name}: {await langgraph_sqlite_settings(saver)}")
            if dsn is not None:
                from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
                from tta_dev_primitives.durable import PostgresJournal

                lg_pg = await stack.enter_async_context(AsyncPostgresSaver.from_conn_string(dsn))
                await lg_pg.setup()
                pg_journal = PostgresJournal(dsn)
                stack.callback(pg_journal.close)
                cases += [ours("ours, PostgresJournal", pg_journal), langgraph("LangGraph, AsyncPostgresSaver", lg_pg)]
                server = await postgres_settings(dsn)
                rows.append(("PostgreSQL, one server (settings below)", "ours, PostgresJournal", "LangGraph, AsyncPostgresSaver"))
                settings.append(f"PostgresJournal and AsyncPostgresSaver, one server: {server}")
            for case in cases:
                assert await case.run() == STEPS, case.name
            for name, journal in ours_sqlite:  # its connection is open now: read its settings back
                settings.insert(0, f"{name}: {sqlite_settings(journal._db)}")
            results = await measure(cases, rounds=7, round_seconds=0.3)
            print(table(f"{STEPS}-step chain, a fresh durable run per call", results, baseline=OURS_PLAIN, unit="step"))
            print()
            print(matched(results, rows))
            print()
            print("settings, as each live connection reports them:")
            for line in sorted(settings):
                print(f"  {line}")
            print()
            print(environment("anyio", "msgspec", "psycopg", "langgraph", "langgraph-checkpoint", "langgraph-checkpoint-sqlite", "langgraph-checkpoint-postgres", "aiosqlite"))


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
