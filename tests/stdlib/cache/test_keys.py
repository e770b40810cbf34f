"""Cache keys: persistent keys are pinned digests (stable across processes and versions), and
in-memory keys (hashable forms, no digest) hit exactly when the canonical forms are equal,
never collide, and refuse what the canonical form refuses with the same error."""

from __future__ import annotations

import dataclasses
import gc
import itertools
import math

import attrs
import pytest

from tests.fixtures.cache_targets import Color, Mode
from tta_dev_primitives import CacheKeyError, cached, canonical_key, compile, llm_key, node
from tta_dev_primitives.llm import ChatMessage, ChatRequest, ToolCall, ToolSpec
from tta_dev_primitives.stdlib.cache._binding import KEY_FORMAT, Binding, key_label, token_for
from tta_dev_primitives.stdlib.cache._forms import llm_form, memory_form

pytestmark = pytest.mark.anyio


def conversation() -> ChatRequest:
    return ChatRequest(
        (
            ChatMessage("system", "You are terse."),
            ChatMessage("user", "Capital of France?"),
            ChatMessage("assistant", "", tool_calls=[ToolCall("c1", "lookup", '{"q": "France"}')]),
            ChatMessage("tool", "Paris", tool_call_id="c1"),
        ),
        model="gpt-4o",
        temperature=0.2,
        max_tokens=64,
        tools=[ToolSpec("lookup", "Look it up", '{"type": "object"}')],
        stop=["\n\n"],
        seed=7,
    )


@dataclasses.dataclass(frozen=True)
class Point:
    x: object
    y: object = None


@attrs.define
class Box:
    item: object


@attrs.frozen
class Frozen:
    item: object


@attrs.frozen
class OddRequest:
    """A request class llm_key keys the long way (a dict and an enum inside)."""

    model: str
    messages: tuple[dict[str, str], ...]
    options: dict[str, object]
    color: Color
    api_key: str


# -- persistent keys: the same digests in every process and version ------------------------

PINNED = {
    "str": ("hello", "5aa762ae383fbb727af3c7a36d4940a5b8c40a989452d2304fc958ff3f354e7a"),
    "dict": ({"query": "hello", "top_k": 5, "lang": "en"}, "2f2c7bd4b3c84cc476dd996b83bbbe74b769c6d800d2cc0bef98c2078e7fcb65"),
    "mixed": (
        {"q": "héllo", "n": [1, 2.5, None, True, -0.0, float("nan")], "t": (1, "a"), 1: "int key", "1": "str key", (1, 2): {3, 1}, b"x": frozenset({"a"})},
        "1d5b9a5900cfb422258925787552436b9ed37468e3b26ef198a54c526d7629e3",
    ),
    "enums": ([Color.RED, Mode.FAST], "da6d1e69700984f8760ece7da467922abf64a598897b8e4ea6249764880761a9"),
    "huge int": (10**1001, "dc883be5d0295cc205f3513f9948dc018ef1be309389dfdb8abf847e91b98a74"),
    "persistent store key": (
        (KEY_FORMAT, None, "computation:m.f", 0, {"a": 1}),
        "8adc69783ad20fb3c9923f9febc08683c08f1811d72a0fd04d2fb7f7ac815222",
    ),
}


@pytest.mark.parametrize("name", list(PINNED))
def test_canonical_keys_are_pinned(name: str) -> None:
    value, digest = PINNED[name]
    assert canonical_key(value) == digest


def test_llm_keys_are_pinned() -> None:
    assert llm_key(conversation()) == "2c5b7b6351e3f07c46b353670129ba73a0ab4dba0475ccf69aeb5b510b796306"
    assert llm_key(conversation(), normalize_whitespace=True) == "2c5b7b6351e3f07c46b353670129ba73a0ab4dba0475ccf69aeb5b510b796306"
    mapping = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi  there"}], "temperature": 0.0, "api_key": "sk"}
    assert llm_key(mapping) == "187cdff329d9ff1ef108df585a85670dfb76207d1b64848eca017e53f4612925"
    odd = OddRequest("m", ({"role": "user", "content": "hi"},), {"n": 2, "flag": True}, Color.RED, "sk-secret")
    assert llm_key(odd) == "a15cc640875cb88b61e41c83b3368fc13bbd93efcc6bc1fcee7991d4a28420ba"


def test_a_persistent_binding_keys_by_the_stable_digest() -> None:
    binding = Binding(token_for(("test", "pinned"), "f"), namespace=None, stable="computation:m.f", key_fn=llm_key)
    assert binding.key_of(conversation()) == canonical_key((KEY_FORMAT, None, "computation:m.f", 1, llm_key(conversation())))
    assert binding.input_key({"a": 1}) == PINNED["persistent store key"][1]


# -- in-memory forms: equal exactly when the canonical forms are ------------------------------


