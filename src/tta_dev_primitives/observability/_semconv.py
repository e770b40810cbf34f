"""Attribute names that nodes carry for trace backends, usable without the `otel` extra.

`SPAN_KIND` is OpenInference's span kind (`openinference.span.kind`: LLM, TOOL, AGENT, CHAIN,
...), which Phoenix-style backends read to show a span as a model call, a tool or an agent;
the `TOOL_*` names describe a tool on its span (set by `tool()`, which cannot depend on the
extra). The tracing hook takes every other OpenInference name from the published
`openinference-semantic-conventions` package; a test checks these against it.
"""

from __future__ import annotations

__all__ = ["PROJECT_NAME", "SPAN_KIND", "TOOL_DESCRIPTION", "TOOL_NAME", "TOOL_PARAMETERS"]

SPAN_KIND = "openinference.span.kind"
TOOL_NAME = "tool.name"
TOOL_DESCRIPTION = "tool.description"
"""A tool span's description of the tool, as the model is told it."""
TOOL_PARAMETERS = "tool.parameters"
"""A tool span's JSON Schema of the tool's arguments, as JSON text."""
PROJECT_NAME = "openinference.project.name"
"""The resource attribute naming the project a backend files the spans under (Phoenix's projects)."""
