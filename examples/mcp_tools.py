"""Plans served as MCP tools, and used back through MCP (extra `mcp`).

Needs: pip install -e '.[mcp]'

    python examples/mcp_tools.py                  # serves `add`, `count` and `explode` over stdio
    tta-primitives mcp serve examples/mcp_tools.py:add examples/mcp_tools.py:count --http --port 8765

Any MCP client can list and call these tools; `mcp_tools(...)` turns them back into nodes.
"""

from __future__ import annotations

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


async def main() -> None:
    await serve_mcp([add, count, compile(explode)], transport="http" if "--http" in sys.argv else "stdio")


if __name__ == "__main__":
    anyio.run(main)
