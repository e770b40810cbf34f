"""The original package's orchestration settings: which orchestrator and executor models a
multi-model workflow uses, its fallback order and cost budget, from YAML and environment
variables (needs pydantic; YAML files need PyYAML).

Environment variables override the file, each only when it is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..extras import require

require("pydantic", "original", __name__)

from pydantic import BaseModel, Field, field_validator  # noqa: E402 - after the check that names the extra

from ..observability._logging import get_logger

__all__ = [
    "CostTrackingConfig",
    "ExecutorConfig",
    "FallbackStrategy",
    "OrchestrationConfig",
    "OrchestratorConfig",
    "create_default_config",
    "load_orchestration_config",
]

logger = get_logger(__name__)

VALID_USE_CASES = frozenset({"simple", "moderate", "complex", "expert", "speed-critical", "reasoning"})
"""What an executor may handle: the task complexities, and two traits of tasks."""

DEFAULT_PATHS: tuple[Path, ...] = (
    Path(".tta/orchestration-config.yaml"),
    Path("orchestration-config.yaml"),
    Path.home() / ".tta" / "orchestration-config.yaml",
)
"""Where `load_orchestration_config()` looks for a file when given none, first found wins."""


class OrchestratorConfig(BaseModel):
    """The model that plans and validates (the orchestrator)."""

    model: str = Field(default="claude-sonnet-4.5", description="Orchestrator model name")
    api_key_env: str = Field(default="ANTHROPIC_API_KEY", description="Environment variable holding its API key")


class ExecutorConfig(BaseModel):
    """A model that executes tasks, and which kinds of task it takes."""

    model: str = Field(description="Executor model name")
    provider: str = Field(description="Provider name (google-ai-studio, groq, ...)")
    api_key_env: str = Field(description="Environment variable holding its API key")
    use_cases: list[str] = Field(default_factory=list, description="Task kinds it handles (see VALID_USE_CASES)")

    @field_validator("use_cases")
    @classmethod
    def validate_use_cases(cls, v: list[str]) -> list[str]:
        """Reject use cases outside VALID_USE_CASES (a typo would silently route nothing)."""
        invalid = set(v) - VALID_USE_CASES
        if invalid:
            raise ValueError(f"Invalid use_cases: {invalid}. Must be one of: {set(VALID_USE_CASES)}")
        return v


class CostTrackingConfig(BaseModel):
    """Whether to track spend, the monthly budget and when to alert."""

    enabled: bool = Field(default=True, description="Track costs")
    budget_limit_usd: float = Field(default=100.0, description="Monthly budget in USD")
    alert_threshold: float = Field(default=0.8, ge=0.0, le=1.0, description="Share of the budget that raises an alert")


def _default_fallbacks() -> list[str]:
    return ["gemini-2.5-pro", "llama-3.3-70b-versatile", "claude-sonnet-4.5"]


class FallbackStrategy(BaseModel):
    """Models to try in order (free first, paid last)."""

    models: list[str] = Field(default_factory=_default_fallbacks, description="Models in the order to try them")


class OrchestrationConfig(BaseModel):
    """All orchestration settings (the `orchestration:` section of the YAML file)."""

    enabled: bool = Field(default=True, description="Orchestrate at all")
    prefer_free_models: bool = Field(default=True, description="Prefer free models when good enough")
    quality_threshold: float = Field(default=0.85, ge=0.0, le=1.0, description="Minimum quality (0-1) to use a free model")
    orchestrator: OrchestratorConfig = Field(default_factory=OrchestratorConfig, description="The orchestrator model")
    executors: list[ExecutorConfig] = Field(default_factory=list, description="The executor models")
    fallback_strategy: FallbackStrategy = Field(default_factory=FallbackStrategy, description="Fallback order")
    cost_tracking: CostTrackingConfig = Field(default_factory=CostTrackingConfig, description="Cost tracking")

    @classmethod
    def from_yaml(cls, yaml_path: str | Path) -> OrchestrationConfig:
        """The `orchestration:` section of a YAML file. FileNotFoundError if there is no such
        file, ValueError if it has no such section (pydantic's ValidationError, a ValueError,
        if a setting is invalid)."""
        path = Path(yaml_path)
        if not path.exists():
            raise FileNotFoundError(f"Configuration file not found: {path}")
        yaml = require("yaml", "original", "OrchestrationConfig.from_yaml")
        with path.open() as stream:  # a stream, so that a YAML error names the file
            data = yaml.safe_load(stream)
        if not isinstance(data, dict) or "orchestration" not in data:
            raise ValueError(f"Invalid configuration file: {path}. Must contain 'orchestration' key.")
        return cls.model_validate(data["orchestration"])

    @classmethod
    def from_env(cls) -> OrchestrationConfig:
        """The defaults, overridden by the environment variables that are set (see ENV_VARIABLES)."""
        return cls().with_env_overrides()

    def with_env_overrides(self) -> OrchestrationConfig:
        """A copy of these settings with the set environment variables applied (validated:
        an out-of-range TTA_QUALITY_THRESHOLD is a ValidationError, not a silent setting)."""
        merged = self.model_dump()
        for variable, (section, field, parse) in ENV_VARIABLES.items():
            value = os.getenv(variable)
            if value:  # unset or empty: the setting is left alone
                (merged[section] if section else merged)[field] = parse(value)
        return type(self).model_validate(merged)

    def get_executor_for_use_case(self, use_case: str) -> ExecutorConfig | None:
        """The first executor that handles `use_case`, else None."""
        return next((executor for executor in self.executors if use_case in executor.use_cases), None)

    def get_api_key(self, api_key_env: str) -> str | None:
        """The value of environment variable `api_key_env` (None if unset)."""
        return os.getenv(api_key_env)


def _flag(value: str) -> bool:
    return value.lower() == "true"  # as the original: anything but "true" (any case) is False


ENV_VARIABLES: Mapping[str, tuple[str | None, str, Callable[[str], Any]]] = {
    "TTA_ORCHESTRATION_ENABLED": (None, "enabled", _flag),
    "TTA_PREFER_FREE_MODELS": (None, "prefer_free_models", _flag),
    "TTA_QUALITY_THRESHOLD": (None, "quality_threshold", float),
    "TTA_ORCHESTRATOR_MODEL": ("orchestrator", "model", str),
    "TTA_BUDGET_LIMIT_USD": ("cost_tracking", "budget_limit_usd", float),
}
"""Each environment variable's setting: (section or None for the top level, field, parser)."""


