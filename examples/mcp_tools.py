"""Plans served as MCP tools (extra `mcp`): `add`, `count` (which reports progress) and `explode`
(which always fails, to see a tool error).

Needs: pip install -e '.[mcp]'

    python examples/mcp_tools.py                  # over stdio, for an MCP client that starts it
    python examples/mcp_tools.py --http           # streamable HTTP at http://127.0.0.1:8765/mcp
    tta-primitives mcp serve examples/mcp_tools.py:add examples/mcp_tools.py:count --http --port 8765

Any MCP client can list and call these tools; in Python, `mcp_tools(...)` turns them back into nodes.
"""

from __future__ import annotations

import argparse
import functools
import sys
from dataclasses import dataclass

import anyio

from tta_dev_primitives import compile, for_each, node, tool
from tta_dev_primitives.extras import exit_if_missing
from tta_dev_primitives.mcp import serve_mcp

exit_if_missing("mcp")  # one line naming the extra, not a traceback deep in the library


@dataclass(frozen=True)
class Numbers:
    a: float
    b: float


@dataclass(frozen=True)
class Sum:
    total: float


@node
def adder(numbers: Numbers) -> Sum:
    """Add two numbers."""
    return Sum(numbers.a + numbers.b)


@node
def steps(n: int) -> list[int]:
    return list(range(n))


@node
async def tick(i: int) -> int:
    await anyio.sleep(0.01)
    return i


@node
def how_many(done: list[int]) -> int:
    return len(done)


@node
def explode(reason: str) -> str:
    """Always fails (to see a tool error)."""
    raise RuntimeError(f"exploded: {reason}")


add = compile(adder.named("add"))
count = tool(
    compile((steps >> for_each(tick, concurrency=1) >> how_many).named("count")),
    description="Count to n slowly, reporting each finished step as progress.",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http", action="store_true", help="serve streamable HTTP (default: stdio)")
    parser.add_argument("--host", default="127.0.0.1", help="with --http: the address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="with --http: the port (default 8765)")
    args = parser.parse_args()
    tools = [add, count, compile(explode)]
    if args.http:  # the start line goes to stderr, as over stdio, where stdout is the protocol's

        def listening(url: str) -> None:
            print(f"serving add, count, explode over MCP streamable HTTP at {url} (Ctrl-C stops)", file=sys.stderr, flush=True)

        try:
            anyio.run(functools.partial(serve_mcp, tools, transport="http", host=args.host, port=args.port, on_listening=listening))
        except OSError as error:  # the port is taken: one line, not a traceback
            sys.exit(f"cannot listen on {args.host} port {args.port}: {error.strerror or error}")
        return
    if sys.stdin.isatty():  # a person, not an MCP client, started it: say why it waits
        print(
            "serving add, count, explode over MCP on stdin/stdout, for an MCP client that starts this script "
            "(e.g. npx @modelcontextprotocol/inspector python examples/mcp_tools.py); or run it with --http. Ctrl-C stops",
            file=sys.stderr, flush=True,
        )
    anyio.run(functools.partial(serve_mcp, tools, transport="stdio"))


if __name__ == "__main__":
    main()
