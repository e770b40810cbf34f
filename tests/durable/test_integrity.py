"""What a durable run trusts of its journal: a damaged store or row stops the run (nothing is
re-run, even with on_journal_error="continue"); a run id resumes only with exactly its input;
values a journal cannot hold are refused naming the node."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import attrs
import pytest

from tests.durable.test_durable import Crash, Effects, Order, order_plan
from tta_dev_primitives import MemoryJournal, SQLiteJournal, compile, node
from tta_dev_primitives.durable import JournalCorruptError, JournalEncodeError, RunInputMismatchError
from tta_dev_primitives.durable._journal import checksum

pytestmark = pytest.mark.anyio


async def crashed_before_notify(path: Path) -> tuple[Effects, object]:
    """A run of the order plan that journaled validate and charge, then crashed."""
    fx = Effects()
    plan = order_plan(fx)
    fx.crash_at = "notify"
    journal = SQLiteJournal(path)
    with pytest.raises(Crash):
        await plan.run(Order("o", 1), run_id="k", journal=journal)  # type: ignore[attr-defined]
    journal.close()  # the last connection checkpoints the WAL into the file
    fx.crash_at = None
    return fx, plan


def damage(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as file:
        file.seek(offset)
        file.write(data)


@pytest.mark.parametrize("on_journal_error", ["fail", "continue"])
async def test_a_damaged_database_file_stops_the_run_and_runs_nothing_again(tmp_path: Path, on_journal_error: str) -> None:
    path = tmp_path / "j.db"
    fx, plan = await crashed_before_notify(path)
    for page in range(1, path.stat().st_size // 4096):  # every page's header but the schema's
        damage(path, page * 4096, b"\xff" * 8)
    with SQLiteJournal(path) as journal, pytest.raises(JournalCorruptError, match="damaged"):
        await plan.run(Order("o", 1), run_id="k", journal=journal, on_journal_error=on_journal_error)  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge"]  # charge was journaled: it never runs again


@pytest.mark.parametrize("on_journal_error", ["fail", "continue"])
async def test_a_file_that_is_not_a_database_stops_the_run(tmp_path: Path, on_journal_error: str) -> None:
    path = tmp_path / "j.db"
    fx, plan = await crashed_before_notify(path)
    damage(path, 0, b"this is no SQLite header")
    with SQLiteJournal(path) as journal, pytest.raises(JournalCorruptError, match="damaged"):
        await plan.run(Order("o", 1), run_id="k", journal=journal, on_journal_error=on_journal_error)  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge"]


async def test_a_row_that_does_not_decode_stops_a_run_that_may_continue(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    fx, plan = await crashed_before_notify(path)
    with sqlite3.connect(path) as db:
        bad = b"\xa3abc"
        db.execute("UPDATE tta_steps SET payload = ?, crc = ? WHERE key = '2'", (bad, checksum("2", bad)))
    with SQLiteJournal(path) as journal, pytest.raises(JournalCorruptError, match="does not decode"):
        await plan.run(Order("o", 1), run_id="k", journal=journal, on_journal_error="continue")  # type: ignore[attr-defined]
    assert fx.calls == ["validate", "charge"]


async def test_a_finished_runs_result_of_the_wrong_type_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    plan = compile(node(lambda x: x + 1, name="inc").cast(int))  # output journaled as int
    typed = compile(node(_inc))
    with SQLiteJournal(path) as journal:
        assert await typed.run(1, run_id="done", journal=journal) == 2  # type: ignore[attr-defined]
    with sqlite3.connect(path) as db:
        bad = b"\xa3abc"  # a str where an int was journaled, with a valid checksum
        db.execute("UPDATE tta_runs SET result = ?, result_crc = ? WHERE run_id = 'done'", (bad, checksum("", bad)))
    with SQLiteJournal(path) as journal, pytest.raises(JournalCorruptError, match="result does not decode as int"):
        await typed.run(1, run_id="done", journal=journal)  # type: ignore[attr-defined]
    del plan


def _inc(x: int) -> int:
    return x + 1


def _echo(x: object) -> object:
    return x


def _same_float(x: float) -> float:
    return x


@pytest.mark.parametrize(
    ("first", "second", "kind"),
    [(1, True, "untyped"), (1, 1.0, "untyped"), (0.0, -0.0, "untyped"), (0.0, -0.0, "float"), ((1, 2), [1, 2], "untyped")],
)
async def test_a_run_id_resumes_only_with_exactly_its_input(first: object, second: object, kind: str) -> None:
    plan = compile(node(_echo) if kind == "untyped" else node(_same_float))
    journal = MemoryJournal()
    assert await plan.run(first, run_id="r", journal=journal) == first  # type: ignore[attr-defined]
    with pytest.raises(RunInputMismatchError, match="another input"):
        await plan.run(second, run_id="r", journal=journal)  # type: ignore[attr-defined]


async def test_an_equal_input_built_another_way_resumes() -> None:
    plan = compile(node(_echo))
    journal = MemoryJournal()
    assert await plan.run({"a": 1, "b": {2, 3}}, run_id="r", journal=journal) == {"a": 1, "b": {2, 3}}  # type: ignore[attr-defined]
    assert await plan.run({"b": {3, 2}, "a": 1}, run_id="r", journal=journal) == {"a": 1, "b": {2, 3}}  # type: ignore[attr-defined]


def _cyclic(x: int) -> list[object]:
    out: list[object] = [x]
    out.append(out)
    return out


def _cyclic_untyped(x: int):  # type: ignore[no-untyped-def]
    return _cyclic(x)


def _huge(x: int) -> int:
    return 10**100 + x


@pytest.mark.parametrize("make", [_cyclic, _cyclic_untyped], ids=["typed", "untyped"])
async def test_a_cyclic_output_is_refused_naming_the_node(make: object) -> None:
    plan = compile(node(make) >> node(lambda v: len(v)))  # type: ignore[call-overload]
    with pytest.raises(JournalEncodeError, match=r"node '_cyclic(_untyped)?'"):
        await plan.run(1, run_id="c", journal=MemoryJournal())  # type: ignore[attr-defined]


async def test_a_big_int_output_is_journaled_as_when_untyped() -> None:
    calls: list[int] = []

    def after(n: int) -> int:
        calls.append(n)
        if len(calls) == 1:
            raise Crash()
        return n % 7

    plan = compile(node(_huge) >> node(after))
    journal = MemoryJournal()
    with pytest.raises(Crash):
        await plan.run(1, run_id="big", journal=journal)  # type: ignore[attr-defined]
    assert await plan.run(1, run_id="big", journal=journal) == (10**100 + 1) % 7  # type: ignore[attr-defined]
    assert calls == [10**100 + 1, 10**100 + 1]  # replayed exactly


@attrs.frozen
class Pay:
    amount: float
    meta: object = None


@dataclasses.dataclass(frozen=True)
class DPay:
    amount: float


def _pay(p: Pay) -> Pay:
    return p


def _dpay(p: DPay) -> DPay:
    return p


@pytest.mark.parametrize(
    ("make", "first", "second"),
    [
        (_echo, {1}, {True}),
        (_echo, {0.0}, {-0.0}),
        (_echo, {"k": {1}}, {"k": {1.0}}),
        (_pay, Pay(0.0), Pay(-0.0)),
        (_pay, Pay(1.0, meta=1), Pay(1.0, meta=True)),
        (_dpay, DPay(0.0), DPay(-0.0)),
    ],
)
async def test_members_and_fields_are_compared_exactly_on_resume(make: object, first: object, second: object) -> None:
    plan = compile(node(make))  # type: ignore[call-overload]
    journal = MemoryJournal()
    await plan.run(first, run_id="r", journal=journal)
    with pytest.raises(RunInputMismatchError):
        await plan.run(second, run_id="r", journal=journal)


async def test_nan_inside_a_class_journals_and_replays() -> None:
    def reading(x: int) -> Pay:
        return Pay(float("nan"))

    plan = compile(node(reading) >> node(lambda p: p.amount != p.amount))
    assert await plan.run(1, run_id="nan", journal=MemoryJournal()) is True  # type: ignore[attr-defined]
