"""The package's pytest plugin: its clock fixtures, and output checks turned on."""

from __future__ import annotations

from tta_dev_primitives import FakeClock, check_outputs


def test_plugin_fixtures_are_available(fake_clock: FakeClock, manual_clock: FakeClock) -> None:
    assert fake_clock.auto_advance and not manual_clock.auto_advance


def test_the_pytest_plugin_turns_output_checks_on() -> None:
    previous = check_outputs(True)
    assert previous is True
