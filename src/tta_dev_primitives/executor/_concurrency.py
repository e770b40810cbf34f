"""Emitters for the ops that run children concurrently: parallel fan-out and map.

On asyncio the tasks run in a native `asyncio.TaskGroup`, on trio in a native nursery: each is
several times cheaper per task than anyio's portable task group, with the same semantics. Both
cancel the siblings of a failed task and raise an ExceptionGroup, which is re-raised as ParallelError naming the node.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, NoReturn

import anyio

from ..compiler._ir import Group, MapOp, ParOp, StageOp
from ..errors import ParallelError, StrayCancellationError
from ._emit import AsyncFn, Emitter, Step, emitter
from ._notes import label, where
from ._shield import cancelled_by_itself, running_asyncio

Job = Callable[[int], Coroutine[Any, Any, None]]


def _first_fatal(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    cancelled = anyio.get_cancelled_exc_class()
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            found = _first_fatal(exc)
            if found is not None:
                return found
        elif not isinstance(exc, (Exception, cancelled)):
            return exc
    return None


def _raise_fatal(group: BaseExceptionGroup[BaseException]) -> None:
    """Raise the group's KeyboardInterrupt, SystemExit or other BaseException (not a
    cancellation) bare, as asyncio's TaskGroup does the first two, so callers see the same shape
    on every backend (`except KeyboardInterrupt` works); the group's other errors are dropped,
    as asyncio drops them. Returns if there is none."""
    fatal = _first_fatal(group)
    if fatal is not None:
        raise fatal from None


@contextlib.contextmanager
def bare_fatal_errors() -> Iterator[None]:
    """A task group's fatal error re-raised bare (see `_raise_fatal`)."""
    try:
        yield
    except BaseExceptionGroup as group:
        _raise_fatal(group)
        raise


async def spawn_all(count: int, job: Job) -> None:
    """Run `job(0) ... job(count - 1)` concurrently; the first failure cancels the rest."""
    if running_asyncio():
        try:  # not bare_fatal_errors(): a context manager per run costs more than the check
            async with asyncio.TaskGroup() as tg:
                create = tg.create_task
                for i in range(count):
                    create(job(i))
        except BaseExceptionGroup as group:  # a BaseException other than KeyboardInterrupt, SystemExit
            _raise_fatal(group)
            raise
    else:  # trio, the other backend anyio runs on: its own nursery, as anyio's would be
        import trio

        with bare_fatal_errors():
            async with trio.open_nursery() as nursery:
                start = nursery.start_soon
                for i in range(count):
                    start(job, i)


def failure_of(exc: BaseException, what: str) -> Exception | None:
    """The error a branch or item failed with, to report in its place; None for what must
    propagate as it is (a cancellation of the run, KeyboardInterrupt). A CancelledError the
    awaited code raised on its own (see `cancelled_by_itself`) is a failure of `what`: asyncio's
    TaskGroup would otherwise drop that task's work without a word."""
    if isinstance(exc, Exception):
        return exc
    if isinstance(exc, asyncio.CancelledError) and cancelled_by_itself():
        error = StrayCancellationError(
            f"a node raised CancelledError without being cancelled ({what}): it awaited a task or future that was cancelled"
        )
        error.__cause__ = exc
        return error
    return None


def labeled_failure(exc: BaseException, text: str) -> Exception | None:
    """`failure_of(exc, text)`, labeled with `text` (which branch or item it was, see
    notes.label). A KeyboardInterrupt or other BaseException that propagates as it is gets the
    label too; a cancellation, which belongs to no branch, does not."""
    error = failure_of(exc, text)
    if error is not None:
        label(error, text)
    elif not isinstance(exc, anyio.get_cancelled_exc_class()):
        label(exc, text)
    return error


def reraise(exc: BaseException, error: Exception | None) -> NoReturn:
    """Raise `error`, what `exc` stands for (see `failure_of`), from `exc`; `exc` itself when
    None."""
    if error is None or error is exc:
        raise exc
    raise error from exc


def raise_failure(exc: BaseException, text: str) -> NoReturn:
    """Re-raise what a branch or item raised, labeled with `text` (where it was): a stray
    CancelledError as the StrayCancellationError it stands for, a cancellation of the run as it
    is."""
    reraise(exc, labeled_failure(exc, text))


def items_failed(what: str, failed: list[int], total: int, ended: int) -> str:
    """The message of a map's ParallelError (plan.map's and a map node's): how many of how many
    items failed, which, and how many unfinished ones were cancelled."""
    failed = sorted(failed)
    shown = ", ".join(map(str, failed[:10])) + (", ..." if len(failed) > 10 else "")
    unfinished = total - ended - len(failed)
    cancelled = f"; {unfinished} unfinished item(s) were cancelled" if unfinished else ""
    return f"{len(failed)} of {total} items of {what} failed (item {shown}){cancelled}"


