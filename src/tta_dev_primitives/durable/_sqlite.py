"""SQLiteJournal: the embedded journal, one file in WAL mode, stdlib sqlite3 off the event loop.

Several processes, and several journal objects in one process, may share the file: a run is
claimed inside the database, under its write lock, by one run at a time. `synchronous="NORMAL"`
(the default) keeps every acknowledged step through a crash of the process; `"FULL"` also
through a power loss, at the cost of an fsync per step.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Literal

from .errors import ClaimLostError, DurableRunError, JournalCorruptError, JournalUnavailableError
from ._journal import RUN_COLUMNS, STEP_COLUMNS, RunHeader, RunStatus, StoredRun, ThreadedJournal, stored_run

__all__ = ["SQLiteJournal"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tta_runs (
    run_id TEXT PRIMARY KEY, plan TEXT NOT NULL, fingerprint TEXT NOT NULL, outline TEXT NOT NULL,
    input BLOB NOT NULL, input_crc INTEGER NOT NULL, status TEXT NOT NULL, result BLOB, result_crc INTEGER,
    error TEXT, owner TEXT, created REAL NOT NULL, updated REAL NOT NULL, code TEXT
);
CREATE TABLE IF NOT EXISTS tta_steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, key TEXT NOT NULL, payload BLOB NOT NULL,
    crc INTEGER NOT NULL, UNIQUE (run_id, key)
);
"""




_CORRUPT = frozenset({11, 26})
"""SQLITE_CORRUPT and SQLITE_NOTADB: the file is damaged or is not a database."""


def _failure(journal: SQLiteJournal, what: str, error: sqlite3.Error) -> DurableRunError:
    """The journal error for an sqlite3 error during `what`: a damaged file is corrupt (the run
    stops, nothing is re-run); anything else (a lock held too long, a full disk, a missing
    directory) is unavailable."""
    code = getattr(error, "sqlite_errorcode", None)
    if (code is not None and code & 0xFF in _CORRUPT) or "malformed" in str(error) or "not a database" in str(error):
        return JournalCorruptError(f"{journal!r}: {what}: the database file is damaged ({error}); the run stops rather than re-running journaled steps")
    return JournalUnavailableError(f"{journal!r}: {what}: {error}")


