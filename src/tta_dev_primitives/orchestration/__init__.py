"""The original package's orchestration primitives: classify a task, delegate it to a cheaper
executor model, or both in one MultiModelWorkflow (needs pydantic)."""

from .delegation_primitive import DelegationPrimitive, DelegationRequest, DelegationResponse
from .multi_model_workflow import MultiModelRequest, MultiModelResponse, MultiModelWorkflow
from .task_classifier_primitive import (
    TaskCharacteristics,
    TaskClassification,
    TaskClassifierPrimitive,
    TaskClassifierRequest,
    TaskComplexity,
)

__all__ = [
    "DelegationPrimitive",
    "DelegationRequest",
    "DelegationResponse",
    "MultiModelRequest",
    "MultiModelResponse",
    "MultiModelWorkflow",
    "TaskCharacteristics",
    "TaskClassification",
    "TaskClassifierPrimitive",
    "TaskClassifierRequest",
    "TaskComplexity",
]
