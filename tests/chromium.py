"""Debian's Chromium for every real-browser test (tests/browser, tests/site, tests/hub) and bench/browser_latency.

Flags: headless as root; no background networking, component updates, sync or QUIC, since this machine's closed
network refuses those connections (many at a time) and Chromium would retry them during the tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path
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


# --- axe-core: the accessibility rules engine, from npm, run in the page ------------------------------------------

REPO = Path(__file__).resolve().parents[1]
AXE_DIR = REPO / "build" / "axe-node"
AXE_PACKAGE = "axe-core@4.14.1"  # pinned: a new axe release may add rules; the counts reported are this version's
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def ensure_axe() -> str:
    """Path of axe.min.js, installed with npm into build/axe-node if not there yet (raises when npm is missing)."""
    import json
    import subprocess

    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    package = AXE_DIR / "node_modules" / "axe-core" / "package.json"
    wanted = AXE_PACKAGE.split("@")[-1]
    if not script.exists() or json.loads(package.read_text())["version"] != wanted:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm not found: install Node.js and npm (sudo apt-get install nodejs npm) to run axe")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", "--loglevel=error",
                        AXE_PACKAGE], check=True, capture_output=True, text=True, timeout=600)
    return str(script)


def axe_violations(page, selector: str, script: str) -> list[dict]:
    """axe-core's WCAG 2.1 A and AA (and best-practice) violations inside the elements matching `selector`.

    Returns one dict per rule violated: ``{"id", "impact", "help", "nodes": [html of each failing element]}``.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=script)
    return page.evaluate(
        """async ([selector, tags]) => {
            const result = await axe.run({include: [[selector]]}, {runOnly: {type: 'tag', values: tags},
                                                                    resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                nodes: v.nodes.map(n => n.html.slice(0, 200))}));
        }""",
        [selector, AXE_TAGS],
    )
