"""`benchmarks.compare`: reading the figures the benchmarks print, and judging a change only
when it is beyond the noise of both sides."""

from __future__ import annotations

import pytest

from benchmarks.compare import Measured, figures, report, value, verdict

PRINTED = """\
### 10-step chain

| case | median per call | per step | vs raw awaits |
|---|---:|---:|---:|
| raw awaits | 2.59 µs | 0.26 µs | 1.00x |
| plan, no hooks | 5.61 µs | 0.56 µs | 2.17x |

per node: something said in prose, 3.0x
### long chains

| workflow | build | compile | memory kept by the plan |
|---|---:|---:|---:|
| 10,000 steps | 1,200 ms | **96 ms** | 4.5 MiB |
"""


def test_every_number_in_every_table_is_read_in_base_units() -> None:
    found = figures("bench_x", PRINTED)
    assert found[("bench_x", "10-step chain", "plan, no hooks", "vs raw awaits")] == pytest.approx(2.17)
    assert ("bench_x", "10-step chain", "raw awaits", "median per call") not in found  # a ratio column says it better
    assert found[("bench_x", "long chains", "10,000 steps", "build")] == pytest.approx(1.2)
    assert found[("bench_x", "long chains", "10,000 steps", "compile")] == pytest.approx(0.096)
    assert found[("bench_x", "long chains", "10,000 steps", "memory kept by the plan")] == pytest.approx(4.5 * 1024**2)
    assert len(found) == 5  # ratios only where a table has them; prose is not a table


@pytest.mark.parametrize("cell", ["raw awaits", "", "n/a", "x1"])
def test_text_is_not_a_figure(cell: str) -> None:
    assert value(cell) is None


def test_a_change_counts_only_beyond_ten_percent_and_the_spread() -> None:
    assert verdict([1.0, 1.02, 0.98], [1.3, 1.25, 1.35]) == "slower"
    assert verdict([1.0, 1.02, 0.98], [0.7, 0.75, 0.72]) == "faster"
    assert verdict([1.0, 1.5, 0.9], [1.3, 1.25, 1.35]) == ""  # the spreads overlap: noise
    assert verdict([1.0, 1.02, 0.98], [1.05, 1.06, 1.04]) == ""  # within 10%


def test_the_report_shows_both_sides_and_new_over_base() -> None:
    measured = Measured()
    key = ("bench_x", "10-step chain", "plan, no hooks", "vs raw awaits")
    measured.values["base"][key] += [2.0, 2.1, 1.9]
    measured.values["new"][key] += [1.0, 1.1, 0.9]
    lines = list(report(measured, "base"))
    assert "| 10-step chain | plan, no hooks | vs raw awaits | 2x (1.9x-2.1x) | 1x (0.9x-1.1x) | 0.50 | faster |" in lines
