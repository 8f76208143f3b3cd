"""What the website tests share (imported by tests/site/conftest.py and the test modules): the pages the site must
have, the paths, the browser sizes, the scripts run in a page, and the site's own modules (docs/site/*.py)."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
SITE_SOURCES = REPO / "docs" / "site"
ARTIFACTS = REPO / "test-artifacts" / "site"
HERE = Path(__file__).parent
PAGE_FACTS = (HERE / "page_facts.js").read_text(encoding="utf-8")  # what a page renders (at 1280 px)
PAGE_LAYOUT = (HERE / "page_layout.js").read_text(encoding="utf-8")  # sideways scroll, wide boxes, cut equations
WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}

LESSONS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
EXERCISES = sorted(p.stem for p in (REPO / "exercises").glob("*.ipynb"))
DOCS = ["docs/instructors", "bench/results"]
DOCS += ["docs/errata"] if (REPO / "docs" / "errata.md").exists() else []
PAGES = (
    ["index"] + [f"notebooks/{n}" for n in LESSONS] + [f"exercises/{n}" for n in EXERCISES] + DOCS
    + ["genindex", "search"]
)
SOURCES = {f"notebooks/{n}": REPO / "notebooks" / f"{n}.ipynb" for n in LESSONS}
SOURCES |= {f"exercises/{n}": REPO / "exercises" / f"{n}.ipynb" for n in EXERCISES}
SOURCES |= {page: REPO / f"{page}.md" for page in DOCS}


@functools.cache
def load_site_module(name: str):
    """Import docs/site/<name>.py once (the site's build script and link generator are not part of the package)."""
    spec = importlib.util.spec_from_file_location(f"bplab_site_{name}", SITE_SOURCES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def set_mode(page, mode: str) -> None:
    """Light or dark, as the theme's own switch sets it (CSS follows the html element's data-theme at once)."""
    page.evaluate("m => { localStorage.setItem('mode', m); localStorage.setItem('theme', m); "
                  "document.documentElement.dataset.mode = m; document.documentElement.dataset.theme = m; }", mode)


def watch_for_errors(page) -> list[str]:
    """A list that gathers the page's JavaScript errors, console errors, HTTP errors and failed loopback requests
    (requests leaving the loopback server are aborted on purpose and recorded apart)."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("console", lambda msg: problems.append(f"console error: {msg.text}") if msg.type == "error" else None)
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}")
            if urlsplit(r.url).hostname == "127.0.0.1" else None)
    return problems
