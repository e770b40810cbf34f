"""The original `HuggingFacePrimitive`: open models on Hugging Face, through our
`HuggingFaceChatModel` (extra `huggingface`).

The original posted a flattened prompt to the retired serverless text-generation API
(`api-inference.huggingface.co`) and estimated usage by counting words. Ours asks the chat
completions of the Hugging Face router (Inference Providers), an Inference Endpoint or a TGI
server (`base_url=`) through `huggingface_hub`'s client: the messages go as messages, and usage
is the server's count.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ..extras import require

require("pydantic", "original", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext  # noqa: E402
from ..stdlib.llm.model import ChatRequest  # noqa: E402
from ..stdlib.llm.providers._base import ProviderChatModel  # noqa: E402
from ..stdlib.llm.providers._huggingface_chat import HuggingFaceChatModel  # noqa: E402
from ._chat import ChatPrimitive, chat_messages, token_usage  # noqa: E402

__all__ = ["HuggingFacePrimitive", "HuggingFaceRequest", "HuggingFaceResponse"]

ROUTER_URL = "https://router.huggingface.co"


class HuggingFaceRequest(BaseModel):
    """Request model for Hugging Face primitive."""

    messages: list[dict[str, str]] = Field(description="List of messages in chat format")
    model: str | None = Field(default=None, description="Model to use (overrides primitive default)")
    temperature: float | None = Field(default=None, description="Sampling temperature (0-2)")
    max_tokens: int | None = Field(default=None, description="Maximum tokens to generate")


class HuggingFaceResponse(BaseModel):
    """Response model for Hugging Face primitive."""

    content: str = Field(description="Generated text response")
    model: str = Field(description="Model used for generation")
    usage: dict[str, int] = Field(description="Token usage statistics (estimated)")
    finish_reason: str = Field(description="Reason for completion")


class HuggingFacePrimitive(ChatPrimitive[HuggingFaceRequest, HuggingFaceResponse]):
    """Hugging Face chat completions as a primitive: `client` is the
    `huggingface_hub.AsyncInferenceClient` the calls go to (the token `api_key`, else the one the
    SDK finds: `HF_TOKEN`, `hf auth login`), `model` the default Hub model id, `base_url` the
    router unless `base_url=` names an Inference Endpoint or TGI server. `async with` closes the
    client, as in the original."""

    def __init__(self, model: str = "meta-llama/Llama-3.3-70B-Instruct", api_key: str | None = None, **kwargs: Any) -> None:
        hub = require("huggingface_hub", "huggingface", "HuggingFacePrimitive")
        super().__init__(model)
        self.api_key = api_key
        base_url = kwargs.get("base_url")
        self.base_url: str = base_url or ROUTER_URL
        self.client = hub.AsyncInferenceClient(token=api_key, base_url=base_url)

    def _build(self, model: str) -> ProviderChatModel[Any, Any]:
        return HuggingFaceChatModel(self.client, model)

    async def execute(self, input_data: HuggingFaceRequest, context: WorkflowContext) -> HuggingFaceResponse:
        """One chat completion of `input_data.messages` (with the request's model, if any)."""
        model = input_data.model or self.model
        request = ChatRequest(chat_messages("HuggingFacePrimitive", input_data.messages), temperature=input_data.temperature, max_tokens=input_data.max_tokens)
        reply = await self._build(model).complete(request)  # `client` as it is now
        return HuggingFaceResponse(content=reply.text, model=model, usage=token_usage(reply), finish_reason=reply.finish_reason or "stop")

    def _messages_to_prompt(self, messages: list[dict[str, str]]) -> str:
        """The messages as one prompt (`System: ...`, `User: ...`, `Assistant: ...`, ending with
        `Assistant:`), as the original wrote them for text-generation models."""
        labels = {"system": "System", "user": "User", "assistant": "Assistant", "model": "Assistant"}
        parts = [f"{labels[m['role']]}: {m['content']}" for m in messages if m["role"] in labels]
        return "\n\n".join(parts) + "\n\nAssistant:"

    async def __aenter__(self) -> HuggingFacePrimitive:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None) -> None:
        await self.client.close()
