"""A tiny harness: run cases side by side, interleaved, and print medians and ratios.

Each case is an async callable doing one unit of work. Rounds alternate between cases so that
machine noise hits all of them alike; every round times enough calls to last `round_seconds`.
"""

from __future__ import annotations

import gc
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from importlib import metadata

import attrs

AsyncCase = Callable[[], Awaitable[object]]


@attrs.frozen
class Case:
    name: str
    run: AsyncCase
    units: int = 1  # e.g. steps or branches per call, to report per-unit cost


@attrs.frozen
class Result:
    case: Case
    median_s: float
    samples: tuple[float, ...]


async def _calibrate(case: Case, round_seconds: float) -> int:
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            await case.run()
        elapsed = time.perf_counter() - start
        if elapsed >= round_seconds / 4 or n >= 1_000_000:
            return max(1, int(n * round_seconds / max(elapsed, 1e-9)))
        n *= 4


async def measure(cases: Sequence[Case], *, rounds: int = 11, round_seconds: float = 0.05) -> list[Result]:
    """Median seconds per call of each case, over interleaved rounds."""
    for case in cases:  # warm up: first calls pay one-off costs (lazy imports, cache misses)
        for _ in range(10):
            await case.run()
    loops = {c.name: await _calibrate(c, round_seconds) for c in cases}
    samples: dict[str, list[float]] = {c.name: [] for c in cases}
    gc.collect()
    for _ in range(rounds):
        for case in cases:
            n = loops[case.name]
            start = time.perf_counter()
            for _ in range(n):
                await case.run()
            samples[case.name].append((time.perf_counter() - start) / n)
    return [Result(c, statistics.median(samples[c.name]), tuple(samples[c.name])) for c in cases]


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def table(title: str, results: Sequence[Result], *, baseline: str, unit: str = "unit") -> str:
    """A Markdown table of medians, per-unit cost and ratio against the `baseline` case."""
    base = next(r for r in results if r.case.name == baseline).median_s
    lines = [f"### {title}", "", f"| case | median per call | per {unit} | vs {baseline} |", "|---|---:|---:|---:|"]
    for r in results:
        ratio = r.median_s / base
        lines.append(f"| {r.case.name} | {_fmt(r.median_s)} | {_fmt(r.median_s / r.case.units)} | {ratio:.2f}x |")
    return "\n".join(lines)


def environment(*packages: str) -> str:
    """Python, machine and package versions, to print beside the results."""
    versions = []
    for name in packages:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    cpu = platform.processor() or platform.machine()
    return f"Python {sys.version.split()[0]} on {platform.system()} {cpu}; " + ", ".join(versions)
