"""The `tta-primitives` command line: explain, graph, check and run; loading targets without side
effects on the interpreter, and bad targets, failures and closed streams reported in one line."""

from __future__ import annotations

import contextlib
import importlib.machinery
import io
import os
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tta_dev_primitives.cli import main

ROOT = Path(__file__).parents[2]
QUICKSTART = "examples/quickstart.py:pipeline"
RICH = "tests.fixtures.rich_plan:build"


def run(*argv: str) -> tuple[int, str, str]:
    """The exit code, standard output and standard error of `tta-primitives ARGV`."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), out=out)
    return code, out.getvalue(), err.getvalue()


def test_explain_prints_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, text, _ = run("explain", QUICKSTART, "--no-locations")
    assert code == 0 and text.startswith("plan 'qa'  str -> Answer") and "analysis:" in text
    code, text, _ = run("explain", RICH, "--disable", "prune")
    assert code == 0 and "prune            off (disabled)" in text


def test_graph_formats(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    code, text, _ = run("graph", QUICKSTART, "--format", "mermaid")
    assert code == 0 and text.startswith("flowchart TD")
    code, text, _ = run("graph", QUICKSTART, "--format", "dot", "-o", str(tmp_path / "plan.dot"))
    assert code == 0 and (tmp_path / "plan.dot").read_text().startswith("digraph plan {")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed (apt-get install graphviz); CI installs it")
    code, text, _ = run("graph", QUICKSTART, "--format", "svg", "-o", str(tmp_path / "plan.svg"))
    assert code == 0 and "<svg" in (tmp_path / "plan.svg").read_text()


def test_check_passes_good_plans_and_fails_bad_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, text, _ = run("check", RICH)
    assert code == 0 and "warning: [timeout-outside-retry]" in text and text.rstrip().endswith("1 lint warning(s)")
    code, text, err = run("check", RICH, "--strict")
    assert code == 1 and text == "" and err.startswith("error: LintError")
    code, text, err = run("check", RICH, "--max-cost", "0.001")
    assert code == 1 and text == "" and "BudgetError" in err and "worst-case cost $0.006 exceeds the budget of $0.001" in err
    code, text, err = run("check", "tests.fixtures.unpriced_agent:build", "--max-cost", "100")  # no price: never taken for $0
    assert code == 1 and text == "" and "BudgetError" in err and "worst-case cost unknown: a model call has no cost bound: 'my-local-llama'" in err
    code, text, err = run("check", "tests.fixtures.rich_plan:nope")
    assert code == 1 and text == "" and "has no attribute 'nope'" in err
    code, text, err = run("check", "tests.fixtures.rich_plan:nope", "--json")  # the JSON report is the result: stdout
    assert code == 1 and json.loads(text)["ok"] is False and err == ""


def test_run_single_input_and_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, text, _ = run("run", RICH, "--input", '"b a"')
    assert code == 0 and json.loads(text) == {"summary": "b a", "score": 0.03, "keywords": ["a", "b"]}
    code, text, err = run("run", RICH, "--input", '["x", "y y"]', "--map", "--concurrency", "2")
    assert code == 0 and [r["summary"] for r in json.loads(text)] == ["x", "y y"]
    assert err == ""  # stderr is no terminal here: no progress line (see tests/cli/test_run.py)
    code, text, err = run("run", RICH, "--input", "not json")
    assert code == 2 and text == "" and err.startswith("error: --input is not JSON")
    code, text, err = run("run", RICH, "--input", '"x"', "--map")
    assert code == 2 and text == "" and err == "error: --map needs a JSON list as --input\n"


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "tta-primitives"
    proc = subprocess.run([str(script), "check", QUICKSTART], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("ok: plan 'qa' compiled")


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "tta_dev_primitives", "check", QUICKSTART], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("ok: plan 'qa' compiled")
    proc = subprocess.run([sys.executable, "-m", "tta_dev_primitives", "explain", "tests.fixtures.rich_plan:nope"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1 and proc.stdout == "" and proc.stderr.startswith("error: TargetError:")


def test_compile_options_on_an_already_compiled_plan_are_applied_or_refused(tmp_path: Path) -> None:
    (tmp_path / "lintplan.py").write_text(
        "from tta_dev_primitives import compile, node\n"
        "def call(x: int) -> int:\n    return x\n"
        "plan = compile(node(call).retry().retry())\n"
    )
    assert run("check", f"{tmp_path}/lintplan.py:plan")[0] == 0
    code, _, err = run("check", f"{tmp_path}/lintplan.py:plan", "--strict")
    assert code == 1 and err.startswith("error: LintError")
    code, _, err = run("check", f"{tmp_path}/lintplan.py:plan", "--disable", "cse")
    assert code == 1 and "already compiled: --disable apply when compiling" in err


def test_a_failing_run_or_map_is_a_report_naming_the_node_and_the_item(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "flowfail.py").write_text("from tta_dev_primitives import node\n\n\ndef parse(text: str) -> int:\n    return int(text)\n\n\npipeline = node(parse)\n")
    out = io.StringIO()
    assert main(["run", f"{tmp_path}/flowfail.py:pipeline", "--input", '["1", "x", "3"]', "--map"], out=out) == 1
    assert out.getvalue() == ""  # the report is on stderr: `run ... > out.json` stays clean
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip() and "done" not in line]
    assert lines[0].startswith("error: ParallelError: 1 of 3 items of plan 'parse'.map failed (item 1)")
    assert lines[1] == "  error: ValueError: invalid literal for int() with base 10: 'x'"
    assert "    in item 1 of plan 'parse'.map" in lines
    assert main(["run", f"{tmp_path}/flowfail.py:pipeline", "--input", '"x"'], out=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ValueError: invalid literal") and "in 'parse' (function" in err


def _cli(*argv: str, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """`tta-primitives ARGV` in a fresh interpreter in ROOT, its stderr captured (and its stdout unless given)."""
    command = [sys.executable, "-m", "tta_dev_primitives.cli", *argv]
    return subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)


def test_errors_go_to_stderr_and_leave_stdout_empty() -> None:
    proc = _cli("explain", "tests.fixtures.rich_plan:nope")  # `tta-primitives explain ... > out.txt`
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("error: TargetError: target 'tests.fixtures.rich_plan:nope'") and len(proc.stderr.splitlines()) == 1


def test_an_error_with_stdout_closed_is_reported_without_a_traceback() -> None:
    read, write = os.pipe()
    os.close(read)  # `tta-primitives explain ... | true`: the reader is gone
    try:
        proc = _cli("explain", "tests.fixtures.rich_plan:nope", stdout=write)
    finally:
        os.close(write)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: TargetError:") and len(proc.stderr.splitlines()) == 1


class _ClosedPipe(io.StringIO):
    """A stream whose reader has gone away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("argv", [["explain", "tests.fixtures.rich_plan:nope"], ["run", RICH, "--input", "not json"], ["explain", RICH]])
