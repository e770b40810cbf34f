"""Which item of a map, which branch of a parallel: always noted, at every level, inner to outer,
even when a sequence inside already placed the error; and a map node's ParallelError counts
items, worded as plan.map's."""

from __future__ import annotations

import re

import pytest

from tta_dev_primitives import ParallelError, compile, for_each, node, parallel

pytestmark = pytest.mark.anyio


def items(n: int) -> list[int]:
    return list(range(n))


def inc(x: int) -> int:
    return x + 1


def check(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


def shift(xs: list[int]) -> list[int]:
    return [x + 1 for x in xs]


def notes(error: BaseException) -> list[str]:
    """Its notes, locations aside."""
    return [re.sub(r" \(built at [^)]*\)|, built at [^)]*", "", n) for n in getattr(error, "__notes__", [])]


async def test_a_map_item_is_named_when_its_body_is_a_sequence() -> None:
    with pytest.raises(ParallelError) as info:
        await compile(node(items).map(node(inc) >> node(check), concurrency=1)).run(5)
    [error] = info.value.exceptions
    assert notes(error) == [  # only the step's note before
        "in step 1 'check' (function) of sequence 'inc >> check'",
        "in item 2 ('inc >> check' (sequence)) of map 'map(inc >> check)'",
    ]


async def test_a_parallel_branch_is_named_when_it_is_a_sequence() -> None:
    with pytest.raises(ParallelError) as info:
        await compile(parallel(node(inc), node(inc) >> node(check), name="fan")).run(2)
    [error] = info.value.exceptions
    assert notes(error) == [
        "in step 1 'check' (function) of sequence 'inc >> check'",
        "in branch 1 'inc >> check' (sequence) of parallel 'fan'",
    ]


async def test_nested_maps_name_the_item_at_every_level_inner_to_outer() -> None:
    inner = for_each(node(inc) >> node(check), concurrency=1, name="inner")
    outer = for_each(node(shift) >> inner, concurrency=1, name="outer")
    with pytest.raises(ParallelError) as info:
        await compile(outer).run([[0], [0, 1]])  # item 1 of the outer map: [1, 2], whose item 1 fails
    [inner_error] = info.value.exceptions
    assert isinstance(inner_error, ParallelError)
    assert notes(inner_error) == [  # the outer item was lost before
        "in step 1 'inner' (map) of sequence 'shift >> inner'",
        "in item 1 ('shift >> inner' (sequence)) of map 'outer'",
    ]
    [error] = inner_error.exceptions
    assert notes(error) == [
        "in step 1 'check' (function) of sequence 'inc >> check'",
        "in item 1 ('inc >> check' (sequence)) of map 'inner'",
    ]


async def test_each_error_is_placed_on_its_path_once() -> None:
    with pytest.raises(ParallelError) as info:
        await compile(node(items) >> for_each(node(check), concurrency=1, name="each") >> node(len)).run(5)
    assert notes(info.value) == ["in step 1 'each' (map) of sequence 'items >> each >> len'"]  # not the plan's too
    [error] = info.value.exceptions
    assert notes(error) == ["in item 3 ('check' (function)) of map 'each'"]  # not the sequence's step too


async def test_a_map_nodes_error_counts_items_as_plan_map_does() -> None:
    with pytest.raises(ParallelError) as info:
        await compile(node(items).map(node(check), concurrency=1)).run(5)
    message = str(info.value)
    # "1 of 1 workers of 'map(check)' (built at ...) failed" before
    assert re.match(r"1 of 5 items of map 'map\(check\)' \(built at [^)]*\) failed \(item 3\); 1 unfinished item\(s\) were cancelled", message)
    with pytest.raises(ParallelError, match=r"^1 of 5 items of plan 'check'.map failed \(item 3\); 1 unfinished item\(s\) were cancelled"):
        await compile(node(check)).map(range(5), concurrency=1)


async def test_plan_map_labels_the_item_beside_where_in_the_plan_it_failed() -> None:
    plan = compile(node(inc) >> node(check))
    outcomes = await plan.map(range(4), return_exceptions=True)
    error = outcomes[2]
    assert isinstance(error, ValueError)
    assert notes(error) == ["in step 1 'check' (function) of sequence 'inc >> check'", "in item 2 of plan 'inc >> check'.map"]


class Abort(BaseException):
    """Neither an Exception nor KeyboardInterrupt/SystemExit."""


def abort_on_three(x: int) -> int:
    if x == 3:
        raise Abort()
    return x


async def test_a_custom_base_exception_from_an_item_or_branch_is_raised_bare_with_its_label() -> None:
    # a BaseExceptionGroup worded by the backend ("unhandled errors in a TaskGroup") before
    with pytest.raises(Abort) as mapped:
        await compile(node(items).map(node(abort_on_three), concurrency=2)).run(5)
    assert notes(mapped.value) == ["in item 3 ('abort_on_three' (function)) of map 'map(abort_on_three)'"]
    with pytest.raises(Abort) as branched:
        await compile(parallel(node(inc), node(abort_on_three), name="fan")).run(3)
    assert notes(branched.value) == ["in branch 1 'abort_on_three' (function) of parallel 'fan'"]
    with pytest.raises(Abort) as planned:
        await compile(node(abort_on_three)).map(range(5), concurrency=2)
    assert notes(planned.value) == ["in item 3 of plan 'abort_on_three'.map"]


async def test_one_exception_object_raised_run_after_run_keeps_one_note_per_place() -> None:
    from tta_dev_primitives import ParallelError, compile, node

    shared = LookupError("not found")

    def items(n: int) -> list[int]:
        return list(range(n))

    def find(x: int) -> int:
        raise shared

    plan = compile(node(items).map(node(find), concurrency=1))
    for _ in range(50):
        with pytest.raises(ParallelError):
            await plan.run(2)
    notes = shared.__notes__
    assert len(notes) == len(set(notes)) <= 4  # before: a note per item per run, without bound
