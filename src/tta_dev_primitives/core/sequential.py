"""The original `core.sequential`."""

from ..stdlib.flow.sequential import SequentialPrimitive

__all__ = ["SequentialPrimitive"]
