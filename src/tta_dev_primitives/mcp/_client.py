"""A remote MCP server's tools as nodes and agent tools.

`async with mcp_tools(source) as tools:` opens a session (or uses the `ClientSession` you
give it, already initialized) and gives one `Tool[dict[str, object], object]` per remote tool:
its parameters are the server's input schema (arguments are checked against it before the
call, with the `jsonschema` package the SDK brings), its node calls the tool, and its result is
the tool's structured content (or its text). `mcp_tool(session, name, args=T, result=R)` gives
a typed `Tool[T, R]` for one tool: `T` an attrs class, dataclass or TypedDict whose fields the
server's schema names, `R` what its structured content converts to. A tool error from the
server raises MCPToolError (an agent hands its message to the model). Cancelling the node
cancels the request: the SDK tells the server. A call waits `CALL_TIMEOUT` seconds for its answer
unless told otherwise: a server that drops a request (the SDK drops what it cannot parse) must
not leave the plan waiting forever.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import typing
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

import anyio

from ..plan import compile
from ..dsl._function import node
from ..errors import ConfigError, MCPConnectionError, MCPToolError, PrimitivesError
from ..extras import require
from ..stdlib.llm._arguments import MAX_ARGUMENT_DEPTH, ArgumentLimitError, check_arguments, not_json
from ..stdlib.llm._schema import WRAPPED, SchemaMismatch, TypeSchema, json_text, json_value, object_schema, type_schema
from ..stdlib.llm._tools import TOOL_NAME, Tool, ToolArgumentsError
from .._validate import check_finite_positive

if TYPE_CHECKING:
    from mcp import ClientSession, StdioServerParameters
    from mcp.types import CallToolResult
    from mcp.types import Tool as RemoteTool

__all__ = ["MCPConnectionError", "MCPToolError", "mcp_tool", "mcp_tools"]

RESULT = "result"
"""The property MCP servers put a non-object result in (as `tta_dev_primitives.mcp._server` does)."""

CALL_TIMEOUT = 60.0
"""Seconds a tool call waits for its answer by default (`call_timeout=None`: as long as it takes)."""

A = TypeVar("A")
R = TypeVar("R")


_TASK_GROUPS = frozenset({"unhandled errors in a TaskGroup", "Exceptions from Trio nursery"})
"""The messages of the groups the SDK's task groups wrap errors in (anyio on asyncio, trio)."""


