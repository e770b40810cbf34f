"""Plan[In, Out]: a compiled, inspectable, runnable workflow."""

from __future__ import annotations

import json
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Generic, Literal, TypeVar, cast

import attrs

from ..context import RunContext
from .explain import render_explain
from .ir import Op, walk
from .passes import Change, EdgeReport
from .serialize import fingerprint, op_to_dict
from .types import format_type

if TYPE_CHECKING:
    from ..executor.hooks import Hook
    from ..executor.runner import Executable

__all__ = ["PassRecord", "Plan"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)

JSON_FORMAT = "tta-plan/1"


@attrs.frozen
class PassRecord:
    """What one pass did during compilation (or that it was disabled)."""

    name: str
    enabled: bool
    changes: tuple[Change, ...] = ()


class Plan(Generic[In, Out]):
    """The result of `compile(node)`.

    Inspect it with `explain()`, `to_json()` and `fingerprint()`; run it with `await plan.run(x)`
    or `plan.run_sync(x)`. The closures that run it are built once, on first run, and rebuilt
    only when the process-wide hooks change.
    """

    def __init__(
        self,
        root: Op,
        *,
        name: str,
        passes: tuple[PassRecord, ...],
        edges: tuple[EdgeReport, ...],
        hooks: tuple[Hook, ...] = (),
    ) -> None:
        self.root = root
        self.name = name
        self.passes = passes
        self.edges = edges
        self.hooks = hooks
        self._fingerprint: str | None = None
        self._exe: Executable | None = None

    # -- inspection -----------------------------------------------------------------------------

    @property
    def input_type(self) -> object:
        """The runtime type the plan accepts (from annotations; `?` when unknown)."""
        return self.root.in_type

    @property
    def output_type(self) -> object:
        """The runtime type the plan returns."""
        return self.root.out_type

    def ops(self) -> list[Op]:
        """Every op of the plan, parents before children."""
        return list(walk(self.root))

    def fingerprint(self) -> str:
        """A stable hash of the plan's structure, names and types (not source locations)."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self.root)
        return self._fingerprint

    def explain(self) -> str:
        """The plan as an indented tree with edge types, then each pass and what it changed."""
        return render_explain(self.name, self.root, self.fingerprint(), self.passes, self.edges)

    def to_dict(self) -> dict[str, object]:
        """The plan as JSON-compatible data (see `to_json`)."""
        return {
            "format": JSON_FORMAT,
            "name": self.name,
            "in": format_type(self.root.in_type),
            "out": format_type(self.root.out_type),
            "fingerprint": self.fingerprint(),
            "root": op_to_dict(self.root),
            "passes": [
                {
                    "name": p.name,
                    "enabled": p.enabled,
                    "changes": [{"rule": c.rule, "node": c.node, "detail": c.detail} for c in p.changes],
                }
                for p in self.passes
            ],
            "edges": [
                {
                    "owner": r.edge.owner.node_id,
                    "label": r.edge.label,
                    "src": format_type(r.edge.src),
                    "dst": format_type(r.edge.dst),
                    "checked": r.checked,
                    **({"reason": r.reason} if r.reason else {}),
                }
                for r in self.edges
            ],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """The plan as JSON: ops with ids, kinds, names, types, locations, settings and children,
        plus the passes' changes and every edge's verdict."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    def __repr__(self) -> str:
        return f"<Plan {self.name!r} {format_type(self.root.in_type)} -> {format_type(self.root.out_type)}>"

    # -- execution ------------------------------------------------------------------------------

    def with_hooks(self, *hooks: Hook) -> Plan[In, Out]:
        """A plan sharing this one's IR that also calls `hooks` (in addition to installed ones)."""
        return Plan(self.root, name=self.name, passes=self.passes, edges=self.edges, hooks=(*self.hooks, *hooks))

    def _executable(self) -> Executable:
        exe = self._exe
        if exe is None or exe.version != exe.registry.version:
            from ..executor.runner import build_executable

            exe = self._exe = build_executable(self)  # type: ignore[arg-type]
        return exe

    def run(
        self, input: In, *, context: RunContext | None = None, timeout: float | None = None
    ) -> Coroutine[object, object, Out]:
        """Run the plan on `input` and return its result.

        `context` supplies ids, metadata and state (a RunContext is created, or the caller's
        inherited when running inside another plan, if omitted). `timeout` (seconds) bounds the
        whole run and raises RunTimeoutError when exceeded.
        """
        exe = self._exe
        if exe is None or exe.version != exe.registry.version:
            exe = self._executable()
        return cast("Coroutine[object, object, Out]", exe.run(input, context, timeout))

    def run_sync(
        self,
        input: In,
        *,
        context: RunContext | None = None,
        timeout: float | None = None,
        backend: Literal["asyncio", "trio"] = "asyncio",
    ) -> Out:
        """Run the plan from synchronous code (scripts, notebooks without a loop)."""
        import anyio

        async def main() -> Out:
            return await self.run(input, context=context, timeout=timeout)

        return anyio.run(main, backend=backend)

    def map(
        self, inputs: Iterable[In], *, concurrency: int = 16, context: RunContext | None = None
    ) -> Coroutine[object, object, list[Out]]:
        """Run the plan on many inputs, at most `concurrency` at once; results keep input order."""
        from ..executor.runner import run_many

        return cast("Coroutine[object, object, list[Out]]", run_many(self, list(inputs), concurrency, context))  # type: ignore[arg-type]
