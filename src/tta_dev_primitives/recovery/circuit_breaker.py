"""The original `recovery.circuit_breaker` (its CircuitBreaker's settings are spelled
differently now: see the migration guide, docs/guides/migrating.md)."""

from ..stdlib.recovery._breaker import CircuitBreaker
from ..stdlib.recovery.errors import CircuitOpenError

__all__ = ["CircuitBreaker", "CircuitOpenError"]
