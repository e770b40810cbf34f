"""The original `recovery.compensation`."""

from ..stdlib.recovery.saga import SagaPrimitive

__all__ = ["SagaPrimitive"]
