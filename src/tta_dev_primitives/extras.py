"""The optional extras and what they provide: one way for the package and its example scripts to
say that an extra is missing (and for scripts, to end quietly when their reader goes away).

The core (`pip install tta-dev-primitives`) needs attrs, typing-extensions and anyio only; each
integration is an extra (`pip install 'tta-dev-primitives[agents]'`, or `pip install -e
'.[agents]'` in a checkout). Code that needs one calls `require(module, extra, who)` (one module)
or `require_extra(extra, who)` (all of it), which raise `MissingExtraError` naming the extra (an
ImportError); a script calls `exit_if_missing("agents")` first, which stops it with one line
instead of a traceback.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType

from .errors import MissingExtraError

__all__ = [
    "EXTRAS",
    "MissingExtraError",
    "exit_if_missing",
    "missing",
    "quiet_closed_pipes",
    "quiet_on_closed_pipe",
    "require",
    "require_extra",
]

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
    "supabase": ("supabase", "pydantic"),
    "original": ("pydantic", "yaml"),
    "integrations": ("pydantic", "yaml", "openai", "anthropic", "ollama", "supabase"),
    "anthropic": ("anthropic", "msgspec"),
    "gemini": ("google.genai", "msgspec"),
    "ollama": ("ollama", "msgspec"),
    "groq": ("groq", "msgspec"),
    "mistral": ("mistralai", "msgspec"),
    "bedrock": ("boto3", "msgspec"),
    "huggingface": ("huggingface_hub", "msgspec"),
    "web": ("starlette", "uvicorn", "sse_starlette"),
    "mcp": ("mcp", "uvicorn", "msgspec"),
    "apm": ("msgspec", "opentelemetry.sdk", "prometheus_client"),
    "examples": ("msgspec", "starlette", "uvicorn", "sse_starlette", "mcp"),
}
"""The modules each user-facing extra makes importable (by import name; a test checks them
against the extras' requirements in pyproject.toml)."""


def require(module: str, extra: str, who: str) -> ModuleType:
    """`module`, imported; MissingExtraError ("`who` needs `module`: pip install
    'tta-dev-primitives[`extra`]'") when it is not installed. Hot paths call it (a tool's
    arguments are decoded with msgspec on every call), so a module already imported is returned
    from `sys.modules` without the import machinery."""
    loaded = sys.modules.get(module)
    if loaded is not None:
        return loaded
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


def require_extra(extra: str, who: str) -> None:
    """Return when every module of `extra` imports; else MissingExtraError ("`who` needs `modules`:
    pip install 'tta-dev-primitives[`extra`]'"), naming all the missing ones, so one install fixes it."""
    absent = missing(extra)
    if absent:
        raise MissingExtraError(who, ", ".join(absent), extra)


def exit_if_missing(*extras: str, who: str | None = None) -> None:
    """For scripts, before their imports: exit with one line on stderr naming the first missing
    extra and how to install it (no traceback), or return when every one is installed. The line
    says `who` needs it (default: the script's file name)."""
    try:
        for extra in extras:
            require_extra(extra, who or Path(sys.argv[0]).name or "this script")
    except MissingExtraError as error:
        raise SystemExit(str(error)) from None


@contextlib.contextmanager
def quiet_on_closed_pipe() -> Iterator[None]:
    """For a script's `main`: output cut short by its reader (`python script.py | head -1`) ends
    it with exit code 1 and no traceback, as the `tta-primitives` commands end."""
    try:
        yield
        sys.stdout.flush()  # buffered output meets the closed pipe here, not at interpreter exit
    except BrokenPipeError:
        quiet_closed_pipes()
        raise SystemExit(1) from None


def quiet_closed_pipes() -> None:
    """Point stdout and stderr at devnull where their reader is gone (flushing fails): else
    Python reports the failed flush at exit."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # its reader is gone (or the stream is closed)
            with contextlib.suppress(OSError, ValueError):
                fd = stream.fileno()
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, fd)
                os.close(devnull)
