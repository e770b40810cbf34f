"""MCP both ways, against the official SDK: its client against our server (a stdio subprocess
started through the CLI, and streamable HTTP on 127.0.0.1), and our client against a server
written with the SDK alone."""

from __future__ import annotations

import os
import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.fixtures.mcp_servers import cli_http_server, sdk_server, serving
from tta_dev_primitives import ConfigError, FakeChatModel, ToolCall, agent, compile, node, tool
from tta_dev_primitives.cli import main
from tta_dev_primitives.mcp import MCPToolError, PlanToolServer, mcp_tool, mcp_tools

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
try:  # the example's own types and tool: what the stdio tests serve from that file
    from mcp_tools import Numbers, Sum, adder
finally:
    sys.path.remove(str(ROOT / "examples"))


@dataclass(frozen=True)
class Doc:
    title: str
    count: int


def tick(x: int) -> int:
    return x + 1


def _exits_within(pid: int, seconds: float) -> bool:
    """Whether process `pid` (not our child) is gone within `seconds`: its pidfd becomes
    readable when it exits."""
    import select

    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


CHILD_ENV = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else None
"""The SDK starts a stdio server with a minimal environment: this keeps the package under test
(a source tree on PYTHONPATH rather than the installed one) in the server process too."""


def _stdio(*targets: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "tta_dev_primitives.cli", "mcp", "serve", *targets], cwd=str(ROOT), env=CHILD_ENV)


async def test_the_sdk_client_uses_our_plans_over_stdio() -> None:
    params = _stdio("examples/mcp_tools.py:add", "examples/mcp_tools.py:count", "examples/mcp_tools.py:explode")
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert sorted(tools) == ["add", "count", "explode"]
        assert tools["add"].input_schema["required"] == ["a", "b"]
        assert tools["add"].output_schema == {
            "type": "object", "title": "Sum", "properties": {"total": {"type": "number"}}, "required": ["total"],
        }
        assert tools["count"].output_schema == {
            "type": "object", "properties": {"result": {"type": "integer"}}, "required": ["result"], "additionalProperties": False,
        }

        result = await session.call_tool("add", {"a": 1, "b": 2.5})
        assert not result.is_error and result.structured_content == {"total": 3.5}

        bad = await session.call_tool("add", {"a": "one"})
        assert bad.is_error and "add" in bad.content[0].text and "$.a" in bad.content[0].text  # type: ignore[union-attr]
        # an argument the schema does not have is refused, not dropped: the schema says so, the error names both sides
        assert tools["add"].input_schema["additionalProperties"] is False and tools["count"].input_schema["additionalProperties"] is False
        extra = await session.call_tool("add", {"a": 1, "b": 2, "c": 3, "d": 4})
        assert extra.is_error and "unknown fields `c`, `d`; its fields are `a`, `b`" in extra.content[0].text  # type: ignore[union-attr]
        wrapped_extra = await session.call_tool("count", {"input": 2, "step": 1})
        assert wrapped_extra.is_error and "unknown field `step`; its fields are `input`" in wrapped_extra.content[0].text  # type: ignore[union-attr]

        failed = await session.call_tool("explode", {"input": "why"})
        assert failed.is_error and "RuntimeError: exploded: why" in failed.content[0].text  # type: ignore[union-attr]

        progress: list[tuple[float, str | None]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, message))

        counted = await session.call_tool("count", {"input": 40}, progress_callback=on_progress)
        assert counted.structured_content == {"result": 40}
        assert progress and all(b[0] > a[0] for a, b in zip(progress, progress[1:]))  # increasing, throttled
        assert any(message and message.startswith("tick: ok") for _, message in progress)


