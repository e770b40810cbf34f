"""The original package's FreeTierResearchPrimitive: LLM providers' free tiers, a markdown guide
of them, a ranking of the best free models and generated fallback-strategy code.

The provider facts are a dated snapshot (`_free_tier_data`, October 2025), not fetched live:
the primitive looks providers up there, so its answers are only as current as that date.
"""

from __future__ import annotations

from datetime import datetime

from ..extras import require

require("pydantic", "original", __name__)

from pydantic import BaseModel, Field  # noqa: E402 - after the check that names the extra

from ..core.base import WorkflowContext, WorkflowPrimitive
from ._free_tier_data import PROVIDERS, RESEARCH_DATE

__all__ = [
    "FreeTierResearchPrimitive",
    "FreeTierResearchRequest",
    "FreeTierResearchResponse",
    "ModelQualityMetrics",
    "ProviderInfo",
]


def _today() -> str:
    return datetime.now().strftime("%Y-%m-%d")


class ModelQualityMetrics(BaseModel):
    """Benchmark scores (0-100) of one model and what it is best at."""

    model_name: str = Field(description="Model name (e.g. 'gpt-4o-mini')")
    overall_score: float = Field(ge=0, le=100, description="Overall quality score (0-100)")
    reasoning_score: float | None = Field(default=None, ge=0, le=100, description="Reasoning score (0-100)")
    code_generation_score: float | None = Field(default=None, ge=0, le=100, description="Code generation score (0-100)")
    instruction_following_score: float | None = Field(default=None, ge=0, le=100, description="Instruction following score (0-100)")
    creative_writing_score: float | None = Field(default=None, ge=0, le=100, description="Creative writing score (0-100)")
    safety_score: float | None = Field(default=None, ge=0, le=100, description="Safety and alignment score (0-100)")
    benchmark_source: str | None = Field(default=None, description="Where the scores come from")
    last_benchmark_date: str = Field(default_factory=_today, description="Date of the benchmark data (YYYY-MM-DD)")
    best_for: list[str] = Field(default_factory=list, description="Use cases the model excels at")


class ProviderInfo(BaseModel):
    """One provider's free tier: what it includes, its limits, its cost after, and its models."""

    name: str = Field(description="Provider name (e.g. 'OpenAI API')")
    has_free_tier: bool = Field(description="Whether the provider's API has a free tier")
    free_tier_details: str | None = Field(default=None, description="What the free tier includes")
    rate_limits: str | None = Field(default=None, description="Rate limits of the free tier")
    credit_card_required: bool | None = Field(default=None, description="Whether a credit card is required")
    expires: str | None = Field(default=None, description="When the free tier ends")
    cost_after_free: str | None = Field(default=None, description="Cost once the free tier is used up")
    setup_url: str | None = Field(default=None, description="Where to sign up")
    pricing_url: str | None = Field(default=None, description="Pricing page")
    last_verified: str = Field(default_factory=_today, description="Date the information was true on (YYYY-MM-DD)")
    notes: str | None = Field(default=None, description="Notes, e.g. common confusions")
    models: list[ModelQualityMetrics] = Field(default_factory=list, description="Quality metrics of the provider's models")


class FreeTierResearchRequest(BaseModel):
    """Which providers to look up, and whether to produce a changelog and a guide."""

    providers: list[str] = Field(
        default_factory=lambda: ["openai", "anthropic", "google-gemini", "openrouter", "ollama"],
        description="Providers to research",
    )
    existing_guide_path: str | None = Field(default=None, description="An existing guide to compare with (enables the changelog)")
    output_path: str | None = Field(default=None, description="Where the guide is meant to go (enables guide generation)")
    generate_changelog: bool = Field(default=True, description="Whether to produce a changelog")


class FreeTierResearchResponse(BaseModel):
    """The providers found, keyed as requested, with the optional changelog and guide."""

    providers: dict[str, ProviderInfo] = Field(description="Provider information, keyed by the requested name")
    changelog: list[str] | None = Field(default=None, description="Changes detected")
    updated_guide: str | None = Field(default=None, description="Generated markdown guide")
    research_date: str = Field(default_factory=_today, description="Date of the research run (YYYY-MM-DD)")


