"""Settings are validated when a node, primitive or plan is built, with our ConfigError naming the
field: names without control characters, finite budgets and declarations, boolean flags."""

from __future__ import annotations

import math

import pytest

from tta_dev_primitives import Budget, ConfigError, RateLimiter, Retry, compile, node


@pytest.mark.parametrize("name", ["step\x00one", "two\nlines", "bell\x07", ""])
def test_names_with_control_characters_are_rejected_when_built(name: str) -> None:
    with pytest.raises(ConfigError, match="name"):
        node(lambda x: x, name=name)
    with pytest.raises(ConfigError, match="name"):
        compile(node(lambda x: x, name="ok"), name=name)


def test_nan_budgets_and_declarations_are_rejected() -> None:
    with pytest.raises(ConfigError, match="max_cost"):
        Budget(max_cost=math.nan)
    with pytest.raises(ConfigError, match="max_latency"):
        Budget(max_latency=math.inf)
    with pytest.raises(ConfigError, match="cost"):
        node(lambda x: x, name="llm").declare(cost=math.nan)
    with pytest.raises(ConfigError, match="max_latency"):
        node(lambda x: x, name="llm").declare(max_latency=math.nan)


def test_flags_must_be_booleans() -> None:
    with pytest.raises(ConfigError, match="jitter"):
        Retry(jitter="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="wait"):
        RateLimiter(1, wait="no")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="strict"):
        compile(node(lambda x: x, name="a"), strict="yes")  # type: ignore[arg-type]
