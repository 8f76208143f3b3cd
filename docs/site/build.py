"""Build the course website: `make site` (or `python docs/site/build.py [--out DIR] [--jobs N]`).

Stages the sources into <out>/src with the repository's layout (notebooks/, exercises/, docs/instructors.md,
docs/errata.md if present, bench/results.md, and the landing page with its course map generated from the
notebooks), stages a local MathJax (from the sphinx-mathjax-offline package), then runs Sphinx with MyST-NB.
Lessons are executed at build time; MyST-NB caches the results by the notebooks' code in <out>/jupyter_cache,
so a rebuild re-runs only the notebooks whose code changed. Nothing is fetched from the network.
The site is written to <out>/html (open <out>/html/index.html).

On the site (the notebooks themselves are not edited):
- each lesson's kernel runs docs/site/kernel_startup.py first (IPYTHONDIR points at a profile holding it): every
  figure and explorer PNG carries what it shows (its alt text) and an explorer's readout, which the extension
  (_ext/bplab_site.py) puts on the page; a change to that file re-executes the lessons (the cache is cleared);
- the install cell (docs/site/install_cell.py: the first code cell, which installs the course where it is missing)
  is staged with MyST-NB's remove-cell tag, so no page shows it (the download link gives the notebook as stored);
- while course.toml names the template's placeholder addresses (your-org, your-hub.example.org), the build prints a
  warning and the run box says the course is not configured for Colab, Binder or a JupyterHub yet (no dead links).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

SITE = Path(__file__).resolve().parent
REPO = SITE.parents[1]
DEFAULT_OUT = REPO / "build" / "site"
sys.path.insert(0, str(SITE))

from course_links import CONFIG, binder_link, load, nbgitpuller_link, placeholder_addresses  # noqa: E402
from install_cell import is_install_cell  # noqa: E402

KERNEL_STARTUP = SITE / "kernel_startup.py"

INSTRUCTOR_PAGES = [
    ("docs/instructors.md", "Instructor guide: timing, widgets to demo, JupyterHub and Binder, grading"),
    ("bench/results.md", "Benchmark results: speed of the engine and the layers, measured on 2 cores"),
    ("docs/errata.md", "Errata: what changed in the course's content, and the test that guards each fix"),
]
# MathJax 3 in one file (TeX input, SVG output with its glyphs, every TeX extension): no font or extension to fetch.
MATHJAX_PACKAGE = "sphinx-mathjax-offline"
MATHJAX_FILE = "tex-svg-full.js"


def _write_if_changed(path: Path, data: bytes) -> None:
    """Write only when the content differs, so Sphinx's incremental build sees unchanged files as unchanged."""
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def notebook_summary(path: Path) -> dict:
    """Title, first learning objective and estimated time from a notebook's first markdown cell."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = next(("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"), "")
    title = re.search(r"^#\s+(.+)$", first, re.M)
    # The first objective: its bullet line and any continuation lines (indented, not a new bullet).
    objective = re.search(r"objectives\*\*\s*\n-\s+(.+(?:\n[ \t]+[^-\s].*)*)", first, re.I)
    minutes = re.search(r"Estimated time\*\*:?\s*([^\n]+?)\.?\s*$", first, re.M | re.I)
    if title is None:
        raise ValueError(f"{path}: expected the first markdown cell to start with a '# title' line")
    return {
        "title": title.group(1).strip(),
        "objective": " ".join(objective.group(1).split()) if objective else "",
        "time": minutes.group(1).strip() if minutes else "",
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def landing_page(template: str, src: Path, course, instructor_pages: list[tuple[str, str]]) -> str:
    lessons = sorted((src / "notebooks").glob("*.ipynb"))
    rows = ["| # | lesson | what you learn first | time |", "|---|---|---|---|"]
    for path in lessons:
        info = notebook_summary(path)
        number = path.name.split("-")[0]  # 05, or 05b for a lesson added after 05
        rows.append(
            f"| {number} | [{_cell(info['title'])}](notebooks/{path.name}) | {_cell(info['objective'])} "
            f"| {_cell(info['time'])} |"
        )
    sets = sorted((src / "exercises").glob("*.ipynb"))
    set_rows = ["| set | after lesson |", "|---|---|"]
    for path in sets:
        info = notebook_summary(path)
        set_rows.append(f"| [{_cell(info['title'])}](exercises/{path.name}) | {path.name[:2]} |")
    instructor = "\n".join(f"- [{text.split(':')[0]}]({page}): {text.split(': ', 1)[1]}" for page, text in
                           instructor_pages)
    unset = placeholder_addresses(course)
    not_yet = "(not configured for this site yet: its course.toml still names a placeholder repository)"
    toctrees = "\n\n".join(
        f"```{{toctree}}\n:hidden:\n:caption: {caption}\n{options}\n{entries}\n```"
        for caption, options, entries in [
            ("Lessons", ":glob:", "notebooks/*"),
            ("Exercise sets", ":glob:", "exercises/*"),
            ("For instructors", "", "\n".join(page.removesuffix(".md") for page, _ in instructor_pages)),
        ]
    )
    replacements = {
        "course-map": "\n".join(rows),
        "exercise-map": "\n".join(set_rows),
        "binder-link": not_yet if course.repo_url in unset else f"[open notebook 00 on Binder]({binder_link(course)})",
        "hub-link": (
            "the one `python docs/site/course_links.py` prints for notebook 00 (not configured for this site yet)"
            if unset
            else f"[this link for notebook 00]({nbgitpuller_link(course)})"
        ),
        "instructor-pages": instructor,
        "toctrees": toctrees,
    }
    for key, value in replacements.items():
        marker = f"<!-- bplab:{key} -->"
        if marker not in template:
            raise ValueError(f"docs/site/index.md: expected the marker {marker}")
        template = template.replace(marker, value)
    return template


# A markdown link to a placeholder address (notebook 00's map links every lesson to Colab and Binder at the
# course.toml's addresses): on the site its text stays, the link goes, as the run box does while course.toml is unset.
PLACEHOLDER_LINK = re.compile(r"\[([^\]]+)\]\((?:https?://)?[^)\s]*(?:your-org/|your-hub\.example\.org)[^)\s]*\)")


def site_copy(data: bytes) -> bytes:
    """A notebook as the site stages it: its install cell (if any) tagged remove-cell, so MyST-NB runs it but shows
    nothing of it, and links to placeholder addresses in its markdown made plain text; any other notebook
    unchanged, byte for byte."""
    notebook = json.loads(data)
    cells = [cell for cell in notebook["cells"] if is_install_cell(cell)]
    linked = [cell for cell in notebook["cells"]
              if cell["cell_type"] == "markdown" and PLACEHOLDER_LINK.search("".join(cell["source"]))]
    if not cells and not linked:
        return data
    for cell in linked:
        cell["source"] = PLACEHOLDER_LINK.sub(r"\1", "".join(cell["source"])).splitlines(keepends=True)
    for cell in cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "remove-cell" not in tags:
            tags.append("remove-cell")
    return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def stage(out: Path, course_file: Path = CONFIG, only: list[str] | None = None) -> tuple[Path, Path]:
    """Copy the site's sources into out/src and the local MathJax into out/static; return both folders.

    `only`: glob patterns of the notebooks to stage (``["notebooks/00-*"]``), for a small test build; default all.
    """
    src = out / "src"
    wanted = {}
    for folder in ("notebooks", "exercises"):
        for path in sorted((REPO / folder).glob("*.ipynb")):
            relative = f"{folder}/{path.name}"
            if only is None or any(Path(relative).match(pattern) for pattern in only):
                wanted[relative] = site_copy(path.read_bytes())
    pages = [(page, text) for page, text in INSTRUCTOR_PAGES if (REPO / page).exists()]
    for page, _ in pages:
        wanted[page] = (REPO / page).read_bytes()
    for stale in [p for p in src.rglob("*") if p.is_file()] if src.exists() else []:
        if stale.relative_to(src).as_posix() not in wanted and stale.name != "index.md":
            stale.unlink()
    for relative, data in wanted.items():
        _write_if_changed(src / relative, data)
    course = load(course_file)
    index = landing_page((SITE / "index.md").read_text(encoding="utf-8"), src, course, pages)
    _write_if_changed(src / "index.md", index.encode("utf-8"))

    static = out / "static"
    mathjax = static / "mathjax" / MATHJAX_FILE
    if not mathjax.exists():
        found = [f for f in importlib.metadata.files(MATHJAX_PACKAGE) or [] if f.name == MATHJAX_FILE]
        if not found:
            raise RuntimeError(f"{MATHJAX_FILE} not found in the {MATHJAX_PACKAGE} package: pip install -e '.[site]'")
        mathjax.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found[0].locate(), mathjax)
    return src, static


def kernel_profile(out: Path, cache: Path) -> Path:
    """The IPYTHONDIR of the lessons' kernels: a profile whose start-up runs kernel_startup.py. When that file
    changed since the cache's outputs were computed, the cache is cleared (its PNGs lack the new words)."""
    code = KERNEL_STARTUP.read_bytes()
    ipython = out / "ipython"
    _write_if_changed(ipython / "profile_default" / "startup" / "00-bplab-site.py", code)
    marker = cache / "bplab-kernel-startup.sha256"
    digest = hashlib.sha256(code).hexdigest()
    if cache.exists() and (not marker.exists() or marker.read_text().strip() != digest):
        shutil.rmtree(cache)
    cache.mkdir(parents=True, exist_ok=True)
    marker.write_text(digest + "\n")
    return ipython


