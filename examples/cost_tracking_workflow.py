"""Cost management: per-model spend tracking and budget enforcement across LLM calls.

Needs: pip install -e .   (the core install: no extra; a real model also needs its provider's extra: '.[openai]', '.[gemini]', ... see docs/providers)

    python examples/cost_tracking_workflow.py
    python examples/cost_tracking_workflow.py --provider openai --model gpt-4o-mini   # real usage, priced
"""

from __future__ import annotations

import argparse
import asyncio

from tta_dev_primitives import BudgetExceededError, Router, compile
from tta_dev_primitives.stdlib.llm import (
    DEFAULT_PRICES,
    BudgetEnforcementPrimitive,
    ChatRequest,
    CostTrackingPrimitive,
    FakeChatModel,
    LLMPrimitive,
    ModelPrice,
)
from tta_dev_primitives.stdlib.llm.prices import price_for
from tta_dev_primitives.extras import quiet_on_closed_pipe
from tta_dev_primitives.stdlib.llm.providers.select import chat_model_from, model_arguments


def long_reply(request: ChatRequest) -> str:
    return " ".join(["detailed"] * 400) + f" answer to: {request.prompt}"


parser = model_arguments(argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
args = parser.parse_args(None if __name__ == "__main__" else [])  # imported (by the tests, or `tta-primitives explain`): the defaults
cheap_model = chat_model_from(args, FakeChatModel("fake-small"))
premium_model = chat_model_from(args, FakeChatModel("fake-large", reply=long_reply))
cheap = LLMPrimitive(cheap_model)
premium = LLMPrimitive(premium_model)
llm_primitive = Router({"fast": cheap, "quality": premium}, router_fn=lambda r: "quality" if "explain" in r.prompt else "fast")

# Track and enforce budget across LLM calls
# (a local model the dated price table does not know is priced at $0 here, not an error)
unknown = {m.model: ModelPrice(0.0, 0.0) for m in (cheap_model, premium_model) if price_for(m.model) is None}
cost_tracker = CostTrackingPrimitive(llm_primitive, prices={**DEFAULT_PRICES, **unknown})
enforcer = BudgetEnforcementPrimitive(
    cost_tracker,
    budget_usd=0.005,  # a demo-sized budget (the original README shows 10.0)
)


async def main() -> None:
    plan = compile(enforcer)
    prompts = ["hello", "explain sagas in depth"] * 3
    for prompt in prompts:
        try:
            response = await plan.run(ChatRequest.of(prompt))
            print(f"{response.model:<10} {response.output_tokens:>4} tokens  {prompt!r}")
        except BudgetExceededError as error:
            print(f"refused: {error}")
    # Automatic cost reporting
    report = await enforcer.get_cost_report()
    print(f"\ntotal ${report.total_usd:.6f} of ${report.budget_usd}; remaining ${report.remaining_usd:.6f}")
    for model, usage in sorted(report.by_model.items()):
        print(f"  {model:<10} {usage.summary()}")


if __name__ == "__main__":
    with quiet_on_closed_pipe():  # `... | head` ends quietly
        asyncio.run(main())
