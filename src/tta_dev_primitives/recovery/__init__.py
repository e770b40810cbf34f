"""The original package's `tta_dev_primitives.recovery`: its RetryPrimitive, FallbackPrimitive,
SagaPrimitive, TimeoutPrimitive and circuit breaker helpers, with the original's signatures and
bookkeeping (checkpoints, spans, metrics, log events, context state), over our Clock and breaker.

Our own stricter recovery primitives (`Retry`, `Fallback`, `Saga`, `Timeout`, `CircuitBreaker`)
are the top-level names of `tta_dev_primitives`."""

from .circuit_breaker import (
    CircuitBreaker,
    CircuitOpenError,
    ErrorCategory,
    ErrorSeverity,
    RetryConfig,
    calculate_delay,
    classify_error,
    should_retry,
    with_retry,
    with_retry_async,
)
from .compensation import CompensationStrategy, SagaPrimitive
from .fallback import FallbackPrimitive, FallbackStrategy
from .retry import RetryPrimitive, RetryStrategy
from .timeout import TimeoutError, TimeoutPrimitive

__all__ = [
    "CircuitBreaker",
    "CircuitOpenError",
    "CompensationStrategy",
    "ErrorCategory",
    "ErrorSeverity",
    "FallbackPrimitive",
    "FallbackStrategy",
    "RetryConfig",
    "RetryPrimitive",
    "RetryStrategy",
    "SagaPrimitive",
    "TimeoutError",
    "TimeoutPrimitive",
    "calculate_delay",
    "classify_error",
    "should_retry",
    "with_retry",
    "with_retry_async",
]
