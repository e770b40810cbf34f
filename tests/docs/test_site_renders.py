"""The documentation site builds and renders in a browser: the site is built once per session
(`mkdocs build --strict`, as `make docs` does), served on 127.0.0.1, and opened in Debian's
headless Chromium through Playwright. The pages must render offline (no request leaves
127.0.0.1: no web fonts, no CDN), with their navigation, heading, highlighted code and search
box, and without console errors.

The screenshots in docs/images/ are rewritten only with REFRESH_SCREENSHOTS=1; otherwise the test
leaves them alone."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.docs.conftest import ROOT

SCREENSHOTS = {"": "site-home.png", "guides/agents.html": "site-agents.png"}
"""Pages to open (paths under the site's root) and the screenshot each refreshes in docs/images/."""


def _chromium() -> str:
    """Chromium's path; fails in CI (which installs it) and skips elsewhere when it is missing
    (the logic of integration/servers.py's require_binary)."""
    binary = shutil.which("chromium")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it (Debian package chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs these tests")
    return binary


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once per session as `make docs` builds it (warnings are errors); under
    `make test`, which has just run `make docs`, the site it built (TTA_BUILT_SITE)."""
    built = os.environ.get("TTA_BUILT_SITE")
    if built and (ROOT / built / "index.html").is_file():
        return ROOT / built
    pytest.importorskip("mkdocs", reason="the docs extra is not installed")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Served requests are not worth a line each in the test's output."""


@pytest.fixture(scope="session")
def served(site: Path) -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1 (a free port), served from a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_site_has_its_pages(site: Path) -> None:
    for page in ("index.html", "getting-started.html", "guides/agents.html", "benchmarks.html",
                 "reference/tta_dev_primitives.dsl.html", "search/search_index.json"):
        assert (site / page).is_file(), page
    assert "fonts.googleapis.com" not in (site / "index.html").read_text()


@pytest.mark.parametrize("path", list(SCREENSHOTS), ids=["home", "agents"])
def test_a_page_renders_offline_with_nav_code_and_search(path: str, served: str, tmp_path: Path) -> None:
    chromium = _chromium()
    playwright = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    outside: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))

            def only_local(route: Any) -> None:
                if route.request.url.startswith(served):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", only_local)
            page.goto(served + path, wait_until="networkidle")
            assert "tta-dev-primitives" in page.title()
            assert page.locator("nav.md-tabs").is_visible()  # the top-level sections
            assert page.locator("nav.md-nav--primary").count() == 1
            assert page.locator("article h1").first.is_visible()
            assert page.locator("div.highlight pre code span").count() > 10  # highlighted, not plain text
            assert page.locator("button.md-code__button").count() >= 1  # code copy
            shot = ROOT / "docs" / "images" / SCREENSHOTS[path] if os.environ.get("REFRESH_SCREENSHOTS") == "1" else tmp_path / "page.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            search = page.locator("input.md-search__input")
            assert search.is_visible()
            search.click()
            search.press_sequentially("agent")  # keystrokes: the search answers as you type
            page.locator(".md-search-result__item").first.wait_for(timeout=10_000)  # the index loads and answers
        finally:
            browser.close()
    assert outside == []  # rendered offline: no fonts, scripts or styles from elsewhere
    assert errors == []


def test_the_site_opened_from_disk_navigates(site: Path) -> None:
    """`build/site/index.html` opened as a file: the links name pages, not directories (which a
    browser shows as a listing without a web server)."""
    chromium = _chromium()
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto((site / "index.html").as_uri())
            page.locator("nav.md-tabs a", has_text="Getting started").click()
            page.wait_for_load_state()
            assert page.url.endswith("/getting-started.html")
            assert page.locator("article h1").first.inner_text().startswith("Getting started")
        finally:
            browser.close()
