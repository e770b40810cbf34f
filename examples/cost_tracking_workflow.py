"""Cost management: per-model spend tracking and budget enforcement across LLM calls.

    python examples/cost_tracking_workflow.py
"""

from __future__ import annotations

import asyncio

from tta_dev_primitives import BudgetExceededError, Router, compile
from tta_dev_primitives.stdlib.llm import (
    BudgetEnforcementPrimitive,
    ChatRequest,
    CostTrackingPrimitive,
    FakeChatModel,
    LLMPrimitive,
)


def long_reply(request: ChatRequest) -> str:
    return " ".join(["detailed"] * 400) + f" answer to: {request.prompt}"


cheap = LLMPrimitive(FakeChatModel("fake-small"))
premium = LLMPrimitive(FakeChatModel("fake-large", reply=long_reply))
llm_primitive = Router({"fast": cheap, "quality": premium}, router_fn=lambda r: "quality" if "explain" in r.prompt else "fast")

# Track and enforce budget across LLM calls
cost_tracker = CostTrackingPrimitive(llm_primitive)
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
        print(f"  {model:<10} calls={usage.calls} in={usage.input_tokens} out={usage.output_tokens} ${usage.cost_usd:.6f}")


if __name__ == "__main__":
    asyncio.run(main())