def test_closed_output_streams_end_the_command_quietly(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    monkeypatch.chdir(ROOT)
    with contextlib.redirect_stderr(_ClosedPipe()):  # the error report's stream is closed too
        assert main(argv, out=_ClosedPipe()) == 1  # no BrokenPipeError escapes


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("def keyed(x: int) -> dict[tuple[int, int], str]:\n    return {(x, x): 'pair'}\n", "keys must be str, int, float, bool or None, not tuple"),
        ("def keyed(x: int) -> list[object]:\n    loop: list[object] = [x]\n    loop.append(loop)\n    return loop\n", "Circular reference detected"),
    ],
)
def test_a_result_that_is_not_json_is_one_error_line(tmp_path: Path, body: str, reason: str) -> None:
    (tmp_path / "unjson.py").write_text(f"from tta_dev_primitives import node\n\n{body}\npipeline = node(keyed)\n")
    target = f"{tmp_path}/unjson.py:pipeline"
    code, text, err = run("run", target, "--input", "1")
    assert (code, text) == (1, "") and err == f"error: the result of {target!r} is not JSON-serialisable: {reason}\n"
    code, text, err = run("run", target, "--input", "[1, 2]", "--map")
    assert (code, text) == (1, "") and err.endswith(f"error: the result of {target!r} is not JSON-serialisable: {reason}\n")


@pytest.mark.parametrize(
    "argv",
    [["explain", QUICKSTART, "-o"], ["graph", QUICKSTART, "-o"], ["check", QUICKSTART, "--json", "-o"], ["apm", "--write", "--file"]],
)
def test_an_unwritable_output_file_is_one_error_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str]) -> None:
    monkeypatch.chdir(ROOT)
    missing = tmp_path / "no_such_dir" / "out.txt"
    code, text, err = run(*argv, str(missing))
    assert (code, text) == (1, "") and err == f"error: cannot write {missing}: No such file or directory\n"


