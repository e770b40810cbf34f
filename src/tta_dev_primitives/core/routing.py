"""The original `core.routing`."""

from ..stdlib.flow._routing import RouterPrimitive

__all__ = ["RouterPrimitive"]
