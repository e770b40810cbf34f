"""Leaf outputs are checked against their declared return types at run time (on in tests, through
the package's pytest plugin): a wrong value fails at the node that produced it, naming it."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NewType, TypedDict, TypeVar

import pytest

from tta_dev_primitives import ConfigError, OutputTypeError, check_outputs, compile, node

pytestmark = pytest.mark.anyio


T = TypeVar("T")
UserId = NewType("UserId", int)


class Movie(TypedDict):
    title: str


async def test_a_node_returning_the_wrong_type_fails_naming_itself() -> None:
    def parse(text: str) -> int:
        return text  # type: ignore[return-value] - the bug a runtime check catches

    def shout(n: int) -> str:
        return str(n * 2)

    plan = compile(node(parse, name="parse") >> node(shout, name="shout"))
    with pytest.raises(OutputTypeError) as raised:
        await plan.run("21")
    error = raised.value
    assert error.node == "parse" and error.declared == "int" and error.actual == "str"
    assert "test_output_checks.py" in str(error) and "'21'" in str(error)


async def test_a_none_return_fails_at_its_producer_not_its_consumer() -> None:
    @node
    async def lookup(key: str) -> str:
        return None  # type: ignore[return-value]

    @node
    def length(text: str) -> int:
        return len(text)

    with pytest.raises(OutputTypeError, match="'lookup'.*declared to return str but returned None"):
        await compile(lookup >> length).run("k")


async def test_thread_nodes_are_checked_too() -> None:
    def blocking(x: int) -> str:
        return x  # type: ignore[return-value]

    with pytest.raises(OutputTypeError, match="blocking"):
        await compile(node(blocking, thread=True)).run(1)


@pytest.mark.parametrize(
    ("annotation", "good", "bad"),
    [
        (float, 1, "1"),  # an int is a float, as for mypy
        (int, True, 1.5),
        (int | None, None, "x"),
        (list[int], [1, 2], (1, 2)),  # the container is checked, not its items
        (dict[str, int], {}, []),
        (Literal["a", "b"], "a", "c"),
        (Literal[1], 1, True),
        (Annotated[str, "meta"], "s", 1),
        (UserId, 3, "3"),
        (Movie, {"title": "x"}, ["x"]),
        (tuple[int, ...], (1,), [1]),
        (type[int], bool, 1),
    ],
)
async def test_output_checks_cover_the_common_type_forms(annotation: object, good: object, bad: object) -> None:
    def make(value: object) -> object:
        return value

    make.__annotations__["return"] = annotation
    plan = compile(node(make))
    assert await plan.run(good) == good
    with pytest.raises(OutputTypeError):
        await plan.run(bad)


async def test_unverifiable_types_are_not_checked() -> None:
    def anything(x: int) -> Any:
        return "x"

    def generic(x: T) -> T:
        return x

    assert await compile(node(anything)).run(1) == "x"
    assert await compile(node(generic)).run("y") == "y"


async def test_output_checks_can_be_turned_off_and_are_validated() -> None:
    def parse(text: str) -> int:
        return text  # type: ignore[return-value]

    plan = compile(node(parse))
    check_outputs(False)
    try:
        assert await plan.run("1") == "1"  # the plan picks the setting up on its next run
    finally:
        check_outputs(True)
    with pytest.raises(OutputTypeError):
        await plan.run("1")
    with pytest.raises(ConfigError, match="check_outputs"):
        check_outputs("yes")  # type: ignore[arg-type]
