"""How a model call's input and reply read on its span, for types this layer cannot import.

A chat request and a model's reply are defined above observability (stdlib's `ChatRequest` and
`ChatResponse`), so the layer that defines them registers, at import, a view of each
(`register_model_view`): a function giving the conversation, the settings and the tools a
request sends (`ModelInput`), or the message and finish reason of a reply (`ModelOutput`). The
tracing hook looks a value's class up (its own, then its bases; cached) and writes the view as
OpenInference's message, parameter and tool attributes (see `_model_spans`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

import attrs

from .._registry import ClassRegistry

__all__ = ["Message", "MessageView", "ModelInput", "ModelOutput", "ToolCallView", "model_view", "register_model_view"]

T = TypeVar("T")


class ToolCallView(Protocol):
    """A tool call as a span shows it (stdlib's `ToolCall` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> str:
        """The arguments as the JSON text the model wrote."""
        ...


class MessageView(Protocol):
    """A conversation message as a span shows it (stdlib's `ChatMessage` is one)."""

    @property
    def role(self) -> str:
        """"system", "user", "assistant" or "tool"."""
        ...

    @property
    def content(self) -> str: ...
    @property
    def tool_calls(self) -> Sequence[ToolCallView]: ...
    @property
    def tool_call_id(self) -> str | None:
        """On a tool message: the call it answers."""
        ...


@attrs.frozen(slots=True)
class Message:
    """A message this layer makes itself: a streamed reply's collected text."""

    role: str
    content: str
    tool_calls: tuple[ToolCallView, ...] = ()
    tool_call_id: str | None = None


@attrs.frozen(slots=True)
class ModelInput:
    """What a request sends a model: the conversation (content, recorded only when asked), the
    settings it sets and the tools it offers (configuration, always recorded)."""

    messages: Sequence[MessageView]
    parameters: Mapping[str, object]
    """The settings the request sets (unset ones left out), JSON-ready."""
    tools: Sequence[str] = ()
    """Each tool as JSON text in OpenAI's function-tool shape
    (`{"type": "function", "function": {"name", "description", "parameters"}}`)."""


@attrs.frozen(slots=True)
class ModelOutput:
    """What a model replied: its messages (content) and why it stopped (None: it did not say)."""

    messages: Sequence[MessageView]
    finish_reason: str | None = None


ModelView = Callable[[object], "ModelInput | ModelOutput"]

_VIEWS: ClassRegistry[ModelView] = ClassRegistry("model view")


def register_model_view(cls: type[T], view: Callable[[T], ModelInput | ModelOutput]) -> None:
    """Show values of `cls` (and its subclasses) on model call spans as `view` gives them."""
    _VIEWS.register(cls, view)  # type: ignore[arg-type]  # called only with values of `cls`


def model_view(value: object) -> ModelInput | ModelOutput | None:
    """`value` as its registered view gives it; None for a type without one."""
    view = _VIEWS.lookup(type(value))
    return None if view is None else view(value)
