"""MCP both ways, on the official `mcp` SDK (extra `mcp`): serve compiled plans as MCP tools
(`serve_mcp`, `PlanToolServer`), and use a remote MCP server's tools as nodes and agent tools
(`mcp_tools`, `mcp_tool`)."""

from .client import MCPConnectionError, MCPToolError, mcp_tool, mcp_tools
from .server import PlanToolServer, serve_mcp

__all__ = ["MCPConnectionError", "MCPToolError", "PlanToolServer", "mcp_tool", "mcp_tools", "serve_mcp"]
