"""Sphinx extension of the course website: a "run this notebook" box on every notebook page, and the notebook
itself (as stored: no outputs) next to its page for download.

The links come from docs/site/course.toml through course_links (the one config place).
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from course_links import binder_link, colab_link, nbgitpuller_link
from docutils import nodes

NOTEBOOK_FOLDERS = ("notebooks/", "exercises/")


def run_box(course, docname: str) -> str:
    """HTML of the box: Colab (GitHub only), Binder, JupyterHub and download links for ``docname``.ipynb."""
    notebook = f"{docname}.ipynb"
    filename = notebook.rsplit("/", 1)[-1]
    what = "this exercise set" if docname.startswith("exercises/") else "this notebook"
    lead = (
        "This page is read-only: the outputs were computed when the site was built, and each slider panel shows "
        "its first frame as a picture."
        if docname.startswith("notebooks/")
        else "This is the set as learners get it: fill in the answer cells and run the tests in a live notebook."
    )
    colab = colab_link(course, notebook)
    return (
        '<div class="bplab-run" role="note">'
        f"<p><strong>Run {what}</strong> to move the sliders and try your own code: "
        + (f'<a class="bplab-run-colab" href="{html.escape(colab)}">on Colab</a> '
           "(a Google account; its first cell installs the course) · " if colab else "")
        + f'<a class="bplab-run-binder" href="{html.escape(binder_link(course, notebook))}">on Binder</a> '
        "(nothing to install; temporary) · "
        f'<a class="bplab-run-hub" href="{html.escape(nbgitpuller_link(course, notebook))}">on your JupyterHub</a> '
        "(copies the course into your home with nbgitpuller) · "
        f'<a class="bplab-run-download" href="{html.escape(filename)}" download>download {html.escape(filename)}</a> '
        "(open it after <code>make lab</code>, or in any Jupyter: its first cell installs the course).</p>"
        f"<p>{lead}</p></div>"
    )


def add_run_box(app, doctree, docname: str) -> None:
    if not docname.startswith(NOTEBOOK_FOLDERS):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        raise ValueError(f"{docname}: expected a notebook starting with a # title, found no section")
    box = nodes.raw("", run_box(app.config.bplab_course, docname), format="html")
    section.insert(1, box)  # right under the title


def copy_notebooks(app, exception) -> None:
    """Put each notebook, as stored (no outputs), beside its page: the download link's target."""
    if exception is not None or app.builder.format != "html":
        return
    for docname in app.env.found_docs:
        if docname.startswith(NOTEBOOK_FOLDERS):
            source = Path(app.srcdir) / f"{docname}.ipynb"
            target = Path(app.outdir) / f"{docname}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def drop_widget_state(app, pagename, templatename, context, doctree) -> None:
    """No widget state on the page: no widget manager loads it, and it repeats every explorer's PNG as base64."""
    getattr(app.env, "nb_metadata", {}).get(pagename, {}).get("js_files", {}).pop("ipywidgets_state", None)


def setup(app):
    app.add_config_value("bplab_course", None, "env")
    app.connect("doctree-resolved", add_run_box)
    app.connect("html-page-context", drop_widget_state, priority=400)  # before MyST-NB adds the page's scripts
    app.connect("build-finished", copy_notebooks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