UNDOCUMENTED = """
from tta_dev_primitives import node

@node
def up(text: str) -> str:
    return text.upper()

@node
def rev(text: str) -> str:
    return text[::-1]

flow = up >> rev
"""


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_cli_serves_a_plan_without_a_docstring_with_its_description_and_says_where_it_listens(tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text(UNDOCUMENTED)
    with cli_http_server("flows.py:flow", "--description", "Shout a text backwards.", cwd=tmp_path, env=CHILD_ENV) as (line, url):
        assert re.fullmatch(r"serving flow over MCP streamable HTTP at http://127\.0\.0\.1:\d+/mcp", line)
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:  # the URL is the endpoint
            await session.initialize()
            (listed,) = (await session.list_tools()).tools
            assert (listed.name, listed.description) == ("flow", "Shout a text backwards.")
            assert (await session.call_tool("flow", {"input": "abc"})).structured_content == {"result": "CBA"}


def test_a_missing_description_points_at_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "flows.py").write_text(UNDOCUMENTED)
    monkeypatch.chdir(tmp_path)
    assert main(["mcp", "serve", "flows.py:flow", "--http", "--port", "0"]) == 1  # refused before listening
    err = capsys.readouterr().err
    assert err == (
        "error: ConfigError: tool 'flow' has no description, and no docstring to take one from: give it one with --description TEXT "
        "(what a model reads to decide when to call it)\n"
    )
    assert main(["mcp", "serve", "flows.py:flow", "flows.py:up", "--http", "--description", "Two tools?"]) == 2
    assert "--description describes one tool, and 2 targets were given" in capsys.readouterr().err
    assert main(["mcp", "serve", "flows.py:flow", "--http", "--description", " "]) == 2
    assert "--description is empty" in capsys.readouterr().err


def test_a_port_in_use_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["mcp", "serve", "examples/mcp_tools.py:add", "--http", "--port", str(port)]) == 1
    assert capsys.readouterr().err == f"error: cannot listen on 127.0.0.1 port {port}: Address already in use\n"


def _slow_server(finished: list[str], started: anyio.Event) -> PlanToolServer:
    @node
    async def slow(seconds: float) -> str:
        """Wait, then answer."""
        started.set()
        try:
            await anyio.sleep(seconds)
        except BaseException:
            finished.append("cancelled")
            raise
        finished.append("done")
        return "slept"

    class Odd(BaseException):
        pass

    @node
    def odd(x: int) -> int:
        """Raises a BaseException that is no cancellation."""
        raise Odd("strange")

    @node
    def ratio(x: int) -> float:
        """Returns NaN, which JSON cannot carry."""
        return float("nan")

    @node
    def double(x: int) -> int:
        """Twice x."""
        return 2 * x

    return PlanToolServer({"slow": compile(slow), "add": compile(adder), "odd": compile(odd), "ratio": compile(ratio), "twice": compile(double)})


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # uvicorn runs on asyncio
async def test_the_sdk_client_over_streamable_http_and_cancelling_a_call_cancels_the_run() -> None:
    finished: list[str] = []
    started = anyio.Event()
    server = _slow_server(finished, started)
    async with serving(server.http_app()) as url:
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            assert (await session.call_tool("add", {"a": 2, "b": 3})).structured_content == {"total": 5}
            with anyio.move_on_after(30):
                async with anyio.create_task_group() as group:

                    async def call() -> None:
                        await session.call_tool("slow", {"input": 60})

                    group.start_soon(call)
                    await started.wait()
                    group.cancel_scope.cancel()  # the client gives up: the SDK tells the server
            with anyio.fail_after(10):
                while not finished:
                    await anyio.sleep(0.01)  # the server's cancellation arrives over HTTP
            assert finished == ["cancelled"]
            assert (await session.call_tool("add", {"a": 1, "b": 1})).structured_content == {"total": 2}  # still serving

            odd = await session.call_tool("odd", {"input": 1})  # a tool error, and the server goes on
            assert odd.is_error and "Odd: strange" in odd.content[0].text  # type: ignore[union-attr]
            nan = await session.call_tool("ratio", {"input": 1})  # not a result that breaks the client's schema check
            assert nan.is_error and "does not fit its output type" in nan.content[0].text  # type: ignore[union-attr]
            assert (await session.call_tool("twice", {"input": 4})).structured_content == {"result": 8}

            typed = await mcp_tool(session, "twice", args=int, result=int)  # our wrappers, unwrapped
            assert await typed.plan.run(21) == 42
        async with mcp_tools(url) as tools:
            assert await {t.name: t for t in tools}["twice"].plan.run({"input": 5}) == 10


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_our_client_uses_a_server_written_with_the_sdk() -> None:
    async with serving(sdk_server().streamable_http_app(host="127.0.0.1")) as url:
        async with mcp_tools(url) as tools:
            by_name = {t.name: t for t in tools}
            assert sorted(by_name) == ["a_b", "a_b_2", "add", "die", "fail", "image", "silent", "weird_name_with_chars"]
            assert await by_name["weird_name_with_chars"].plan.run({}) == "weird.name/with:chars answered"  # a name providers accept
            assert await by_name["a_b"].plan.run({}) == "a_b answered"  # a valid name is kept, the renamed one goes around it
            assert await by_name["a_b_2"].plan.run({}) == "a.b answered"
            assert by_name["add"].description == "Add two numbers."
            assert await by_name["add"].plan.run({"a": 1, "b": 2}) == {"total": 3}
            invalid = await by_name["add"].invoke({"a": "x", "b": 1})  # checked against the server's schema first
            assert invalid.is_error and "'x' is not of type 'number'" in (invalid.error or "")
            with pytest.raises(MCPToolError, match="the tool broke"):
                await by_name["fail"].plan.run({})

            # an agent calls the remote tool like any other
            model = FakeChatModel(script=[[ToolCall("1", "add", '{"a": 20, "b": 22}')], "The total is 42."])
            answer = await compile(agent(model, [by_name["add"]], max_turns=3)).run("What is 20 + 22?")
            assert "42" in answer
            assert '"total":42' in model.requests[1].messages[-1].content  # the remote result reached the model

        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            typed = await mcp_tool(session, "add", args=Numbers, result=Sum)
            assert await typed.plan.run(Numbers(1.5, 2)) == Sum(3.5)
            with pytest.raises(ConfigError, match=r"unknown to the server: \['total'\]; required by the server: \['a', 'b'\]"):
                await mcp_tool(session, "add", args=Sum)  # found when the tool is made, not at its first call


