"""Pick the chat model a script runs on from its command line: the offline default, or a real
endpoint. The examples use it, so each runs on the fake model by default and on a real one with

    --base-url URL --model NAME          any OpenAI-compatible server (vLLM, Ollama, llama.cpp...)
    --provider openai --model NAME       OpenAI's API (key from OPENAI_API_KEY)
    --provider anthropic --model NAME    Anthropic's API (key from ANTHROPIC_API_KEY)
    --model claude-...                   the same (a Claude model needs no --provider)

A script adds these options to its own parser (`model_arguments(parser)`), parses its command
line, and takes its model from the result (`chat_model_from(args, default)`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ....extras import exit_if_missing, require
from ..model import ChatModel

__all__ = ["chat_model", "chat_model_from", "model_arguments"]

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
WHO = {"openai": "an OpenAI-compatible model (--provider openai, --base-url)", "anthropic": "a Claude model (--provider anthropic)"}
"""What needs each provider's extra, as a missing-extra message says it."""


def model_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add `--provider`, `--base-url`, `--model` and `--max-tokens` to `parser`."""
    group = parser.add_argument_group("model (default: the offline fake model)")
    group.add_argument("--provider", choices=sorted(DEFAULT_MODELS), help="use this provider's official SDK")
    group.add_argument("--base-url", help="an OpenAI-compatible endpoint (or the provider's, with --provider)")
    group.add_argument("--model", help="the model name (default: gpt-4o-mini / claude-haiku-4-5)")
    group.add_argument("--max-tokens", type=int, default=1024, help="cap on each reply (default 1024)")
    return parser


def chat_model_from(args: argparse.Namespace, default: ChatModel) -> ChatModel:
    """For a script whose parser has `model_arguments`: `default`, unless `args` name a real model.
    When that provider's SDK is not installed, the script exits with one line on stderr naming
    the extra to install (as `exit_if_missing` does), not a traceback."""
    provider = _provider(args)
    if provider is None:
        return default
    exit_if_missing(provider, who=WHO[provider])
    return _real_model(provider, args)


def chat_model(default: ChatModel, argv: Sequence[str] | None = None) -> ChatModel:
    """`default`, unless the command line (`argv`, default `sys.argv[1:]`) names a real model.

    Other arguments are left alone (a script with a parser of its own uses `model_arguments` and
    `chat_model_from` instead, so a mistyped option is an error, not the fake model). A missing
    SDK is a MissingExtraError. Keys come from the SDKs' usual environment variables; a
    `--base-url` server that needs no key gets a placeholder.
    """
    # no abbreviations: a script's own `--mode` must not be read as our `--model`
    parsed, _ = model_arguments(argparse.ArgumentParser(add_help=False, allow_abbrev=False)).parse_known_args(
        list(sys.argv[1:] if argv is None else argv)
    )
    provider = _provider(parsed)
    if provider is None:
        return default
    require(provider, provider, WHO[provider])
    return _real_model(provider, parsed)


def _provider(args: argparse.Namespace) -> str | None:
    """The provider `args` name (None: the default model)."""
    provider: str | None = args.provider
    if provider is None and (args.base_url or args.model):  # a Claude model needs no --provider
        provider = "anthropic" if not args.base_url and str(args.model).startswith("claude") else "openai"
    return provider


def _real_model(provider: str, args: argparse.Namespace) -> ChatModel:
    """The model `args` name, on `provider`'s SDK (which is installed)."""
    name: str = args.model or DEFAULT_MODELS[provider]
    if provider == "anthropic":
        import anthropic

        from ._anthropic_chat import AnthropicChatModel

        return AnthropicChatModel(anthropic.AsyncAnthropic(base_url=args.base_url), name, max_tokens=args.max_tokens)
    import openai

    from ._openai_chat import OpenAIChatModel

    key = os.environ.get("OPENAI_API_KEY") or ("unused" if args.base_url else None)
    return OpenAIChatModel(openai.AsyncOpenAI(base_url=args.base_url, api_key=key), name, max_tokens=args.max_tokens)
