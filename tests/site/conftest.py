"""Fixtures of the website tests: the site built once per run (docs/site/build.py, as `make site` does), served
from a loopback HTTP server, and one headless Chromium (Debian's, driven by Playwright; no browser download).

Without Chromium or Playwright the browser tests skip with a message; where ``BPLAB_REQUIRE_BROWSER=1``
(``.ci/run`` sets it) they fail instead. ``BPLAB_SITE_OUT=/some/folder`` builds into another folder
(default: build/site, the folder `make site` uses, so its MyST-NB execution cache is shared).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import sys
import threading
import time
from pathlib import Path

import pytest
from chromium import CHROMIUM_ARGS, find_chromium, missing_browser  # tests/chromium.py

REPO = Path(__file__).resolve().parents[2]
SITE_SOURCES = REPO / "docs" / "site"
ARTIFACTS = REPO / "test-artifacts" / "site"



def load_site_module(name: str):
    """Import docs/site/<name>.py (the site's build script and link generator are not part of the package)."""
    spec = importlib.util.spec_from_file_location(f"bplab_site_{name}", SITE_SOURCES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _cannot_run(reason: str):
    if os.environ.get("BPLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"BPLAB_REQUIRE_BROWSER=1 but the site's browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def site_html() -> Path:
    """Build the site (executing every lesson, or reusing MyST-NB's cache); return the folder of its pages."""
    build = load_site_module("build")
    out = Path(os.environ.get("BPLAB_SITE_OUT", REPO / "build" / "site"))
    start = time.perf_counter()
    html = build.build(out, jobs=2)
    seconds = time.perf_counter() - start
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cached = "with" if (out / "jupyter_cache").exists() else "without"
    (ARTIFACTS / "build-time.txt").write_text(f"site built in {seconds:.1f} s ({cached} an execution cache)\n")
    return html


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a page closed mid-transfer (BrokenPipeError) is not an error
        pass


@pytest.fixture(scope="session")
def site_url(site_html):
    """The built site served on a free loopback port."""
    handler = functools.partial(_QuietHandler, directory=str(site_html))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    why = missing_browser()
    if why:
        _cannot_run(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
