"""exercises/ is generated from solutions/: it must be up to date, leak nothing, and keep the format."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from bplab.course.cli import main
from bplab.course.exercises import build, cell_role, exercise_cell, make_exercise, nbgrader_meta

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
SETS = sorted(p.name for p in SOLUTIONS.glob("[0-9][0-9]-*.ipynb"))
MARKERS = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"]


def read(path: Path):
    return nbformat.read(path, as_version=4)


def regions(source: str, begin: str, end: str) -> list[str]:
    """The lines strictly between `begin` and `end` marker lines."""
    lines, inside, found = source.split("\n"), False, []
    for line in lines:
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            found.append(line)
    return found


def test_there_are_at_least_nine_sets_numbered_after_chapters():
    assert len(SETS) >= 9
    assert len({name[:2] for name in SETS}) == len(SETS)


def test_committed_exercises_equal_a_fresh_build_byte_for_byte(tmp_path):
    written = build(SOLUTIONS, tmp_path)
    assert [p.name for p in written] == SETS
    assert sorted(p.name for p in EXERCISES.glob("*.ipynb")) == SETS, "exercises/ has extra or missing notebooks"
    for path in written:
        assert path.read_bytes() == (EXERCISES / path.name).read_bytes(), (
            f"exercises/{path.name} is out of date: run `bplab exercises build`"
        )


def test_build_is_deterministic(tmp_path):
    first = {p.name: p.read_bytes() for p in build(SOLUTIONS, tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in build(SOLUTIONS, tmp_path / "b")}
    assert first == second


@pytest.mark.parametrize("name", SETS)
def test_no_solution_or_hidden_test_leaks_into_the_exercise(name):
    solution, exercise = read(SOLUTIONS / name), read(EXERCISES / name)
    text = "\n".join(cell.source for cell in exercise.cells)
    for marker in MARKERS:
        assert marker not in text, f"{name}: {marker!r} left in the exercise"
    secret, hidden = [], []
    for cell in solution.cells:
        role = cell_role(cell)
        if role == "written":
            secret += cell.source.split("\n")  # the whole written answer is the solution
        elif role == "answer":
            secret += regions(cell.source, "BEGIN SOLUTION", "END SOLUTION")
        elif role == "test":
            hidden += regions(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    # a hidden test line that is also part of a visible test (an import, a set-up line) is no secret
    visible = "\n".join(make_exercise(solution).cells[i].source for i in range(len(solution.cells)))
    secret += [line for line in hidden if line.strip() not in visible]
    assert secret, f"{name} has no solution text at all"
    for line in secret:
        line = line.strip()
        if len(line) > 20:
            assert line not in text, f"{name}: solution line leaked into the exercise: {line!r}"


@pytest.mark.parametrize("name", SETS)
def test_each_set_has_3_to_6_questions_with_points_and_one_written_answer(name):
    nb = read(SOLUTIONS / name)
    graded = [c for c in nb.cells if nbgrader_meta(c).get("grade")]
    assert 3 <= len(graded) <= 6
    assert all(nbgrader_meta(c)["points"] > 0 for c in graded)
    written = [c for c in graded if cell_role(c) == "written"]
    tests = [c for c in graded if cell_role(c) == "test"]
    assert len(written) == 1 and len(tests) == len(graded) - 1
    assert any(cell_role(c) == "answer" for c in nb.cells)
    # the intro states the total, so learners know what a set is worth
    total = sum(nbgrader_meta(c)["points"] for c in graded)
    assert f"**{total}**" in nb.cells[0].source
    # every question heading says its points, in the order of the graded cells
    headings = [c.source.split("\n")[0] for c in nb.cells if c.source.startswith("## Question")]
    assert [h.rsplit("(", 1)[1] for h in headings] == [f"{nbgrader_meta(c)['points']} points)" for c in graded]


@pytest.mark.parametrize("folder", [SOLUTIONS, EXERCISES], ids=["solutions", "exercises"])
@pytest.mark.parametrize("name", SETS)
def test_notebooks_are_valid_nbgrader_notebooks_without_outputs(folder, name):
    nb = read(folder / name)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)  # nbgrader's own checks: grade ids, points, markdown answers
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        meta = nbgrader_meta(cell)
        if meta:
            assert meta["schema_version"] == 3 and meta["task"] is False
            assert meta["locked"] == (cell_role(cell) in ("test", "locked"))
    ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", SETS)
def test_answer_and_test_cells_are_tagged_so_run_all_goes_on_and_tests_are_locked(name):
    for cell in read(EXERCISES / name).cells:
        tagged = "raises-exception" in cell.metadata.get("tags", [])
        assert tagged == (cell.cell_type == "code" and cell_role(cell) in ("answer", "test")), cell.source[:60]
        assert cell.metadata.get("deletable", True) == (cell_role(cell) is None)
        assert cell.metadata.get("editable", True) == (cell_role(cell) not in ("test", "locked"))
    for cell in read(SOLUTIONS / name).cells:  # solutions stay strict: nbval fails on any error there
        assert "raises-exception" not in cell.metadata.get("tags", [])


def code(source: str, **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, "locked": False, "grade": False,
                                     "solution": False, **nbgrader}
    return cell


def test_solution_region_becomes_an_indented_stub_and_keeps_the_def_line():
    cell = code('def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n\ny = 1',
                grade_id="a", solution=True)
    out = exercise_cell(cell)
    assert out.source == 'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\ny = 1'
    assert out.metadata["tags"] == ["raises-exception"]
    assert cell.source.startswith("def f")  and "return 2 * x" in cell.source  # the input is not changed


def test_written_answer_and_unmarked_solution_cells_are_replaced_whole():
    text = nbformat.v4.new_markdown_cell("Because the slope vanishes.")
    text.metadata["nbgrader"] = {"grade_id": "w", "solution": True, "grade": True, "points": 1, "locked": False}
    assert exercise_cell(text).source == "YOUR ANSWER HERE"
    assert exercise_cell(code("x = 3", grade_id="b", solution=True)).source == (
        "# YOUR CODE HERE\nraise NotImplementedError()"
    )


def test_hidden_tests_are_removed_and_outputs_cleared():
    cell = code("assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS",
                grade_id="t", grade=True, points=1, locked=True)
    cell.outputs = [nbformat.v4.new_output("stream", text="hi")]
    cell.execution_count = 3
    out = exercise_cell(cell)
    assert out.source == "assert f(1) == 2" and out.outputs == [] and out.execution_count is None


@pytest.mark.parametrize(
    ("source", "meta", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1", {"grade_id": "a", "solution": True}, "without"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", {}, "not marked as a solution"),
        ("### BEGIN HIDDEN TESTS\nx = 1\n### END HIDDEN TESTS", {}, "not marked as a test"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", {"grade_id": "a", "solution": True}, "nested"),
    ],
)
def test_malformed_markers_are_clear_errors(source, meta, message):
    with pytest.raises(ValueError, match=message):
        exercise_cell(code(source, **meta) if meta else code(source), where="set 99, cell 3")


def test_make_exercise_and_build_do_not_touch_their_input(tmp_path):
    source = SOLUTIONS / SETS[0]
    before = source.read_bytes()
    nb = read(source)
    make_exercise(nb)
    assert nbformat.writes(nb) == nbformat.writes(read(source))
    build(SOLUTIONS, tmp_path)
    assert source.read_bytes() == before


def test_bplab_exercises_build_command(tmp_path, capsys):
    assert main(["exercises", "build", "--solutions", str(SOLUTIONS), "--out", str(tmp_path)]) == 0
    assert f"wrote {len(SETS)} exercise notebooks" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.glob("*.ipynb")) == SETS


def test_build_without_solutions_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no solution notebooks"):
        build(tmp_path, tmp_path / "out")
