"""DaskBackend against a real `distributed.LocalCluster` on 127.0.0.1 (one per session)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("distributed")

from distributed import Client, Event, KilledWorker  # noqa: E402

from tests.fixtures import remote_tasks as tasks  # noqa: E402
from tta_dev_primitives import (  # noqa: E402
    CircuitBreaker,
    DaskBackend,
    MemoryJournal,
    ParallelError,
    RemoteError,
    RemoteSerializationError,
    RunContext,
    compile,
    node,
    use_backend,
)
from tta_dev_primitives.errors import ConfigError  # noqa: E402

pytestmark = pytest.mark.anyio


@pytest.fixture
def dask(dask_client: Client) -> DaskBackend:
    return DaskBackend(dask_client)


def _scheduler_keys(client: Client, prefix: str) -> list[str]:
    def keys(dask_scheduler: Any) -> list[str]:
        return [str(k) for k in dask_scheduler.tasks]

    return [k for k in client.run_on_scheduler(keys) if k.startswith(prefix)]


async def test_a_map_of_1000_items_runs_on_both_workers_in_order(dask: DaskBackend) -> None:
    plan = compile(node(lambda n: list(range(n))).map(node(tasks.double_with_pid).remote(dask), concurrency=32))
    results = await plan.run(1000)
    assert [value for value, _ in results] == [2 * i for i in range(1000)]
    pids = {pid for _, pid in results}
    assert len(pids) == 2 and os.getpid() not in pids


async def test_results_and_sync_and_async_nodes_round_trip(dask: DaskBackend) -> None:
    plan = compile(node(tasks.double).remote(dask) >> node(tasks.add_one).remote(dask))
    assert await plan.run(20) == 41


async def test_default_backend_comes_from_use_backend(dask: DaskBackend) -> None:
    plan = compile(node(tasks.double_with_pid).remote())
    assert (await plan.run(1))[1] == os.getpid()  # LocalBackend: in this process
    with use_backend(dask):
        value, pid = await plan.run(1)
    assert value == 2 and pid != os.getpid()


async def test_an_exception_comes_back_with_its_type_and_the_worker_named(dask: DaskBackend) -> None:
    plan = compile(node(tasks.over_quota).remote(dask))
    with pytest.raises(tasks.QuotaError) as caught:
        await plan.run(5)
    assert (caught.value.tenant, caught.value.limit) == ("acme", 5)
    notes = "\n".join(caught.value.__notes__)
    assert "raised on worker tcp://127.0.0.1:" in notes and "over_quota" in notes


async def test_an_exception_that_cannot_travel_becomes_a_remote_error(dask: DaskBackend) -> None:
    plan = compile(node(tasks.unsendable_error).remote(dask))
    with pytest.raises(RemoteError) as caught:
        await plan.run(1)
    error = caught.value
    assert error.error_type == "tests.fixtures.remote_tasks.Unsendable" and error.message == "cannot travel"
    assert "unsendable_error" in error.remote_traceback and error.node == "remote(unsendable_error)"


async def test_a_non_serializable_input_names_the_node(dask: DaskBackend) -> None:
    plan = compile(node(lambda x: x).named("passthrough").remote(dask))
    with pytest.raises(RemoteSerializationError) as caught:
        await plan.run(threading.Lock())
    assert caught.value.node == "remote(passthrough)" and caught.value.what == "input"
    assert "lock" in str(caught.value)


async def test_non_serializable_context_state_is_named(dask: DaskBackend) -> None:
    plan = compile(node(tasks.double).remote(dask))
    with pytest.raises(RemoteSerializationError) as caught:
        await plan.run(1, context=RunContext(state={"conn": threading.Lock()}))
    assert caught.value.what == "context"


async def test_a_non_serializable_output_names_the_node(dask: DaskBackend) -> None:
    plan = compile(node(tasks.a_lock).remote(dask))
    with pytest.raises(RemoteSerializationError) as caught:
        await plan.run(1)
    assert caught.value.what == "output" and caught.value.node == "remote(a_lock)"


async def test_an_op_holding_process_state_is_named(dask: DaskBackend) -> None:
    plan = compile(node(tasks.double).guard(CircuitBreaker(name="payments")).remote(dask))
    with pytest.raises(RemoteSerializationError) as caught:
        await plan.run(1)
    assert "circuit_breaker" in caught.value.what and "around the .remote() node" in str(caught.value)


async def test_the_context_travels_as_a_copy_with_the_time_left(dask: DaskBackend) -> None:
    plan = compile(node(tasks.context_echo).remote(dask))
    ctx = RunContext(correlation_id="cid-7", metadata={"tenant": "acme"}, state={"seen": 3})
    assert await plan.run(1, context=ctx, timeout=30) == "cid-7|acme|3|True"


async def test_a_worker_killed_mid_task_is_rescheduled_and_the_run_completes(dask: DaskBackend, tmp_path: Path) -> None:
    marker = tmp_path / "died"
    plan = compile(node(tasks.die_once).remote(dask))
    result = await plan.run(str(marker))
    assert result.startswith("survived ") and marker.exists()


async def test_a_task_that_kills_every_worker_fails_clearly(dask: DaskBackend, tmp_path: Path) -> None:
    plan = compile(node(tasks.die_always).remote(dask))
    with pytest.raises(KilledWorker) as caught:
        await plan.run(str(tmp_path))
    assert "remote(die_always)" in "\n".join(caught.value.__notes__) or "die_always" in str(caught.value)


async def test_cancelling_a_run_cancels_its_task_on_the_cluster(dask: DaskBackend, dask_client: Client) -> None:
    name = f"block-{os.getpid()}-{id(dask)}"
    plan = compile(node(tasks.block_until_released).named("blocker").remote(dask))
    started = Event(f"{name}-started", client=dask_client)
    async with anyio.create_task_group() as tg:
        tg.start_soon(plan.run, name)
        assert await anyio.to_thread.run_sync(started.wait, 30)
        assert _scheduler_keys(dask_client, "remote_blocker-")  # the task is there while it runs
        tg.cancel_scope.cancel()
    # the backend waited for the scheduler to take the cancellation before it let the run end
    assert _scheduler_keys(dask_client, "remote_blocker-") == []
    Event(f"{name}-release", client=dask_client).set()


async def test_a_run_timeout_stops_the_remote_task(dask: DaskBackend, dask_client: Client) -> None:
    from tta_dev_primitives.executor._runner import RunTimeoutError

    name = f"slow-{os.getpid()}-{id(dask)}"
    plan = compile(node(tasks.block_until_released).named("slow").remote(dask))
    with pytest.raises(RunTimeoutError):
        await plan.run(name, timeout=1.0)
    assert _scheduler_keys(dask_client, "remote_slow-") == []
    Event(f"{name}-release", client=dask_client).set()


async def test_a_durable_run_journals_the_remote_node_as_one_step(dask: DaskBackend) -> None:
    calls: list[int] = []
    plan = compile(node(tasks.double).remote(dask) >> (lambda x: calls.append(x) or x), durable=True)
    journal = MemoryJournal()
    assert await plan.run(4, run_id="r1", journal=journal) == 8
    stored = await journal.load("r1")
    assert stored is not None and any(step.key.endswith("1") for step in stored.steps)
    assert await plan.run(4, run_id="r1", journal=journal) == 8  # finished: its stored result


def test_an_async_client_on_the_running_loop_is_awaited_directly(dask_cluster: Any) -> None:
    import asyncio

    async def main() -> int:
        async with Client(dask_cluster.scheduler_address, asynchronous=True, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            plan = compile(node(tasks.double).remote(DaskBackend(client)))
            return await plan.run(21)

    assert asyncio.run(main()) == 42


def _on_async_client(dask_cluster: Any, body: Any) -> Any:
    """`body(client, submitted)` on an asynchronous client of the running loop, where the calls a
    map starts at once reach the backend before its flush runs; `submitted` records the number
    of tasks of each `client.map` (and of each `client.submit`, as 1)."""
    import asyncio

    async def main() -> Any:
        async with Client(dask_cluster.scheduler_address, asynchronous=True, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            submitted: list[tuple[str, int]] = []
            real_map, real_submit = client.map, client.submit

            def counting_map(func: Any, *iterables: Any, **kwargs: Any) -> Any:
                submitted.append(("map", len(iterables[0])))
                return real_map(func, *iterables, **kwargs)

            def counting_submit(func: Any, *args: Any, **kwargs: Any) -> Any:
                submitted.append(("submit", 1))
                return real_submit(func, *args, **kwargs)

            client.map, client.submit = counting_map, counting_submit  # type: ignore[method-assign]
            return await body(client, submitted)

    return asyncio.run(main())


def test_calls_that_start_together_go_to_the_scheduler_in_one_client_map(dask_cluster: Any) -> None:
    async def body(client: Any, submitted: list[tuple[str, int]]) -> None:
        plan = compile(node(lambda n: list(range(n))).map(node(tasks.double).remote(DaskBackend(client)), concurrency=40))
        assert await plan.run(40) == [2 * i for i in range(40)]
        assert submitted == [("map", 40)]  # one graph update for the 40 tasks, not 40
        submitted.clear()
        assert await plan.run(100) == [2 * i for i in range(100)]
        assert submitted[0] == ("map", 40) and sum(n for _, n in submitted) == 100  # refills batched as results come back
        assert all(kind == "map" for kind, _ in submitted) and len(submitted) < 100

    _on_async_client(dask_cluster, body)


def test_one_call_of_a_batch_that_cannot_be_sent_fails_alone(dask_cluster: Any) -> None:
    async def body(client: Any, submitted: list[tuple[str, int]]) -> list[object]:
        plan = compile(node(lambda x: x).named("echo").remote(DaskBackend(client)))
        results = await plan.map([1, 2, threading.Lock(), 4], concurrency=4, return_exceptions=True)
        assert submitted[0] == ("map", 4)  # the batch did not pickle: then each call on its own
        assert [kind for kind, _ in submitted[1:]] == ["submit"] * 4
        return results

    results = _on_async_client(dask_cluster, body)
    assert results[:2] == [1, 2] and results[3] == 4
    error = results[2]
    assert isinstance(error, RemoteSerializationError) and error.what == "input" and error.node == "remote(echo)"


async def test_a_failed_item_of_a_batch_is_named_and_the_rest_are_cancelled(dask: DaskBackend, dask_client: Client) -> None:
    prefix = f"batch-{os.getpid()}-{id(dask)}"
    names = ["bad"] + [f"{prefix}-{i}" for i in range(1, 6)]
    item = node(lambda name: tasks.over_quota(0) if name == "bad" else tasks.block_until_released(name)).named("item")
    plan = compile(node(lambda _: names).map(item.remote(dask), concurrency=6))
    try:
        with pytest.raises(ParallelError) as caught:
            await plan.run(None)
        assert "item 0" in str(caught.value)
        [error] = caught.value.exceptions
        assert isinstance(error, tasks.QuotaError) and any("in item 0" in note for note in error.__notes__)
        # the other items' tasks were cancelled: Dask sends a cancellation without waiting for the
        # scheduler to act on it, so the test asks the scheduler until they are gone
        with anyio.fail_after(30):
            while _scheduler_keys(dask_client, "remote_item-"):
                await anyio.sleep(0.05)
    finally:
        for name in names[1:]:
            Event(f"{name}-release", client=dask_client).set()


def test_an_address_connects_a_client_of_its_own(dask_cluster: Any) -> None:
    with DaskBackend(dask_cluster.scheduler_address) as backend:
        assert compile(node(tasks.double).remote(backend)).run_sync(5) == 10
        assert backend.client.status == "running"
    assert backend._client is None


def test_bad_backend_arguments_are_refused() -> None:
    with pytest.raises(ConfigError, match="client"):
        DaskBackend(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="retries"):
        DaskBackend("tcp://127.0.0.1:1", retries=-1)


@pytest.fixture
def worker_spans(dask_client: Client) -> Iterator[Client]:
    """Tracing on the driver and, through WorkerTelemetry, in every worker (in-memory spans)."""
    from tta_dev_primitives.observability import WorkerTelemetry

    dask_client.register_plugin(WorkerTelemetry(exporter=_memory_exporter, metrics=True), name="tta-telemetry")
    yield dask_client
    dask_client.unregister_worker_plugin("tta-telemetry")
    dask_client.run(_uninstall_tracing)


def _memory_exporter() -> Any:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    global _WORKER_EXPORTER
    _WORKER_EXPORTER = InMemorySpanExporter()
    return _WORKER_EXPORTER


_WORKER_EXPORTER: Any = None


def _worker_spans() -> list[tuple[str, int, int, int | None]]:
    spans = _WORKER_EXPORTER.get_finished_spans() if _WORKER_EXPORTER is not None else []
    return [(s.name, s.context.trace_id, s.context.span_id, s.parent.span_id if s.parent else None) for s in spans]


def _uninstall_tracing() -> None:
    from tta_dev_primitives.observability import _tracing as tracing

    if tracing._installed is not None:
        from tta_dev_primitives import uninstall_hook

        uninstall_hook(tracing._installed)
        tracing._installed = None


async def test_worker_spans_join_the_callers_trace(dask: DaskBackend, worker_spans: Client) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from tta_dev_primitives.observability._tracing import TracingHook

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    plan = compile(node(tasks.double).remote(dask)).with_hooks(TracingHook(provider.get_tracer("test")))
    assert await plan.run(3) == 6
    (driver,) = [s for s in exporter.get_finished_spans() if s.name == "remote(double)"]
    remote = [span for spans in worker_spans.run(_worker_spans).values() for span in spans]
    joined = [s for s in remote if s[0] == "double" and s[1] == driver.context.trace_id]
    assert joined and joined[0][3] == driver.context.span_id  # the worker's span is the remote node's child


async def test_worker_metrics_are_served_at_each_workers_metrics_endpoint(dask: DaskBackend, worker_spans: Client) -> None:
    import urllib.request

    plan = compile(node(tasks.double).named("metered").remote(dask))

    async def served() -> float:
        total = 0.0
        for info in worker_spans.scheduler_info()["workers"].values():
            url = f"http://{info['host']}:{info['services']['dashboard']}/metrics"
            text = await anyio.to_thread.run_sync(lambda: urllib.request.urlopen(url, timeout=10).read().decode())
            for line in text.splitlines():
                if line.startswith("tta_runs_total{") and 'workflow="remote(metered)"' in line and 'outcome="ok"' in line:
                    total += float(line.rsplit(" ", 1)[1])
        return total

    before = await served()
    for i in range(4):
        await plan.run(i)
    assert await served() - before == 4
