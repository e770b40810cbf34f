"""The original package's `tta_dev_primitives.performance`: CachePrimitive."""

from .cache import CachePrimitive

__all__ = ["CachePrimitive"]
