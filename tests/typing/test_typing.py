"""Typing behaviour is part of the product: run mypy (and pyright) over the snippets here.

Snippets in `pass/` must type-check under `--strict`; each `# N: Revealed type is "..."` comment
must match mypy's `reveal_type` note on that line. Snippets in `fail/` carry `# E: <message>`
comments: mypy must report exactly those errors, on exactly those lines, and no others.
Pyright (strict) must accept every `pass/` snippet and reveal the same types, and report an error
on exactly the `# E:` lines of every `fail/` snippet (its wording differs from mypy's); where
pyright reports a mistake on another line than mypy, that line carries `# PY` instead.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from tests import mypy_worker

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
PASS = sorted((HERE / "pass").glob("*.py"))
FAIL = sorted((HERE / "fail").glob("*.py"))
EXPECTATION = re.compile(r"#\s*([EN]):\s*(.+?)\s*(?=#\s*[EN]:|$)")
REPORT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<msg>.*)$")

Key = tuple[str, int]


_QUALIFIED = re.compile(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)")


def _unqualified(type_text: str) -> str:
    return _QUALIFIED.sub(r"\1", type_text)


def _expected(path: Path) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for match in EXPECTATION.finditer(line):
            found[number].append((match.group(1), match.group(2)))
    return found


def _reports_args(mypy_cache: Path) -> list[str]:
    """The arguments of the one mypy run over every snippet."""
    return [
        "--strict",
        "--config-file", str(ROOT / "pyproject.toml"),
        "--cache-dir", str(mypy_cache),
        "--show-error-codes",
        "--no-pretty",
        "--hide-error-context",
        "--no-error-summary",
        *map(str, PASS + FAIL),
    ]


@pytest.fixture(scope="module")
def mypy_reports(mypy_cache: Path) -> dict[str, dict[int, list[tuple[str, str]]]]:
    """One mypy run over every snippet; reports grouped by file name and line."""
    stdout, stderr, _ = mypy_worker.run(_reports_args(mypy_cache))
    assert not stderr, stderr
    reports: dict[str, dict[int, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for line in stdout.splitlines():
        match = REPORT.match(line)
        if match:
            kind = "E" if match["kind"] == "error" else "N"
            reports[Path(match["file"]).name][int(match["line"])].append((kind, match["msg"]))
    return reports


def _same(kind: str, wanted: str, got: str) -> bool:
    """Errors match by substring; revealed types match with module paths removed (a snippet's
    own module path depends on how the checker finds it)."""
    if kind == "N":
        return _unqualified(wanted).strip() == _unqualified(got).strip()
    return wanted in got


def _check(path: Path, reports: dict[str, dict[int, list[tuple[str, str]]]]) -> None:
    expected = _expected(path)
    actual = reports.get(path.name, {})
    problems: list[str] = []
    for line, wanted in expected.items():
        got = actual.get(line, [])
        for kind, message in wanted:
            if not any(k == kind and _same(kind, message, m) for k, m in got):
                problems.append(f"line {line}: expected {kind}: {message}\n    got: {got or 'nothing'}")
    for line, got in actual.items():
        for kind, message in got:
            if kind == "E" and not any(k == "E" and w in message for k, w in expected.get(line, [])):
                problems.append(f"line {line}: unexpected error: {message}")
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_enough_snippets() -> None:
    assert len(PASS) + len(FAIL) >= 15
    assert all(any(k == "E" for ks in _expected(p).values() for k, _ in ks) for p in FAIL)


@pytest.mark.parametrize("path", PASS, ids=lambda p: p.stem)
def test_passing_snippet(path: Path, mypy_reports: dict[str, dict[int, list[tuple[str, str]]]]) -> None:
    _check(path, mypy_reports)


@pytest.mark.parametrize("path", FAIL, ids=lambda p: p.stem)
def test_failing_snippet(path: Path, mypy_reports: dict[str, dict[int, list[tuple[str, str]]]]) -> None:
    _check(path, mypy_reports)


_PYRIGHT: list[subprocess.Popen[str]] = []
"""The pyright run over every snippet, once started."""


def _start_pyright() -> subprocess.Popen[str]:
    if not _PYRIGHT:
        _PYRIGHT.append(
            subprocess.Popen(
                [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable, "--project", str(ROOT / "pyproject.toml"), *map(str, PASS + FAIL)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                cwd=ROOT,
            )
        )
    return _PYRIGHT[0]


@pytest.fixture(scope="module")
def pyright_report() -> list[dict[str, object]]:
    """One pyright run over every snippet (started when the session starts, if its tests are
    selected: see `prefetch`): its diagnostics."""
    proc = _start_pyright()
    try:
        stdout, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    diagnostics: list[dict[str, object]] = json.loads(stdout)["generalDiagnostics"]
    return diagnostics


def _pyright_lines(path: Path) -> set[int]:
    lines = path.read_text().splitlines()
    marked = {n for n, line in enumerate(lines, start=1) if re.search(r"#\s*PY\b", line)}
    return marked or {n for n, line in enumerate(lines, start=1) if re.search(r"#\s*E:", line)}


def _line(diag: dict[str, object]) -> int:
    return int(diag["range"]["start"]["line"]) + 1  # type: ignore[index]


@pytest.mark.parametrize("path", FAIL, ids=lambda p: p.stem)
def test_pyright_rejects_failing_snippets_on_the_same_lines(path: Path, pyright_report: list[dict[str, object]]) -> None:
    errors = [d for d in pyright_report if d["severity"] == "error" and Path(str(d["file"])).name == path.name]
    assert {_line(d) for d in errors} == _pyright_lines(path), json.dumps(errors, indent=2)


def test_pyright_accepts_passing_snippets_and_agrees_on_types(pyright_report: list[dict[str, object]]) -> None:
    passing = {p.name for p in PASS}
    report = {"generalDiagnostics": [d for d in pyright_report if Path(str(d["file"])).name in passing]}
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert not errors, json.dumps(errors, indent=2)
    revealed: dict[Key, str] = {}
    for diag in report["generalDiagnostics"]:
        match = re.match(r'Type of ".*" is "(.*)"$', diag["message"], re.S)
        if diag["severity"] == "information" and match:
            revealed[(Path(diag["file"]).name, diag["range"]["start"]["line"] + 1)] = match.group(1)
    mismatches = []
    for path in PASS:
        for line, wanted in _expected(path).items():
            for kind, message in wanted:
                reveal = re.match(r'Revealed type is "(.*)"$', message)
                if kind != "N" or not reveal:
                    continue
                mypy_type = _unqualified(reveal.group(1))
                pyright_type = revealed.get((path.name, line))
                if pyright_type != mypy_type:
                    mismatches.append(f"{path.name}:{line}: mypy {mypy_type!r}, pyright {pyright_type!r}")
    assert not mismatches, "\n".join(mismatches)


INLINE_MISMATCH = """
from tta_dev_primitives import node


