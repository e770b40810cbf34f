"""The original package's configuration: orchestration settings from YAML and the environment
(needs pydantic; YAML files need PyYAML)."""

from .orchestration_config import (
    CostTrackingConfig,
    ExecutorConfig,
    FallbackStrategy,
    OrchestrationConfig,
    OrchestratorConfig,
    create_default_config,
    load_orchestration_config,
)

__all__ = [
    "CostTrackingConfig",
    "ExecutorConfig",
    "FallbackStrategy",
    "OrchestrationConfig",
    "OrchestratorConfig",
    "create_default_config",
    "load_orchestration_config",
]
