"""The original `recovery.retry`: RetryPrimitive(primitive, strategy=RetryStrategy(...))."""

from ..stdlib.recovery._retry import RetryPrimitive, RetryStrategy

__all__ = ["RetryPrimitive", "RetryStrategy"]