@node
def parse(text: str) -> int:
    return int(text)


def shout(text: str) -> str:
    return text.upper()


broken = parse >> node(shout)
"""


_SNIPPETS: dict[tuple[str, bool], list[str]] = {}
"""The mypy arguments of each inline snippet (by name, with the plugin or not), once its files are written."""


def _snippet_args(name: str, code: str, plugin: bool, tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path) -> list[str]:
    """Write `code` as `<name>.py` in a directory of its own (once per session); the arguments of
    the mypy run over it: under the project's configuration, which carries the plugin (and with
    the session's cache), or under plain `strict` without the plugin (and with a cache of its own)."""
    if (name, plugin) not in _SNIPPETS:
        where = tmp_path_factory.mktemp(f"snippet-{name}")
        snippet = where / f"{name}.py"
        snippet.write_text(code)
        if plugin:
            config, cache = ROOT / "pyproject.toml", mypy_cache
        else:
            config, cache = where / "mypy.ini", where / "cache"
            config.write_text("[mypy]\nstrict = True\n")
        _SNIPPETS[name, plugin] = ["--config-file", str(config), "--cache-dir", str(cache), "--no-pretty", str(snippet)]
    return _SNIPPETS[name, plugin]


def prefetch(names: list[str], tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path) -> None:
    """Start this module's mypy runs when the session starts (see tests/mypy_worker.py), after
    whatever warms the shared cache was started (the worker runs them in order), and its pyright
    run, in a process of its own."""
    if any(n.startswith(("test_pyright_rejects", "test_pyright_accepts")) for n in names):
        _start_pyright()
    if any(n.startswith(("test_passing_snippet", "test_failing_snippet")) for n in names):
        mypy_worker.start(_reports_args(mypy_cache))
    for plugin, id_ in ((True, "with-plugin"), (False, "without-plugin")):
        if f"{test_the_mypy_plugin_reports_inline_mismatches_between_the_steps.__name__}[{id_}]" in names:
            mypy_worker.start(_snippet_args("inline", INLINE_MISMATCH, plugin, tmp_path_factory, mypy_cache))
    if test_the_mypy_plugin_reports_a_generic_node_where_it_is_made.__name__ in names:
        mypy_worker.start(_snippet_args("generic", GENERIC_NODE, True, tmp_path_factory, mypy_cache))


@pytest.mark.parametrize(
    ("plugin", "wanted"),
    [
        (True, 'Unsupported operand types for >> ("Node[str, int]" and "Node[str, str]")'),
        (False, 'Argument 1 to "node" has incompatible type "Callable[[str], str]"; expected "Callable[[int], Awaitable[Never]]"'),
    ],
    ids=["with-plugin", "without-plugin"],
)
def test_the_mypy_plugin_reports_inline_mismatches_between_the_steps(
    plugin: bool, wanted: str, tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path
) -> None:
    """`tta_dev_primitives.mypy_plugin` is what turns mypy's report on `node()`'s async overload
    into the mismatch between the two steps (and drops the spurious "Need type annotation")."""
    stdout, stderr, _ = mypy_worker.run(_snippet_args("inline", INLINE_MISMATCH, plugin, tmp_path_factory, mypy_cache))
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert any(wanted in line for line in errors), stdout + stderr
    assert any("Need type annotation" in line for line in errors) is not plugin


GENERIC_NODE = """
from typing import TypeVar

from tta_dev_primitives import node

T = TypeVar("T")


@node
def trace(value: T) -> T:
    return value
"""


def test_the_mypy_plugin_reports_a_generic_node_where_it_is_made(tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path) -> None:
    """mypy cannot keep `node(trace)` generic; with the plugin it says so on the decorator line
    instead of solving the type variable to Never and failing wherever the node is used."""
    args = _snippet_args("generic", GENERIC_NODE, True, tmp_path_factory, mypy_cache)
    snippet = args[-1]
    stdout, stderr, _ = mypy_worker.run(args)
    assert f'{snippet}:9: error: node() cannot keep generic function "trace" generic under mypy; compose the plain function with >>' in stdout, stdout + stderr
