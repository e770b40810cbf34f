"""RetryBudget: gRPC-style retry throttling shared by every Retry that holds it."""

from __future__ import annotations

import threading

from ..._validate import check_positive

__all__ = ["RetryBudget"]


class RetryBudget:
    """A token bucket that stops retries when a dependency is failing for everyone.

    Each failed call takes one token and each success returns `token_ratio`; retries are allowed
    only while more than half of `max_tokens` remain (gRPC's retryThrottling). Share one budget
    between all Retry policies that call the same dependency.
    """

    def __init__(self, *, max_tokens: float = 10.0, token_ratio: float = 0.1) -> None:
        self.max_tokens = check_positive("RetryBudget", "max_tokens", max_tokens)
        self.token_ratio = check_positive("RetryBudget", "token_ratio", token_ratio)
        self.tokens = self.max_tokens
        self._lock = threading.Lock()

    def record_failure(self) -> None:
        """A failed call spends one token."""
        with self._lock:
            self.tokens = max(0.0, self.tokens - 1.0)

    def record_success(self) -> None:
        """A successful call earns back `token_ratio` of a token (up to `max_tokens`)."""
        with self._lock:
            self.tokens = min(self.max_tokens, self.tokens + self.token_ratio)

    def allow_retry(self) -> bool:
        """Whether a retry may run now: while more than half the tokens are left."""
        return self.tokens > self.max_tokens / 2

    def __repr__(self) -> str:
        return f"RetryBudget(tokens={self.tokens:.2f}/{self.max_tokens:g}, token_ratio={self.token_ratio:g})"
