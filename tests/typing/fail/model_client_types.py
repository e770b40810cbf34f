import anthropic
import attrs

from tta_dev_primitives import ChatRequest, OpenAIChatModel, agent, node, structured, tool


@attrs.frozen
class Invoice:
    number: str


def weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


def summarize(request: ChatRequest) -> str:
    return request.prompt


# each client takes its own SDK's client
OpenAIChatModel(anthropic.AsyncAnthropic(api_key="k"), "gpt-4o-mini")  # E: Argument 1 to "OpenAIChatModel" has incompatible type "AsyncAnthropic"; expected "AsyncOpenAI"  [arg-type]

# a node standing in for the model must answer a ChatRequest with a ChatResponse
agent(node(summarize), [tool(weather)], max_turns=3)  # E: Argument 1 to "agent" has incompatible type "Node[ChatRequest, str]"; expected "ChatModel | Node[ChatRequest, ChatResponse]"  [arg-type]
structured(node(summarize), Invoice)  # E: Argument 1 to "structured" has incompatible type "Node[ChatRequest, str]"; expected "ChatModel | Node[ChatRequest, ChatResponse]"  [arg-type]
