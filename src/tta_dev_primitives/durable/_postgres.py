"""PostgresJournal: a journal in PostgreSQL (psycopg 3, extra `postgres`), for several processes.

Each journal holds one connection, used from a worker thread (psycopg's blocking API, so it runs
on asyncio and trio alike). A run is claimed with a session-level advisory lock: a process
that dies loses its connection and so its claim, and another process can resume the run at
once. Every step is one INSERT committed before the run goes on.
"""

from __future__ import annotations

import typing

from .errors import ClaimLostError, DurableRunError, JournalCorruptError, JournalUnavailableError, RunInProgressError
from ._journal import RUN_COLUMNS, STEP_COLUMNS, RunHeader, RunStatus, StoredRun, ThreadedJournal, stored_run

if typing.TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresJournal"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tta_runs (
        run_id TEXT PRIMARY KEY, plan TEXT NOT NULL, fingerprint TEXT NOT NULL, outline TEXT NOT NULL,
        input BYTEA NOT NULL, input_crc BIGINT NOT NULL, status TEXT NOT NULL, result BYTEA, result_crc BIGINT,
        error TEXT, created TIMESTAMPTZ NOT NULL DEFAULT now(), updated TIMESTAMPTZ NOT NULL DEFAULT now(), code TEXT)""",
    """CREATE TABLE IF NOT EXISTS tta_steps (
        seq BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, key TEXT NOT NULL, payload BYTEA NOT NULL,
        crc BIGINT NOT NULL, UNIQUE (run_id, key))""",
)
_HAS_CODE = (
    "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'tta_runs' "
    "AND column_name = 'code'"
)
"""Whether the runs table has the code column (a journal of an earlier version has not); asked
first, since ALTER TABLE locks the table even when there is nothing to add."""
_LOCK = "SELECT pg_try_advisory_lock(hashtextextended(%s, 7261))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended(%s, 7261))"


class PostgresJournal(ThreadedJournal):
    """A journal in the PostgreSQL database at `dsn` (a libpq connection string or URL); its
    tables are created on first use. `timeout` bounds each call (a server that stops
    answering), and a run's own deadline bounds it too."""

    def __init__(self, dsn: str, *, connect_timeout: float = 10.0, timeout: float = 30.0) -> None:
        super().__init__(timeout=timeout)
        from .._validate import check_positive

        from ..extras import require

        require("psycopg", "postgres", "PostgresJournal")  # fail here, not at the first run
        self.dsn = dsn
        self.connect_timeout = check_positive("PostgresJournal", "connect_timeout", connect_timeout)
        self._db: psycopg.Connection[tuple[object, ...]] | None = None
        self._lost: set[str] = set()
        """Runs whose claim went with a lost connection and could not be taken again."""

    def __repr__(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        try:
            info = conninfo_to_dict(self.dsn)
            where = f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
        except Exception:  # noqa: BLE001 - a repr never raises
            where = "?"
        return f"PostgresJournal({where})"  # never the password

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        import psycopg

        if self._db is None or self._db.closed:
            db = psycopg.connect(self.dsn, autocommit=True, connect_timeout=max(1, round(self.connect_timeout)))
            for statement in _SCHEMA:
                try:
                    db.execute(statement)
                except psycopg.errors.UniqueViolation:  # another process created it meanwhile
                    pass
            if db.execute(_HAS_CODE).fetchone() is None:
                db.execute("ALTER TABLE tta_runs ADD COLUMN IF NOT EXISTS code TEXT")
            self._db = db
        return self._db

    def _check_claim(self, run_id: str) -> None:
        """A run whose connection was lost lost its claim with it (an advisory lock is the
        session's): another process may have taken the run over, even finished it, meanwhile,
        and locking it again would not tell. Not "unavailable": on_journal_error="continue"
        must not go on without a claim."""
        if run_id in self._lost:
            raise ClaimLostError(
                f"{self!r}: the connection holding run {run_id!r} was lost, and the run's claim with it (another process may "
                "have taken the run over meanwhile); this run stops so that two never go on: resume it"
            )

    def _run(self, what: str, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        import psycopg

        try:
            cursor = self._connection().execute(sql, args)
            return cursor.fetchall() if cursor.description is not None else []
        except psycopg.errors.UniqueViolation as error:
            raise DurableRunError(f"{self!r}: {what} refused: {error}") from error
        except (psycopg.errors.DataCorrupted, psycopg.errors.IndexCorrupted) as error:
            raise JournalCorruptError(f"{self!r}: {what} failed: the database reports damaged data ({error}); the run stops") from error
        except psycopg.Error as error:
            if self._db is not None and (self._db.closed or self._db.broken):
                self._db.close()
                self._db = None  # the next call connects again
                self._lost |= set(self._claims)  # the session's advisory locks went with it
            raise JournalUnavailableError(f"{self!r}: {what} failed: {error}") from error

    # -- the blocking side (run in the worker thread) --------------------------------------------

    def _open(self, header: RunHeader) -> StoredRun:
        run_id = header.run_id
        self._claim(run_id, None)
        try:
            (locked,) = self._run("claim", _LOCK, (run_id,))[0]
            if not locked:
                raise RunInProgressError(f"run {run_id!r} is held by another live process (an advisory lock in {self!r})")
            try:
                self._run(
                    "open",
                    "INSERT INTO tta_runs (run_id, plan, fingerprint, outline, input, input_crc, code, status) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, 'running') ON CONFLICT (run_id) DO NOTHING",
                    (run_id, header.plan, header.fingerprint, header.outline, header.input, header.input_crc, header.code),
                )
                stored = self._load(run_id)
            except BaseException:
                self._unlock(run_id)
                raise
        except BaseException:
            self._release(run_id)
            raise
        assert stored is not None
        return stored

    def _unlock(self, run_id: str) -> None:
        try:
            self._run("release", _UNLOCK, (run_id,))
        except JournalUnavailableError:
            pass  # a lost connection released the lock already

    def _load(self, run_id: str) -> StoredRun | None:
        rows = self._run("load", f"SELECT {RUN_COLUMNS} FROM tta_runs WHERE run_id = %s", (run_id,))
        if not rows:
            return None
        steps = self._run("load", f"SELECT {STEP_COLUMNS} FROM tta_steps WHERE run_id = %s ORDER BY seq", (run_id,))
        return stored_run(run_id, rows[0], steps)

    def _append(self, run_id: str, key: str, payload: bytes, crc: int) -> None:
        self._check_claim(run_id)
        try:
            self._run("append", "INSERT INTO tta_steps (run_id, key, payload, crc) VALUES (%s, %s, %s, %s)", (run_id, key, payload, crc))
        except JournalUnavailableError as error:
            if run_id in self._lost:  # the connection broke under this write
                self._check_claim(run_id)
            raise

    def _release(self, run_id: str) -> None:
        super()._release(run_id)
        self._lost.discard(run_id)

    def _close(self, run_id: str, status: RunStatus, result: bytes | None, result_crc: int | None, error: str | None) -> None:
        try:
            if run_id in self._lost:
                return  # the run is another process's now: its status is not ours to write
            self._run(
                "close",
                "UPDATE tta_runs SET status = %s, result = %s, result_crc = %s, error = %s, updated = now() WHERE run_id = %s",
                (status, result, result_crc, error, run_id),
            )
        finally:
            if run_id not in self._lost:
                self._unlock(run_id)
            self._lost.discard(run_id)
            self._release(run_id)

    def _delete(self, run_id: str) -> None:
        self._run("delete", "DELETE FROM tta_steps WHERE run_id = %s", (run_id,))
        self._run("delete", "DELETE FROM tta_runs WHERE run_id = %s", (run_id,))

    def _disconnect(self, *, close: bool) -> None:
        """Closing the connection releases every claim it held (its advisory locks)."""
        db, self._db = self._db, None
        self._lost.clear()
        if db is not None and close:
            db.close()
