"""Flow primitives with the seed's API: Sequential, Parallel, Conditional, Switch, Router."""

from .conditional import Conditional, ConditionalPrimitive
from .parallel import Parallel, ParallelPrimitive
from .policies import BudgetExceededError, CheapestMeetingQuality, CostAware, LowestLatency, NoRouteMeetsQualityError, RouteSpec
from .routing import RouteNotFoundError, Router, RouterPrimitive, Switch, SwitchPrimitive
from .sequential import Sequential, SequentialPrimitive, pipe

__all__ = [
    "BudgetExceededError",
    "CheapestMeetingQuality",
    "Conditional",
    "ConditionalPrimitive",
    "CostAware",
    "LowestLatency",
    "NoRouteMeetsQualityError",
    "Parallel",
    "ParallelPrimitive",
    "RouteNotFoundError",
    "RouteSpec",
    "Router",
    "RouterPrimitive",
    "Sequential",
    "SequentialPrimitive",
    "Switch",
    "SwitchPrimitive",
    "pipe",
]
