"""tta-dev-primitives: a typed dataflow DSL with compiled execution plans for LLM agent workflows.

Build typed nodes, compose them (`>>`, `parallel`, `combine`, `branch`, `.map`), `compile` them
into an inspectable Plan, and `await plan.run(x)`.
"""

from .compiler import Plan, TypeMismatchError, available_passes, compile
from .context import RunContext, WorkflowContext, current_context
from .dsl import Node, SourceLocation, branch, combine, for_each, node, parallel, parallel_all
from .errors import (
    BuildError,
    CompositionError,
    ConfigError,
    CycleError,
    NoRunContextError,
    ParallelError,
    PrimitivesError,
    UnknownPassError,
)
from .executor import Hook, NodeInfo, RunInfo, RunTimeoutError, install_hook, installed_hooks, uninstall_hook
from .stdlib import LambdaPrimitive, WorkflowPrimitive

__version__ = "0.1.0"

__all__ = [
    "BuildError",
    "CompositionError",
    "ConfigError",
    "CycleError",
    "Hook",
    "LambdaPrimitive",
    "NoRunContextError",
    "Node",
    "NodeInfo",
    "ParallelError",
    "Plan",
    "PrimitivesError",
    "RunContext",
    "RunInfo",
    "RunTimeoutError",
    "SourceLocation",
    "TypeMismatchError",
    "UnknownPassError",
    "WorkflowContext",
    "WorkflowPrimitive",
    "__version__",
    "available_passes",
    "branch",
    "combine",
    "compile",
    "current_context",
    "for_each",
    "install_hook",
    "installed_hooks",
    "node",
    "parallel",
    "parallel_all",
    "uninstall_hook",
]
