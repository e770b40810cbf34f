"""The original package's database primitives: `SQLitePrimitive` on a real SQLite file, and
`SupabasePrimitive` with the official `supabase` client against a loopback server that answers
as PostgREST does.

No PostgREST server can run here (it is a Haskell binary, on neither PyPI nor npm), so what is
real for Supabase is the client side: the `supabase` package's query builder, the HTTP requests
it makes (method, path, query string, `Prefer` and key headers, JSON body) and its reading of
the answers. The server (`PostgRESTLike`) keeps rows in memory and evaluates the comparison
operators PostgREST has (`eq`, `neq`, `gt`, `gte`, `lt`, `lte`), answering with PostgREST's
status codes, its `return=representation` bodies and its error shape; PostgreSQL itself, row
level security and PostgREST's other operators are not exercised.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.fixtures.provider_server import serving

from tta_dev_primitives.core.base import WorkflowContext
from tta_dev_primitives.errors import ConfigError
from tta_dev_primitives.integrations.sqlite_primitive import SQLitePrimitive, SQLiteRequest, SQLiteResponse

pytestmark = [
    pytest.mark.anyio,
    # supabase 2.34's own client passes postgrest the `timeout` and `verify` it deprecates (any use warns)
    pytest.mark.filterwarnings("ignore:The '(timeout|verify|proxy)' parameter is deprecated:DeprecationWarning"),
]


def ctx() -> WorkflowContext:
    return WorkflowContext(workflow_id="databases")


# -- SQLite --------------------------------------------------------------------------------------


async def test_sqlite_writes_commit_and_reads_come_back_as_dicts(tmp_path: Path) -> None:
    db = SQLitePrimitive(database=str(tmp_path / "app.db"))
    await db.execute(SQLiteRequest(query="CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER)", fetch="none"), ctx())
    first = await db.execute(SQLiteRequest(query="INSERT INTO users (name, age) VALUES (?, ?)", parameters=("Alice", 25), fetch="none"), ctx())
    second = await db.execute(SQLiteRequest(query="INSERT INTO users (name, age) VALUES (:n, :a)", parameters={"n": "Bob", "a": 17}, fetch="none"), ctx())
    assert (first.rowcount, first.lastrowid, first.data, first.status) == (1, 1, None, "success")
    assert second.lastrowid == 2
    adults = await db.execute(SQLiteRequest(query="SELECT name, age FROM users WHERE age > ?", parameters=(18,)), ctx())
    assert adults == SQLiteResponse(data=[{"name": "Alice", "age": 25}], rowcount=-1, lastrowid=0, status="success")  # sqlite3's, as aiosqlite's
    one = await db.execute(SQLiteRequest(query="SELECT name FROM users ORDER BY id", fetch="ONE"), ctx())
    assert one.data == {"name": "Alice"}
    none = await db.execute(SQLiteRequest(query="SELECT name FROM users WHERE age > 99", fetch="one"), ctx())
    assert none.data is None
    many = await db.execute(SQLiteRequest(query="SELECT name FROM users ORDER BY id", fetch="many", fetch_size=1), ctx())
    assert many.data == [{"name": "Alice"}]
    updated = await db.execute(SQLiteRequest(query="UPDATE users SET age = age + 1", fetch="none"), ctx())
    assert updated.rowcount == 2
    with sqlite3.connect(tmp_path / "app.db") as check:  # committed: another connection sees it
        assert check.execute("SELECT age FROM users ORDER BY id").fetchall() == [(26,), (18,)]


async def test_sqlite_refuses_a_bad_fetch_mode_before_running_the_statement(tmp_path: Path) -> None:
    db = SQLitePrimitive(database=str(tmp_path / "app.db"))
    with pytest.raises(ValueError, match=r"^Invalid fetch mode: some\. Must be one of: all, one, many, none$"):
        await db.execute(SQLiteRequest(query="CREATE TABLE t (x)", fetch="some"), ctx())
    with pytest.raises(ValueError, match=r"^fetch_size required for 'many' mode$"):
        await db.execute(SQLiteRequest(query="CREATE TABLE t (x)", fetch="many"), ctx())
    tables = await db.execute(SQLiteRequest(query="SELECT name FROM sqlite_master"), ctx())
    assert tables.data == []  # neither statement ran


async def test_sqlite_a_failed_statement_changes_nothing(tmp_path: Path) -> None:
    db = SQLitePrimitive(database=str(tmp_path / "app.db"))
    await db.execute(SQLiteRequest(query="CREATE TABLE t (x INTEGER UNIQUE)", fetch="none"), ctx())
    await db.execute(SQLiteRequest(query="INSERT INTO t VALUES (1)", fetch="none"), ctx())
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(SQLiteRequest(query="INSERT INTO t VALUES (2), (1)", fetch="none"), ctx())
    assert (await db.execute(SQLiteRequest(query="SELECT x FROM t"), ctx())).data == [{"x": 1}]


async def test_sqlite_memory_database_is_new_at_every_call() -> None:
    db = SQLitePrimitive()
    assert db.database == ":memory:"
    await db.execute(SQLiteRequest(query="CREATE TABLE t (x)", fetch="none"), ctx())
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.execute(SQLiteRequest(query="SELECT * FROM t"), ctx())


# -- Supabase ------------------------------------------------------------------------------------

OPERATORS = {
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


@attrs.frozen
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any


class PostgRESTLike:
    """Tables of rows in memory behind PostgREST's HTTP interface (see the module)."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = tables
        self.received: list[Request] = []
        self.clients: list[Any] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                pass

            def handle_any(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                request = Request(self.command, url.path, urllib.parse.parse_qsl(url.query), {k.lower(): v for k, v in self.headers.items()}, json.loads(raw) if raw else None)
                server.received.append(request)
                status, body = server.answer(request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = handle_any  # noqa: N815 - the stdlib's names

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def answer(self, request: Request) -> tuple[int, Any]:
        table = request.path.removeprefix("/rest/v1/")
        rows = self.tables.get(table)
        if rows is None:
            return 404, {"code": "PGRST205", "details": None, "hint": None, "message": f"Could not find the table 'public.{table}' in the schema cache"}
        selected = [r for r in rows if all(self.matches(r, column, test) for column, test in request.query if column != "select")]
        represent = "return=representation" in request.headers.get("prefer", "")
        if request.method == "GET":
            return 200, selected
        if request.method == "POST":
            new = request.body if isinstance(request.body, list) else [request.body]
            new = [{"id": len(rows) + i + 1, **row} for i, row in enumerate(new)]
            rows.extend(new)
            return 201, new if represent else None
        if request.method == "PATCH":
            for row in selected:
                row.update(request.body)
            return 200, selected if represent else None
        for row in selected:
            rows.remove(row)
        return 200, selected if represent else None

    @staticmethod
    def matches(row: dict[str, Any], column: str, test: str) -> bool:
        operator, _, value = test.partition(".")
        cell = row.get(column)
        return OPERATORS[operator](cell, type(cell)(value) if cell is not None else value)

    @contextlib.contextmanager
    def running(self) -> Iterator[PostgRESTLike]:
        with serving(self.httpd):
            yield self


@pytest.fixture
def postgrest() -> Iterator[PostgRESTLike]:
    pytest.importorskip("supabase")
    users = [{"id": 1, "name": "Alice", "age": 25}, {"id": 2, "name": "Bob", "age": 17}]
    with PostgRESTLike({"users": users}).running() as server:
        yield server
        for client in server.clients:  # the supabase client's PostgREST side holds the connections
            client.postgrest.aclose()


def supabase_primitive(server: PostgRESTLike) -> Any:
    from tta_dev_primitives.integrations.supabase_primitive import SupabasePrimitive

    primitive = SupabasePrimitive(url=server.url, key="anon-key-for-tests")
    server.clients.append(primitive.client)
    return primitive


async def test_supabase_select_with_filters_builds_postgrests_query(postgrest: PostgRESTLike) -> None:
    from tta_dev_primitives.integrations.supabase_primitive import SupabaseRequest, SupabaseResponse

    db = supabase_primitive(postgrest)
    assert db.url == postgrest.url
    everyone = await db.execute(SupabaseRequest(operation="select", table="users"), ctx())
    assert everyone == SupabaseResponse(data=postgrest.tables["users"], count=2, status="success")
    adults = await db.execute(SupabaseRequest(operation="SELECT", table="users", columns="id,name", filters={"age": {"gte": 18}, "name": "Alice"}), ctx())
    assert adults.data == [{"id": 1, "name": "Alice", "age": 25}] and adults.count == 1
    sent = postgrest.received[1]
    assert (sent.method, sent.path) == ("GET", "/rest/v1/users")
    assert sent.query == [("select", "id,name"), ("age", "gte.18"), ("name", "eq.Alice")]
    assert sent.headers["apikey"] == "anon-key-for-tests"


async def test_supabase_insert_update_delete_round_trip(postgrest: PostgRESTLike) -> None:
    from tta_dev_primitives.integrations.supabase_primitive import SupabaseRequest

    db = supabase_primitive(postgrest)
    inserted = await db.execute(SupabaseRequest(operation="insert", table="users", data={"name": "Charlie", "age": 40}), ctx())
    assert (inserted.data, inserted.count) == ([{"id": 3, "name": "Charlie", "age": 40}], 1)
    post = postgrest.received[0]
    assert post.method == "POST" and post.body == {"name": "Charlie", "age": 40} and "return=representation" in post.headers["prefer"]
    updated = await db.execute(SupabaseRequest(operation="update", table="users", data={"age": 41}, filters={"name": "Charlie"}), ctx())
    assert updated.data == [{"id": 3, "name": "Charlie", "age": 41}]
    assert (postgrest.received[1].method, postgrest.received[1].query) == ("PATCH", [("name", "eq.Charlie")])
    removed = await db.execute(SupabaseRequest(operation="delete", table="users", filters={"age": {"lt": 18}}), ctx())
    assert removed.data == [{"id": 2, "name": "Bob", "age": 17}] and removed.count == 1
    assert [r["name"] for r in postgrest.tables["users"]] == ["Alice", "Charlie"]


async def test_supabase_bad_requests_are_refused_before_anything_is_sent(postgrest: PostgRESTLike) -> None:
    from tta_dev_primitives.integrations.supabase_primitive import SupabaseRequest

    db = supabase_primitive(postgrest)
    with pytest.raises(ValueError, match=r"^Invalid operation: upsert\. Must be one of: select, insert, update, delete$"):
        await db.execute(SupabaseRequest(operation="upsert", table="users"), ctx())
    with pytest.raises(ValueError, match=r"^INSERT operation requires 'data' field$"):
        await db.execute(SupabaseRequest(operation="insert", table="users"), ctx())
    with pytest.raises(ValueError, match=r"^UPDATE operation requires 'data' field$"):
        await db.execute(SupabaseRequest(operation="update", table="users", data={}), ctx())
    with pytest.raises(ConfigError, match=r"SupabasePrimitive: invalid filters\['age'\]='execute'"):
        await db.execute(SupabaseRequest(operation="delete", table="users", filters={"age": {"execute": 1}}), ctx())
    assert postgrest.received == []


async def test_supabase_postgrest_errors_pass_as_the_client_raises_them(postgrest: PostgRESTLike) -> None:
    import postgrest as postgrest_client

    from tta_dev_primitives.integrations.supabase_primitive import SupabaseRequest

    db = supabase_primitive(postgrest)
    with pytest.raises(postgrest_client.APIError) as caught:
        await db.execute(SupabaseRequest(operation="select", table="nope"), ctx())
    assert caught.value.code == "PGRST205"
