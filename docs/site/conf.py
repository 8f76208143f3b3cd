"""Sphinx configuration of the course website: `make site` (docs/site/build.py) stages the sources and builds it.

Sphinx + MyST-NB + sphinx-book-theme (the engine of Jupyter Book 1): installs from PyPI and builds offline.
"""

import os
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent
sys.path[:0] = [str(SITE), str(SITE / "_ext")]

from course_links import load  # noqa: E402

COURSE = load(SITE / "course.toml")
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
html_last_updated_fmt = None
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_copy_source = False

bplab_course = COURSE
