"""The original `recovery.timeout`. Its `TimeoutError` is NodeTimeoutError now (a subclass of
the builtin TimeoutError), so `except TimeoutError` written against this module still catches it."""

from ..stdlib.recovery.errors import NodeTimeoutError as TimeoutError
from ..stdlib.recovery._timeout import TimeoutPrimitive

__all__ = ["TimeoutError", "TimeoutPrimitive"]
