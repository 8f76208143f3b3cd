"""Sphinx extension of the course website: a "run this notebook" box on every notebook page, the notebook itself
(as stored: no outputs) next to its page for download, and words for every picture.

The links come from docs/site/course.toml through course_links (the one config place); while it names the template's
placeholder addresses the box links none of them and says so. The pictures' words come from the PNGs themselves
(docs/site/kernel_startup.py writes them into each figure and explorer PNG at build time): the ``alt`` of every
output image, and under each explorer snapshot a caption with its readout (which values the picture shows).
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from course_links import binder_link, colab_link, nbgitpuller_link, placeholder_addresses
from docutils import nodes
from PIL import Image

NOTEBOOK_FOLDERS = ("notebooks/", "exercises/")


def run_box(course, docname: str) -> str:
    """HTML of the box: Colab (GitHub only), Binder, JupyterHub and download links for ``docname``.ipynb.

    Only addresses course.toml really sets are linked: with the template's placeholders the box says the course is
    not configured for them yet.
    """
    notebook = f"{docname}.ipynb"
    filename = notebook.rsplit("/", 1)[-1]
    lesson = docname.startswith("notebooks/")
    what = "this notebook" if lesson else "this exercise set"
    why = "to move the sliders and try your own code" if lesson else "to fill in the answer cells and run the tests"
    lead = (
        "This page is read-only: the outputs were computed when the site was built, and each slider panel shows "
        "its first frame as a picture, with its readout underneath."
        if lesson
        else "This is the set as learners get it: fill in the answer cells and run the tests in a live notebook."
    )
    unset = placeholder_addresses(course)
    links = []
    if course.repo_url not in unset:
        colab = colab_link(course, notebook)
        if colab:
            links.append(f'<a class="bplab-run-colab" href="{html.escape(colab)}">on Colab</a> '
                         "(a Google account; its first cell installs the course)")
        links.append(f'<a class="bplab-run-binder" href="{html.escape(binder_link(course, notebook))}">on Binder</a> '
                     "(nothing to install; temporary)")
        if not unset:
            links.append(f'<a class="bplab-run-hub" href="{html.escape(nbgitpuller_link(course, notebook))}">on your '
                         "JupyterHub</a> (copies the course into your home with nbgitpuller)")
    where = "after <code>make lab</code>, or in any Jupyter: its first cell installs the course"
    if course.repo_url in unset:
        where = "in the course's folder after <code>make lab</code>"
    links.append(f'<a class="bplab-run-download" href="{html.escape(filename)}" download>download '
                 f"{html.escape(filename)}</a> (open it {where})")
    missing = [name for name, off in [("Colab", course.repo_url in unset), ("Binder", course.repo_url in unset),
                                      ("a JupyterHub", bool(unset))] if off]
    note = ""
    if missing:
        names = ", ".join(missing[:-1]) + (" or " if len(missing) > 1 else "") + missing[-1]
        note = (f'<p class="bplab-run-unconfigured">This course is not configured for {names} yet: its '
                "<code>course.toml</code> still names placeholder addresses.</p>")
    return (
        f'<div class="bplab-run" role="note" aria-label="Run {what}">'
        f"<p><strong>Run {what}</strong> {why}: " + " · ".join(links) + ".</p>"
        f"{note}<p>{lead}</p></div>"
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
    """Put each notebook, as the repository stores it (no outputs), beside its page: the download link's target."""
    if exception is not None or app.builder.format != "html":
        return
    for docname in app.env.found_docs:
        if docname.startswith(NOTEBOOK_FOLDERS):
            source = Path(app.config.bplab_repo or app.srcdir) / f"{docname}.ipynb"
            target = Path(app.outdir) / f"{docname}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def picture_words(path: Path) -> dict[str, str]:
    """The words kernel_startup.py put into a PNG: ``Description`` (its alt) and ``bplab-readout``, if any."""
    try:
        with Image.open(path) as image:
            image.load()
            return {key: str(value) for key, value in getattr(image, "text", {}).items()}
    except OSError:
        return {}


def describe_pictures(app, doctree) -> None:
    """Every output image gets the alt its PNG carries; an explorer's gets its readout as a caption underneath."""
    docname = app.env.docname
    if not docname.startswith(NOTEBOOK_FOLDERS):
        return
    for image in list(doctree.findall(nodes.image)):
        path = Path(app.srcdir) / image.get("candidates", {}).get("*", image["uri"].lstrip("/"))
        words = picture_words(path) if path.suffix == ".png" else {}
        description = words.get("Description", "").strip()
        if description and not image.get("alt"):  # a lesson's own alt (cell metadata) wins
            image["alt"] = description
        readout = words.get("bplab-readout", "").strip()
        if readout:
            caption = nodes.caption()
            caption += nodes.strong(text="Readout of this first frame: ")
            for i, line in enumerate(readout.splitlines()):
                if i:
                    caption += nodes.raw("", "<br>", format="html")
                caption += nodes.Text(line)
            figure = nodes.figure(classes=["bplab-snapshot"])
            doctree.set_id(figure)  # Sphinx numbers figures by id
            image.replace_self(figure)
            figure += image
            figure += caption


def drop_widget_state(app, pagename, templatename, context, doctree) -> None:
    """No widget state on the page: no widget manager loads it, and it repeats every explorer's PNG as base64."""
    getattr(app.env, "nb_metadata", {}).get(pagename, {}).get("js_files", {}).pop("ipywidgets_state", None)


def setup(app):
    app.add_config_value("bplab_course", None, "env")
    app.add_config_value("bplab_repo", "", "env")
    app.add_config_value("bplab_site_fingerprint", "", "env")  # conf.py: a hash of _ext, _static, _templates
    app.connect("doctree-read", describe_pictures, priority=600)  # after Sphinx's image collector (500)
    app.connect("doctree-resolved", add_run_box)
    app.connect("html-page-context", drop_widget_state, priority=400)  # before MyST-NB adds the page's scripts
    app.connect("build-finished", copy_notebooks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
