"""The CLI loads targets without side effects on the interpreter and reports bad ones clearly."""

from __future__ import annotations

import contextlib
import importlib.machinery
import io
import json
import sys
from pathlib import Path

import pytest

from tta_dev_primitives.cli import main

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


def run(*argv: str) -> tuple[int, str, str]:
    """The exit code, standard output and standard error of `tta-primitives ARGV`."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), out=out)
    return code, out.getvalue(), err.getvalue()


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
