"""Exceptions raised by tta-dev-primitives: every public exception and warning class of the
package is defined here, grouped by the part of the package that raises it. The modules that
raise them import them from here (and their old paths, such as
`tta_dev_primitives.durable.errors`, give the very same classes).

Every error raised while building or compiling a workflow names the node, the field and what
was expected, so a failure points at the line of user code that caused it.

This module is the package's bottom layer: it imports nothing else from the package (messages
that need the compiler's or the executor's formatting are built where the error is raised).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .compiler._ir import Edge
    from .compiler.passes._lint import Lint
    from .dsl._location import SourceLocation

__all__ = [
    "ArgumentLimitError",
    "BlockingCallWarning",
    "BudgetError",
    "BudgetExceededError",
    "BuildError",
    "BulkheadFullError",
    "CacheKeyError",
    "CacheSerializationError",
    "ChatModelReplyError",
    "CircuitOpenError",
    "ClaimLostError",
    "CodeChangedError",
    "CompensationInterruptedError",
    "CompositionError",
    "ConfigError",
    "CycleError",
    "DevtoolError",
    "DurableRunError",
    "FallbackError",
    "HedgeError",
    "InputTypeError",
    "JSONInputError",
    "JournalCodecError",
    "JournalCorruptError",
    "JournalEncodeError",
    "JournalUnavailableError",
    "LintError",
    "LoopLimitError",
    "MissingExtraError",
    "MCPConnectionError",
    "MCPToolError",
    "ModelCallError",
    "ModelTransientError",
    "NoRouteMeetsQualityError",
    "NoRunContextError",
    "NodeTimeoutError",
    "OutputTypeError",
    "ParallelError",
    "PlanChangedError",
    "PrimitivesError",
    "RateLimitedError",
    "RecordedError",
    "RemoteError",
    "RemoteSerializationError",
    "RenderError",
    "ResumeError",
    "RouteNotFoundError",
    "RunInProgressError",
    "RunInputMismatchError",
    "RunSyncError",
    "RunTimeoutError",
    "SagaError",
    "SchemaMismatch",
    "StateKeyError",
    "StrayCancellationError",
    "StreamInterruptedError",
    "StreamUsageError",
    "StructuredOutputError",
    "TargetError",
    "TelemetryWarning",
    "ToolArgumentsError",
    "TransientError",
    "TypeMismatchError",
    "UnknownPassError",
    "UnpricedModelWarning",
]


# -- base classes and building nodes -----------------------------------------------------------


class PrimitivesError(Exception):
    """Base class of every error defined by tta-dev-primitives."""


class BuildError(PrimitivesError, TypeError):
    """A node was built from something that cannot be a node (not callable, a generator, ...)."""


class ConfigError(PrimitivesError, ValueError):
    """A node was configured with an invalid value.

    Attributes name the node, the field, what was expected and what was given.
    """

    def __init__(self, node: str, field: str, expected: str, got: object) -> None:
        self.node = node
        self.field = field
        self.expected = expected
        self.got = got
        super().__init__(f"{node}: invalid {field}={_short_repr(got)}; expected {expected}")


class MissingExtraError(PrimitivesError, ImportError):
    """Something needs a package of an optional extra that is not installed. The message names
    what needs it, the missing module and the command that installs the extra (`module` and
    `extra` say the same on the exception); an ImportError, so `except ImportError` still works."""

    def __init__(self, who: str, module: str, extra: str) -> None:
        self.who = who
        self.module = module
        self.extra = extra
        super().__init__(f"{who} needs {module}: pip install 'tta-dev-primitives[{extra}]'", name=module)


class TelemetryWarning(UserWarning):
    """Telemetry is not reaching its backend: an extra it needs is not installed, or the collector
    refuses its exports. Workflows run unchanged; given once per cause (and logged), so a user
    looking at an empty trace viewer learns why."""


_REPR_LIMIT = 300
"""Characters of a bad value an error message shows (the value itself stays on `.got`)."""


def _short_repr(value: object) -> str:
    """`repr(value)`, cut so that a megabyte of bad input makes a short message (it is read by
    people and, for tool arguments, by models); never raises."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the error being reported
        return f"<{type(value).__name__} with a failing repr>"
    if len(text) <= _REPR_LIMIT:
        return text
    return f"{text[:_REPR_LIMIT]}… ({len(text) - _REPR_LIMIT} more characters)"


