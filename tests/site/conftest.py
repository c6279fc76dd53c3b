"""Fixtures for the browser tests of the built website (``pytest -m browser tests/site``).

``python3 tasks.py test`` builds the site, installs Debian's ``chromium`` if needed and runs
these tests with ``DLNOTES_SITE=_build/html``. The site is served from a local HTTP server;
every request that leaves it is blocked and recorded, so the tests also prove that the site
reads with no network (only launch links, which are never fetched, point elsewhere).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from site_pages import SITE

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    if not (SITE / "index.html").is_file():
        pytest.skip(f"no built site in {SITE}: `python3 tasks.py test` builds it and runs these")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = os.environ.get("DLNOTES_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        pytest.skip("no chromium: `python3 tasks.py test` installs Debian's chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@dataclass
class Visit:
    """A page opened with the network cut: what it logged and what it tried to fetch."""

    page: Any
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    failed_local: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser: Any, base_url: str) -> Iterator[Any]:
    contexts = []

    def open_page(path: str, width: int = 1280) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        v = Visit(page)

        def route(r: Any) -> None:
            if r.request.url.startswith(base_url):
                r.continue_()
            else:
                v.external.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda e: v.errors.append(f"uncaught: {e}"))
        page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response",
            lambda r: (
                v.failed_local.append(f"{r.status} {r.url}")
                if r.url.startswith(base_url) and r.status >= 400
                else None
            ),
        )
        page.on(
            "requestfailed",
            lambda r: (
                v.failed_local.append(f"failed {r.url}") if r.url.startswith(base_url) else None
            ),
        )
        page.goto(base_url + path, wait_until="networkidle")
        # MathJax typesets after load; wait until it says it is done.
        page.wait_for_function(
            "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)", timeout=10000
        )
        page.evaluate("() => window.MathJax && MathJax.startup.promise")
        return v

    yield open_page
    for c in contexts:
        c.close()
