"""Compiling: lowering, edge type checks with located errors, passes, EXPLAIN, JSON, fingerprints."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict, TypeVar

import attrs
import pytest

from tests.fixtures import sample_plan
from tta_dev_primitives import (
    CompositionError,
    ConfigError,
    InputTypeError,
    TypeMismatchError,
    UnknownPassError,
    available_passes,
    branch,
    combine,
    compile,
    for_each,
    node,
    parallel,
)
from tta_dev_primitives.compiler import ParOp, SeqOp


async def parse(text: str) -> int:
    return int(text)


def double(x: int) -> int:
    return x * 2


async def shout(text: str) -> str:
    return text.upper()


def to_text(x: int) -> str:
    return str(x)


def test_mismatch_names_step_producer_consumer_types_and_locations() -> None:
    p, d, s = node(parse), node(double), node(shout)
    pipeline = p >> d >> s  # type: ignore[operator]
    with pytest.raises(TypeMismatchError) as info:
        compile(pipeline)
    err = info.value
    assert isinstance(err, CompositionError) and isinstance(err, TypeError)
    text = str(err)
    assert "step 2 of seq 'parse >> double >> shout'" in text
    assert f"producer  'double' (function, built at {d.location})" in text
    assert "returns int" in text
    assert f"consumer  'shout' (function, built at {s.location})" in text
    assert "expects str" in text
    assert "int is not assignable to str" in text
    assert f"built at {pipeline.location}" in text
    assert "graph sockets:" in text and "parse" in text.split("graph sockets:")[1]
    [edge] = err.mismatches
    assert edge.producer is not None and edge.producer.name == "double"


def test_all_mismatches_are_reported_at_once() -> None:
    with pytest.raises(TypeMismatchError) as info:
        compile(node(parse) >> node(shout) >> node(double))  # type: ignore[arg-type]
    assert len(info.value.mismatches) == 2
    assert str(info.value).startswith("2 type mismatches in workflow")


def test_dynamic_combine_constructor_is_checked() -> None:
    @dataclass
    class Pair:
        number: int
        text: str

    bad = combine(Pair, node(to_text), node(double))  # type: ignore[arg-type]
    with pytest.raises(TypeMismatchError, match=r"(?s)argument 0 of par .*returns str.*expects int"):
        compile(bad)


def test_parallel_branches_needing_incompatible_inputs_are_rejected() -> None:
    with pytest.raises(TypeMismatchError, match=r"branch 1 of par"):
        compile(parallel(node(double), node(shout)))


def test_branch_predicate_must_return_bool() -> None:
    def not_bool(x: int) -> str:
        return "yes"

    with pytest.raises(TypeMismatchError, match=r"(?s)condition of branch.*returns str.*expects bool"):
        compile(branch(node(not_bool), node(double), node(double)))  # type: ignore[arg-type]


class HasText(Protocol):
    @property
    def text(self) -> str: ...


@attrs.frozen
class Doc:
    text: str


@attrs.frozen
class Image:
    pixels: bytes


class Query(TypedDict):
    question: str
    k: int


class NarrowQuery(TypedDict):
    question: str


def test_protocols_attrs_and_typeddicts_are_checked_on_edges() -> None:
    def make_doc(x: str) -> Doc:
        return Doc(x)

    def make_image(x: str) -> Image:
        return Image(x.encode())

    def read(d: HasText) -> str:
        return d.text

    def make_query(x: str) -> NarrowQuery:
        return {"question": x}

    def ask(q: Query) -> str:
        return q["question"]

    def ask_narrow(q: NarrowQuery) -> str:
        return q["question"]

    def make_full_query(x: str) -> Query:
        return {"question": x, "k": 1}

    def needs_doc(d: Doc) -> str:
        return d.text

    assert compile(node(make_doc) >> node(read)).run_sync("a") == "a"
    with pytest.raises(TypeMismatchError, match="Image is not assignable to HasText"):
        compile(node(make_image) >> node(read))  # type: ignore[arg-type]
    assert compile(node(make_full_query) >> node(ask_narrow)).run_sync("q") == "q"  # extra keys are fine
    with pytest.raises(TypeMismatchError, match="NarrowQuery is not assignable to Query"):
        compile(node(make_query) >> node(ask))  # type: ignore[arg-type]  # key 'k' is missing
    with pytest.raises(TypeMismatchError, match="Image is not assignable to Doc"):
        compile(node(make_image) >> node(needs_doc))  # type: ignore[arg-type]


def test_unknown_pass_name_is_rejected_listing_the_passes() -> None:
    with pytest.raises(UnknownPassError, match=r"unknown pass name\(s\) \['fuse'\]; available passes: \['flatten', 'typecheck', 'prune',"):
        compile(node(double), disable=["fuse"])
    assert available_passes() == ("flatten", "typecheck", "prune", "cse", "hoist_parallel", "fuse_cache", "lint_resilience", "analyze")


def test_flatten_inlines_nested_sequences_and_parallels() -> None:
    # `>>` extends unnamed chains as it builds; a named chain stays a node until flatten inlines it
    head = (node(parse) >> node(double)).named("head")
    pipeline = head >> parallel(node(double), parallel(node(to_text), node(double)))
    flat = compile(pipeline)
    nested = compile(pipeline, disable="flatten")
    assert isinstance(flat.root, SeqOp) and len(flat.root.children) == 3
    assert isinstance(nested.root, SeqOp) and len(nested.root.children) == 2
    par = flat.root.children[2]
    assert isinstance(par, ParOp) and len(par.children) == 3
    assert par.layout.describe() == "(0, (1, 2))"
    rules = [c.rule for p in flat.passes for c in p.changes]
    assert rules.count("flatten.inline-seq") == 1 and rules.count("flatten.inline-par") == 1
    assert flat.run_sync("5") == nested.run_sync("5") == (20, ("10", 20))


def test_flatten_keeps_a_nested_chain_that_declares_something_of_its_own() -> None:
    """An agent's sequence (marked AGENT for traces) or a chain with a declaration inside a
    sequence stays one op: inlining it would lose the span kind or the declaration."""
    marked = (node(parse) >> node(double)).named("agent-like").with_attributes(**{"openinference.span.kind": "AGENT"})
    bounded = (node(double) >> node(double)).named("bounded").declare(max_latency=2.0)
    flat = compile(marked >> bounded >> parallel(node(double), parallel(node(double), node(double)).declare(cost=0.5)))
    assert isinstance(flat.root, SeqOp)
    assert [c.name for c in flat.root.children][:2] == ["agent-like", "bounded"]
    par = flat.root.children[2]
    assert isinstance(par, ParOp) and len(par.children) == 2  # the declared inner parallel stays a branch
    assert flat.run_sync("5") == (80, (80, 80))


def test_typecheck_can_be_disabled() -> None:
    plan = compile(node(parse) >> node(shout), disable=["typecheck"])  # type: ignore[arg-type]
    assert re.search(r"typecheck +off \(disabled\)", plan.explain())


def test_explain_shows_tree_edge_types_and_passes() -> None:
    plan = compile(node(parse) >> node(double) >> node(to_text).cast(str) >> node(shout))
    text = plan.explain()
    lines = text.splitlines()
    assert lines[0].startswith("plan 'parse >> double >> to_text >> shout'  str -> str  fingerprint ")
    assert "├─ call 'parse'  str -> int  [async]" in text
    assert "├─ call 'double'  int -> int  [sync]" in text
    assert "│    ↓ int  (checked)" in text
    assert "cast 'to_text'  int -> str" in text
    assert "unchecked  cast of 'to_text': explicit cast" in text
    assert "└─ call 'shout'  str -> str  [async]" in text
    assert re.search(r"flatten +0 changes", text)  # `>>` built the chain flat already
    assert re.search(r"typecheck +4 edges: 3 checked, 1 unchecked", text)


def test_to_json_describes_every_op() -> None:
    plan = compile(sample_plan.build())
    data = json.loads(plan.to_json())
    assert data["format"] == "tta-plan/1"
    assert (data["in"], data["out"]) == ("str", "Summary")
    root = data["root"]
    assert root["kind"] == "seq" and [c["kind"] for c in root["children"]] == ["call", "par"]
    par = root["children"][1]
    assert par["params"] == {"layout": "Summary(0, 1)"}
    assert par["children"][0]["params"] == {"fn": "tests.fixtures.sample_plan.count", "mode": "sync", "context": False}
    assert all("location" in c for c in par["children"])
    assert data["fingerprint"] == plan.fingerprint()
    assert all(e["checked"] for e in data["edges"])


def test_fingerprint_is_stable_across_processes_and_tracks_structure() -> None:
    here = compile(sample_plan.build()).fingerprint()
    code = "from tests.fixtures import sample_plan; from tta_dev_primitives import compile; print(compile(sample_plan.build()).fingerprint())"
    root = Path(__file__).parents[2]
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert other.stdout.strip() == here
    changed = compile(sample_plan.build() >> node(lambda s: s)).fingerprint()
    assert changed != here
    assert compile(sample_plan.build(), disable="flatten").fingerprint() == here  # nothing to flatten


def test_plan_exposes_types_and_ops() -> None:
    plan = compile(node(parse) >> node(double))
    assert plan.input_type is str and plan.output_type is int
    assert [op.name for op in plan.ops()] == ["parse >> double", "parse", "double"]
    assert repr(plan) == "<Plan 'parse >> double' str -> int>"


@dataclass(frozen=True)
class _Pair:
    count: int
    text: str


def test_combine_with_a_constructor_of_the_wrong_arity_fails_at_compile_time() -> None:
    three = combine(_Pair, node(parse), node(shout), node(shout))  # type: ignore[call-overload]
    with pytest.raises(CompositionError, match=r"passes 3 branch results to .*_Pair\(count, text\).*too many"):
        compile(three)
    one = combine(lambda a, b, c: (a, b, c), node(parse), node(shout))  # type: ignore[misc]
    with pytest.raises(CompositionError, match=r"passes 2 branch results to .*missing a required argument: 'c'"):
        compile(one)
    assert compile(combine(_Pair, node(parse), node(shout))).run_sync("12") == _Pair(12, "12")


def test_a_plan_checks_its_input_at_the_boundary() -> None:
    plan = compile(node(parse) >> node(double))
    with pytest.raises(InputTypeError, match=r"plan 'parse >> double' takes str but was run on int \(5\)"):
        plan.run_sync(5)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="takes str but was run on list"):
        plan.run_sync(["21"], backend="trio")  # type: ignore[arg-type]
    assert plan.run_sync("21") == 42
    token = object()
    assert compile(node(lambda x: x)).run_sync(token) is token  # unannotated input: nothing to check


class _Animal:
    pass


class _Dog(_Animal):
    pass


def test_branch_out_declares_the_shared_result_type_and_the_compiler_checks_the_arms() -> None:
    async def dog(name: str) -> _Dog:
        return _Dog()

    async def count(name: str) -> int:
        return len(name)

    plan = compile(branch(lambda name: name == "rex", node(dog), node(dog), out=_Animal))
    assert plan.output_type is _Animal
    with pytest.raises(TypeMismatchError, match=r"(?s)otherwise result of branch.*int is not assignable to _Animal"):
        compile(branch(lambda name: name == "rex", node(dog), node(count), out=_Animal))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"branch: invalid out=.Animal.; expected a type"):
        branch(lambda name: True, node(dog), node(dog), out="Animal")  # type: ignore[call-overload]


_T = TypeVar("_T")
_F = TypeVar("_F", bound=float)


def _trace(value: _T) -> _T:
    return value


def _wrap(value: _T) -> list[_T]:
    return [value]


def _first(values: list[_T]) -> _T:
    return values[0]


def _halve(value: _F) -> _F:
    return value


def test_generic_steps_take_their_types_from_the_step_before_and_are_checked() -> None:
    plan = compile(node(parse) >> _trace >> node(double))
    trace_op = plan.root.children[1]
    assert (trace_op.in_type, trace_op.out_type) == (int, int)
    assert all(report.checked for report in plan.edges)
    assert compile(node(parse) >> _wrap >> _first >> node(double)).output_type is int
    with pytest.raises(TypeMismatchError, match=r"(?s)returns list\[int\].*expects int"):
        compile(node(parse) >> _wrap >> node(double))  # type: ignore[operator]
    with pytest.raises(TypeMismatchError, match=r"str is not assignable to float"):  # outside the bound
        compile(node(shout) >> _halve)  # type: ignore[operator]
    assert compile(node(parse) >> _trace >> node(double)).run_sync("4") == 8


def test_generic_steps_inside_parallels_maps_and_wrappers_are_specialized_too() -> None:
    async def numbers(text: str) -> list[int]:
        return [int(c) for c in text]

    fanned = compile(node(parse) >> parallel(node(_trace), node(double)) >> node(lambda pair: pair[0]))
    par = fanned.root.children[1]
    assert (par.in_type, par.out_type) == (int, tuple[int, int])
    assert (par.children[0].in_type, par.children[0].out_type) == (int, int)
    mapped = compile(node(numbers) >> for_each(node(_wrap)))
    assert mapped.output_type == list[list[int]]
    wrapped = compile(node(parse) >> node(_trace).retry(max_attempts=2) >> node(double))
    assert wrapped.root.children[1].out_type is int and all(r.checked for r in wrapped.edges)
    with pytest.raises(TypeMismatchError, match=r"(?s)returns list\[int\].*expects int"):
        compile(node(parse) >> node(_wrap).retry(max_attempts=2) >> node(double))
    assert fanned.run_sync("3") == 3 and mapped.run_sync("12") == [[1], [2]]