# -- compiling plans (compiler, compiler.passes, compiler._render) -------------------------------


class CompositionError(PrimitivesError, TypeError):
    """Two nodes that do not fit together were composed (found when the plan is compiled)."""


class CycleError(CompositionError):
    """A node contains itself, so the plan would never terminate."""


class UnknownPassError(PrimitivesError, ValueError):
    """A compiler pass was named that does not exist."""


class TypeMismatchError(CompositionError):
    """Composed nodes disagree on the type flowing between them.

    `mismatches` holds every failing edge of the plan, not only the first.
    """

    def __init__(self, message: str, mismatches: Sequence[Edge]) -> None:
        self.mismatches = tuple(mismatches)
        super().__init__(message)


class StateKeyError(CompositionError):
    """A node declares it reads a RunContext.state key that nothing writes or provides."""


class LintError(CompositionError):
    """compile(strict=True) found resilience lint errors."""

    def __init__(self, lints: list[Lint]) -> None:
        self.lints = lints
        super().__init__(f"{len(lints)} resilience lint error(s):\n" + "\n".join(f"  {lint}" for lint in lints))


class BudgetError(CompositionError):
    """The plan's worst case exceeds the declared Budget."""


class RenderError(PrimitivesError, RuntimeError):
    """A plan could not be drawn (Graphviz missing or failing)."""


# -- running plans (executor) ------------------------------------------------------------------


class LoopLimitError(PrimitivesError):
    """A `loop` reached `max_iterations` without its `until` condition becoming true.

    `state` is the last state the body produced, so the caller can inspect or resume from it.
    """

    def __init__(self, message: str, *, state: object, iterations: int, node_name: str) -> None:
        super().__init__(message)
        self.state = state
        self.iterations = iterations
        self.node_name = node_name


class BlockingCallWarning(UserWarning):
    """`plan.map` runs a sync node that looks blocking on the event loop: its items wait for each
    other while it blocks (the lint `blocking-under-concurrency`, for a plan's own map)."""


class RunSyncError(PrimitivesError, RuntimeError):
    """`plan.run_sync()` was called where an event loop is already running (a Jupyter cell,
    async code), where it cannot start one of its own: `await plan.run(x)` there instead."""


class StrayCancellationError(PrimitivesError):
    """A node raised asyncio's CancelledError though nothing cancelled its run (it awaited a
    task or future that someone else cancelled). asyncio's task groups would drop such a task
    silently, so parallel branches and map items report it as this error; its `__cause__` is
    the CancelledError."""


class NoRunContextError(PrimitivesError, LookupError):
    """`current_context()` was called outside of a running plan."""


class ParallelError(ExceptionGroup[Exception]):
    """One or more branches of a parallel node (or items of a map) failed.

    The siblings of the failed branches were cancelled. Each sub-exception carries a note
    naming the branch (or item index) it came from.
    """

    node_name: str
    location: str

    def __new__(
        cls, message: str, exceptions: Sequence[Exception], *, node_name: str = "", location: str = ""
    ) -> ParallelError:
        self = super().__new__(cls, message, exceptions)
        self.node_name = node_name
        self.location = location
        return self

    def __init__(
        self, message: str, exceptions: Sequence[Exception], *, node_name: str = "", location: str = ""
    ) -> None:
        super().__init__(message, exceptions)

    def derive(self, excs: Sequence[Exception]) -> ParallelError:  # type: ignore[override]
        """This error over a subset of its exceptions (what `except*` and `split()` build), its
        fields kept."""
        return ParallelError(self.message, excs, node_name=self.node_name, location=self.location)


class StreamInterruptedError(PrimitivesError):
    """A streaming node failed after it had produced chunks.

    Retry and fallback act only before a stream's first chunk: repeating a stream after that
    would send its first chunks twice. So a later failure stops the run with this error, whose
    `__cause__` is the original one; `chunks` were produced (and may have been delivered) first.
    """

    def __init__(self, node_name: str, chunks: int, cause: BaseException) -> None:
        super().__init__(
            f"stream {node_name!r} failed after {chunks} chunk(s) with {type(cause).__name__}: {cause}; "
            "a stream is not retried or replaced once it has produced chunks"
        )
        self.node_name = node_name
        self.chunks = chunks


class StreamUsageError(PrimitivesError, RuntimeError):
    """`plan.stream()` or `plan.events()` was used in a way that could leak the run: iterated
    without `async with`, or entered twice."""


