"""A real PostgreSQL server for the journal tests: a fresh data directory, started on
127.0.0.1 and a free port, stopped (and its directory removed) afterwards.

Debian installs the server binaries under /usr/lib/postgresql/<version>/bin, off the PATH. The
server refuses to run as root, so under root (CI containers) it runs as the `postgres` user
the Debian package creates."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from servers import free_port, running


def postgres_binaries() -> Path:
    """The directory holding initdb and postgres; fails in CI (which installs them) and skips
    elsewhere when PostgreSQL is missing."""
    found = shutil.which("initdb")
    if found is not None:
        return Path(os.path.realpath(found)).parent
    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if installed:
        return Path(installed[-1]).parent
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL is not installed; .ci/run installs it (Debian package postgresql)")
    pytest.skip("PostgreSQL is not installed (apt-get install postgresql); CI runs these tests")


@attrs.frozen
class Postgres:
    dsn: str
    port: int
    process: subprocess.Popen[str]


def stop(process: subprocess.Popen[str]) -> None:
    """Fast shutdown (SIGINT): SIGTERM would wait for every client to disconnect."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def server_root() -> Path:
    """A directory for a server's data and socket that the server's user can reach (pytest's
    own temporary directories are private to root)."""
    root = Path(tempfile.mkdtemp(prefix="tta-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    return root


@contextlib.contextmanager
def postgres_server(port: int | None = None, root: Path | None = None) -> Iterator[Postgres]:
    """A running server. Given `root` (see server_root), its data stays there, so a server can
    be stopped and started again on the same data; else it is removed afterwards."""
    bin_dir = postgres_binaries()
    user = "postgres" if os.geteuid() == 0 else None
    own = root is None
    root = server_root() if root is None else root
    data = root / "data"
    try:
        if not (data / "PG_VERSION").exists():
            subprocess.run(
                [str(bin_dir / "initdb"), "-D", str(data), "-U", "tta", "--auth=trust", "--no-sync", "-E", "UTF8"],
                check=True, capture_output=True, user=user, timeout=120,
            )
        port = port or free_port()
        argv = [str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(root)]
        with running(argv, "database system is ready to accept connections", user=user) as process:
            try:
                yield Postgres(f"postgresql://tta@127.0.0.1:{port}/postgres", port, process)
            finally:
                stop(process)
    finally:
        if own:
            shutil.rmtree(root, ignore_errors=True)
