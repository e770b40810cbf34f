"""agent()'s defaults: its model calls retry transient errors (visible in EXPLAIN, counted by the
analysis, overridable, switchable off), and model settings go on every request only when set."""

from __future__ import annotations

import random

import pytest

from tta_dev_primitives import ChatRequest, ConfigError, FakeChatModel, Retry, compile
from tta_dev_primitives.cache import llm_key
from tta_dev_primitives.errors import ModelCallError, ModelTransientError
from tta_dev_primitives.stdlib.llm import MODEL_RETRY, LLMPrimitive, agent, call_cost_bound, model_retry
from tta_dev_primitives.stdlib.testing import FakeClock

pytestmark = pytest.mark.anyio


def flaky(*errors: Exception, answer: str = "done") -> FakeChatModel:
    """A model that raises `errors` on its first calls, then answers."""
    pending = list(errors)

    def reply(request: ChatRequest) -> str:
        if pending:
            raise pending.pop(0)
        return answer

    return FakeChatModel("gpt-4o-mini", reply=reply, max_tokens=100, max_input_tokens=1000)


def transient(retry_after: float | None = None) -> ModelTransientError:
    return ModelTransientError("openai model 'gpt-4o-mini': HTTP 429: slow down", provider="openai", model="gpt-4o-mini", status=429, retry_after=retry_after)


async def test_transient_model_errors_are_retried_by_default() -> None:
    model = flaky(transient(), transient())
    assert await compile(agent(model, [], max_turns=1)).run("hi") == "done"
    assert len(model.requests) == 3


async def test_the_default_gives_up_after_three_attempts_and_says_so() -> None:
    model = flaky(transient(), transient(), transient())
    with pytest.raises(ModelTransientError) as caught:
        await compile(agent(model, [], max_turns=1)).run("hi")
    assert len(model.requests) == 3
    assert any("gave up after 3 attempt(s): max_attempts=3 reached" in note for note in caught.value.__notes__)


async def test_a_refusal_is_not_retried() -> None:
    model = flaky(ModelCallError("openai model 'gpt-4o-mini': HTTP 400: bad request", provider="openai", model="gpt-4o-mini", status=400))
    with pytest.raises(ModelCallError):
        await compile(agent(model, [], max_turns=1)).run("hi")
    assert len(model.requests) == 1


async def test_other_errors_are_not_retried_by_the_model_retry() -> None:
    model = flaky(TimeoutError("a tool's timeout, say"))  # transient to a plain Retry, not a model error
    with pytest.raises(TimeoutError):
        await compile(agent(model, [], max_turns=1)).run("hi")
    assert len(model.requests) == 1


async def test_backoff_is_jittered_exponential_and_honours_the_providers_hint_up_to_the_cap() -> None:
    assert model_retry().describe() == MODEL_RETRY.describe()  # the default is model_retry() as it comes
    clock = FakeClock()
    model = flaky(transient(), transient(), transient(), transient())
    retry = model_retry(max_attempts=5, clock=clock, rng=random.Random(7))
    assert await compile(agent(model, [], max_turns=1, retry=retry)).run("hi") == "done"
    expected = random.Random(7)
    assert clock.sleeps == [expected.uniform(0, 0.5), expected.uniform(0, 1.0), expected.uniform(0, 2.0), expected.uniform(0, 4.0)]

    clock = FakeClock()
    model = flaky(transient(retry_after=4.0), transient(retry_after=120.0))
    assert await compile(agent(model, [], max_turns=1, retry=model_retry(clock=clock))).run("hi") == "done"
    assert clock.sleeps == [4.0, 30.0]  # the hint, when longer than the backoff; capped at max_delay


async def test_retry_none_turns_it_off_and_another_policy_replaces_it() -> None:
    model = flaky(transient())
    with pytest.raises(ModelTransientError):
        await compile(agent(model, [], max_turns=1, retry=None)).run("hi")
    assert len(model.requests) == 1

    clock = FakeClock()
    model = flaky(*[transient()] * 4)
    plan = compile(agent(model, [], max_turns=1, retry=Retry(max_attempts=5, initial_delay=1.0, jitter=False, clock=clock)))
    assert await plan.run("hi") == "done" and clock.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert "max_attempts=5" in plan.explain()


