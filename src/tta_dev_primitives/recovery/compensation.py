"""The original `recovery.compensation`."""

from ..stdlib.recovery._saga import SagaPrimitive

__all__ = ["SagaPrimitive"]
