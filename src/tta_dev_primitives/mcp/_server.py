"""Compiled plans (and tools) served as MCP tools, over stdio or streamable HTTP.

Each tool's input schema is the one `tool()` gives agents (msgspec's or pydantic's schema of
the plan's input type), its output schema that of the plan's output type (wrapped in
`{"result": ...}` when it is not an object, as MCP requires). The input schema is closed
(`additionalProperties: false`), and held to: the SDK's low-level server does not check
arguments, so we do, with the tool's own validator, which also refuses an argument the schema
does not have (naming the ones it has). Bad arguments and failures of the
plan come back as tool errors (`isError`), which a model can read and act on; their text is
redacted (`observability._redaction.scrub`) before it leaves the process. While a plan runs, its
finished nodes are reported as progress notifications (from `plan.events()`, at most ten a
second); a client cancelling the request cancels the run.

Over HTTP, anyone who reaches the port may call every plan (with its model calls and side
effects), so a host other than loopback needs the SDK's bearer-token auth: a `TokenVerifier`
(`StaticTokenVerifier` for one shared token, or an OAuth resource server's own, with the SDK's
`AuthSettings`). An app without auth also refuses peers that are not loopback.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import os
import re
import socket
import time

import anyio
import attrs
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .. import __version__
from ..plan import Plan
from ..dsl._core import Node
from ..errors import ConfigError
from ..events import NodeFinished
from ..extras import require
from ..observability._redaction import scrub
from ..stdlib.llm._arguments import value_end
from ..stdlib.llm._schema import SchemaMismatch, TypeSchema, json_text, object_schema, type_schema
from ..stdlib.llm._tools import AnyTool, Tool, ToolArgumentsError, tool

if TYPE_CHECKING:
    import mcp.types as mcp_types
    from mcp.server import Server, ServerRequestContext
    from mcp.server.auth.provider import AccessToken, TokenVerifier
    from mcp.server.auth.settings import AuthSettings
    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["LOOPBACK_HOSTS", "PlanToolServer", "StaticTokenVerifier", "serve_mcp"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
"""Hosts served without auth: the SDK checks the Host header on these (DNS rebinding), and only
this machine can reach them."""

MIN_TOKEN_CHARS = 16
"""A static bearer token shorter than this is refused (it could be guessed)."""

RESULT = "result"
"""The property holding a plan's output when it is not a JSON object."""

_PROGRESS_EVERY = 0.1
"""Seconds between progress notifications (a map of thousands of items must not flood the client)."""


def _sdk() -> Any:
    require("mcp.server", "mcp", "serving plans over MCP")
    import mcp.types
    from mcp.server import Server

    return mcp.types, Server


def _as_tool(target: object) -> AnyTool:
    if isinstance(target, Tool):
        return target
    if isinstance(target, (Plan, Node)) or callable(target):
        return tool(target)
    raise ConfigError("serve_mcp", "targets", "compiled plans, nodes, functions or tools", target)


@attrs.frozen
class _Output:
    """A plan's result as MCP carries it: its JSON Schema (an object, as MCP wants), whether
    the value is wrapped in `{"result": ...}`, and the type's validator (what the client will
    check against the schema, checked first)."""

    schema: dict[str, Any]
    wrapped: bool
    check: TypeSchema


def _output(out_type: object, name: str) -> _Output | None:
    """The output of a tool, or None when its type has no schema (the result goes as text)."""
    if out_type is object:
        return None
    try:
        check = type_schema(out_type, where=f"MCP tool {name!r}")
    except Exception:  # no schema for this type: the result goes as text only
        return None
    schema, wrapped = object_schema(check.schema, wrap=RESULT)
    return _Output(schema, wrapped, check)


