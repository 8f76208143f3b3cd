"""Reporting grades: the table `bplab grade` prints, its CSV, and the command itself (`learner_score`, its
in-notebook form, lives in `bplab.course.grading.learner`).

The CSV has one row per notebook and question, columns ``notebook, question, points, max_points, status,
message, mistake, set`` (the first six as before; ``mistake`` is the id a test named, e.g. ``transposed``; ``set``
the exercise set it was graded as, e.g. ``06-xor-backprop-by-hand``, which `bplab.course.gradebook` reads).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from bplab.course import sandbox as sandboxes
from bplab.course.grading.learner import _checkout
from bplab.course.grading.results import ERROR, LEARNER, MANUAL, NOT_ATTEMPTED, NotebookResult
from bplab.course.grading.scoring import DEFAULT_BUDGET, DEFAULT_TIMEOUT, grade, printable

CSV_FIELDS = ["notebook", "question", "points", "max_points", "status", "message", "mistake", "set"]
LEARNER_NOTE = ("visible tests only: your instructor's grading adds hidden tests (more inputs and edge cases) "
                "and may give fewer points; written answers are graded by hand.")


def format_result(result: NotebookResult) -> str:
    """A per-question table of one notebook's result, as printed by `bplab grade`."""
    head = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(result.path))  # a name cannot redraw
    if result.set_name:
        head += f"  [{result.set_name}]"
    lines = [head]
    if result.mode == LEARNER:
        lines.append("  " + LEARNER_NOTE)
    if result.questions:
        lines[0] += (
            f": {result.points:g} / {result.max_points:g} auto points"
            + (f" (+ {result.manual_points:g} manual points to grade by hand)" if result.manual_points else "")
            + f", {result.seconds:.1f} s"
        )
        width = max(len(q.question) for q in result.questions)
        status_width = max(7, *(len(q.status) for q in result.questions))
        mistakes = [q.mistake if q.mistake and q.status != NOT_ATTEMPTED else "" for q in result.questions]
        mistake_width = max(7, *(len(m) for m in mistakes))
        lines.append(f"  {'question':<{width}}  {'points':>9}  {'status':<{status_width}}  "
                     f"{'mistake':<{mistake_width}}  message")
        for q, mistake in zip(result.questions, mistakes):
            score = f"- / {q.max_points:g}" if q.status == MANUAL else f"{q.points:g} / {q.max_points:g}"
            message = printable(q.message)
            if mistake and message.endswith(f"[mistake: {mistake}]"):
                message = message[: -len(f"[mistake: {mistake}]")].rstrip()  # shown in its own column
            lines.append(f"  {q.question:<{width}}  {score:>9}  {q.status:<{status_width}}  "
                         f"{mistake or '-':<{mistake_width}}  {message}".rstrip())
    if result.error:
        lines.append(f"  ERROR: {printable(result.error)}")
    return "\n".join(lines)


def csv_rows(result: NotebookResult) -> list[dict]:
    """One row per question (one row with an empty question when the notebook had none); keys `CSV_FIELDS`."""
    if not result.questions:
        return [dict(notebook=str(result.path), question="", points=0, max_points=0, status=ERROR,
                     message=result.error or "", mistake="", set=result.set_name or "")]
    return [
        dict(notebook=str(result.path), question=q.question, points=q.points, max_points=q.max_points,
             status=q.status, message=q.message, mistake=q.mistake or "", set=result.set_name or "")
        for q in result.questions
    ]


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width forms


