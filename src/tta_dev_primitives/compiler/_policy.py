"""What the compiler asks of a guard's policy: its worst-case bounds and its lint facts.

A guard op (a retry, a timeout, a cache, ...) runs its one child under a policy object. The
passes never look at a policy's name or settings: they call the methods below, which a policy
answers for itself. The defaults are neutral (the child runs once, its latency passes through,
no lint applies), so a new guard takes part in the analysis without changes to the compiler,
and declares what it changes by overriding them. The stdlib's `GuardPolicy` is a `Policy`.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["CachePolicy", "Policy"]


class Policy:
    """Base of guard policies: the bounds and facts the compiler's passes ask for."""

    retries: ClassVar[bool] = False
    """Runs the child again after it fails, one attempt after another (a retry). The lints flag
    a retry inside it (attempts multiply), a streaming node under it (a new attempt would send
    chunks twice), and a time limit around it with none inside (it bounds all attempts)."""

    limits_time: ClassVar[bool] = False
    """Bounds the child's time (a timeout): inside a retry it limits each attempt."""

    wants_fallback_outside: ClassVar[bool] = False
    """Acts on the child's failures or slowness (a retry, a timeout, a breaker), so a fallback
    directly inside it, which would hide them, is flagged (`fallback-not-outermost`)."""

    def describe(self) -> dict[str, object]:
        """The policy's settings as JSON-compatible values (EXPLAIN, JSON and fingerprints)."""
        return {}

    def max_runs(self) -> int:
        """The most times one call of the guard runs its child (a retry's or a hedge's
        `max_attempts`): the attempts, cost and LLM calls under it multiply by this. 1 by
        default."""
        return 1

    def max_concurrent_runs(self) -> int:
        """The most runs of the child in flight at once (a hedge's overlapping attempts): the
        parallel width under the guard multiplies by this. 1 by default."""
        return 1

    def latency(self, child: float) -> float:
        """The guard's worst-case latency around a child that takes at most `child` seconds.

        The analysis names the guard as a cause of unbounded latency when this is infinite even
        around an instant child (`latency(0.0)`: a queue, a rate limit that waits).

        Args:
            child: the child's worst-case latency in seconds (`math.inf` when unbounded).

        Returns:
            Seconds, or `math.inf` when the guard may wait without bound. By default `child`.
        """
        return child

    def repeats(self) -> bool:
        """Whether the guard may run its child more than once per call, so the lints flag
        children not declared idempotent (`retry-not-idempotent`). By default, when
        `max_runs()` is above 1."""
        return self.max_runs() > 1

    def identity_refs(self) -> tuple[object, ...]:
        """Objects that, beyond the type and `describe()`, make this policy compute something
        else (a cache's key function); structural identity compares them by identity, so two
        guards are merged only when they hold the same ones. Empty by default."""
        return ()


class CachePolicy(Policy):
    """A policy that answers with results its child computed (a cache). A computation's
    identity looks through it, and the `fuse_cache` pass merges, drops and shares caches over
    pure computations through the methods below (by default it leaves them alone)."""

    def merge(self, other: CachePolicy) -> CachePolicy | None:
        """One cache standing for this one around `other` (nested caches), or None to keep both.

        Args:
            other: the cache directly inside this one.

        Returns:
            The policy of the one cache that replaces both, or None.
        """
        return None

    def redundant_under(self, outer: CachePolicy) -> bool:
        """Whether this cache may be dropped from a pure chain that `outer` caches as a whole."""
        return False

    def share(self, other: CachePolicy) -> bool:
        """Whether `other`'s place (a cache on the same pure computation) may use this cache
        instead; returning True commits this cache to serving there."""
        return False
