"""Arize Phoenix for the integration tests: installed from PyPI into a venv of its own, started
with `phoenix serve` on 127.0.0.1, read back through its REST API.

Phoenix gets its own venv because its requirements pin older versions of packages we test
against (`anthropic<2`, and `tenacity<9.2` through google-genai): installed beside the project
it would downgrade them. The venv is built once per machine under
`~/.cache/tta-dev-primitives/phoenix/<version>` (about a minute and 850 MB) and reused.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from servers import free_port, get_json, poll, running

VERSION = "20.26.1"
READY = "Uvicorn running on"


def phoenix_binary() -> str:
    """The `phoenix` command of the cached venv, installing it first if needed. Without a package
    index this fails in CI (which must run these tests) and skips elsewhere."""
    home = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tta-dev-primitives" / "phoenix" / VERSION
    venv, done = home / "venv", home / "venv" / ".installed"
    binary = venv / "bin" / "phoenix"
    if done.is_file() and binary.is_file():
        return str(binary)
    shutil.rmtree(venv, ignore_errors=True)  # a half-built venv from an interrupted install
    home.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, f"arize-phoenix=={VERSION}"], check=True, capture_output=True, text=True, timeout=1200)
    except subprocess.CalledProcessError as error:
        message = f"installing arize-phoenix=={VERSION} failed: {str(error.stderr)[-2000:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    done.touch()
    return str(binary)


@attrs.frozen
class Phoenix:
    """A running Phoenix: where to send OTLP over HTTP and gRPC, and where its REST API is."""

    url: str
    grpc: str
    process: subprocess.Popen[str]

    def spans(self, project: str, **query: str) -> list[dict[str, object]]:
        """The project's spans matching `query` (REST `GET /v1/projects/{project}/spans`); none
        while the project does not exist yet (Phoenix creates it with its first span)."""
        params = urllib.parse.urlencode({"limit": "1000", **query})
        try:
            page = get_json(f"{self.url}/v1/projects/{urllib.parse.quote(project)}/spans?{params}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return []
            raise
        assert isinstance(page, dict)
        return list(page["data"])

    def trace(self, project: str, trace_id: str, count: int) -> list[dict[str, object]]:
        """The `count` spans of one trace, once Phoenix has ingested them all (it does so
        asynchronously after the export returns)."""
        return poll(
            f"{count} spans of trace {trace_id} in Phoenix project {project!r}",
            lambda: (found if len(found := self.spans(project, trace_id=trace_id)) >= count else None),
        )

    def traces(self, project: str) -> list[dict[str, object]]:
        """The project's traces with their summed token counts (REST `GET /v1/projects/{project}/traces`)."""
        page = get_json(f"{self.url}/v1/projects/{urllib.parse.quote(project)}/traces?limit=100")
        assert isinstance(page, dict)
        return list(page["data"])


@contextlib.contextmanager
def phoenix_server(working_dir: Path, port: int | None = None, grpc_port: int | None = None) -> Iterator[Phoenix]:
    """Phoenix on 127.0.0.1 with its data in `working_dir`, until the block ends. Telemetry and
    external resources are off (with them on it downloads a WASM sandbox at start-up, and waits
    for it up to 30 s). Its gRPC port listens on all interfaces: Phoenix offers no setting."""
    binary = phoenix_binary()
    port, grpc_port = port or free_port(), grpc_port or free_port()
    env = {
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": str(working_dir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        "PHOENIX_LOG_MIGRATIONS": "false",
    }
    with running([binary, "serve"], ready=READY, env=env) as process:
        yield Phoenix(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{grpc_port}", process)