_USE_CASE_METRICS: dict[str, str] = {
    "code generation": "code_generation_score",
    "code-generation": "code_generation_score",
    "reasoning": "reasoning_score",
    "creative writing": "creative_writing_score",
    "creative-writing": "creative_writing_score",
    "instruction following": "instruction_following_score",
    "instruction-following": "instruction_following_score",
    "general purpose": "overall_score",
    "general-purpose": "overall_score",
}
"""The score a use case ranks models by (any other use case: `overall_score`)."""

_PRIMITIVE_CLASSES: dict[str, str] = {
    "OpenAI API": "OpenAIPrimitive",
    "Anthropic Claude API": "AnthropicPrimitive",
    "Google Gemini": "GoogleGeminiPrimitive",
    "OpenRouter BYOK": "OpenRouterPrimitive",
    "Ollama": "OllamaPrimitive",
}
"""The integration primitive named in generated code for each provider."""

_AVAILABILITY_BY_DETAIL: tuple[tuple[str, float], ...] = (
    ("Unlimited", 100.0),  # local, unlimited
    ("$5", 70.0),  # a limited credit
    ("1500 RPD", 90.0),  # a high daily limit
    ("1M", 85.0),  # BYOK with a high monthly limit
)
"""How available a free tier is, read from its details, first match wins (checked after a tier
that never expires, which scores 100; any other free tier scores 50, none 0)."""


def _availability(provider: ProviderInfo) -> float:
    if not provider.has_free_tier:
        return 0.0
    if provider.expires == "Never":
        return 100.0
    details = provider.free_tier_details or ""
    return next((score for marker, score in _AVAILABILITY_BY_DETAIL if marker in details), 50.0)


