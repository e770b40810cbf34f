"""Pick the chat model a script runs on from its command line: the offline default, or a real
endpoint. The examples use it, so each runs on the fake model by default and on a real one with

    --provider NAME [--model NAME] [--base-url URL]   a provider on its official SDK (PROVIDERS)
    --base-url URL --model NAME                       any OpenAI-compatible server
    --model claude-... / --model gemini-...           Anthropic / Gemini (no --provider needed)

Keys come from each SDK's usual environment variables (`OPENAI_API_KEY`, `GEMINI_API_KEY`, the
AWS credential chain, ...). A script adds these options to its own parser
(`model_arguments(parser)`), parses its command line, and takes its model from the result
(`chat_model_from(args, default)`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence

import attrs

from ....errors import ConfigError
from ....extras import exit_if_missing, require
from ..model import ChatModel

__all__ = ["PROVIDERS", "Provider", "chat_model", "chat_model_from", "model_arguments"]


@attrs.frozen
class Provider:
    """A provider `--provider NAME` can name: the extra its SDK comes with, the module (under
    `providers`) holding its `from_options(model, base_url=..., max_tokens=...)` builder, its
    default model (None: `--model` is required, as for a local server's own models) and what a
    missing-extra message calls it."""

    extra: str
    module: str
    default_model: str | None
    who: str
    builder: str = "from_options"
    keys: tuple[str, ...] = ()
    """The environment variables the SDK reads its key from (any one will do); without one, and
    without `--base-url` (a local proxy may need none), the command line is refused before a
    client is built, naming them, rather than failing at the first call with a 401 or with
    whatever error the SDK raises."""


PROVIDERS: Mapping[str, Provider] = {
    "openai": Provider("openai", "_openai_chat", "gpt-4o-mini", "an OpenAI-compatible model (--provider openai, --base-url)", keys=("OPENAI_API_KEY",)),
    "anthropic": Provider(
        "anthropic", "_anthropic_chat", "claude-haiku-4-5", "a Claude model (--provider anthropic)", keys=("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
    ),
    "gemini": Provider("gemini", "_gemini_chat", "gemini-2.5-flash", "a Gemini model (--provider gemini)", keys=("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    "ollama": Provider("ollama", "_ollama_chat", "llama3.2", "an Ollama model (--provider ollama)"),
    "groq": Provider("groq", "_groq_chat", "llama-3.3-70b-versatile", "a Groq model (--provider groq)", keys=("GROQ_API_KEY",)),
    "mistral": Provider("mistral", "_mistral_chat", "mistral-small-latest", "a Mistral model (--provider mistral)", keys=("MISTRAL_API_KEY",)),
    "bedrock": Provider("bedrock", "_bedrock_chat", "amazon.nova-lite-v1:0", "a Bedrock model (--provider bedrock)"),
    "huggingface": Provider("huggingface", "_huggingface_chat", "meta-llama/Llama-3.1-8B-Instruct", "a Hugging Face model (--provider huggingface)"),
    "openrouter": Provider("openai", "_openai_presets", "openai/gpt-4o-mini", "an OpenRouter model (--provider openrouter)", "openrouter"),
    "together": Provider("openai", "_openai_presets", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "a Together model (--provider together)", "together"),
    "deepseek": Provider("openai", "_openai_presets", "deepseek-chat", "a DeepSeek model (--provider deepseek)", "deepseek"),
    "vllm": Provider("openai", "_openai_presets", None, "a vLLM server (--provider vllm)", "vllm"),
    "lmstudio": Provider("openai", "_openai_presets", None, "an LM Studio server (--provider lmstudio)", "lmstudio"),
}
"""Every provider a command line can name, by `--provider` value."""

FAMILIES = {"claude": "anthropic", "gemini": "gemini"}
"""Model name prefixes that name their provider, so `--model claude-...` needs no --provider."""


def model_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add `--provider`, `--base-url`, `--model` and `--max-tokens` to `parser`."""
    group = parser.add_argument_group("model (default: the offline fake model)")
    group.add_argument("--provider", choices=sorted(PROVIDERS), help="use this provider's official SDK")
    group.add_argument("--base-url", help="an OpenAI-compatible endpoint (or the provider's own, with --provider)")
    group.add_argument("--model", help="the model name (default: the provider's, e.g. gpt-4o-mini)")
    group.add_argument("--max-tokens", type=int, default=1024, help="cap on each reply (default 1024)")
    return parser


def chat_model_from(args: argparse.Namespace, default: ChatModel) -> ChatModel:
    """For a script whose parser has `model_arguments`: `default`, unless `args` name a real model.
    When that provider's SDK is not installed, the script exits with one line on stderr naming
    the extra to install (as `exit_if_missing` does), not a traceback; so it does when the
    provider's key variable is unset or a local server's `--model` is missing."""
    provider = _provider(args)
    if provider is None:
        return default
    exit_if_missing(PROVIDERS[provider].extra, who=PROVIDERS[provider].who)
    try:
        return _real_model(provider, args)
    except ConfigError as error:  # a missing key or --model: one line, as for a missing extra
        raise SystemExit(str(error)) from None


def chat_model(default: ChatModel, argv: Sequence[str] | None = None) -> ChatModel:
    """`default`, unless the command line (`argv`, default `sys.argv[1:]`) names a real model.

    Other arguments are left alone (a script with a parser of its own uses `model_arguments` and
    `chat_model_from` instead, so a mistyped option is an error, not the fake model). A missing
    SDK is a MissingExtraError; `--provider vllm` or `lmstudio` without `--model`, or a provider
    whose key variable is unset (without `--base-url`), a ConfigError.
    Keys come from the SDKs' usual environment variables; a `--base-url` server that needs no
    key gets a placeholder.
    """
    # no abbreviations: a script's own `--mode` must not be read as our `--model`
    parsed, _ = model_arguments(argparse.ArgumentParser(add_help=False, allow_abbrev=False)).parse_known_args(
        list(sys.argv[1:] if argv is None else argv)
    )
    provider = _provider(parsed)
    if provider is None:
        return default
    spec = PROVIDERS[provider]
    require(_sdk_module(spec), spec.extra, spec.who)
    return _real_model(provider, parsed)


def _sdk_module(spec: Provider) -> str:
    """The import name of the SDK behind `spec` (the first module its extra provides)."""
    from ....extras import EXTRAS

    return EXTRAS[spec.extra][0]


def _provider(args: argparse.Namespace) -> str | None:
    """The provider `args` name (None: the default model)."""
    provider: str | None = args.provider
    if provider is None and (args.base_url or args.model):
        family = str(args.model or "").split("-")[0]
        provider = FAMILIES.get(family, "openai") if not args.base_url else "openai"
    return provider


def _real_model(provider: str, args: argparse.Namespace) -> ChatModel:
    """The model `args` name, on `provider`'s SDK (which is installed)."""
    spec = PROVIDERS[provider]
    name: str | None = args.model or spec.default_model
    if name is None:
        raise ConfigError(f"--provider {provider}", "--model", "the name of a model the server serves", None)
    if spec.keys and not args.base_url and not any(os.environ.get(key) for key in spec.keys):
        raise ConfigError(f"--provider {provider}", "API key", "a key in " + " or ".join(spec.keys), None)
    module = importlib.import_module(f"{__package__}.{spec.module}")
    build: Callable[..., ChatModel] = getattr(module, spec.builder)
    return build(name, base_url=args.base_url, max_tokens=args.max_tokens)
