"""Retry and circuit-breaker wrappers on the success path: ours vs tenacity and stamina.

Every case calls the same trivial async function once per call, through its wrapper.
Target (not a test): our retry is faster than tenacity's.
Run: python -m benchmarks.bench_resilience
"""

from __future__ import annotations

import asyncio

import stamina
import tenacity

from tta_dev_primitives import CircuitBreaker, Retry, compile, node

from .harness import Case, environment, measure, table


async def call(x: int) -> int:
    return x + 1


def cases() -> list[Case]:
    tta_retry = Retry(max_attempts=3)(call)
    tta_breaker = CircuitBreaker("bench")(call)
    retry_plan = compile(node(call).retry(max_attempts=3))
    breaker_plan = compile(node(call).guard(CircuitBreaker("bench-plan")))
    tenacity_retry = tenacity.retry(stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_exponential_jitter())(call)
    stamina_retry = stamina.retry(on=ConnectionError, attempts=3)(call)
    return [
        Case("raw await", lambda: call(1)),
        Case("tta Retry (decorator)", lambda: tta_retry(1)),
        Case("tta node.retry() in a plan", lambda: retry_plan.run(1)),
        Case("tta CircuitBreaker (decorator)", lambda: tta_breaker(1)),
        Case("tta breaker in a plan", lambda: breaker_plan.run(1)),
        Case("tenacity @retry", lambda: tenacity_retry(1)),
        Case("stamina @retry", lambda: stamina_retry(1)),
    ]


async def main() -> None:
    results = await measure(cases())
    print(table("retry / breaker wrappers, success path", results, baseline="raw await", unit="call"))
    medians = {r.case.name: r.median_s for r in results}
    ours = medians["tta Retry (decorator)"]
    print(f"\ntta Retry is {medians['tenacity @retry'] / ours:.1f}x faster than tenacity "
          f"and {medians['stamina @retry'] / ours:.1f}x faster than stamina (target: faster than tenacity)")
    print()
    print(environment("tta-dev-primitives", "anyio", "tenacity", "stamina"))


if __name__ == "__main__":
    asyncio.run(main())
