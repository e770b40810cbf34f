"""`compile_program(node)`: lower the node graph, run the passes, and return the Program."""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import TypeVar

from ..dsl._core import Node
from .._validate import check_bool, check_name
from ..errors import ConfigError, UnknownPassError
from ._ir import Op, walk
from ._types import format_type
from ._lowering import lower
from .passes import DEFAULT_PASSES, Analysis, Budget, Lint, PassContext
from ._program import Edges, PassRecord, Program

__all__ = ["available_passes", "compile_program"]

In = TypeVar("In")
Out = TypeVar("Out")


def available_passes() -> tuple[str, ...]:
    """Names of the compiler passes, in the order they run."""
    return tuple(p.name for p in DEFAULT_PASSES)


def compile_program(
    node: Node[In, Out],
    *,
    disable: Iterable[str] | str = (),
    name: str | None = None,
    strict: bool = False,
    budget: Budget | None = None,
    state_keys: Iterable[str] = (),
) -> Program[In, Out]:
    """Compile a workflow into a Program (see `tta_dev_primitives.compile` for the runnable Plan).

    Lowers the node graph to IR, then runs each pass not named in `disable` (see
    `available_passes()`). Raises CompositionError (TypeMismatchError, CycleError,
    StateKeyError) when the graph does not fit together, naming the steps, nodes, types and where
    each was built; LintError for resilience lint findings when `strict`; BudgetError when the
    worst case exceeds `budget`. `state_keys` are RunContext.state keys the caller provides.
    """
    disabled = {disable} if isinstance(disable, str) else set(disable)
    unknown = sorted(disabled - set(available_passes()))
    if unknown:
        raise UnknownPassError(f"compile(): unknown pass name(s) {unknown}; available passes: {list(available_passes())}")
    if budget is not None and not isinstance(budget, Budget):
        raise ConfigError("compile()", "budget", "a Budget", budget)
    check_bool("compile()", "strict", strict)
    if name is not None:
        check_name("compile()", "name", name)
    keys = frozenset([state_keys] if isinstance(state_keys, str) else state_keys)
    root = lower(node)
    ctx = PassContext(strict=strict, budget=budget, state_keys=keys, next_node_id=1 + _top_id_checking_interrupts(root))
    records: list[PassRecord] = []
    for compiler_pass in DEFAULT_PASSES:
        if compiler_pass.name in disabled:
            records.append(PassRecord(compiler_pass.name, False))
            continue
        root, changes = compiler_pass.run(root, ctx)
        records.append(PassRecord(compiler_pass.name, True, tuple(changes)))
    lints = ctx.facts.get("lints", ())
    analysis = ctx.facts.get("analysis")
    assert isinstance(lints, tuple)
    return Program(
        root,
        name=name or node.name,
        passes=tuple(records),
        edges=typing.cast("Edges", ctx.facts.get("edges", ())),  # typecheck's verdicts (or none), worked out when asked for
        lints=tuple(lint for lint in lints if isinstance(lint, Lint)),
        analysis=analysis if isinstance(analysis, Analysis) else None,
    )


def _top_id_checking_interrupts(root: Op) -> int:
    """The largest node id of the plan, found in the walk that checks that each interrupt has a
    name of its own: a suspended run is reported, typed and answered by that name (one interrupt
    node used twice keeps its name)."""
    seen: dict[str, Op] = {}
    top = root.node_id
    for op in walk(root):
        if op.node_id > top:
            top = op.node_id
        if op.kind != "interrupt":
            continue
        first = seen.setdefault(op.name, op)
        if first is not op and (first.location, first.in_type, first.out_type) != (op.location, op.in_type, op.out_type):
            raise ConfigError(
                f"interrupt {op.name!r} (built at {op.location})",
                "name",
                f"a name no other interrupt of the plan has (a run waits at, and is answered by, its interrupt's name): the "
                f"interrupt built at {first.location} is named {op.name!r} too (answers {format_type(first.out_type)}; this one "
                f"answers {format_type(op.out_type)})",
                op.name,
            )
    return top
