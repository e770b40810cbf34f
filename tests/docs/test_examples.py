"""The example workflows run end to end on the embedded defaults (fake models, in-memory stores)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import anyio
import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"
NAMES = [
    "quickstart",
    "rag_workflow",
    "agentic_rag_workflow",
    "cost_tracking_workflow",
    "streaming_workflow",
    "multi_agent_workflow",
    "agent_tools",
    "structured_extraction",
]


def _load(name: str) -> object:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    module = _load(name)
    anyio.run(module.main)  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert out.strip()
    expected = {
        "quickstart": "Hello bob!",
        "rag_workflow": "In short: Retries use full-jitter",
        "agentic_rag_workflow": "grounded=True",
        "cost_tracking_workflow": "refused: LLM budget of $0.005 exhausted",
        "streaming_workflow": "3 sentences",
        "multi_agent_workflow": "- fact checker: notes on check facts",
        "agent_tools": "answer: TripAdvice(city='Oslo', pack_umbrella=True, budget_nok=3450.0",
        "structured_extraction": "total 409.50 EUR",
    }[name]
    assert expected in out


def test_there_are_five_example_workflows_besides_the_quickstart() -> None:
    assert len(list(EXAMPLES.glob("*_workflow.py"))) == 5


def test_the_agent_example_shows_its_bound_transcript_and_cost(capsys: pytest.CaptureFixture[str]) -> None:
    anyio.run(_load("agent_tools").main)  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert "worst-case LLM calls 6" in out and "tools 'tools(weather, population, to_nok)'" in out
    assert "tool      error: to_nok: invalid arguments" in out  # the bad argument went back to the model
    assert "cost: gpt-4o-mini calls=4" in out


def test_the_durable_example_waits_resumes_in_another_process_and_credits_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    def run(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, str(EXAMPLES / "durable_refund.py"), "--journal", str(tmp_path / "refunds.db"), *args],
            capture_output=True, text=True, timeout=60, check=True,
        )
        return proc.stdout

    first = run()
    assert "crediting 40 for order-17 (idempotency key refund-order-17/4)" in first
    assert "waiting for 'approve refund': Claim(order='order-17', amount=40)" in first
    assert run() == "waiting for 'approve refund': Claim(order='order-17', amount=40)\n"  # nothing ran again
    assert run("--approve", "no") == "reversing credit cr-order-17\nrefund refused by the support lead (the credit was reversed)\n"
    assert run("--approve", "no") == "run 'refund-order-17' is not waiting for an approval\n"
    assert run("--run-id", "other").count("crediting") == 1
    assert run("--run-id", "other", "--approve", "yes") == "refund closed, approved by the support lead\n"
