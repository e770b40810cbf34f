"""The optional extras and what they provide: one way for the package and its example scripts to
say that an extra is missing.

The core (`pip install tta-dev-primitives`) needs attrs, typing-extensions and anyio only; each
integration is an extra (`pip install 'tta-dev-primitives[agents]'`, or `pip install -e
'.[agents]'` in a checkout). Code that needs one calls `require(module, extra, who)`, which
raises `MissingExtraError` naming the extra (an ImportError); a script calls
`exit_if_missing("agents")` first, which stops it with one line instead of a traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from .errors import MissingExtraError

__all__ = ["EXTRAS", "MissingExtraError", "exit_if_missing", "missing", "require"]

EXTRAS: Mapping[str, tuple[str, ...]] = {
    "otel": (
        "opentelemetry.sdk",
        "opentelemetry.exporter.otlp.proto.http",
        "opentelemetry.exporter.otlp.proto.grpc",
        "openinference.semconv",
    ),
    "prometheus": ("prometheus_client",),
    "redis": ("redis",),
    "msgpack": ("msgpack",),
    "agents": ("msgspec",),
    "durable": ("msgspec",),
    "postgres": ("msgspec", "psycopg"),
    "dask": ("distributed", "cloudpickle"),
    "openai": ("openai", "msgspec"),
    "anthropic": ("anthropic", "msgspec"),
    "web": ("starlette", "uvicorn", "sse_starlette"),
    "mcp": ("mcp", "uvicorn", "msgspec"),
    "apm": ("msgspec",),
    "examples": ("msgspec", "starlette", "uvicorn", "sse_starlette", "mcp"),
}
"""The modules each user-facing extra makes importable (by import name; a test checks them
against the extras' requirements in pyproject.toml)."""


def require(module: str, extra: str, who: str) -> ModuleType:
    """`module`, imported; MissingExtraError ("`who` needs `module`: pip install
    'tta-dev-primitives[`extra`]'") when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(who, module, extra) from None


def missing(extra: str) -> tuple[str, ...]:
    """The modules of `extra` that cannot be imported here (empty when it is installed)."""
    absent: list[str] = []
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            absent.append(module)
    return tuple(absent)


def exit_if_missing(*extras: str) -> None:
    """For scripts, before their imports: exit with one line on stderr naming the first missing
    extra and how to install it (no traceback), or return when every one is installed."""
    for extra in extras:
        absent = missing(extra)
        if absent:
            script = Path(sys.argv[0]).name or "this script"
            raise SystemExit(str(MissingExtraError(script, ", ".join(absent), extra)))
