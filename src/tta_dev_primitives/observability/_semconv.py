"""Attribute names that nodes carry for trace backends, usable without the `otel` extra.

`SPAN_KIND` is OpenInference's span kind (`openinference.span.kind`: LLM, TOOL, AGENT, CHAIN,
...), which Phoenix-style backends read to show a span as a model call, a tool or an agent.
The tracing hook takes every other OpenInference name from the published
`openinference-semantic-conventions` package; a test checks these against it.
"""

from __future__ import annotations

__all__ = ["PROJECT_NAME", "SPAN_KIND"]

SPAN_KIND = "openinference.span.kind"
PROJECT_NAME = "openinference.project.name"
"""The resource attribute naming the project a backend files the spans under (Phoenix's projects)."""