class RunTimeoutError(PrimitivesError, TimeoutError):
    """A plan run exceeded its `timeout` or its context's deadline."""


class OutputTypeError(PrimitivesError, TypeError):
    """A node returned a value of a type other than its declared return type."""

    def __init__(self, node: str, declared: str, value: object, location: SourceLocation) -> None:
        self.node = node
        self.declared = declared
        self.actual = type(value).__qualname__ if value is not None else "None"
        self.location = location
        super().__init__(
            f"node {node!r} ({location}) is declared to return {declared} but returned "
            f"{self.actual} {_preview(value)}"
        )


class InputTypeError(PrimitivesError, TypeError):
    """A plan was run on a value that is not of its input type (checked at the plan boundary)."""

    def __init__(self, plan: str, declared: str, value: object) -> None:
        self.plan = plan
        self.declared = declared
        self.actual = type(value).__qualname__ if value is not None else "None"
        super().__init__(f"plan {plan!r} takes {declared} but was run on {self.actual} {_preview(value)}")


def _preview(value: object) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        return ""
    return f"({text[:60]}...)" if len(text) > 60 else f"({text})"


# -- remote nodes (executor.backends) ----------------------------------------------------------


class RemoteError(PrimitivesError):
    """A remote node failed on a worker with an error that could not be sent back as itself
    (its class does not pickle, or does not unpickle with its own arguments). The original's
    class name, message and traceback are kept as text."""

    def __init__(self, node: str, error_type: str, message: str, remote_traceback: str, worker: str, reason: str) -> None:
        self.node = node
        self.error_type = error_type
        self.message = message
        self.remote_traceback = remote_traceback
        self.worker = worker
        self.reason = reason
        super().__init__(
            f"remote node {node!r} raised {error_type}: {message} (on worker {worker}; the error could not be "
            f"sent back as itself: {reason}; its traceback is on .remote_traceback)"
        )

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        return (type(self), (self.node, self.error_type, self.message, self.remote_traceback, self.worker, self.reason))


class RemoteSerializationError(PrimitivesError, TypeError):
    """Something a remote node needs cannot be pickled: its input, its output, the run's
    context, or one of the ops of its subtree (a cache or circuit breaker holds a lock: put it
    around the `.remote()` node, where it runs in the caller's process)."""

    def __init__(self, node: str, what: str, type_name: str, reason: str) -> None:
        self.node = node
        self.what = what
        """"input", "output", "context" or "op <name>"."""
        self.type_name = type_name
        self.reason = reason
        super().__init__(f"remote node {node!r}: its {what} ({type_name}) cannot be sent to or from a worker: {reason}")

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        return (type(self), (self.node, self.what, self.type_name, self.reason))


# -- recovery (stdlib.recovery) ----------------------------------------------------------------


class TransientError(PrimitivesError):
    """Base class for errors worth retrying (Retry retries these by default).

    Raise it (or a subclass) from your own nodes to mark a failure as temporary. An optional
    `retry_after` (seconds) tells Retry how long to wait before the next attempt.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NodeTimeoutError(PrimitivesError, TimeoutError):
    """A node did not finish within its Timeout (a subclass of the builtin TimeoutError)."""

    def __init__(self, node: str, seconds: float) -> None:
        super().__init__(f"{node!r} did not finish within {seconds:g}s")
        self.node = node
        self.seconds = seconds


class CircuitOpenError(PrimitivesError):
    """The circuit breaker is open: the call was not made. Try again after `retry_after` seconds."""

    def __init__(self, breaker: str, retry_after: float) -> None:
        super().__init__(f"circuit {breaker!r} is open; retry after {retry_after:.3g}s")
        self.breaker = breaker
        self.retry_after = retry_after


class BulkheadFullError(PrimitivesError):
    """The bulkhead's concurrency limit and queue are full: the call was rejected."""


class RateLimitedError(PrimitivesError):
    """The rate limiter has no token for this call and was told not to wait."""

    def __init__(self, limiter: str, retry_after: float) -> None:
        super().__init__(f"rate limit {limiter!r} exhausted; next token in {retry_after:.3g}s")
        self.limiter = limiter
        self.retry_after = retry_after


class FallbackError(ExceptionGroup[Exception]):
    """The primary and every fallback failed; holds each attempt's error in order."""

    def derive(self, excs: Sequence[Exception]) -> FallbackError:  # type: ignore[override]
        """This error over a subset of its exceptions (what `except*` and `split()` build), its
        fields kept."""
        return FallbackError(self.message, excs)


