"""Rules the documentation keeps: a short front page, a changelog in Keep a Changelog form, no
internal history in the user docs, and relative links that lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.conftest import PAGES, ROOT

CHANGELOG = ROOT / "CHANGELOG.md"
LINK = re.compile(r"!?\[[^\]]*\]\((?P<target>[^)\s]+)\)")
SEED = re.compile(r"\bseed(?:-\w+|'s|\s+(?:README|package|product|description|primitives?|tests?|API|names?|classes|base|forms?|examples?)\b)|\bthe seed\b|\(seed\b", re.I)  # the jargon, not the model setting
"""The word for the original package in its early days; a random seed is allowed."""
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _prose(page: Path) -> str:
    """A page without its code blocks (code may say anything)."""
    return FENCE.sub("", page.read_text())


def _ids(pages: tuple[Path, ...]) -> list[str]:
    return [str(page.relative_to(ROOT)) for page in pages]


def test_the_readme_is_a_front_page() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300


def test_the_changelog_follows_keep_a_changelog() -> None:
    text = CHANGELOG.read_text()
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com" in text
    versions = re.findall(r"^## (.*)$", text, re.M)
    assert versions[0] == "[Unreleased]"
    assert len(versions) >= 2
    for version in versions[1:]:
        assert re.fullmatch(r"\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", version), version
    kinds = set(re.findall(r"^### (.*)$", text, re.M))
    assert kinds and kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


@pytest.mark.parametrize("page", (*PAGES, CHANGELOG), ids=_ids((*PAGES, CHANGELOG)))
def test_no_internal_history(page: Path) -> None:
    """User docs say what is, not which ticket or review it came from, and call the package this
    one replaces "the original package"."""
    text = page.read_text()
    assert re.findall(r"\bissues? #?\d+|#\d+ issue", text, re.I) == []
    assert SEED.findall(text) == []


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_installs_come_from_a_checkout_or_a_built_wheel(page: Path) -> None:
    """The package is not on PyPI: no page may tell people to install it from an index. Adding an
    extra by name to the installed package works (pip takes the package from what is installed):
    the missing-extra errors say so, and pages may quote them in `text` blocks."""
    prose = re.sub(r"```text\n.*?```", "", page.read_text(), flags=re.S)
    installs = re.findall(r"pip install[^\n`]*tta[-_]dev[-_]primitives(?![-_][\d.]+-py3)", prose)
    assert installs == [] or (page.name == "getting-started.md" and installs == ["pip install 'tta-dev-primitives"])


def _broken_links(page: Path) -> list[str]:
    """The relative links and images of a page whose file does not exist."""
    broken = []
    for match in LINK.finditer(_prose(page)):
        target = match.group("target").split("#", 1)[0]
        if target and not re.match(r"^[a-z][a-z0-9+.-]*:", target) and not (page.parent / target).exists():
            broken.append(match.group(0))
    return broken


@pytest.mark.parametrize("page", (*PAGES, CHANGELOG), ids=_ids((*PAGES, CHANGELOG)))
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    assert _broken_links(page) == []


def test_the_link_check_finds_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "there.md").write_text("# There\n")
    page.write_text("[a](missing.md), [b](there.md#part), [c](#here), [d](https://example.org), ![e](gone.png)\n")
    assert _broken_links(page) == ["[a](missing.md)", "![e](gone.png)"]
    assert SEED.findall("a random seed, seed=7, the Seed README, seed-style") == ["the Seed", "seed-style"]


def test_the_api_reference_has_a_page_per_public_module() -> None:
    documented = {p.stem for p in (ROOT / "docs" / "reference").glob("*.md")}
    for page in (ROOT / "docs" / "reference").glob("*.md"):
        assert f"::: {page.stem}\n" in page.read_text()
    nav = (ROOT / "mkdocs.yml").read_text()
    assert {name for name in documented if f"reference/{name}.md" not in nav} == set()
    assert {"tta_dev_primitives", "tta_dev_primitives.dsl", "tta_dev_primitives.stdlib.llm", "tta_dev_primitives.mcp"} <= documented


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_no_prose_line_starts_a_blockquote_by_accident(page: Path) -> None:
    """A wrapped line that begins with `>>` (an operator in a code span) renders as a nested
    quote with broken code; no page quotes anything, so no prose line starts with `>`."""
    prose = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)
    assert [line for line in prose.splitlines() if line.lstrip().startswith(">")] == []
