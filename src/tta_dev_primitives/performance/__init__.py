"""The original package's `tta_dev_primitives.performance`."""

from .cache import CachePrimitive, cached

__all__ = ["CachePrimitive", "cached"]
