"""tta-dev-primitives: a typed dataflow DSL with compiled execution plans for LLM agent workflows.

Build typed nodes, compose them (`>>`, `parallel`, `combine`, `branch`, `.map`), `compile` them
into an inspectable Plan, and `await plan.run(x)`.
"""

import logging
from typing import TYPE_CHECKING

from . import _old_paths

_old_paths.install()  # implementation modules are private (`_name.py`); their old paths keep working

from .compiler import TypeMismatchError, available_passes
from .plan import Plan, StreamPlan, compile
from .compiler.passes import Analysis, Budget, BudgetError, Lint, LintError, StateKeyError
from .compiler._render import RenderError
from .context import RunContext, WorkflowContext, current_context
from .dsl._streaming import StreamNode, join_text, split_text, streaming
from . import events
from .executor._events import Event
from .executor._live import RunEvents, RunStream
from .dsl import Node, SourceLocation, Traits, branch, combine, const, for_each, loop, node, node_with, parallel, parallel_all
from .errors import (
    BlockingCallWarning,
    BuildError,
    ChatModelReplyError,
    CompositionError,
    ConfigError,
    CycleError,
    LoopLimitError,
    NoRunContextError,
    ParallelError,
    PrimitivesError,
    RunSyncError,
    StrayCancellationError,
    StreamInterruptedError,
    StreamUsageError,
    UnknownPassError,
)
from .executor import (
    Hook,
    NodeInfo,
    InputTypeError,
    OutputTypeError,
    RunInfo,
    RunTimeoutError,
    check_outputs,
    install_hook,
    installed_hooks,
    uninstall_hook,
)
from .observability import (
    configure_logging,
    configure_metrics,
    configure_tracing,
    genai,
    get_logger,
    record_llm_usage,
    start_metrics_server,
    trace_operation,
    track_metrics,
)
from .stdlib import LambdaPrimitive, WorkflowPrimitive
from .stdlib._base import InstrumentedPrimitive
from .stdlib.cache._primitive import CachePrimitive
from .stdlib.cache import (
    Cache,
    CachedFunction,
    CacheKeyError,
    CacheSerializationError,
    CacheStats,
    MemoryStore,
    RedisStore,
    SQLiteStore,
    cached,
    canonical_key,
    llm_key,
)
from .stdlib._clock import Clock, SystemClock
from .stdlib.llm import (
    BudgetEnforcementPrimitive,
    ChatMessage,
    ChatModel,
    ChatRequest,
    ChatResponse,
    CostTrackingPrimitive,
    FakeChatModel,
    LLMPrimitive,
    chat_stream,
    ModelCallError,
    ModelTransientError,
    StructuredOutputError,
    Tool,
    ToolArgumentsError,
    ToolCall,
    ToolResult,
    ToolSpec,
    Transcript,
    UnpricedModelWarning,
    agent,
    structured,
    structured_prompt,
    tool,
    chat_model,
)

if TYPE_CHECKING:
    from .stdlib.llm.providers._anthropic_chat import AnthropicChatModel
    from .stdlib.llm.providers._bedrock_chat import BedrockChatModel
    from .stdlib.llm.providers._gemini_chat import GeminiChatModel
    from .stdlib.llm.providers._groq_chat import GroqChatModel
    from .stdlib.llm.providers._huggingface_chat import HuggingFaceChatModel
    from .stdlib.llm.providers._mistral_chat import MistralChatModel
    from .stdlib.llm.providers._ollama_chat import OllamaChatModel
    from .stdlib.llm.providers._openai_chat import OpenAIChatModel
    from .executor.backends.dask import DaskBackend
from .stdlib.flow import (
    BudgetExceededError,
    CheapestMeetingQuality,
    Conditional,
    ConditionalPrimitive,
    CostAware,
    LowestLatency,
    NoRouteMeetsQualityError,
    Parallel,
    ParallelPrimitive,
    RouteNotFoundError,
    Router,
    RouterPrimitive,
    RouteSpec,
    Sequential,
    SequentialPrimitive,
    Switch,
    SwitchPrimitive,
    pipe,
)
from .stdlib.recovery import (
    Bulkhead,
    BulkheadFullError,
    CircuitBreaker,
    CircuitOpenError,
    CompensationInterruptedError,
    Fallback,
    FallbackError,
    FallbackPrimitive,
    Hedge,
    HedgeError,
    NodeTimeoutError,
    RateLimitedError,
    RateLimiter,
    Retry,
    RetryBudget,
    RetryPrimitive,
    RetryStrategy,
    Saga,
    SagaError,
    SagaPrimitive,
    Timeout,
    TimeoutPrimitive,
    TransientError,
    compensated,
    resilient,
    saga,
)
from .stdlib.testing import FakeClock, MockPrimitive, mock_node
from .durable import Interrupt, Interrupted, Journal, MemoryJournal, ResumeToken, SQLiteJournal, interrupt
from .executor.backends import Backend, LocalBackend, RemoteError, RemoteSerializationError, current_backend, use_backend