class PlanToolServer:
    """An MCP server whose tools run compiled plans (`serve_mcp` builds and runs one)."""

    def __init__(self, targets: Iterable[object] | Mapping[str, object], *, name: str = "tta-primitives", version: str = __version__) -> None:
        types, server_class = _sdk()
        self._types = types
        self.tools: dict[str, AnyTool] = {}
        self._outputs: dict[str, _Output | None] = {}
        for target in _named(targets):
            built = _as_tool(target)
            if built.name in self.tools:
                raise ConfigError("serve_mcp", "targets", "tools with distinct names", built.name)
            self.tools[built.name] = built
            self._outputs[built.name] = _output(_plan_of(built).output_type, built.name)
        if not self.tools:
            raise ConfigError("serve_mcp", "targets", "at least one plan or tool", [])
        self.server: Server[Any] = server_class(name, version=version, on_list_tools=self._list_tools, on_call_tool=self._call_tool)

    def definitions(self) -> list[mcp_types.Tool]:
        """The tools as `tools/list` describes them."""
        types = self._types
        result = []
        for name, served in self.tools.items():
            spec = json.loads(served.spec().parameters)
            output = self._outputs[name]
            result.append(types.Tool(name=name, description=served.spec().description, input_schema=spec, output_schema=None if output is None else output.schema))
        return result

    async def _list_tools(self, ctx: ServerRequestContext[Any], params: object) -> mcp_types.ListToolsResult:
        return self._types.ListToolsResult(tools=self.definitions())  # type: ignore[no-any-return]

    def _error(self, text: str) -> mcp_types.CallToolResult:
        """A tool error; its text is redacted, as everything the server says about a failure."""
        types = self._types
        return types.CallToolResult(content=[types.TextContent(type="text", text=scrub(text))], is_error=True)  # type: ignore[no-any-return]

    async def _call_tool(self, ctx: ServerRequestContext[Any], params: mcp_types.CallToolRequestParams) -> mcp_types.CallToolResult:
        try:
            return await self._answer(ctx, params)
        except (anyio.get_cancelled_exc_class(), KeyboardInterrupt, SystemExit):
            raise  # the client's cancellation (the run is cancelled), or the process is stopping
        except BaseException as error:  # any other failure is the tool's, and the server goes on (the
            return self._error(_describe(error))  # SDK would send an escaping one's text unredacted)

    async def _answer(self, ctx: ServerRequestContext[Any], params: mcp_types.CallToolRequestParams) -> mcp_types.CallToolResult:
        served = self.tools.get(params.name)
        if served is None:
            return self._error(f"unknown tool {params.name!r}; this server has {sorted(self.tools)}")
        try:
            value = served.parse(params.arguments or {})
        except ToolArgumentsError as error:
            return self._error(str(error))
        return self._result(served.name, await self._run(served, value, ctx))

    async def _run(self, served: AnyTool, value: object, ctx: ServerRequestContext[Any]) -> object:
        """Run the tool's plan, reporting finished nodes as progress (throttled)."""
        plan = _plan_of(served)
        done, reported, last = 0, 0, 0.0
        async with plan.events(value) as events:
            async for event in events:
                if isinstance(event, NodeFinished):
                    done += 1
                    now = time.monotonic()
                    if now - last >= _PROGRESS_EVERY:
                        last, reported = now, done
                        await ctx.session.report_progress(done, None, scrub(f"{event.node}: {event.status}"))
            outcome = await events.result()
        if done > reported:  # the last word is the final count, however the throttle fell
            await ctx.session.report_progress(done, done, "finished")
        return outcome

    def _result(self, name: str, result: object) -> mcp_types.CallToolResult:
        types = self._types
        try:
            text = result if isinstance(result, str) else json_text(result)
        except (TypeError, ValueError) as error:
            return self._error(f"{name} ran but returned a {type(result).__name__}, which cannot be sent as JSON: {error}")
        output = self._outputs[name]
        structured: dict[str, Any] | None = None
        if output is not None:
            decoded: Any = json.loads(text) if not isinstance(result, str) else result
            try:  # what the client will check against the output schema: a plan that returned
                output.check.convert(decoded)  # something else (or NaN) is a tool error, not a protocol one
            except SchemaMismatch as error:
                return self._error(f"{name} returned a value that does not fit its output type: {error}")
            structured = {RESULT: decoded} if output.wrapped else decoded
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=structured)  # type: ignore[no-any-return]

    # -- transports -------------------------------------------------------------------------

    async def run_stdio(self, *, stdout_fd: int | None = None) -> None:
        """Serve on this process's standard input and output until the client disconnects;
        `stdout_fd` is a private duplicate of standard output to write the protocol to (the CLI
        gives one, so that nothing else the process prints can reach the client). A line the
        SDK cannot parse gets a JSON-RPC error (see `_unreadable`), not silence."""
        import io

        from mcp.server.stdio import stdio_server
        from mcp.shared.message import SessionMessage

        stdout = None
        if stdout_fd is not None:
            stdout = anyio.wrap_file(io.TextIOWrapper(os.fdopen(stdout_fd, "wb", buffering=0), encoding="utf-8", write_through=True))
        async with stdio_server(stdout=stdout) as (read_stream, write_stream):
            send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)

            async def forward() -> None:
                async with send:
                    async for item in read_stream:
                        answer = _unreadable(item) if isinstance(item, Exception) else None
                        if answer is not None:
                            with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):  # the server is done
                                await write_stream.send(SessionMessage(answer))
                        else:
                            await send.send(item)

            async with anyio.create_task_group() as group:
                group.start_soon(forward)
                await self.server.run(receive, write_stream, self.server.create_initialization_options())
                group.cancel_scope.cancel()

    def http_app(self, *, host: str = "127.0.0.1", token_verifier: TokenVerifier | None = None, auth: AuthSettings | None = None) -> Starlette:
        """A Starlette app serving streamable HTTP at `/mcp` (run it with any ASGI server), to be
        served on `host`.

        With `token_verifier` (the SDK's protocol; `StaticTokenVerifier` for one shared token),
        every request needs a bearer token it accepts: the SDK's auth middleware answers 401
        otherwise. `auth` (the SDK's `AuthSettings`) makes the server an OAuth resource server:
        its issuer and resource URL (published as protected resource metadata), the scopes it
        requires, and whether tokens must have been issued for that resource. Without a verifier,
        `host` must be loopback and the app answers 403 to peers that are not (it may be run by
        hand on another interface, where a forged Host header would pass the SDK's check)."""
        _check_exposure(host, token_verifier, auth)
        if token_verifier is not None and auth is None:
            from mcp.server.auth.settings import AuthSettings
            from pydantic import AnyHttpUrl

            # the SDK mounts its auth middleware only with settings, and they need an issuer; without a
            # resource URL or an authorization server it neither publishes nor uses it
            auth = AuthSettings(issuer_url=AnyHttpUrl("http://localhost"), resource_server_url=None)
        app = self.server.streamable_http_app(host=host, token_verifier=token_verifier, auth=auth)
        if token_verifier is None:
            app.add_middleware(_LoopbackPeersOnly)
        return app

    async def run_http(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        token_verifier: TokenVerifier | None = None,
        auth: AuthSettings | None = None,
        on_listening: Callable[[str], object] | None = None,
    ) -> None:
        """Serve streamable HTTP at `http://host:port/mcp` (asyncio only: uvicorn's loop); auth as
        for `http_app`. The port is bound first (port 0: a free one), then `on_listening` gets the
        endpoint's URL, e.g. to print a start line clients can connect to at once."""
        app = self.http_app(host=host, token_verifier=token_verifier, auth=auth)
        sock = listening_socket(host, port)
        if on_listening is not None:
            on_listening(endpoint(host, sock))
        await _run_app(app, host=host, port=port, sock=sock)


