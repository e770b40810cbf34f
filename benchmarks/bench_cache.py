"""Cache hit latency: ours vs async-lru (and a hand-written cachetools TTLCache), in one run, for
three kinds of input: a str, a dict of 3 keys, and a ChatRequest of 4 messages keyed by `llm_key`.

async-lru needs hashable arguments: for the dict it is given the dict's items as a sorted tuple
(built once, as the dict is); for the ChatRequest, the request itself (a frozen attrs class).
Each table separates the cache operation (`@cached`, no plan) from a hit inside a plan, and shows
`plan.run` of the same node uncached: the plan's own fixed cost, which a hit in a plan includes.
The ChatRequest table also builds a new, equal request for every call (on both sides, beside the
cost of building it alone): a hit then cannot reuse what it remembered of the request object;
and a new request of the same message objects, as an agent's next turn builds one.

Target (not a test): hits within 1.3x of async-lru for str and dict, 1.5x for a ChatRequest.
Run: python -m benchmarks.bench_cache
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import cachetools
from async_lru import alru_cache

from tta_dev_primitives import cached, compile, llm_key, node
from tta_dev_primitives.llm import ChatMessage, ChatRequest

from .harness import Case, Result, environment, measure, table


async def compute(x: object) -> int:
    return 1


QUERY = {"query": "capital of France", "top_k": 5, "lang": "en"}
QUERY_ITEMS = tuple(sorted(QUERY.items()))


def conversation() -> ChatRequest:
    """A request of 4 messages, built anew on every call."""
    return ChatRequest(
        (
            ChatMessage("system", "You are a terse geography assistant."),
            ChatMessage("user", "What is the capital of France?"),
            ChatMessage("assistant", "Paris."),
            ChatMessage("user", "And of Germany?"),
        ),
        model="gpt-4o",
        temperature=0.0,
        max_tokens=64,
    )


REQUEST = conversation()


def _ours(value: object, key: Callable[..., object] | None = None) -> tuple[Callable[[object], Awaitable[int]], Callable[[object], Awaitable[object]]]:
    """Our `@cached` function and a plan with a `.cached()` node, both keyed like `key`."""
    function = cached(max_size=1000, ttl=3600, key=key)(compute)
    plan = compile(node(compute).cached(max_size=1000, ttl=3600, key=key))
    return function, plan.run


def str_cases() -> list[Case]:
    ours, in_plan = _ours("hello")
    theirs = alru_cache(maxsize=1000, ttl=3600)(compute)
    ttl_cache: cachetools.TTLCache[str, int] = cachetools.TTLCache(maxsize=1000, ttl=3600)
    uncached = compile(node(compute))

    async def with_cachetools(x: str) -> int:
        try:
            return ttl_cache[x]
        except KeyError:
            value = ttl_cache[x] = await compute(x)
            return value

    return [
        Case("raw await (no cache)", lambda: compute("hello")),
        Case("async-lru hit", lambda: theirs("hello")),
        Case("tta @cached hit", lambda: ours("hello")),
        Case("tta .cached() hit in a plan", lambda: in_plan("hello")),
        Case("plan.run, no cache (the plan's fixed cost)", lambda: uncached.run("hello")),
        Case("cachetools TTLCache hit (hand-written)", lambda: with_cachetools("hello")),
    ]


def dict_cases() -> list[Case]:
    ours, in_plan = _ours(QUERY)
    theirs = alru_cache(maxsize=1000, ttl=3600)(compute)
    return [
        Case("async-lru hit (the dict's sorted items tuple)", lambda: theirs(QUERY_ITEMS)),
        Case("tta @cached hit (the dict)", lambda: ours(QUERY)),
        Case("tta .cached() hit in a plan (the dict)", lambda: in_plan(QUERY)),
    ]


def request_cases() -> list[Case]:
    ours, in_plan = _ours(REQUEST, key=llm_key)
    theirs = alru_cache(maxsize=1000, ttl=3600)(compute)

    async def build_only() -> ChatRequest:
        return conversation()

    async def next_turn_only() -> ChatRequest:
        return REQUEST.with_messages(REQUEST.messages)

    return [
        Case("async-lru hit (the ChatRequest)", lambda: theirs(REQUEST)),
        Case("tta @cached(key=llm_key) hit", lambda: ours(REQUEST)),
        Case("tta .cached(key=llm_key) hit in a plan", lambda: in_plan(REQUEST)),
        Case("async-lru hit, a new equal request each call", lambda: theirs(conversation())),
        Case("tta @cached(key=llm_key) hit, a new equal request each call", lambda: ours(conversation())),
        Case("building the request alone", build_only),
        Case("async-lru hit, a new request of the same messages", lambda: theirs(REQUEST.with_messages(REQUEST.messages))),
        Case("tta @cached(key=llm_key) hit, a new request of the same messages", lambda: ours(REQUEST.with_messages(REQUEST.messages))),
        Case("building that request alone", next_turn_only),
    ]


def _ratio(results: list[Result], case: str, baseline: str) -> float:
    medians = {r.case.name: r.median_s for r in results}
    return medians[case] / medians[baseline]


async def main() -> None:
    strs = await measure(str_cases())
    print(table("cache hit latency, str input", strs, baseline="async-lru hit", unit="call"))
    print()
    dicts = await measure(dict_cases())
    print(table("cache hit latency, a dict of 3 keys", dicts, baseline="async-lru hit (the dict's sorted items tuple)", unit="call"))
    print()
    requests = await measure(request_cases())
    print(table("cache hit latency, a ChatRequest of 4 messages keyed by llm_key", requests, baseline="async-lru hit (the ChatRequest)", unit="call"))
    print()
    print(f"tta @cached hit, str: {_ratio(strs, 'tta @cached hit', 'async-lru hit'):.2f}x async-lru's (target <= 1.3x)")
    print(f"tta @cached hit, dict: {_ratio(dicts, 'tta @cached hit (the dict)', 'async-lru hit (the dict' + chr(39) + 's sorted items tuple)'):.2f}x async-lru's (target <= 1.3x)")
    print(f"tta @cached hit, ChatRequest: {_ratio(requests, 'tta @cached(key=llm_key) hit', 'async-lru hit (the ChatRequest)'):.2f}x async-lru's (target <= 1.5x)")
    print()
    print(environment("tta-dev-primitives", "async-lru", "cachetools"))


if __name__ == "__main__":
    asyncio.run(main())
