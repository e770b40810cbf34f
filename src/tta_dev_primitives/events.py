"""The events `plan.events(x)` yields (defined in executor._events): import them from here.

    from tta_dev_primitives.events import ChunkEvent, NodeFinished
"""

from .executor._events import (
    CacheEvent,
    ChunkEvent,
    CircuitEvent,
    CompensationEvent,
    Event,
    FallbackEvent,
    LoopIterationEvent,
    NodeFinished,
    NodeStarted,
    RetryEvent,
    RunFinished,
    RunStarted,
    TimeoutEvent,
    ToolCallEvent,
)

__all__ = [
    "CacheEvent",
    "ChunkEvent",
    "CircuitEvent",
    "CompensationEvent",
    "Event",
    "FallbackEvent",
    "LoopIterationEvent",
    "NodeFinished",
    "NodeStarted",
    "RetryEvent",
    "RunFinished",
    "RunStarted",
    "TimeoutEvent",
    "ToolCallEvent",
]
