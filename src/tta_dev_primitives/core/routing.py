"""The original `core.routing.RouterPrimitive`: `router_fn(input, context)` names a route, whose
primitive runs; an unknown name falls back to `default`, else ValueError("No route found ...").

Each decision is logged (`routing_decision`) and appended to `context.state["routing_history"]`.
Our own `Router` (top level) is a compiled route table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from ..dsl._core import Node
from ..observability._logging import get_logger
from .base import WorkflowContext, WorkflowPrimitive

__all__ = ["RouterPrimitive"]

logger = get_logger(__name__)

In = TypeVar("In")
Out = TypeVar("Out")


class RouterPrimitive(WorkflowPrimitive[In, Out], Generic[In, Out]):
    """Run the primitive of the route `router_fn(input, context)` names (or of `default`)."""

    def __init__(
        self,
        routes: Mapping[str, Node[In, Out]],
        router_fn: Callable[[In, WorkflowContext], str],
        default: str | None = None,
    ) -> None:
        self.routes = routes
        self.router_fn = router_fn
        self.default = default

    async def execute(self, input_data: In, context: WorkflowContext | None = None) -> Out:
        """The chosen route's result on `input_data`.

        Raises ValueError naming the key and the available routes when neither the chosen key
        nor `default` is a route.
        """
        if context is None:
            context = WorkflowContext()
        route = self.router_fn(input_data, context)
        primitive = self.routes.get(route)
        if primitive is None and self.default:
            route = self.default
            primitive = self.routes.get(route)
        if primitive is None:
            raise ValueError(f"No route found for key '{route}'. Available routes: {', '.join(map(str, self.routes))}")
        logger.info("routing_decision", route=route, available_routes=list(self.routes), workflow_id=context.workflow_id)
        history = context.state.setdefault("routing_history", [])
        if isinstance(history, list):
            history.append(route)
        return await primitive.execute(input_data, context)
