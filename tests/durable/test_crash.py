"""Crash tests: a process running a durable saga is killed with SIGKILL at points hypothesis
chooses; resumed runs must end as an uninterrupted run does, with every effect once.

The only effect allowed to repeat is the one a kill interrupted after the effect happened but
before its journal record was acknowledged (at-least-once, as any journal gives): those keys are
predicted exactly, so a completed node that ran again, or an effect that went missing, fails."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

WORKER = Path(__file__).parents[1] / "fixtures" / "durable_worker.py"


def attempt(tmp: Path, run_id: str, decline: bool, kill_at: int | None) -> int:
    argv = [sys.executable, str(WORKER), str(tmp / "journal.db"), str(tmp / "effects"), str(tmp / "result"), run_id, "1" if decline else "0"]
    if kill_at is not None:
        argv.append(str(kill_at))
    return subprocess.run(argv, timeout=60, check=False).returncode


def effects(tmp: Path) -> list[tuple[str, str]]:
    path = tmp / "effects"
    lines = path.read_text().splitlines() if path.exists() else []
    return [tuple(line.split(" ", 1)) for line in lines]  # type: ignore[misc]


def run_through(tmp: Path, decline: bool, kills: list[int]) -> tuple[dict[str, object], list[tuple[str, str]], int]:
    """Kill attempts at `kills` (each counted within its own process), then finish; returns the
    outcome, the effects, and how many attempts died."""
    for name in ("effects", "result"):
        (tmp / name).unlink(missing_ok=True)
    (tmp / "journal.db").unlink(missing_ok=True)
    died = 0
    for kill_at in kills:
        before = len(effects(tmp))
        code = attempt(tmp, "run", decline, kill_at)
        if code == -signal.SIGKILL:
            died += 1
            # a kill after an effect and before its record: that effect will be done once more
            after = effects(tmp)
            if kill_at % 2 == 1 and len(after) > before:
                expected_repeats.append(after[-1])
        else:
            assert code == 0, code
            break
    assert attempt(tmp, "run", decline, None) == 0
    return json.loads((tmp / "result").read_text()), effects(tmp), died


expected_repeats: list[tuple[str, str]] = []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(decline=st.booleans(), kills=st.lists(st.integers(min_value=0, max_value=15), min_size=1, max_size=3))
def test_killed_runs_resume_to_the_uninterrupted_result(tmp_path: Path, decline: bool, kills: list[int]) -> None:
    baseline_dir = tmp_path / "baseline"
    crashed_dir = tmp_path / "crashed"
    baseline_dir.mkdir(exist_ok=True)
    crashed_dir.mkdir(exist_ok=True)
    expected_repeats.clear()
    baseline, baseline_effects, _ = run_through(baseline_dir, decline, [])
    expected_repeats.clear()
    outcome, crashed_effects, died = run_through(crashed_dir, decline, kills)
    assert outcome == baseline
    # the same effects, by idempotency key...
    assert sorted(set(crashed_effects)) == sorted(baseline_effects)
    # ...each once, except those a kill caught between the effect and its acknowledgement
    counts = collections.Counter(crashed_effects)
    repeats = collections.Counter(expected_repeats)
    for effect, count in counts.items():
        assert count == 1 + repeats[effect], (effect, count, expected_repeats, kills)


def test_the_worker_is_killed_where_it_is_told(tmp_path: Path) -> None:
    """The harness itself: a kill point inside the run kills the process (so the property above
    exercises crashes, not only clean runs)."""
    assert attempt(tmp_path, "probe", False, 0) == -signal.SIGKILL
    assert effects(tmp_path) == []
    assert attempt(tmp_path, "probe", False, None) == 0
    assert json.loads((tmp_path / "result").read_text()) == {"result": "order-1/seat/paid in 3 parcels"}
    assert [name for name, _ in effects(tmp_path)] == ["reserve", "charge", "pack", "pack", "pack", "confirm"]
