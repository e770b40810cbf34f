"""`.remote()`: the node, its plan op and its step.

The op wraps one child, the subtree that runs elsewhere. Its step hands a RemoteJob to the
node's backend (or, when it names none, the backend in use where the plan runs: LocalBackend
unless `use_backend` says otherwise). In a durable run the remote node is one journaled step:
its subtree runs whole, wherever it runs, and its result is recorded.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import ClassVar, TypeVar, cast

import attrs

from ...compiler._ir import Op, walk
from ...compiler._lowering import Lowerer, lowering, op_identity
from ...dsl import _fluent as fluent
from ...dsl._core import AnyNode, Node
from .._emit import Emitter, Step, emitter, node_info
from ._base import Backend, RemoteJob, _backend

__all__ = ["RemoteNode", "RemoteOp"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)


class RemoteNode(Node[In, Out]):
    """`inner`, run on a backend (see `Node.remote`); the node's type is the inner node's."""

    primitive_type = "remote"

    def __init__(self, inner: Node[In, Out], backend: Backend | None, *, name: str | None = None) -> None:
        if backend is not None and not isinstance(cast(object, backend), Backend):  # from untyped callers
            from ...errors import ConfigError

            raise ConfigError(inner.name, "remote backend", "a Backend (LocalBackend(), DaskBackend(...)) or None", backend)
        self.inner: AnyNode = inner
        self.backend = backend
        self._set_name(name)

    def _default_name(self) -> str:
        return f"remote({self.inner.name})"


@attrs.frozen(kw_only=True, eq=False)
class RemoteOp(Op):
    """One child run on a backend, as a whole: journaled as one step in durable runs."""

    kind: ClassVar[str] = "remote"
    journaled: ClassVar[bool] = True
    traced: ClassVar[bool] = True

    backend: Backend | None

    def params(self) -> dict[str, object]:
        # the backend's kind, not its address: a plan keeps its fingerprint on another cluster
        return {"backend": "default" if self.backend is None else self.backend.name}

    def problems(self) -> Iterator[str]:
        where = f"remote node {self.name!r} (built at {self.location})"
        for op in walk(self.children[0]):
            if op.kind == "interrupt":
                yield f"{where} contains interrupt {op.name!r}: a run cannot be suspended from a worker; put the interrupt outside the remote node"
            if op.traits.writes:
                keys = ", ".join(sorted(op.traits.writes))
                yield (
                    f"{where} contains {op.name!r}, which writes RunContext.state keys {keys}: a worker gets a copy "
                    "of the state and its writes do not come back; return the values instead"
                )


@lowering(RemoteNode)
def _lower_remote(node: RemoteNode[typing.Never, object], lw: Lowerer) -> Op:
    ident = op_identity(node, lw)
    inner = lw.lower(node.inner)
    return RemoteOp(**ident, in_type=inner.in_type, out_type=inner.out_type, children=(inner,), backend=node.backend)


@emitter(RemoteOp)
def _emit_remote(op: RemoteOp, em: Emitter) -> Step:
    # The subtree's own closures, for LocalBackend: not journaled (the remote op is journaled as
    # a whole, as it is on any backend) and not streamed to the plan's consumer.
    local = Emitter(em.hooks, check_outputs=em.check_outputs).emit_async(op.children[0])
    job = RemoteJob(op, node_info(op), local)
    fixed = op.backend
    if fixed is not None:
        run_on = fixed.run

        async def run_fixed(x: object) -> object:
            return await run_on(job, x)

        return Step(run_fixed, True)
    current = _backend.get

    async def run(x: object) -> object:
        return await current().run(job, x)

    return Step(run, True)


fluent.provide("remote", RemoteNode)
