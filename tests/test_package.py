"""Package metadata: apm.yml lists the real public API, and the package ships its type info."""

from __future__ import annotations

import ast
import functools
import inspect
import sys
import typing
from pathlib import Path
from typing import Any

import tta_dev_primitives

ROOT = Path(__file__).parent.parent


def _apm_field(name: str) -> str:
    for line in (ROOT / "apm.yml").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"apm.yml has no {name!r}")


def _apm_exports() -> list[str]:
    lines = (ROOT / "apm.yml").read_text().splitlines()
    start = lines.index("exports:") + 1
    exports = []
    for line in lines[start:]:
        if not line.startswith("  - "):
            break
        exports.append(line[4:].strip())
    return exports


def test_apm_metadata_matches_the_package() -> None:
    assert _apm_field("name") == "tta-dev-primitives"
    assert _apm_field("version") == f'"{tta_dev_primitives.__version__}"' 
    assert _apm_field("type") == "library"
    assert _apm_field("category") == "development-tools"
    public = [n for n in tta_dev_primitives.__all__ if n != "__version__"]
    assert _apm_exports() == public
    assert all(hasattr(tta_dev_primitives, n) for n in public)


def test_apm_yml_is_generated_from_the_package_and_current(tmp_path: Path) -> None:
    """apm.yml is what `tta-primitives apm` renders from the installed package: exports, core
    dependencies and the MCP tools it ships. Regenerate with `tta-primitives apm --write`."""
    import io

    import yaml

    from tta_dev_primitives.apm_metadata import render_apm
    from tta_dev_primitives.cli import main
    from tta_dev_primitives.mcp._devtools import DEVTOOLS

    assert (ROOT / "apm.yml").read_text() == render_apm(), "apm.yml is stale: run tta-primitives apm --write"
    parsed = yaml.safe_load(render_apm())
    assert parsed["exports"] == [n for n in tta_dev_primitives.__all__ if n != "__version__"]
    assert [t["name"] for t in parsed["mcp"]["servers"][0]["tools"]] == [t.name for t in DEVTOOLS]
    assert {d.split(">")[0] for d in parsed["dependencies"]} == {"anyio", "attrs", "typing-extensions"}
    out = io.StringIO()
    assert main(["apm", "--check", "--file", str(ROOT / "apm.yml")], out=out) == 0
    stale = tmp_path / "apm.yml"
    stale.write_text(render_apm().replace("  - Node\n", ""))
    assert main(["apm", "--check", "--file", str(stale)], out=out) == 1 and "out of date" in out.getvalue()


def test_package_is_typed() -> None:
    assert (Path(tta_dev_primitives.__file__).parent / "py.typed").exists()


def _mentions_any(tp: object) -> bool:
    if tp is Any:
        return True
    return any(_mentions_any(arg) for arg in typing.get_args(tp))


def _namespace() -> dict[str, object]:
    """Names that public signatures mention only under TYPE_CHECKING."""
    import random

    import anthropic
    import openai

    from tta_dev_primitives.stdlib import cache, clock, guard
    from tta_dev_primitives.stdlib.recovery import budget, retry

    from opentelemetry.context import Context
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer
    from prometheus_client import CollectorRegistry
    from distributed import Client

    from tta_dev_primitives.compiler._ir import Edge
    from tta_dev_primitives.executor import backends
    from tta_dev_primitives.executor.backends import portable

    names: dict[str, object] = {
        "Client": Client,
        "random": random,
        "openai": openai,
        "anthropic": anthropic,
        "Context": Context,
        "SpanExporter": SpanExporter,
        "Span": Span,
        "Tracer": Tracer,
        "CollectorRegistry": CollectorRegistry,
        "Edge": Edge,  # TypeMismatchError's, in tta_dev_primitives.errors (which imports nothing of the package)
    }
    for module in (tta_dev_primitives, cache, clock, guard, budget, retry, backends, portable):
        names.update(vars(module))
    return names


_NAMESPACE = _namespace()


@functools.cache
def _checking_names(module_name: str) -> dict[str, object]:
    """What a module imports under `if TYPE_CHECKING:` (a provider client's SDK types), run as
    the module would: its signatures name them."""
    module = sys.modules[module_name]
    names: dict[str, object] = {"__name__": module_name, "__package__": module.__package__}
    for statement in ast.parse(inspect.getsource(module)).body:
        if isinstance(statement, ast.If) and ast.unparse(statement.test) == "TYPE_CHECKING":
            exec(compile(ast.Module(statement.body, []), module_name, "exec"), names)
    return names


def _signatures(obj: object) -> list[tuple[str, object]]:
    """(where, annotation) for every public function, overload and method signature of `obj`."""
    found: list[tuple[str, object]] = []
    functions: list[tuple[str, object]] = []
    if inspect.isclass(obj):
        for name, member in vars(obj).items():
            if name.startswith("_") and name not in ("__init__", "__rshift__"):
                continue
            target = member.fget if isinstance(member, property) else member
            if inspect.isfunction(target):
                functions.append((f"{obj.__qualname__}.{name}", target))
    elif inspect.isfunction(obj):
        functions.append((obj.__qualname__, obj))
    for where, fn in functions:
        overloads = typing.get_overloads(fn)  # type: ignore[arg-type]
        for candidate in overloads or [fn]:
            hints = typing.get_type_hints(candidate, localns={**_NAMESPACE, **_checking_names(candidate.__module__)})
            found.extend((f"{where}: {param}", tp) for param, tp in hints.items())
    return found


def test_no_any_leaks_through_the_public_api() -> None:
    leaks = [
        where
        for name in tta_dev_primitives.__all__
        for where, tp in _signatures(getattr(tta_dev_primitives, name))
        if _mentions_any(tp)
    ]
    assert not leaks, leaks


def test_the_demo_needs_only_the_core_dependencies() -> None:
    """`make demo` installs the package alone: the quickstart must run with nothing importable
    beyond the standard library and the core dependencies (attrs, typing-extensions, anyio and
    anyio's own idna). A module imported from some other installed package (sniffio came in
    through the dev extras once) fails here instead of on a user's fresh install."""
    import subprocess
    import sys
    import textwrap

    guard = textwrap.dedent(
        """
        import runpy, sys
        allowed = set(sys.stdlib_module_names) | {"attrs", "attr", "typing_extensions", "anyio", "idna", "tta_dev_primitives"}

        class CoreOnly:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] not in allowed:
                    raise ModuleNotFoundError(f"{name} is not a core dependency", name=name)
                return None

        sys.meta_path.insert(0, CoreOnly())
        sys.argv = sys.argv[1:]  # the script sees its own command line, as `python examples/quickstart.py` gives it
        runpy.run_path(sys.argv[0], run_name="__main__")
        """
    )
    proc = subprocess.run([sys.executable, "-c", guard, str(ROOT / "examples" / "quickstart.py")], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "->" in proc.stdout