async def run_items(
    total: int,
    limit: int,
    item: Callable[[int], Awaitable[object]],
    label_of: Callable[[int], str],
    what: str,
    node_name: str,
    location: str,
    *,
    return_exceptions: bool = False,
    on_item: Callable[[int], object] | None = None,
) -> list[object]:
    """`item(0) ... item(total - 1)`, at most `limit` at a time, results in order: a map node's
    items and plan.map's. A failed item's error is labeled `label_of(i)`; the first failure
    cancels the rest and raises ParallelError (see `items_failed`), or with `return_exceptions`
    takes the item's place. `on_item(i)` is called as each item ends."""
    results: list[object] = [None] * total
    if total == 0:
        return results
    pending = iter(range(total))
    failed: list[int] = []
    ended = 0

    async def worker(_: int) -> None:
        nonlocal ended
        for i in pending:  # workers share one iterator: each index is taken exactly once
            try:
                results[i] = await item(i)
            except BaseException as exc:
                error = labeled_failure(exc, label_of(i))
                if error is None or not return_exceptions:
                    if error is not None:
                        failed.append(i)
                    reraise(exc, error)
                results[i] = error
            ended += 1
            if on_item is not None:
                on_item(i)

    try:
        await spawn_all(min(limit, total), worker)
    except ExceptionGroup as group:
        raise ParallelError(items_failed(what, failed, total, ended), list(group.exceptions), node_name=node_name, location=location) from None
    return results


def _assembler(layout: Group, total: int) -> Callable[[list[object]], object]:
    """A function from the `total` flat branch results to the value the user's structure produces."""
    combiner = layout.combiner
    if layout.items == tuple(range(total)):  # the common, unflattened case: one group of all results
        if combiner is None:
            return tuple
        flat_combiner = combiner
        return lambda results: flat_combiner(*results)
    parts = [(lambda results, i=i: results[i]) if isinstance(i, int) else _assembler(i, -1) for i in layout.items]

    def assemble(results: list[object]) -> object:
        values = [part(results) for part in parts]
        return tuple(values) if combiner is None else combiner(*values)

    return assemble


def group_error(exc: ExceptionGroup[Exception], what: str, total: int, op_name: str, location: str) -> ParallelError:
    """A task group's errors as one ParallelError counting how many of `total` `what` failed."""
    failed = len(exc.exceptions)
    return ParallelError(
        f"{failed} of {total} {what} of {op_name!r} (built at {location}) failed",
        list(exc.exceptions),
        node_name=op_name,
        location=location,
    )


def _run_all(runners: list[AsyncFn], labels: list[str], what: str, name: str, location: str) -> Callable[[object], Awaitable[list[object]]]:
    """Run every runner on the same input concurrently; results in order. A failure cancels the
    others and raises ParallelError naming the node; each error is noted with its label."""
    count = len(runners)

    async def run(x: object) -> list[object]:
        results: list[object] = [None] * count

        async def one(i: int) -> None:
            try:
                results[i] = await runners[i](x)
            except BaseException as exc:
                raise_failure(exc, labels[i])

        try:
            await spawn_all(count, one)
        except ExceptionGroup as group:
            raise group_error(group, what, count, name, location) from None
        return results

    return run


@emitter(ParOp)
def _emit_par(op: ParOp, em: Emitter) -> Step:
    runners = [em.emit_async(child) for child in op.children]
    labels = [f"in branch {i} {where(child)} of parallel {op.name!r}" for i, child in enumerate(op.children)]
    run_all = _run_all(runners, labels, "branches", op.name, str(op.location))
    assemble = _assembler(op.layout, len(runners))

    async def run(x: object) -> object:
        return assemble(await run_all(x))

    return Step(run, True)


@emitter(MapOp)
def _emit_map(op: MapOp, em: Emitter) -> Step:
    body = em.emit_async(op.children[0])
    limit = op.concurrency
    name, location = op.name, str(op.location)
    body_name = where(op.children[0])
    keyed: Callable[[int, object], Awaitable[object]] | None = None
    if em.durable:  # each item journals under a key path of its own
        from ._journaling import numbered

        keyed = numbered(str(op.node_id), body)

    async def run(items: object) -> object:
        seq = items if isinstance(items, (list, tuple)) else list(items)  # type: ignore[call-overload]
        item: Callable[[int], Awaitable[object]] = (lambda i: body(seq[i])) if keyed is None else (lambda i: keyed(i, seq[i]))
        return await run_items(
            len(seq), limit, item, lambda i: f"in item {i} ({body_name}) of map {name!r}", f"map {name!r} (built at {location})", name, location
        )

    return Step(run, True)


@emitter(StageOp)
def _emit_stage(op: StageOp, em: Emitter) -> Step:
    runners = [em.emit_async(child) for child in op.children]
    labels = [f"in step {i} {where(child)} of stage {op.name!r}" for i, child in enumerate(op.children)]
    run_all = _run_all(runners, labels, "steps", op.name, str(op.location))

    async def run(x: object) -> object:
        await run_all(x)
        return x  # the steps pass their input through

    return Step(run, True)