def placeholder_warning(course_file: Path = CONFIG) -> str | None:
    """The build's warning while course.toml names the template's placeholder addresses, else None."""
    unset = placeholder_addresses(load(course_file))
    if not unset:
        return None
    return (
        f"warning: {course_file} still names placeholder addresses ({', '.join(unset)}): the site's run box says "
        "the course is not configured for Colab, Binder or a JupyterHub yet, and links none of them. Set [repository] "
        "url and [hub] url in course.toml to the course's real addresses."
    )


def build(out: Path = DEFAULT_OUT, jobs: int = 2, quiet: bool = True, course_file: Path = CONFIG,
          only: list[str] | None = None, cache: Path | None = None) -> Path:
    """Stage and build the site; return the folder of the HTML pages. Raises RuntimeError if Sphinx fails.

    `course_file`: the course.toml to read (default: docs/site/course.toml); `only`: see `stage`; `cache`: MyST-NB's
    execution cache (default: <out>/jupyter_cache; another build's cache can be shared).
    """
    out = Path(out).resolve()
    course_file = Path(course_file).resolve()
    cache = Path(cache).resolve() if cache else out / "jupyter_cache"
    warning = placeholder_warning(course_file)
    if warning:
        print(warning, file=sys.stderr)
    src, static = stage(out, course_file, only)
    html = out / "html"
    env = dict(os.environ, BPLAB_SITE_STATIC=str(static), BPLAB_COURSE_CONFIG=str(course_file),
               IPYTHONDIR=str(kernel_profile(out, cache)))
    env.pop("MPLBACKEND", None)  # kernels draw with the inline backend, as a learner's do
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    command = [
        sys.executable, "-m", "sphinx", "-b", "html", "-c", str(SITE), "-d", str(out / "doctrees"),
        "-j", str(jobs), "-W", "--keep-going", "-D", f"nb_execution_cache_path={cache}",
        str(src), str(html),
    ]
    if quiet:
        command.insert(3, "-q")
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"sphinx-build failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
        )
    return html


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the course website into <out>/html.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"build folder (default: {DEFAULT_OUT})")
    parser.add_argument("--jobs", type=int, default=2, help="parallel Sphinx processes (default: 2)")
    parser.add_argument("--course", type=Path, default=CONFIG, help=f"course.toml to read (default: {CONFIG})")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        html = build(args.out, args.jobs, quiet=True, course_file=args.course)
    except RuntimeError as error:
        sys.exit(str(error))
    print(f"Site built in {time.perf_counter() - start:.0f} s: open {html / 'index.html'}")


if __name__ == "__main__":
    main()
