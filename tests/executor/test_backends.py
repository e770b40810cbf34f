"""The backend seam without a cluster: LocalBackend, use_backend, compile-time refusals."""

from __future__ import annotations

import pickle

import pytest

from tta_dev_primitives import (
    Backend,
    LocalBackend,
    MemoryJournal,
    RemoteError,
    RemoteSerializationError,
    RunContext,
    compile,
    current_backend,
    interrupt,
    node,
    use_backend,
)
from tta_dev_primitives.errors import CompositionError, ConfigError
from tta_dev_primitives.executor.backends import RemoteJob

pytestmark = pytest.mark.anyio


class Recording(Backend):
    """A backend of our own: records the jobs it is given, runs them in this process."""

    name = "recording"

    def __init__(self) -> None:
        self.jobs: list[str] = []

    async def run(self, job: RemoteJob, x: object) -> object:
        self.jobs.append(job.name)
        return await job.local(x)


def double(x: int) -> int:
    return x * 2


async def test_remote_without_a_backend_runs_in_process_by_default() -> None:
    seen: list[RunContext] = []

    def remember(x: int, ctx: RunContext) -> int:
        seen.append(ctx)
        return x

    ctx = RunContext()
    plan = compile(node(remember).remote() >> double)
    assert await plan.run(4, context=ctx) == 8
    assert seen == [ctx]  # the caller's own context object: nothing was copied
    assert isinstance(current_backend(), LocalBackend)


async def test_use_backend_chooses_the_backend_of_nodes_that_name_none() -> None:
    mine, fixed = Recording(), Recording()
    plan = compile(node(double).named("a").remote() >> node(double).named("b").remote(fixed))
    with use_backend(mine):
        assert await plan.run(1) == 4
    assert (mine.jobs, fixed.jobs) == (["remote(a)"], ["remote(b)"])
    await plan.run(1)
    assert mine.jobs == ["remote(a)"]  # outside the block: LocalBackend again


async def test_explain_shows_the_remote_node_and_its_backend() -> None:
    plan = compile(node(double).remote(Recording()) >> node(double).remote())
    text = plan.explain(locations=False)
    assert "remote 'remote(double)'  int -> int  [backend=recording]" in text
    assert "[backend=default]" in text


def test_a_plan_keeps_its_fingerprint_whatever_cluster_it_runs_on() -> None:
    assert compile(node(double).remote(Recording())).fingerprint() == compile(node(double).remote(Recording())).fingerprint()


def test_an_interrupt_inside_a_remote_node_is_refused_at_compile_time() -> None:
    approve = interrupt(int, bool, name="approve")
    with pytest.raises(CompositionError, match="contains interrupt 'approve': a run cannot be suspended from a worker"):
        compile((node(double) >> approve).remote())


def test_state_writes_inside_a_remote_node_are_refused_at_compile_time() -> None:
    writer = node(double).declare(writes=["total"])
    with pytest.raises(CompositionError, match="writes RunContext.state keys total"):
        compile(writer.remote())


def test_a_bad_backend_is_refused_when_the_node_is_built() -> None:
    with pytest.raises(ConfigError, match="remote backend"):
        node(double).remote("dask")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="use_backend"):
        with use_backend("dask"):  # type: ignore[arg-type]
            pass


async def test_a_durable_run_journals_a_remote_node_once_and_replays_it() -> None:
    calls: list[int] = []

    def counted(x: int) -> int:
        calls.append(x)
        return x + 1

    plan = compile(node(counted).remote(Recording()), durable=True)
    journal = MemoryJournal()
    assert await plan.run(1, run_id="r", journal=journal) == 2
    stored = await journal.load("r")
    assert stored is not None and [s.key for s in stored.steps] == ["0"]  # the remote node, not its leaf
    assert await plan.run(1, run_id="r", journal=journal) == 2
    assert calls == [1]


def test_errors_of_remote_nodes_pickle_with_their_fields() -> None:
    error = RemoteError("n", "m.E", "boom", "Traceback ...", "tcp://w", "no")
    again = pickle.loads(pickle.dumps(error))
    assert (again.node, again.error_type, again.message, str(again)) == ("n", "m.E", "boom", str(error))
    ser = RemoteSerializationError("n", "input", "lock", "cannot pickle")
    assert str(pickle.loads(pickle.dumps(ser))) == str(ser)


def test_a_backend_nested_in_a_shipped_node_travels_as_local() -> None:
    assert isinstance(pickle.loads(pickle.dumps(Recording())), LocalBackend)


async def test_portable_calls_run_the_sub_plan_as_a_worker_would() -> None:
    """The worker side without a cluster: the call a backend ships, pickled and run here."""
    pytest.importorskip("cloudpickle")
    calls: list[object] = []

    class Shipping(Backend):
        name = "shipping"

        async def run(self, job: RemoteJob, x: object) -> object:
            call = pickle.loads(pickle.dumps(job.portable()))
            import anyio.to_thread

            calls.append(call.context.correlation_id)
            return await anyio.to_thread.run_sync(call, x)  # a thread with no loop, as a worker's

    ctx = RunContext(correlation_id="c-1", metadata={"t": 1})
    plan = compile(node(lambda x: x * 3).remote(Shipping()))
    assert await plan.run(5, context=ctx) == 15
    assert calls == ["c-1"]


def test_a_dask_call_whose_flush_cannot_be_scheduled_fails_and_the_next_call_asks_again() -> None:
    """The first call of a batch asks the client's loop for the flush; when the loop refuses
    (closed), that call raises and leaves the queue, so later calls ask for their own flush
    instead of waiting behind it forever."""
    pytest.importorskip("distributed")
    from tta_dev_primitives.executor.backends.dask import DaskBackend, _Call

    class Loop:
        def __init__(self) -> None:
            self.closed = True
            self.asked = 0

        def add_callback(self, callback: object, *args: object) -> None:
            if self.closed:
                raise RuntimeError("IOLoop is closed")
            self.asked += 1

    class Client:
        loop = Loop()

    backend = DaskBackend("tcp://127.0.0.1:9")  # connects on first use only: the stub stands in for the client's loop
    client = Client()
    with pytest.raises(RuntimeError, match="closed"):
        backend._submit(client, _Call("first", None, 1))  # type: ignore[arg-type]
    assert backend._pending == []
    Client.loop.closed = False
    backend._submit(client, _Call("second", None, 2))  # type: ignore[arg-type]
    assert Client.loop.asked == 1
