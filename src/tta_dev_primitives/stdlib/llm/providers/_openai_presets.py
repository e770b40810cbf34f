"""OpenAI-compatible services as presets over `OpenAIChatModel` (extra `openai`): OpenRouter,
Together, DeepSeek, and the local servers vLLM and LM Studio.

Each speaks OpenAI's chat-completions wire; a preset (`OpenAICompatible`) says where it is, where
its key comes from, which headers it takes, and what it does not support. What a service does not
support is refused before anything is sent (a ConfigError naming the preset, the field and what
it takes), never dropped unsaid; the one exception is structured output on a service with JSON
mode only (DeepSeek), where the schema goes in the prompt and the reply is validated on our side
as everywhere.

    from tta_dev_primitives.stdlib.llm.providers import deepseek, openrouter

    model = openrouter("openai/gpt-4o-mini", title="my app")     # key from OPENROUTER_API_KEY
    model = deepseek("deepseek-chat", max_tokens=1024)           # key from DEEPSEEK_API_KEY
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ....errors import ConfigError
from ..model import ChatRequest, ChatResponse
from ._chat_completions import StructuredOutput
from ._openai_chat import OpenAIChatModel

if TYPE_CHECKING:
    import openai

__all__ = [
    "DEEPSEEK",
    "LMSTUDIO",
    "OPENROUTER",
    "PRESETS",
    "TOGETHER",
    "VLLM",
    "CompatibleChatModel",
    "OpenAICompatible",
    "Support",
    "deepseek",
    "lmstudio",
    "openrouter",
    "together",
    "vllm",
]

NO_KEY = "EMPTY"
"""The key sent to a local server that needs none (the SDK requires one; vLLM's docs use this)."""


@attrs.frozen
class Support:
    """What a service (or one of its models) takes beyond plain chat: structured output as
    `json_schema`, as `json_object` (JSON mode; the schema goes in the prompt) or not at all
    (None); whether it takes a `seed`, tools, and `temperature` / `top_p`."""

    structured_output: StructuredOutput | None = "json_schema"
    seed: bool = True
    tools: bool = True
    sampling: bool = True


V = TypeVar("V")


class FrozenMap(Mapping[str, V]):
    """A read-only mapping that hashes by its items, so a preset holding one stays a hashable
    frozen value."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, V]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return repr(self._items)


def _frozen_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    return FrozenMap(headers)


def _frozen_models(models: Mapping[str, Support]) -> Mapping[str, Support]:
    return FrozenMap(models)


@attrs.frozen
class OpenAICompatible:
    """An OpenAI-compatible service: its name (the `--provider` value and the provider our spans
    and errors name), its endpoint, the environment variable its key comes from (None: a local
    server that takes none, `required_key=False` too), the headers every request carries, what
    it supports (`support`, and per model where a model differs: `models`), and whether a model
    must be named (a local server serves whatever was loaded)."""

    name: str
    title: str
    base_url: str
    key_variable: str | None
    required_key: bool = True
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_headers)
    support: Support = Support()
    models: Mapping[str, Support] = attrs.field(factory=dict, converter=_frozen_models)

    @property
    def path(self) -> str:
        """The path of the endpoint (`/api/v1` for OpenRouter, `` for DeepSeek)."""
        return urllib.parse.urlsplit(self.base_url).path.rstrip("/")

    def support_for(self, model: str) -> Support:
        """What `model` supports on this service."""
        return self.models.get(model, self.support)

    def client(
        self, *, api_key: str | None = None, base_url: str | None = None, headers: Mapping[str, str] | None = None
    ) -> openai.AsyncOpenAI:
        """The SDK's client for this service: `api_key`, else the preset's environment variable
        (never `OPENAI_API_KEY`: a key goes only to the service it is for); `base_url` (a proxy,
        another port) else the preset's; its headers with `headers` added."""
        import openai

        key = api_key or (os.environ.get(self.key_variable) if self.key_variable else None)
        if not key and self.required_key:  # an empty variable is no key either
            raise ConfigError(f"{self.title} ({self.name})", "api_key", f"a key, given or in {self.key_variable}", None)
        return openai.AsyncOpenAI(
            api_key=key or NO_KEY, base_url=base_url or self.base_url, default_headers={**self.headers, **(headers or {})}
        )

    def chat_model(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        *,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> CompatibleChatModel:
        """Our ChatModel for `model` over `client` (see `client`)."""
        return CompatibleChatModel(self, client, model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response)


class CompatibleChatModel(OpenAIChatModel):
    """`OpenAIChatModel` for one preset's service: its name on spans, usage and errors, and
    what the service (or this model on it) does not support refused before sending:

    - a `seed`, `temperature` / `top_p`, or tools where they are not taken: ConfigError;
    - structured output (`response_format`) as the service takes it: json_schema, or JSON mode
      with the schema stated in the system message (`json_object`), or a ConfigError where
      there is neither.
    """

    def __init__(
        self,
        preset: OpenAICompatible,
        client: openai.AsyncOpenAI,
        model: str,
        *,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
        on_response: Callable[[ChatResponse], object] | None = None,
    ) -> None:
        support = preset.support_for(model) if isinstance(model, str) else preset.support
        super().__init__(
            client,
            model,
            max_tokens=max_tokens,
            max_input_tokens=max_input_tokens,
            reasoning=False,  # these services take `max_tokens`; sampling is refused per Support
            structured_output=support.structured_output or "json_schema",
            on_response=on_response,
        )
        self.preset = preset
        self.support = support
        self.provider = preset.name

    def __repr__(self) -> str:  # never the client (it holds the key)
        return f"{type(self).__name__}({self.preset.name!r}, model={self.model!r})"

    def _refuse(self, field: str, expected: str, got: object) -> ConfigError:
        return ConfigError(f"{self.preset.title} ({self.preset.name}) model {self.model!r}", field, expected, got)

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        support, title = self.support, self.preset.title
        if request.seed is not None and not support.seed:
            raise self._refuse("request.seed", f"None ({title} takes no seed)", request.seed)
        if not support.sampling:
            for field, value in (("temperature", request.temperature), ("top_p", request.top_p)):
                if value is not None:
                    raise self._refuse(f"request.{field}", f"None ({self.model} on {title} takes no {field})", value)
        if request.tools and not support.tools:
            raise self._refuse("request.tools", f"no tools ({self.model} on {title} takes none)", [t.name for t in request.tools])
        if request.response_format is not None and support.structured_output is None:
            raise self._refuse("response_format", f"None ({self.model} on {title} has no structured output or JSON mode)", "a schema")
        return super()._arguments(request)


OPENROUTER = OpenAICompatible("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY")
"""OpenRouter: models of many vendors as `vendor/model`; it forwards `response_format`,
`seed` and tools to the provider serving the model (which may ignore what it lacks)."""

TOGETHER = OpenAICompatible("together", "Together", "https://api.together.xyz/v1", "TOGETHER_API_KEY")

DEEPSEEK = OpenAICompatible(
    "deepseek",
    "DeepSeek",
    "https://api.deepseek.com",
    "DEEPSEEK_API_KEY",
    support=Support(structured_output="json_object", seed=False),
    models={"deepseek-reasoner": Support(structured_output="json_object", seed=False, tools=False, sampling=False)},
)
"""DeepSeek: JSON mode only (no json_schema), no seed; `deepseek-reasoner` takes no tools and
no `temperature` / `top_p`."""

VLLM = OpenAICompatible("vllm", "vLLM", "http://127.0.0.1:8000/v1", "VLLM_API_KEY", required_key=False)
"""A local vLLM server (`vllm serve MODEL`); a key only if it was started with `--api-key`."""

LMSTUDIO = OpenAICompatible("lmstudio", "LM Studio", "http://127.0.0.1:1234/v1", None, required_key=False)
"""LM Studio's local server (`lms server start`); it takes no key."""

PRESETS: Mapping[str, OpenAICompatible] = {p.name: p for p in (OPENROUTER, TOGETHER, DEEPSEEK, VLLM, LMSTUDIO)}
"""Every preset by name (the `--provider` values)."""


def _build(
    preset: OpenAICompatible,
    model: str,
    *,
    api_key: str | None,
    base_url: str | None,
    max_tokens: int | None,
    max_input_tokens: int | None,
    headers: Mapping[str, str] | None,
    on_response: Callable[[ChatResponse], object] | None,
) -> CompatibleChatModel:
    if not isinstance(model, str) or not model:
        raise ConfigError(f"{preset.title} ({preset.name})", "model", "the name of a model the service serves", model)
    client = preset.client(api_key=api_key, base_url=base_url, headers=headers)
    return preset.chat_model(client, model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response)


def openrouter(
    model: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    max_tokens: int | None = None,
    max_input_tokens: int | None = None,
    referer: str | None = None,
    title: str | None = None,
    on_response: Callable[[ChatResponse], object] | None = None,
) -> CompatibleChatModel:
    """A model on OpenRouter (`vendor/model`, e.g. `openai/gpt-4o-mini`); the key from
    `OPENROUTER_API_KEY` unless given. `referer` and `title` go out as OpenRouter's
    `HTTP-Referer` and `X-Title` headers (your app's URL and name on openrouter.ai)."""
    headers = {k: v for k, v in (("HTTP-Referer", referer), ("X-Title", title)) if v is not None}
    return _build(
        OPENROUTER, model, api_key=api_key, base_url=base_url, max_tokens=max_tokens, max_input_tokens=max_input_tokens, headers=headers, on_response=on_response
    )


def together(
    model: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    max_tokens: int | None = None,
    max_input_tokens: int | None = None,
    on_response: Callable[[ChatResponse], object] | None = None,
) -> CompatibleChatModel:
    """A model on Together (e.g. `meta-llama/Llama-3.3-70B-Instruct-Turbo`); the key from
    `TOGETHER_API_KEY` unless given."""
    return _build(
        TOGETHER, model, api_key=api_key, base_url=base_url, max_tokens=max_tokens, max_input_tokens=max_input_tokens, headers=None, on_response=on_response
    )


def deepseek(
    model: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    max_tokens: int | None = None,
    max_input_tokens: int | None = None,
    on_response: Callable[[ChatResponse], object] | None = None,
) -> CompatibleChatModel:
    """A DeepSeek model (`deepseek-chat`, `deepseek-reasoner`); the key from `DEEPSEEK_API_KEY`
    unless given."""
    return _build(
        DEEPSEEK, model, api_key=api_key, base_url=base_url, max_tokens=max_tokens, max_input_tokens=max_input_tokens, headers=None, on_response=on_response
    )


def vllm(
    model: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    max_tokens: int | None = None,
    max_input_tokens: int | None = None,
    on_response: Callable[[ChatResponse], object] | None = None,
) -> CompatibleChatModel:
    """The model a vLLM server serves (its name as given to `vllm serve`), at
    http://127.0.0.1:8000/v1 unless `base_url` says; a key (given, or `VLLM_API_KEY`) only
    for a server started with `--api-key`."""
    return _build(VLLM, model, api_key=api_key, base_url=base_url, max_tokens=max_tokens, max_input_tokens=max_input_tokens, headers=None, on_response=on_response)


def lmstudio(
    model: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    max_tokens: int | None = None,
    max_input_tokens: int | None = None,
    on_response: Callable[[ChatResponse], object] | None = None,
) -> CompatibleChatModel:
    """A model loaded in LM Studio (its identifier, e.g. `qwen2.5-7b-instruct`), at
    http://127.0.0.1:1234/v1 unless `base_url` says."""
    return _build(
        LMSTUDIO, model, api_key=api_key, base_url=base_url, max_tokens=max_tokens, max_input_tokens=max_input_tokens, headers=None, on_response=on_response
    )


def from_options(provider: str, model: str, *, base_url: str | None, max_tokens: int | None) -> CompatibleChatModel:
    """The client `--provider NAME` names for one of the presets (`PRESETS`): the key from the
    preset's environment variable. (The command line reaches each preset's builder by its name,
    `openrouter(model, base_url=..., max_tokens=...)`; this is the same by the preset's name.)"""
    preset = PRESETS.get(provider)
    if preset is None:
        raise ConfigError("--provider", "provider", f"one of {sorted(PRESETS)}", provider)
    return _build(preset, model, api_key=None, base_url=base_url, max_tokens=max_tokens, max_input_tokens=None, headers=None, on_response=None)
