"""Pick the chat model a script runs on from its command line: the offline default, or a real
endpoint. The examples use it, so each runs on the fake model by default and on a real one with

    --base-url URL --model NAME          any OpenAI-compatible server (vLLM, Ollama, llama.cpp...)
    --provider openai --model NAME       OpenAI's API (key from OPENAI_API_KEY)
    --provider anthropic --model NAME    Anthropic's API (key from ANTHROPIC_API_KEY)
    --model claude-...                   the same (a Claude model needs no --provider)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ....extras import require
from ..model import ChatModel

__all__ = ["chat_model", "model_arguments"]

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}


def model_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add `--provider`, `--base-url`, `--model` and `--max-tokens` to `parser`."""
    group = parser.add_argument_group("model (default: the offline fake model)")
    group.add_argument("--provider", choices=sorted(DEFAULT_MODELS), help="use this provider's official SDK")
    group.add_argument("--base-url", help="an OpenAI-compatible endpoint (or the provider's, with --provider)")
    group.add_argument("--model", help="the model name (default: gpt-4o-mini / claude-haiku-4-5)")
    group.add_argument("--max-tokens", type=int, default=1024, help="cap on each reply (default 1024)")
    return parser


def chat_model(default: ChatModel, argv: Sequence[str] | None = None) -> ChatModel:
    """`default`, unless the command line (`argv`, default `sys.argv[1:]`) names a real model.

    Other arguments are left alone, so scripts can have their own. Keys come from the SDKs'
    usual environment variables; a `--base-url` server that needs no key gets a placeholder.
    """
    # no abbreviations: a script's own `--mode` must not be read as our `--model`
    parsed, _ = model_arguments(argparse.ArgumentParser(add_help=False, allow_abbrev=False)).parse_known_args(
        list(sys.argv[1:] if argv is None else argv)
    )
    provider: str | None = parsed.provider
    if provider is None and (parsed.base_url or parsed.model):  # a Claude model needs no --provider
        provider = "anthropic" if not parsed.base_url and str(parsed.model).startswith("claude") else "openai"
    if provider is None:
        return default
    name: str = parsed.model or DEFAULT_MODELS[provider]
    if provider == "anthropic":
        require("anthropic", "anthropic", "a Claude model (--provider anthropic)")
        import anthropic

        from ._anthropic_chat import AnthropicChatModel

        return AnthropicChatModel(anthropic.AsyncAnthropic(base_url=parsed.base_url), name, max_tokens=parsed.max_tokens)
    require("openai", "openai", "an OpenAI-compatible model (--provider openai, --base-url)")
    import openai

    from ._openai_chat import OpenAIChatModel

    key = os.environ.get("OPENAI_API_KEY") or ("unused" if parsed.base_url else None)
    return OpenAIChatModel(openai.AsyncOpenAI(base_url=parsed.base_url, api_key=key), name, max_tokens=parsed.max_tokens)
