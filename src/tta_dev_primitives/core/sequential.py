"""The original `core.sequential`."""

from ..stdlib.flow._sequential import SequentialPrimitive

__all__ = ["SequentialPrimitive"]
