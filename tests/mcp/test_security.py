"""MCP at its edges: who may call served plans over HTTP (bearer tokens through the SDK's
auth), what leaves the process in errors (redacted), and requests that cannot be read
(answered with an error, never left waiting)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.fixtures.mcp_servers import cli_http_server, serving
from tta_dev_primitives import ConfigError, node
from tta_dev_primitives.cli import main
from tta_dev_primitives.mcp import MCPConnectionError, PlanToolServer, StaticTokenVerifier, mcp_tool, mcp_tools

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tta-test-token-0123456789abcdef"
SECRET = "GET https://user:pass@host/?api_key=sk-proj-abcdefghijklmnopqrstuvwx Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk"
LEAKS = ("pass@", "sk-proj-abcdefghijklmnopqrstuvwx", "eyJhbGciOiJIUzI1NiJ9", "abcdefghijk")
INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def double(x: int) -> int:
    """Twice x."""
    return 2 * x


def _server() -> PlanToolServer:
    return PlanToolServer({"twice": node(double)})


def _cli(*argv: str) -> tuple[int, str]:
    """The exit code and standard error of `tta-primitives ARGV`, run in this process."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), out=io.StringIO())
    return code, err.getvalue()


# -- authentication over HTTP ---------------------------------------------------------------


async def _post(client: httpx2.AsyncClient, url: str, body: dict[str, Any], token: str | None, session: str | None = None) -> httpx2.Response:
    headers = dict(HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if session is not None:
        headers["mcp-session-id"] = session
        headers["mcp-protocol-version"] = "2025-06-18"
    return await client.post(url, json=body, headers=headers)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # uvicorn runs on asyncio
async def test_a_token_is_required_over_http_and_only_the_right_one_is_let_in() -> None:
    """Without a token, or with a wrong one, every request is refused with 401 (the handshake
    and a call on a session opened with the right token alike); with it, the SDK's client and
    ours call the plans."""
    server = _server()
    async with serving(server.http_app(token_verifier=StaticTokenVerifier(TOKEN))) as url:
        async with httpx2.AsyncClient() as raw:
            for token in (None, "wrong-token-0123456789abcdef", TOKEN[:-1], TOKEN + "x", TOKEN.upper()):
                refused = await _post(raw, url, INITIALIZE, token)
                assert refused.status_code == 401, token
                assert refused.headers["www-authenticate"].startswith("Bearer ")
            opened = await _post(raw, url, INITIALIZE, TOKEN)
            assert opened.status_code == 200
            session = opened.headers["mcp-session-id"]
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "twice", "arguments": {"input": 2}}}
            for token in (None, "wrong-token-0123456789abcdef"):
                assert (await _post(raw, url, call, token, session)).status_code == 401

        async with create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            async with streamable_http_client(url, http_client=http) as (read, write), ClientSession(read, write) as client:
                await client.initialize()
                assert (await client.call_tool("twice", {"input": 4})).structured_content == {"result": 8}

        async with mcp_tools(url, headers={"Authorization": f"Bearer {TOKEN}"}) as tools:
            assert await tools[0].plan.run({"input": 5}) == 10
        with pytest.raises(MCPConnectionError, match="error response"):  # the SDK keeps no status code
            async with mcp_tools(url, timeout=10):
                pass


