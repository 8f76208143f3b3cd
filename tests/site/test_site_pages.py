"""The course website in a real browser: every page renders, offline.

For each page: a title, no output of a failed cell and no build error box, math typeset by the local MathJax (no
error box, no raw TeX left), every image loaded and given an alt that says what it shows, every explorer shown as
its PNG with its readout underneath (no widget placeholder), no install cell, the run box's links (none to the
template's placeholder addresses), no broken internal link or missing asset, no JavaScript error, and no request to
any host but the loopback server. Accessibility and layout: tests/site/test_site_access.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from chromium import loopback_only  # tests/chromium.py
from site_pages import ARTIFACTS, PAGES, SOURCES, load_site_module, watch_for_errors  # tests/site/site_pages.py


def _has_math(source: Path) -> bool:
    if source.suffix == ".ipynb":
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = source.read_text(encoding="utf-8")
    text = re.sub(r"^[ \t]*(```|~~~).*?^[ \t]*\1", "", text, flags=re.M | re.S)  # code blocks ($set in a script)
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code
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


@pytest.fixture(scope="module")
def page_factory(browser, site_url):
    """New pages that abort and record any request leaving the loopback server, and record errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = loopback_only(context)

    def open_page(path: str):
        page = context.new_page()
        problems = watch_for_errors(page)
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


def alt_problem(src: str, alt: str | None) -> str | None:
    """Why an image's alt does not say what it shows (None when it does)."""
    if not alt or not alt.strip():
        return f"{src}: no alt"
    if alt == src or alt.endswith((".png", ".svg", ".jpg")) or "/_images/" in alt:
        return f"{src}: alt is a file name ({alt!r})"
    if alt.strip() in ("Picture", "image", "figure", "Plot"):
        return f"{src}: alt says nothing ({alt!r})"
    return None


@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders(page_name, page_report, site_html, site_url):
    report = page_report(page_name)
    facts, problems, outside = report["facts"], report["problems"], report["outside"]
    source = SOURCES.get(page_name)

    assert facts["title"].endswith("bplab · backpropagation"), f"{page_name}: title {facts['title']!r}"
    if page_name not in ("genindex", "search"):  # Sphinx's own pages: a title, no heading of ours
        assert facts.get("h1"), f"{page_name}: no title heading"
        assert facts["title"].startswith(facts["h1"]), f"{page_name}: <title> {facts['title']!r} vs h1 {facts['h1']!r}"
    assert facts["bad_outputs"] == [], f"{page_name}: error output on the page: {facts['bad_outputs']}"
    assert not report["install_cell"], f"{page_name}: shows the install cell (it should carry the remove-cell tag)"

    if source is not None and _has_math(source):
        assert facts["math_count"] > 0, f"{page_name}: its source has $...$ math but the page has none"
    if facts["math_count"]:
        assert facts["mathjax_ready"], f"{page_name}: MathJax (local copy) did not load"
        assert facts["mathjax_version"].startswith("3."), facts["mathjax_version"]
        assert facts["untypeset"] == [], f"{page_name}: math not typeset: {facts['untypeset'][:5]}"
        assert facts["math_errors"] == [], f"{page_name}: TeX errors: {facts['math_errors'][:5]}"
    assert facts["raw_tex"] == [], f"{page_name}: raw TeX left in the text: {facts['raw_tex'][:5]}"

    assert facts["broken_images"] == [], f"{page_name}: images that did not load: {facts['broken_images']}"
    bad_alts = [p for p in (alt_problem(src, alt) for src, alt in facts["images"]) if p]
    assert bad_alts == [], f"{page_name}: images without an alt that says what they show: {bad_alts[:5]}"
    if page_name.startswith("notebooks/"):
        assert facts["image_count"] > 0, f"{page_name}: a lesson page without a single figure"
        assert facts["explorers"], f"{page_name}: no explorer output found (every lesson has sliders)"
        for explorer in facts["explorers"]:
            assert explorer["images"] >= 1, f"{page_name}: {explorer['code']} shows no picture: {explorer['text']!r}"
            readout = explorer["readout"] or ""
            assert readout.startswith("Readout") and len(readout) > len("Readout of this first frame: ") + 2, (
                f"{page_name}: {explorer['code']} has no readout under its picture ({readout!r})")
    if page_name.startswith(("notebooks/", "exercises/")):
        check_run_box(page_name, facts)

    checker = LinkChecker(site_html, site_url)
    broken = sorted({p for p in map(checker.problem, facts["links"]) if p})
    assert broken == [], f"{page_name}: broken internal links: {broken}"
    assert problems == [], f"{page_name}: {problems}"
    assert outside == [], f"requests left the loopback server: {outside[:5]}"


def check_run_box(page_name: str, facts: dict) -> None:
    """The run box links what course.toml really configures, and says which are not configured yet."""
    links = load_site_module("course_links")
    course = links.load()
    unset = links.placeholder_addresses(course)
    kinds = {cls.split("-")[-1]: href for cls, href in facts["run_box"]}
    expected = {"download"}
    if course.repo_url not in unset:
        expected |= {"binder"} | ({"colab"} if links.colab_link(course) else set())
        expected |= set() if unset else {"hub"}
    assert set(kinds) == expected, f"{page_name}: run box links {facts['run_box']}, expected {sorted(expected)}"
    assert kinds["download"] == page_name.split("/")[-1] + ".ipynb"
    for address in unset:
        assert not any(address in href for href in kinds.values()), f"{page_name}: a dead link to {address}"
    text = " ".join(facts["run_box_text"].split())
    if unset:
        assert "is not configured for" in text and "yet" in text, f"{page_name}: run box says nothing of it: {text!r}"
    if page_name.startswith("exercises/"):
        assert "slider" not in text.lower(), f"{page_name}: the run box of a set speaks of sliders: {text!r}"


def test_screenshots(page_factory):
    """The landing page and one lesson, wide and on a phone, for a person to look at (test-artifacts/site/)."""
    open_page, outside = page_factory
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = [
        ("index.html", "landing.png", {"width": 1280, "height": 900}, True),
        ("notebooks/04-a-single-neuron.html", "lesson-04.png", {"width": 1280, "height": 900}, False),
        ("notebooks/01-derivatives-and-the-chain-rule.html", "lesson-01-phone.png", {"width": 390, "height": 844},
         False),
        ("notebooks/15-recurrent-backprop-to-a-fixed-point.html", "lesson-15-equation.png",
         {"width": 1280, "height": 900}, False),
    ]
    for path, name, viewport, full_page in shots:
        page, problems = open_page(path)
        page.set_viewport_size(viewport)
        page.wait_for_function("!document.querySelector('.math') || (window.MathJax && MathJax.startup)")
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => 1) : 1")
        if name.startswith("lesson-04"):  # an explorer's first frame, as the static page shows it, and its readout
            page.locator("figure.bplab-snapshot").last.evaluate("f => f.scrollIntoView({block: 'end'})")
        if name.startswith("lesson-15"):  # the contraction inequality, wider than its box: a shadow and a hint
            page.wait_for_function("() => (window.bplabMarked || 0) >= 2")
            page.locator(".bplab-scroll-frame:has(div.math)", has_text="tanh").first.evaluate(
                "f => f.scrollIntoView({block: 'center'})")
        page.screenshot(path=ARTIFACTS / name, full_page=full_page)
        page.close()
        assert problems == [], f"{path}: {problems}"
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"{name}: the screenshot looks empty"
    assert outside == []
