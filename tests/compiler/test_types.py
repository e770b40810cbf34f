"""Runtime assignability: the compiler's check of every edge from annotations.

No `from __future__ import annotations` here: TypedDict only sees NotRequired in real annotations.
"""


from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, NewType, NotRequired, Optional, Protocol, TypedDict, TypeVar, Union

import attrs
import pytest

from tta_dev_primitives.compiler._types import format_type, is_assignable, most_specific, union_of
from tta_dev_primitives.dsl import UNKNOWN


class Animal: ...


class Dog(Animal): ...


@attrs.frozen
class Doc:
    text: str
    score: float


class HasText(Protocol):
    text: str


class Speaks(Protocol):
    def speak(self) -> str: ...


class Parrot:
    def speak(self) -> str:
        return "hi"


class Movie(TypedDict):
    title: str
    year: int


class MovieWithRating(TypedDict):
    title: str
    year: int
    rating: float


class LooseMovie(TypedDict):
    title: str
    year: NotRequired[int]


UserId = NewType("UserId", int)
T = TypeVar("T")
Bounded = TypeVar("Bounded", bound=Animal)

CASES: list[tuple[object, object, bool | None]] = [
    # classes, promotions, object
    (Dog, Animal, True),
    (Animal, Dog, False),
    (int, float, True),
    (float, int, False),
    (bool, int, True),
    (str, object, True),
    (Doc, Doc, True),
    (Doc, str, False),
    # generics with variance
    (list[int], list[int], True),
    (list[bool], list[int], False),  # list is invariant
    (list[bool], Sequence[int], True),  # Sequence is covariant
    (list[int], Iterable[int], True),
    (dict[str, int], Mapping[str, float], True),
    (dict[str, int], dict[str, float], False),
    (dict[str, int], Mapping[bytes, int], False),
    (list[str], list, True),
    (list, list[int], None),  # bare generic is list[Any]
    (set[int], Sequence[int], False),
    # tuples
    (tuple[int, str], tuple[int, str], True),
    (tuple[int, str], tuple[int, int], False),
    (tuple[int, int], tuple[int, ...], True),
    (tuple[int, ...], tuple[int, int], False),
    (tuple[bool, int], Sequence[int], True),
    (tuple[int, str], tuple[int], False),
    # unions and Optional
    (int, Optional[int], True),
    (None, Optional[int], True),
    (Optional[int], int, False),
    (Union[int, str], Union[str, int, bytes], True),
    (int | str, int, False),
    (Dog | None, Animal | None, True),
    # Literal
    (Literal["a", "b"], str, True),
    (Literal["a"], Literal["a", "b"], True),
    (Literal["c"], Literal["a", "b"], False),
    (str, Literal["a"], False),
    (Literal[1], int, True),
    (Literal[True], Literal[1], False),
    # TypedDict (structural)
    (MovieWithRating, Movie, True),
    (Movie, MovieWithRating, False),
    (Movie, LooseMovie, False),  # required-ness differs
    (Movie, Mapping[str, object], True),
    (Movie, dict[str, object], False),
    (dict[str, object], Movie, False),
    # Protocols (structural)
    (Doc, HasText, True),
    (Parrot, Speaks, True),
    (Dog, Speaks, False),
    # NewType
    (UserId, int, True),
    (int, UserId, False),
    (UserId, UserId, True),
    # Any, unknown, type variables
    (Any, int, None),
    (int, Any, None),
    (UNKNOWN, int, None),
    (int, UNKNOWN, None),
    (T, int, None),
    (Bounded, Animal, True),
    (Bounded, Dog, False),
    # type[] and Callable
    (type[Dog], type[Animal], True),
    (type[Animal], type[Dog], False),
    (Callable[[Animal], Dog], Callable[[Dog], Animal], True),
    (Callable[[Dog], Dog], Callable[[Animal], Dog], False),
    (Callable[[int], int], Callable[[int, int], int], False),
]


@pytest.mark.parametrize(("src", "dst", "expected"), CASES, ids=[f"{format_type(s)}->{format_type(d)}" for s, d, _ in CASES])
def test_is_assignable(src: object, dst: object, expected: bool | None) -> None:
    assert is_assignable(src, dst) is expected


@pytest.mark.parametrize(
    ("tp", "text"),
    [
        (list[int], "list[int]"),
        (Optional[int], "int | None"),
        (dict[str, Doc], "dict[str, Doc]"),
        (Literal["a", 1], "Literal['a', 1]"),
        (Callable[[int], str], "Callable[[int], str]"),
        (UNKNOWN, "?"),
        (Any, "Any"),
        (UserId, "UserId"),
        (tuple[int, ...], "tuple[int, ...]"),
        (Sequence[int], "Sequence[int]"),
    ],
)
def test_format_type_reads_like_source(tp: object, text: str) -> None:
    assert format_type(tp) == text


def test_union_of_and_most_specific() -> None:
    assert union_of([int, int]) is int
    assert union_of([int, str]) == Union[int, str]
    assert union_of([int, UNKNOWN]) is UNKNOWN
    assert most_specific([Animal, Dog, object]) is Dog
    assert most_specific([UNKNOWN, int]) is int
    assert most_specific([UNKNOWN]) is UNKNOWN
