"""Fixtures of the executor tests: a real Dask cluster for the DaskBackend tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[object]:
    """One real `distributed.LocalCluster` on 127.0.0.1 for the session: two worker processes
    of one thread each, under nannies (a killed worker is restarted). A task whose worker dies
    twice fails with KilledWorker (`allowed-failures` 1), so the kill tests stay short."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None, worker_dashboard_address="127.0.0.1:0"
        )
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def dask_client(dask_cluster: object) -> Iterator[object]:
    """A client of the session's cluster with both workers up (a test that killed one waits
    here for its restart)."""
    from distributed import Client

    with Client(dask_cluster, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        client.wait_for_workers(2, timeout=60)
        yield client
