"""`apm.yml`, the package's Agent Package Manager metadata, generated from the package itself:
its version, core dependencies and Python requirement (from the installed distribution's
metadata), the MCP tools it ships (`mcp._devtools.DEVTOOLS`: names, descriptions, arguments) and
its public exports (`__all__`). `tta-primitives apm --write` rewrites the file; a test fails
when it has drifted from the package.
"""

from __future__ import annotations

import importlib.metadata
import json
import textwrap

from .extras import require

__all__ = ["DISTRIBUTION", "render_apm"]

DISTRIBUTION = "tta-dev-primitives"
DESCRIPTION = (
    "Typed dataflow DSL with compiled execution plans for LLM agent workflows: generically typed "
    "nodes, a compiler that type-checks every edge and explains the plan, and an anyio executor "
    "with hooks for observability."
)


def _quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar (JSON strings are valid YAML), whitespace collapsed."""
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def _core_dependencies() -> list[str]:
    """The requirements outside every extra (an environment marker of their own is kept)."""
    requirements = importlib.metadata.requires(DISTRIBUTION) or []
    return sorted(r.replace(" ", "") if ";" not in r else r for r in requirements if "extra ==" not in r)


def _tools() -> list[str]:
    # the tools' argument schemas are msgspec's: the `apm` extra carries it
    require("msgspec", "apm", "apm.yml (the argument schemas of its MCP tools)")
    from .mcp._devtools import DEVTOOLS

    lines: list[str] = []
    for tool in DEVTOOLS:
        properties, required = tool.parameters.get("properties"), tool.parameters.get("required")
        names = list(properties) if isinstance(properties, dict) else []
        needed = set(required) if isinstance(required, list) else set()
        lines += [
            f"        - name: {tool.name}",
            f"          description: {_quoted(tool.description)}",
            f"          required: [{', '.join(n for n in names if n in needed)}]",
            f"          optional: [{', '.join(n for n in names if n not in needed)}]",
        ]
    return lines


def render_apm() -> str:
    """The text `apm.yml` must have for the installed package."""
    import tta_dev_primitives

    metadata = importlib.metadata.metadata(DISTRIBUTION)
    exports = [name for name in tta_dev_primitives.__all__ if name != "__version__"]
    lines = [
        "# Agent Package Manager (APM) metadata: MCP-compatible package description.",
        "# Generated from the package by `tta-primitives apm --write`; tests/test_package.py checks it.",
        f"name: {DISTRIBUTION}",
        f"version: {_quoted(tta_dev_primitives.__version__)}",  # quoted: 1.10 must not read as a float
        "type: library",
        "category: development-tools",
        "description: >-",
        *textwrap.wrap(DESCRIPTION, 78, initial_indent="  ", subsequent_indent="  "),
        f"python: {_quoted(metadata['Requires-Python'] or '>=3.11')}",
        "entrypoint: tta_dev_primitives",
        "dependencies:",
        *(f"  - {_quoted(requirement) if ';' in requirement else requirement}" for requirement in _core_dependencies()),
        "mcp:",
        "  servers:",
        "    - name: tta-primitives-devtools",
        "      description: " + _quoted("Explain, type check and draw this project's workflows, for coding agents."),
        "      command: tta-primitives",
        "      args: [mcp, devtools]",
        "      transport: stdio",
        f"      requires: {_quoted(DISTRIBUTION + '[mcp]')}",
        "      tools:",
        *_tools(),
        "exports:",
        *(f"  - {name}" for name in exports),
    ]
    return "\n".join(lines) + "\n"
