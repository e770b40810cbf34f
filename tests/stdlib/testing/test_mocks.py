"""Test doubles: MockPrimitive records calls, follows side effects and raises a fresh copy of its
error each time; mock_node is typed and checked by the compiler."""

from __future__ import annotations

import pytest

from tta_dev_primitives import MockPrimitive, compile, mock_node, node

pytestmark = pytest.mark.anyio


async def test_mock_primitive_records_calls_and_follows_side_effects() -> None:
    llm = MockPrimitive("llm", return_value="hi")
    assert await llm.execute("prompt") == "hi"
    assert llm.call_count == 1 and llm.calls == ["prompt"] and llm.called
    llm.assert_called_with("prompt")
    llm.assert_called_once_with("prompt")
    with pytest.raises(AssertionError, match="last call was with 'prompt', expected 'other'"):
        llm.assert_called_with("other")
    doubled = MockPrimitive("double", side_effect=lambda x: x * 2)
    assert await compile(doubled).run(4) == 8
    sequence = MockPrimitive("seq", side_effect=["a", ValueError("b")])
    assert await sequence.execute(1) == "a"
    with pytest.raises(ValueError):
        await sequence.execute(2)
    with pytest.raises(AssertionError, match="side_effect exhausted"):
        await sequence.execute(3)
    failing = MockPrimitive("f", raise_error=KeyError)
    with pytest.raises(KeyError):
        await failing.execute(None)


async def test_mock_node_is_typed_and_checked_by_the_compiler() -> None:
    mock = mock_node(int, str, return_value="x", name="m")
    plan = compile(node(lambda s: len(s)).cast(int) >> mock)
    assert plan.output_type is str
    assert await plan.run("abc") == "x"
    mock.assert_called_once_with(3)


async def test_a_mock_raises_a_fresh_copy_of_its_error_each_time() -> None:
    configured = ValueError("model down")
    mock = MockPrimitive("llm", raise_error=configured)
    plan = compile(mock)
    raised: list[BaseException] = []
    for _ in range(200):
        with pytest.raises(ValueError, match="model down") as info:
            await plan.run("hi")
        raised.append(info.value)
    assert len({id(e) for e in raised}) == 200 and configured.__traceback__ is None

    def depth(error: BaseException) -> int:
        tb, frames = error.__traceback__, 0
        while tb is not None:
            tb, frames = tb.tb_next, frames + 1
        return frames

    assert depth(raised[-1]) == depth(raised[0])  # before: the traceback grew with every raise
