"""The original package's `tta_dev_primitives.testing`."""

from .mocks import MockPrimitive

__all__ = ["MockPrimitive"]
