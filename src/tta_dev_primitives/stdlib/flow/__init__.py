"""Flow primitives with the original package's API: Sequential, Parallel, Conditional, Switch, Router."""

from ._conditional import Conditional, ConditionalPrimitive
from ._parallel import Parallel, ParallelPrimitive
from ._policies import BudgetExceededError, CheapestMeetingQuality, CostAware, LowestLatency, NoRouteMeetsQualityError, RouteSpec
from ._routing import RouteNotFoundError, Router, RouterPrimitive, Switch, SwitchPrimitive
from ._sequential import Sequential, SequentialPrimitive, pipe

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
