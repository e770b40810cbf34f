"""MCP both ways, on the official `mcp` SDK (extra `mcp`): serve compiled plans as MCP tools
(`serve_mcp`, `PlanToolServer`; over HTTP behind a bearer token, `StaticTokenVerifier` or an OAuth
verifier of your own), and use a remote MCP server's tools as nodes and agent tools
(`mcp_tools`, `mcp_tool`)."""

from ._client import MCPConnectionError, MCPToolError, mcp_tool, mcp_tools
from ._server import PlanToolServer, StaticTokenVerifier, serve_mcp

__all__ = ["MCPConnectionError", "MCPToolError", "PlanToolServer", "StaticTokenVerifier", "mcp_tool", "mcp_tools", "serve_mcp"]
