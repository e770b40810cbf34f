"""`resilient(...)`: compose the resilience wrappers in the well-known order.

From the outside in (Polly v8 and resilience4j agree):

    fallback  >  total timeout  >  retry  >  circuit breaker  >  attempt timeout  >  node

- the fallback is outermost, so it catches whatever is left after everything else gave up;
- the total timeout bounds all attempts together, including backoff sleeps;
- retry repeats the attempt;
- the breaker sees (and counts) every attempt, and its CircuitOpenError carries `retry_after`,
  which Retry honours;
- the attempt timeout bounds one attempt, so a hung call becomes a retryable TimeoutError.
"""

from __future__ import annotations

from typing import TypeVar

from ...dsl._core import Node
from .._clock import SYSTEM_CLOCK, Clock
from ._breaker import CircuitBreaker
from ._retry import Retry
from ._timeout import Timeout

__all__ = ["resilient"]

A = TypeVar("A")
B = TypeVar("B")


def resilient(
    node: Node[A, B],
    *,
    attempt_timeout: float | None = None,
    breaker: CircuitBreaker | None = None,
    retry: Retry | None = None,
    total_timeout: float | None = None,
    fallback: Node[A, B] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Node[A, B]:
    """Wrap `node` with the given wrappers, in the order documented above."""
    wrapped = node
    if attempt_timeout is not None:
        wrapped = Timeout(attempt_timeout, clock=clock)(wrapped)
    if breaker is not None:
        wrapped = breaker(wrapped)
    if retry is not None:
        wrapped = retry(wrapped)
    if total_timeout is not None:
        wrapped = Timeout(total_timeout, clock=clock)(wrapped)
    if fallback is not None:
        wrapped = Node.fallback(wrapped, fallback)  # the method, also on nodes with a `fallback` attribute (the original's)
    return wrapped
