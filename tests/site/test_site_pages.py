"""The course website in a real browser: every page renders, offline.

For each page: a title, no output of a failed cell and no build error box, math typeset by the local MathJax (no
error box, no raw TeX left), every image loaded, every explorer shown as its PNG (no widget placeholder), no
broken internal link or missing asset, no JavaScript error, and no request to any host but the loopback server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from chromium import loopback_only  # tests/chromium.py

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "site"

LESSONS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
EXERCISES = sorted(p.stem for p in (REPO / "exercises").glob("*.ipynb"))
DOCS = ["docs/instructors", "bench/results"] + (["docs/errata"] if (REPO / "docs" / "errata.md").exists() else [])
PAGES = (
    ["index"] + [f"notebooks/{n}" for n in LESSONS] + [f"exercises/{n}" for n in EXERCISES] + DOCS
    + ["genindex", "search"]
)
SOURCES = {f"notebooks/{n}": REPO / "notebooks" / f"{n}.ipynb" for n in LESSONS}
SOURCES |= {f"exercises/{n}": REPO / "exercises" / f"{n}.ipynb" for n in EXERCISES}
SOURCES |= {page: REPO / f"{page}.md" for page in DOCS}

# Run in the page once it has loaded: everything the checks need, as JSON-able data.
PAGE_FACTS = (Path(__file__).parent / "page_facts.js").read_text(encoding="utf-8")


def _has_math(source: Path) -> bool:
    if source.suffix == ".ipynb":
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = source.read_text(encoding="utf-8")
    return re.search(r"\$[^$\n]+\$", text) is not None


class LinkChecker:
    """Internal links resolved against the built files: the page exists, and so does the #fragment."""

    def __init__(self, html_dir: Path, base: str):
        self.html_dir = html_dir
        self.base = base
        self._ids: dict[Path, set[str]] = {}

    def ids(self, path: Path) -> set[str]:
        if path not in self._ids:
            text = path.read_text(encoding="utf-8", errors="replace")
            self._ids[path] = set(re.findall(r'\bid="([^"]+)"', text))
        return self._ids[path]

    def problem(self, href: str) -> str | None:
        if not href.startswith(self.base):
            return None  # external (Binder, a hub, documentation): not followed here
        parts = urlsplit(href)
        path = unquote(parts.path).lstrip("/")
        target = self.html_dir / (path + "index.html" if path.endswith("/") or not path else path)
        if not target.is_file():
            return f"{href}: no such file"
        if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in self.ids(target):
            return f"{href}: no element with id {parts.fragment!r}"
        return None


def _real_failure(request) -> bool:
    return urlsplit(request.url).hostname == "127.0.0.1"  # others are aborted on purpose and recorded apart


@pytest.fixture(scope="module")
def page_factory(browser, site_url):
    """New pages that abort and record any request leaving the loopback server, and record errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = loopback_only(context)

    def open_page(path: str):
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("console", lambda msg: problems.append(f"console error: {msg.text}") if msg.type == "error" else None)
        page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}") if _real_failure(r) else None)
        page.goto(f"{site_url}/{path}", wait_until="load")
        return page, problems

    yield open_page, outside
    context.close()


def test_every_page_is_built(site_html):
    built = {p.relative_to(site_html).with_suffix("").as_posix() for p in site_html.rglob("*.html")
             if not p.relative_to(site_html).as_posix().startswith("_static/")}
    assert built == set(PAGES), f"unexpected: {sorted(built - set(PAGES))}, missing: {sorted(set(PAGES) - built)}"
    for notebook in [p for p in PAGES if p.startswith(("notebooks/", "exercises/"))]:
        assert (site_html / f"{notebook}.ipynb").is_file(), f"download target of {notebook} missing"


@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders(page_name, page_factory, site_html, site_url):
    open_page, outside = page_factory
    page, problems = open_page(f"{page_name}.html")
    facts = page.evaluate(PAGE_FACTS)
    page.close()
    source = SOURCES.get(page_name)

    assert facts["title"].endswith("bplab · backpropagation"), f"{page_name}: title {facts['title']!r}"
    if page_name not in ("genindex", "search"):  # Sphinx's own pages: a title, no heading of ours
        assert facts.get("h1"), f"{page_name}: no title heading"
        assert facts["title"].startswith(facts["h1"]), f"{page_name}: <title> {facts['title']!r} vs h1 {facts['h1']!r}"
    assert facts["bad_outputs"] == [], f"{page_name}: error output on the page: {facts['bad_outputs']}"

    if source is not None and _has_math(source):
        assert facts["math_count"] > 0, f"{page_name}: its source has $...$ math but the page has none"
    if facts["math_count"]:
        assert facts["mathjax_ready"], f"{page_name}: MathJax (local copy) did not load"
        assert facts["mathjax_version"].startswith("3."), facts["mathjax_version"]
        assert facts["untypeset"] == [], f"{page_name}: math not typeset: {facts['untypeset'][:5]}"
        assert facts["math_errors"] == [], f"{page_name}: TeX errors: {facts['math_errors'][:5]}"
    assert facts["raw_tex"] == [], f"{page_name}: raw TeX left in the text: {facts['raw_tex'][:5]}"

    assert facts["broken_images"] == [], f"{page_name}: images that did not load: {facts['broken_images']}"
    if page_name.startswith("notebooks/"):
        assert facts["image_count"] > 0, f"{page_name}: a lesson page without a single figure"
        assert facts["explorers"], f"{page_name}: no explorer output found (every lesson has sliders)"
        for explorer in facts["explorers"]:
            assert explorer["images"] >= 1, f"{page_name}: {explorer['code']} shows no picture: {explorer['text']!r}"
    if page_name.startswith(("notebooks/", "exercises/")):
        kinds = {cls.split("-")[-1]: href for cls, href in facts["run_box"]}
        assert set(kinds) == {"colab", "binder", "hub", "download"}, f"{page_name}: run box links {facts['run_box']}"
        assert kinds["download"] == page_name.split("/")[-1] + ".ipynb"

    checker = LinkChecker(site_html, site_url)
    broken = sorted({p for p in map(checker.problem, facts["links"]) if p})
    assert broken == [], f"{page_name}: broken internal links: {broken}"
    assert problems == [], f"{page_name}: {problems}"
    assert outside == [], f"requests left the loopback server: {outside[:5]}"


def test_screenshots(page_factory):
    """The landing page and one lesson, wide and on a phone, for a person to look at (test-artifacts/site/)."""
    open_page, outside = page_factory
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = [
        ("index.html", "landing.png", {"width": 1280, "height": 900}, True),
        ("notebooks/04-a-single-neuron.html", "lesson-04.png", {"width": 1280, "height": 900}, False),
        ("notebooks/01-derivatives-and-the-chain-rule.html", "lesson-01-phone.png", {"width": 390, "height": 844},
         False),
    ]
    for path, name, viewport, full_page in shots:
        page, problems = open_page(path)
        page.set_viewport_size(viewport)
        page.wait_for_function("!document.querySelector('.math') || (window.MathJax && MathJax.startup)")
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => 1) : 1")
        if name.startswith("lesson-04"):  # an explorer's first frame, as the static page shows it
            page.locator("div.cell", has_text="explorer(").last.scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / name, full_page=full_page)
        page.close()
        assert problems == [], f"{path}: {problems}"
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"{name}: the screenshot looks empty"
    assert outside == []
