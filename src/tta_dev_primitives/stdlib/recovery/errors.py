"""Errors raised by the recovery primitives.

The classes live in `tta_dev_primitives.errors` (with every public exception of the package);
this module keeps their old import path, giving the very same classes.
"""

from __future__ import annotations

from ...errors import (
    BulkheadFullError,
    CircuitOpenError,
    CompensationInterruptedError,
    FallbackError,
    NodeTimeoutError,
    RateLimitedError,
    SagaError,
    TransientError,
)

__all__ = [
    "BulkheadFullError",
    "CompensationInterruptedError",
    "CircuitOpenError",
    "FallbackError",
    "NodeTimeoutError",
    "RateLimitedError",
    "SagaError",
    "TransientError",
]
