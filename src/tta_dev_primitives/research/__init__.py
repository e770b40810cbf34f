"""The original package's research primitives: LLM providers' free tiers, from a dated
snapshot of facts, as data, guides, rankings and fallback code (needs pydantic)."""

from .free_tier_research import (
    FreeTierResearchPrimitive,
    FreeTierResearchRequest,
    FreeTierResearchResponse,
    ModelQualityMetrics,
    ProviderInfo,
)

__all__ = [
    "FreeTierResearchPrimitive",
    "FreeTierResearchRequest",
    "FreeTierResearchResponse",
    "ModelQualityMetrics",
    "ProviderInfo",
]
