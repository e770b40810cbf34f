"""The original `core.conditional`."""

from ..stdlib.flow.conditional import ConditionalPrimitive
from ..stdlib.flow.routing import SwitchPrimitive

__all__ = ["ConditionalPrimitive", "SwitchPrimitive"]
