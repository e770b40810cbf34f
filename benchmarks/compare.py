"""Compare the benchmarks of this checkout with those of an earlier commit, in the same minutes.

    python -m benchmarks.compare --base <commit> [--rounds 3] [bench_sequential bench_cache ...]
    make bench-compare BASE=<commit> [BENCH="bench_sequential bench_cache"] [ROUNDS=3]

BASE is checked out once into a worktree (`build/bench-base/<sha>`, detached). Each round runs
every benchmark twice, once on BASE's package and once on this checkout's, alternating which goes
first, so machine noise (another job, a slow minute) hits both alike. Both sides run this
checkout's benchmark code on their own package (BASE's own benchmark code when this one does not
run on BASE, and the table says so), and every figure the benchmarks print (ratios to their
peers, times, sizes) is compared: the table shows BASE's and the new median with their spread
over the rounds and new ÷ BASE, the ratio of ratios. Rows of peers (LCEL, tenacity, raw awaits)
do not change with our code: how far from 1.00 they land is the noise of that run. A change is
flagged when it is beyond 10% and the two sides' spreads do not overlap.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = (
    "bench_sequential",
    "bench_fanout",
    "bench_runs",
    "bench_resilience",
    "bench_cache",
    "bench_compile",
    "bench_observability",
    "bench_agent",
    "bench_streaming",
)
"""What `make bench` runs, in its order (the Dask, durable and scale-out benchmarks need servers:
name them to include them)."""

Key = tuple[str, str, str, str]
"""(benchmark, table title, row, column)."""

_NUMBER = re.compile(r"^\*{0,2}(-?[\d,]*\.?\d+)\s*(x|ns|µs|us|ms|s|B|KiB|MiB|GiB|%)?\*{0,2}(?:\s|$)")
_SCALE = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0, "KiB": 1024.0, "MiB": 1024.0**2, "GiB": 1024.0**3}


def value(cell: str) -> float | None:
    """The number a table cell starts with, in base units (seconds, bytes); None for text."""
    found = _NUMBER.match(cell.strip())
    if found is None:
        return None
    number = float(found[1].replace(",", ""))
    return number * _SCALE.get(found[2] or "", 1.0)


def figures(benchmark: str, printed: str) -> dict[Key, float]:
    """The numbers in the Markdown tables `printed`, keyed by benchmark, table, row and column.

    Of a table with ratio columns (`vs raw awaits`: each case against a peer measured in the
    same process, which cancels the machine's speed), only those; of any other table (times,
    sizes), every number."""
    found: dict[Key, float] = {}
    title, header = "", None
    for line in printed.splitlines():
        if line.startswith("### "):
            title, header = line[4:].strip(), None
        elif line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
                ratios = any(column.startswith("vs ") for column in header[1:])
            elif not set("".join(cells)) <= set("-: "):  # not the separator row
                for column, cell in zip(header[1:], cells[1:]):
                    number = value(cell)
                    if number is not None and (column.startswith("vs ") or not ratios):
                        found[(benchmark, title, cells[0], column)] = number
        else:
            header = None
    return found


@attrs.frozen
class Side:
    """A package to measure: its source directory, and the checkout whose benchmark code runs."""

    name: str
    src: Path
    checkout: Path

    def run(self, benchmark: str, timeout: float) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(self.src), str(self.checkout)])}
        command = [sys.executable, "-m", f"benchmarks.{benchmark}"]
        return subprocess.run(command, cwd=self.checkout, env=env, capture_output=True, text=True, timeout=timeout)


def base_worktree(commit: str) -> Path:
    """A detached worktree of `commit` under build/bench-base/, made once and reused."""
    sha = _git("rev-parse", "--verify", f"{commit}^{{commit}}").strip()
    place = ROOT / "build" / "bench-base" / sha[:12]
    if not (place / "src").is_dir():
        place.parent.mkdir(parents=True, exist_ok=True)
        _git("worktree", "add", "--detach", str(place), sha)
    return place


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


@attrs.define
class Measured:
    """What each side printed, round after round."""

    values: dict[str, dict[Key, list[float]]] = attrs.field(factory=lambda: {"base": defaultdict(list), "new": defaultdict(list)})
    own_code: set[str] = attrs.field(factory=set)
    """Benchmarks BASE ran with its own benchmark code (this checkout's does not run on it)."""
    failed: dict[tuple[str, str], str] = attrs.field(factory=dict)


def measure(benchmarks: Sequence[str], base: Path, rounds: int, timeout: float, log: bool = True) -> Measured:
    """Each benchmark on both sides, `rounds` times, alternating which side goes first."""
    new, old = Side("new", ROOT / "src", ROOT), Side("base", base / "src", ROOT)
    own = Side("base", base / "src", base)
    measured = Measured()
    for round_ in range(rounds):
        for benchmark in benchmarks:
            order = (old, new) if (round_ + benchmarks.index(benchmark)) % 2 == 0 else (new, old)
            for side in order:
                if side is old and benchmark in measured.own_code:
                    side = own
                if log:
                    print(f"round {round_ + 1}/{rounds}: {benchmark} on {side.name}", file=sys.stderr, flush=True)
                done = side.run(benchmark, timeout)
                if done.returncode != 0 and side is old:  # this checkout's benchmark needs what BASE lacks
                    measured.own_code.add(benchmark)
                    done = own.run(benchmark, timeout)
                if done.returncode != 0:
                    measured.failed[(benchmark, side.name)] = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                    continue
                for key, number in figures(benchmark, done.stdout).items():
                    measured.values[side.name][key].append(number)
    return measured


def _spread(values: Sequence[float], column: str) -> str:
    shown = [_show(v, column) for v in (statistics.median(values), min(values), max(values))]
    return f"{shown[0]} ({shown[1]}-{shown[2]})" if len(values) > 1 else shown[0]


def _show(number: float, column: str) -> str:
    """`number` as the column printed it: a ratio, a time or a size."""
    if column.startswith("vs "):
        return f"{number:.3g}x"
    if "memory" in column or "bytes" in column:
        return f"{number / 1024**2:.3g} MiB"
    if "time" in column or "median" in column or column in ("build", "compile", "per call", "per run"):
        return f"{number * 1e3:.3g} ms" if number >= 1e-3 else f"{number * 1e6:.3g} µs"
    return f"{number:.3g}"


def verdict(base: Sequence[float], new: Sequence[float]) -> str:
    """"slower" / "faster" beyond 10% with spreads apart (for figures where less is better:
    times, sizes, ratios to a peer), else ""."""
    change = statistics.median(new) / statistics.median(base)
    if change > 1.1 and min(new) > max(base):
        return "slower"
    if change < 1 / 1.1 and max(new) < min(base):
        return "faster"
    return ""


def report(measured: Measured, base_label: str) -> Iterable[str]:
    """The comparison as Markdown: one table per benchmark."""
    base, new = measured.values["base"], measured.values["new"]
    by_benchmark: dict[str, list[Key]] = defaultdict(list)
    for key in new:
        if key in base:
            by_benchmark[key[0]].append(key)
    for benchmark, keys in by_benchmark.items():
        note = " (BASE ran its own benchmark code)" if benchmark in measured.own_code else ""
        yield f"### {benchmark}{note}"
        yield ""
        yield f"| table | row | column | {base_label} | new | new ÷ base | |"
        yield "|---|---|---|---:|---:|---:|---|"
        for key in keys:
            _, title, row, column = key
            change = statistics.median(new[key]) / statistics.median(base[key]) if statistics.median(base[key]) else float("nan")
            yield f"| {title} | {row} | {column} | {_spread(base[key], column)} | {_spread(new[key], column)} | {change:.2f} | {verdict(base[key], new[key])} |"
        yield ""
    for (benchmark, side), why in measured.failed.items():
        yield f"- {benchmark} failed on {side}: {why}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the commit to compare with (a sha, a tag, HEAD~3, main)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each benchmark on each side (default 3)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds one benchmark run may take")
    parser.add_argument("benchmarks", nargs="*", help=f"benchmark modules (default: {' '.join(BENCHMARKS)})")
    args = parser.parse_args(argv)
    unknown = [b for b in args.benchmarks if not (ROOT / "benchmarks" / f"{b}.py").is_file()]
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)} in benchmarks/")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    benchmarks = list(args.benchmarks or BENCHMARKS)
    worktree = base_worktree(args.base)
    measured = measure(benchmarks, worktree, args.rounds, args.timeout)
    print(f"## {' '.join(benchmarks)}: {args.base} ({worktree.name}) against this checkout, {args.rounds} rounds, alternating\n")
    for line in report(measured, "base"):
        print(line)
    return 1 if measured.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
