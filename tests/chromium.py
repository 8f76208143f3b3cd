"""Debian's Chromium for every real-browser test (tests/browser, tests/site, tests/hub) and bench/browser_latency.

Flags: headless as root; no background networking, component updates, sync or QUIC, since this machine's closed
network refuses those connections (many at a time) and Chromium would retry them during the tests.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

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


def loopback_only(context) -> list[str]:
    """Refuse every request of a Playwright browser context that leaves 127.0.0.1; returns the list the refused
    addresses are recorded in (a page that needs the network shows up there)."""
    outside: list[str] = []

    def guard(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return outside
