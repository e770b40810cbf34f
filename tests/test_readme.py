"""The README's Python snippets are part of the product: the quick start must run and type check."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def _quick_start() -> str:
    section = README.split("## Quick start", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has no python block under 'Quick start'"
    return match.group(1)


@pytest.fixture(scope="module")
def quick_start_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("readme") / "readme_quick_start.py"
    path.write_text(_quick_start())
    return path


def test_quick_start_runs(quick_start_file: Path) -> None:
    proc = subprocess.run([sys.executable, str(quick_start_file)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "plan 'normalize >> ... >> <lambda> ? greet : answer (3 steps)'" in proc.stdout
    assert "1 passage(s) for 'what is a plan?'" in proc.stdout


def test_quick_start_type_checks(quick_start_file: Path, tmp_path: Path) -> None:
    stdout, stderr, status = api.run(["--strict", "--cache-dir", str(tmp_path), str(quick_start_file)])
    assert status == 0, stdout + stderr