def _csv_cell(value):
    """A CSV cell a spreadsheet shows as text: a leading = + - @ (a file name, a message, a student's folder),
    also after spaces or line breaks or in full-width form (some spreadsheets read them as formulas too), is
    kept from being a formula by a leading apostrophe."""
    if isinstance(value, str) and value.lstrip(" \n\r\t")[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


def write_csv(results: list[NotebookResult], path: str | Path) -> None:
    """Write the rows of `results` (`csv_rows`) to `path`, safe to open in a spreadsheet."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for result in results:
            writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in csv_rows(result))


def _expand(paths) -> list[Path]:
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts))
        else:
            found.append(p)
    return found


def public_solutions(solutions: str | Path, paths) -> str | None:
    """Why learners can read the folder `solutions`, or None: it is the course checkout's own solutions/,
    lies inside a folder being graded, or sits beside the exercises/ folder of a notebook being graded."""
    folder = Path(solutions).resolve()
    checkout = _checkout()
    if folder == checkout / "solutions" and (checkout / "exercises").is_dir():
        return (f"{folder} is the solutions/ folder of the course checkout bplab runs from: learners who have the "
                "course have it too, so its hidden tests are not secret")
    for given in map(Path, paths):
        given = given.resolve()
        if given.is_dir() and (folder == given or given in folder.parents):
            return f"{folder} lies inside {given}, which is being graded: a submission could have put it there"
        if given.is_file() and (folder.parent / "exercises") in given.parents:
            return (f"{folder} sits beside {folder.parent / 'exercises'}, the learner's course folder of {given}: "
                    "the learner can read it")
    return None


def grade_command(paths, csv_path: str | None = None, timeout: float = DEFAULT_TIMEOUT, solutions=None,
                  sandbox: str | None = None, budget: float | None = DEFAULT_BUDGET,
                  allow_public_solutions: bool = False) -> int:
    """`bplab grade`: grade each notebook, print tables, optionally write a CSV.

    Without `solutions`, learner mode: each notebook's own visible tests (the sandbox defaults to "none":
    it is the learner's own code). With `solutions`, instructor mode: that folder's tests, hidden ones
    included (the sandbox defaults to "auto"); a folder learners can read (`public_solutions`) is refused
    unless `allow_public_solutions`.

    Returns the exit code: 0 when every notebook was graded (whatever the scores), 1 when some
    notebook could not be graded completely, 2 when there was nothing to grade, 3 when the sandbox
    asked for does not work here, 4 when the solutions folder is missing or refused.
    """
    files = _expand(paths)
    if not files:
        print("bplab grade: no notebooks found in " + " ".join(map(str, paths)))
        return 2
    if solutions is not None:
        folder = Path(solutions)
        if not folder.is_dir():
            print(f"bplab grade: no solutions folder at {folder}/", file=sys.stderr)
            return 4
        problem = public_solutions(folder, paths)
        if problem and not allow_public_solutions:
            print(f"bplab grade: refusing --solutions {folder}: {problem}. Grade with a private copy of the "
                  "solutions, or pass --allow-public-solutions to use this one anyway (fine for practice).",
                  file=sys.stderr)
            return 4
        print(f"bplab grade, instructor mode: visible and hidden tests from {folder.resolve()}/"
              + (f" ({problem})" if problem else ""), flush=True)
    else:
        print("bplab grade, learner mode: each notebook's own visible tests (instructors: pass --solutions DIR)",
              flush=True)
    try:
        sandbox, warning = sandboxes.choose(sandbox or ("none" if solutions is None else "auto"))
    except RuntimeError as error:
        print(f"bplab grade: {error}", file=sys.stderr)
        return 3
    if warning and solutions is not None:  # a learner grading their own code needs no warning about it
        print(warning, file=sys.stderr, flush=True)
    print(flush=True)
    missing = [p for p in files if not p.exists()]
    results = []
    for path in files:
        if path in missing:
            result = NotebookResult(path, error="no such file")
        else:
            try:
                result = grade(path, solutions, timeout, sandbox=sandbox, budget=budget)
            except Exception as error:  # a bug of ours must not stop the batch
                result = NotebookResult(path, error=f"internal error of bplab grade: {type(error).__name__}: {error}")
        results.append(result)
        print(format_result(result), flush=True)
        print()
    if len(results) > 1:
        done = sum(r.error is None for r in results)
        print(f"graded {done} of {len(results)} notebooks completely")
    if csv_path:
        write_csv(results, csv_path)
        print(f"wrote {csv_path}")
    return 1 if any(r.error for r in results) else 0
