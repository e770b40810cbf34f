"""pytest plugin (entry point `tta_dev_primitives`): fixtures for testing workflows.

- `fake_clock`: a FakeClock with auto-advancing sleeps; pass it as `clock=` to timing primitives.
- `manual_clock`: a FakeClock that moves only on `advance()` (for timeouts and breaker waits).
"""

from __future__ import annotations

import pytest

from .fake_clock import FakeClock


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def manual_clock() -> FakeClock:
    return FakeClock(auto_advance=False)
