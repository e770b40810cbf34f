"""What the README's examples print is what they say they print (every block runs and type
checks: tests/docs/test_readme_blocks.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.conftest import RunBlock

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()


def _quick_start() -> str:
    section = README.split("## Quick start", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has no python block under 'Quick start'"
    return match.group(1)


def _printed(run_readme_block: RunBlock, code: str) -> str:
    """What a README block prints (it must run: tests/docs/test_readme_blocks.py shares the run)."""
    proc = run_readme_block(code)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_quick_start_runs(run_readme_block: RunBlock) -> None:
    printed = _printed(run_readme_block, _quick_start())
    assert "plan 'normalize >> ... >> <lambda> ? greet : answer (3 steps)'" in printed
    assert "1 passage(s) for 'what is a plan?'" in printed


def _agents_example() -> tuple[str, str]:
    section = README.split("## Agents", 1)[1]
    match = re.search(r"```python\n(.*?)```\n\nprints[^\n]*\n[^\n]*\n\n```\n(.*?)```", section, re.S)
    assert match, "README's Agents section has no python block followed by its output"
    return match.group(1), match.group(2)


def test_the_agents_example_prints_what_the_readme_says(run_readme_block: RunBlock) -> None:
    code, output = _agents_example()
    assert _printed(run_readme_block, code) == output


def test_the_agents_budget_claim_holds() -> None:
    code, _ = _agents_example()
    namespace: dict[str, object] = {}
    exec(code.replace("asyncio.run(main())", ""), namespace)  # noqa: S102 - the README's own snippet
    from tta_dev_primitives import Budget, BudgetError, compile

    with pytest.raises(BudgetError, match=r"worst-case cost \$0.006 exceeds the budget of \$0.005"):
        compile(namespace["advisor"], budget=Budget(max_cost=0.005))  # type: ignore[call-overload]


def test_the_streaming_examples_print_what_they_say(run_readme_block: RunBlock) -> None:
    section = README.split("## Streaming and events", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 2, "README's streaming section lost its examples"
    printed = [_printed(run_readme_block, code).splitlines() for code in blocks[:2]]
    assert printed[0] == ["Tokens arrive. ", "Sentences form. ", "The plan streams them.", "8 words"]
    assert any(line.startswith("fake-small stream 0 Events") for line in printed[1])
    assert any(re.match(r"#\d+ ask >> fake-small stream: ok in [\d.]+ ms", line) for line in printed[1])
    # both type check: tests/docs/test_readme_blocks.py


def test_the_durable_runs_snippet_prints_what_it_says(run_readme_block: RunBlock) -> None:
    section = README.split("## Durable runs", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README has no python block under 'Durable runs'"
    assert _printed(run_readme_block, match.group(1)) == "crediting 40\nclosed\n"


def test_the_scale_out_example_prints_what_the_readme_says(run_readme_block: RunBlock) -> None:
    pytest.importorskip("distributed")
    section = README.split("## Scale-out", 1)[1]
    match = re.search(r"```python\n(.*?)```\n\nprints `(\d+)` twice", section, re.S)
    assert match, "README's Scale-out section has no python block followed by what it prints"
    assert _printed(run_readme_block, match.group(1)).split() == [match.group(2)] * 2
