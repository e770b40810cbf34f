"""Static facts about LLM providers' free tiers, as the original package's research recorded
them (October 2025; benchmark scores dated 2025-10-15). They are a snapshot, not live data:
prices and limits change, so every entry carries the date it was true on (`last_verified`).

Kept apart from the logic in `free_tier_research` so that updating the facts never touches code.
"""

from __future__ import annotations

from typing import Final

__all__ = ["PROVIDERS", "RESEARCH_DATE"]

RESEARCH_DATE: Final = "2025-10-15"
"""The day the original's provider facts and benchmark scores were collected."""

_ARENA = "LMSYS Chatbot Arena + Artificial Analysis"
_GOOGLE = "LMSYS Chatbot Arena + Google AI Benchmarks"
_HF = "HuggingFace Open LLM Leaderboard"


def _model(
    name: str,
    scores: tuple[float, float, float, float, float, float],
    source: str,
    best_for: tuple[str, ...],
) -> dict[str, object]:
    """One model's quality metrics: (overall, reasoning, code generation, instruction following,
    creative writing, safety) scores out of 100."""
    overall, reasoning, code, instructions, creative, safety = scores
    return {
        "model_name": name,
        "overall_score": overall,
        "reasoning_score": reasoning,
        "code_generation_score": code,
        "instruction_following_score": instructions,
        "creative_writing_score": creative,
        "safety_score": safety,
        "benchmark_source": source,
        "last_benchmark_date": RESEARCH_DATE,
        "best_for": list(best_for),
    }


PROVIDERS: Final[dict[str, dict[str, object]]] = {
    "openai": {
        "name": "OpenAI API",
        "has_free_tier": True,
        "free_tier_details": "$5 one-time credit",
        "rate_limits": "500 RPM, 30,000 TPM (Tier 1)",
        "credit_card_required": True,
        "expires": "After $5 used or 3 months",
        "cost_after_free": "GPT-4o-mini: $0.15/1M input, $0.60/1M output",
        "setup_url": "https://platform.openai.com/signup",
        "pricing_url": "https://openai.com/api/pricing/",
        "notes": "Web UI (ChatGPT) is free forever, but API requires payment after $5 credit",
        "last_verified": RESEARCH_DATE,
        "models": [
            _model("gpt-4o-mini", (82, 85, 88, 90, 75, 92), _ARENA, ("code generation", "reasoning", "instruction following")),
            _model("gpt-4o", (92, 95, 94, 96, 88, 94), _ARENA, ("complex reasoning", "code generation", "general purpose")),
        ],
    },
    "anthropic": {
        "name": "Anthropic Claude API",
        "has_free_tier": False,
        "free_tier_details": None,
        "rate_limits": None,
        "credit_card_required": True,
        "expires": "N/A",
        "cost_after_free": "Claude 3.5 Sonnet: $3.00/1M input, $15.00/1M output",
        "setup_url": "https://console.anthropic.com/",
        "pricing_url": "https://www.anthropic.com/pricing",
        "notes": "Web UI (claude.ai) is free with limits, but API has no free tier",
        "last_verified": RESEARCH_DATE,
        "models": [
            _model(
                "claude-3-5-sonnet-20241022", (90, 93, 92, 94, 91, 95), _ARENA, ("reasoning", "creative writing", "instruction following")
            ),
            _model("claude-3-opus-20240229", (88, 91, 89, 92, 93, 94), _ARENA, ("creative writing", "complex reasoning", "long context")),
        ],
    },
    "google-gemini": {
        "name": "Google Gemini",
        "has_free_tier": True,
        "free_tier_details": "1500 RPD free (Google AI Studio)",
        "rate_limits": "1500 RPD (shared across Flash and Flash-Lite)",
        "credit_card_required": False,
        "expires": "Never",
        "cost_after_free": "Gemini 2.5 Flash: $0.30/1M input, $2.50/1M output",
        "setup_url": "https://aistudio.google.com/",
        "pricing_url": "https://ai.google.dev/pricing",
        "notes": "Google AI Studio is free, Vertex AI is paid. Don't confuse them!",
        "last_verified": RESEARCH_DATE,
        "models": [
            _model("gemini-2.5-flash", (85, 83, 86, 88, 82, 90), _GOOGLE, ("general purpose", "fast responses", "cost efficiency")),
            _model("gemini-2.5-pro", (89, 91, 90, 92, 87, 93), _GOOGLE, ("complex reasoning", "code generation", "general purpose")),
        ],
    },
    "openrouter": {
        "name": "OpenRouter BYOK",
        "has_free_tier": True,
        "free_tier_details": "1M BYOK requests/month",
        "rate_limits": "Resets monthly at midnight UTC",
        "credit_card_required": False,
        "expires": "Monthly reset",
        "cost_after_free": "5% fee on provider costs after 1M requests/month",
        "setup_url": "https://openrouter.ai/",
        "pricing_url": "https://openrouter.ai/docs#limits",
        "notes": "BYOK = Bring Your Own Key. You use your own provider API keys.",
        "last_verified": RESEARCH_DATE,
        "models": [
            _model(
                "openai/gpt-4o-mini (via BYOK)",
                (82, 85, 88, 90, 75, 92),
                "LMSYS Chatbot Arena (via OpenAI)",
                ("code generation", "reasoning", "multi-provider routing"),
            ),
        ],
    },
    "ollama": {
        "name": "Ollama",
        "has_free_tier": True,
        "free_tier_details": "Unlimited (runs locally)",
        "rate_limits": "None (local)",
        "credit_card_required": False,
        "expires": "Never",
        "cost_after_free": "$0 (uses your hardware)",
        "setup_url": "https://ollama.com/",
        "pricing_url": None,
        "notes": "100% free, runs on your machine. Requires GPU for good performance.",
        "last_verified": RESEARCH_DATE,
        "models": [
            _model("llama3.2:8b", (78, 76, 80, 82, 74, 85), _HF, ("privacy-critical", "offline use", "local development")),
            _model("mistral:7b", (75, 73, 77, 79, 72, 83), _HF, ("fast inference", "resource-constrained", "local development")),
            _model("gemma2:9b", (76, 74, 78, 80, 73, 88), _HF, ("safety-critical", "local development", "privacy")),
        ],
    },
}
"""Each provider's free tier (the fields of `ProviderInfo`, `models` those of
`ModelQualityMetrics`), keyed by the lower-case name a request uses."""
