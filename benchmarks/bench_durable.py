"""Journaling cost per step: a durable 10-step chain against LangGraph's checkpointers.

Every case runs the same 10 steps, each adding 1 to an int, as a fresh run (a new run id or
thread id per call, so every step executes and is recorded; nothing replays):

- ours: the compiled plan without a journal, then `plan.run(x, run_id=..., journal=...)` with a
  MemoryJournal, an SQLiteJournal (WAL, synchronous=NORMAL) and a PostgresJournal;
- LangGraph: the same 10 nodes in a StateGraph, without a checkpointer, then with its
  InMemorySaver, AsyncSqliteSaver and AsyncPostgresSaver (a checkpoint per step).

Both SQLite stores write to files in one temporary directory; both PostgreSQL stores use one
server started on 127.0.0.1 for the run (or TTA_BENCH_POSTGRES_DSN), with its default
durability (fsync on). Reports the median per run, per step, and the journaling overhead per
step over each framework's own run without a journal, side by side.

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


def overheads(results: list[Result], pairs: list[tuple[str, str]]) -> str:
    by_name = {r.case.name: r.median_s for r in results}
    lines = ["journaling overhead per step, over the same framework without a journal:"]
    for durable, plain in pairs:
        if durable in by_name:
            lines.append(f"  {durable:<34} {(by_name[durable] - by_name[plain]) / STEPS * 1e6:8.1f} µs/step")
    return "\n".join(lines)


async def main() -> None:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as stack:
            dsn = await stack.enter_async_context(postgres_dsn())
            lg_sqlite = await stack.enter_async_context(AsyncSqliteSaver.from_conn_string(str(Path(tmp) / "langgraph.db")))
            sqlite_journal = SQLiteJournal(Path(tmp) / "ours.db")
            stack.callback(sqlite_journal.close)
            cases = [
                ours("ours, no journal", None),
                ours("ours, MemoryJournal", MemoryJournal()),
                ours("ours, SQLiteJournal", sqlite_journal),
                langgraph("LangGraph, no checkpointer", None),
                langgraph("LangGraph, InMemorySaver", InMemorySaver()),
                langgraph("LangGraph, AsyncSqliteSaver", lg_sqlite),
            ]
            pairs = [
                ("ours, MemoryJournal", "ours, no journal"),
                ("LangGraph, InMemorySaver", "LangGraph, no checkpointer"),
                ("ours, SQLiteJournal", "ours, no journal"),
                ("LangGraph, AsyncSqliteSaver", "LangGraph, no checkpointer"),
            ]
            if dsn is not None:
                from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
                from tta_dev_primitives.durable import PostgresJournal

                lg_pg = await stack.enter_async_context(AsyncPostgresSaver.from_conn_string(dsn))
                await lg_pg.setup()
                pg_journal = PostgresJournal(dsn)
                stack.callback(pg_journal.close)
                cases += [ours("ours, PostgresJournal", pg_journal), langgraph("LangGraph, AsyncPostgresSaver", lg_pg)]
                pairs += [("ours, PostgresJournal", "ours, no journal"), ("LangGraph, AsyncPostgresSaver", "LangGraph, no checkpointer")]
            for case in cases:
                assert await case.run() == STEPS, case.name
            results = await measure(cases, rounds=7, round_seconds=0.3)
            print(table(f"{STEPS}-step chain, a fresh durable run per call", results, baseline="ours, no journal", unit="step"))
            print()
            print(overheads(results, pairs))
            print()
            print(environment("anyio", "msgspec", "psycopg", "langgraph", "langgraph-checkpoint", "langgraph-checkpoint-sqlite", "langgraph-checkpoint-postgres", "aiosqlite"))



if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