async def _run_app(app: Starlette, *, host: str, port: int, sock: socket.socket | None = None) -> None:
    """Serve an app from `http_app` with uvicorn (asyncio only) until the process is stopped, on
    `sock` (from `listening_socket`) or a socket bound to host:port here."""
    require("uvicorn", "mcp", "serving MCP over HTTP")
    import uvicorn

    sock = sock if sock is not None else listening_socket(host, port)
    config = uvicorn.Config(app, host=host, port=sock.getsockname()[1], log_level="warning")
    await uvicorn.Server(config).serve(sockets=[sock])


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (port 0: a free one, see `endpoint`), for `_run_app`.
    Bound before serving, so a failure (the port is taken) is an OSError here, and the address
    can be announced once it is ready."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock


def endpoint(host: str, sock: socket.socket) -> str:
    """The MCP endpoint's URL for a socket from `listening_socket`: `http://HOST:PORT/mcp`."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{sock.getsockname()[1]}/mcp"


class StaticTokenVerifier:
    """The SDK's `TokenVerifier` for one shared bearer token, handed to clients out of band
    (`tta-primitives mcp serve --http --token-env NAME`). Tokens are compared in constant time, so
    answer times say nothing about how much of a guess was right; the token never shows in a repr."""

    def __init__(self, token: str, *, client_id: str = "static-token") -> None:
        if len(token) < MIN_TOKEN_CHARS or not (token.isascii() and token.isprintable()) or " " in token:
            expected = f"at least {MIN_TOKEN_CHARS} characters, printable ASCII without spaces (what an HTTP header carries)"
            raise ConfigError("StaticTokenVerifier", "token", expected, f"<{len(token)} characters>")
        self._token = token.encode()
        self.client_id = client_id

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's grant when it is the one (no scopes: a static token grants every tool)."""
        from mcp.server.auth.provider import AccessToken

        if not hmac.compare_digest(token.encode("utf-8", "surrogatepass"), self._token):  # any str compares
            return None
        return AccessToken(token=token, client_id=self.client_id, scopes=[])

    def __repr__(self) -> str:
        return f"StaticTokenVerifier(client_id={self.client_id!r})"


