"""Errors raised by the recovery primitives."""

from __future__ import annotations

from collections.abc import Sequence

from ...errors import PrimitivesError

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


class TransientError(PrimitivesError):
    """Base class for errors worth retrying (Retry retries these by default).

    Raise it (or a subclass) from your own nodes to mark a failure as temporary. An optional
    `retry_after` (seconds) tells Retry how long to wait before the next attempt.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NodeTimeoutError(PrimitivesError, TimeoutError):
    """A node did not finish within its Timeout (a subclass of the builtin TimeoutError)."""

    def __init__(self, node: str, seconds: float) -> None:
        super().__init__(f"{node!r} did not finish within {seconds:g}s")
        self.node = node
        self.seconds = seconds


class CircuitOpenError(PrimitivesError):
    """The circuit breaker is open: the call was not made. Try again after `retry_after` seconds."""

    def __init__(self, breaker: str, retry_after: float) -> None:
        super().__init__(f"circuit {breaker!r} is open; retry after {retry_after:.3g}s")
        self.breaker = breaker
        self.retry_after = retry_after


class BulkheadFullError(PrimitivesError):
    """The bulkhead's concurrency limit and queue are full: the call was rejected."""


class RateLimitedError(PrimitivesError):
    """The rate limiter has no token for this call and was told not to wait."""

    def __init__(self, limiter: str, retry_after: float) -> None:
        super().__init__(f"rate limit {limiter!r} exhausted; next token in {retry_after:.3g}s")
        self.limiter = limiter
        self.retry_after = retry_after


class FallbackError(ExceptionGroup[Exception]):
    """The primary and every fallback failed; holds each attempt's error in order."""

    def derive(self, excs: Sequence[Exception]) -> FallbackError:  # type: ignore[override]
        """This error over a subset of its exceptions (what `except*` and `split()` build), its
        fields kept."""
        return FallbackError(self.message, excs)


class SagaError(ExceptionGroup[Exception]):
    """A saga step failed and one or more compensations failed too.

    The first exception is the step's original error; the others are the compensation failures.
    """

    def derive(self, excs: Sequence[Exception]) -> SagaError:  # type: ignore[override]
        """This error over a subset of its exceptions (what `except*` and `split()` build), its
        fields kept."""
        return SagaError(self.message, excs)


class CompensationInterruptedError(PrimitivesError):
    """A compensation was interrupted by something other than an error (its task was cancelled,
    e.g. because the event loop shut down); the step it was undoing may not be undone."""

    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"compensation of step {step!r} was interrupted by {type(cause).__name__}")
        self.step = step
        self.__cause__ = cause
