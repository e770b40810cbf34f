"""The original `recovery.retry`: `RetryPrimitive(primitive, strategy=RetryStrategy(...))` runs
its primitive up to `max_retries + 1` times on any Exception and re-raises the last error.

The original's bookkeeping, per attempt `n` (0-based): checkpoints `retry.attempt_{n}.start/.end`,
a span `retry.attempt_{n}`, an execution `RetryPrimitive.attempt_{n}` in the enhanced metrics
collector; per wait: checkpoints `retry.backoff_{n}.start/.end` and `RetryPrimitive.backoff_{n}`;
around the whole: `retry.start/.end` and `RetryPrimitive.workflow`. Log events
`retry_workflow_start`, `retry_attempt_start`, `retry_attempt_success`, `retry_attempt_failed`,
`retry_backoff_complete`, `retry_exhausted`, `retry_workflow_complete`, `retry_workflow_failed`.

Waits go through a Clock (`clock=`, the system clock by default; tests pass a FakeClock). Our own
`Retry` (top level) retries only transient errors with full jitter; this one keeps the
original's schedule and retries everything.
"""

from __future__ import annotations

import time
from typing import TypeVar

from ..context import RunContext, WorkflowContext
from ..core._instrumented import TRACING_AVAILABLE, original_tracer
from ..core.base import WorkflowPrimitive
from ..dsl._core import Node
from ..errors import ConfigError
from ..observability._logging import get_logger
from ..observability.enhanced_collector import get_enhanced_metrics_collector
from ..stdlib._clock import SYSTEM_CLOCK, Clock
from ..stdlib.recovery._retry import RetryStrategy
from ..core._spans import traced
from ._support import child, ids, kind

__all__ = ["TRACING_AVAILABLE", "RetryPrimitive", "RetryStrategy"]

logger = get_logger(__name__)

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")


class RetryPrimitive(WorkflowPrimitive[In, Out]):
    """Retry `primitive` with the original's exponential backoff (`strategy`, RetryStrategy()
    by default): wait `strategy.calculate_delay(n)` seconds after failed attempt `n`."""

    def __init__(
        self: RetryPrimitive[A, B], primitive: Node[A, B], strategy: RetryStrategy | None = None, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.primitive: Node[A, B] = child("RetryPrimitive", "primitive", primitive)
        given: object = RetryStrategy() if strategy is None else strategy
        if not isinstance(given, RetryStrategy):
            raise ConfigError("RetryPrimitive", "strategy", "a RetryStrategy", given)
        self.strategy = given
        self.clock = clock

    async def execute(self, input_data: In, context: WorkflowContext | None = None) -> Out:
        """The first successful attempt's result, else the last attempt's error (after
        `max_retries + 1` attempts)."""
        if context is None:
            context = RunContext()
        primitive: Node[In, Out] = self.primitive  # type: ignore[assignment]  # built as RetryPrimitive[A, B] from Node[A, B]
        strategy, collector, primitive_type = self.strategy, get_enhanced_metrics_collector(), kind(self.primitive)
        total = strategy.max_retries + 1
        tracer = original_tracer(__name__) if TRACING_AVAILABLE else None
        logger.info(
            "retry_workflow_start", max_retries=strategy.max_retries, backoff_base=strategy.backoff_base,
            primitive_type=primitive_type, **ids(context),
        )
        context.checkpoint("retry.start")
        started = time.perf_counter()
        attempt = 0
        while True:
            logger.info("retry_attempt_start", attempt=attempt + 1, total_attempts=total, primitive_type=primitive_type, **ids(context))
            context.checkpoint(f"retry.attempt_{attempt}.start")
            attempt_started = time.perf_counter()
            try:
                result = await traced(
                    tracer, f"retry.attempt_{attempt}", "retry",
                    {"attempt": attempt + 1, "max_attempts": total, "primitive_type": primitive_type},
                    lambda: primitive.execute(input_data, context),
                    on_success={"succeeded_on_attempt": attempt + 1},
                )
            except Exception as error:
                context.checkpoint(f"retry.attempt_{attempt}.end")
                duration_ms = (time.perf_counter() - attempt_started) * 1000
                collector.record_execution(f"RetryPrimitive.attempt_{attempt}", duration_ms=duration_ms, success=False)
                if attempt >= strategy.max_retries:
                    logger.error("retry_exhausted", total_attempts=total, final_error=str(error), primitive_type=primitive_type, **ids(context))
                    context.checkpoint("retry.end")
                    total_ms = (time.perf_counter() - started) * 1000
                    logger.error("retry_workflow_failed", total_attempts=total, total_duration_ms=total_ms, **ids(context))
                    collector.record_execution("RetryPrimitive.workflow", duration_ms=total_ms, success=False)
                    raise
                await self._back_off(attempt, total, duration_ms, error, context)
                attempt += 1
                continue
            context.checkpoint(f"retry.attempt_{attempt}.end")
            duration_ms = (time.perf_counter() - attempt_started) * 1000
            collector.record_execution(f"RetryPrimitive.attempt_{attempt}", duration_ms=duration_ms, success=True)
            logger.info(
                "retry_attempt_success", attempt=attempt + 1, total_attempts=total, duration_ms=duration_ms,
                primitive_type=primitive_type, **ids(context),
            )
            context.checkpoint("retry.end")
            total_ms = (time.perf_counter() - started) * 1000
            logger.info("retry_workflow_complete", succeeded_on_attempt=attempt + 1, total_attempts=total, total_duration_ms=total_ms, **ids(context))
            collector.record_execution("RetryPrimitive.workflow", duration_ms=total_ms, success=True)
            return result

    async def _back_off(self, attempt: int, total: int, duration_ms: float, error: Exception, context: WorkflowContext) -> None:
        """Wait before attempt `attempt + 1`, with the original's log, checkpoints and metric."""
        delay = self.strategy.calculate_delay(attempt)
        logger.warning(
            "retry_attempt_failed", attempt=attempt + 1, total_attempts=total, duration_ms=duration_ms, backoff_delay=delay,
            error=str(error), primitive_type=kind(self.primitive), **ids(context),
        )
        context.checkpoint(f"retry.backoff_{attempt}.start")
        started = time.perf_counter()
        await self.clock.sleep(delay)
        waited_ms = (time.perf_counter() - started) * 1000
        context.checkpoint(f"retry.backoff_{attempt}.end")
        get_enhanced_metrics_collector().record_execution(f"RetryPrimitive.backoff_{attempt}", duration_ms=waited_ms, success=True)
        logger.info("retry_backoff_complete", attempt=attempt + 1, backoff_delay=delay, actual_duration_ms=waited_ms, **ids(context))
