"""The original `testing.mocks`."""

from ..stdlib.testing._mocks import MockPrimitive

__all__ = ["MockPrimitive"]
