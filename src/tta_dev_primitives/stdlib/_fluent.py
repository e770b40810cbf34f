"""What the stdlib builds for Node's fluent methods: `.retry()`, `.timeout()`, `.cached()`,
`.fallback()`, and `Plan.as_tool()` (see `dsl._fluent`: the DSL declares them, this provides them)."""

from __future__ import annotations

import random

from ..dsl import _fluent as fluent
from ..dsl._core import AnyNode
from .cache import Cache
from ._clock import SYSTEM_CLOCK, Clock
from .llm._tools import tool
from .recovery._budget import RetryBudget
from .recovery._fallback import FallbackNode
from .recovery._retry import Retry, RetryOn
from .recovery._timeout import Timeout

__all__: list[str] = []


def _retry(
    node: AnyNode,
    *,
    max_attempts: int,
    initial_delay: float,
    backoff_factor: float,
    max_delay: float,
    jitter: bool,
    deadline: float | None,
    retry_on: RetryOn | None,
    budget: RetryBudget | None,
    clock: Clock | None,
    rng: random.Random | None,
) -> AnyNode:
    policy = Retry(
        max_attempts=max_attempts,
        initial_delay=initial_delay,
        backoff_factor=backoff_factor,
        max_delay=max_delay,
        jitter=jitter,
        deadline=deadline,
        retry_on=retry_on,
        budget=budget,
        clock=clock or SYSTEM_CLOCK,
        rng=rng,
    )
    return policy(node)


def _timeout(
    node: AnyNode,
    seconds: float,
    *,
    first_chunk: float | None = None,
    idle: float | None = None,
    fallback: AnyNode | None = None,
    clock: Clock | None = None,
) -> AnyNode:
    policy = Timeout(seconds, first_chunk=first_chunk, idle=idle, fallback=fallback, clock=clock or SYSTEM_CLOCK)
    return policy(node)


def _fallback(node: AnyNode, other: AnyNode) -> AnyNode:
    """`a.fallback(b)`; chains (`a.fallback(b).fallback(c)`) stay one level."""
    if isinstance(node, FallbackNode) and node.only_on == (Exception,):
        return FallbackNode(node.routes[0], (*node.routes[1:], other))
    return FallbackNode(node, (other,))


fluent.provide("retry", _retry)
fluent.provide("timeout", _timeout)
fluent.provide("fallback", _fallback)
fluent.provide("cache", Cache)
fluent.provide("tool", tool)
