"""The first code cell of every notebook: it installs the course when the notebook runs without it.

A lesson or an exercise set opened on its own (on Colab, or in a Jupyter where bplab is missing) installs the
course at the version the notebook belongs to, from the course's own repository (docs/site/course.toml's
``[repository]`` url and ``release`` ref, with pyproject.toml's version): a direct git reference, never a bare name
that a public index could serve from someone else's upload. Where bplab is importable (``make lab``, Binder, a
JupyterHub, the grader) the cell does nothing and prints nothing. ``BPLAB_INSTALL_FROM`` in the kernel's
environment replaces the address (a wheel's path or any pip requirement): tests, offline mirrors, private courses.

The cell is generated, never edited by hand::

    python docs/site/install_cell.py            # print the cell
    python docs/site/install_cell.py --write    # put it first in every notebook (notebooks/, solutions/, exercises/)
    python docs/site/install_cell.py --check    # exit 1 naming every notebook whose first code cell differs

In a notebook it comes right before the first code cell (after the title and any text before it); in solutions/
it is an ordinary cell before the locked set-up cell, and `bplab exercises build` copies it into exercises/ (where
``--write`` also puts it, so both agree). Run ``--write`` after changing course.toml or the package's version.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from course_links import CONFIG, Course, install_requirement, load  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("notebooks", "solutions", "exercises")
CELL_ID = "install-bplab"
# The first line of the cell: how --write recognizes a cell to replace when the address or the version changed.
FIRST_LINE = "# Installs the course's package, bplab, at this notebook's version if it is missing (on Colab, say)."


def cell_source(requirement: str) -> str:
    """The cell's code for a pip requirement (``bplab @ git+...@v0.1.0``)."""
    return "\n".join([
        FIRST_LINE,
        "import importlib.util",
        "import os",
        "",
        'if importlib.util.find_spec("bplab") is None:',
        f'    course = os.environ.get("BPLAB_INSTALL_FROM", "{requirement}")',
        '    %pip install --quiet "{course}"',
        "    import bplab",
        "",
        '    print(f"Installed the course, bplab {bplab.__version__}, from {course}")',
    ])


def course_cell_source(course: Course | None = None, version: str | None = None) -> str:
    """The cell of this course (course.toml) at this version (pyproject.toml)."""
    return cell_source(install_requirement(course or load(CONFIG), version))


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def is_install_cell(cell: dict) -> bool:
    """True for a cell this script wrote, at any address or version."""
    return cell.get("cell_type") == "code" and (cell.get("id") == CELL_ID or _source(cell).startswith(FIRST_LINE))


def with_install_cell(notebook: dict, source: str) -> dict:
    """The notebook (JSON, as stored) whose first code cell is the install cell with `source` (a new dict).

    An existing install cell is updated in place (its position kept); otherwise a new one goes right before the
    first code cell (at the end when there is none).
    """
    notebook = json.loads(json.dumps(notebook))
    cells = notebook["cells"]
    code = [i for i, cell in enumerate(cells) if cell.get("cell_type") == "code"]
    if code and is_install_cell(cells[code[0]]):
        cells[code[0]]["source"] = _lines(source)
        for other in code[1:]:
            if is_install_cell(cells[other]):
                raise ValueError("the notebook has two install cells: delete the one that is not its first code cell")
        return notebook
    if any(is_install_cell(cells[i]) for i in code):
        raise ValueError("the notebook has an install cell that is not its first code cell: delete it")
    if any(cell.get("id") == CELL_ID for cell in cells):
        raise ValueError(f"a cell already has the id {CELL_ID!r}")
    new = {"cell_type": "code", "execution_count": None, "id": CELL_ID, "metadata": {}, "outputs": [],
           "source": _lines(source)}
    cells.insert(code[0] if code else len(cells), new)
    return notebook


def first_code_source(notebook: dict) -> str | None:
    """The source of the notebook's first code cell (None when it has none)."""
    return next((_source(cell) for cell in notebook["cells"] if cell.get("cell_type") == "code"), None)


def dumps(notebook: dict) -> str:
    """The notebook as the course stores it (nbformat's layout: one-space indent, UTF-8, a final newline)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def course_notebook_paths(root: Path = REPO) -> list[Path]:
    return sorted(path for folder in FOLDERS for path in (Path(root) / folder).glob("*.ipynb"))


def update(root: Path = REPO, source: str | None = None, write: bool = False) -> list[Path]:
    """The notebooks under `root` whose first code cell is not `source` (written when `write`)."""
    source = source if source is not None else course_cell_source()
    changed = []
    for path in course_notebook_paths(root):
        text = path.read_text(encoding="utf-8")
        new = dumps(with_install_cell(json.loads(text), source))
        if new != text:
            changed.append(path)
            if write:
                path.write_text(new, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--write", action="store_true", help="write the cell into every notebook that lacks it")
    what.add_argument("--check", action="store_true", help="exit 1 naming the notebooks whose cell is missing or old")
    parser.add_argument("--root", type=Path, default=REPO, help="the course folder (default: this repository)")
    args = parser.parse_args(argv)
    source = course_cell_source()
    if not (args.write or args.check):
        print(source)
        return 0
    changed = update(args.root, source, write=args.write)
    for path in changed:
        print(f"{'wrote' if args.write else 'differs'}: {path.relative_to(args.root)}")
    if args.check and changed:
        print(f"{len(changed)} notebook(s) lack the current install cell: python docs/site/install_cell.py --write")
        return 1
    if not changed:
        print(f"all {len(course_notebook_paths(args.root))} notebooks start with the current install cell")
    return 0


if __name__ == "__main__":
    sys.exit(main())
