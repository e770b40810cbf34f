"""What the documentation's examples print is what the pages say they print (every block runs and
type checks: tests/docs/test_doc_blocks.py)."""

from __future__ import annotations

import re

import pytest

from tests.docs.conftest import ROOT, RunBlock, page_text


def _first_block_under(relative: str, heading: str) -> str:
    section = page_text(relative).split(heading, 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"{relative} has no python block under {heading!r}"
    return match.group(1)


def _printed(run_doc_block: RunBlock, code: str) -> str:
    """What a block prints (it must run: tests/docs/test_doc_blocks.py shares the run)."""
    proc = run_doc_block(code)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("relative", ["README.md", "docs/index.md"])
def test_quick_start_runs(relative: str, run_doc_block: RunBlock) -> None:
    printed = _printed(run_doc_block, _first_block_under(relative, "## Quick start"))
    assert "plan 'normalize >> ... >> <lambda> ? greet : answer (3 steps)'" in printed
    assert "1 passage(s) for 'what is a plan?'" in printed


def test_the_first_plan_of_getting_started_prints_42(run_doc_block: RunBlock) -> None:
    printed = _printed(run_doc_block, _first_block_under("docs/getting-started.md", "## Your first plan"))
    assert printed.splitlines()[-1] == "42"
    assert "call 'double'  int -> int" in printed


def _agents_example() -> tuple[str, str]:
    text = page_text("docs/guides/agents.md")
    match = re.search(r"```python\n(.*?)```\n\nprints[^\n]*(?:\n[^\n]+)*\n\n```\n(.*?)```", text, re.S)
    assert match, "the Agents guide has no python block followed by its output"
    return match.group(1), match.group(2)


def test_the_agents_example_prints_what_the_guide_says(run_doc_block: RunBlock) -> None:
    code, output = _agents_example()
    assert _printed(run_doc_block, code) == output


def test_the_agents_budget_claim_holds() -> None:
    code, _ = _agents_example()
    namespace: dict[str, object] = {}
    exec(code.replace("asyncio.run(main())", ""), namespace)  # noqa: S102 - the guide's own snippet
    from tta_dev_primitives import Budget, BudgetError, compile

    with pytest.raises(BudgetError, match=r"worst-case cost \$0.018 exceeds the budget of \$0.005"):  # 4 turns, 3 attempts each
        compile(namespace["advisor"], budget=Budget(max_cost=0.005))  # type: ignore[call-overload]


def test_the_streaming_examples_print_what_they_say(run_doc_block: RunBlock) -> None:
    blocks = re.findall(r"```python\n(.*?)```", page_text("docs/guides/streaming.md"), re.S)
    assert len(blocks) >= 2, "the streaming guide lost its examples"
    printed = [_printed(run_doc_block, code).splitlines() for code in blocks[:2]]
    assert printed[0] == ["Tokens arrive. ", "Sentences form. ", "The plan streams them.", "8 words"]
    assert any(line.startswith("fake-small stream 0 Events") for line in printed[1])
    assert any(re.match(r"#\d+ ask >> fake-small stream: ok in [\d.]+ ms", line) for line in printed[1])


def test_the_durable_runs_snippet_prints_what_it_says(run_doc_block: RunBlock) -> None:
    code = _first_block_under("docs/guides/durable.md", "# Durable runs")
    assert _printed(run_doc_block, code) == "crediting 40\nclosed\n"


def test_the_scale_out_example_prints_what_the_guide_says(run_doc_block: RunBlock) -> None:
    pytest.importorskip("distributed")
    match = re.search(r"```python\n(.*?)```\n\nprints `(\d+)` twice", page_text("docs/guides/scale-out.md"), re.S)
    assert match, "the Scale-out guide has no python block followed by what it prints"
    assert _printed(run_doc_block, match.group(1)).split() == [match.group(2)] * 2


def test_the_explain_sample_is_what_the_cli_prints_for_the_quickstart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's annotated EXPLAIN is `tta-primitives explain examples/quickstart.py:pipeline`,
    run from the repository root, line numbers and fingerprint included."""
    import contextlib
    import io

    from tta_dev_primitives.cli import main

    section = page_text("docs/guides/explain.md").split("## How to read `plan.explain()`", 1)[1]
    match = re.search(r"```\n(plan 'qa'.*?)```", section, re.S)
    assert match, "the explain guide lost its annotated sample"
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["explain", "examples/quickstart.py:pipeline"], out=out) == 0
    # the fingerprint counts the module a function is in, and a file target's private module name
    # hashes the file's absolute path: it differs between checkouts, everything else may not
    fingerprint = re.compile(r"fingerprint [0-9a-f]{16}")
    assert fingerprint.sub("fingerprint F", out.getvalue()) == fingerprint.sub("fingerprint F", match.group(1))


def test_the_flush_example_prints_what_the_observability_guide_says(run_doc_block: RunBlock) -> None:
    pytest.importorskip("opentelemetry.sdk")
    code = _first_block_under("docs/guides/observability.md", "### Flush before a script exits")
    assert _printed(run_doc_block, code) == "42\n['OK']\n"


def test_the_trace_detail_example_prints_what_the_observability_guide_says(run_doc_block: RunBlock) -> None:
    pytest.importorskip("opentelemetry.sdk")
    code = _first_block_under("docs/guides/observability.md", "### What a trace shows")
    assert _printed(run_doc_block, code) == "11\n['count', 'fetch', 'ingest', 'ingest >> count', 'strip']\n"


def test_the_resumed_run_example_prints_what_the_observability_guide_says(run_doc_block: RunBlock) -> None:
    pytest.importorskip("opentelemetry.sdk")
    code = _first_block_under("docs/guides/observability.md", "### Durable runs: a resumed run links to where it started")
    printed = "published\nTrue {'workflow.link': 'resumed_from', 'workflow.run_id': 'post-1'}\npost-1 True\nTrue\n"
    assert _printed(run_doc_block, code) == printed


def test_the_migration_guide_example_prints_what_the_guide_says(run_doc_block: RunBlock) -> None:
    page = page_text("docs/guides/migrating.md")
    code, shown = re.findall(r"```python\n(.*?)```\n\nprints what the original prints:\n\n```text\n(.*?)```", page, re.S)[0]
    assert _printed(run_doc_block, code) == shown


def test_the_enhanced_metrics_example_prints_what_the_observability_guide_says(run_doc_block: RunBlock) -> None:
    code = _first_block_under("docs/guides/observability.md", "### Percentiles, SLOs and error budgets")
    assert _printed(run_doc_block, code) == "3 True 1.0\n['tta_primitive_slo_compliant{primitive=\"answer\"} 1.0']\n"
