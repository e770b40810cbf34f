"""The original `testing.mocks`."""

from ..stdlib.testing.mocks import MockPrimitive

__all__ = ["MockPrimitive"]
