"""The original package's integrations: primitives over model providers (OpenAI, Anthropic,
Ollama, Google AI Studio, Groq, OpenRouter, Hugging Face, Together.ai) and databases (Supabase,
SQLite).

Each is imported on first use, and each SDK only when its primitive is built: importing this
package needs none of them, and a missing one is a MissingExtraError naming the extra to install
(`openai`, `anthropic`, `ollama`, `gemini`, `groq`, `huggingface`, `supabase`; `integrations`
for all of the original's).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .anthropic_primitive import AnthropicPrimitive
    from .google_ai_studio_primitive import GoogleAIStudioPrimitive
    from .groq_primitive import GroqPrimitive
    from .huggingface_primitive import HuggingFacePrimitive
    from .ollama_primitive import OllamaPrimitive
    from .openai_primitive import OpenAIPrimitive
    from .openrouter_primitive import OpenRouterPrimitive
    from .sqlite_primitive import SQLitePrimitive
    from .supabase_primitive import SupabasePrimitive
    from .together_ai_primitive import TogetherAIPrimitive

__all__ = [
    "OpenAIPrimitive",
    "AnthropicPrimitive",
    "OllamaPrimitive",
    "GoogleAIStudioPrimitive",
    "GroqPrimitive",
    "OpenRouterPrimitive",
    "HuggingFacePrimitive",
    "TogetherAIPrimitive",
    "SupabasePrimitive",
    "SQLitePrimitive",
]

MODULES = {
    "OpenAIPrimitive": "openai_primitive",
    "AnthropicPrimitive": "anthropic_primitive",
    "OllamaPrimitive": "ollama_primitive",
    "GoogleAIStudioPrimitive": "google_ai_studio_primitive",
    "GroqPrimitive": "groq_primitive",
    "OpenRouterPrimitive": "openrouter_primitive",
    "HuggingFacePrimitive": "huggingface_primitive",
    "TogetherAIPrimitive": "together_ai_primitive",
    "SupabasePrimitive": "supabase_primitive",
    "SQLitePrimitive": "sqlite_primitive",
}
"""Each primitive by the module that holds it (with its request and response models)."""


def __getattr__(name: str) -> object:
    module = MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
