"""Scale-out on Dask: maps of a 1 ms node, and the per-task cost of a remote node.

The node is 1 ms of CPU (a busy loop: the work a cluster is for; an await would not need one).
Cases, side by side in one process, against one LocalCluster of 2 worker processes with one
thread each on 127.0.0.1:

- map of N items: LocalBackend (`xs.map(busy.remote())`, in this process, once), DaskBackend
  (`xs.map(busy.remote(DaskBackend(client)), concurrency=64)`) and Dask itself
  (`client.gather(client.map(busy, items))`, all items submitted at once), the last two in
  ROUNDS rounds that alternate which goes first (medians, and the spread of the per-round
  ratio: the cluster shares the machine's cores with the driver);
- per-task overhead, two ways: one call at a time (`await plan.run(x)` of a remote node against
  `await client.submit(f, x)` on an asynchronous client), and 64 calls in flight (the map above
  against 64 concurrent `await client.submit(...)`), each as time per task and ratio.

Run: python -m benchmarks.bench_scaleout [sizes, default 1000; 100000 takes about 15 minutes]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable

from distributed import Client, LocalCluster

from tta_dev_primitives import DaskBackend, compile, node

from .harness import environment

IN_FLIGHT = 64
ROUNDS = 3


def busy(x: int) -> int:
    """1 ms of CPU."""
    end = time.perf_counter() + 0.001
    while time.perf_counter() < end:
        pass
    return x


def items(n: int) -> list[int]:
    return list(range(n))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


async def per_task(address: str, n: int) -> tuple[float, float, float, float]:
    """(ours, dask) seconds per task, one at a time, then IN_FLIGHT at a time."""
    async with Client(address, asynchronous=True, set_as_default=False) as client:
        backend = DaskBackend(client)
        one = compile(node(busy).remote(backend))
        start = time.perf_counter()
        for i in range(n):
            await one.run(i)
        ours_serial = (time.perf_counter() - start) / n
        start = time.perf_counter()
        for i in range(n):
            await client.submit(busy, i, pure=False)
        dask_serial = (time.perf_counter() - start) / n

        many = compile(node(items).map(node(busy).remote(backend), concurrency=IN_FLIGHT))
        count = n * 10
        start = time.perf_counter()
        await many.run(count)
        ours_flight = (time.perf_counter() - start) / count
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def submit(i: int) -> int:
            async with gate:
                return await client.submit(busy, i, pure=False)

        start = time.perf_counter()
        await asyncio.gather(*(submit(i) for i in range(count)))
        dask_flight = (time.perf_counter() - start) / count
    return ours_serial, dask_serial, ours_flight, dask_flight


def map_rounds(ours: Callable[[], object], theirs: Callable[[], object]) -> tuple[list[float], list[float]]:
    """ROUNDS timings of each, alternating which runs first."""
    ours_s: list[float] = []
    theirs_s: list[float] = []
    for i in range(ROUNDS):
        first, second = ((ours, ours_s), (theirs, theirs_s)) if i % 2 == 0 else ((theirs, theirs_s), (ours, ours_s))
        first[1].append(timed(first[0]))
        second[1].append(timed(second[0]))
    return ours_s, theirs_s


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000]
    print(environment("distributed", "dask", "anyio"))
    print()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        with Client(cluster, set_as_default=False) as client:
            dask = DaskBackend(client)
            client.gather(client.map(busy, range(200), pure=False))  # warm the workers
            print(f"### map of a 1 ms CPU node (whole map; DaskBackend and client.map: median of {ROUNDS} alternating rounds)")
            print()
            print("| items | LocalBackend | DaskBackend | client.map + gather | ours / Dask's | per-round ratios |")
            print("|---|---:|---:|---:|---:|---:|")
            for n in sizes:
                local_plan = compile(node(items).map(node(busy).remote()))
                dask_plan = compile(node(items).map(node(busy).remote(dask), concurrency=IN_FLIGHT))
                local = timed(lambda: local_plan.run_sync(n))
                ours_s, theirs_s = map_rounds(
                    lambda: dask_plan.run_sync(n), lambda: client.gather(client.map(busy, range(n), pure=False))
                )
                ours, theirs = statistics.median(ours_s), statistics.median(theirs_s)
                ratios = sorted(o / t for o, t in zip(ours_s, theirs_s, strict=True))
                print(
                    f"| {n} | {local:.2f} s | {ours:.2f} s | {theirs:.2f} s | {ours / theirs:.2f}x | {ratios[0]:.2f}-{ratios[-1]:.2f}x |"
                )
        serial_ours, serial_dask, flight_ours, flight_dask = asyncio.run(per_task(cluster.scheduler_address, 200))
    print()
    print("### per task, a remote node against client.submit")
    print()
    print("| case | ours | client.submit | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| one at a time | {serial_ours * 1e3:.2f} ms | {serial_dask * 1e3:.2f} ms | {serial_ours / serial_dask:.2f}x |")
    print(f"| {IN_FLIGHT} in flight | {flight_ours * 1e3:.2f} ms | {flight_dask * 1e3:.2f} ms | {flight_ours / flight_dask:.2f}x |")


if __name__ == "__main__":
    main()
