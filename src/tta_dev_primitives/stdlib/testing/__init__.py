"""Testing utilities: mocks, a fake clock, and a pytest plugin with fixtures for them."""

from ._fake_clock import FakeClock
from ._mocks import MockNode, MockPrimitive, mock_node

__all__ = ["FakeClock", "MockNode", "MockPrimitive", "mock_node"]
