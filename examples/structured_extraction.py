"""Structured extraction: a typed Invoice out of free text, validated, re-asked on a bad reply.

Needs: pip install -e '.[agents]'   (a real model also needs its provider's extra: '.[openai]', '.[gemini]', ... see docs/providers)

    python examples/structured_extraction.py                                # offline, scripted fake model
    python examples/structured_extraction.py --base-url URL --model NAME    # any OpenAI-compatible server
    python examples/structured_extraction.py --provider anthropic           # Claude (ANTHROPIC_API_KEY)
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Literal

import attrs

from tta_dev_primitives import FakeChatModel, StructuredOutputError, compile, structured_prompt
from tta_dev_primitives.extras import exit_if_missing, quiet_on_closed_pipe
from tta_dev_primitives.stdlib.llm import CostTrackingPrimitive, LLMPrimitive
from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments

exit_if_missing("agents")  # one line naming the extra, not a traceback deep in the library


@attrs.frozen
class LineItem:
    description: str
    quantity: int
    unit_price: float


@attrs.frozen
class Invoice:
    number: str
    currency: Literal["EUR", "USD", "NOK"]
    items: list[LineItem]
    due: str | None = None

    @property
    def total(self) -> float:
        return round(sum(i.quantity * i.unit_price for i in self.items), 2)


TEXT = """Invoice INV-2041 from Fjord Cloud AS. 3 x compute node at 120.00 EUR each,
1 x support plan at 49.50 EUR. Payment due 2026-12-15."""

SCRIPT = [
    # the first reply misses a field the type requires: the node re-asks with the error
    '{"number": "INV-2041", "currency": "EUR", "items": [{"description": "compute node", "quantity": 3}]}',
    '{"number": "INV-2041", "currency": "EUR", "due": "2026-12-15", "items": ['
    '{"description": "compute node", "quantity": 3, "unit_price": 120.0}, '
    '{"description": "support plan", "quantity": 1, "unit_price": 49.5}]}',
]

parser = model_arguments(argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
args = parser.parse_args(None if __name__ == "__main__" else [])  # imported (by the tests, or `tta-primitives explain`): the defaults
model = chat_model_from(args, FakeChatModel("gpt-4o-mini", script=SCRIPT, max_tokens=512, max_input_tokens=4_000))
tracked = CostTrackingPrimitive(LLMPrimitive(model))
extract = structured_prompt(tracked, Invoice, system="Extract the invoice as JSON.", max_repairs=2, name="extract invoice")


async def main() -> None:
    plan = compile(extract)
    explained = plan.explain(locations=False)
    print(explained.split("\n\npasses:")[0])
    print("\n".join(explained.split("analysis:\n")[1].splitlines()))
    try:
        invoice = await plan.run(TEXT)
    except StructuredOutputError as error:
        print(f"\nno reply fitted: {error}\nlast reply: {error.reply}")
        return
    print(f"\n{invoice.number} ({invoice.currency}), due {invoice.due}:")
    for item in invoice.items:
        print(f"  {item.quantity} x {item.description} at {item.unit_price:.2f}")
    print(f"  total {invoice.total:.2f} {invoice.currency}")
    report = await tracked.get_cost_report()
    usage = sum(u.calls for u in report.by_model.values())
    print(f"model calls: {usage} (one re-ask); cost ${report.total_usd:.6f}")


if __name__ == "__main__":
    with quiet_on_closed_pipe():  # `... | head` ends quietly
        asyncio.run(main())
