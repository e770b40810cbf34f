"""Model prices (USD per million tokens) and what they bound: the cost of one call at worst.

The table is dated: prices change. Extend or override it with your own mapping
(`{**DEFAULT_PRICES, "my-model": ModelPrice(...)}`) wherever `prices=` is accepted. A dated
model id (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`) finds its family's price; any
other unknown id has no price (its usage is recorded with an unknown cost, and one warning),
never a guessed one.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping

import attrs

if typing.TYPE_CHECKING:
    from .model import ChatModel, ChatRequest

__all__ = ["DEFAULT_PRICES", "PRICES_AS_OF", "PRICE_SOURCES", "ModelPrice", "call_cost_bound", "price_for", "request_cost_bound"]


@attrs.frozen
class ModelPrice:
    """USD per million input and output tokens; the context window and the longest reply (in
    tokens), when known, bound what one call can cost."""

    input_per_million: float
    output_per_million: float
    context_window: int | None = None
    max_output_tokens: int | None = None

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """The price of a call that used these tokens, in USD."""
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1_000_000


PRICES_AS_OF = "2026-03-21"
"""The date of the prices below (standard tier, no batch or cache discounts)."""

PRICE_SOURCES = (
    "https://openai.com/api/pricing (OpenAI models)",
    "https://docs.anthropic.com/en/docs/about-claude/pricing (Anthropic models)",
    "https://aws.amazon.com/bedrock/pricing/ (Bedrock models, on-demand, us-east-1; via genai-prices 0.2.5 data, read 2026-12-07)",
    "https://ai.google.dev/gemini-api/docs/pricing (Gemini models; via genai-prices 0.2.5 data, the prices in effect on 2026-12-07)",
    "https://console.groq.com/docs/models (Groq; via genai-prices 0.2.5 data, read 2026-12-07)",
    "https://api-docs.deepseek.com/quick_start/pricing (DeepSeek, standard hours 00:30-16:30 UTC; via genai-prices 0.2.5 data, read 2026-12-07)",
    "https://www.together.ai/pricing (Together; via genai-prices 0.2.5 data, read 2026-12-07)",
    "https://openrouter.ai/models (OpenRouter's openai/* models, the same as OpenAI's; via genai-prices 0.2.5 data, read 2026-12-07)",
    "https://mistral.ai/pricing/api (Mistral models; via genai-prices 0.2.5 data, read 2026-12-07)",
)

_OPENAI: dict[str, ModelPrice] = {
    "gpt-5": ModelPrice(1.25, 10.00, 400_000, 128_000),
    "gpt-5-mini": ModelPrice(0.25, 2.00, 400_000, 128_000),
    "gpt-5-nano": ModelPrice(0.05, 0.40, 400_000, 128_000),
    "gpt-4.1": ModelPrice(2.00, 8.00, 1_047_576, 32_768),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60, 1_047_576, 32_768),
    "gpt-4.1-nano": ModelPrice(0.10, 0.40, 1_047_576, 32_768),
    "gpt-4o": ModelPrice(2.50, 10.00, 128_000, 16_384),
    "gpt-4o-mini": ModelPrice(0.15, 0.60, 128_000, 16_384),
    "gpt-5-pro": ModelPrice(15.00, 120.00, 400_000, 272_000),
    "o1": ModelPrice(15.00, 60.00, 200_000, 100_000),
    "o1-pro": ModelPrice(150.00, 600.00, 200_000, 100_000),
    "o3": ModelPrice(2.00, 8.00, 200_000, 100_000),
    "o3-pro": ModelPrice(20.00, 80.00, 200_000, 100_000),
    "o3-mini": ModelPrice(1.10, 4.40, 200_000, 100_000),
    "o4-mini": ModelPrice(1.10, 4.40, 200_000, 100_000),
}

_ANTHROPIC: dict[str, ModelPrice] = {
    "claude-opus-4-6": ModelPrice(5.00, 25.00, 1_000_000, 128_000),
    "claude-sonnet-4-6": ModelPrice(3.00, 15.00, 1_000_000, 64_000),
    "claude-opus-4-5": ModelPrice(5.00, 25.00, 200_000, 64_000),
    "claude-sonnet-4-5": ModelPrice(3.00, 15.00, 1_000_000, 64_000),
    "claude-haiku-4-5": ModelPrice(1.00, 5.00, 200_000, 64_000),
    "claude-opus-4-1": ModelPrice(15.00, 75.00, 200_000, 32_000),
    "claude-opus-4": ModelPrice(15.00, 75.00, 200_000, 32_000),
    "claude-sonnet-4": ModelPrice(3.00, 15.00, 1_000_000, 64_000),
    "claude-3-5-haiku": ModelPrice(0.80, 4.00, 200_000, 8_192),
    "claude-3-haiku": ModelPrice(0.25, 1.25, 200_000, 4_096),
}

_BEDROCK: dict[str, ModelPrice] = {
    # Amazon
    "amazon.nova-micro-v1:0": ModelPrice(0.035, 0.14, 128_000),
    "amazon.nova-lite-v1:0": ModelPrice(0.06, 0.24, 300_000),
    "amazon.nova-pro-v1:0": ModelPrice(0.80, 3.20, 300_000),
    "amazon.nova-premier-v1:0": ModelPrice(2.50, 12.50, 1_000_000),
    "amazon.nova-2-lite-v1:0": ModelPrice(0.33, 2.75, 1_000_000),
    "global.amazon.nova-2-lite-v1:0": ModelPrice(0.30, 2.50, 1_000_000),
    # Anthropic: an in-region id and its geographic profiles (us., eu., ...) cost the same;
    # global. profiles cost less for the models that have them
    "anthropic.claude-3-haiku-20240307-v1:0": ModelPrice(0.25, 1.25, 200_000),
    "anthropic.claude-3-5-haiku-20241022-v1:0": ModelPrice(0.80, 4.00, 200_000),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": ModelPrice(3.00, 15.00, 200_000),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": ModelPrice(3.00, 15.00, 200_000),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": ModelPrice(3.00, 15.00, 200_000),
    "anthropic.claude-sonnet-4-20250514-v1:0": ModelPrice(3.00, 15.00, 200_000),
    "anthropic.claude-opus-4-20250514-v1:0": ModelPrice(15.00, 75.00, 200_000),
    "anthropic.claude-opus-4-1-20250805-v1:0": ModelPrice(15.00, 75.00, 200_000),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": ModelPrice(3.30, 16.50, 200_000),
    "anthropic.claude-haiku-4-5-20251001-v1:0": ModelPrice(1.10, 5.50, 200_000),
    "anthropic.claude-opus-4-5-20251101-v1:0": ModelPrice(5.50, 27.50, 200_000),
    "global.anthropic.claude-sonnet-4-20250514-v1:0": ModelPrice(3.00, 15.00, 200_000),
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0": ModelPrice(3.00, 15.00, 200_000),
    "global.anthropic.claude-haiku-4-5-20251001-v1:0": ModelPrice(1.00, 5.00, 200_000),
    "global.anthropic.claude-opus-4-5-20251101-v1:0": ModelPrice(5.00, 25.00, 200_000),
    # Meta
    "meta.llama3-8b-instruct-v1:0": ModelPrice(0.30, 0.60, 8_192),
    "meta.llama3-70b-instruct-v1:0": ModelPrice(2.65, 3.50, 8_192),
    "meta.llama3-1-8b-instruct-v1:0": ModelPrice(0.22, 0.22, 128_000),
    "meta.llama3-1-70b-instruct-v1:0": ModelPrice(0.72, 0.72, 128_000),
    "meta.llama3-2-1b-instruct-v1:0": ModelPrice(0.10, 0.10, 128_000),
    "meta.llama3-2-3b-instruct-v1:0": ModelPrice(0.15, 0.15, 128_000),
    "meta.llama3-2-11b-instruct-v1:0": ModelPrice(0.16, 0.16, 128_000),
    "meta.llama3-2-90b-instruct-v1:0": ModelPrice(0.72, 0.72, 128_000),
    "meta.llama3-3-70b-instruct-v1:0": ModelPrice(0.72, 0.72, 128_000),
    "meta.llama4-scout-17b-instruct-v1:0": ModelPrice(0.17, 0.66, 10_000_000),
    "meta.llama4-maverick-17b-instruct-v1:0": ModelPrice(0.24, 0.97, 1_000_000),
    # Mistral
    "mistral.mistral-7b-instruct-v0:2": ModelPrice(0.15, 0.20, 32_000),
    "mistral.mixtral-8x7b-instruct-v0:1": ModelPrice(0.45, 0.70, 32_000),
    "mistral.mistral-small-2402-v1:0": ModelPrice(1.00, 3.00, 32_000),
    "mistral.mistral-large-2402-v1:0": ModelPrice(4.00, 12.00, 32_000),
    "mistral.pixtral-large-2502-v1:0": ModelPrice(2.00, 6.00, 128_000),
    "mistral.mistral-large-3-675b-instruct": ModelPrice(0.50, 1.50, 256_000),
    "mistral.ministral-3-3b-instruct": ModelPrice(0.10, 0.10, 128_000),
    "mistral.ministral-3-8b-instruct": ModelPrice(0.15, 0.15, 128_000),
    "mistral.ministral-3-14b-instruct": ModelPrice(0.20, 0.20, 128_000),
}
"""Bedrock's on-demand prices by model id as Bedrock names them (`price_for` also finds an id
behind a geographic inference profile, `us.amazon.nova-lite-v1:0`). Longest replies are not in
the source: a call's cost is bounded by the client's `max_tokens`."""
_GEMINI: dict[str, ModelPrice] = {
    # Gemini Developer API, paid tier, text input; the pro models' base prices apply up to 200K
    # input tokens (above it: 2.5-pro 2.50/15.00, 3-pro and 3.1-pro previews 4.00/18.00)
    "gemini-2.0-flash": ModelPrice(0.10, 0.40, 1_000_000, 8_192),
    "gemini-2.0-flash-lite": ModelPrice(0.075, 0.30, 1_000_000, 8_192),
    "gemini-2.5-pro": ModelPrice(1.25, 10.00, 1_048_576, 65_536),
    "gemini-2.5-flash": ModelPrice(0.30, 2.50, 1_048_576, 65_536),
    "gemini-2.5-flash-lite": ModelPrice(0.10, 0.40, 1_000_000, 65_536),
    "gemini-3-pro-preview": ModelPrice(2.00, 12.00, 1_048_576, 65_536),
    "gemini-3-flash-preview": ModelPrice(0.50, 3.00, 1_000_000, 65_536),
    "gemini-3.1-pro-preview": ModelPrice(2.00, 12.00),
    "gemini-3.1-flash-lite": ModelPrice(0.25, 1.50, 1_000_000),
    "gemini-3.5-flash": ModelPrice(1.50, 9.00, 1_000_000),
    "gemini-3.5-flash-lite": ModelPrice(0.30, 2.50, 1_000_000),
    # 3.6 to 3.8 flash: 1.50/7.50 from 2027-01-01 (genai-prices); 4-argon and 4-carbon since 2026-12-01
    "gemini-3.6-flash": ModelPrice(0.75, 3.75, 1_000_000),
    "gemini-3.7-flash": ModelPrice(0.75, 3.75, 1_000_000),
    "gemini-3.8-flash": ModelPrice(0.75, 3.75, 1_000_000),
    "gemini-4-argon": ModelPrice(4.00, 20.00, 1_048_576),
    "gemini-4-carbon": ModelPrice(4.00, 20.00, 1_048_576),
    "gemini-4-hydrogen": ModelPrice(1.50, 7.50, 1_048_576),
    "gemini-4-neon": ModelPrice(3.00, 15.00, 1_048_576),
}
_GROQ: dict[str, ModelPrice] = {
    "llama-3.1-8b-instant": ModelPrice(0.05, 0.08),
    "llama-3.3-70b-versatile": ModelPrice(0.59, 0.79),
    "meta-llama/llama-4-maverick-17b-128e-instruct": ModelPrice(0.20, 0.60, 131_072),
    "meta-llama/llama-4-scout-17b-16e-instruct": ModelPrice(0.11, 0.34),
    "meta-llama/llama-guard-4-12b": ModelPrice(0.20, 0.20, 131_072),
    "moonshotai/kimi-k2-instruct": ModelPrice(1.00, 3.00, 131_072),
    "openai/gpt-oss-120b": ModelPrice(0.15, 0.60, 131_072),  # Together's price too
    "openai/gpt-oss-20b": ModelPrice(0.075, 0.30, 131_072),
    "openai/gpt-oss-safeguard-20b": ModelPrice(0.075, 0.30, 131_072),
    "qwen/qwen3-32b": ModelPrice(0.29, 0.59, 131_072),
    "qwen/qwen3.8-27b": ModelPrice(0.80, 4.00, 131_072),
}
"""Groq's chat models (the context window where the source gives it)."""

