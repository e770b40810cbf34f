"""Shared test configuration: every async test runs on both asyncio and trio; fixtures used by tests
in several folders (the loopback model-provider server, one mypy cache per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.provider_server import ProviderServer


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    """A loopback HTTP server playing a model provider for the real SDKs (see
    tests/fixtures/provider_server.py), stopped after the test."""
    with ProviderServer().running() as running:
        yield running


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for every mypy run under the project's own configuration (pyproject.toml,
    with its plugin): the package is analysed once per session, not once per test."""
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture(scope="session", autouse=True)
def _prefetch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mypy_cache: Path) -> None:
    """Start the session's type checker runs before the first test: every selected test module
    with a `prefetch(names, tmp_path_factory, mypy_cache)` is given the names of its selected
    tests and starts their mypy runs (tests/mypy_worker.py) and pyright's, which then check on
    the core the test process leaves idle while the tests before them run."""
    selected: dict[object, list[str]] = {}
    for item in request.session.items:
        module = getattr(item, "module", None)
        if module is not None and hasattr(module, "prefetch"):
            selected.setdefault(module, []).append(item.name)
    for module, names in selected.items():
        module.prefetch(names, tmp_path_factory, mypy_cache)  # type: ignore[attr-defined]
