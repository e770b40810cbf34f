"""The original package's config.orchestration_config: settings models with their defaults and
checks, YAML files, environment overrides (each only when set) and the default file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from tta_dev_primitives.config import (
    ExecutorConfig,
    FallbackStrategy,
    OrchestrationConfig,
    create_default_config,
    load_orchestration_config,
)
from tta_dev_primitives.config import orchestration_config as module

ENV = ("TTA_ORCHESTRATION_ENABLED", "TTA_PREFER_FREE_MODELS", "TTA_QUALITY_THRESHOLD", "TTA_ORCHESTRATOR_MODEL", "TTA_BUDGET_LIMIT_USD")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ENV:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # no default file of the developer's is found
    monkeypatch.setattr(module, "DEFAULT_PATHS", (Path(".tta/orchestration-config.yaml"), Path("orchestration-config.yaml")))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults() -> None:
    config = OrchestrationConfig()
    assert (config.enabled, config.prefer_free_models, config.quality_threshold) == (True, True, 0.85)
    assert (config.orchestrator.model, config.orchestrator.api_key_env) == ("claude-sonnet-4.5", "ANTHROPIC_API_KEY")
    assert config.executors == []
    assert config.fallback_strategy.models == ["gemini-2.5-pro", "llama-3.3-70b-versatile", "claude-sonnet-4.5"]
    assert (config.cost_tracking.enabled, config.cost_tracking.budget_limit_usd, config.cost_tracking.alert_threshold) == (True, 100.0, 0.8)
    FallbackStrategy().models.append("x")
    assert FallbackStrategy().models[-1] == "claude-sonnet-4.5"  # a fresh list each time


def test_use_cases_and_ranges_are_checked() -> None:
    with pytest.raises(ValidationError, match="Invalid use_cases: {'fast'}"):
        ExecutorConfig(model="m", provider="p", api_key_env="K", use_cases=["simple", "fast"])
    with pytest.raises(ValidationError, match="quality_threshold"):
        OrchestrationConfig(quality_threshold=1.5)
    with pytest.raises(ValidationError, match="alert_threshold"):
        OrchestrationConfig.model_validate({"cost_tracking": {"alert_threshold": -0.1}})


def test_from_yaml_reads_the_orchestration_section(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        "orchestration:\n  prefer_free_models: false\n  quality_threshold: 0.7\n"
        "  executors:\n    - {model: g, provider: groq, api_key_env: GROQ_API_KEY, use_cases: [simple, reasoning]}\n",
    )
    config = OrchestrationConfig.from_yaml(str(path))
    assert (config.prefer_free_models, config.quality_threshold) == (False, 0.7)
    assert config.get_executor_for_use_case("reasoning") == config.executors[0]
    assert config.get_executor_for_use_case("expert") is None


def test_from_yaml_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Configuration file not found: "):
        OrchestrationConfig.from_yaml(tmp_path / "missing.yaml")
    for text in ("", "other: 1\n", "- a\n- b\n"):
        with pytest.raises(ValueError, match="Must contain 'orchestration' key."):
            OrchestrationConfig.from_yaml(write(tmp_path / "bad.yaml", text))
    with pytest.raises(ValidationError):
        OrchestrationConfig.from_yaml(write(tmp_path / "bad.yaml", "orchestration:\n  quality_threshold: 2\n"))
    with pytest.raises(yaml.YAMLError, match="broken.yaml"):  # the parser's error names the file
        OrchestrationConfig.from_yaml(write(tmp_path / "broken.yaml", "orchestration: [unclosed"))


def test_from_env_applies_the_set_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTA_ORCHESTRATION_ENABLED", "TRUE")
    monkeypatch.setenv("TTA_PREFER_FREE_MODELS", "1")  # as the original: only "true" is true
    monkeypatch.setenv("TTA_QUALITY_THRESHOLD", "0.5")
    monkeypatch.setenv("TTA_ORCHESTRATOR_MODEL", "gpt-4o")
    monkeypatch.setenv("TTA_BUDGET_LIMIT_USD", "12.5")
    config = OrchestrationConfig.from_env()
    assert (config.enabled, config.prefer_free_models, config.quality_threshold) == (True, False, 0.5)
    assert (config.orchestrator.model, config.cost_tracking.budget_limit_usd) == ("gpt-4o", 12.5)


def test_env_values_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTA_QUALITY_THRESHOLD", "7")
    with pytest.raises(ValidationError, match="quality_threshold"):
        OrchestrationConfig.from_env()
    monkeypatch.setenv("TTA_QUALITY_THRESHOLD", "high")
    with pytest.raises(ValueError):
        OrchestrationConfig.from_env()


def test_load_keeps_file_settings_that_no_variable_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "c.yaml", "orchestration:\n  prefer_free_models: false\n  quality_threshold: 0.6\n")
    monkeypatch.setenv("TTA_QUALITY_THRESHOLD", "0.9")
    config = load_orchestration_config(path)
    assert config.prefer_free_models is False  # the file's (the original reset it to the default here)
    assert config.quality_threshold == 0.9  # the variable's
    assert load_orchestration_config(path, use_env_overrides=False).quality_threshold == 0.6


def test_load_finds_a_default_file_or_uses_the_defaults(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=module.__name__):
        assert load_orchestration_config() == OrchestrationConfig()
    assert "⚠️  No config file found, using defaults" in caplog.messages
    write(Path("orchestration-config.yaml"), "orchestration:\n  enabled: false\n")
    assert load_orchestration_config().enabled is False
    write(Path(".tta/orchestration-config.yaml"), "orchestration:\n  enabled: true\n  quality_threshold: 0.1\n")
    assert load_orchestration_config().quality_threshold == 0.1  # .tta/ comes first


def test_create_default_config_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "config.yaml"
    create_default_config(path)
    text = path.read_text()
    assert text.startswith("orchestration:\n  enabled: true\n  prefer_free_models: true\n")  # the original's key order
    config = load_orchestration_config(path)
    assert [(e.model, e.provider, e.use_cases) for e in config.executors] == [
        ("gemini-2.5-pro", "google-ai-studio", ["moderate", "complex"]),
        ("llama-3.3-70b-versatile", "groq", ["simple", "speed-critical"]),
        ("deepseek/deepseek-r1:free", "openrouter", ["complex", "reasoning"]),
    ]
    assert config.get_executor_for_use_case("complex") == config.executors[0]


def test_get_api_key_reads_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "k")
    monkeypatch.delenv("NO_KEY", raising=False)
    config = OrchestrationConfig()
    assert (config.get_api_key("MY_KEY"), config.get_api_key("NO_KEY")) == ("k", None)
