"""The `tta-primitives` command line: explain, graph, check and run."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tta_dev_primitives.cli import main

ROOT = Path(__file__).parent.parent
QUICKSTART = "examples/quickstart.py:pipeline"
RICH = "tests.fixtures.rich_plan:build"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_explain_prints_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, text = run("explain", QUICKSTART, "--no-locations")
    assert code == 0 and text.startswith("plan 'qa'  str -> Answer") and "analysis:" in text
    code, text = run("explain", RICH, "--disable", "prune")
    assert code == 0 and "prune            off (disabled)" in text


def test_graph_formats(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    code, text = run("graph", QUICKSTART, "--format", "mermaid")
    assert code == 0 and text.startswith("flowchart TD")
    code, text = run("graph", QUICKSTART, "--format", "dot", "-o", str(tmp_path / "plan.dot"))
    assert code == 0 and (tmp_path / "plan.dot").read_text().startswith("digraph plan {")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed (apt-get install graphviz); CI installs it")
    code, text = run("graph", QUICKSTART, "--format", "svg", "-o", str(tmp_path / "plan.svg"))
    assert code == 0 and "<svg" in (tmp_path / "plan.svg").read_text()


def test_check_passes_good_plans_and_fails_bad_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, text = run("check", RICH)
    assert code == 0 and "warning: [timeout-outside-retry]" in text and text.rstrip().endswith("1 lint warning(s)")
    code, text = run("check", RICH, "--strict")
    assert code == 1 and "LintError" in text
    code, text = run("check", RICH, "--max-cost", "0.001")
    assert code == 1 and "BudgetError" in text and "worst-case cost $0.006 exceeds the budget of $0.001" in text
    code, text = run("check", "tests.fixtures.rich_plan:nope")
    assert code == 1 and "has no attribute 'nope'" in text


def test_run_single_input_and_map(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    code, text = run("run", RICH, "--input", '"b a"')
    assert code == 0 and json.loads(text) == {"summary": "b a", "score": 0.03, "keywords": ["a", "b"]}
    code, text = run("run", RICH, "--input", '["x", "y y"]', "--map", "--concurrency", "2")
    assert code == 0 and [r["summary"] for r in json.loads(text)] == ["x", "y y"]
    assert "2/2 done" in capsys.readouterr().err
    code, text = run("run", RICH, "--input", "not json")
    assert code == 2 and "--input is not JSON" in text


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "tta-primitives"
    proc = subprocess.run([str(script), "check", QUICKSTART], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("ok: plan 'qa' compiled")


def test_compile_options_on_an_already_compiled_plan_are_applied_or_refused(tmp_path: Path) -> None:
    import io

    from tta_dev_primitives.cli import main

    (tmp_path / "lintplan.py").write_text(
        "from tta_dev_primitives import compile, node\n"
        "def call(x: int) -> int:\n    return x\n"
        "plan = compile(node(call).retry().retry())\n"
    )
    out = io.StringIO()
    assert main(["check", f"{tmp_path}/lintplan.py:plan"], out=out) == 0
    assert main(["check", f"{tmp_path}/lintplan.py:plan", "--strict"], out=out) == 1 and "LintError" in out.getvalue()
    refused = io.StringIO()
    assert main(["check", f"{tmp_path}/lintplan.py:plan", "--disable", "cse"], out=refused) == 1
    assert "already compiled: --disable apply when compiling" in refused.getvalue()


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
