"""Every Python block of the README is a complete program: it runs as written (imports
included), on the embedded defaults, and type checks under `mypy --strict`. The block that shows
what mypy catches must fail with exactly the errors its comments name, on the lines above them.

A block may carry a marker, an HTML comment on the line before it:
`<!-- readme-test: mypy-errors -->` (the errors are the point) or
`<!-- readme-test: allow-untyped-calls -->` (it calls an untyped library: Dask's constructors).
Tests elsewhere check what particular blocks print (tests/docs/test_readme.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api

from tests.docs.conftest import RunBlock

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"(?:<!-- readme-test: (?P<marker>[\w-]+) -->\n)?```python\n(?P<code>.*?)```", re.S)
BLOCKS = [(m.group("marker"), m.group("code")) for m in BLOCK.finditer(README)]
ERROR = re.compile(r"^# error: (?P<message>.*)$")
MYPY_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")


def module(index: int) -> str:
    return f"readme_block_{index:02d}"


def _heading(index: int) -> str:
    code = BLOCKS[index][1]
    before = README[: README.index(code)]
    return next((line for line in reversed(before.splitlines()) if line.startswith("#")), "?")


def test_the_readme_has_its_blocks() -> None:
    assert len(BLOCKS) >= 20
    assert [marker for marker, _ in BLOCKS].count("mypy-errors") == 1


@pytest.mark.parametrize("index", range(len(BLOCKS)), ids=[module(i) for i in range(len(BLOCKS))])
def test_every_block_runs_as_written(index: int, run_readme_block: RunBlock) -> None:
    proc = run_readme_block(BLOCKS[index][1])
    assert proc.returncode == 0, f"README block {index} under {_heading(index)!r} failed:\n{proc.stderr[-3000:]}"


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


def test_every_block_type_checks_and_the_error_block_fails_as_it_says(tmp_path: Path, mypy_cache: Path) -> None:
    config = ["[mypy]", "strict = True", "warn_unreachable = True", "plugins = tta_dev_primitives.mypy_plugin"]
    for index, (marker, code) in enumerate(BLOCKS):
        (tmp_path / f"{module(index)}.py").write_text(code)
        if marker == "allow-untyped-calls":
            config += [f"[mypy-{module(index)}]", "allow_untyped_calls = True"]
    (tmp_path / "mypy.ini").write_text("\n".join(config) + "\n")
    stdout, stderr, _ = api.run(
        ["--config-file", str(tmp_path / "mypy.ini"), "--cache-dir", str(mypy_cache), "--no-pretty", "--show-error-codes",
         "--hide-error-context", "--no-error-summary", *sorted(str(p) for p in tmp_path.glob("readme_block_*.py"))]
    )
    found: dict[str, dict[int, str]] = {}
    for line in stdout.splitlines():
        match = MYPY_LINE.match(line)
        assert match is not None or " note: " in line, line
        if match is not None:
            found.setdefault(Path(match.group("file")).stem, {})[int(match.group("line"))] = match.group("message")
    errors_block = next(i for i, (marker, _) in enumerate(BLOCKS) if marker == "mypy-errors")
    expected = _expected_errors(BLOCKS[errors_block][1])
    assert len(expected) >= 5
    assert found.pop(module(errors_block), {}) == expected
    assert found == {}, stderr
