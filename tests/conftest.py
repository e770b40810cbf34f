"""Shared test configuration: every async test runs on both asyncio and trio."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.provider_server import ProviderServer


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    """A loopback HTTP server playing a model provider for the real SDKs (see
    tests/fixtures/provider_server.py), stopped after the test."""
    with ProviderServer().running() as running:
        yield running


RunBlock = Callable[[str], "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="session")
def run_readme_block(tmp_path_factory: pytest.TempPathFactory) -> RunBlock:
    """Run a README block as a script, in a directory of its own, once per session: the test
    that every block runs and the tests of what particular blocks print share the run. Model
    clients get placeholder keys (they are built, never called)."""
    runs: dict[str, subprocess.CompletedProcess[str]] = {}
    env = {**os.environ, "OPENAI_API_KEY": "sk-readme-test", "ANTHROPIC_API_KEY": "sk-ant-readme-test"}

    def run(code: str) -> subprocess.CompletedProcess[str]:
        if code not in runs:
            where = tmp_path_factory.mktemp("readme-block")
            (where / "readme_block.py").write_text(code)
            runs[code] = subprocess.run(
                [sys.executable, "readme_block.py"], capture_output=True, text=True, timeout=180, cwd=where, env=env
            )
        return runs[code]

    return run


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every mypy run under the project's own configuration (pyproject.toml,
    with its plugin): the package is analysed once per session, not once per test."""
    return tmp_path_factory.mktemp("mypy-cache")