def test_explain_shows_the_retry_and_the_analysis_multiplies_by_it() -> None:
    model = FakeChatModel("gpt-4o-mini", max_tokens=100, max_input_tokens=1000)
    plan = compile(agent(model, [], max_turns=4))
    text = plan.explain(locations=False)
    assert "guard 'retry(gpt-4o-mini)'  ChatRequest -> ChatResponse  [guard=retry; max_attempts=3; initial_delay=0.5; backoff_factor=2.0; max_delay=30.0" in text
    assert "ask 'ask gpt-4o-mini'" in text and plan.lints == ()  # a model call may be repeated: LLMPrimitive is idempotent
    assert plan.analysis is not None and plan.analysis.model_calls == 4 * 3
    assert plan.analysis.cost == pytest.approx(4 * 3 * call_cost_bound(model))  # type: ignore[operator]
    off = compile(agent(model, [], max_turns=4, retry=None))
    assert off.analysis is not None and off.analysis.model_calls == 4 and "retry" not in off.explain()


def test_a_model_node_with_a_retry_inside_gets_no_second_one() -> None:
    model = FakeChatModel("gpt-4o-mini", max_tokens=100, max_input_tokens=1000)
    wrapped = Retry(max_attempts=2)(LLMPrimitive(model)).timeout(60.0)
    plan = compile(agent(wrapped, [], max_turns=4))
    assert plan.explain().count("guard=retry") == 1
    assert plan.analysis is not None and plan.analysis.model_calls == 4 * 2 and "nested-retry" not in {lint.rule for lint in plan.lints}
    # a Retry asked for explicitly is applied, and the lint says the attempts multiply
    doubled = compile(agent(wrapped, [], max_turns=4, retry=model_retry()))
    assert doubled.explain().count("guard=retry") == 2 and "nested-retry" in {lint.rule for lint in doubled.lints}
    # a model node without one (cost tracking, say) gets the default around it
    plain = compile(agent(LLMPrimitive(model).timeout(60.0), [], max_turns=4))
    assert plain.explain().count("guard=retry") == 1


async def test_settings_go_on_every_request_and_only_when_set() -> None:
    model = FakeChatModel("gpt-4o-mini", script=["Paris.", "Rome."])
    await compile(agent(model, [], max_turns=1, temperature=0.2, top_p=0.9, max_tokens=50, stop="END", seed=7)).run("?")
    sent = model.requests[0]
    assert (sent.temperature, sent.top_p, sent.max_tokens, sent.stop, sent.seed) == (0.2, 0.9, 50, ("END",), 7)
    await compile(agent(model, [], max_turns=1)).run("?")
    sent = model.requests[1]
    assert (sent.temperature, sent.top_p, sent.max_tokens, sent.stop, sent.seed) == (None, None, None, (), None)


def test_settings_show_in_explain_and_a_reply_cap_lowers_the_worst_case() -> None:
    model = FakeChatModel("gpt-4o-mini", max_tokens=1000, max_input_tokens=10_000)
    plan = compile(agent(model, [], max_turns=2, temperature=0.2, max_tokens=100, stop=["END", "STOP"], retry=None))
    assert "ask 'ask gpt-4o-mini'  Transcript[str] -> Transcript[str]  [temperature=0.2; max_tokens=100; stop=['END', 'STOP']]" in plan.explain()
    assert plan.analysis is not None and plan.analysis.cost == pytest.approx(2 * (10_000 * 0.15 + 100 * 0.60) / 1e6)
    assert call_cost_bound(model, max_tokens=100) == pytest.approx((10_000 * 0.15 + 100 * 0.60) / 1e6)
    assert call_cost_bound(model, max_tokens=5000) == call_cost_bound(model)  # a request may lower the model's cap, not raise it


def test_settings_are_part_of_the_cache_key() -> None:
    base = ChatRequest.of("hi")
    keys = {llm_key(base)} | {
        llm_key(ChatRequest.of("hi", **setting))
        for setting in ({"temperature": 0.0}, {"temperature": 0.5}, {"top_p": 0.5}, {"max_tokens": 10}, {"stop": "END"}, {"seed": 1}, {"seed": 2})
    }
    assert len(keys) == 8
    assert llm_key(base.with_messages(base.messages)) == llm_key(base)


@pytest.mark.parametrize(
    ("setting", "field"),
    [({"temperature": -1.0}, "temperature"), ({"temperature": float("nan")}, "temperature"), ({"top_p": 1.5}, "top_p"),
     ({"max_tokens": 0}, "max_tokens"), ({"stop": [""]}, "stop"), ({"seed": 1.5}, "seed"), ({"seed": True}, "seed")],
)
def test_bad_settings_are_refused_when_the_agent_is_built(setting: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=rf"ChatRequest.*{field}"):
        agent(FakeChatModel(), [], max_turns=1, **setting)  # type: ignore[call-overload]


async def test_the_fake_model_stops_at_a_stop_sequence() -> None:
    model = FakeChatModel(script=["one two END three"])
    response = await model.complete(ChatRequest.of("count", stop=("STOP", "END")))
    assert response.text == "one two " and response.finish_reason == "stop"
