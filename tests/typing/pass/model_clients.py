import anthropic
import attrs
import openai

from tta_dev_primitives import (
    AnthropicChatModel,
    ChatModel,
    FakeChatModel,
    OpenAIChatModel,
    agent,
    chat_model,
    structured,
    tool,
)
from tta_dev_primitives.stdlib.llm import CostTrackingPrimitive, LLMPrimitive


@attrs.frozen
class Invoice:
    number: str
    total: float


def weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


gpt: ChatModel = OpenAIChatModel(openai.AsyncOpenAI(api_key="k"), "gpt-4o-mini")
claude: ChatModel = AnthropicChatModel(anthropic.AsyncAnthropic(api_key="k"), "claude-haiku-4-5")
picked = chat_model(FakeChatModel())
reveal_type(picked)  # N: Revealed type is "tta_dev_primitives.stdlib.llm.model.ChatModel"
tracked = CostTrackingPrimitive(LLMPrimitive(gpt))
reveal_type(agent(tracked, [tool(weather)], max_turns=3, output=Invoice))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[builtins.str, model_clients.Invoice]"
reveal_type(structured(tracked, Invoice))  # N: Revealed type is "tta_dev_primitives.dsl._core.Node[tta_dev_primitives.stdlib.llm.model.ChatRequest, model_clients.Invoice]"