class SQLiteJournal(ThreadedJournal):
    """A journal in the SQLite file `path` (created with its tables on first use).

    `busy_timeout` bounds how long a call waits for another connection's lock on the file, and
    `timeout` how long any call may take; a run's own deadline bounds both."""

    def __init__(
        self, path: str | Path, *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL", busy_timeout: float = 5.0, timeout: float = 30.0
    ) -> None:
        super().__init__(timeout=timeout)
        from .._validate import check_positive

        if synchronous not in ("NORMAL", "FULL"):
            from ..errors import ConfigError

            raise ConfigError("SQLiteJournal", "synchronous", "'NORMAL' or 'FULL'", synchronous)
        self.path = str(path)
        self.synchronous = synchronous
        self.busy_timeout = check_positive("SQLiteJournal", "busy_timeout", busy_timeout)
        self._db: sqlite3.Connection | None = None
        self._busy_ms = round(self.busy_timeout * 1000)

    def __repr__(self) -> str:
        return f"SQLiteJournal({self.path!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._opened()
        db = self._db
        wait = min(self.busy_timeout, max(self._deadline - time.monotonic(), 0.0))  # never past the caller's deadline
        if round(wait * 1000) != self._busy_ms:
            try:
                db.execute(f"PRAGMA busy_timeout = {round(wait * 1000)}")
            except sqlite3.Error as error:
                raise _failure(self, "setting the busy timeout failed", error) from error
            self._busy_ms = round(wait * 1000)
        return db

    def _opened(self) -> sqlite3.Connection:
        """A connection with the file in WAL mode and the tables created. Switching a new file
        to WAL takes a lock SQLite does not wait for (busy at once while another connection
        sets it up too), so setting up is tried again until the busy timeout or the deadline."""
        give_up = min(time.monotonic() + self.busy_timeout, self._deadline)
        while True:
            db: sqlite3.Connection | None = None
            try:
                db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
                self._busy_ms = round(self.busy_timeout * 1000)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(f"PRAGMA synchronous={self.synchronous}")
                db.executescript(_SCHEMA)
                if "code" not in {row[1] for row in db.execute("PRAGMA table_info(tta_runs)")}:  # a journal of an earlier version
                    try:
                        db.execute("ALTER TABLE tta_runs ADD COLUMN code TEXT")
                    except sqlite3.OperationalError as error:
                        if "duplicate column" not in str(error):  # another connection added it meanwhile
                            raise
                return db
            except sqlite3.Error as error:
                if db is not None:
                    db.close()
                if not (isinstance(error, sqlite3.OperationalError) and "locked" in str(error)) or time.monotonic() >= give_up:
                    raise _failure(self, "cannot open the journal", error) from error
            time.sleep(0.01)  # in the journal's worker thread: another connection is setting the file up

    def _run(self, fn_name: str, sql: str, args: tuple[object, ...]) -> sqlite3.Cursor:
        try:
            return self._connection().execute(sql, args)
        except sqlite3.IntegrityError as error:
            raise DurableRunError(f"{self!r}: {fn_name} refused: {error}") from error
        except sqlite3.Error as error:
            raise _failure(self, f"{fn_name} failed", error) from error

    # -- the blocking side (run in the worker thread) --------------------------------------------

    def _open(self, header: RunHeader) -> StoredRun:
        claimed = False
        try:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE")  # the claim is decided inside the database, under its write lock
            try:
                row = db.execute("SELECT owner FROM tta_runs WHERE run_id = ?", (header.run_id,)).fetchone()
                owner = self._claim(header.run_id, None if row is None else row[0])
                claimed = True
                now = time.time()
                if row is None:
                    db.execute(
                        "INSERT INTO tta_runs (run_id, plan, fingerprint, outline, input, input_crc, code, status, owner, created, updated) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                        (header.run_id, header.plan, header.fingerprint, header.outline, header.input, header.input_crc, header.code, owner, now, now),
                    )
                else:
                    db.execute("UPDATE tta_runs SET owner = ?, updated = ? WHERE run_id = ?", (owner, now, header.run_id))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            stored = self._load(header.run_id)
        except sqlite3.Error as error:
            if claimed:
                self._release(header.run_id)
            raise _failure(self, f"cannot open run {header.run_id!r}", error) from error
        except BaseException:
            if claimed:
                self._release(header.run_id)
            raise
        assert stored is not None
        return stored

    def _load(self, run_id: str) -> StoredRun | None:
        rows = self._run("load", f"SELECT {RUN_COLUMNS} FROM tta_runs WHERE run_id = ?", (run_id,)).fetchall()
        if not rows:
            return None
        steps = self._run("load", f"SELECT {STEP_COLUMNS} FROM tta_steps WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
        return stored_run(run_id, rows[0], steps)

    def _append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        written = self._run(  # only while the run is still ours: a run taken over never gets our steps
            "append",
            "INSERT INTO tta_steps (run_id, key, payload, crc) SELECT ?, ?, ?, ? WHERE EXISTS "
            "(SELECT 1 FROM tta_runs WHERE run_id = ? AND owner = ?)",
            (run_id, key, payload, crc, run_id, self._claims.get(run_id)),
        )
        if written.rowcount == 0:
            raise ClaimLostError(f"{self!r}: run {run_id!r} is no longer claimed by this run (another run took it over); it stops here")

    def _close(self, run_id: str, status: RunStatus, result: bytes | None, result_crc: int | None, error: str | None) -> None:
        try:
            written = self._run(
                "close",
                "UPDATE tta_runs SET status = ?, result = ?, result_crc = ?, error = ?, owner = NULL, updated = ? "
                "WHERE run_id = ? AND owner = ?",
                (status, result, result_crc, error, time.time(), run_id, self._claims.get(run_id)),
            )
            if written.rowcount == 0:
                raise ClaimLostError(f"{self!r}: run {run_id!r} was taken over by another run; its status {status!r} is not recorded")
        finally:
            self._release(run_id)

    def _abandon(self, run_id: str) -> None:
        try:
            self._run("release", "UPDATE tta_runs SET owner = NULL WHERE run_id = ? AND owner = ?", (run_id, self._claims.get(run_id)))
        except DurableRunError:
            pass  # the claim dies with this process anyway
        finally:
            self._release(run_id)

    def _delete(self, run_id: str) -> None:
        self._run("delete", "DELETE FROM tta_steps WHERE run_id = ?", (run_id,))
        self._run("delete", "DELETE FROM tta_runs WHERE run_id = ?", (run_id,))

    def _disconnect(self, *, close: bool) -> None:
        db, self._db = self._db, None
        if db is not None and close:
            db.close()
