"""Fixtures of the website tests: the site built once per run (docs/site/build.py, as `make site` does), served
from a loopback HTTP server, and one headless Chromium (Debian's, driven by Playwright; no browser download).
Each page is visited once (`page_report`): what it renders, axe-core's findings in light and dark mode, and its
layout at 1280 px and on a phone (390 px); the tests read that report.

Without Chromium or Playwright the browser tests skip with a message; where ``BPLAB_REQUIRE_BROWSER=1``
(``.ci/run`` sets it) they fail instead. ``BPLAB_SITE_OUT=/some/folder`` builds into another folder
(default: build/site, the folder `make site` uses, so its MyST-NB execution cache is shared).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
import time
from pathlib import Path

import pytest
from chromium import (  # tests/chromium.py
    AXE_PACKAGE,
    CHROMIUM_ARGS,
    axe_violations,
    ensure_axe,
    find_chromium,
    loopback_only,
    missing_browser,
)
from site_pages import (  # tests/site/site_pages.py
    ARTIFACTS,
    PAGE_FACTS,
    PAGE_LAYOUT,
    PHONE,
    REPO,
    WIDE,
    load_site_module,
    set_mode,
    watch_for_errors,
)


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


# In dark mode only the rules that read colours run again: the page is the same document, only its colours change.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
# The mode is read before and after (axe runs over several event-loop turns): a colour measured in another mode
# than the one asked for is the harness's error, not the page's.
AXE_COLOURS = """async ([rules]) => {
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));  // the new mode drawn
    const before = document.documentElement.dataset.theme;
    const found = await axe.run(document, {runOnly: {type: 'rule', values: rules}, resultTypes: ['violations']});
    return {modes: [before, document.documentElement.dataset.theme],
            violations: found.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                    nodes: v.nodes.map(n => n.html.slice(0, 200))}))};
}"""


def colour_violations(page, mode: str, problems: list[str]) -> list[dict]:
    """axe-core's colour rules with the page in ``mode``; measured again once if the mode changed meanwhile."""
    for _ in range(2):
        set_mode(page, mode)
        found = page.evaluate(AXE_COLOURS, [COLOUR_RULES])
        if found["modes"] == [mode, mode]:
            return found["violations"]
    problems.append(f"the page left {mode} mode while axe-core measured its colours: {found['modes']}")
    return found["violations"]


def _layout(page, resize: dict | None = None) -> dict:
    marked = page.evaluate("() => window.bplabMarked || 0")
    if resize:
        page.set_viewport_size(resize)
        page.wait_for_function(f"() => (window.bplabMarked || 0) > {marked}")  # bplab.js re-marks wide boxes
    return page.evaluate(PAGE_LAYOUT)


@pytest.fixture(scope="session")
def axe_script():
    try:
        return ensure_axe()
    except (RuntimeError, OSError) as error:  # no npm, or no network for its first install
        _cannot_run(f"axe-core ({AXE_PACKAGE}) cannot be installed: {error}")


@pytest.fixture(scope="session")
def page_report(browser, site_url, axe_script):
    """``page_report(name)``: the page ``name`` (``notebooks/04-a-single-neuron``), visited once per run:

    ``facts`` (tests/site/page_facts.js, at 1280 px in light mode), ``problems`` (JavaScript and console errors, HTTP
    errors), ``outside`` (requests that left the loopback server), ``install_cell`` (the install cell's first line
    is on the page), ``axe`` ({"light": [...], "dark": [...]}: axe-core's violations on the whole page, theme
    included: every WCAG 2.1 A/AA and best-practice rule in light mode, the colour rules again in dark mode),
    ``layout`` ({"wide": ..., "phone": ...}: tests/site/page_layout.js at 1280 and 390 px).
    Axe's findings of every page go to test-artifacts/site/axe-light.json and axe-dark.json at the end of the run.
    """
    first_line = load_site_module("install_cell").FIRST_LINE  # the install cell's first line
    context = browser.new_context(viewport=WIDE)
    outside = loopback_only(context)
    reports: dict[str, dict] = {}

    def report(name: str) -> dict:
        if name in reports:
            return reports[name]
        page = context.new_page()
        problems = watch_for_errors(page)
        before = len(outside)
        page.goto(f"{site_url}/{name}.html", wait_until="load")
        facts = page.evaluate(PAGE_FACTS)  # waits for MathJax and every image
        # Colours switch at once when the mode changes (axe must not measure a colour halfway through a transition).
        page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
        result = {"facts": facts, "problems": problems, "install_cell": first_line in facts.pop("text"),
                  "axe": {}, "layout": {}}
        result["axe"]["light"] = axe_violations(page, "html", axe_script)  # the whole page: theme and content
        result["axe"]["dark"] = colour_violations(page, "dark", problems)
        set_mode(page, "light")
        result["layout"]["wide"] = _layout(page)
        result["layout"]["phone"] = _layout(page, resize=PHONE)
        page.close()
        result["outside"] = outside[before:]
        reports[name] = result
        return result

    yield report
    context.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for mode in ("light", "dark"):
        found = {name: r["axe"][mode] for name, r in sorted(reports.items())}
        (ARTIFACTS / f"axe-{mode}.json").write_text(json.dumps({"axe": AXE_PACKAGE, "pages": found}, indent=1))
