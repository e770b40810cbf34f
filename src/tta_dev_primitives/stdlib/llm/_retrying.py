"""The retry policy agents put around their model calls unless told otherwise.

The provider clients turn their SDK's own retries off, so that one policy (our `Retry`, seen by
EXPLAIN and the worst-case analysis) decides; without it, one HTTP 429 would end an agent's run.
"""

from __future__ import annotations

import random

from ...dsl._core import AnyNode
from ..._validate import check_int
from .._clock import SYSTEM_CLOCK, Clock
from ..recovery._retry import Retry
from .providers._errors import ModelTransientError

__all__ = ["MODEL_RETRY", "has_retry", "model_retry"]


def model_retry(
    *,
    max_attempts: int = 3,
    initial_delay: float = 0.5,
    backoff_factor: float = 2.0,
    max_delay: float = 30.0,
    clock: Clock = SYSTEM_CLOCK,
    rng: random.Random | None = None,
) -> Retry:
    """A `Retry` for model calls: only `ModelTransientError` (rate limits, overload, server
    errors, timeouts, cut connections) is retried, up to `max_attempts` calls in all, waiting
    full-jitter exponential backoff (0.5 s, then 1 s by default; the OpenAI and Anthropic SDKs'
    own schedule) or the provider's `Retry-After` when it asks for longer, up to `max_delay`.
    A refusal (`ModelCallError`: a bad request, a bad key, an exhausted quota) is not retried."""
    check_int("model_retry", "max_attempts", max_attempts, minimum=1)
    return Retry(
        max_attempts=max_attempts,
        initial_delay=initial_delay,
        backoff_factor=backoff_factor,
        max_delay=max_delay,
        retry_on=(ModelTransientError,),
        clock=clock,
        rng=rng,
    )


MODEL_RETRY = model_retry()
"""What `agent(..., retry=)` defaults to: `model_retry()` with its default settings."""


def has_retry(node: AnyNode) -> bool:
    """Whether `node` already runs something under a retrying policy (the user wrapped the model
    in `Retry`): a default retry around it would multiply the attempts."""
    from ...compiler._ir import walk
    from ...compiler._lowering import lower

    for op in walk(lower(node)):
        policy = op.policy()
        if policy is not None and policy.retries:
            return True
    return False
