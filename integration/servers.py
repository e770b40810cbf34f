"""Real servers for the integration tests: find the binary, start it on 127.0.0.1, wait for its
own readiness line (not a timer), and stop it afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_binary(name: str, package: str) -> str:
    """The binary's path; fails in CI (which installs it) and skips elsewhere when it is missing."""
    binary = shutil.which(name)
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; .ci/run installs it (Debian package {package})")
        pytest.skip(f"{name} is not installed (apt-get install {package}); CI runs these tests")
    return binary


T = TypeVar("T")


def get_json(url: str) -> object:
    """GET `url` and decode its JSON body."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read().decode())


def poll(what: str, check: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Ask a real server until `check()` returns something truthy: what we wait for (a scrape, an
    asynchronous ingestion) happens inside the server, which offers nothing to await."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def running(
    argv: list[str],
    ready: str,
    env: Mapping[str, str] | None = None,
    start_timeout: float = 180.0,
    user: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Iterator[subprocess.Popen[str]]:
    """Run `argv` (with `env` added to the environment, as `user` and in `cwd` when given) until the block
    ends; enter once its output contains the line `ready`, and kill it if that takes over
    `start_timeout` seconds. The block may stop the process itself."""
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=None if env is None else {**os.environ, **env},
        user=user,
        cwd=cwd,
    )
    assert proc.stdout is not None
    stdout = proc.stdout
    watchdog = threading.Timer(start_timeout, proc.kill)
    watchdog.start()
    seen: list[str] = []
    for line in stdout:
        if ready in line:
            watchdog.cancel()
            break
        seen = [*seen[-20:], line]
    else:
        watchdog.cancel()
        stdout.close()
        output = "".join(seen)
        pytest.fail(f"{argv[0]} exited or hung before becoming ready (code {proc.wait()}); its last output:\n{output}")
    drain: Callable[[], None] = lambda: [None for _ in stdout]  # noqa: E731 - keep the pipe from filling
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        reader.join(timeout=10)
        stdout.close()
