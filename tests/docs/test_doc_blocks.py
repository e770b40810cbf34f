"""Every Python block of the documentation (README.md and docs/**/*.md) is a complete program: it
runs as written (imports included), on the embedded defaults, and type checks under `mypy
--strict`. The block that shows what mypy catches must fail with exactly the errors its comments
name, on the lines above them.

A block may carry a marker, an HTML comment on the line before it:
`<!-- readme-test: mypy-errors -->` (the errors are the point) or
`<!-- readme-test: allow-untyped-calls -->` (it calls an untyped library: Dask's constructors).
Tests elsewhere check what particular blocks print (tests/docs/test_doc_outputs.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests import mypy_worker

from tests.docs.conftest import BLOCKS, ROOT, Block, RunBlock

ERROR = re.compile(r"^# error: (?P<message>.*)$")
MYPY_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")


def test_the_documentation_has_its_blocks() -> None:
    assert len(BLOCKS) >= 24
    assert [block.marker for block in BLOCKS].count("mypy-errors") == 1
    assert any(block.page == ROOT / "README.md" for block in BLOCKS)
    assert len({block.module for block in BLOCKS}) == len(BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[block.module for block in BLOCKS])
def test_every_block_runs_as_written(block: Block, run_doc_block: RunBlock) -> None:
    proc = run_doc_block(block.code)
    where = f"{block.page.relative_to(ROOT)} block {block.index} under {block.heading!r}"
    assert proc.returncode == 0, f"{where} failed:\n{proc.stderr[-3000:]}"


def _expected_errors(code: str) -> dict[int, str]:
    """`# error: message` comments (continued on `#        ` lines), by the line they follow."""
    expected: dict[int, str] = {}
    lines = code.splitlines()
    for number, line in enumerate(lines, start=1):
        match = ERROR.match(line)
        if match is None:
            continue
        message = match.group("message")
        for more in lines[number:]:
            if not more.startswith("#        "):
                break
            message += " " + more[1:].strip()
        target = next(n for n in range(number - 1, 0, -1) if not lines[n - 1].startswith("#"))
        expected[target] = re.match(r"(.*\[[\w-]+\])", message).group(1)  # type: ignore[union-attr]  # what follows the [code] is commentary
    return expected


_TYPE_CHECK: list[str] = []
"""The arguments of the one mypy run over every block, once its files are written."""


def _type_check_args(tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path) -> list[str]:
    """Every block of every page as a module of its own in one directory (written once per
    session), and the arguments of the mypy run over them."""
    if not _TYPE_CHECK:
        where = tmp_path_factory.mktemp("doc-blocks-mypy")
        config = ["[mypy]", "strict = True", "warn_unreachable = True", "plugins = tta_dev_primitives.mypy_plugin"]
        for block in BLOCKS:
            (where / f"{block.module}.py").write_text(block.code)
            if block.marker == "allow-untyped-calls":
                config += [f"[mypy-{block.module}]", "allow_untyped_calls = True"]
        (where / "mypy.ini").write_text("\n".join(config) + "\n")
        _TYPE_CHECK.extend(
            ["--config-file", str(where / "mypy.ini"), "--cache-dir", str(mypy_cache), "--no-pretty", "--show-error-codes",
             "--hide-error-context", "--no-error-summary", *sorted(str(where / f"{b.module}.py") for b in BLOCKS)]
        )
    return _TYPE_CHECK


def prefetch(names: list[str], tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path) -> None:
    """Start the blocks' mypy run when the session starts (see tests/mypy_worker.py)."""
    if test_every_block_type_checks_and_the_error_block_fails_as_it_says.__name__ in names:
        mypy_worker.start(_type_check_args(tmp_path_factory, mypy_cache))


def test_every_block_type_checks_and_the_error_block_fails_as_it_says(tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path) -> None:
    """One mypy run over every block of every page (each a module of its own)."""
    stdout, stderr, _ = mypy_worker.run(_type_check_args(tmp_path_factory, mypy_cache))
    found: dict[str, dict[int, str]] = {}
    for line in stdout.splitlines():
        match = MYPY_LINE.match(line)
        assert match is not None or " note: " in line, line
        if match is not None:
            found.setdefault(Path(match.group("file")).stem, {})[int(match.group("line"))] = match.group("message")
    errors_block = next(block for block in BLOCKS if block.marker == "mypy-errors")
    expected = _expected_errors(errors_block.code)
    assert len(expected) >= 5
    assert found.pop(errors_block.module, {}) == expected
    assert found == {}, stderr
