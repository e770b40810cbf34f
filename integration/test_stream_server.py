"""The streaming web demo in a real browser: examples/stream_server.py runs on 127.0.0.1 and
Debian's headless Chromium, driven by Playwright, asks a question and watches tokens and node
states arrive over Server-Sent Events."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import free_port, require_binary, running

ROOT = Path(__file__).parent.parent
MERMAID = "node_modules/mermaid/dist/mermaid.min.js"


@pytest.fixture(scope="session")
def mermaid_js() -> Path:
    """mermaid.min.js from npm (the page draws the plan with it; the CDN is not reachable here)."""
    local = ROOT / MERMAID
    if local.is_file():
        return local
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tta-dev-primitives" / "npm"
    if not (cache / MERMAID).is_file():
        npm = require_binary("npm", "npm")
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "mermaid@11"], check=True, capture_output=True, timeout=600)
    return cache / MERMAID


@pytest.fixture
def server(mermaid_js: Path) -> Iterator[str]:
    pytest.importorskip("uvicorn", reason="the web demo needs the 'web' extra")
    port = free_port()
    argv = [sys.executable, str(ROOT / "examples" / "stream_server.py"), "--port", str(port), "--mermaid-js", str(mermaid_js)]
    with running(argv, ready="Uvicorn running"):
        yield f"http://127.0.0.1:{port}"


def test_tokens_and_node_states_appear_live_in_chromium(server: str, tmp_path: Path) -> None:
    chromium = require_binary("chromium", "chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from stream_server import build_plan, fake_answer, retrieve
    finally:
        sys.path.remove(str(ROOT / "examples"))
    plan = build_plan()
    ops = {op.name: op.node_id for op in plan.ops()}
    stream_id = next(op.node_id for op in plan.ops() if op.kind == "stream")
    question = "How do plans and streaming work?"
    expected = fake_answer(retrieve.fn(question))  # type: ignore[attr-defined]

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(server)
            page.wait_for_selector("body[data-graph=ready]", timeout=30_000)
            assert page.locator("#graph svg").count() == 1  # mermaid drew the plan
            page.fill("#q", question)
            page.click("button")
            page.wait_for_selector("body[data-finished=yes]", timeout=60_000)
            page.screenshot(path=str(tmp_path / "stream_server.png"), full_page=True)
            answer = page.inner_text("#answer")
            marks = page.evaluate("window.marks")
            status = page.inner_text("#status")
            graph_classes = page.evaluate(
                f"(() => {{ const el = document.querySelector('[data-id=\"n{stream_id}\"]') "
                f"|| document.querySelector('[id*=\"flowchart-n{stream_id}-\"]'); return el ? el.getAttribute('class') : null; }})()"
            )
        finally:
            browser.close()

    assert answer.strip() == expected.strip()
    assert status == "(ok)"
    states = [state for node_id, state in marks if node_id == stream_id]
    # tokens arrived while the model's node was running, and it finished after the last one
    assert states[0] == "running" and states[-1] == "done" and states.count("chunk") == len(expected.split(" "))
    assert [m for m in marks if m[0] == ops["summarize"]] == [[ops["summarize"], "running"], [ops["summarize"], "done"]]
    assert graph_classes is not None and "done" in graph_classes  # the graph node itself was highlighted
    assert (tmp_path / "stream_server.png").stat().st_size > 10_000
