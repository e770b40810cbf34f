"""The original package's `performance.cache.CachePrimitive`: keys from `(input, context)`, TTL
expiry, statistics with the hit rate a percentage rounded to two decimals, and per-run counters
in `context.state`."""

from __future__ import annotations

import pytest

from tta_dev_primitives import compile, node
from tta_dev_primitives.core.base import WorkflowContext
from tta_dev_primitives.performance import CachePrimitive
from tta_dev_primitives.stdlib.testing import FakeClock
from tta_dev_primitives.testing import MockPrimitive

pytestmark = pytest.mark.anyio


async def test_hits_misses_and_the_rounded_hit_rate() -> None:
    backend = MockPrimitive("llm", side_effect=lambda data, ctx: f"answer {data['q']}")
    cache = CachePrimitive(backend, cache_key_fn=lambda data, ctx: f"{data['q']}:{ctx.player_id}", ttl_seconds=60.0)
    assert cache.get_stats() == {"size": 0, "hits": 0, "misses": 0, "expirations": 0, "hit_rate": 0.0}
    for _ in range(3):
        assert await cache.execute({"q": "a"}, WorkflowContext(player_id="p")) == "answer a"
    assert backend.call_count == 1
    assert cache.get_stats() == {"size": 1, "hits": 2, "misses": 1, "expirations": 0, "hit_rate": 66.67}
    await cache.execute({"q": "a"}, WorkflowContext(player_id="other"))  # the context is part of the key
    assert backend.call_count == 2 and cache.get_hit_rate() == 50.0


async def test_the_context_counts_its_own_hits_and_misses() -> None:
    cache = CachePrimitive(MockPrimitive("m", 1), cache_key_fn=lambda data, ctx: "key")
    context = WorkflowContext()
    await cache.execute(None, context)
    assert context.state == {"cache_misses": 1}
    await cache.execute(None, context)
    await cache.execute(None, context)
    assert context.state == {"cache_misses": 1, "cache_hits": 2}
    fresh = WorkflowContext()
    await cache.execute(None, fresh)
    assert fresh.state == {"cache_hits": 1}


async def test_entries_expire_after_the_ttl_on_the_clock() -> None:
    clock = FakeClock()
    backend = MockPrimitive("m", "value")
    cache = CachePrimitive(backend, cache_key_fn=lambda data, ctx: data, ttl_seconds=10.0, clock=clock)
    await cache.execute("a", WorkflowContext())
    await cache.execute("b", WorkflowContext())
    clock.advance(9.9)
    await cache.execute("a", WorkflowContext())
    assert backend.call_count == 2
    clock.advance(0.1)
    await cache.execute("a", WorkflowContext())  # expired: run again
    assert backend.call_count == 3 and cache.get_stats()["expirations"] == 1
    assert cache.evict_expired() == 1  # "b"
    assert cache.get_stats()["size"] == 1 and cache.get_stats()["expirations"] == 2
    cache.clear_cache()
    assert cache.get_stats()["size"] == 0 and cache.get_stats()["misses"] == 3


async def test_a_failure_is_not_cached_and_the_cache_is_a_node() -> None:
    backend = MockPrimitive("m", side_effect=[ValueError("down"), "ok"])
    cache = CachePrimitive(backend, cache_key_fn=lambda data, ctx: "k")
    with pytest.raises(ValueError, match="down"):
        await cache.execute(1, WorkflowContext())
    assert cache.get_stats()["size"] == 0
    plan = compile(cache >> node(lambda text: text.upper()))
    assert await plan.run(1) == "OK" and await plan.run(1) == "OK"
    assert backend.call_count == 2 and cache.get_stats()["hits"] == 1


async def test_ages_are_wall_clock_seconds_as_the_originals(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The original timed entries with `time.time()`: a test moving that clock (no sleeping)
    expires them; a hit logs its age."""
    import logging
    import time

    backend = MockPrimitive("m", "value")
    cache = CachePrimitive(backend, cache_key_fn=lambda data, ctx: "key", ttl_seconds=60.0)
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start)
    await cache.execute(None, WorkflowContext())
    monkeypatch.setattr(time, "time", lambda: start + 30.5)
    caplog.set_level(logging.INFO, logger="tta_dev_primitives.performance")
    assert await cache.execute(None, WorkflowContext()) == "value" and backend.call_count == 1
    hit = next(r for r in caplog.records if r.getMessage() == "cache_hit")
    assert hit.tta_fields["age_seconds"] == 30.5  # type: ignore[attr-defined]
    monkeypatch.setattr(time, "time", lambda: start + 60.0)
    await cache.execute(None, WorkflowContext())
    assert backend.call_count == 2 and cache.get_stats()["expirations"] == 1
