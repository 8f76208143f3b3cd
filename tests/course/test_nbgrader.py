"""nbgrader and `bplab grade` on the same submissions: where they agree, and where they differ by design.

A real nbgrader course in tmp_path, with the guide's own ``nbgrader_config.py`` (read from docs/instructors.md's
nbgrader section, so the guide and this test cannot drift): ``nbgrader generate_assignment`` on sets 01 and 06,
submissions, ``nbgrader autograde``, then the gradebook's scores against `bplab grade`'s (instructor mode, the
same solutions, the sandbox where it works).

Set 06's submissions are the ones of a class: the model solution, typical mistakes (catalog 06), nothing attempted
(both handouts: nbgrader's release and bplab's exercise), the course's idiom (a numpy Generator in an answer cell),
and two cheats. The scores are equal, question by question (written answers included: 0 until a person grades
them), except for the cheats, by design:

- **numpy patched** in an answer cell (``np.allclose``... say yes) with a wrong backward pass: nbgrader runs the
  test cells in the learner's kernel, so the patched numpy judges them: question 2 earns its 4 points there (and
  question 3's visible test, told that this backward pass is right, checks the training and fails: 6 of 8 in
  all); bplab runs the tests in the grader's own process: question 2 earns nothing, question 3 its points (the
  honest 4 of 8);
- **the solutions read**: the answer cell looks for the set's source notebook around its working folder and runs
  its model answers. nbgrader runs the learner's code as the instructor, in the course folder next to
  ``source/``: full marks. bplab's sandbox shows the submission no file of yours: nothing (this one needs
  bubblewrap; without it bplab is as exposed as nbgrader, which tests/course/test_sandbox.py shows).

And the "Attribute 'checksum' for cell ... has changed!" warning of ``nbgrader autograde``: it is nbgrader's own
(jupyter/nbgrader#1961): ``generate_assignment`` stores each test cell's checksum *with* its hidden tests, the
handout's cell has none, so autograde warns and puts the stored cell (hidden tests included) back. It comes for
exactly the test cells that have hidden tests, with nbgrader's release and with bplab's handout alike (and for none
when a notebook made from the solution notebook, hidden tests still in, is submitted).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bplab.course.exercises import BEGIN_HIDDEN, cell_role, nbgrader_meta
from bplab.course.grading import grade
from bplab.course.sandbox import bwrap_problem

nbgrader_api = pytest.importorskip("nbgrader.api", reason="nbgrader is a test extra: pip install -e '.[test]'")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
GUIDE = ROOT / "docs" / "instructors.md"
NAME = "01-chain-rule-and-numerical-derivatives"
S06 = "06-xor-backprop-by-hand"
BIN = Path(sys.executable).parent  # nbgrader runs `alembic` from the same environment
SANDBOX = "bwrap" if bwrap_problem() is None else "none"
sys.path.insert(0, str(HERE))  # the catalogs import `catalogs.Case`
from test_catalogs import load  # noqa: E402

# A cheat: run the model answers of the set's source notebook, found around the working folder (nbgrader's
# course folder) or beside the bplab package (a course checkout).
READ_SOLUTIONS = '''import glob as _glob
import json as _json
import os as _os

import bplab as _bplab

_places = [_os.getcwd()]
while _os.path.dirname(_places[-1]) != _places[-1]:
    _places.append(_os.path.dirname(_places[-1]))
_places.append(_os.path.dirname(_os.path.dirname(_bplab.__file__)))
_found = [p for place in _places for pattern in ("source/*/06-xor*.ipynb", "solutions/06-xor*.ipynb")
          for p in _glob.glob(_os.path.join(place, pattern))]
for _path in _found[:1]:
    for _cell in _json.load(open(_path))["cells"]:
        if _cell.get("metadata", {}).get("nbgrader", {}).get("solution") and _cell["cell_type"] == "code":
            exec("".join(_cell["source"]))
'''
PATCH_NUMPY = ("\nnp.allclose = lambda *a, **k: True\n"
               "np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, bool)\n"
               "np.testing.assert_allclose = lambda *a, **k: None\n")


def guide_config() -> str:
    """The nbgrader_config.py of docs/instructors.md (the block after the line that names the file)."""
    text = GUIDE.read_text(encoding="utf-8")
    found = re.search(r"`nbgrader_config\.py`[^\n]*\n+```python\n(.*?)```", text, re.DOTALL)
    assert found, "docs/instructors.md has no ```python block after a line naming `nbgrader_config.py`"
    return found.group(1)


def nbgrader(course: Path, *args: str) -> str:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def by_id(nb, grade_id: str):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def without_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def with_edits(nb, edits: dict[str, str]):
    nb = copy.deepcopy(nb)
    for grade_id, source in edits.items():
        by_id(nb, grade_id).source = source
    return nb


def set06_submissions(released) -> dict[str, tuple]:
    """student -> (notebook, what bplab and nbgrader should each give, per auto-graded question, or None: equal).

    The catalog's solution and mistakes start from the solution notebook as the catalog does; the empty ones are
    the two handouts as they are; the cheats start from bplab's handout."""
    catalog = load("06")
    solution = nbformat.read(SOLUTIONS / f"{S06}.ipynb", as_version=4)
    handout = nbformat.read(EXERCISES / f"{S06}.ipynb", as_version=4)
    mistakes = next(c for c in catalog.CASES if c.name.startswith("q1 summed, q2 tanh applied twice"))
    idiom = next(c for c in catalog.CASES if "default_rng(0)" in c.name)
    wrong_backward = catalog.SLIPS["no tanh'"][1]
    answers = {gid: without_markers(by_id(solution, gid).source) for gid in ("q1_forward", "q2_backward", "q3_train")}
    full = {"q1_forward_tests": 2.0, "q2_backward_tests": 4.0, "q3_train_tests": 2.0}
    return {
        "correct": (with_edits(handout, answers), None),
        "mistakes": (with_edits(solution, mistakes.edits), None),
        "empty-release": (released, None),
        "empty-handout": (handout, None),
        "idiom": (with_edits(solution, idiom.edits), None),
        # bplab: the slip costs question 2 only. nbgrader: the patched comparisons pass question 2, and also tell
        # question 3's visible test that this backward pass is right, so it checks the training, which fails.
        "numpy-patch": (with_edits(handout, {**answers, "q2_backward": wrong_backward + PATCH_NUMPY}),
                        ({**full, "q2_backward_tests": 0.0}, {**full, "q3_train_tests": 0.0})),
        # in every answer cell: a later cell's stub would otherwise replace what the first one defined
        "read-solutions": (with_edits(handout, dict.fromkeys(answers, READ_SOLUTIONS)),
                           ({k: 0.0 for k in full}, full)),
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    """The nbgrader course: sets 01 (ps1) and 06 (ps6), submitted, autograded; the autograde log of ps6."""
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(guide_config())
    for assignment, name in (("ps1", NAME), ("ps6", S06)):
        (course / "source" / assignment).mkdir(parents=True)
        shutil.copy(SOLUTIONS / f"{name}.ipynb", course / "source" / assignment)
        nbgrader(course, "generate_assignment", assignment)

    released = nbformat.read(course / "release" / "ps1" / f"{NAME}.ipynb", as_version=4)
    solved = course / "submitted" / "alice" / "ps1"
    solved.mkdir(parents=True)
    shutil.copy(SOLUTIONS / f"{NAME}.ipynb", solved)
    solution = nbformat.read(SOLUTIONS / f"{NAME}.ipynb", as_version=4)
    partly = with_edits(released, {gid: without_markers(by_id(solution, gid).source)
                                   for gid in ["q1_numerical_derivative", "q3_chain"]})
    by_id(partly, "q2_dfdx").source = "def dfdx(x):\n    return np.cos(x**2) * np.exp(-x)\n"  # forgot the chain rule
    by_id(partly, "q5_why_error_grows").source = "Round-off."
    (course / "submitted" / "bob" / "ps1").mkdir(parents=True)
    nbformat.write(partly, course / "submitted" / "bob" / "ps1" / f"{NAME}.ipynb")
    nbgrader(course, "autograde", "ps1")

    released6 = nbformat.read(course / "release" / "ps6" / f"{S06}.ipynb", as_version=4)
    submissions = set06_submissions(released6)
    for student, (nb, _) in submissions.items():
        folder = course / "submitted" / student / "ps6"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{S06}.ipynb")
    log = nbgrader(course, "autograde", "ps6")
    return {"root": course, "log": log, "submissions": submissions}


def nbgrader_scores(course: Path, name: str, assignment: str, student: str):
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(name, assignment, student)
        return {g.name: (g.score, g.max_score) for g in notebook.grades}, notebook.score


def test_the_guides_config_names_a_course_and_the_timeout(course):
    config = guide_config()
    assert re.search(r'c\.CourseDirectory\.course_id = "[\w-]+"', config)
    assert "c.Execute.timeout = 60" in config  # the same seconds per cell as bplab grade's default


def test_nbgrader_release_matches_our_exercise(course):
    for name, assignment in ((NAME, "ps1"), (S06, "ps6")):
        released = nbformat.read(course["root"] / "release" / assignment / f"{name}.ipynb", as_version=4)
        ours = nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4)
        assert len(released.cells) == len(ours.cells)
        for theirs, mine in zip(released.cells, ours.cells):
            assert theirs.source.rstrip() == mine.source  # same stubs, same hidden tests removed
            assert nbgrader_meta(theirs).get("grade_id") == nbgrader_meta(mine).get("grade_id")
            assert nbgrader_meta(theirs).get("points") == nbgrader_meta(mine).get("points")
            for key in ("deletable", "editable"):  # the same cells are locked in JupyterLab
                assert theirs.metadata.get(key, True) == mine.metadata.get(key, True)


