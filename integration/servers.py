"""Real servers for the integration tests: find the binary, start it on 127.0.0.1, wait for its
own readiness line (not a timer), and stop it afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator

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


@contextlib.contextmanager
def running(argv: list[str], ready: str) -> Iterator[subprocess.Popen[str]]:
    """Run `argv` until the block ends; enter once its output contains the line `ready`."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    stdout = proc.stdout
    for line in stdout:
        if ready in line:
            break
    else:
        stdout.close()
        pytest.fail(f"{argv[0]} exited before becoming ready (code {proc.wait()})")
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
