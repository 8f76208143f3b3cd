"""Everyone can read the website: WCAG 2.1 AA as axe-core checks it, phones, keyboards, and the run box.

- axe-core (the pinned version of tests/chromium.py, from npm) on every page, theme included, in light mode (every
  WCAG 2.1 A/AA and best-practice rule) and dark mode (the colour rules: the rest is the same document): no critical
  or serious violation. Findings of every impact go to test-artifacts/site/axe-{light,dark}.json.
- No page scrolls sideways on a phone (390 px); a table or display equation wider than its room scrolls inside its
  own box, which can be focused (arrow keys), with a shadow on the edge with more to see and a "scroll sideways"
  hint; no equation is cut (at 1280 px and at 390 px).
- On a phone the menu button opens the list of lessons and the Contents button the page's sections.
- The run box: text at least 4.5:1 against its background in both modes; with a real course.toml (a sample, built
  once into a temporary folder) it links Colab, Binder and the hub; the install cell is never shown.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import pytest
from site_pages import ARTIFACTS, PAGES, PHONE, REPO, load_site_module, set_mode  # tests/site/site_pages.py

# Rules scoped out, each with the upstream issue that keeps it from being fixed here (none today).
SCOPED_OUT: dict[str, str] = {}
FAILING_IMPACTS = ("critical", "serious")
LESSON = "notebooks/04-a-single-neuron"


def _summary(violations: list[dict]) -> list[str]:
    return [f"{v['impact']} {v['id']} ({len(v['nodes'])}): {v['help']}; {v['nodes'][0]}" for v in violations]


@pytest.mark.parametrize("page_name", PAGES)
def test_axe_finds_no_serious_violation(page_name, page_report):
    axe = page_report(page_name)["axe"]
    for mode in ("light", "dark"):
        failing = [v for v in axe[mode] if v["impact"] in FAILING_IMPACTS and v["id"] not in SCOPED_OUT]
        assert failing == [], f"{page_name}, {mode} mode: axe-core finds {_summary(failing)}"


@pytest.mark.parametrize("page_name", PAGES)
def test_no_sideways_scroll_and_wide_boxes_scroll_inside_with_a_cue(page_name, page_report):
    layout = page_report(page_name)["layout"]
    phone = layout["phone"]
    assert phone["width"] == PHONE["width"]
    assert phone["overflow"] <= 0, (
        f"{page_name}: scrolls sideways by {phone['overflow']} px at {PHONE['width']} px: {phone['culprits']}")
    for width, found in layout.items():
        assert found["cut"] == [], f"{page_name} at {width} width: equations cut: {found['cut']}"
        for box in found["boxes"]:
            missing = [key for key in ("scrolls", "shadow", "hint", "focusable") if not box[key]]
            assert not missing, f"{page_name} at {width} width: a wide {box['kind']} lacks {missing}: {box['text']!r}"


def test_lesson_15s_contraction_inequality_scrolls_whole_at_1280(page_report):
    wide = page_report("notebooks/15-recurrent-backprop-to-a-fixed-point")["layout"]["wide"]
    equations = [box for box in wide["boxes"] if box["kind"] == "equation"]
    assert any("tanh" in box["text"] for box in equations), f"the inequality is not wider than its box? {equations}"
    assert wide["cut"] == []


def _open_phone_page(browser, site_url, path: str):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{site_url}/{path}", wait_until="load")
    return context, page


def test_phone_menu_and_contents_open(browser, site_url):
    """At 390 px, tapping the menu button shows the lessons; tapping Contents shows the page's sections."""
    context, page = _open_phone_page(browser, site_url, f"{LESSON}.html")
    try:
        menu = page.locator(".bd-header-article .primary-toggle")
        assert menu.is_visible(), "no visible menu button at 390 px"
        menu.tap()
        dialog = page.locator("#pst-primary-sidebar-modal")
        dialog.wait_for(state="visible", timeout=5000)
        lessons = dialog.locator("nav.bd-docs-nav a", has_text="01 · Derivatives and the chain rule")
        lessons.scroll_into_view_if_needed()
        assert lessons.is_visible(), "the menu opened but shows no lesson"
        assert dialog.locator("nav.bd-docs-nav a").count() >= 20
        page.screenshot(path=ARTIFACTS / "phone-menu-open.png")
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden", timeout=5000)

        contents = page.locator(".bd-header-article .secondary-toggle")
        assert contents.is_visible(), "no visible Contents button at 390 px"
        contents.tap()
        toc = page.locator("#pst-secondary-sidebar-modal")
        toc.wait_for(state="visible", timeout=5000)
        section = toc.locator("nav a", has_text="A neuron on 2-D data").first
        assert section.is_visible(), "Contents opened but shows no section of the page"
        page.screenshot(path=ARTIFACTS / "phone-contents-open.png")
    finally:
        context.close()


CONTRAST = """() => {
  const lum = c => { const v = c.match(/[\\d.]+/g).slice(0, 3).map(x => { x /= 255;
      return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const box = document.querySelector('.bplab-run');
  const bg = getComputedStyle(box).backgroundColor;
  return [...box.querySelectorAll('p, strong, a, code')].map(el => {
    const fg = getComputedStyle(el).color;
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    return [el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''), fg, bg,
            Math.round((a + 0.05) / (b + 0.05) * 100) / 100];
  });
}"""