_DEEPSEEK: dict[str, ModelPrice] = {
    "deepseek-chat": ModelPrice(0.27, 1.10, 64_000),
    "deepseek-reasoner": ModelPrice(0.55, 2.19, 64_000),
}
"""DeepSeek's API models at the standard-hours price (off-peak, 16:30-00:30 UTC, costs less:
these bound a call, they may overstate it)."""

_TOGETHER: dict[str, ModelPrice] = {
    "meta-llama/Llama-3.3-70B-Instruct-Turbo": ModelPrice(0.88, 0.88),
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo": ModelPrice(0.18, 0.18),
    "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo": ModelPrice(0.88, 0.88),
    "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo": ModelPrice(3.50, 3.50),
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8": ModelPrice(0.27, 0.85),
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": ModelPrice(0.18, 0.59),
    "deepseek-ai/DeepSeek-V4.1-Flash": ModelPrice(0.30, 1.20, 1_000_000),
    "Qwen/Qwen3.5-9B": ModelPrice(0.17, 0.25, 262_144),
    "moonshotai/Kimi-K3": ModelPrice(3.00, 15.00, 1_048_576),
    "zai-org/GLM-5.3": ModelPrice(1.40, 4.40, 1_048_575),
    "mistralai/Mixtral-8x7B-Instruct-v0.1": ModelPrice(0.90, 0.90),
}
"""Together's common serverless models (`openai/gpt-oss-120b`: the same price as Groq's)."""

