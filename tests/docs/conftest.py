"""Fixtures of the documentation tests: README blocks run once per session, and the recursion limit
put back after mypy runs in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest


@pytest.fixture(autouse=True)
def _restore_recursion_limit() -> Iterator[None]:
    """mypy's API, run in-process by the README type check, raises the interpreter's recursion limit
    for good; put it back, so the tests that run later see the limit they see alone (what is
    nested too deeply to walk depends on it)."""
    limit = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(limit)


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