def test_run_box_contrast_in_light_and_dark_mode(browser, site_url):
    """Every text of the run box at least 4.5:1 against the box (recorded in test-artifacts/site/)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    measured = {}
    try:
        for path in (LESSON, "exercises/05-losses-and-gradient-descent"):
            page = context.new_page()
            page.goto(f"{site_url}/{path}.html", wait_until="load")
            for mode in ("light", "dark"):
                set_mode(page, mode)
                ratios = page.evaluate(CONTRAST)
                measured[f"{path} ({mode})"] = ratios
                low = [r for r in ratios if r[3] < 4.5]
                assert low == [], f"{path}, {mode} mode: run box text below 4.5:1: {low}"
                if path == LESSON:
                    page.locator(".bplab-run").screenshot(path=ARTIFACTS / f"run-box-{mode}.png")
            page.close()
    finally:
        context.close()
    (ARTIFACTS / "run-box-contrast.json").write_text(json.dumps(measured, indent=1))


def test_wide_table_on_a_phone_scrolls_in_its_box(browser, site_url):
    """The instructor guide's first wide table at 390 px: a screenshot with its cue, then scrolled to its end."""
    context, page = _open_phone_page(browser, site_url, "docs/instructors.html")
    try:
        page.wait_for_timeout(400)
        frame = page.locator(".bplab-scroll-frame.bplab-wide:has(> .pst-scrollable-table-container)").first
        frame.evaluate("f => f.scrollIntoView({block: 'start'})")
        assert "bplab-more-right" in frame.get_attribute("class")
        page.screenshot(path=ARTIFACTS / "phone-wide-table.png")
        box = frame.locator("> .pst-scrollable-table-container")
        box.focus()
        page.keyboard.press("End")  # a focused box scrolls with the keyboard
        box.evaluate("b => b.scrollLeft = b.scrollWidth")
        page.wait_for_timeout(200)
        classes = frame.get_attribute("class")
        assert "bplab-more-left" in classes and "bplab-more-right" not in classes, classes
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


# ------------------------------------------------------------------------------------------------------------------
# The build's side: a real-looking course.toml gives real links; the placeholders give none, and a warning.

SAMPLE_COURSE = """\
[repository]
url = "https://github.com/teach-ml/bplab"
branch = "main"
release = "v{version}"

[binder]
url = "https://mybinder.org"

[hub]
url = "https://hub.teach-ml.example.edu"
app = "lab"
"""


def test_placeholder_addresses_warn_and_link_nothing(site_html):
    build = load_site_module("build")
    links = load_site_module("course_links")
    course = links.load()
    unset = links.placeholder_addresses(course)
    if not unset:
        pytest.skip("course.toml names real addresses: the sample build below checks the links")
    warning = build.placeholder_warning()
    assert warning and all(address in warning for address in unset)
    dead = sorted({f"{page.relative_to(site_html)}: {address}" for page in site_html.rglob("*.html")
                   for address in re.findall(r'href="([^"]*(?:your-org|your-hub)[^"]*)"', page.read_text())})
    assert dead == [], f"links to placeholder addresses: {dead[:5]}"
    index = (site_html / "index.html").read_text()
    assert "not configured for this site yet" in index


def test_a_real_course_toml_gives_real_links_and_hides_the_install_cell(site_html, tmp_path, monkeypatch):
    """One small build (a lesson, a set and the guides) with a sample course.toml, from a copy of the repository
    whose lesson starts with the install cell: the run box links Colab, Binder and the hub at the sample's
    addresses, the landing page too, and the install cell is not on the page."""
    build = load_site_module("build")
    links = load_site_module("course_links")
    install = load_site_module("install_cell")
    config = tmp_path / "course.toml"
    config.write_text(SAMPLE_COURSE)
    course = links.load(config)
    assert links.placeholder_addresses(course) == [] and build.placeholder_warning(config) is None

    repo = tmp_path / "repo"  # the notebooks as they will be: the install cell first (install_cell.py --write)
    lesson, exercise = "notebooks/00-start-here.ipynb", "exercises/01-chain-rule-and-numerical-derivatives.ipynb"
    for relative in (lesson, exercise):
        notebook = install.with_install_cell(json.loads((REPO / relative).read_text()), install.course_cell_source())
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text(install.dumps(notebook))
    for relative, _ in build.INSTRUCTOR_PAGES:
        if (REPO / relative).exists():
            (repo / relative).parent.mkdir(parents=True, exist_ok=True)
            (repo / relative).write_bytes((REPO / relative).read_bytes())
    monkeypatch.setattr(build, "REPO", repo)
    html = build.build(tmp_path / "site", course_file=config, cache=site_html.parent / "jupyter_cache")

    for relative in (lesson, exercise):
        page = (html / relative.replace(".ipynb", ".html")).read_text()
        found = dict(re.findall(r'<a class="bplab-run-(\w+)" href="([^"]+)"', page))
        assert found == {
            "colab": escape(links.colab_link(course, relative)),
            "binder": escape(links.binder_link(course, relative)),
            "hub": escape(links.nbgitpuller_link(course, relative)),
            "download": Path(relative).name,
        }, found
        assert "not configured" not in page
        assert "BPLAB_INSTALL_FROM" not in page, f"{relative}: the install cell is on the page"
    index = (html / "index.html").read_text()
    assert escape(links.binder_link(course)) in index
    assert escape(links.nbgitpuller_link(course)) in index
    assert "not configured" not in index