def _sole(error: BaseException) -> BaseException:
    """The one exception inside the task groups' single-member wrappers (a group of the user's
    own, whatever its size, is kept)."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1 and error.message in _TASK_GROUPS:
        error = error.exceptions[0]
    return error


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def _problem(error: BaseException) -> str:
    """What went wrong, from the first real error inside the SDK's groups (not the cancellations
    that followed it)."""
    cancelled = anyio.get_cancelled_exc_class()
    leaves = [leaf for leaf in _leaves(error) if not isinstance(leaf, cancelled)] or _leaves(error)
    first = leaves[0]
    return f"{type(first).__name__}: {first}" if str(first) else type(first).__name__


def _text(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content if getattr(block, "type", None) == "text")


def _content(result: CallToolResult) -> object:
    """The result's content: its text when it is all text, else every block as JSON (images,
    audio and resources keep their data and mime types: nothing is dropped)."""
    if all(getattr(block, "type", None) == "text" for block in result.content):
        return _text(result)
    return [block.model_dump(mode="json", by_alias=True, exclude_none=True) for block in result.content]


def _wraps_result(output_schema: Mapping[str, Any] | None) -> bool:
    """Whether a tool's output schema is MCP's wrapper for a non-object result,
    `{"result": ...}` (as our server and the SDK's own servers write it)."""
    if not output_schema:
        return False
    properties = output_schema.get("properties") or {}
    return list(properties) == [RESULT] and output_schema.get("required") == [RESULT]


def _payload(name: str, result: CallToolResult, unwrap: bool) -> object:
    if result.is_error:
        kinds = sorted({str(getattr(block, "type", "?")) for block in result.content})
        raise MCPToolError(name, _text(result) or (f"(no text; its content: {', '.join(kinds)})" if kinds else "(no message)"))
    if result.structured_content is not None:
        content = result.structured_content
        return content[RESULT] if unwrap and RESULT in content else content
    return _content(result)


def _dict_validator(name: str, schema: Mapping[str, Any]) -> TypeSchema:
    try:
        import jsonschema  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - the SDK depends on it
        jsonschema = None

    def convert(raw: object) -> dict[str, object]:
        if not isinstance(raw, Mapping):
            raise SchemaMismatch(f"expected a JSON object, got {type(raw).__name__}")
        if jsonschema is not None:
            try:
                jsonschema.validate(dict(raw), dict(schema))
            except jsonschema.ValidationError as error:
                where = "/".join(str(p) for p in error.absolute_path) or "$"
                raise SchemaMismatch(f"{error.message} (at {where})") from None
        return dict(raw)

    return TypeSchema(dict, schema, convert, "jsonschema")


async def _find(session: ClientSession, name: str) -> RemoteTool:
    listed = await session.list_tools()
    for remote in listed.tools:
        if remote.name == name:
            return remote
    raise ConfigError(f"mcp_tool({name!r})", "name", f"one of the server's tools {sorted(t.name for t in listed.tools)}", name)


def _sendable(name: str, arguments: Mapping[str, object]) -> None:
    """Refuse, before sending, arguments a server could not read: beyond our limits or not
    JSON (`check_arguments`: nesting depth, size, a lone surrogate, NaN), or that JSON cannot
    encode (an integer of thousands of digits, a value of no JSON type). The SDK drops a
    request it cannot parse, or its client fails mid-session, and the call would wait out its
    timeout; a ToolArgumentsError is read by the model at once."""
    check_arguments(arguments, tool=name)
    try:
        json.dumps(arguments, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise _not_json(name, error) from None


def _not_json(name: str, error: Exception) -> ToolArgumentsError:
    """The error for arguments JSON cannot carry (without the interpreter's advice on its int limit)."""
    return not_json(name, str(error).split("; use sys.set_int_max_str_digits()")[0])


async def _call(session: ClientSession, server: str, name: str, arguments: Mapping[str, object], timeout: float | None) -> CallToolResult:
    """Call the remote tool (waiting at most `timeout` seconds for its answer, if given); a
    connection that fails, closes or stays silent is an MCPConnectionError naming it."""
    from mcp.shared.exceptions import MCPError

    try:
        return await session.call_tool(name, dict(arguments), read_timeout_seconds=timeout)
    except (MCPError, OSError, anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream) as error:
        raise MCPConnectionError(server, _problem(error), name) from error


def _remote_tool(
    session: ClientSession, remote: RemoteTool, server: str, local: str | None = None, timeout: float | None = None
) -> Tool[dict[str, object], object]:
    """The remote tool as a Tool named `local` (default: its own name); calls use the remote name."""
    name = remote.name
    schema: dict[str, Any] = dict(remote.input_schema or {"type": "object", "properties": {}})
    unwrap = _wraps_result(remote.output_schema)
    validator = _dict_validator(name, schema)

    async def call(arguments: dict[str, object]) -> object:
        _sendable(name, arguments)  # first: nothing below may recurse without bound
        try:  # checked here too, not only by agents: a plan calling the tool gets the same message
            validator.convert(arguments)
        except SchemaMismatch as error:
            raise ToolArgumentsError(name, "arguments", f"arguments that fit the tool's input schema ({error})", arguments) from None
        return _payload(name, await _call(session, server, name, arguments, timeout), unwrap)

    label = local or name
    call.__name__ = call.__qualname__ = label
    built = node(call).named(label)
    return Tool(label, remote.description or name, compile(built), built, dict[str, object], schema, False, validator)


def _remote_tools(session: ClientSession, remotes: list[RemoteTool], server: str, timeout: float | None) -> list[Tool[dict[str, object], object]]:
    """The remote tools; valid names are kept, only the others are renamed (around them)."""
    taken = {remote.name for remote in remotes if TOOL_NAME.fullmatch(remote.name)}
    tools = []
    for remote in remotes:
        local = remote.name if TOOL_NAME.fullmatch(remote.name) else _tool_name(remote.name, taken)
        taken.add(local)
        tools.append(_remote_tool(session, remote, server, local, timeout))
    return tools


@overload
async def mcp_tool(session: ClientSession, name: str, *, call_timeout: float | None = CALL_TIMEOUT) -> Tool[dict[str, object], object]: ...
@overload
async def mcp_tool(session: ClientSession, name: str, *, args: type[A], call_timeout: float | None = CALL_TIMEOUT) -> Tool[A, object]: ...
@overload
async def mcp_tool(
    session: ClientSession, name: str, *, args: type[A], result: type[R], call_timeout: float | None = CALL_TIMEOUT
) -> Tool[A, R]: ...
async def mcp_tool(
    session: ClientSession,
    name: str,
    *,
    args: type[Any] | None = None,
    result: type[Any] | None = None,
    call_timeout: float | None = CALL_TIMEOUT,
) -> Tool[Any, Any]:
    """One remote tool of an initialized session, typed by `args` and `result` when given
    (`call_timeout` as for `mcp_tools`)."""
    if call_timeout is not None:
        call_timeout = check_finite_positive(f"mcp_tool({name!r})", "call_timeout", call_timeout)
    remote = await _find(session, name)
    label = _tool_name(name, set())
    if args is None and result is None:
        return _remote_tool(session, remote, _server_name(session), label, call_timeout)
    validator = type_schema(args, where=f"mcp_tool({name!r})", closed=True) if args is not None else _dict_validator(name, dict(remote.input_schema))
    output = type_schema(result, where=f"mcp_tool({name!r})") if result is not None else None
    unwrap = _wraps_result(remote.output_schema)
    parameters, wrapped = object_schema(validator.schema) if args is not None else (dict(remote.input_schema), False)
    if args is not None:
        _check_fields(name, args, parameters, dict(remote.input_schema or {}))

    async def call(arguments: Any) -> Any:
        try:
            text = json_text(arguments)  # msgspec's encoding, or pydantic's for its models
        except RecursionError:  # nested past the encoder's limit, or containing itself
            raise ArgumentLimitError(name, "depth", MAX_ARGUMENT_DEPTH, arguments) from None
        except (TypeError, ValueError) as error:
            raise _not_json(name, error) from None
        check_arguments(text, tool=name)  # before decoding it again
        encoded = json_value(text)
        # an object: `args` encodes as one, or its value sits in {"input": ...}
        sent = typing.cast("dict[str, object]", {WRAPPED: encoded} if wrapped else encoded)
        _sendable(name, sent)
        payload = _payload(name, await _call(session, _server_name(session), name, sent, call_timeout), unwrap)
        if output is None:
            return payload
        try:
            return output.convert(payload)
        except SchemaMismatch as error:
            raise MCPToolError(name, f"its result does not fit {result!r}: {error}") from None

    call.__name__ = call.__qualname__ = label
    call.__annotations__ = {"arguments": args if args is not None else dict[str, object], "return": result if result is not None else object}
    built = node(call).named(label)
    input_type = args if args is not None else dict[str, object]
    return Tool(label, remote.description or name, compile(built), built, input_type, parameters, wrapped, validator)


def _check_fields(name: str, args: type[Any], ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> None:
    """`args` must name the remote tool's fields: none it does not know (unless it takes any),
    and every one it requires. Found when the tool is made, not at its first call."""
    own = set(ours.get("properties") or {})
    known = set(theirs.get("properties") or {})
    required = set(theirs.get("required") or [])
    open_ended = theirs.get("additionalProperties", True) is not False
    unknown = sorted(own - known) if known or not open_ended else []
    missing = sorted(required - own)
    if unknown or missing:
        problems = "; ".join(
            part for part in (f"unknown to the server: {unknown}" if unknown else "", f"required by the server: {missing}" if missing else "") if part
        )
        raise ConfigError(f"mcp_tool({name!r})", "args", f"a type with the fields of the tool's input schema {sorted(known)} ({problems})", args)


def _tool_name(remote: str, taken: set[str]) -> str:
    """A name providers accept (1-64 of `[A-Za-z0-9_-]`) for the remote tool `remote`: itself when
    it is one, else with other characters as `_` (and a number when that name is taken)."""
    if TOOL_NAME.fullmatch(remote) and remote not in taken:
        return remote
    base = re.sub(r"[^A-Za-z0-9_-]", "_", remote)[:60] or "tool"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _server_name(session: ClientSession) -> str:
    """The server's name from its handshake, for error messages."""
    info = getattr(session, "server_info", None) or getattr(getattr(session, "initialize_result", None), "server_info", None)
    name = getattr(info, "name", None)
    return repr(name) if name else "(connected session)"


def _describe(source: object) -> str:
    from mcp import StdioServerParameters

    if isinstance(source, StdioServerParameters):
        return repr(" ".join([source.command, *source.args]))
    return repr(source)


@contextlib.asynccontextmanager
async def mcp_tools(
    source: ClientSession | StdioServerParameters | str,
    *,
    timeout: float = 30.0,
    call_timeout: float | None = CALL_TIMEOUT,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[list[Tool[dict[str, object], object]]]:
    """The tools of an MCP server: `source` is an initialized `ClientSession` (left open), the
    `StdioServerParameters` of a server to start, or the URL of a streamable HTTP server (sent
    `headers` with every request, e.g. `{"Authorization": "Bearer ..."}`).

    A server that cannot be started or reached, or does not answer the handshake within
    `timeout` seconds, raises MCPConnectionError naming it; so does a tool call that gets no
    answer within `call_timeout` seconds (default `CALL_TIMEOUT`; None: calls wait as long as the
    server works, for long-running tools). An error raised in the block comes out as itself, not
    wrapped in the SDK's exception groups. A `timeout` or `call_timeout` that is not a finite
    number of seconds > 0 is a ConfigError; MissingExtraError without the `mcp` extra."""
    require("mcp", "mcp", "mcp_tools")
    from mcp import ClientSession, StdioServerParameters

    timeout = check_finite_positive("mcp_tools", "timeout", timeout)
    if call_timeout is not None:
        call_timeout = check_finite_positive("mcp_tools", "call_timeout", call_timeout)
    if headers is not None and not isinstance(source, str):  # (the headers' values are not shown: they hold tokens)
        raise ConfigError("mcp_tools", "headers", "headers only with a streamable HTTP URL as the source", type(source).__name__)
    if isinstance(source, ClientSession):
        server = _server_name(source)
        yield _remote_tools(source, list((await source.list_tools()).tools), server, call_timeout)
        return
    if not isinstance(source, (StdioServerParameters, str)):
        raise ConfigError("mcp_tools", "source", "a ClientSession, StdioServerParameters or a streamable HTTP URL", source)
    server = _describe(source)
    opened = False
    try:
        async with contextlib.AsyncExitStack() as stack:
            # outermost, so the SDK's task groups nest inside it; disarmed once the tools are listed
            handshake = stack.enter_context(anyio.CancelScope(deadline=anyio.current_time() + timeout))
            if isinstance(source, StdioServerParameters):
                from mcp import stdio_client

                read, write = await stack.enter_async_context(stdio_client(source))
            else:
                from mcp.client.streamable_http import streamable_http_client

                http = None
                if headers is not None:  # the SDK's own client (its timeouts), with the headers
                    from mcp.shared._httpx_utils import create_mcp_http_client

                    http = await stack.enter_async_context(create_mcp_http_client(headers=dict(headers)))
                read, write = await stack.enter_async_context(streamable_http_client(source, http_client=http))
            session = await stack.enter_async_context(ClientSession(read, write))
            await session.initialize()
            listed = await session.list_tools()
            handshake.deadline = math.inf
            opened = True
            yield _remote_tools(session, list(listed.tools), server, call_timeout)
        if not opened:  # the deadline stopped the handshake
            raise MCPConnectionError(server, f"no answer within {timeout:g} s")
    except BaseException as error:  # noqa: BLE001 - unwrapped or named below, never swallowed
        inner = _sole(error)
        if opened or isinstance(inner, (anyio.get_cancelled_exc_class(), KeyboardInterrupt, SystemExit, GeneratorExit, PrimitivesError)):
            if inner is error:
                raise
            raise inner from None  # the block's own error (or a cancellation), as itself
        raise MCPConnectionError(server, _problem(error)) from inner
