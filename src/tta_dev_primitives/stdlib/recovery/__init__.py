"""Recovery primitives: retry, fallback, timeout, circuit breaker, saga, bulkhead, rate limit, hedge."""

from .budget import RetryBudget
from .errors import (
    BulkheadFullError,
    CircuitOpenError,
    FallbackError,
    NodeTimeoutError,
    RateLimitedError,
    SagaError,
    TransientError,
)
from .fallback import Fallback, FallbackNode, FallbackPrimitive
from .retry import DEFAULT_TRANSIENT, Retry, RetryPrimitive, is_transient
from .timeout import Timeout, TimeoutPrimitive

__all__ = [
    "DEFAULT_TRANSIENT",
    "BulkheadFullError",
    "CircuitOpenError",
    "Fallback",
    "FallbackError",
    "FallbackNode",
    "FallbackPrimitive",
    "NodeTimeoutError",
    "RateLimitedError",
    "Retry",
    "RetryBudget",
    "RetryPrimitive",
    "SagaError",
    "Timeout",
    "TimeoutPrimitive",
    "TransientError",
    "is_transient",
]