def _check_exposure(host: str, token_verifier: object, auth: object) -> None:
    """Refuse to serve every plan, unauthenticated, to whoever can reach a non-loopback host."""
    if auth is not None and token_verifier is None:
        raise ConfigError("serve_mcp", "auth", "a token_verifier with it (settings alone would serve without auth)", auth)
    if token_verifier is None and host not in LOOPBACK_HOSTS:
        expected = (
            f"a loopback host ({', '.join(LOOPBACK_HOSTS)}), or a token_verifier (the CLI: --token-env NAME, with the bearer "
            f"token in environment variable NAME): on {host} anyone who reaches the port could run every served plan"
        )
        raise ConfigError("serve_mcp", "host", expected, host)


class _LoopbackPeersOnly:
    """ASGI middleware of an app without auth: requests from other machines get 403."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not _loopback_peer(scope.get("client")):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            from starlette.responses import PlainTextResponse

            refusal = PlainTextResponse("this MCP server has no auth, so only this machine may call it", status_code=403)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _loopback_peer(client: object) -> bool:
    """Whether a request's peer (ASGI `client`) is this machine; None is a Unix socket's."""
    if client is None:
        return True
    try:
        address = ipaddress.ip_address(str(client[0]))  # type: ignore[index]
    except (ValueError, TypeError, IndexError):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _unreadable(error: Exception) -> mcp_types.JSONRPCError | None:
    """The answer to a line the SDK's stdio transport could not parse (it would drop it, and the
    client would wait forever): a JSON-RPC error for the request's id, when the line read leniently
    (its top-level fields only, so nesting of any depth, long numbers and lone surrogates inside
    do not matter) is a request, for id null when it is not a JSON object; None for a
    notification or a response."""
    import mcp.types as types
    from pydantic import ValidationError

    if not isinstance(error, ValidationError) or not error.errors():
        return None
    first = error.errors()[0]
    raw = first.get("input")
    code = types.PARSE_ERROR if first.get("type") == "json_invalid" else types.INVALID_REQUEST
    request_id: int | str | None = None
    if isinstance(raw, (str, bytes)):
        message = _top_level_fields(raw)
        if message is not None:
            if "method" not in message or "id" not in message:
                return None  # a notification or a response: nothing waits for an answer
            request_id = _answerable_id(message["id"])
    reason = scrub(str(first.get("msg", "invalid message")))
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=f"the request could not be read: {reason}"))


_JSON_SPACE = frozenset(" \t\n\r")
_JSON_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_JSON_WORDS = {"true": True, "false": False, "null": None, "NaN": ..., "Infinity": ..., "-Infinity": ...}
"""Python's json takes NaN and Infinity too; as values of no use for an id they read as `...`."""


def _top_level_fields(raw: str | bytes) -> dict[str, object] | None:
    """The fields of the JSON object `raw`, read without recursion, however deep its values
    nest: strings, ints of up to 40 digits, `true`, `false` and `null` as themselves, any other
    value (an array, an object, a float, a longer int) as `...`. Lenient as Python's json is
    (NaN, lone surrogates); None when `raw` is not one JSON object."""
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
        fields: dict[str, object] = {}
        at = _skip_space(text, 0)
        if not text.startswith("{", at):
            return None
        at = _skip_space(text, at + 1)
        while not text.startswith("}", at):
            if fields:  # a comma before every field but the first
                if not text.startswith(",", at):
                    return None
                at = _skip_space(text, at + 1)
            key = _JSON_STRING.match(text, at)
            if key is None:
                return None
            at = _skip_space(text, key.end())
            if not text.startswith(":", at):
                return None
            value, at = _top_level_value(text, _skip_space(text, at + 1))
            fields[json.loads(key.group(), strict=False)] = value
            at = _skip_space(text, at)
    except ValueError:  # not UTF-8, a bad escape, a value that is not JSON
        return None
    return fields if not text[at + 1 :].strip(" \t\n\r") else None


