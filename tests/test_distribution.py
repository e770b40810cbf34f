"""What `make dist` builds: a wheel with the whole package, its type information, its entry points
and extras, and an sdist it can be rebuilt from. Built once per session with `python -m build`
(without build isolation when hatchling is installed, so no network is needed)."""

from __future__ import annotations

import email.parser
import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.extras import OPTIONAL, ROOT, SELF, distribution

USER_FACING = {
    "otel", "prometheus", "redis", "msgpack", "agents", "durable", "postgres", "dask", "web", "mcp",
    "openai", "anthropic", "gemini", "ollama", "groq", "mistral", "bedrock", "huggingface", "supabase", "original",
}
"""The extras `all` holds: every integration (not dev, bench, docs; tracing, apm and the original's
integrations are aliases of parts of it, examples a subset)."""


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist), built from this checkout."""
    if importlib.util.find_spec("build") is None:
        if os.environ.get("CI"):
            pytest.fail("the `build` package is missing (it is in the dev extra)")
        pytest.skip("the `build` package is not installed (pip install build)")
    out = tmp_path_factory.mktemp("dist")
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-isolation"]
    proc = subprocess.run([sys.executable, "-m", "build", *isolation, "--outdir", str(out), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(out.iterdir())
    return wheels[0], sdists[0]


def _metadata(wheel: zipfile.ZipFile, name: str) -> str:
    info = next(n for n in wheel.namelist() if n.endswith(f".dist-info/{name}"))
    return wheel.read(info).decode()


def test_the_wheel_holds_every_module_and_the_type_information(built: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(built[0]) as wheel:
        names = set(wheel.namelist())
    source = ROOT / "src"
    modules = {str(p.relative_to(source)) for p in (source / "tta_dev_primitives").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    assert "tta_dev_primitives/py.typed" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_the_wheel_declares_the_pytest_plugin_and_the_console_script(built: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(built[0]) as wheel:
        entry_points = _metadata(wheel, "entry_points.txt")
    assert "[pytest11]\ntta_dev_primitives = tta_dev_primitives.stdlib.testing.pytest_plugin" in entry_points
    assert "[console_scripts]\ntta-primitives = tta_dev_primitives.cli:main" in entry_points


def test_the_all_extra_installs_every_integration(built: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(built[0]) as wheel:
        metadata = email.parser.Parser().parsestr(_metadata(wheel, "METADATA"))
    assert "all" in metadata.get_all("Provides-Extra", [])
    in_all = {distribution(r) for r in metadata.get_all("Requires-Dist", []) if r.replace('"', "'").endswith("extra == 'all'")}
    wanted = {distribution(r) for extra in USER_FACING for r in OPTIONAL[extra] if not r.startswith(SELF)}
    assert in_all == wanted
    declared = set(OPTIONAL) - {"all", "dev", "bench", "docs", "tracing", "apm", "integrations", "examples"}
    assert declared == USER_FACING  # a new extra is either in `all` or named here as not user-facing


def test_the_sdist_has_what_the_wheel_is_built_from_and_no_local_files(built: tuple[Path, Path]) -> None:
    with tarfile.open(built[1]) as sdist:
        names = {name.partition("/")[2] for name in sdist.getnames()}
    assert {"pyproject.toml", "README.md", "src/tta_dev_primitives/__init__.py", "src/tta_dev_primitives/py.typed"} <= names
    local = [n for n in names if n.split("/")[0] in {".venv", "dist", "build", ".mypy_cache", ".import_linter_cache"} or n == "examples/static/mermaid.min.js"]
    assert local == []
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode == 0:  # a checkout: nothing git does not hold (a journal an example left, a database)
        files = {n for n in names if n and not n.endswith("/")} - {"PKG-INFO"}
        assert sorted(files - set(tracked.stdout.splitlines())) == []
