"""The original package's `tta_dev_primitives.recovery`, re-exported from where the primitives
live now (see the migration guide, docs/guides/migrating.md)."""

from .circuit_breaker import CircuitBreaker, CircuitOpenError
from .compensation import SagaPrimitive
from .fallback import FallbackPrimitive
from .retry import RetryPrimitive, RetryStrategy
from .timeout import TimeoutError, TimeoutPrimitive

__all__ = [
    "CircuitBreaker", "CircuitOpenError", "FallbackPrimitive", "RetryPrimitive", "RetryStrategy", "SagaPrimitive", "TimeoutError",
    "TimeoutPrimitive",
]
