"""Compiled plans (and tools) served as MCP tools, over stdio or streamable HTTP.

Each tool's input schema is the one `tool()` gives agents (msgspec's or pydantic's schema of
the plan's input type), its output schema that of the plan's output type (wrapped in
`{"result": ...}` when it is not an object, as MCP requires). The SDK's low-level server does
not check arguments, so we do, with the tool's own validator: bad arguments and failures of the
plan come back as tool errors (`isError`), which a model can read and act on. While a plan runs,
its finished nodes are reported as progress notifications (from `plan.events()`, at most ten a
second); a client cancelling the request cancels the run.
"""

from __future__ import annotations

import json
import os
import time

import anyio
import attrs
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .. import __version__
from ..compiler.plan import Plan
from ..dsl.core import Node
from ..errors import ConfigError
from ..events import NodeFinished
from ..stdlib.llm.schema import SchemaMismatch, TypeSchema, json_text, object_schema, type_schema
from ..stdlib.llm.tools import AnyTool, Tool, ToolArgumentsError, tool

if TYPE_CHECKING:
    import mcp.types as mcp_types
    from mcp.server import Server, ServerRequestContext
    from starlette.applications import Starlette

__all__ = ["PlanToolServer", "serve_mcp"]

RESULT = "result"
"""The property holding a plan's output when it is not a JSON object."""

_PROGRESS_EVERY = 0.1
"""Seconds between progress notifications (a map of thousands of items must not flood the client)."""


def _sdk() -> Any:
    try:
        import mcp.types
        from mcp.server import Server
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ConfigError("serve_mcp", "mcp", "the MCP SDK: pip install 'tta-dev-primitives[mcp]'", None) from None
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
        types = self._types
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)  # type: ignore[no-any-return]

    async def _call_tool(self, ctx: ServerRequestContext[Any], params: mcp_types.CallToolRequestParams) -> mcp_types.CallToolResult:
        served = self.tools.get(params.name)
        if served is None:
            return self._error(f"unknown tool {params.name!r}; this server has {sorted(self.tools)}")
        try:
            value = served.parse(params.arguments or {})
        except ToolArgumentsError as error:
            return self._error(str(error))
        try:
            result = await self._run(served, value, ctx)
        except (anyio.get_cancelled_exc_class(), KeyboardInterrupt, SystemExit):
            raise  # the client's cancellation (the run is cancelled), or the process is stopping
        except BaseException as error:  # any other failure is the tool's, and the server goes on
            return self._error(_describe(error))
        return self._result(served.name, result)

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
                        await ctx.session.report_progress(done, None, f"{event.node}: {event.status}")
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
        gives one, so that nothing else the process prints can reach the client)."""
        import io

        from mcp.server.stdio import stdio_server

        stdout = None
        if stdout_fd is not None:
            stdout = anyio.wrap_file(io.TextIOWrapper(os.fdopen(stdout_fd, "wb", buffering=0), encoding="utf-8", write_through=True))
        async with stdio_server(stdout=stdout) as (read_stream, write_stream):
            await self.server.run(read_stream, write_stream, self.server.create_initialization_options())

    def http_app(self, *, host: str = "127.0.0.1") -> Starlette:
        """A Starlette app serving streamable HTTP at `/mcp` (run it with any ASGI server)."""
        return self.server.streamable_http_app(host=host)

    async def run_http(self, *, host: str = "127.0.0.1", port: int = 8000) -> None:
        """Serve streamable HTTP at `http://host:port/mcp` (asyncio only: uvicorn's loop)."""
        import uvicorn

        config = uvicorn.Config(self.http_app(host=host), host=host, port=port, log_level="warning")
        await uvicorn.Server(config).serve()


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
) -> None:
    """Serve `targets` (compiled plans, nodes, functions or `tool()`s; a mapping names them) as
    MCP tools over stdio (the default, for clients that start this process) or streamable HTTP
    (on 127.0.0.1 unless `host` says otherwise), until the transport closes."""
    server = PlanToolServer(targets, name=name)
    if transport == "stdio":
        await server.run_stdio()
    elif transport == "http":
        await server.run_http(host=host, port=port)
    else:
        raise ConfigError("serve_mcp", "transport", "'stdio' or 'http'", transport)
