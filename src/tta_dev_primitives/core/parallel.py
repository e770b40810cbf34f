"""The original `core.parallel`."""

from ..stdlib.flow.parallel import ParallelPrimitive

__all__ = ["ParallelPrimitive"]