def _skip_space(text: str, at: int) -> int:
    while text[at : at + 1] in _JSON_SPACE:
        at += 1
    return at


def _top_level_value(text: str, at: int) -> tuple[object, int]:
    """The value starting at `text[at]` (see `_top_level_fields`) and where it ends; ValueError if none does."""
    if text.startswith('"', at):
        string = _JSON_STRING.match(text, at)
        if string is not None:
            return json.loads(string.group(), strict=False), string.end()
    elif text.startswith(("[", "{"), at):
        end = value_end(text, at)  # skipped by counting brackets: no recursion
        if end is not None:
            return ..., end
    elif number := _JSON_NUMBER.match(text, at):
        digits = number.group()
        small_int = len(digits) <= 40 and not any(c in digits for c in ".eE")
        return (int(digits) if small_int else ...), number.end()
    else:
        for word, value in _JSON_WORDS.items():
            if text.startswith(word, at):
                return value, at + len(word)
    raise ValueError(f"no JSON value at {at}")


def _answerable_id(value: object) -> int | str | None:
    """A request id that can be sent back (an int, or a string without lone surrogates), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return value


def _describe(error: BaseException) -> str:
    """`Type: message` for a tool error, whatever the exception: a group lists what it holds, a
    message that cannot be rendered is named as such (the reply must not fail)."""
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:  # noqa: BLE001 - its __str__ raised
        text = f"{type(error).__name__}: <its message could not be rendered>"
    if isinstance(error, BaseExceptionGroup):
        inner = "; ".join(_describe(e) for e in error.exceptions[:5])
        more = f"; and {len(error.exceptions) - 5} more" if len(error.exceptions) > 5 else ""
        text = f"{text}: {inner}{more}"
    return text


def _named(targets: Iterable[object] | Mapping[str, object]) -> list[object]:
    """The targets, a mapping's keys naming its tools."""
    if not isinstance(targets, Mapping):
        return list(targets)
    named: list[object] = []
    for key, target in targets.items():
        named.append(attrs.evolve(target, name=key) if isinstance(target, Tool) else tool(target, name=key))  # type: ignore[arg-type]
    return named


def _plan_of(served: AnyTool) -> Plan[Any, Any]:
    plan = getattr(served, "plan", None)
    if not isinstance(plan, Plan):
        raise ConfigError(f"MCP tool {served.name!r}", "plan", "a tool with a compiled plan (see tool())", plan)
    return plan


async def serve_mcp(
    targets: Sequence[object] | Mapping[str, object],
    *,
    transport: Literal["stdio", "http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8000,
    name: str = "tta-primitives",
    token_verifier: TokenVerifier | None = None,
    auth: AuthSettings | None = None,
    on_listening: Callable[[str], object] | None = None,
) -> None:
    """Serve `targets` (compiled plans, nodes, functions or `tool()`s; a mapping names them) as
    MCP tools over stdio (the default, for clients that start this process) or streamable HTTP
    (on 127.0.0.1 unless `host` says otherwise; another host needs `token_verifier`, see
    `PlanToolServer.http_app`), until the transport closes. Over HTTP, `on_listening` gets the
    endpoint's URL once the port is bound (port 0: a free one)."""
    server = PlanToolServer(targets, name=name)
    if transport == "stdio":
        if token_verifier is not None or auth is not None:
            raise ConfigError("serve_mcp", "token_verifier", "none over stdio (only the process that started the server can talk to it)", token_verifier or auth)
        await server.run_stdio()
    elif transport == "http":
        await server.run_http(host=host, port=port, token_verifier=token_verifier, auth=auth, on_listening=on_listening)
    else:
        raise ConfigError("serve_mcp", "transport", "'stdio' or 'http'", transport)