@pytest.mark.parametrize(("student", "expected_total"), [("alice", 10.0), ("bob", 5.0)])
def test_nbgrader_autograde_and_bplab_grade_agree_on_set_01(course, student, expected_total):
    submitted = course["root"] / "submitted" / student / "ps1" / f"{NAME}.ipynb"
    theirs, their_total = nbgrader_scores(course["root"], NAME, "ps1", student)
    result = grade(submitted, SOLUTIONS, timeout=60, sandbox=SANDBOX)
    assert result.error is None
    ours = {q.question: (q.points, q.max_points) for q in result.questions}
    assert ours == theirs  # every question, written answers included (0 until a person grades them)
    assert result.points == their_total == expected_total
    written = [q for q in result.questions if q.status == "manual"]
    assert [q.question for q in written] == [
        c.metadata.nbgrader.grade_id for c in nbformat.read(submitted, as_version=4).cells if cell_role(c) == "written"
    ]


STUDENTS_06 = ["correct", "mistakes", "empty-release", "empty-handout", "idiom", "numpy-patch", "read-solutions"]
FROM_SOLUTION = {"mistakes", "idiom"}  # as the catalog writes them: the solution notebook with answers changed


@pytest.mark.parametrize("student", STUDENTS_06)
def test_set_06_scores_agree_except_the_cheats_by_design(course, student):
    if student == "read-solutions" and SANDBOX != "bwrap":
        if os.environ.get("BPLAB_REQUIRE_SANDBOX") == "1":
            pytest.fail(f"BPLAB_REQUIRE_SANDBOX=1 but bubblewrap does not work here: {bwrap_problem()}")
        pytest.skip(f"without bubblewrap ({bwrap_problem()}) bplab grade can read the solutions too")
    submitted = course["root"] / "submitted" / student / "ps6" / f"{S06}.ipynb"
    theirs, _ = nbgrader_scores(course["root"], S06, "ps6", student)
    result = grade(submitted, SOLUTIONS, timeout=60, sandbox=SANDBOX)
    assert result.error is None
    ours = {q.question: q.points for q in result.questions}
    theirs = {name: score for name, (score, _) in theirs.items()}
    by_design = course["submissions"][student][1]
    if by_design is None:
        assert ours == theirs
    else:
        bplab_expected, nbgrader_expected = by_design
        assert {k: ours[k] for k in bplab_expected} == bplab_expected
        assert {k: theirs[k] for k in nbgrader_expected} == nbgrader_expected
        assert sum(theirs.values()) > sum(ours.values())  # nbgrader gives the cheat points bplab does not
    if student.startswith("empty"):
        assert sum(ours.values()) == 0 and {q.status for q in result.questions} == {"not attempted", "manual"}
    if student in ("correct", "idiom"):
        assert all(q.points == q.max_points for q in result.questions if q.status != "manual")