def test_the_cli_exits_quietly_when_its_reader_goes_away(tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text(
        "from tta_dev_primitives import node\n\n"
        + "".join(f"def step{i}(x: int) -> int:\n    return x\n\n" for i in range(200))
        + "pipeline = " + " >> ".join(f"node(step{i})" for i in range(200)) + "\n"
    )
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written, as after `| head` exits
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tta_dev_primitives.cli", "explain", "flows:pipeline"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(tmp_path)},
            timeout=120,
        )
    finally:
        os.close(write)
    assert proc.returncode == 1
    assert proc.stderr == ""  # no traceback, no "Exception ignored" at exit


# -- loading targets ---------------------------------------------------------------------------


FLOW = """
from tta_dev_primitives import node

def shout(text: str) -> str:
    return text.upper()

pipeline = node(shout, name="shout")

def build():
    return pipeline

def needs_args(x):
    return pipeline
"""


def test_a_file_target_never_shadows_a_standard_module(tmp_path: Path) -> None:
    target = tmp_path / "json.py"  # a user's file that happens to share a stdlib module's name
    target.write_text(FLOW)
    code, text, _ = run("run", f"{target}:pipeline", "--input", '"hi"')
    assert code == 0 and json.loads(text) == "HI"
    assert sys.modules["json"] is json and hasattr(sys.modules["json"], "dumps")
    code, text, _ = run("run", f"{target}:build", "--input", '"x"')
    assert code == 0 and json.loads(text) == "X"


def test_loading_targets_does_not_grow_sys_path(tmp_path: Path) -> None:
    target = tmp_path / "flow.py"
    target.write_text(FLOW)
    run("explain", f"{target}:pipeline")
    before = len(sys.path)
    for _ in range(5):
        assert run("explain", f"{target}:pipeline")[0] == 0
    assert len(sys.path) == before


@pytest.mark.parametrize("target", ["os:abort", "os:getcwd", "builtins:print", "json:dumps"])
def test_only_workflow_factories_of_the_target_module_are_called(target: str) -> None:
    code, _, text = run("explain", target)  # `os:abort` used to abort the process
    assert code == 1 and "expected a Node, a Plan, or a function of this module" in text


def test_functions_that_need_arguments_are_not_called(tmp_path: Path) -> None:
    target = tmp_path / "flow.py"
    target.write_text(FLOW)
    code, _, text = run("explain", f"{target}:needs_args")
    assert code == 1 and "no required arguments" in text


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import no_such_module_anywhere\n", "ModuleNotFoundError"),
        ("def broken(:\n", "SyntaxError"),
        ("raise RuntimeError('config missing')\n", "RuntimeError: config missing"),
        ("def build():\n    raise ValueError('no key')\n", "calling build() failed: ValueError: no key"),
        ("def build():\n    return 42\n", "build() returned int"),
    ],
)
def test_import_errors_are_one_clear_line(tmp_path: Path, source: str, expected: str) -> None:
    target = tmp_path / "bad_flow.py"
    target.write_text(source)
    code, out, text = run("check", f"{target}:build")
    assert code == 1 and out == "" and expected in text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1


def test_a_missing_module_is_one_clear_line() -> None:
    code, _, text = run("check", "no_such_pkg.flows:pipeline")
    assert code == 1 and "cannot import module 'no_such_pkg.flows'" in text and "Traceback" not in text


def test_a_file_target_cannot_shadow_a_module_imported_later(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # restored after the test
    (tmp_path / "colorsys.py").write_text(FLOW)  # a stdlib name this process may import later
    (tmp_path / "_tta_sibling_helper.py").write_text("SUFFIX = '!'\n")
    (tmp_path / "flow_with_sibling.py").write_text(FLOW + "from _tta_sibling_helper import SUFFIX\n")
    assert run("explain", f"{tmp_path / 'colorsys.py'}:pipeline")[0] == 0
    found = importlib.machinery.PathFinder.find_spec("colorsys")  # what `import colorsys` would load now
    assert found is not None and found.origin is not None and Path(found.origin).parent != tmp_path
    try:  # the file's own sibling imports still work
        assert run("run", f"{tmp_path / 'flow_with_sibling.py'}:pipeline", "--input", '"a"')[:2] == (0, '"A"\n')
    finally:
        sys.modules.pop("_tta_sibling_helper", None)
