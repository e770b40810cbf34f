"""The original `recovery.fallback`."""

from ..stdlib.recovery.fallback import FallbackPrimitive

__all__ = ["FallbackPrimitive"]
