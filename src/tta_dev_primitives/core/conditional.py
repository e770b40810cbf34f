"""The original `core.conditional`."""

from ..stdlib.flow._conditional import ConditionalPrimitive
from ..stdlib.flow._routing import SwitchPrimitive

__all__ = ["ConditionalPrimitive", "SwitchPrimitive"]
