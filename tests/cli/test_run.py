"""`tta-primitives run`: JSON `--input` becomes the plan's input type by the conversion tools and
MCP use (refusing what does not fit, in one line naming the field), one item at a time with
`--map`; the progress line is drawn on terminals only."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tta_dev_primitives.cli import main

ROOT = Path(__file__).parents[2]

TYPED = '''
from __future__ import annotations

import dataclasses
from typing import TypedDict

import attrs
import msgspec

from tta_dev_primitives import node


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0


@attrs.frozen
class Box:
    name: str
    corners: list[Point]


class Query(TypedDict):
    text: str
    limit: int


class Order(msgspec.Struct):
    item: str
    qty: int = 1


def norm(p: Point) -> float:
    return abs(p.x) + abs(p.y)


def size(box: Box) -> str:
    return f"{box.name}: {len(box.corners)} corners, first at {box.corners[0].x}"


def search(q: Query) -> list[str]:
    return [q["text"]] * q["limit"]


def total(order: Order) -> str:
    return f"{order.qty} x {order.item}"


def shout(text: str) -> str:
    return text.upper()


def twice(n: int) -> int:
    return 2 * n


def anything(value: object) -> str:
    return type(value).__name__


point, box, query, order = node(norm), node(size), node(search), node(total)
text, number, untyped = node(shout), node(twice), node(anything)
'''


@pytest.fixture
def typed(tmp_path: Path) -> str:
    (tmp_path / "typed_flows.py").write_text(TYPED)
    return f"{tmp_path}/typed_flows.py"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), out=out)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("attr", "given", "expected"),
    [
        ("point", '{"x": 3, "y": -4}', 7.0),  # a dataclass (a default left out below)
        ("point", '{"x": -2}', 2.0),
        ("box", '{"name": "b", "corners": [{"x": 1.5}, {"x": 2, "y": 2}]}', "b: 2 corners, first at 1.5"),  # attrs, nested dataclasses
        ("query", '{"text": "hi", "limit": 2}', ["hi", "hi"]),  # a TypedDict
        ("order", '{"item": "tea"}', "1 x tea"),  # a msgspec Struct
        ("text", '"hello"', "HELLO"),  # plain JSON values as before
        ("number", "21", 42),
        ("untyped", '{"k": [1]}', "dict"),  # `object` takes any JSON as it is
    ],
)
def test_json_input_becomes_the_plans_input_type(typed: str, attr: str, given: str, expected: object) -> None:
    code, text, err = run("run", f"{typed}:{attr}", "--input", given)
    assert (code, err) == (0, "") and json.loads(text) == expected


@pytest.mark.parametrize(
    ("attr", "given", "says"),
    [
        ("point", '{"x": 1, "z": 2}', "invalid --input={'x': 1, 'z': 2}; expected a Point (Object contains unknown field `z`; its fields are `x`, `y`)"),
        ("point", '{"x": "far"}', "expected a Point (Expected `float`, got `str` - at `$.x`)"),
        ("point", "{}", "expected a Point (Object missing required field `x`)"),
        ("box", '{"name": "b", "corners": [{"x": 1, "w": 2}]}', "(Object at `$.corners[0]` contains unknown field `w`; its fields are `x`, `y`)"),
        ("query", '{"text": "hi"}', "expected a Query (Object missing required field `limit`)"),
        ("order", '{"item": "tea", "qty": "lots"}', "expected an Order (Expected `int`, got `str` - at `$.qty`)"),
        ("text", "5", "invalid --input=5; expected a str (Expected `str`, got `int`)"),
    ],
)
def test_json_that_does_not_fit_is_one_line_naming_the_field(typed: str, attr: str, given: str, says: str) -> None:
    code, text, err = run("run", f"{typed}:{attr}", "--input", given)
    assert (code, text) == (2, "") and err.startswith("error: JSONInputError: plan '")
    assert says in err and len(err.splitlines()) == 1


def test_map_converts_each_item_and_names_the_one_that_does_not_fit(typed: str) -> None:
    code, text, _ = run("run", f"{typed}:point", "--map", "--input", '[{"x": 1}, {"x": 2, "y": 2}]')
    assert code == 0 and json.loads(text) == [1.0, 4.0]
    code, text, err = run("run", f"{typed}:point", "--map", "--input", '[{"x": 1}, {"x": 2, "q": 2}]')
    assert (code, text) == (2, "") and err.startswith("error: JSONInputError: plan 'norm': invalid --input[1]={'x': 2, 'q': 2}")


def test_a_bare_word_for_a_text_plan_is_refused_with_the_quoting_it_needs(typed: str) -> None:
    code, text, err = run("run", f"{typed}:text", "--input", "hello")
    assert (code, text) == (2, "") and err == "error: --input is not JSON: Expecting value: line 1 column 1 (char 0) (a string is quoted: --input '\"hello\"')\n"
    code, _, err = run("run", f"{typed}:number", "--input", "many")
    assert code == 2 and "quoted" not in err


# -- the --map progress line ----------------------------------------------------------------


def _map(typed: str, stderr: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tta_dev_primitives", "run", f"{typed}:number", "--map", "--input", "[1, 2, 3]"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT)


def test_no_progress_line_when_stderr_is_not_a_terminal(typed: str) -> None:
    process = _map(typed, subprocess.PIPE)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0 and json.loads(out) == [2, 4, 6]
    assert err == b""  # a log file or a pipe gets no carriage returns


def test_the_progress_line_is_drawn_on_a_terminal(typed: str) -> None:
    leader, follower = pty.openpty()
    try:
        process = _map(typed, follower)
        os.close(follower)
        out, _ = process.communicate(timeout=120)
        drawn = b""
        with contextlib.suppress(OSError):  # EIO once the process is gone and everything is read
            while chunk := os.read(leader, 4096):
                drawn += chunk
    finally:
        os.close(leader)
    assert process.returncode == 0 and json.loads(out) == [2, 4, 6]
    assert b"\r3/3 done" in drawn and drawn.count(b"\r") >= 3


def test_the_progress_line_follows_isatty(typed: str) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    with contextlib.redirect_stderr(err):
        assert main(["run", f"{typed}:number", "--map", "--input", "[1, 2]"], out=io.StringIO()) == 0
    assert err.getvalue().startswith("\r") and err.getvalue().endswith("2/2 done\n")


PLAIN = """
from dataclasses import dataclass

from tta_dev_primitives import node


@dataclass
class Point:
    x: float


def shout(text: str) -> str:
    return text.upper()


def total(numbers: list[int]) -> int:
    return sum(numbers)


def norm(p: Point) -> float:
    return abs(p.x)


text, numbers, point = node(shout), node(total), node(norm)
"""


def test_without_msgspec_plain_json_still_runs_and_a_class_input_says_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """msgspec converts JSON into classes; plans taking plain JSON values do not need it."""
    (tmp_path / "plain_flows.py").write_text(PLAIN)
    monkeypatch.setitem(sys.modules, "msgspec", None)  # importing it raises ImportError
    flows = f"{tmp_path}/plain_flows.py"
    assert run("run", f"{flows}:text", "--input", '"hi"') == (0, '"HI"\n', "")
    assert run("run", f"{flows}:numbers", "--input", "[1, 2]") == (0, "3\n", "")
    code, text, err = run("run", f"{flows}:point", "--input", '{"x": 1}')
    assert (code, text) == (2, "") and len(err.splitlines()) == 1
    assert err.startswith("error: --input cannot be read as a Point:") and "tta-dev-primitives[agents]" in err
