"""SQLiteJournal: the embedded journal, one file in WAL mode, stdlib sqlite3 off the event loop.

Several processes may share the file (SQLite locks it; a run is claimed by one process at a
time). `synchronous="NORMAL"` (the default) keeps every acknowledged step through a crash of
the process; `"FULL"` also through a power loss, at the cost of an fsync per step.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Literal

from .errors import DurableRunError, JournalUnavailableError
from .journal import RUN_COLUMNS, STEP_COLUMNS, RunHeader, RunStatus, StoredRun, ThreadedJournal, stored_run

__all__ = ["SQLiteJournal"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tta_runs (
    run_id TEXT PRIMARY KEY, plan TEXT NOT NULL, fingerprint TEXT NOT NULL, outline TEXT NOT NULL,
    input BLOB NOT NULL, input_crc INTEGER NOT NULL, status TEXT NOT NULL, result BLOB, result_crc INTEGER,
    error TEXT, owner TEXT, created REAL NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tta_steps (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, key TEXT NOT NULL, payload BLOB NOT NULL,
    crc INTEGER NOT NULL, UNIQUE (run_id, key)
);
"""




class SQLiteJournal(ThreadedJournal):
    """A journal in the SQLite file `path` (created with its tables on first use)."""

    def __init__(self, path: str | Path, *, synchronous: Literal["NORMAL", "FULL"] = "NORMAL", busy_timeout: float = 5.0) -> None:
        super().__init__()
        from ..validate import check_positive

        if synchronous not in ("NORMAL", "FULL"):
            from ..errors import ConfigError

            raise ConfigError("SQLiteJournal", "synchronous", "'NORMAL' or 'FULL'", synchronous)
        self.path = str(path)
        self.synchronous = synchronous
        self.busy_timeout = check_positive("SQLiteJournal", "busy_timeout", busy_timeout)
        self._db: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"SQLiteJournal({self.path!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(f"PRAGMA synchronous={self.synchronous}")
                db.executescript(_SCHEMA)
            except sqlite3.Error as error:
                raise JournalUnavailableError(f"{self!r}: cannot open the journal: {error}") from error
            self._db = db
        return self._db

    def _run(self, fn_name: str, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        try:
            return self._connection().execute(sql, args).fetchall()
        except sqlite3.IntegrityError as error:
            raise DurableRunError(f"{self!r}: {fn_name} refused: {error}") from error
        except sqlite3.Error as error:
            raise JournalUnavailableError(f"{self!r}: {fn_name} failed: {error}") from error

    # -- the blocking side (run in the worker thread) --------------------------------------------

    def _open(self, header: RunHeader) -> StoredRun:
        db = self._connection()
        claimed = False
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT owner FROM tta_runs WHERE run_id = ?", (header.run_id,)).fetchone()
                self._claim(header.run_id, None if row is None else row[0])
                claimed = True
                now = time.time()
                if row is None:
                    db.execute(
                        "INSERT INTO tta_runs (run_id, plan, fingerprint, outline, input, input_crc, status, owner, created, updated) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                        (header.run_id, header.plan, header.fingerprint, header.outline, header.input, header.input_crc, self.owner, now, now),
                    )
                else:
                    db.execute("UPDATE tta_runs SET owner = ?, updated = ? WHERE run_id = ?", (self.owner, now, header.run_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            stored = self._load(header.run_id)
        except sqlite3.Error as error:
            if claimed:
                self._release(header.run_id)
            raise JournalUnavailableError(f"{self!r}: cannot open run {header.run_id!r}: {error}") from error
        except BaseException:
            if claimed:
                self._release(header.run_id)
            raise
        assert stored is not None
        return stored

    def _load(self, run_id: str) -> StoredRun | None:
        rows = self._run("load", f"SELECT {RUN_COLUMNS} FROM tta_runs WHERE run_id = ?", (run_id,))
        if not rows:
            return None
        steps = self._run("load", f"SELECT {STEP_COLUMNS} FROM tta_steps WHERE run_id = ? ORDER BY seq", (run_id,))
        return stored_run(run_id, rows[0], steps)

    def _append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        self._run("append", "INSERT INTO tta_steps (run_id, key, payload, crc) VALUES (?, ?, ?, ?)", (run_id, key, payload, crc))

    def _close(self, run_id: str, status: RunStatus, result: bytes | None, result_crc: int | None, error: str | None) -> None:
        try:
            self._run(
                "close",
                "UPDATE tta_runs SET status = ?, result = ?, result_crc = ?, error = ?, owner = NULL, updated = ? WHERE run_id = ?",
                (status, result, result_crc, error, time.time(), run_id),
            )
        finally:
            self._release(run_id)

    def _delete(self, run_id: str) -> None:
        self._run("delete", "DELETE FROM tta_steps WHERE run_id = ?", (run_id,))
        self._run("delete", "DELETE FROM tta_runs WHERE run_id = ?", (run_id,))

    def close(self) -> None:
        """Close the database connection (a later call opens it again)."""
        self._stop_worker()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
