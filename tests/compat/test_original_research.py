"""The original package's research.FreeTierResearchPrimitive: provider facts from a dated
snapshot, placeholders for unknown providers, changelog and guide on request, the ranking of
free models and the generated fallback code."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from tta_dev_primitives import compile
from tta_dev_primitives.core.base import WorkflowContext
from tta_dev_primitives.research import (
    FreeTierResearchPrimitive,
    FreeTierResearchRequest,
    FreeTierResearchResponse,
    ModelQualityMetrics,
    ProviderInfo,
)
from tta_dev_primitives.research._free_tier_data import PROVIDERS, RESEARCH_DATE

pytestmark = pytest.mark.anyio

ALL = ["openai", "anthropic", "google-gemini", "openrouter", "ollama"]


async def research(**request: object) -> FreeTierResearchResponse:
    return await FreeTierResearchPrimitive().execute(FreeTierResearchRequest.model_validate(request), WorkflowContext())


async def test_default_request_covers_the_five_providers_with_their_snapshot_facts() -> None:
    response = await research()
    assert list(response.providers) == ALL
    openai = response.providers["openai"]
    assert (openai.name, openai.has_free_tier, openai.free_tier_details) == ("OpenAI API", True, "$5 one-time credit")
    assert response.providers["anthropic"].has_free_tier is False
    assert response.providers["google-gemini"].expires == "Never"
    assert response.providers["ollama"].cost_after_free == "$0 (uses your hardware)"


async def test_snapshot_facts_carry_the_research_date_not_today() -> None:
    response = await research()
    assert RESEARCH_DATE == "2025-10-15"
    assert {info.last_verified for info in response.providers.values()} == {RESEARCH_DATE}
    assert {m.last_benchmark_date for info in response.providers.values() for m in info.models} == {RESEARCH_DATE}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", response.research_date)  # the run's own date


async def test_provider_names_are_matched_case_insensitively_and_keyed_as_requested() -> None:
    response = await research(providers=["OpenAI"])
    assert list(response.providers) == ["OpenAI"]
    assert response.providers["OpenAI"].name == "OpenAI API"


async def test_unknown_provider_gets_a_placeholder() -> None:
    info = (await research(providers=["acme"])).providers["acme"]
    assert (info.name, info.has_free_tier, info.models) == ("acme", False, [])
    assert info.notes == "Provider 'acme' not found in database"


async def test_answers_are_copies_of_the_snapshot() -> None:
    primitive = FreeTierResearchPrimitive()
    first = await primitive.execute(FreeTierResearchRequest(providers=["openai"]), WorkflowContext())
    first.providers["openai"].models[0].overall_score = 1.0
    first.providers["openai"].notes = "edited"
    again = await primitive.execute(FreeTierResearchRequest(providers=["openai"]), WorkflowContext())
    assert again.providers["openai"].models[0].overall_score == 82.0
    assert again.providers["openai"].notes != "edited"


async def test_changelog_needs_an_existing_guide_and_the_flag() -> None:
    assert (await research(providers=["openai"])).changelog is None  # no existing guide
    assert (await research(providers=["openai"], existing_guide_path="g.md", generate_changelog=False)).changelog is None
    changelog = (await research(providers=["openai", "ollama"], existing_guide_path="g.md")).changelog
    assert changelog is not None and changelog[0].startswith("Verified 2 providers as of ")
    assert changelog[0] == f"Verified 2 providers as of {date.today():%Y-%m-%d}"
    assert changelog[1] == "No changes detected (using hardcoded data)"  # the original's words


async def test_guide_is_generated_for_an_output_path_and_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert (await research(providers=["openai"])).updated_guide is None
    guide = (await research(providers=["anthropic", "acme"], output_path="never-written.md")).updated_guide
    assert guide is not None and guide.startswith("# Free LLM Access Guide\n")
    assert "| **Anthropic Claude API** | ❌ No | None | N/A | Yes | N/A |" in guide
    assert "| **acme** | ❌ No | None | N/A | No | N/A |" in guide
    assert f"**Provider data as of:** {RESEARCH_DATE}" in guide
    assert list(tmp_path.iterdir()) == []  # as the original: returned, never written to output_path


async def test_ranking_weighs_quality_and_availability() -> None:
    primitive = FreeTierResearchPrimitive()
    providers = (await research()).providers
    ranked = primitive.generate_best_free_models_ranking(providers)
    assert [rank for rank, _, _ in ranked] == list(range(1, 1 + sum(len(p.models) for p in providers.values())))
    # gemini-2.5-pro: 89 * .6 + 100 * .4 = 93.4 (never expires) beats gpt-4o: 92 * .6 + 70 * .4 = 83.2 ($5 credit)
    names = [model.model_name for _, model, _ in ranked]
    assert names[:2] == ["gemini-2.5-pro", "gemini-2.5-flash"]
    assert names.index("gpt-4o") < names.index("claude-3-5-sonnet-20241022")  # no free tier: availability 0
    assert names[-2:] == ["claude-3-5-sonnet-20241022", "claude-3-opus-20240229"]


def test_ranking_reads_availability_from_the_free_tier_details() -> None:
    model = ModelQualityMetrics(model_name="m", overall_score=50)

    def score(**tier: object) -> float:
        provider = ProviderInfo.model_validate({"name": "p", "models": [model], **tier})
        [(rank, _, _)] = FreeTierResearchPrimitive().generate_best_free_models_ranking({"p": provider})
        return rank

    assert score(has_free_tier=True, expires="Never") == 1  # one model: rank 1 whatever its score
    providers = {
        name: ProviderInfo(name=name, has_free_tier=free, free_tier_details=details, models=[model.model_copy(update={"model_name": name})])
        for name, free, details in [
            ("none", False, None),
            ("other", True, "trial"),
            ("credit", True, "$5 credit"),
            ("byok", True, "1M requests"),
            ("daily", True, "1500 RPD"),
            ("local", True, "Unlimited"),
        ]
    }
    order = [m.model_name for _, m, _ in FreeTierResearchPrimitive().generate_best_free_models_ranking(providers)]
    assert order == ["local", "daily", "byok", "credit", "other", "none"]


async def test_fallback_strategy_picks_the_top_three_for_the_use_case() -> None:
    primitive = FreeTierResearchPrimitive()
    providers = (await research()).providers
    code = primitive.generate_fallback_strategy("Creative-Writing", providers)
    lines = code.splitlines()
    assert lines[0] == "from tta_dev_primitives.integrations import ("
    assert "# Recommended fallback strategy for: Creative-Writing" in lines
    # creative writing + 10 for free tiers: gpt-4o 98, gemini-2.5-pro 97, claude-3-opus 93 (paid)
    assert 'primary = OpenAIPrimitive(model="gpt-4o")  # Score: 98.0, Best for: complex reasoning, code generation' in lines
    assert 'fallback1 = GoogleGeminiPrimitive(model="gemini-2.5-pro")  # Score: 97.0, Best for: complex reasoning, code generation' in lines
    assert 'fallback2 = AnthropicPrimitive(model="claude-3-opus-20240229")  # Score: 93.0, Best for: creative writing, complex reasoning' in lines
    assert "    fallbacks=[fallback1, fallback2]" in lines
    assert lines[-1] == "result = await workflow.execute(input_data, context)"


def test_fallback_strategy_with_one_model_and_an_unknown_use_case() -> None:
    provider = ProviderInfo(name="Acme", has_free_tier=False, models=[ModelQualityMetrics(model_name="a1", overall_score=40)])
    code = FreeTierResearchPrimitive().generate_fallback_strategy("poetry", {"acme": provider})
    assert 'primary = UnknownPrimitive(model="a1")  # Score: 40.0, Best for: ' in code  # overall score, no free boost
    assert "    fallbacks=[]" in code


def test_scores_are_validated() -> None:
    with pytest.raises(ValueError, match="overall_score"):
        ModelQualityMetrics(model_name="m", overall_score=101)


def test_snapshot_data_is_separate_and_complete() -> None:
    assert list(PROVIDERS) == ALL
    for key, fields in PROVIDERS.items():
        info = ProviderInfo.model_validate(fields)
        assert info.models, key
        assert info.last_verified == RESEARCH_DATE


async def test_runs_as_a_node_in_our_plans(anyio_backend: str) -> None:
    plan = compile(FreeTierResearchPrimitive())
    response = await plan.run(FreeTierResearchRequest(providers=["ollama"]))
    assert response.providers["ollama"].name == "Ollama"
