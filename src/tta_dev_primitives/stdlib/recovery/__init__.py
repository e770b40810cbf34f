"""Recovery primitives: retry, fallback, timeout, circuit breaker, saga, bulkhead, rate limit, hedge."""

from .breaker import CircuitBreaker
from .budget import RetryBudget
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
from .fallback import Fallback, FallbackNode, FallbackPrimitive
from .hedge import Hedge, HedgeError
from .limits import Bulkhead, RateLimiter
from .pipeline import resilient
from .retry import DEFAULT_TRANSIENT, Retry, RetryPrimitive, RetryStrategy, is_transient
from .saga import Saga, SagaPrimitive, compensated, saga
from .timeout import Timeout, TimeoutPrimitive

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
