"""Every exercise set's catalog of learner-style submissions, graded: one slip costs one question.

Each `Case` of ``tests/course/catalogs/NN.py`` is graded with ``bplab grade``'s `grade` (no sandbox here:
the sandbox has tests of its own) and must get exactly its expected points per question, with the
expected keyword in each failed question's message and the expected mistake id (``QuestionResult.mistake``, the
id the message ends with, or "not-attempted"), and no message giving an answer away.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

from bplab.course.exercises import make_exercise, nbgrader_meta
from bplab.course.grading import grade

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
SETS = sorted(p for p in SOLUTIONS.glob("[0-9][0-9]*-*.ipynb"))  # 09 and 09b, a set added after it
HERE = Path(__file__).resolve().parent
CATALOGS = {path.stem.split("-")[0]: HERE / "catalogs" / f"{path.stem.split('-')[0]}.py" for path in SETS
            if (HERE / "catalogs" / f"{path.stem.split('-')[0]}.py").exists()}
TIMEOUT = 60
sys.path.insert(0, str(HERE))  # the catalogs import `catalogs.Case`


def load(number: str):
    """The catalog module of set `number` (a file name that starts with a digit is not importable by name)."""
    spec = importlib.util.spec_from_file_location(f"catalog_{number}", CATALOGS[number])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def submission(solution_path: Path, case) -> nbformat.NotebookNode:
    """The solution (or its exercise) with the case's answer cells replaced."""
    nb = nbformat.read(solution_path, as_version=4)
    if case.start == "exercise":
        nb = make_exercise(nb, solution_path.name)
    found = set()
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in case.edits:
            cell.source = case.edits[gid]
            found.add(gid)
    missing = set(case.edits) - found
    assert not missing, f"{case.name}: no cells {sorted(missing)} in {solution_path.name}"
    return nb


def full_marks(solution_path: Path, start: str) -> dict[str, float]:
    nb = nbformat.read(solution_path, as_version=4)
    marks = {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and cell.cell_type == "code":
            marks[meta["grade_id"]] = float(meta.get("points", 0)) if start == "solution" else 0.0
    return marks


def cases():
    for number in sorted(CATALOGS):
        module = load(number)
        path = next(p for p in SETS if p.name.startswith(number + "-"))
        for index, case in enumerate(module.CASES):
            yield pytest.param(path, case, id=f"{number}-{index:02d}")


@pytest.mark.parametrize("solution_path, case", list(cases()))
def test_case_scores_what_it_deserves(solution_path, case, tmp_path):
    path = tmp_path / solution_path.name
    nbformat.write(submission(solution_path, case), path)

    result = grade(path, SOLUTIONS, timeout=TIMEOUT, sandbox="none")

    assert result.error is None, f"{case.name}: {result.error}"
    expected = {**full_marks(solution_path, case.start), **case.points}
    got = {q.question: q.points for q in result.questions if q.status != "manual"}
    messages = {q.question: q.message for q in result.questions}
    mistakes = {q.question: q.mistake for q in result.questions}
    assert got == expected, f"{case.name}: points {got}, expected {expected}; messages {messages}"
    for question, keyword in case.keywords.items():
        assert keyword.lower() in messages[question].lower(), f"{case.name}: {question} said {messages[question]!r}"
    for question, mistake in case.mistakes.items():
        assert mistakes[question] == mistake, f"{case.name}: {question} said {messages[question]!r}"
    for text in case.forbidden:
        assert not any(text in m for m in messages.values()), f"{case.name}: a message shows {text!r}: {messages}"
