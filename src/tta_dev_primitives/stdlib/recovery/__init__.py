"""Recovery primitives: retry, fallback, timeout, circuit breaker, saga, bulkhead, rate limit, hedge."""

from ._breaker import CircuitBreaker
from ._budget import RetryBudget
from .errors import (
    BulkheadFullError,
    CircuitOpenError,
    CompensationInterruptedError,
    FallbackError,
    NodeTimeoutError,
    RateLimitedError,
    SagaError,
    TransientError,
)
from ._fallback import Fallback, FallbackNode, FallbackPrimitive
from ._hedge import Hedge, HedgeError
from ._limits import Bulkhead, RateLimiter
from ._pipeline import resilient
from ._retry import DEFAULT_TRANSIENT, Retry, RetryPrimitive, RetryStrategy, is_transient
from ._saga import Saga, SagaPrimitive, compensated, saga
from ._timeout import Timeout, TimeoutPrimitive

__all__ = [
    "DEFAULT_TRANSIENT",
    "Bulkhead",
    "BulkheadFullError",
    "CircuitBreaker",
    "CircuitOpenError",
    "CompensationInterruptedError",
    "Fallback",
    "FallbackError",
    "FallbackNode",
    "FallbackPrimitive",
    "Hedge",
    "HedgeError",
    "NodeTimeoutError",
    "RateLimitedError",
    "RateLimiter",
    "Retry",
    "RetryBudget",
    "RetryPrimitive",
    "RetryStrategy",
    "Saga",
    "SagaError",
    "SagaPrimitive",
    "Timeout",
    "TimeoutPrimitive",
    "TransientError",
    "compensated",
    "is_transient",
    "resilient",
    "saga",
]
