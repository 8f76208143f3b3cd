"""Fixtures of the real-browser widget tests: one JupyterLab server and one headless Chromium per run.

The server runs from this virtual environment (``sys.executable -m jupyter lab``) on a free loopback
port with a random token. Its root is a temporary copy of ``notebooks/``, so a run never writes into
the repository, and its config dir is a fresh temporary folder, so the learner's own Jupyter settings
play no part. News, update checks and the extension manager's PyPI lookups are switched off: the
tests need no network beyond loopback.

axe-core, the accessibility checker, comes from npm (version pinned in tests/chromium.py), installed into
build/axe-node on first use, as the hub rehearsal installs its proxy; without npm these tests skip (or fail where
``BPLAB_REQUIRE_BROWSER=1``).

The server and the page helpers live in lab_driver.py (bench/browser_latency.py uses them too).
Chromium is Debian's (``apt-get install chromium``), driven by the ``playwright`` Python package
through ``executable_path``: no browser is downloaded. Without either, these tests skip with a
message saying how to install Chromium; every other test still runs. Where ``BPLAB_REQUIRE_BROWSER=1``
(``.ci/run`` sets it), a browser that cannot run fails the run instead.

``BPLAB_BROWSER_NOTEBOOKS=/some/folder`` points the tests at another folder of notebooks
(used while developing the tests themselves).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import chromium
import pytest
from lab_driver import CHROMIUM_ARGS, LabServer, find_chromium, missing_browser

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = Path(os.environ.get("BPLAB_BROWSER_NOTEBOOKS", REPO / "notebooks")).resolve()
ARTIFACTS = REPO / "test-artifacts" / "browser"


def _cannot_run(reason: str):
    """Skip on a learner's machine; fail where the browser is required (CI sets BPLAB_REQUIRE_BROWSER=1)."""
    if os.environ.get("BPLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"BPLAB_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    reason = missing_browser()
    if reason:
        _cannot_run(reason)
    return find_chromium()


@pytest.fixture(scope="session")
def lab_server(chromium_path):
    """One JupyterLab server for the whole run (xdist --dist loadscope keeps this module on one worker)."""
    workdir = Path(tempfile.mkdtemp(prefix="bplab-browser-"))
    server = LabServer(NOTEBOOKS_DIR, workdir)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the whole run.

    Playwright gives every launch a fresh, temporary user data dir, deleted on close.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _new_tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda msg: msg.type == "error" and tab.console_errors.append(msg.text))
    tab.on("pageerror", lambda err: tab.console_errors.append(str(err)))
    return context, tab


@pytest.fixture
def page(browser, lab_server):
    """A fresh browser tab (own cookies and storage); every kernel is shut down afterwards."""
    context, tab = _new_tab(browser)
    try:
        yield tab
    finally:
        context.close()
        lab_server.shutdown_kernels()


@pytest.fixture
def page2(browser, lab_server):
    """A second fresh tab, in its own browser context, for a second interface side by side."""
    context, tab = _new_tab(browser)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def axe_script(chromium_path) -> str:
    """axe-core's script (pinned in tests/chromium.py), installed from npm into build/axe-node on first use."""
    try:
        return chromium.ensure_axe()
    except (RuntimeError, subprocess.SubprocessError) as error:
        _cannot_run(f"axe-core could not be installed: {error}")


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
