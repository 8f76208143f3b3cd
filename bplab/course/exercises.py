"""Generate the exercise notebooks (exercises/) from their solutions (solutions/).

`solutions/NN-*.ipynb` are the single source, in nbgrader's format. Building an exercise:

- in answer cells (``nbgrader.solution``), the lines between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` become ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (indented like
  the marker; the lines around the region, such as a ``def`` line and its docstring, stay); a written
  (markdown) answer becomes ``YOUR ANSWER HERE``. A solution cell without markers is replaced whole;
- in test cells (``nbgrader.grade``), the lines from ``### BEGIN HIDDEN TESTS`` to
  ``### END HIDDEN TESTS`` are removed;
- outputs and execution counts are cleared; graded cells cannot be deleted and test cells cannot
  be edited in JupyterLab (``deletable`` / ``editable`` metadata, as nbgrader sets them);
- answer and test code cells get the ``raises-exception`` tag, so "Run All" in JupyterLab and
  ``pytest --nbval-lax`` go on past a question that is not answered yet.

The same rules as ``nbgrader generate_assignment`` (ClearSolutions, ClearHiddenTests), so a course
can use either. The output is deterministic: building twice writes the same bytes.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TEXT_STUB = ["YOUR ANSWER HERE"]
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
TAG = "raises-exception"
SET_PATTERN = "[0-9][0-9]-*.ipynb"


def nbgrader_meta(cell) -> dict:
    """The cell's ``metadata.nbgrader`` dict ({} for an ordinary cell)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def cell_role(cell) -> str | None:
    """What a cell is for grading.

    Returns
    -------
    "answer" (code the learner writes), "written" (a markdown answer graded by hand),
    "test" (code with points), "locked" (read-only set-up), or None (an ordinary cell).
    """
    meta = nbgrader_meta(cell)
    if not meta.get("grade_id"):
        return None
    if meta.get("solution"):
        return "written" if cell.get("cell_type") == "markdown" else "answer"
    if meta.get("grade"):
        return "test"
    if meta.get("locked"):
        return "locked"
    return None


def _replace_regions(source: str, begin: str, end: str, stub: list[str] | None, where: str) -> tuple[str, bool]:
    """Replace (stub) or drop (stub=None) the lines from a `begin` line to an `end` line."""
    lines, out, inside, found = source.split("\n"), [], False, False
    for line in lines:
        if begin in line:
            if inside:
                raise ValueError(f"{where}: nested '{begin}'")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + s for s in (stub or []))
        elif end in line:
            if not inside:
                raise ValueError(f"{where}: '{end}' without '{begin}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{begin}' without '{end}'")
    return "\n".join(out), found


def exercise_cell(cell, where: str = "cell"):
    """The exercise version of one solution cell (a new cell; `cell` is not changed)."""
    cell = copy.deepcopy(cell)
    role = cell_role(cell)
    source = cell.source
    if role in ("answer", "written"):
        stub = CODE_STUB if role == "answer" else TEXT_STUB
        source, found = _replace_regions(source, BEGIN_SOLUTION, END_SOLUTION, stub, where)
        if not found:
            source = "\n".join(stub)
    elif BEGIN_SOLUTION in source:
        raise ValueError(f"{where}: a solution region in a cell that is not marked as a solution cell")
    if role == "test":
        source = _replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, None, where)[0].rstrip()
    elif BEGIN_HIDDEN in source:
        raise ValueError(f"{where}: hidden tests in a cell that is not marked as a test (grade) cell")
    cell.source = source
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
        if role in ("answer", "test"):
            tags = set(cell.metadata.get("tags", []))
            cell.metadata["tags"] = sorted(tags | {TAG})
    if role:  # as nbgrader's LockCells: no cell of the grading can be deleted, tests cannot be edited
        cell.metadata["deletable"] = False
        if role in ("test", "locked"):
            cell.metadata["editable"] = False
    cell.metadata.pop("execution", None)
    return cell


def make_exercise(nb, name: str = "notebook"):
    """The exercise version of a solution notebook (a new notebook; `nb` is not changed)."""
    exercise = copy.deepcopy(nb)
    exercise.cells = [exercise_cell(c, f"{name}, cell {i}") for i, c in enumerate(nb.cells)]
    return exercise


def build(solutions_dir: str | Path = "solutions", out_dir: str | Path = "exercises") -> list[Path]:
    """Write ``out_dir/NN-*.ipynb`` for every ``solutions_dir/NN-*.ipynb``.

    Parameters
    ----------
    solutions_dir : str or Path
        Folder of solution notebooks in nbgrader format.
    out_dir : str or Path
        Folder to write (created if needed); files of the same names are overwritten.

    Returns
    -------
    list of Path
        The notebooks written, in name order.

    Used in: `bplab exercises build` (README, "For instructors")
    """
    solutions_dir, out_dir = Path(solutions_dir), Path(out_dir)
    sources = sorted(solutions_dir.glob(SET_PATTERN))
    if not sources:
        raise ValueError(f"no solution notebooks ({SET_PATTERN}) in {solutions_dir}/")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        text = nbformat.writes(make_exercise(nb, path.name))
        target = out_dir / path.name
        target.write_bytes((text if text.endswith("\n") else text + "\n").encode("utf-8"))
        written.append(target)
    return written