class FreeTierResearchPrimitive(WorkflowPrimitive[FreeTierResearchRequest, FreeTierResearchResponse]):
    """Looks up providers' free tiers in the dated snapshot, with optional changelog and guide.

    Unknown providers get a placeholder entry (no free tier, a "not found" note) rather than an
    error, so one misspelt name does not lose the rest of the research.
    """

    def __init__(self) -> None:
        self._provider_data: dict[str, ProviderInfo] = {key: ProviderInfo.model_validate(fields) for key, fields in PROVIDERS.items()}

    async def execute(self, input_data: FreeTierResearchRequest, context: WorkflowContext) -> FreeTierResearchResponse:
        """Research `input_data.providers`; the changelog needs `existing_guide_path` (and
        `generate_changelog`), the guide `output_path` (it is returned, not written)."""
        providers = {name: self._lookup(name) for name in input_data.providers}
        changelog = None
        if input_data.generate_changelog and input_data.existing_guide_path:
            changelog = await self._generate_changelog(providers, input_data.existing_guide_path)
        guide = await self._generate_guide(providers) if input_data.output_path else None
        return FreeTierResearchResponse(providers=providers, changelog=changelog, updated_guide=guide)

    def _lookup(self, provider: str) -> ProviderInfo:
        known = self._provider_data.get(provider.lower())
        if known is not None:
            return known.model_copy(deep=True)  # a caller editing its answer leaves the snapshot alone
        return ProviderInfo(name=provider, has_free_tier=False, notes=f"Provider '{provider}' not found in database")

    async def _generate_changelog(self, providers: dict[str, ProviderInfo], existing_guide_path: str) -> list[str]:
        """What changed since the guide at `existing_guide_path`: with a static snapshot, nothing.
        The original's two lines, word for word (callers compare them); the snapshot's date is in
        the guide and in each provider's `last_verified`."""
        return [
            f"Verified {len(providers)} providers as of {_today()}",
            "No changes detected (using hardcoded data)",
        ]

    async def _generate_guide(self, providers: dict[str, ProviderInfo]) -> str:
        """A markdown guide: one comparison-table row per provider."""
        rows = "\n".join(
            f"| **{info.name}** | {'✅ Yes' if info.has_free_tier else '❌ No'} | {info.free_tier_details or 'None'} | "
            f"{info.rate_limits or 'N/A'} | {'Yes' if info.credit_card_required else 'No'} | {info.expires or 'N/A'} |"
            for info in providers.values()
        )
        return (
            "# Free LLM Access Guide\n\n"
            f"**Last Updated:** {datetime.now().strftime('%B %d, %Y')}\n"
            f"**Provider data as of:** {RESEARCH_DATE}\n\n"
            "## 📊 Free Tier Comparison Table\n\n"
            "| Provider | Free Tier? | What's Included | Rate Limits | Credit Card Required? | Expires? |\n"
            "|----------|-----------|-----------------|-------------|----------------------|----------|\n"
            f"{rows}\n\n"
            "---\n\n"
            "*This guide was automatically generated by FreeTierResearchPrimitive.*\n"
            "*For detailed information, see the full guide at docs/guides/free-llm-access-guide.md*\n"
        )

    def generate_best_free_models_ranking(
        self, providers: dict[str, ProviderInfo]
    ) -> list[tuple[int, ModelQualityMetrics, ProviderInfo]]:
        """Every model of `providers` as `(rank, model, provider)`, best first: 60% quality
        (overall score), 40% availability of the provider's free tier."""
        scored = [
            (model.overall_score * 0.6 + _availability(provider) * 0.4, model, provider)
            for provider in providers.values()
            for model in provider.models
        ]
        scored.sort(key=lambda entry: entry[0], reverse=True)
        return [(rank, model, provider) for rank, (_, model, provider) in enumerate(scored, start=1)]

    def generate_fallback_strategy(self, use_case: str, providers: dict[str, ProviderInfo]) -> str:
        """Python code of a FallbackPrimitive over the three best models for `use_case` (scored
        by the use case's metric, free tiers +10)."""
        metric = _USE_CASE_METRICS.get(use_case.lower(), "overall_score")
        scored: list[tuple[float, ModelQualityMetrics, ProviderInfo]] = []
        for provider in providers.values():
            for model in provider.models:
                score = getattr(model, metric)
                base = model.overall_score if score is None else float(score)
                scored.append((base + (10.0 if provider.has_free_tier else 0.0), model, provider))
        scored.sort(key=lambda entry: entry[0], reverse=True)
        top = scored[:3]
        lines = [
            "from tta_dev_primitives.integrations import (",
            "    OpenAIPrimitive,",
            "    AnthropicPrimitive,",
            "    OllamaPrimitive,",
            ")",
            "from tta_dev_primitives.recovery import FallbackPrimitive",
            "from tta_dev_primitives.core.base import WorkflowContext",
            "",
            f"# Recommended fallback strategy for: {use_case}",
            f"# Generated: {_today()}",
            "",
        ]
        for index, (score, model, provider) in enumerate(top):
            variable = "primary" if index == 0 else f"fallback{index}"
            lines.append(
                f'{variable} = {self._get_primitive_class_name(provider.name)}(model="{model.model_name}")  '
                f"# Score: {score:.1f}, Best for: {', '.join(model.best_for[:2])}"
            )
        fallbacks = ", ".join(f"fallback{index}" for index in range(1, len(top)))
        lines += [
            "",
            "# Create fallback workflow",
            "workflow = FallbackPrimitive(",
            "    primary=primary,",
            f"    fallbacks=[{fallbacks}]",
            ")",
            "",
            "# Execute",
            'context = WorkflowContext(workflow_id="my-workflow")',
            "result = await workflow.execute(input_data, context)",
        ]
        return "\n".join(lines)

    def _get_primitive_class_name(self, provider_name: str) -> str:
        """The integration primitive class for a provider's display name ("UnknownPrimitive")."""
        return _PRIMITIVE_CLASSES.get(provider_name, "UnknownPrimitive")