async def test_the_package_devtools_are_the_tools_apm_yml_lists_and_they_work() -> None:
    """`tta-primitives mcp devtools` serves explain_plan, check_plan and graph_plan: the tools
    apm.yml lists, with the arguments it lists."""
    import yaml

    listed = yaml.safe_load((ROOT / "apm.yml").read_text())["mcp"]["servers"][0]
    params = StdioServerParameters(command=sys.executable, args=["-m", "tta_dev_primitives.cli", *listed["args"]], cwd=str(ROOT), env=CHILD_ENV)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert [t["name"] for t in listed["tools"]] == list(tools) == ["explain_plan", "check_plan", "graph_plan"]
        for entry in listed["tools"]:
            schema = tools[entry["name"]].input_schema
            assert sorted(schema["properties"]) == sorted(entry["required"] + entry["optional"])
            assert schema["required"] == entry["required"]

        checked = await session.call_tool("check_plan", {"target": "examples/quickstart.py:pipeline"})
        assert checked.structured_content is not None
        assert checked.structured_content["ok"] is True and checked.structured_content["plan"] == "qa"
        assert checked.structured_content["checked_edges"] == checked.structured_content["edges"] > 0
        broken = await session.call_tool("check_plan", {"target": "examples/quickstart.py:nope"})
        assert broken.structured_content is not None and broken.structured_content["ok"] is False
        assert "has no attribute 'nope'" in broken.structured_content["error"] and "pipeline" in broken.structured_content["error"]

        explained = await session.call_tool("explain_plan", {"target": "examples/quickstart.py:pipeline"})
        assert not explained.is_error and "passes:" in explained.content[0].text  # type: ignore[union-attr]
        drawn = await session.call_tool("graph_plan", {"target": "examples/quickstart.py:pipeline", "format": "dot"})
        assert drawn.content[0].text.startswith("digraph")  # type: ignore[union-attr]
        wrong = await session.call_tool("graph_plan", {"target": "examples/quickstart.py:pipeline", "format": "svg"})
        assert wrong.is_error and "format" in wrong.content[0].text  # type: ignore[union-attr]
        missing = await session.call_tool("explain_plan", {"target": "no_such_module:x"})
        assert missing.is_error and "TargetError" in missing.content[0].text  # type: ignore[union-attr]


