"""Build-time validation of primitive settings: one helper per kind of constraint."""

from __future__ import annotations

import math

from .errors import ConfigError

__all__ = [
    "check_bool",
    "check_finite_non_negative",
    "check_finite_positive",
    "check_fraction",
    "check_int",
    "check_name",
    "check_non_negative",
    "check_optional_positive",
    "check_positive",
]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_bool(owner: str, field: str, value: object) -> bool:
    """Only True or False: `bool("no")` is True, so nothing is coerced."""
    if not isinstance(value, bool):
        raise ConfigError(owner, field, "True or False", value)
    return value


def check_int(owner: str, field: str, value: object, *, minimum: int) -> int:
    """`value` if it is an int (not a bool) of at least `minimum`; else ConfigError naming `owner` and `field`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(owner, field, f"an int >= {minimum}", value)
    return value


def check_positive(owner: str, field: str, value: object) -> float:
    """`value` as a float if it is a number > 0 (not a bool, not NaN); else ConfigError."""
    if not _is_number(value) or not value > 0:  # type: ignore[operator]
        raise ConfigError(owner, field, "a number > 0", value)
    return float(value)  # type: ignore[arg-type]


def check_non_negative(owner: str, field: str, value: object) -> float:
    """`value` as a float if it is a number >= 0 (not a bool, not NaN); else ConfigError."""
    if not _is_number(value) or not value >= 0:  # type: ignore[operator]
        raise ConfigError(owner, field, "a number >= 0", value)
    return float(value)  # type: ignore[arg-type]


def check_optional_positive(owner: str, field: str, value: object) -> float | None:
    """None, or `value` checked as `check_positive`."""
    return None if value is None else check_positive(owner, field, value)


def check_fraction(owner: str, field: str, value: object) -> float:
    """`value` as a float if it is a number from 0 to 1; else ConfigError."""
    if not _is_number(value) or not 0.0 <= value <= 1.0:  # type: ignore[operator]
        raise ConfigError(owner, field, "a number in [0, 1]", value)
    return float(value)  # type: ignore[arg-type]


def check_finite_non_negative(owner: str, field: str, value: object) -> float:
    """A finite number >= 0 (costs, latencies): NaN compares False with everything, so a NaN
    limit would silently never trigger."""
    if not _is_number(value) or not 0 <= value < math.inf:  # type: ignore[operator]
        raise ConfigError(owner, field, "a finite number >= 0", value)
    return float(value)  # type: ignore[arg-type]


def check_finite_positive(owner: str, field: str, value: object) -> float:
    """A finite number > 0 (a timeout: NaN or infinity would never expire)."""
    if not _is_number(value) or not 0 < value < math.inf:  # type: ignore[operator]
        raise ConfigError(owner, field, "a finite number > 0", value)
    return float(value)  # type: ignore[arg-type]


_CONTROL_CHARACTERS = frozenset(map(chr, [*range(0x20), 0x7F]))


def check_name(owner: str, field: str, value: object) -> str:
    """A name for a node, plan or cache scope: a non-empty str without control characters (they
    end up in span names, metric labels, log lines and generated code's file names)."""
    if not isinstance(value, str) or not value or not _CONTROL_CHARACTERS.isdisjoint(value):
        raise ConfigError(owner, field, "a non-empty str without control characters", value)
    return value