def test_the_checksum_warning_is_nbgraders_own_and_names_the_hidden_test_cells(course):
    """Each submission's warnings (the log says whose notebook it is sanitizing, then warns)."""
    hidden = {nbgrader_meta(c)["grade_id"] for c in nbformat.read(SOLUTIONS / f"{S06}.ipynb", as_version=4).cells
              if cell_role(c) == "test" and BEGIN_HIDDEN in c.source}
    assert hidden, "set 06 has hidden tests"
    warned: dict[str, set[str]] = {}
    student = None
    for line in course["log"].splitlines():
        sanitizing = re.search(r"Sanitizing .*/submitted/([^/]+)/ps6/", line)
        if sanitizing:
            student = sanitizing.group(1)
            warned[student] = set()
        changed = re.search(r"Attribute '(\w+)' for cell (\S+) has changed!", line)
        if changed:
            assert changed.group(1) == "checksum", line  # no other attribute (points, type, locked) differs
            warned[student].add(changed.group(2))
    assert sorted(warned) == sorted(STUDENTS_06)
    assert warned["empty-release"] == warned["empty-handout"] == hidden  # nbgrader's own release warns the same
    for student in STUDENTS_06:  # a notebook made from the solution still has the hidden tests: no warning
        assert warned[student] == (set() if student in FROM_SOLUTION else hidden), student
