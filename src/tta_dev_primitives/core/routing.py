"""The original `core.routing`."""

from ..stdlib.flow.routing import RouterPrimitive

__all__ = ["RouterPrimitive"]
