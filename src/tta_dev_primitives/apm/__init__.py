"""The original package's `apm`: OpenTelemetry tracing and metrics for workflow primitives
(`setup_apm`, `get_tracer`, `get_meter`, `is_apm_enabled`, the `trace_workflow` and
`track_metric` decorators; `apm.instrumented.APMWorkflowPrimitive`), built on our observability.

Unrelated to `tta_dev_primitives.apm_metadata` (the package's apm.yml manifest).
"""

from .decorators import trace_workflow, track_metric
from .setup import get_meter, get_tracer, is_apm_enabled, setup_apm

__all__ = ["get_meter", "get_tracer", "is_apm_enabled", "setup_apm", "trace_workflow", "track_metric"]