__version__ = "0.1.0"

logging.getLogger("tta_dev_primitives").addHandler(logging.NullHandler())  # a library does not print

__all__ = [
    "__version__",
    "Analysis",
    "AnthropicChatModel",
    "Backend",
    "BedrockChatModel",
    "BlockingCallWarning",
    "Budget",
    "BudgetEnforcementPrimitive",
    "BudgetError",
    "BudgetExceededError",
    "BuildError",
    "Bulkhead",
    "BulkheadFullError",
    "Cache",
    "CacheKeyError",
    "CachePrimitive",
    "CacheSerializationError",
    "CacheStats",
    "CachedFunction",
    "ChatMessage",
    "ChatModel",
    "ChatModelReplyError",
    "ChatRequest",
    "ChatResponse",
    "CheapestMeetingQuality",
    "CircuitBreaker",
    "CircuitOpenError",
    "Clock",
    "CompensationInterruptedError",
    "CompositionError",
    "Conditional",
    "ConditionalPrimitive",
    "ConfigError",
    "CostAware",
    "CostTrackingPrimitive",
    "CycleError",
    "DaskBackend",
    "Event",
    "FakeChatModel",
    "FakeClock",
    "Fallback",
    "FallbackError",
    "FallbackPrimitive",
    "GeminiChatModel",
    "GroqChatModel",
    "Hedge",
    "HedgeError",
    "Hook",
    "HuggingFaceChatModel",
    "InputTypeError",
    "InstrumentedPrimitive",
    "Interrupt",
    "Interrupted",
    "Journal",
    "LLMPrimitive",
    "LambdaPrimitive",
    "Lint",
    "LintError",
    "LocalBackend",
    "LoopLimitError",
    "LowestLatency",
    "MemoryJournal",
    "MemoryStore",
    "MistralChatModel",
    "MockPrimitive",
    "ModelCallError",
    "ModelTransientError",
    "NoRouteMeetsQualityError",
    "NoRunContextError",
    "Node",
    "NodeInfo",
    "NodeTimeoutError",
    "OllamaChatModel",
    "OpenAIChatModel",
    "OutputTypeError",
    "Parallel",
    "ParallelError",
    "ParallelPrimitive",
    "Plan",
    "PrimitivesError",
    "RateLimitedError",
    "RateLimiter",
    "RedisStore",
    "RemoteError",
    "RemoteSerializationError",
    "RenderError",
    "ResumeToken",
    "Retry",
    "RetryBudget",
    "RetryPrimitive",
    "RetryStrategy",
    "RouteNotFoundError",
    "RouteSpec",
    "Router",
    "RouterPrimitive",
    "RunContext",
    "RunEvents",
    "RunInfo",
    "RunStream",
    "RunSyncError",
    "RunTimeoutError",
    "SQLiteJournal",
    "SQLiteStore",
    "Saga",
    "SagaError",
    "SagaPrimitive",
    "Sequential",
    "SequentialPrimitive",
    "SourceLocation",
    "StateKeyError",
    "StrayCancellationError",
    "StreamInterruptedError",
    "StreamNode",
    "StreamPlan",
    "StreamUsageError",
    "StructuredOutputError",
    "Switch",
    "SwitchPrimitive",
    "SystemClock",
    "Timeout",
    "TimeoutPrimitive",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Traits",
    "Transcript",
    "TransientError",
    "TypeMismatchError",
    "UnknownPassError",
    "UnpricedModelWarning",
    "WorkflowContext",
    "WorkflowPrimitive",
    "agent",
    "available_passes",
    "branch",
    "cached",
    "canonical_key",
    "chat_model",
    "chat_stream",
    "check_outputs",
    "combine",
    "compensated",
    "compile",
    "configure_logging",
    "configure_metrics",
    "configure_tracing",
    "const",
    "current_backend",
    "current_context",
    "events",
    "for_each",
    "genai",
    "get_logger",
    "install_hook",
    "installed_hooks",
    "interrupt",
    "join_text",
    "llm_key",
    "loop",
    "mock_node",
    "node",
    "node_with",
    "parallel",
    "parallel_all",
    "pipe",
    "record_llm_usage",
    "resilient",
    "saga",
    "split_text",
    "start_metrics_server",
    "streaming",
    "structured",
    "structured_prompt",
    "tool",
    "trace_operation",
    "track_metrics",
    "uninstall_hook",
    "use_backend",
]


def __getattr__(name: str) -> object:
    """The SDK-backed model clients and DaskBackend load their extra only when asked for."""
    if name == "DaskBackend":
        from .executor.backends.dask import DaskBackend

        return DaskBackend
    from .stdlib.llm import providers

    if name in providers.CLIENTS:
        return getattr(providers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_old_paths.alias_loaded()  # after every module above is imported
