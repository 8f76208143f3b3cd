"""Debian's Chromium for every real-browser test (tests/browser, tests/site, tests/hub) and bench/browser_latency.

Flags: headless as root; no background networking, component updates, sync or QUIC, since this machine's closed
network refuses those connections (many at a time) and Chromium would retry them during the tests.
"""

from __future__ import annotations

import shutil

INSTALL_HINT = "install Debian's chromium (sudo apt-get install chromium) to run the browser tests"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def find_chromium() -> str | None:
    """Path of the system Chromium, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_browser() -> str | None:
    """Why the browser cannot run here (no Chromium, no playwright package), or None when it can."""
    if find_chromium() is None:
        return f"chromium not found: {INSTALL_HINT}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"the playwright package is missing (pip install -e '.[test]'); {INSTALL_HINT}"
    return None