async def test_a_target_that_prints_while_loading_does_not_corrupt_stdio(tmp_path: Path) -> None:
    """Standard output is the protocol's from its first byte: what a target prints at import (in
    Python or straight to the file descriptor) goes to stderr. A node whose own name is no valid
    tool name (`retry(shout)`) is served under its attribute's name."""
    (tmp_path / "noisy.py").write_text(
        "import os\nfrom tta_dev_primitives import node\n"
        "print('no newline', end='', flush=True)\nos.write(1, b'raw bytes')\n"
        'def shout(text: str) -> str:\n    """Shout."""\n    return text.upper()\n'
        "flow = node(shout).retry()\n"
    )
    params = StdioServerParameters(command=sys.executable, args=["-m", "tta_dev_primitives.cli", "mcp", "serve", "noisy.py:flow"], cwd=str(tmp_path), env=CHILD_ENV)
    with anyio.fail_after(60):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            assert [t.name for t in (await session.list_tools()).tools] == ["flow"]
            result = await session.call_tool("flow", {"input": "hi"})
            assert result.structured_content == {"result": "HI"}


async def test_devtools_see_each_edit_and_survive_targets_that_exit_or_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each devtools call compiles the file as it is now, in a process of its own: an edit shows
    at the next call, and a target calling sys.exit() or hanging costs that call only."""
    from tta_dev_primitives.mcp import devtools

    monkeypatch.chdir(tmp_path)
    flow = tmp_path / "flow.py"
    flow.write_text(
        "from tta_dev_primitives import node\n"
        "def count(text: str) -> int:\n    return len(text)\n"
        "def double(n: str) -> str:\n    return n * 2\n"
        "flow = node(count) >> node(double)\n"
    )
    broken = await devtools.check_plan(devtools.PlanTarget("flow.py:flow"))
    assert not broken.ok and broken.error is not None and "TypeMismatchError" in broken.error and "double" in broken.error
    flow.write_text(flow.read_text().replace("def double(n: str) -> str", "def double(n: int) -> int"))
    fixed = await devtools.check_plan(devtools.PlanTarget("flow.py:flow"))
    assert fixed.ok and fixed.plan == "count >> double" and fixed.checked_edges == fixed.edges

    (tmp_path / "exits.py").write_text("import sys\nsys.exit(4)\n")
    exited = await devtools.check_plan(devtools.PlanTarget("exits.py:flow"))
    assert not exited.ok and exited.error is not None and "sys.exit(4)" in exited.error
    with pytest.raises(devtools.DevtoolError, match=r"sys\.exit\(4\)"):
        await devtools.explain_plan(devtools.PlanTarget("exits.py:flow"))

    # a target that prints (at import and at exit) and starts a background process: the result
    # is the command's alone, the call does not wait for that process, and it does not outlive the call
    (tmp_path / "busy.py").write_text(
        "import atexit, subprocess, sys\nprint('loading...')\natexit.register(print, '{\"ok\": false}')\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "open('child.pid', 'w').write(str(child.pid))\n" + flow.read_text()
    )
    busy = await devtools.check_plan(devtools.PlanTarget("busy.py:flow"))
    assert busy.ok and busy.plan == "count >> double"
    drawn = await devtools.graph_plan(devtools.GraphRequest("busy.py:flow"))
    assert drawn.startswith("flowchart") and "loading" not in drawn
    assert _exits_within(int((tmp_path / "child.pid").read_text()), 10)  # killed with the call's session

    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(600)\n")
    monkeypatch.setattr(devtools, "TIMEOUT_S", 2.0)
    with pytest.raises(devtools.DevtoolError, match="stopped after 2 s"):
        await devtools.graph_plan(devtools.GraphRequest("hangs.py:flow"))


async def test_our_client_names_unreachable_silent_and_dying_servers_and_keeps_every_result() -> None:
    """A server that cannot be reached, does not answer the handshake, or dies mid-call raises
    MCPConnectionError naming it (and the tool); an error of the block comes out as itself;
    non-text results keep every block; arguments are checked before a plan's call too."""
    from tta_dev_primitives import ToolArgumentsError
    from tta_dev_primitives.mcp import MCPConnectionError

    with pytest.raises(MCPConnectionError, match=r"MCP server 'http://127.0.0.1:1/mcp': ConnectError"):
        async with mcp_tools("http://127.0.0.1:1/mcp"):
            pass
    silent = StdioServerParameters(command=sys.executable, args=["-c", "import time; time.sleep(60)"])
    with pytest.raises(MCPConnectionError, match="no answer within 1 s"):
        async with mcp_tools(silent, timeout=1):
            pass

    params = StdioServerParameters(command=sys.executable, args=["-m", "tests.fixtures.mcp_servers"], cwd=str(ROOT), env=CHILD_ENV)
    with pytest.raises(KeyError, match="mine"):
        async with mcp_tools(params):
            raise KeyError("mine")
    with pytest.raises(ExceptionGroup) as raised:  # a group of the user's own stays one, whatever its size
        async with mcp_tools(params):
            raise ExceptionGroup("mine", [ValueError("only")])
    assert raised.value.message == "mine"
    async with mcp_tools(params, call_timeout=1) as tools:
        by_name = {t.name: t for t in tools}
        assert await by_name["image"].plan.run({}) == [
            {"type": "text", "text": "a red dot"},
            {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
        ]
        with pytest.raises(ToolArgumentsError, match="'x' is not of type 'number'"):
            await by_name["add"].plan.run({"a": "x", "b": 1})
        with pytest.raises(MCPConnectionError, match="while calling its tool 'silent'"):
            await by_name["silent"].plan.run({})  # no answer within call_timeout
        with pytest.raises(MCPConnectionError, match="while calling its tool 'die'"):
            await by_name["die"].plan.run({})


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # uvicorn runs on asyncio
async def test_every_failure_is_a_readable_tool_error_and_progress_ends_at_the_final_count() -> None:
    """An exception whose message cannot be rendered, an exception group (its members listed) and
    a megabyte of bad arguments (a short message) all come back as tool errors; the last progress
    notification carries the final count."""

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    async def unprintable(x: int) -> int:
        """Fails badly."""
        raise Unprintable()

    async def grouped(x: int) -> int:
        """Fails twice at once."""
        raise ExceptionGroup("both failed", [ValueError("left"), KeyError("right")])

    def index(doc: Doc) -> int:
        """Index a document."""
        return doc.count

    ticks = node(tick)
    chain = ticks
    for _ in range(30):
        chain = chain >> ticks
    server = PlanToolServer({"unprintable": node(unprintable), "grouped": node(grouped), "index": node(index), "chain": tool(chain, name="chain", description="Count up.")})
    async with serving(server.http_app()) as url:
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            bad = await session.call_tool("unprintable", {"input": 1})
            assert bad.is_error and "Unprintable: <its message could not be rendered>" in bad.content[0].text  # type: ignore[union-attr]
            group = await session.call_tool("grouped", {"input": 1})
            assert group.is_error and "ValueError: left; KeyError: 'right'" in group.content[0].text  # type: ignore[union-attr]
            huge = await session.call_tool("index", {"title": "x" * 1_000_000, "count": "many"})
            assert huge.is_error and len(huge.content[0].text) < 2000 and "count" in huge.content[0].text  # type: ignore[union-attr]
            progress: list[float] = []

            async def on_progress(done: float, total: float | None, message: str | None) -> None:
                progress.append(done)

            counted = await session.call_tool("chain", {"input": 0}, progress_callback=on_progress)
            assert counted.structured_content == {"result": 31} and progress[-1] == max(progress) >= 31
