"""Errors of remote nodes: what cannot travel to or from a worker."""

from __future__ import annotations

from ...errors import PrimitivesError

__all__ = ["RemoteError", "RemoteSerializationError"]


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
