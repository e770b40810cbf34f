"""Fixtures of the documentation tests: the documentation's pages and their Python blocks, each
block run once per session, and the recursion limit put back after mypy runs in-process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
PAGES = (ROOT / "README.md", *sorted(DOCS.rglob("*.md")))
"""Every page of the documentation: the README (the front page) and the site's pages."""

_BLOCK = re.compile(r"(?:<!-- readme-test: (?P<marker>[\w-]+) -->\n)?```python\n(?P<code>.*?)```", re.S)


@attrs.frozen
class Block:
    """One ```python block of a page, with the marker on the line before it (if any)."""

    page: Path
    index: int  # its place among the page's blocks
    marker: str | None
    code: str

    @property
    def module(self) -> str:
        """A module name for the block, unique across pages: `guides_agents_00`."""
        stem = re.sub(r"\W", "_", str(self.page.relative_to(ROOT).with_suffix("")).replace("docs/", "", 1))
        return f"{stem}_{self.index:02d}".lower()

    @property
    def heading(self) -> str:
        """The heading the block sits under, for failure messages."""
        text = self.page.read_text()
        before = text[: text.index(self.code)]
        return next((line for line in reversed(before.splitlines()) if line.startswith("#")), "?")


def blocks(page: Path) -> list[Block]:
    """The Python blocks of one page, in order."""
    found = _BLOCK.finditer(page.read_text())
    return [Block(page, i, m.group("marker"), m.group("code")) for i, m in enumerate(found)]


def page_text(relative: str) -> str:
    """The text of a page, by its path from the repository root (`docs/guides/agents.md`)."""
    return (ROOT / relative).read_text()


BLOCKS = [block for page in PAGES for block in blocks(page)]


@pytest.fixture(autouse=True)
def _restore_recursion_limit() -> Iterator[None]:
    """mypy's API, run in-process by the blocks' type check, raises the interpreter's recursion
    limit for good; put it back, so the tests that run later see the limit they see alone (what
    is nested too deeply to walk depends on it)."""
    limit = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(limit)


RunBlock = Callable[[str], "subprocess.CompletedProcess[str]"]


@pytest.fixture(scope="session")
def run_doc_block(tmp_path_factory: pytest.TempPathFactory) -> RunBlock:
    """Run a documentation block as a script, in a directory of its own, once per session: the
    test that every block runs and the tests of what particular blocks print share the run.
    Model clients get placeholder keys (they are built, never called)."""
    runs: dict[str, subprocess.CompletedProcess[str]] = {}
    env = {**os.environ, "OPENAI_API_KEY": "sk-readme-test", "ANTHROPIC_API_KEY": "sk-ant-readme-test"}
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # boto3 finding no credentials asks the instance metadata address otherwise

    def run(code: str) -> subprocess.CompletedProcess[str]:
        if code not in runs:
            where = tmp_path_factory.mktemp("doc-block")
            (where / "doc_block.py").write_text(code)
            runs[code] = subprocess.run(
                [sys.executable, "doc_block.py"], capture_output=True, text=True, timeout=180, cwd=where, env=env
            )
        return runs[code]

    return run
