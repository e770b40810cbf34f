"""Golden files: EXPLAIN and JSON of a workflow that exercises every pass.

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/compiler/test_golden.py`, and
review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fixtures import rich_plan
from tta_dev_primitives import compile

GOLDEN = Path(__file__).parents[1] / "golden"


def _compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text + "\n")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text + "\n" == path.read_text(), f"{name} changed; if intended, regenerate with UPDATE_GOLDEN=1"


@pytest.fixture(scope="module")
def plan() -> object:
    return compile(rich_plan.build())


def test_explain_matches_the_golden_file(plan: object) -> None:
    _compare("rich.explain.txt", plan.explain(locations=False))  # type: ignore[attr-defined]


def test_json_matches_the_golden_file_and_round_trips(plan: object) -> None:
    text = plan.to_json(locations=False)  # type: ignore[attr-defined]
    _compare("rich.plan.json", text)
    assert json.dumps(json.loads(text), indent=2) == text


def test_golden_plan_still_runs(plan: object) -> None:
    report = plan.run_sync("  Hello   World hello  ")  # type: ignore[attr-defined]
    assert report == rich_plan.Report("hello world hello", 0.17, ["hello", "world"])
