"""Building nodes: type inference, names, locations, and clear errors for bad input."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator

import pytest

from tta_dev_primitives import (
    BuildError,
    ConfigError,
    CycleError,
    Node,
    RunContext,
    branch,
    combine,
    compile,
    const,
    for_each,
    node,
    node_with,
    parallel,
)
from tta_dev_primitives.dsl import UNKNOWN, Chain, FunctionNode


async def parse(text: str) -> int:
    return int(text)


def double(x: int) -> int:
    return x * 2


async def with_ctx(x: int, ctx: RunContext) -> str:
    return ctx.correlation_id


def line_of_next_statement() -> int:
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


def test_node_infers_types_from_async_and_sync_functions() -> None:
    a, b, c = node(parse), node(double), node(with_ctx)
    assert isinstance(a, FunctionNode) and isinstance(b, FunctionNode) and isinstance(c, FunctionNode)
    assert (a.info.in_type, a.info.out_type, a.info.is_async, a.info.arity) == (str, int, True, 1)
    assert (b.info.in_type, b.info.out_type, b.info.is_async) == (int, int, False)
    assert (c.info.in_type, c.info.out_type, c.info.arity) == (int, str, 2)


def test_zero_argument_function_ignores_input() -> None:
    async def now() -> float:
        return 1.5

    n = node(now)
    assert isinstance(n, FunctionNode)
    assert n.info.arity == 0 and n.info.in_type is object


def test_names_default_to_function_name_and_can_be_overridden() -> None:
    assert node(parse).name == "parse"
    assert node(parse, name="parser").name == "parser"
    renamed = node(parse).named("p2")
    assert renamed.name == "p2" and node(parse).name == "parse"
    assert (node(parse) >> node(double)).name == "parse >> double"


def test_every_node_records_where_it_was_built() -> None:
    line = line_of_next_statement()
    built = node(parse) >> node(double)
    assert built.location.file == __file__
    assert built.location.line == line
    assert str(built.location).endswith(f"test_dsl.py:{line}")


def test_decorator_form_records_definition_site() -> None:
    line = line_of_next_statement()

    @node
    async def decorated(x: int) -> int:
        return x

    assert decorated.location.line == line + 1  # the `@node` line


@pytest.mark.parametrize("bad", [5, "text", None])
def test_non_callable_is_rejected_naming_what_was_given(bad: object) -> None:
    with pytest.raises(BuildError, match=r"expected a callable .* got " + type(bad).__name__):
        node(bad)  # type: ignore[call-overload]


def test_async_generator_is_rejected() -> None:
    async def stream(x: int) -> AsyncIterator[int]:
        yield x

    with pytest.raises(BuildError, match=r"'stream' is an async generator function"):
        node(stream)


def test_generator_is_rejected() -> None:
    def items(x: int) -> Iterator[int]:
        yield x

    with pytest.raises(BuildError, match=r"'items' is a generator function"):
        node(items)


def test_extra_required_parameters_are_rejected() -> None:
    def two_inputs(a: int, b: int) -> int:
        return a + b

    with pytest.raises(BuildError, match=r"'two_inputs' requires parameters \['b'\]"):
        node(two_inputs)  # type: ignore[arg-type]


def test_node_of_a_node_is_rejected() -> None:
    with pytest.raises(BuildError, match="already a Node"):
        node(node(parse))  # type: ignore[call-overload]


def test_unannotated_lambda_is_allowed_and_explain_says_unchecked() -> None:
    loose: Node[int, int] = node(lambda x: x + 1)
    assert isinstance(loose, FunctionNode)
    assert loose.info.in_type is UNKNOWN and loose.name == "<lambda>"
    plan = compile(node(double) >> loose >> node(double))
    assert plan.run_sync(1) == 6
    text = plan.explain()
    assert "unchecked: consumer input not annotated" in text
    assert "unchecked: producer output not annotated" in text


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_map_concurrency_must_be_positive_int(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"map\(double\): invalid concurrency=") as info:
        for_each(node(double), concurrency=bad)  # type: ignore[arg-type]
    assert info.value.field == "concurrency" and info.value.node == "map(double)"


def test_method_map_validates_concurrency_too() -> None:
    def split(text: str) -> list[str]:
        return text.split()

    with pytest.raises(ConfigError, match="concurrency"):
        node(split).map(node(len), concurrency=0)


def test_empty_parallel_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"parallel: invalid branches=\[\]; expected at least one node"):
        parallel()  # type: ignore[call-overload]


def test_parallel_branch_that_is_not_a_node_names_its_position() -> None:
    with pytest.raises(BuildError, match=r"parallel branch 1: expected a Node or a callable, got int"):
        parallel(node(double), 7)  # type: ignore[call-overload]


def test_combine_requires_callable_constructor() -> None:
    with pytest.raises(BuildError, match="combiner must be callable"):
        combine("nope", node(double), node(double))  # type: ignore[call-overload]


def test_branch_accepts_plain_predicate_function() -> None:
    chosen = branch(lambda x: x > 1, node(double), node(double))
    assert compile(chosen).run_sync(3) == 6


def test_cycle_is_reported_with_the_path() -> None:
    loop: Chain[int, int] = Chain((node(double), node(double)), name="loop")
    loop._items.append(loop)  # only possible by mutating a node's internals after building it
    loop._count += 1
    with pytest.raises(CycleError, match=r"cycle in the workflow graph: 'loop' .* -> 'loop'"):
        compile(loop)


def test_a_node_containing_itself_under_its_default_name_is_a_cycle_not_a_recursion_error() -> None:
    loop = node(double) >> node(double)
    assert isinstance(loop, Chain)
    loop._items.append(loop)
    loop._count += 1
    with pytest.raises(CycleError, match=r"cycle in the workflow graph: 'double >> double >> <Chain containing itself>'"):
        compile(loop)


def test_name_must_be_a_non_empty_string() -> None:
    with pytest.raises(ConfigError, match="name"):
        node(parse).named("")


def _translate(text: str, lang: str, *, formal: bool = False) -> str:
    return f"{lang}{'!' if formal else ''}:{text}"


async def _fetch(url: str, timeout: float) -> bytes:
    return f"{url}@{timeout}".encode()


def test_node_with_binds_every_parameter_but_the_input() -> None:
    french = node_with(_translate, "fr", formal=True)
    plan = compile(french)
    assert (plan.input_type, plan.output_type) == (str, str)
    assert plan.run_sync("hi") == "fr!:hi"
    assert french.name == "_translate"
    fetching = compile(node_with(_fetch, timeout=2.0))
    assert fetching.run_sync("u") == b"u@2.0"
    assert (fetching.input_type, fetching.output_type) == (str, bytes)
    with pytest.raises(BuildError, match=r"node_with\(_translate\): missing a required argument: 'lang'"):
        node_with(_translate)  # type: ignore[call-overload]
    with pytest.raises(BuildError, match="must take the input as its first parameter"):
        node_with(lambda *values: values)
    with pytest.raises(BuildError, match=r"node_with\(max\): its signature cannot be read"):
        node_with(max, 3)  # type: ignore[call-overload]


class _Greeter:
    def __call__(self, name: str, punct: str) -> str:
        return f"hi {name}{punct}"

    def repeat(self, name: str, times: int) -> str:
        return name * times


def test_node_with_takes_callable_objects_and_bound_methods() -> None:
    greeter = _Greeter()
    assert compile(node_with(greeter, "!")).run_sync("bob") == "hi bob!"
    repeat = compile(node_with(greeter.repeat, 2))
    assert (repeat.input_type, repeat.run_sync("ab")) == (str, "abab")


@pytest.mark.parametrize(
    ("attribute", "how"),
    [
        ("run", "await plan.run(x)"),
        ("run_sync", "plan.run_sync(x)"),
        ("explain", "print(plan.explain())"),
        ("to_json", "plan.to_json()"),
        ("fingerprint", "plan.fingerprint()"),
        ("with_hooks", "plan.with_hooks(hook)"),
        ("lints", "plan.lints"),
    ],
)
def test_a_plan_method_asked_of_a_node_says_to_compile_it(attribute: str, how: str) -> None:
    doubler = node(double)
    with pytest.raises(AttributeError, match=r"node .double. is a node, not a plan; compile it first: `plan = compile\(node\)`") as info:
        getattr(doubler, attribute)
    assert how in str(info.value) and info.value.name == attribute and info.value.obj is doubler


def test_mapping_a_node_over_a_list_says_to_map_its_plan() -> None:
    from tta_dev_primitives import BuildError

    with pytest.raises(BuildError, match=r"got list \[1, 2\]; .*compile it first: `await compile\(node\)\.map\(items\)`"):
        node(double).map([1, 2])  # type: ignore[arg-type]


def test_other_missing_attributes_stay_plain_attribute_errors() -> None:
    doubler = node(double)
    with pytest.raises(AttributeError, match=r"^'FunctionNode' object has no attribute 'nmae'$"):
        doubler.nmae  # type: ignore[attr-defined]  # noqa: B018
    assert getattr(doubler, "missing", 7) == 7 and not hasattr(doubler, "explain")


def test_a_function_whose_wrapped_is_itself_still_makes_a_node() -> None:
    def same(x: int) -> int:
        return x

    same.__wrapped__ = same  # type: ignore[attr-defined]  # typing.get_type_hints would loop forever on it
    assert compile(node(same)).run_sync(3) == 3


def test_const_nodes_are_not_named_after_their_value() -> None:
    prompt = "contract of ACME"  # short values used to be the name itself
    assert prompt not in const(prompt).name and const(prompt).name == "const str"
    assert const(True).name == "True" and const(None).name == "None"  # bounded: kept readable
    assert compile(const(prompt) >> node(len, name="count")).name == "const str >> count"  # the plan's name too
