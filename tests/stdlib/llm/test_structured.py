"""Structured output: the schema goes with the request, the reply is validated, bad replies are re-asked."""

from __future__ import annotations

import json

import attrs
import pytest

from tta_dev_primitives import (
    ChatRequest,
    ConfigError,
    FakeChatModel,
    StructuredOutputError,
    compile,
    structured,
    structured_prompt,
)

pytestmark = pytest.mark.anyio


@attrs.frozen
class Invoice:
    number: str
    total: float
    paid: bool = False


async def test_a_valid_reply_is_parsed_into_the_type_and_the_schema_is_sent() -> None:
    model = FakeChatModel(script=['{"number": "A-1", "total": 12.5}'])
    plan = compile(structured(model, Invoice))
    assert await plan.run(ChatRequest.of("extract the invoice")) == Invoice("A-1", 12.5)
    sent = json.loads(model.requests[0].response_format or "{}")
    assert sent["name"] == "Invoice" and sent["schema"]["required"] == ["number", "total"]


async def test_a_bad_reply_is_sent_back_with_the_error_and_asked_again() -> None:
    model = FakeChatModel(script=["not json", '{"number": 7, "total": 1}', '{"number": "B", "total": 3}'])
    plan = compile(structured_prompt(model, Invoice))
    assert await plan.run("the invoice") == Invoice("B", 3.0)
    second, third = model.requests[1].messages, model.requests[2].messages
    assert second[-2].content == "not json" and "does not fit the schema" in second[-1].content
    assert "Expected `str`, got `int` - at `$.number`" in third[-1].content


async def test_no_fitting_reply_after_the_repairs_is_a_typed_error() -> None:
    model = FakeChatModel(script=["{}", "{}"])
    with pytest.raises(StructuredOutputError, match=r"no reply of 'fake-small' fitted Invoice after 1 re-ask") as caught:
        await compile(structured(model, Invoice, max_repairs=1)).run(ChatRequest.of("x"))
    assert caught.value.reply == "{}" and "number" in caught.value.error
    assert len(model.requests) == 2


def test_the_compiler_counts_every_re_ask_and_explain_shows_the_bound() -> None:
    plan = compile(structured(FakeChatModel(), Invoice, max_repairs=2))
    assert plan.output_type is Invoice
    assert plan.analysis is not None and plan.analysis.max_attempts >= 3
    assert "max_iterations=3" in plan.explain()
    with pytest.raises(ConfigError, match="max_repairs"):
        structured(FakeChatModel(), Invoice, max_repairs=-1)