_OPENROUTER: dict[str, ModelPrice] = {f"openai/{name}": price for name, price in _OPENAI.items()}
"""OpenRouter's `openai/<model>` ids, at OpenAI's prices (OpenRouter's own list gives the same
for each). Other OpenRouter ids are unpriced: their names differ from the vendors' own
(`anthropic/claude-haiku-4.5`), and an id shared with Groq (`openai/gpt-oss-120b`,
`qwen/qwen3-32b`) finds Groq's price, not OpenRouter's."""

_MISTRAL: dict[str, ModelPrice] = {
    # Mistral answers with a dated id (`mistral-small-2603` for `mistral-small-latest`), and a
    # `-latest` alias moves to new models at new prices: each is listed as it stands, and a
    # dated id not listed here has no price (a new snapshot may cost more or less)
    "mistral-large": ModelPrice(2.00, 6.00),
    "mistral-large-2407": ModelPrice(2.00, 6.00),
    "mistral-large-2411": ModelPrice(2.00, 6.00),
    "mistral-large-2512": ModelPrice(0.50, 1.50, 262_144),
    "mistral-large-4": ModelPrice(0.70, 2.10, 1_048_576),
    "mistral-large-4-0": ModelPrice(0.70, 2.10, 1_048_576),
    "mistral-medium": ModelPrice(0.40, 2.00),
    "mistral-medium-2505": ModelPrice(0.40, 2.00),
    "mistral-medium-2508": ModelPrice(0.40, 2.00),
    "mistral-medium-latest": ModelPrice(1.50, 7.50),
    "mistral-medium-3-5": ModelPrice(1.50, 7.50, 262_144),
    "mistral-medium-2604": ModelPrice(1.50, 7.50, 262_144),
    "mistral-medium-2312": ModelPrice(2.70, 8.10),
    "mistral-small-latest": ModelPrice(0.15, 0.60),
    "mistral-small-2603": ModelPrice(0.15, 0.60, 262_144),
    "mistral-small-2506": ModelPrice(0.10, 0.30),
    "magistral-medium": ModelPrice(2.00, 5.00),
    "magistral-medium-2506": ModelPrice(2.00, 5.00),
    "magistral-medium-2507": ModelPrice(2.00, 5.00),
    "magistral-medium-2509": ModelPrice(2.00, 5.00),
    "magistral-small": ModelPrice(0.50, 1.50),
    "magistral-small-2506": ModelPrice(0.50, 1.50),
    "magistral-small-2507": ModelPrice(0.50, 1.50),
    "magistral-small-2509": ModelPrice(0.50, 1.50),
    "codestral": ModelPrice(0.30, 0.90, 256_000),
    "codestral-2501": ModelPrice(0.30, 0.90, 256_000),
    "codestral-2508": ModelPrice(0.30, 0.90, 256_000),
    "devstral-2512": ModelPrice(0.40, 2.00, 262_144),
    "devstral-small": ModelPrice(0.10, 0.30),
    "devstral-small-2505": ModelPrice(0.10, 0.30),
    "devstral-small-2507": ModelPrice(0.10, 0.30),
    "ministral-3b": ModelPrice(0.04, 0.04),
    "ministral-3b-2512": ModelPrice(0.10, 0.10, 131_072),
    "ministral-8b": ModelPrice(0.10, 0.10),
    "ministral-8b-2410": ModelPrice(0.10, 0.10),
    "ministral-8b-latest": ModelPrice(0.15, 0.15),
    "ministral-8b-2512": ModelPrice(0.15, 0.15, 262_144),
    "ministral-14b-2512": ModelPrice(0.20, 0.20, 262_144),
    "mistral-saba": ModelPrice(0.20, 0.60),
    "pixtral-large": ModelPrice(2.00, 6.00),
    "pixtral-large-2411": ModelPrice(2.00, 6.00),
    "pixtral-12b": ModelPrice(0.15, 0.15),
    "open-mistral-nemo": ModelPrice(0.15, 0.15),
    "open-mistral-7b": ModelPrice(0.25, 0.25),
    "open-mixtral-8x7b": ModelPrice(0.70, 0.70),
    "open-mixtral-8x22b": ModelPrice(2.00, 6.00),
}

DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    "fake-small": ModelPrice(0.15, 0.60),
    "fake-large": ModelPrice(2.50, 10.00),
    **_OPENAI,
    **_ANTHROPIC,
    **_BEDROCK,
    **_GEMINI,
    **_GROQ,
    **_DEEPSEEK,
    **_TOGETHER,
    **_OPENROUTER,
    **_MISTRAL,
}
"""The fake models' prices (for demos), then OpenAI's and Anthropic's as of PRICES_AS_OF, and
the other providers' as of the date on their line in PRICE_SOURCES.
Long-context surcharges are not modelled: above 200K input tokens some models cost more."""


DATED_ID = re.compile(r"^(.+?)-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")
"""A model id with a snapshot date or `latest` after its family name."""


BEDROCK_GEOGRAPHIC_PROFILE = re.compile(r"^(?:us|us-gov|eu|apac|au|ca|jp)\.(?=[a-z0-9-]+\.)")
"""The prefix of a Bedrock geographic cross-region inference profile (`us.`, `eu.`, `apac.`...)
before a provider-qualified id (`us.anthropic.claude-...`): priced as the id without it."""


def price_for(model: str, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> ModelPrice | None:
    """The price of `model`: an exact key, else its family's when the id only adds a snapshot
    date (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`) or `-latest`, else (a Bedrock
    geographic inference profile, `us.amazon.nova-lite-v1:0`) the exact id without its
    geographic prefix. Any other suffix (`o3-pro`, `gpt-4o-audio-preview`) is another model
    with its own price: None, not a guess."""
    exact = prices.get(model)
    if exact is not None:
        return exact
    dated = DATED_ID.match(model)
    if dated is not None:
        return prices.get(dated.group(1))
    profile = BEDROCK_GEOGRAPHIC_PROFILE.match(model)
    return prices.get(model[profile.end() :]) if profile is not None else None


def call_cost_bound(model: ChatModel, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES, *, max_tokens: int | None = None) -> float | None:
    """The most one call to `model` (a ChatModel) can cost: its input bound
    (`max_input_tokens`, else the context window) and reply bound (`max_tokens`, else the
    model's longest reply; a request's `max_tokens`, given here, may lower it) at its price.
    None when the price or a bound is unknown."""
    name = getattr(model, "model", None)
    price = price_for(name, prices) if isinstance(name, str) else None
    if price is None:
        return None
    max_input = getattr(model, "max_input_tokens", None) or price.context_window
    max_output = getattr(model, "max_tokens", None) or price.max_output_tokens
    if isinstance(max_tokens, int) and (not isinstance(max_output, int) or max_tokens < max_output) and _honours_reply_cap(model):
        max_output = max_tokens  # the client sends the smaller cap
    if not isinstance(max_input, int) or not isinstance(max_output, int):
        return None
    return price.cost(max_input, max_output)


def _honours_reply_cap(model: ChatModel) -> bool:
    """Whether `model` caps a reply at a request's `max_tokens` (our clients and the fake do; any
    other ChatModel is taken at its own declared limits only)."""
    from .model import FakeChatModel
    from .providers._base import ProviderChatModel

    return isinstance(model, (ProviderChatModel, FakeChatModel))


def request_cost_bound(model: ChatModel, request: ChatRequest, prices: Mapping[str, ModelPrice] = DEFAULT_PRICES) -> float | None:
    """The most sending `request` to `model` (a ChatModel) can cost, known before the call: its
    input bound (its text in UTF-8 bytes, see `input_bound`, at most the model's
    `max_input_tokens`) and its reply cap (the smaller of `request.max_tokens` and the model's
    `max_tokens`) at the model's price. For a provider's client, whose provider enforces them,
    the model's context window and longest reply bound it too; any other ChatModel is taken at
    its own declared limits only. What a hard budget reserves for a call; None when the price or
    the reply cap is unknown. It trusts the client's `model` name: a client that replies as a
    dearer model than it says cannot be bounded."""
    from .providers._base import ProviderChatModel, input_bound

    name = getattr(model, "model", None)
    price = price_for(name, prices) if isinstance(name, str) else None
    if price is None:
        return None
    overhead, window, longest = 0, None, None
    if isinstance(model, ProviderChatModel):  # the provider enforces the model's context window and longest reply
        overhead, window, longest = model._prompt_overhead(request), price.context_window, price.max_output_tokens
    inputs = [input_bound(request, extra_tokens=overhead), getattr(model, "max_input_tokens", None), window]
    caps = [request.max_tokens, getattr(model, "max_tokens", None), longest]
    known_inputs = [b for b in inputs if isinstance(b, int) and b > 0]
    known_caps = [c for c in caps if isinstance(c, int) and c > 0]
    return price.cost(min(known_inputs), min(known_caps)) if known_caps else None
