"""The original `recovery.fallback`."""

from ..stdlib.recovery._fallback import FallbackPrimitive

__all__ = ["FallbackPrimitive"]
