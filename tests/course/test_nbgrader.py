"""solutions/ works as an nbgrader source folder, and nbgrader and `bplab grade` agree on the scores.

A real nbgrader course in tmp_path: `nbgrader generate_assignment` on one set, a solved and a partly
solved submission, `nbgrader autograde`, then the gradebook's scores against `bplab grade`'s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bplab.course.exercises import cell_role, nbgrader_meta
from bplab.course.grading import grade

nbgrader_api = pytest.importorskip("nbgrader.api", reason="nbgrader is a test extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
NAME = "01-chain-rule-and-numerical-derivatives"
ASSIGNMENT = "ps1"
BIN = Path(sys.executable).parent  # nbgrader runs `alembic` from the same environment


def nbgrader(course: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(BIN / "nbgrader"), *args, f"--CourseDirectory.root={course}"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def by_id(nb, grade_id: str):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def without_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{NAME}.ipynb", course / "source" / ASSIGNMENT)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    released = course / "release" / ASSIGNMENT / f"{NAME}.ipynb"

    solved = course / "submitted" / "alice" / ASSIGNMENT
    solved.mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{NAME}.ipynb", solved)

    partly = nbformat.read(released, as_version=4)  # what a student downloads, then answers in part
    solution = nbformat.read(SOLUTIONS / f"{NAME}.ipynb", as_version=4)
    for grade_id in ["q1_numerical_derivative", "q3_chain"]:
        by_id(partly, grade_id).source = without_markers(by_id(solution, grade_id).source)
    by_id(partly, "q2_dfdx").source = "def dfdx(x):\n    return np.cos(x**2) * np.exp(-x)\n"  # forgot the chain rule
    by_id(partly, "q5_why_error_grows").source = "Round-off."
    (course / "submitted" / "bob" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(partly, course / "submitted" / "bob" / ASSIGNMENT / f"{NAME}.ipynb")

    nbgrader(course, "autograde", ASSIGNMENT)
    return course


def test_nbgrader_release_matches_our_exercise(course):
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{NAME}.ipynb", as_version=4)
    ours = nbformat.read(EXERCISES / f"{NAME}.ipynb", as_version=4)
    assert len(released.cells) == len(ours.cells)
    for theirs, mine in zip(released.cells, ours.cells):
        assert theirs.source.rstrip() == mine.source  # same stubs, same hidden tests removed
        assert nbgrader_meta(theirs).get("grade_id") == nbgrader_meta(mine).get("grade_id")
        assert nbgrader_meta(theirs).get("points") == nbgrader_meta(mine).get("points")
        for key in ("deletable", "editable"):  # the same cells are locked in JupyterLab
            assert theirs.metadata.get(key, True) == mine.metadata.get(key, True)


@pytest.mark.parametrize(("student", "expected_total"), [("alice", 10.0), ("bob", 5.0)])
def test_nbgrader_autograde_and_bplab_grade_agree(course, student, expected_total):
    submitted = course / "submitted" / student / ASSIGNMENT / f"{NAME}.ipynb"
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(NAME, ASSIGNMENT, student)
        theirs = {g.name: (g.score, g.max_score) for g in notebook.grades}
        their_total = notebook.score

    result = grade(submitted, SOLUTIONS, timeout=60)

    assert result.error is None
    ours = {q.question: (q.points, q.max_points) for q in result.questions}
    assert ours == theirs  # every question, written answers included (0 until a person grades them)
    assert result.points == their_total == expected_total
    written = [q for q in result.questions if q.status == "manual"]
    assert [q.question for q in written] == [
        c.metadata.nbgrader.grade_id for c in nbformat.read(submitted, as_version=4).cells if cell_role(c) == "written"
    ]
