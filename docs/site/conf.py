"""Sphinx configuration of the course website: `make site` (docs/site/build.py) stages the sources and builds it.

Sphinx + MyST-NB + sphinx-book-theme (the engine of Jupyter Book 1): installs from PyPI and builds offline.
"""

import hashlib
import os
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent
sys.path[:0] = [str(SITE), str(SITE / "_ext")]

from course_links import load  # noqa: E402

COURSE = load(os.environ.get("BPLAB_COURSE_CONFIG") or SITE / "course.toml")  # build.py --course FILE sets it
STATIC_EXTRA = os.environ.get("BPLAB_SITE_STATIC")  # the local MathJax copy, staged by build.py

project = "bplab"
author = "the bplab authors"
copyright = "the bplab authors, MIT license"
html_title = "bplab · backpropagation"
root_doc = "index"
extensions = ["myst_nb", "bplab_site"]
exclude_patterns = ["**/.ipynb_checkpoints"]
suppress_warnings = ["myst.header"]  # lessons start sections at ## under a # title; skipping a level is fine

# Notebooks: executed at build time (cached by content in build/site/jupyter_cache), a failing cell fails the build.
# Exercise sets are shown as handed out: not executed (their answer cells raise NotImplementedError).
nb_execution_mode = "cache"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_excludepatterns = ["exercises/*"]
nb_merge_streams = True
# Explorers carry a PNG of their first frame beside the widget view: show the PNG. No widget manager from a CDN.
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
]
nb_ipywidgets_js = {}

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Math: a local MathJax 3 (tex-svg-full.js: TeX in, SVG out, every TeX extension and the glyphs inside one file, so
# nothing else is fetched), staged by build.py from the sphinx-mathjax-offline package. No request leaves the server.
mathjax_path = "mathjax/tex-svg-full.js"

html_theme = "sphinx_book_theme"
html_static_path = ["_static"] + ([STATIC_EXTRA] if STATIC_EXTRA else [])
html_css_files = ["bplab.css"]
html_js_files = ["bplab.js"]
# _templates/search-button-field.html: the search button's name is its visible words ("Search Ctrl+K"; the theme's
# aria-label "Search" left out "Ctrl+K": axe's label-content-name-mismatch).
templates_path = ["_templates"]
# The theme's sidebar, with the site's title inside a landmark (_templates/bplab-logo.html; axe's "region").
html_sidebars = {"**": ["bplab-logo.html", "search-button-field.html", "sbt-sidebar-nav.html"]}
html_last_updated_fmt = None
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
    # No top navbar: pydata-sphinx-theme 0.20 would put a second pair of .primary-toggle/.secondary-toggle buttons
    # there (hidden by sphinx-book-theme), and its script binds the first of each, so the visible menu and Contents
    # buttons opened nothing on a phone (pydata-sphinx-theme#2451, sphinx-book-theme#988; the fix proposed upstream,
    # sphinx-book-theme#1000, drops those navbar buttons too). The search button stays in the sidebar and header.
    "navbar_persistent": [],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_copy_source = False

bplab_course = COURSE
bplab_repo = str(SITE.parents[1])  # the download link gives each notebook as the repository stores it
# Every page is read and written again when the site's own code, styles or kernel start-up change (Sphinx alone
# would keep the pages built before; build.py clears the execution cache when kernel_startup.py changes).
bplab_site_fingerprint = hashlib.sha256(b"".join(
    path.read_bytes() for path in [SITE / "kernel_startup.py"] + sorted(
        p for folder in ("_ext", "_static", "_templates") for p in (SITE / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
)).hexdigest()