def tricky_values() -> list[object]:
    """Values that are == in Python but not in the canonical form, and their neighbours."""
    return [
        0, 1, True, False, 1.0, 0.0, -0.0, math.nan, math.inf, "1", b"1", None,
        (), [], {}, set(), frozenset(), (1,), [1], (True,), (1.0,), [[]], [()], ((),),
        {1: 1}, {True: 1}, {1: True}, {1.0: 1}, {"a": 1}, {"a": True}, {"a": 1.0}, {"a": "1"}, {"a": [1]}, {"a": (1,)},
        {1, 2}, frozenset({1, 2}), {True}, Color.RED, Mode.FAST, "fast",
        Point(1), Point(True), Point(1.0), Point((1,)), Point([1]), Point(Point(1)),
        Box(1), Box(True), Frozen(1), Frozen(True), Frozen((1,)), Frozen([1]), Frozen(()), Frozen(Frozen(True)),
        {"a": [1, {"b": (2, 3)}]}, {"a": [1, {"b": (2, 3.0)}]}, 10**1001, 10**1001 + 1,
        ChatRequest.of("hi"), ChatRequest.of("hi", temperature=1), ChatRequest.of("hi", temperature=1.0),
        ChatRequest.of("hi", temperature=0.0), ChatRequest.of("hi", temperature=-0.0), ChatRequest.of("hi", seed=1),
        ChatRequest((ChatMessage("tool", "x", is_error=True),)), ChatRequest((ChatMessage("tool", "x"),)), conversation(),
    ]


def test_memory_forms_match_exactly_when_canonical_keys_do() -> None:
    values = tricky_values()
    for a, b in itertools.product(values, repeat=2):
        same = canonical_key(a) == canonical_key(b)
        assert (memory_form(a) == memory_form(b)) is same, (a, b)
        if same:
            assert hash(memory_form(a)) == hash(memory_form(b))


def test_llm_forms_never_join_requests_llm_key_tells_apart() -> None:
    requests: list[object] = [v for v in tricky_values() if isinstance(v, ChatRequest)] + [
        {"model": "m", "messages": []},
        {"model": "m", "messages": [], "user": "u1", "api_key": "sk"},  # fields that change nothing
        {"model": "m", "messages": [], "temperature": 0},
        {"model": "m", "messages": [], "temperature": 0.0},
        {"model": "m", "messages": ()},
    ]
    for a, b in itertools.product(requests, repeat=2):
        assert (llm_form(a) == llm_form(b)) is (llm_key(a) == llm_key(b)), (a, b)


async def test_equal_inputs_hit_and_distinct_inputs_never_collide_in_memory() -> None:
    calls: list[object] = []

    @cached()
    async def f(x: object) -> object:
        calls.append(x)
        return x

    values = tricky_values()
    distinct = {canonical_key(v) for v in values}
    for _ in range(2):
        for value in values:
            assert canonical_key(await f(value)) == canonical_key(value)  # never another input's result
    assert len(calls) == len(distinct)
    assert await f({"lang": "en", "query": "q", "top_k": 5}) == await f({"top_k": 5, "query": "q", "lang": "en"})
    assert len(calls) == len(distinct) + 1  # dict key order never matters


async def test_a_cache_keyed_by_llm_key_hits_for_equal_requests_in_memory() -> None:
    calls = 0

    async def chat(request: ChatRequest) -> str:
        nonlocal calls
        calls += 1
        return request.prompt

    plan = compile(node(chat).cached(key=llm_key))
    request = conversation()
    for _ in range(3):
        await plan.run(request)  # the same object: its form is remembered
        await plan.run(conversation())  # a new, equal one
    assert calls == 1
    await plan.run(request.with_messages(request.messages[:2]))
    assert calls == 2


def test_the_remembered_form_of_a_frozen_record_never_outlives_a_mutable_field() -> None:
    items = [1]
    record = Frozen(items)
    before = memory_form(record)
    items.append(2)  # a list inside a frozen record can still change: its form must follow
    assert memory_form(record) != before
    assert memory_form(record) == memory_form(Frozen([1, 2]))


def test_remembered_forms_go_with_their_records() -> None:
    from tta_dev_primitives.stdlib.cache import _forms

    request = conversation()
    llm_form(request)
    assert id(request) in _forms._llm_memo
    key = id(request)
    del request
    gc.collect()
    entry = _forms._llm_memo.get(key)
    assert entry is None or entry.ref() is None  # never served for another object at that address


def test_unsupported_inputs_get_the_canonical_error_naming_type_and_place() -> None:
    for value, where in (({"a": [object()]}, "object at input['a'][0]"), (Point(object()), "object at input['x']")):
        with pytest.raises(CacheKeyError, match=rf"cannot make a stable key from {where}".replace("[", r"\[").replace("]", r"\]")):
            memory_form(value)
    with pytest.raises(CacheKeyError, match="'model' and 'messages'"):
        llm_form({"prompt": "x"})
    with pytest.raises(CacheKeyError, match="'model' and 'messages'"):
        llm_form(Frozen(1))
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(CacheKeyError, match="nested too deeply"):
        memory_form(deep)


def test_key_labels_are_equal_for_equal_keys_whatever_the_dict_order() -> None:
    binding = Binding(token_for(("test", "labels"), "f"), namespace=None, stable=None, key_fn=None)
    first = {f"k{i}": i for i in range(50)}
    second = dict(reversed(first.items()))
    assert binding.key_of(first) == binding.key_of(second)
    assert key_label(binding.key_of(first)) == key_label(binding.key_of(second))
    assert key_label(binding.key_of({"k0": 1})) != key_label(binding.key_of({"k0": True}))