class HedgeError(ExceptionGroup[Exception]):
    """Every hedged attempt failed; holds each attempt's error in start order."""

    def derive(self, excs: Sequence[Exception]) -> HedgeError:  # type: ignore[override]
        """This error over a subset of its exceptions (what `except*` and `split()` build), its
        fields kept."""
        return HedgeError(self.message, excs)


class SagaError(ExceptionGroup[Exception]):
    """A saga step failed and one or more compensations failed too.

    The first exception is the step's original error; the others are the compensation failures.
    """

    def derive(self, excs: Sequence[Exception]) -> SagaError:  # type: ignore[override]
        """This error over a subset of its exceptions (what `except*` and `split()` build), its
        fields kept."""
        return SagaError(self.message, excs)


class CompensationInterruptedError(PrimitivesError):
    """A compensation was interrupted by something other than an error (its task was cancelled,
    e.g. because the event loop shut down); the step it was undoing may not be undone."""

    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(f"compensation of step {step!r} was interrupted by {type(cause).__name__}")
        self.step = step
        self.__cause__ = cause


# -- routing (stdlib.flow) ---------------------------------------------------------------------


class RouteNotFoundError(PrimitivesError, LookupError):
    """The selected key names no route and there is no default."""

    def __init__(self, owner: str, key: object, routes: list[object]) -> None:
        super().__init__(f"{owner}: no route for key {key!r}; routes are {routes}")
        self.key = key
        self.routes = routes


class NoRouteMeetsQualityError(PrimitivesError, LookupError):
    """No route declares the quality a request requires."""


class BudgetExceededError(PrimitivesError):
    """No route fits the remaining budget."""


# -- caching (stdlib.cache) --------------------------------------------------------------------


class CacheKeyError(PrimitivesError, TypeError):
    """The input cannot be turned into a stable cache key; pass `key=` to say how."""


class CacheSerializationError(PrimitivesError, TypeError):
    """A value cannot be stored by a persistent cache's codec exactly; the message names its
    type and where it sits in the value."""


# -- models, tools and structured output (stdlib.llm) ------------------------------------------


class ChatModelReplyError(PrimitivesError, TypeError):
    """A chat model answered with something other than what the ChatModel protocol promises:
    `complete` (or a node standing for the model) with something other than a ChatResponse,
    `stream` with something other than an async iterator of str. A bug in the model's client,
    not in the request: retrying it will not help, and no model can fix it by calling again.
    `model` names the model, `got` is what it gave; `source` says how ("complete returned",
    "stream yielded")."""

    def __init__(self, model: str, source: str, got: object, expected: str) -> None:
        self.model = model
        self.got = got
        super().__init__(f"{model}.{source} a {type(got).__name__} ({_short_repr(got)}), not {expected}")


class ModelCallError(PrimitivesError):
    """The provider refused the request (bad request, authentication, unknown model...):
    retrying the same request will not help."""

    def __init__(self, message: str, *, provider: str, model: str, status: int | None) -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model
        self.status = status