def load_orchestration_config(config_path: str | Path | None = None, use_env_overrides: bool = True) -> OrchestrationConfig:
    """Settings from `config_path`, else the first of DEFAULT_PATHS that exists, else the
    defaults; then (with `use_env_overrides`) the environment variables that are set."""
    if config_path:
        config = OrchestrationConfig.from_yaml(config_path)
        logger.info(f"✅ Loaded orchestration config from {config_path}", path=str(config_path))
    else:
        found = next((path for path in DEFAULT_PATHS if path.exists()), None)
        if found is not None:
            config = OrchestrationConfig.from_yaml(found)
            logger.info(f"✅ Loaded orchestration config from {found}", path=str(found))
        else:
            config = OrchestrationConfig()
            logger.info("⚠️  No config file found, using defaults")
    if use_env_overrides:
        config = config.with_env_overrides()
        logger.info("✅ Applied environment variable overrides")
    return config


def _default_settings() -> dict[str, object]:
    """The default file's `orchestration:` section: three free executors and a budget."""
    executors = [
        ExecutorConfig(model="gemini-2.5-pro", provider="google-ai-studio", api_key_env="GOOGLE_API_KEY", use_cases=["moderate", "complex"]),
        ExecutorConfig(model="llama-3.3-70b-versatile", provider="groq", api_key_env="GROQ_API_KEY", use_cases=["simple", "speed-critical"]),
        ExecutorConfig(
            model="deepseek/deepseek-r1:free", provider="openrouter", api_key_env="OPENROUTER_API_KEY", use_cases=["complex", "reasoning"]
        ),
    ]
    return OrchestrationConfig(executors=executors).model_dump()


def create_default_config(output_path: str | Path = ".tta/orchestration-config.yaml") -> None:
    """Write a default configuration file (creating its directory)."""
    yaml = require("yaml", "original", "create_default_config")
    path = Path(output_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump({"orchestration": _default_settings()}, default_flow_style=False, sort_keys=False))
    logger.info(f"✅ Created default configuration at {path}", path=str(path))