class _Verifier:
    """An OAuth resource server's verifier, as a user would bring one (introspection, JWKS, ...)."""

    async def verify_token(self, token: str) -> AccessToken | None:
        resource = "https://elsewhere.example/mcp" if token == "other-audience" else "https://plans.example/mcp"
        scopes = [] if token == "no-scope" else ["plans"]
        if token in ("good", "no-scope", "other-audience"):
            return AccessToken(token=token, client_id="agent", scopes=scopes, resource=resource)
        return None


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_oauth_resource_server_checks_audience_and_scopes_and_publishes_its_metadata() -> None:
    auth = AuthSettings(
        issuer_url="https://auth.example",  # type: ignore[arg-type]
        resource_server_url="https://plans.example/mcp",  # type: ignore[arg-type]
        required_scopes=["plans"],
        validate_token_resource=True,
    )
    async with serving(_server().http_app(token_verifier=_Verifier(), auth=auth)) as url:
        async with httpx2.AsyncClient() as raw:
            missing = await _post(raw, url, INITIALIZE, None)
            assert missing.status_code == 401
            assert 'resource_metadata="https://plans.example/.well-known/oauth-protected-resource/mcp"' in missing.headers["www-authenticate"]
            assert (await _post(raw, url, INITIALIZE, "other-audience")).status_code == 401
            assert (await _post(raw, url, INITIALIZE, "no-scope")).status_code == 403
            assert (await _post(raw, url, INITIALIZE, "good")).status_code == 200
            metadata = (await raw.get(url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp"))).json()
            assert metadata["authorization_servers"] == ["https://auth.example"] and metadata["resource"] == "https://plans.example/mcp"


def test_a_non_loopback_host_needs_a_token_verifier_and_settings_need_one_too() -> None:
    server = _server()
    for host in ("0.0.0.0", "::", "192.168.1.20", "myhost.lan", "127.0.0.2"):
        with pytest.raises(ConfigError, match=rf"invalid host='{host}'.*token_verifier.*--token-env"):
            server.http_app(host=host)
    server.http_app(host="0.0.0.0", token_verifier=StaticTokenVerifier(TOKEN))
    for host in ("127.0.0.1", "localhost", "::1"):
        server.http_app(host=host)
    with pytest.raises(ConfigError, match="token_verifier"):  # the SDK would serve without auth
        server.http_app(auth=AuthSettings(issuer_url="https://auth.example", resource_server_url=None))  # type: ignore[arg-type]
    for bad in ("short", "é" * 20, "with a space in it 0123", TOKEN + "\n"):  # a header carries printable ASCII, no spaces
        with pytest.raises(ConfigError, match="at least 16 characters"):
            StaticTokenVerifier(bad)
    assert TOKEN not in repr(StaticTokenVerifier(TOKEN))


async def _asgi(app: Any, client: tuple[str, int] | None) -> int:
    """The status an ASGI app answers to a POST from `client` (no server: only the peer matters)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": json.dumps(INITIALIZE).encode(), "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/mcp",
        "raw_path": b"/mcp", "query_string": b"", "root_path": "", "client": client, "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1:8000"), *((k.lower().encode(), v.encode()) for k, v in HEADERS.items())],
    }
    await app(scope, receive, send)
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_app_without_auth_refuses_peers_that_are_not_loopback() -> None:
    """An app built for 127.0.0.1 but run by hand on a public interface (`uvicorn --host
    0.0.0.0`) refuses other machines, whatever Host header they send."""
    assert await _asgi(_server().http_app(), ("10.1.2.3", 5555)) == 403
    assert await _asgi(_server().http_app(), ("::ffff:10.1.2.3", 5555)) == 403


def test_the_cli_refuses_a_public_host_without_a_token_and_reads_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    target = "examples/mcp_tools.py:add"
    monkeypatch.chdir(ROOT)
    code, err = _cli("mcp", "serve", target, "--http", "--host", "0.0.0.0")
    assert code == 1 and "'0.0.0.0'" in err and "--token-env" in err
    monkeypatch.delenv("TTA_TEST_MCP_TOKEN", raising=False)
    code, err = _cli("mcp", "serve", target, "--http", "--token-env", "TTA_TEST_MCP_TOKEN")
    assert code == 1 and "TTA_TEST_MCP_TOKEN" in err and "not set" in err
    monkeypatch.setenv("TTA_TEST_MCP_TOKEN", "short")
    code, err = _cli("mcp", "serve", target, "--http", "--token-env", "TTA_TEST_MCP_TOKEN")
    assert code == 1 and "at least 16 characters" in err and "short" not in err
    monkeypatch.setenv("TTA_TEST_MCP_TOKEN", TOKEN)
    code, err = _cli("mcp", "serve", target, "--token-env", "TTA_TEST_MCP_TOKEN")  # stdio has no use for it
    assert code == 1 and "--http" in err


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_cli_serves_http_to_the_token_in_its_environment_only() -> None:
    with cli_http_server("examples/mcp_tools.py:add", "--token-env", "TTA_TEST_MCP_TOKEN", cwd=ROOT, env={"TTA_TEST_MCP_TOKEN": TOKEN}) as (line, url):
        assert line == f"serving add over MCP streamable HTTP at {url} (bearer token required)"
        async with httpx2.AsyncClient() as raw:
            assert (await _post(raw, url, INITIALIZE, None)).status_code == 401
            assert (await _post(raw, url, INITIALIZE, "wrong-token-0123456789abcdef")).status_code == 401
        async with mcp_tools(url, headers={"Authorization": f"Bearer {TOKEN}"}) as tools:
            assert await tools[0].plan.run({"a": 1, "b": 2}) == {"total": 3}


# -- what leaves the process ----------------------------------------------------------------


@dataclass
class Doc:
    title: str
    count: int


async def test_tool_errors_reach_clients_redacted() -> None:
    """A plan's exception, arguments echoed by a validation error, an unknown tool's name and a
    result that does not fit its type: the client sees them with secrets masked."""

    def boom(x: int) -> int:
        """Fails, naming a credential."""
        raise RuntimeError(SECRET)

    def index(doc: Doc) -> int:
        """Index a document."""
        return doc.count

    def grouped(x: int) -> int:
        """Fails twice at once."""
        raise ExceptionGroup("both", [ValueError(SECRET), KeyError(SECRET)])

    server = PlanToolServer({"boom": node(boom), "index": node(index), "grouped": node(grouped)})
    async with Client(server.server) as client:
        for name, arguments in (("boom", {"input": 1}), ("index", {"title": "t", "count": SECRET}), ("grouped", {"input": 1}), (SECRET, {})):
            result = await client.call_tool(name, arguments)
            text = result.content[0].text  # type: ignore[union-attr]
            assert result.is_error and "https://user:***@host" in text, text
            assert not [leak for leak in LEAKS if leak in text], text


async def test_devtools_reports_are_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a target prints or raises while loading reaches the coding agent masked."""
    from tta_dev_primitives.mcp import devtools

    monkeypatch.chdir(tmp_path)
    (tmp_path / "leaky.py").write_text(f"print({SECRET!r})\nraise RuntimeError({SECRET!r})\n")
    report = await devtools.check_plan(devtools.PlanTarget("leaky.py:flow"))
    assert not report.ok and report.error is not None and "RuntimeError" in report.error
    assert not [leak for leak in LEAKS if leak in report.error], report.error
    with pytest.raises(devtools.DevtoolError) as raised:
        await devtools.explain_plan(devtools.PlanTarget("leaky.py:flow"))
    assert "RuntimeError" in str(raised.value) and not [leak for leak in LEAKS if leak in str(raised.value)]


# -- calls that cannot be answered, and the client's timeout --------------------------------


def test_calls_wait_a_finite_time_by_default() -> None:
    import inspect

    from tta_dev_primitives.mcp._client import CALL_TIMEOUT

    assert CALL_TIMEOUT == 60.0
    for function in (mcp_tools, mcp_tool):
        assert inspect.signature(function).parameters["call_timeout"].default == CALL_TIMEOUT


def _deep(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


@contextlib.asynccontextmanager
async def _raw_stdio(target: str) -> AsyncIterator[tuple[Any, BufferedByteReceiveStream]]:
    """Our server over stdio as a process, after the handshake: its stdin, and its stdout as lines."""
    command = [sys.executable, "-m", "tta_dev_primitives.cli", "mcp", "serve", target]
    async with await anyio.open_process(command, cwd=ROOT, stderr=subprocess.DEVNULL) as process:
        assert process.stdin is not None and process.stdout is not None
        lines = BufferedByteReceiveStream(process.stdout)
        await process.stdin.send(json.dumps(INITIALIZE).encode() + b"\n")
        assert json.loads(await lines.receive_until(b"\n", 1_000_000))["id"] == 1
        await process.stdin.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
        try:
            yield process.stdin, lines
        finally:
            await process.stdin.aclose()


async def test_our_stdio_server_answers_requests_it_cannot_read() -> None:
    """Arguments nested too deep, a 5,000-digit number, a lone surrogate and broken JSON: the SDK
    cannot parse them and drops them; our server answers each with a JSON-RPC error (for the
    request's id when the line has one), so no client is left waiting."""
    deep = json.dumps(_deep(200))
    bodies = {
        10: '{"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": "add", "arguments": {"a": %s, "b": 1}}}' % deep,
        11: '{"jsonrpc": "2.0", "id": 11, "method": "tools/call", "params": {"name": "add", "arguments": {"a": %s, "b": 1}}}' % ("9" * 5000),
        12: '{"jsonrpc": "2.0", "id": 12, "method": "tools/call", "params": {"name": "add", "arguments": {"a": "\\ud800", "b": 1}}}',
        13: '{"jsonrpc": "2.0", "id": 13, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": ',
    }
    with anyio.fail_after(30):
        async with _raw_stdio("examples/mcp_tools.py:add") as (stdin, lines):
            for key, body in bodies.items():
                await stdin.send(body.encode() + b"\n")
                answer = json.loads(await lines.receive_until(b"\n", 1_000_000))
                assert answer["id"] == (None if key == 13 else key), answer
                assert answer["error"]["code"] == -32700 and "could not be read" in answer["error"]["message"], answer
            ok = {"jsonrpc": "2.0", "id": 14, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": 2}}}
            await stdin.send(json.dumps(ok).encode() + b"\n")  # and it goes on serving
            assert json.loads(await lines.receive_until(b"\n", 1_000_000))["result"]["structuredContent"] == {"total": 3}


def _echo_server(calls: list[object]) -> PlanToolServer:
    def echo(value: object) -> str:
        """Say what came."""
        calls.append(value)
        return "ok"

    return PlanToolServer({"echo": node(echo)})


async def test_our_client_refuses_arguments_a_server_cannot_read_before_sending_them() -> None:
    """Arguments beyond our limits (depth, size) or that JSON cannot carry (a 5,000-digit int, a
    lone surrogate, NaN) are a ToolArgumentsError at once, raised by our client (the server,
    which would answer a tool error, is never asked); the session goes on serving."""
    from tta_dev_primitives import ToolArgumentsError
    from tta_dev_primitives.stdlib.llm._arguments import MAX_ARGUMENT_BYTES, MAX_ARGUMENT_DEPTH, ArgumentLimitError

    calls: list[object] = []
    async with Client(_echo_server(calls).server) as client, mcp_tools(client.session, call_timeout=2) as tools:
        echo = tools[0]
        with anyio.fail_after(10):
            with pytest.raises(ArgumentLimitError, match=f"nested deeper than {MAX_ARGUMENT_DEPTH}"):
                await echo.plan.run({"input": _deep(MAX_ARGUMENT_DEPTH + 5)})
            with pytest.raises(ArgumentLimitError, match=f"larger than {MAX_ARGUMENT_BYTES}"):
                await echo.plan.run({"input": "x" * (MAX_ARGUMENT_BYTES + 1)})
            for value, problem in ((10**5000, "digits"), ("\ud800", "lone surrogate"), (float("nan"), "NaN")):
                with pytest.raises(ToolArgumentsError, match=problem):
                    await echo.plan.run({"input": value})
            assert await echo.plan.run({"input": [1, {"a": "b"}]}) == "ok"
        assert calls == [[1, {"a": "b"}]]

        @dataclass
        class Payload:
            input: object

        typed = await mcp_tool(client.session, "echo", args=Payload, call_timeout=2)
        with pytest.raises(ArgumentLimitError, match="nested deeper"):
            await typed.plan.run(Payload(_deep(MAX_ARGUMENT_DEPTH + 5)))


async def test_our_server_answers_arguments_beyond_its_limits_with_a_tool_error() -> None:
    """Sent by a client that does not check (the SDK's own): arguments too deep or too big are a
    tool error the model can read, never silence (a number too long to parse never gets this
    far: see the tests of requests that cannot be read)."""
    from tta_dev_primitives.stdlib.llm._arguments import MAX_ARGUMENT_DEPTH

    calls: list[object] = []
    async with Client(_echo_server(calls).server, read_timeout_seconds=5) as client:
        for value, problem in ((_deep(MAX_ARGUMENT_DEPTH + 5), "nested deeper"), ("x" * (2 * 1024 * 1024), "larger than")):
            result = await client.call_tool("echo", {"input": value})
            assert result.is_error and problem in result.content[0].text, result  # type: ignore[union-attr]
        assert calls == []


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_our_http_server_answers_requests_it_cannot_read() -> None:
    """Over HTTP the SDK answers what it cannot parse with a JSON-RPC error itself: checked here
    with a raw client, since the SDK's client cannot send most of these."""
    async with serving(_server().http_app()) as url, httpx2.AsyncClient(timeout=10) as raw:
        opened = await _post(raw, url, INITIALIZE, None)
        session = opened.headers["mcp-session-id"]
        head = '{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "twice", "arguments": {"input": '
        headers = {**HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18"}
        for body in (head + json.dumps(_deep(200)) + "}}}", head + "9" * 5000 + "}}}", head + '"\\ud800"}}}', head):
            answer = await raw.post(url, content=body.encode(), headers=headers)
            assert answer.status_code == 400 and answer.json()["error"]["code"] == -32700, answer.text


async def test_our_stdio_server_answers_a_request_too_deep_for_any_json_parser_with_its_id() -> None:
    """3,000 levels: past the SDK's parser and Python's json too; the request's id is read from
    its top-level fields alone (wherever it stands among them), so the client gets its answer.
    NaN (which the SDK's parser takes) is a tool error naming it, not a result that "does not fit"."""
    deep = "[" * 3000 + "1" + "]" * 3000
    bodies = {
        20: '{"jsonrpc": "2.0", "id": 20, "method": "tools/call", "params": {"name": "add", "arguments": {"a": %s, "b": 1}}}' % deep,
        21: '{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "add", "arguments": {"a": %s, "b": 1}}, "id": "r-21"}' % deep,
    }
    with anyio.fail_after(30):
        async with _raw_stdio("examples/mcp_tools.py:add") as (stdin, lines):
            for key, body in bodies.items():
                await stdin.send(body.encode() + b"\n")
                answer = json.loads(await lines.receive_until(b"\n", 1_000_000))
                assert answer["id"] == (key if key == 20 else "r-21"), answer
                assert answer["error"]["code"] == -32700 and "could not be read" in answer["error"]["message"], answer
            nan = '{"jsonrpc": "2.0", "id": 22, "method": "tools/call", "params": {"name": "add", "arguments": {"a": NaN, "b": 1}}}'
            await stdin.send(nan.encode() + b"\n")
            result = json.loads(await lines.receive_until(b"\n", 1_000_000))["result"]
            assert result["isError"] and "JSON can carry (no NaN or Infinity)" in result["content"][0]["text"], result


@pytest.mark.parametrize("bad", [float("nan"), "5", 0, -1, float("inf"), True], ids=["nan", "str", "zero", "negative", "inf", "bool"])
async def test_timeouts_that_are_not_a_finite_number_of_seconds_are_refused(bad: object) -> None:
    """Checked when the tools are made, naming the field: NaN or infinity would never expire, a
    str would fail only at the first call."""
    async with Client(_echo_server([]).server) as client:
        with pytest.raises(ConfigError, match=r"mcp_tools: invalid call_timeout=.*; expected a"):
            async with mcp_tools(client.session, call_timeout=bad):  # type: ignore[arg-type]
                pass
        with pytest.raises(ConfigError, match=r"mcp_tools: invalid timeout=.*; expected a"):
            async with mcp_tools(client.session, timeout=bad):  # type: ignore[arg-type]
                pass
        with pytest.raises(ConfigError, match=r"mcp_tool\('echo'\): invalid call_timeout=.*; expected a"):
            await mcp_tool(client.session, "echo", call_timeout=bad)  # type: ignore[arg-type]
        async with mcp_tools(client.session, call_timeout=None, timeout=5) as tools:  # None: no limit
            assert await tools[0].plan.run({"input": 1}) == "ok"


async def test_a_typed_tools_arguments_too_deep_to_encode_or_containing_themselves_are_refused() -> None:
    from tta_dev_primitives.stdlib.llm._arguments import ArgumentLimitError

    @dataclass
    class Payload:
        input: object

    loop: list[object] = []
    loop.append(loop)
    calls: list[object] = []
    async with Client(_echo_server(calls).server) as client:
        typed = await mcp_tool(client.session, "echo", args=Payload, call_timeout=5)
        for value in (_deep(5000), loop):
            with pytest.raises(ArgumentLimitError, match="nested deeper than 64 levels"):
                await typed.plan.run(Payload(value))
        assert await typed.plan.run(Payload([1, "\u00e9"])) == "ok"
    assert calls == [[1, "\u00e9"]]