class ModelTransientError(TransientError):
    """A failure worth retrying: rate limited, overloaded, a server error, a connection or
    timeout failure, or a response that was cut or malformed. `retry_after` is the provider's
    own hint (Retry-After / retry-after-ms headers) when it sent one."""

    def __init__(self, message: str, *, provider: str, model: str, status: int | None, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.provider = provider
        self.model = model
        self.status = status


class UnpricedModelWarning(UserWarning):
    """A model's reply was recorded but could not be priced (no ModelPrice for its name): its
    usage is kept and its cost is unknown. Given when a tracker first sees the model (shown once
    per model under Python's default warning filter)."""


class SchemaMismatch(ValueError):
    """A value (or JSON text) does not fit the type; the message says where and why."""


class StructuredOutputError(PrimitivesError):
    """The model's replies did not fit the output type, re-asks included."""

    def __init__(self, message: str, *, reply: str, error: str) -> None:
        super().__init__(message)
        self.reply = reply
        self.error = error


class JSONInputError(ConfigError):
    """JSON given as an input does not fit the input type: a plan's (`tta-primitives run
    --input`) or a tool's (`ToolArgumentsError`). The message names where, the field (a path
    such as `$.a`), what was expected, and any field the type does not have."""


class ToolArgumentsError(JSONInputError):
    """A model's (or an MCP client's) arguments for a tool do not fit the tool's input type."""


class ArgumentLimitError(ToolArgumentsError):
    """A tool call's arguments are nested deeper than MAX_ARGUMENT_DEPTH or larger than
    MAX_ARGUMENT_BYTES. `limit` names which ("depth" or "bytes"), `maximum` its value."""

    def __init__(self, tool: str, limit: str, maximum: int, got: object) -> None:
        what = _ARGUMENT_LIMITS[limit].format(maximum)
        self.node, self.field, self.expected, self.got = tool, "arguments", f"arguments not {what}", got
        self.limit = limit
        self.maximum = maximum
        # not ConfigError's message: it would show the value, whose repr may itself be deep or huge
        Exception.__init__(self, f"{tool}: arguments {what} are refused (the limit for a tool call's arguments)")

    def __reduce__(self) -> tuple[type[ArgumentLimitError], tuple[str, str, int, object]]:
        return type(self), (self.node, self.limit, self.maximum, self.got)


_ARGUMENT_LIMITS = {"depth": "nested deeper than {} levels", "bytes": "larger than {} bytes"}
"""What an ArgumentLimitError's `limit` refuses, in its message."""


# -- durable runs (durable) --------------------------------------------------------------------


class DurableRunError(PrimitivesError):
    """Base class of the errors of durable runs."""


class JournalCodecError(DurableRunError, TypeError):
    """A journaled node's declared output type cannot be journaled with a safe codec; raised
    before the run starts, naming the node and the type."""


class JournalEncodeError(DurableRunError, TypeError):
    """A node returned a value its journal codec cannot record exactly (a type other than the
    declared one, NaN inside JSON-only data, an object of no known shape); the run stops
    before the next node sees the value."""


class JournalCorruptError(DurableRunError):
    """A journal row fails its checksum, is truncated or does not decode as the node's type.
    The run stops: nothing is silently re-run in its place."""


class JournalUnavailableError(DurableRunError, ConnectionError):
    """The journal store could not be reached or refused a write."""


class PlanChangedError(DurableRunError):
    """A run id was resumed with a plan whose fingerprint differs from the one that started it;
    the message shows what changed."""


class CodeChangedError(PlanChangedError):
    """A run was resumed with code that changed in a node whose journaled output it would
    replay (same plan structure, another function body); the message names the nodes."""


class RunInputMismatchError(DurableRunError, ValueError):
    """A run id was started again with a different input than the one it was started with."""


class RunInProgressError(DurableRunError):
    """Another live run (in this process or another one) holds the run id."""


class ClaimLostError(RunInProgressError):
    """Another run took over this run's claim (it judged this one gone: a lost connection, a
    process taken for dead); this run stops so that the two never both go on."""


class ResumeError(DurableRunError, ValueError):
    """A resume token does not fit the run: unknown run, already answered, another plan, or an
    answer of the wrong type."""


class RecordedError(DurableRunError, RuntimeError):
    """An error recorded by an earlier attempt of a durable run (its process may be gone):
    `error_type` and `message` are the original's."""

    def __init__(self, message: str, *, error_type: str, original: str, transient: bool = False) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.original = original
        self.replays_transient = transient
        """The original error was transient (a Retry around the saga retries this one too)."""


# -- MCP (mcp) ---------------------------------------------------------------------------------


class MCPToolError(PrimitivesError):
    """The remote MCP tool reported an error (its message is the tool's text)."""

    def __init__(self, tool: str, message: str) -> None:
        super().__init__(f"MCP tool {tool!r} failed: {message}")
        self.tool = tool
        self.message = message


class MCPConnectionError(PrimitivesError, ConnectionError):
    """The MCP server could not be reached, did not answer in time, or went away (`server` names
    it; `tool` is the tool being called, if any)."""

    def __init__(self, server: str, problem: str, tool: str | None = None) -> None:
        during = f" while calling its tool {tool!r}" if tool is not None else ""
        super().__init__(f"MCP server {server}{during}: {problem}")
        self.server = server
        self.tool = tool


class DevtoolError(PrimitivesError):
    """The command behind a devtool failed: the target did not load or compile, or timed out."""


# -- the command line (cli) --------------------------------------------------------------------


class TargetError(PrimitivesError, LookupError):
    """The TARGET could not be found or is not a workflow."""
