"""The original `SQLitePrimitive`: one SQL statement per call on a SQLite database file.

The original used aiosqlite (a thread per connection, driven from asyncio). This one runs each
call whole (connect, execute, fetch, commit, close) in one worker thread through anyio, with
the standard library's sqlite3: the same semantics with no dependency, and it runs on trio as
well as asyncio (aiosqlite needs asyncio).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import anyio.to_thread

from ..extras import require

require("pydantic", "integrations", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext, WorkflowPrimitive  # noqa: E402

__all__ = ["SQLitePrimitive", "SQLiteRequest", "SQLiteResponse"]

FETCH_MODES = ("all", "one", "many", "none")


class SQLiteRequest(BaseModel):
    """Request model for SQLite primitive."""

    query: str = Field(description="SQL query to execute")
    parameters: tuple[Any, ...] | dict[str, Any] | None = Field(default=None, description="Query parameters for parameterized queries")
    fetch: str = Field(default="all", description="Fetch mode: 'all', 'one', 'many', or 'none' (for INSERT/UPDATE/DELETE)")
    fetch_size: int | None = Field(default=None, description="Number of rows to fetch (for 'many' mode)")


class SQLiteResponse(BaseModel):
    """Response model for SQLite primitive."""

    data: list[dict[str, Any]] | dict[str, Any] | None = Field(description="Query result data")
    rowcount: int = Field(description="Number of rows affected")
    lastrowid: int | None = Field(default=None, description="Last inserted row ID (for INSERT)")
    status: str = Field(description="Operation status")


def _run(database: str, request: SQLiteRequest, mode: str) -> SQLiteResponse:
    """The statement on a connection of its own, committed when it succeeds (rolled back and
    closed when it fails)."""
    connection = sqlite3.connect(database)
    try:
        connection.row_factory = sqlite3.Row
        cursor = connection.execute(request.query, request.parameters or ())
        data: list[dict[str, Any]] | dict[str, Any] | None
        if mode == "all":
            data = [dict(row) for row in cursor.fetchall()]
        elif mode == "one":
            row = cursor.fetchone()
            data = dict(row) if row is not None else None
        elif mode == "many":
            data = [dict(row) for row in cursor.fetchmany(request.fetch_size or 0)]
        else:
            data = None
        connection.commit()
        return SQLiteResponse(data=data, rowcount=cursor.rowcount, lastrowid=cursor.lastrowid, status="success")
    finally:
        connection.close()


class SQLitePrimitive(WorkflowPrimitive[SQLiteRequest, SQLiteResponse]):
    """One SQL statement per call on `database` (a file; the default `:memory:` is a new, empty
    database at every call, as in the original: each call has its own connection).

    Rows come back as dicts (`fetch`: all, one, many with `fetch_size`, or none for writes); a
    call's changes are committed when it succeeds. A bad fetch mode is a ValueError raised
    before the statement runs."""

    def __init__(self, database: str = ":memory:") -> None:
        super().__init__()
        self.database = database

    async def execute(self, input_data: SQLiteRequest, context: WorkflowContext) -> SQLiteResponse:
        """Run `input_data.query` with its parameters and fetch as it says."""
        mode = input_data.fetch.lower()
        if mode not in FETCH_MODES:
            raise ValueError(f"Invalid fetch mode: {mode}. Must be one of: all, one, many, none")
        if mode == "many" and input_data.fetch_size is None:
            raise ValueError("fetch_size required for 'many' mode")
        return await anyio.to_thread.run_sync(_run, self.database, input_data, mode)
