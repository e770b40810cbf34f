"""Resume sees code edits: a node whose journaled output a resumed run would replay must have
the same code digest as when it ran (else CodeChangedError, unless on_code_change="accept");
nodes that have not run yet may change freely (fix the bug, then resume)."""

from __future__ import annotations

import builtins
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tta_dev_primitives import MemoryJournal, SQLiteJournal, compile, node
from tta_dev_primitives.durable import CodeChangedError
from tta_dev_primitives.durable._code import code_digest

pytestmark = pytest.mark.anyio


class Crash(Exception):
    pass


def version(one: int, two: int, crash: bool) -> object:
    """The same plan (names, types, build location) with the bodies one edit or another of its
    source gives: the constants are part of the code, as an edited file's would be."""
    source = f"""
def price(x: int) -> int:
    return x * {one}

def total(y: int) -> int:
    if {crash}:
        raise Crash()
    return y + {two}
"""
    namespace: dict[str, object] = {"__name__": __name__, "Crash": Crash}
    exec(builtins.compile(source, "edited_module.py", "exec"), namespace)
    return compile(node(namespace["price"]) >> node(namespace["total"]))  # type: ignore[call-overload]


async def test_resume_refuses_a_changed_replayed_node_and_accepts_when_told(tmp_path: Path) -> None:
    journal = SQLiteJournal(tmp_path / "j.db")
    first = version(2, 1, crash=True)
    with pytest.raises(Crash):
        await first.run(10, run_id="r", journal=journal)  # type: ignore[attr-defined]
    edited = version(100, 1, crash=False)  # price's body changed (its constant), after it was journaled
    assert edited.fingerprint() == first.fingerprint()  # type: ignore[attr-defined]
    with pytest.raises(CodeChangedError, match=r"the code of node 'price' \(built at .*\) changed since the run journaled its output"):
        await edited.run(10, run_id="r", journal=journal)  # type: ignore[attr-defined]
    assert await edited.run(10, run_id="r", journal=journal, on_code_change="accept") == 21  # type: ignore[attr-defined]  # old price's 20 replayed
    journal.close()


async def test_a_node_that_has_not_run_yet_may_change_before_resume() -> None:
    journal = MemoryJournal()
    with pytest.raises(Crash):
        await version(2, 1, crash=True).run(10, run_id="r", journal=journal)  # type: ignore[attr-defined]
    fixed = version(2, 5, crash=False)  # total was the bug: fixed, then resumed
    assert await fixed.run(10, run_id="r", journal=journal) == 25  # type: ignore[attr-defined]


async def test_a_finished_run_returns_its_result_whatever_the_code_is_now() -> None:
    journal = MemoryJournal()
    assert await version(2, 1, crash=False).run(10, run_id="r", journal=journal) == 21  # type: ignore[attr-defined]
    assert await version(100, 1, crash=False).run(10, run_id="r", journal=journal) == 21  # type: ignore[attr-defined]


def test_digests_see_bodies_constants_defaults_and_what_decorators_wrap() -> None:
    import functools

    def a(x: int) -> int:
        return x + 1

    def b(x: int) -> int:
        return x + 2

    def c(x: int, k: int = 1) -> int:
        return x + k

    def d(x: int, k: int = 2) -> int:
        return x + k

    def wrap(fn: object) -> object:
        @functools.wraps(fn)  # type: ignore[arg-type]
        def inner(x: int) -> int:
            return fn(x)  # type: ignore[operator, no-any-return]

        return inner

    assert code_digest(a) != code_digest(b)
    assert code_digest(c) != code_digest(d)
    assert code_digest(wrap(a)) != code_digest(wrap(b))
    assert code_digest(functools.partial(a)) == code_digest(a)
    assert code_digest(len) is None


def digests_in_processes(definition: str) -> set[str]:
    """The digests of the function `f` that `definition` defines, in processes of different
    hash seeds (str hashes, and so set orders, differ per process)."""
    script = f"from tta_dev_primitives.durable._code import code_digest\n{definition}print(code_digest(f))"
    return {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }


def test_digests_are_the_same_in_every_process() -> None:
    """Hash randomization orders sets of strings differently per process; digests must not
    depend on it (else every resume in a new process would be refused)."""
    definition = "def f(x):\n    return x in {'alpha', 'beta', 'gamma', 'delta'} and (lambda y: y in frozenset({'p', 'q', 'r'}))(x)\n"
    assert len(digests_in_processes(definition)) == 1


async def test_a_journal_of_an_earlier_version_gains_the_code_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the tables as earlier versions made them
        db.executescript(
            "CREATE TABLE tta_runs (run_id TEXT PRIMARY KEY, plan TEXT NOT NULL, fingerprint TEXT NOT NULL, outline TEXT NOT NULL,"
            " input BLOB NOT NULL, input_crc INTEGER NOT NULL, status TEXT NOT NULL, result BLOB, result_crc INTEGER,"
            " error TEXT, owner TEXT, created REAL NOT NULL, updated REAL NOT NULL);"
            "CREATE TABLE tta_steps (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, key TEXT NOT NULL,"
            " payload BLOB NOT NULL, crc INTEGER NOT NULL, UNIQUE (run_id, key));"
        )
    with SQLiteJournal(path) as journal:
        assert await version(2, 1, crash=False).run(10, run_id="r", journal=journal) == 21  # type: ignore[attr-defined]


def test_digests_tell_constants_apart_whatever_their_digits() -> None:
    def twelve_three(x: int) -> int:
        return x * 12 + 3

    def one_twenty_three(x: int) -> int:
        return x * 1 + 23

    assert code_digest(twelve_three) != code_digest(one_twenty_three)


def test_digests_see_what_node_with_and_plain_decorators_wrap() -> None:
    from tta_dev_primitives import node_with

    def fee_v1(x: int, rate: int) -> int:
        return x * rate

    def fee_v2(x: int, rate: int) -> int:
        return x * rate * 100

    def logged(fn: object) -> object:  # a decorator without functools.wraps
        def inner(x: int) -> int:
            return fn(x)  # type: ignore[operator, no-any-return]

        return inner

    def fee_a(x: int) -> int:
        return x + 1

    def fee_b(x: int) -> int:
        return x + 2

    assert code_digest(node_with(fee_v1, 3).fn) != code_digest(node_with(fee_v2, 3).fn)  # type: ignore[attr-defined]
    assert code_digest(logged(fee_a)) != code_digest(logged(fee_b))


def test_a_default_that_is_an_object_is_counted_by_its_type_in_every_process() -> None:
    definition = (
        "import threading\nSENTINEL = object()\n"
        "def f(x, marker=SENTINEL, lock=threading.Lock(), names={'a', 'b', 'c'}, *, fn=print):\n    return x\n"
    )
    assert len(digests_in_processes(definition)) == 1
