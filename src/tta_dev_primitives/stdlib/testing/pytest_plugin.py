"""pytest plugin (entry point `tta_dev_primitives`): fixtures for testing workflows.

- `fake_clock`: a FakeClock with auto-advancing sleeps; pass it as `clock=` to timing primitives.
- `manual_clock`: a FakeClock that moves only on `advance()` (for timeouts and breaker waits).

It also turns on runtime output checks (`check_outputs`), so a node that returns something
other than its declared type fails its test with an OutputTypeError naming the node. Set
`TTA_CHECK_OUTPUTS=0` to keep them off.
"""

from __future__ import annotations

import pytest

from ...executor._outputs import check_outputs
from ._fake_clock import FakeClock


def pytest_configure(config: pytest.Config) -> None:
    """Check node outputs in tests unless TTA_CHECK_OUTPUTS says otherwise."""
    import os

    if os.environ.get("TTA_CHECK_OUTPUTS", "").strip().lower() not in ("0", "false", "no", "off"):
        check_outputs(True)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def manual_clock() -> FakeClock:
    return FakeClock(auto_advance=False)
