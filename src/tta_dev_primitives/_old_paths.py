"""Old module paths: the implementation modules were renamed `_name.py` (private); code that
imported them by their old public-looking path (`tta_dev_primitives.executor.emit`) keeps working.

A finder on `sys.meta_path` answers an old path with the module itself, under the new name: one
module object, so classes, registries and isinstance checks stay shared. mypy does not see these
paths (they have no files); import from the package namespaces or `tta_dev_primitives.lowlevel`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

__all__ = ["FACED", "MOVED", "OLD_PATHS", "alias_loaded", "install", "stable_module"]

OLD_PATHS: dict[str, str] = {
    "compiler.compile": "compiler._compile",
    "compiler.diagnostics": "compiler._diagnostics",
    "compiler.explain": "compiler._explain",
    "compiler.generics": "compiler._generics",
    "compiler.ir": "compiler._ir",
    "compiler.lowering": "compiler._lowering",
    "compiler.passes.analyze": "compiler.passes._analyze",
    "compiler.passes.base": "compiler.passes._base",
    "compiler.passes.blocking": "compiler.passes._blocking",
    "compiler.passes.cse": "compiler.passes._cse",
    "compiler.passes.flatten": "compiler.passes._flatten",
    "compiler.passes.fuse_cache": "compiler.passes._fuse_cache",
    "compiler.passes.hoist": "compiler.passes._hoist",
    "compiler.passes.lint": "compiler.passes._lint",
    "compiler.passes.prune": "compiler.passes._prune",
    "compiler.plan": "plan",  # moved, not only renamed
    "compiler.callables": "dsl._callables",  # moved
    "compiler.passes.typecheck": "compiler.passes._typecheck",
    "compiler.render": "compiler._render",
    "compiler.serialize": "compiler._serialize",
    "compiler.streams": "compiler._streams",
    "compiler.structure": "compiler._structure",
    "compiler.subplan": "compiler._subplan",
    "compiler.types": "compiler._types",
    "dsl.combinators": "dsl._combinators",
    "dsl.composite": "dsl._composite",
    "dsl.core": "dsl._core",
    "dsl.function": "dsl._function",
    "dsl.introspect": "dsl._introspect",
    "dsl.location": "dsl._location",
    "dsl.streaming": "dsl._streaming",
    "dsl.traits": "dsl._traits",
    "dsl.types": "dsl._types",
    "durable.code": "durable._code",
    "durable.codec": "durable._codec",
    "durable.interrupt": "durable._interrupt",
    "durable.journal": "durable._journal",
    "durable.postgres": "durable._postgres",
    "durable.run": "durable._run",
    "durable.sqlite": "durable._sqlite",
    "executor.backends.base": "executor.backends._base",
    "executor.backends.portable": "executor.backends._portable",
    "executor.backends.remote": "executor.backends._remote",
    "executor.channel": "executor._channel",
    "executor.concurrency": "executor._concurrency",
    "executor.control": "executor._control",
    "executor.emit": "executor._emit",
    "executor.events": "executor._events",
    "executor.hooks": "executor._hooks",
    "executor.journaling": "executor._journaling",
    "executor.leaf": "executor._leaf",
    "executor.live": "executor._live",
    "executor.notes": "executor._notes",
    "executor.outputs": "executor._outputs",
    "executor.reraise": "executor._reraise",
    "executor.runner": "executor._runner",
    "executor.sequence": "executor._sequence",
    "executor.shield": "executor._shield",
    "executor.streaming": "executor._streaming",
    "executor.wakeup": "executor._wakeup",
    "log_masking": "_log_masking",
    "mcp.client": "mcp._client",
    "mcp.devtools": "mcp._devtools",
    "mcp.server": "mcp._server",
    "observability.content": "observability._content",
    "observability.export": "observability._export",
    "observability.redaction": "observability._redaction",
    "observability.semconv": "observability._semconv",
    "records": "_records",
    "stdlib.base": "stdlib._base",
    "stdlib.cache.binding": "stdlib.cache._binding",
    "stdlib.cache.cache": "stdlib.cache._cache",
    "stdlib.cache.codec": "stdlib.cache._codec",
    "stdlib.cache.decorator": "stdlib.cache._decorator",
    "stdlib.cache.keys": "stdlib.cache._keys",
    "stdlib.cache.primitive": "stdlib.cache._primitive",
    "stdlib.cache.stores": "stdlib.cache._stores",
    "stdlib.clock": "stdlib._clock",
    "stdlib.compiled": "stdlib._compiled",
    "stdlib.flow.conditional": "stdlib.flow._conditional",
    "stdlib.flow.parallel": "stdlib.flow._parallel",
    "stdlib.flow.policies": "stdlib.flow._policies",
    "stdlib.flow.routing": "stdlib.flow._routing",
    "stdlib.flow.sequential": "stdlib.flow._sequential",
    "stdlib.guard": "stdlib._guard",
    "stdlib.llm.agent": "stdlib.llm._agent",
    "stdlib.llm.arguments": "stdlib.llm._arguments",
    "stdlib.llm.ask": "stdlib.llm._ask",
    "stdlib.llm.cost": "stdlib.llm._cost",
    "stdlib.llm.primitive": "stdlib.llm._primitive",
    "stdlib.llm.providers.anthropic_chat": "stdlib.llm.providers._anthropic_chat",
    "stdlib.llm.providers.base": "stdlib.llm.providers._base",
    "stdlib.llm.providers.errors": "stdlib.llm.providers._errors",
    "stdlib.llm.providers.openai_chat": "stdlib.llm.providers._openai_chat",
    "stdlib.llm.schema": "stdlib.llm._schema",
    "stdlib.llm.spend": "stdlib.llm._spend",
    "stdlib.llm.streamed": "stdlib.llm._streamed",
    "stdlib.llm.structured": "stdlib.llm._structured",
    "stdlib.llm.tools": "stdlib.llm._tools",
    "stdlib.recovery.breaker": "stdlib.recovery._breaker",
    "stdlib.recovery.budget": "stdlib.recovery._budget",
    "stdlib.recovery.fallback": "stdlib.recovery._fallback",
    "stdlib.recovery.hedge": "stdlib.recovery._hedge",
    "stdlib.recovery.limits": "stdlib.recovery._limits",
    "stdlib.recovery.pipeline": "stdlib.recovery._pipeline",
    "stdlib.recovery.retry": "stdlib.recovery._retry",
    "stdlib.recovery.saga": "stdlib.recovery._saga",
    "stdlib.recovery.timeout": "stdlib.recovery._timeout",
    "stdlib.testing.fake_clock": "stdlib.testing._fake_clock",
    "stdlib.testing.mocks": "stdlib.testing._mocks",
    "validate": "_validate",
}
"""Old dotted path (under `tta_dev_primitives.`) -> the module's path now: every module path a
release had, whose module was renamed private or moved."""

FACED: dict[str, str] = {
    "observability.logging": "observability._logging",
    "observability.metrics": "observability._metrics",
    "observability.tracing": "observability._tracing",
}
"""Old paths that are real modules again (the original package's modules of those names), which
re-export every public name of the private module they used to alias: not answered by the
finder, but still the modules' paths for persistent names (`stable_module`)."""

_BEFORE: dict[str, str] = {f"{__package__}.{new}": f"{__package__}.{old}" for old, new in (*OLD_PATHS.items(), *FACED.items())}
"""A private module's dotted path -> the path it had before it was made private."""


MOVED: dict[str, str] = {
    "compiler._ir.StreamShape": "compiler.streams",
    "compiler._ir._derive_shape": "compiler.streams",
    "compiler._ir.chunk_type": "compiler.streams",
    "compiler._ir.consumes_stream": "compiler.streams",
    "compiler._ir.piped_type": "compiler.streams",
    "compiler._ir.stream_shape": "compiler.streams",
    "compiler._program.PassRecord": "compiler.plan",
    "errors.ArgumentLimitError": "stdlib.llm.arguments",
    "errors.BudgetError": "compiler.passes.analyze",
    "errors.BudgetExceededError": "stdlib.flow.policies",
    "errors.BulkheadFullError": "stdlib.recovery.errors",
    "errors.CacheKeyError": "stdlib.cache.keys",
    "errors.CacheSerializationError": "stdlib.cache.codec",
    "errors.CircuitOpenError": "stdlib.recovery.errors",
    "errors.ClaimLostError": "durable.errors",
    "errors.CodeChangedError": "durable.errors",
    "errors.CompensationInterruptedError": "stdlib.recovery.errors",
    "errors.DevtoolError": "mcp.devtools",
    "errors.DurableRunError": "durable.errors",
    "errors.FallbackError": "stdlib.recovery.errors",
    "errors.HedgeError": "stdlib.recovery.hedge",
    "errors.InputTypeError": "executor.outputs",
    "errors.JournalCodecError": "durable.errors",
    "errors.JournalCorruptError": "durable.errors",
    "errors.JournalEncodeError": "durable.errors",
    "errors.JournalUnavailableError": "durable.errors",
    "errors.LintError": "compiler.passes.lint",
    "errors.MCPConnectionError": "mcp.client",
    "errors.MCPToolError": "mcp.client",
    "errors.ModelCallError": "stdlib.llm.providers.errors",
    "errors.ModelTransientError": "stdlib.llm.providers.errors",
    "errors.NoRouteMeetsQualityError": "stdlib.flow.policies",
    "errors.NodeTimeoutError": "stdlib.recovery.errors",
    "errors.OutputTypeError": "executor.outputs",
    "errors.PlanChangedError": "durable.errors",
    "errors.RateLimitedError": "stdlib.recovery.errors",
    "errors.RecordedError": "durable.errors",
    "errors.RemoteError": "executor.backends.errors",
    "errors.RemoteSerializationError": "executor.backends.errors",
    "errors.RenderError": "compiler.render",
    "errors.ResumeError": "durable.errors",
    "errors.RouteNotFoundError": "stdlib.flow.routing",
    "errors.RunInProgressError": "durable.errors",
    "errors.RunInputMismatchError": "durable.errors",
    "errors.RunTimeoutError": "executor.runner",
    "errors.SagaError": "stdlib.recovery.errors",
    "errors.SchemaMismatch": "stdlib.llm.schema",
    "errors.StateKeyError": "compiler.passes.typecheck",
    "errors.StructuredOutputError": "stdlib.llm.structured",
    "errors.TargetError": "cli",
    "errors.ToolArgumentsError": "stdlib.llm.arguments",
    "errors.TransientError": "stdlib.recovery.errors",
    "errors.TypeMismatchError": "compiler.diagnostics",
    "errors.UnpricedModelWarning": "stdlib.llm.cost",
    "errors._preview": "executor.outputs",
    "executor._instrument._instrumented_call": "executor.emit",
    "executor._instrument.close_quietly": "executor.streaming",
    "executor._instrument.instrument": "executor.emit",
    "executor._instrument.instrument_open": "executor.streaming",
    "executor._step.Step": "executor.emit",
    "observability._workers.WorkerTelemetry": "executor.backends.dask",
    "observability._workers._plugin_base": "executor.backends.dask",
    "plan.compile": "compiler.compile",
    "stdlib.cache._function.CachedFunction": "stdlib.cache.decorator",
}
"""Classes and functions that moved to another module (exceptions into `errors`, ...):
`module.name` now (under `tta_dev_primitives.`) -> the module that defined them before."""

_MOVED = {f"{__package__}.{new}": f"{__package__}.{old}" for new, old in MOVED.items()}


def stable_module(name: str, qualname: str = "") -> str:
    """The module path persistent identities are made of for `qualname` defined in module
    `name`: the module it was defined in before the implementation modules became private and
    some classes moved (`...compiler._ir` -> `...compiler.ir`, `errors.NodeTimeoutError` ->
    `stdlib.recovery.errors`); any other module unchanged. Cache keys in shared stores,
    structural hashes and durable code digests built from it match what earlier versions stored."""
    if qualname:
        moved = _MOVED.get(f"{name}.{qualname.partition('.')[0]}")
        if moved is not None:
            return moved
    return _BEFORE.get(name, name)


class _OldPathFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `tta_dev_primitives.<old path>` and loads it as the renamed module."""

    def __init__(self) -> None:
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        package, _, rest = fullname.partition(".")
        if package != __package__ or rest not in OLD_PATHS:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(f"{__package__}.{OLD_PATHS[spec.name.partition('.')[2]]}")
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the module is the renamed one, already imported); the import system
        set its `__spec__` to the old path's: it gets its own back (reload keeps working)."""
        own = self._specs.pop(module.__spec__.name, None) if module.__spec__ is not None else None
        if own is not None:
            module.__spec__ = own


_FINDER = _OldPathFinder()


def install() -> None:
    """Put the finder on `sys.meta_path` (once)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)


def alias_loaded() -> None:
    """Register the old path of every renamed module already imported (the package imports
    nearly all of them): `import` then finds it in `sys.modules` and, as before the rename,
    never sets it as an attribute of its package over a function of the same name
    (`compiler.compile`, `durable.interrupt`, `stdlib.llm.agent`, ...). Where the package has no
    such attribute, the old attribute path (`tta_dev_primitives.executor.emit`) is set too."""
    for old, new in OLD_PATHS.items():
        module = sys.modules.get(f"{__package__}.{new}")
        if module is None:
            continue
        sys.modules.setdefault(f"{__package__}.{old}", module)
        parent_name, _, leaf = f"{__package__}.{old}".rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is not None and not hasattr(parent, leaf):
            setattr(parent, leaf, module)
