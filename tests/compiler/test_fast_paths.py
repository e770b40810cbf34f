"""The compiler's short paths for the common case agree with its general paths.

Lowering builds call ops without attrs' constructor, rewriting passes skip leaves, the analysis
takes a short path for plain call leaves, and typecheck decides sequences of one plain class
without building their edges (which `Plan.edges` works out when first asked for). Each must give
exactly what the general path gives.
"""

from __future__ import annotations

import copy
import pickle
import re
from typing import Any

import attrs
import pytest
from hypothesis import given, settings

from tta_dev_primitives import TypeMismatchError, compile, node
from tta_dev_primitives.compiler._ir import (
    CallOp,
    Op,
    ParOp,
    SeqOp,
    leaf_call,
    rewrite,
    rewrite_composites,
    walk,
)
from tta_dev_primitives.compiler._lowering import lower
from tta_dev_primitives.compiler.passes._analyze import analyze
from tta_dev_primitives.dsl._location import SourceLocation
from tta_dev_primitives.dsl._traits import Traits

from .test_pass_equivalence import Builder, Recipe, recipes


async def add_one(x: int) -> int:
    return x + 1


def widen(x: int) -> float:
    return x / 2


def untyped(x):  # type: ignore[no-untyped-def]  # an unchecked edge on purpose
    return x


def halve(x: float) -> int:
    return int(x)


def test_leaf_call_builds_the_op_the_attrs_constructor_builds() -> None:
    fields: dict[str, Any] = {
        "node_id": 7,
        "name": "add_one",
        "primitive_type": "function",
        "location": SourceLocation("flow.py", 3),
        "traits": Traits(pure=True),
        "in_type": int,
        "out_type": int,
        "fn": add_one,
        "is_async": True,
        "arity": 1,
        "thread": False,
        "qualname": "flow.add_one",
    }
    fast, slow = leaf_call(**fields), CallOp(**fields)
    assert type(fast) is CallOp
    for field in attrs.fields(CallOp):  # every field written, a field added later included
        assert getattr(fast, field.name) == getattr(slow, field.name), field.name
    assert repr(fast) == repr(slow)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.name = "other"  # type: ignore[misc]


def _shape(op: Op) -> object:
    return (type(op).__name__, op.name, op.node_id, tuple(_shape(c) for c in op.children))


@settings(max_examples=100, deadline=None)
@given(recipes)
def test_rewrite_composites_gives_what_rewrite_gives(recipe: Recipe) -> None:
    root = lower(Builder().build(recipe))

    def rule(seen: list[int]) -> Any:
        def apply(op: Op) -> Op:  # leaves come back as they are; structure is rebuilt
            if not op.children:
                return op
            seen.append(op.node_id)
            reordered = tuple(reversed(op.children)) if isinstance(op, SeqOp) else op.children
            return op if isinstance(op, ParOp) else op.with_children(reordered)

        return apply

    everywhere: list[int] = []
    structure_only: list[int] = []
    assert _shape(rewrite(root, rule(everywhere))) == _shape(rewrite_composites(root, rule(structure_only)))
    assert everywhere == structure_only  # the same ops, in the same order


class _OwnCall(CallOp):
    """A call op of a class of its own: the analysis takes its general path for it."""


def _without_plain_calls(op: Op) -> Op:
    def swap(current: Op) -> Op:
        if type(current) is not CallOp:
            return current
        return _OwnCall(**{f.name: getattr(current, f.name) for f in attrs.fields(CallOp) if f.init})

    return rewrite(op, swap)


@settings(max_examples=100, deadline=None)
@given(recipes)
def test_the_analysis_short_path_for_plain_calls_agrees_with_the_general_one(recipe: Recipe) -> None:
    root = compile(Builder().build(recipe), disable=["analyze"]).root
    general = _without_plain_calls(root)
    assert any(type(op) is _OwnCall for op in walk(general))
    assert analyze(root) == analyze(general)


def test_analysis_names_unbounded_leaves_in_plan_order() -> None:
    chain = node(add_one, name="first")
    for i in range(40):
        chain = chain >> node(add_one, name=f"step{i}")
    analysis = compile(chain).analysis
    assert analysis is not None
    assert analysis.unbounded == ("first", *(f"step{i}" for i in range(15)))  # the first 16 causes


def test_edge_verdicts_are_those_of_every_edge_whichever_way_typecheck_decided_it() -> None:
    plain = node(add_one) >> node(add_one) >> node(add_one)  # one class throughout: decided without edges
    plan = compile(plain)
    assert [(r.edge.label, r.checked, r.reason) for r in plan.edges] == [("step 1", True, None), ("step 2", True, None)]
    mixed = compile(node(add_one) >> node(halve) >> node(widen) >> node(untyped) >> node(add_one))  # int into float: assignable
    assert [(r.edge.label, r.checked, r.reason) for r in mixed.edges] == [
        ("step 1", True, None),
        ("step 2", True, None),
        ("step 3", False, "consumer input not annotated"),
        ("step 4", False, "producer output not annotated"),
    ]
    assert re.search(r"typecheck +4 edges: 2 checked, 2 unchecked", mixed.explain())


def test_edge_verdicts_are_worked_out_once_and_shared_by_plans_of_one_program() -> None:
    plan = compile(node(add_one) >> node(add_one))
    assert plan.with_hooks().edges is plan.edges
    fresh = compile(node(add_one) >> node(add_one))
    copied = copy.deepcopy(fresh)  # a plan whose verdicts are still to be worked out copies, and they pickle
    assert [(r.edge.label, r.checked) for r in copied.edges] == [(r.edge.label, r.checked) for r in fresh.edges] == [("step 1", True)]
    assert [r.checked for r in pickle.loads(pickle.dumps(compile(node(add_one) >> node(add_one))._edges))()] == [True]


def test_a_sequence_of_plain_classes_that_do_not_fit_still_fails() -> None:
    def show(x: int) -> str:
        return str(x)

    with pytest.raises(TypeMismatchError, match=r"step 2 of seq .*\n.*\n +returns str\n.*\n +expects int"):
        compile(node(add_one) >> node(show) >> node(add_one))  # type: ignore[operator]  # what mypy would catch, built anyway
