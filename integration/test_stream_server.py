"""The streaming web demo in a real browser: examples/stream_server.py runs on 127.0.0.1 and
Debian's headless Chromium, driven by Playwright, asks a question and watches tokens and node
states arrive over Server-Sent Events."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from servers import free_port, require_binary, running

ROOT = Path(__file__).parent.parent


VENDORED = ROOT / "examples" / "static" / "mermaid.min.js"


@pytest.fixture(scope="session")
def mermaid_js() -> Path:
    """examples/static/mermaid.min.js, vendored from npm by `make mermaid` (as `make demo` does):
    the page is served it by default, with nothing loaded from elsewhere."""
    if not VENDORED.is_file():
        require_binary("npm", "npm")
        make = require_binary("make", "make")
        proc = subprocess.run([make, "--no-print-directory", "mermaid"], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return VENDORED


@pytest.fixture
def server(mermaid_js: Path) -> Iterator[str]:
    """The demo as a user starts it: no --mermaid-js, no TTA_MERMAID_JS, run from elsewhere (no
    ./node_modules to fall back on)."""
    pytest.importorskip("uvicorn", reason="the web demo needs the 'web' extra")
    port = free_port()
    argv = [sys.executable, str(ROOT / "examples" / "stream_server.py"), "--port", str(port)]
    with running(argv, ready="Uvicorn running", env={"TTA_MERMAID_JS": ""}, cwd=mermaid_js.parent):
        yield f"http://127.0.0.1:{port}"


def _local_only(page: Any, elsewhere: list[str]) -> None:
    """Every request the page makes to a host other than 127.0.0.1 fails (and is noted): the
    page must draw its graph offline. (`context.set_offline(True)` would cut 127.0.0.1 too.)"""

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            request_route.continue_()
        else:
            elsewhere.append(url)
            request_route.abort()

    page.route("**/*", route)


def test_the_graph_is_drawn_offline_from_the_vendored_mermaid(server: str) -> None:
    chromium = require_binary("chromium", "chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    elsewhere: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            _local_only(page, elsewhere)
            page.goto(server)
            page.wait_for_selector("body[data-graph=ready]", timeout=30_000)
            svgs = page.locator("#graph svg").count()
            labels = (page.locator("#graph svg").text_content() or "") if svgs else ""
            missing_note = page.locator("#no-mermaid").count()
        finally:
            browser.close()
    assert elsewhere == []  # the page asked for nothing beyond the demo's server
    assert svgs == 1 and missing_note == 0  # mermaid drew the plan: an SVG, not the Mermaid text
    for label in ("clean", "retrieve", "fake-small stream", "summarize", "input: str", "output: Summary"):
        assert label in labels, labels


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
            elsewhere: list[str] = []
            _local_only(page, elsewhere)
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

    assert elsewhere == []
    assert answer.strip() == expected.strip()
    assert status == "(ok)"
    states = [state for node_id, state in marks if node_id == stream_id]
    # tokens arrived while the model's node was running, and it finished after the last one
    assert states[0] == "running" and states[-1] == "done" and states.count("chunk") == len(expected.split(" "))
    assert [m for m in marks if m[0] == ops["summarize"]] == [[ops["summarize"], "running"], [ops["summarize"], "done"]]
    assert graph_classes is not None and "done" in graph_classes  # the graph node itself was highlighted
    assert (tmp_path / "stream_server.png").stat().st_size > 10_000
