"""The original `core.parallel`."""

from ..stdlib.flow._parallel import ParallelPrimitive

__all__ = ["ParallelPrimitive"]
