"""exercises/ is generated from solutions/: it must be up to date, leak nothing, and keep the format."""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from bplab.course.cli import main
from bplab.course.exercises import (
    SET_PATTERN,
    BuildError,
    build,
    cell_role,
    check,
    exercise_cell,
    literal,
    make_exercise,
    nbgrader_meta,
    same_value,
)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
SETS = sorted(p.name for p in SOLUTIONS.glob(SET_PATTERN))
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
    assert len({name.split("-")[0] for name in SETS}) == len(SETS)  # 09, 09b: a set added after its lesson


def test_committed_exercises_equal_a_fresh_build_byte_for_byte(tmp_path):
    written = build(SOLUTIONS, tmp_path, data="keep")
    assert [p.name for p in written] == SETS
    assert sorted(p.name for p in EXERCISES.glob("*.ipynb")) == SETS, "exercises/ has extra or missing notebooks"
    for path in written:
        assert path.read_bytes() == (EXERCISES / path.name).read_bytes(), (
            f"exercises/{path.name} is out of date: run `bplab exercises build`"
        )


def test_build_is_deterministic(tmp_path):
    first = {p.name: p.read_bytes() for p in build(SOLUTIONS, tmp_path / "a", data="keep")}
    second = {p.name: p.read_bytes() for p in build(SOLUTIONS, tmp_path / "b", data="keep")}
    assert first == second


def test_built_data_regions_and_exercises_are_up_to_date():
    """`bplab exercises build --check` on the real sets: every BUILT DATA region is what the solution gives."""
    problems = check(SOLUTIONS, EXERCISES)
    assert problems == [], "run `bplab exercises build`:\n" + "\n".join(problems)


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
    points = [nbgrader_meta(c)["points"] for c in graded]
    assert [h.rsplit("(", 1)[1] for h in headings] == [f"{p} point{'' if p == 1 else 's'})" for p in points]


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
    build(SOLUTIONS, tmp_path, data="keep")
    assert source.read_bytes() == before


def test_bplab_exercises_build_command(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, solutions)
    assert main(["exercises", "build", "--solutions", str(solutions), "--out", str(tmp_path / "out")]) == 0
    assert f"wrote {len(SETS)} exercise notebooks" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "out").glob("*.ipynb")) == SETS
    assert main(["exercises", "build", "--check", "--solutions", str(solutions), "--out", str(tmp_path / "out")]) == 0
    assert "up to date" in capsys.readouterr().out


def test_build_without_solutions_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no solution notebooks"):
        build(tmp_path, tmp_path / "out")


# ---------------------------------------------------------------------------------------------
# Built data: `### BEGIN BUILT DATA` regions written from the solution's own code.
# ---------------------------------------------------------------------------------------------

ROUND_TRIP = {
    "floats": [0.1, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, math.pi, -2.5e-17, float("nan"), float("inf"),
               -float("inf"), 1.0],
    "random float64 matrix": np.random.default_rng(1).normal(size=(7, 5)) * 10.0 ** np.arange(-3, 2),
    "tiny and huge": np.array([np.nextafter(0.0, 1.0), np.finfo(float).max, -np.finfo(float).tiny, -0.0, np.nan]),
    "float32": np.random.default_rng(2).normal(size=(3, 2)).astype(np.float32),
    "int64 and int32": (np.arange(-3, 3), np.arange(4, dtype=np.int32).reshape(2, 2)),
    "bools": np.array([[True, False], [False, True]]),
    "complex": np.array([1 + 2j, -0.5j, complex(float("nan"), 1)]),
    "0-d and empty": (np.array(2.5), np.array(3), np.empty((0, 3)), np.zeros((2, 0), dtype=np.int64)),
    "3-d": np.arange(24.0).reshape(2, 3, 4) / 7,
    "numpy scalars": [np.float64(0.1), np.float32(0.1), np.int64(-7), np.bool_(True), np.complex128(1j)],
    "nested": {"h": np.ones((2, 2)) / 3, "pair": (1, "x"), "one": (0.5,), "empty": (), "list": [None, True, b"b"],
               2: [{"deep": [np.array([1e-5])]}], (1, 2): "tuple key", 'quote"s': "it's"},
    "long vector": np.random.default_rng(3).normal(size=500),
}


@pytest.mark.parametrize("value", list(ROUND_TRIP.values()), ids=list(ROUND_TRIP))
def test_built_data_literals_read_back_exactly_and_fit_the_line_length(value):
    for indent in (0, 8):
        text = literal("reference", value, indent=indent)
        namespace = {"np": np}
        exec(text, namespace)
        assert same_value(namespace["reference"], value)
        assert all(indent + len(line) <= 120 for line in text.split("\n")), text
        arrays = [(namespace["reference"], value)] if isinstance(value, np.ndarray) else []
        for got, expected in arrays:  # every bit, but NaN's payload
            finite = ~np.isnan(expected) if expected.dtype.kind == "f" else np.ones(expected.shape, bool)
            assert got.dtype == expected.dtype and got.shape == expected.shape
            assert got[finite].tobytes() == expected[finite].tobytes()


def test_same_value_tells_dtype_shape_sign_and_type_apart():
    assert not same_value(np.zeros(2), np.zeros(2, dtype=np.float32))
    assert not same_value(np.zeros((2, 1)), np.zeros((1, 2)))
    assert not same_value(np.array([0.0]), np.array([-0.0]))
    assert not same_value((1.0,), [1.0]) and not same_value(1, 1.0) and not same_value(np.float64(1), 1.0)
    assert not same_value({"a": 1, "b": 2}, {"b": 2, "a": 1})  # the literal keeps the order too
    assert same_value(float("nan"), float("nan")) and same_value(np.array([np.nan]), np.array([np.nan]))


@pytest.mark.parametrize("value", [np.array([1, "a"], dtype=object), {1, 2}, np.zeros(2, dtype=[("a", "f8")]),
                                   range(3), np.array(["ab"]), Path("x")])
def test_values_without_a_literal_form_are_refused(value):
    with pytest.raises(TypeError, match="no literal form"):
        literal("x", value)


SETUP = "import numpy as np\n\n\ndef initial(seed):\n    return np.random.default_rng(seed).normal(size=(3, 2))\n"
ANSWER = ("def double(a):\n    ### BEGIN SOLUTION\n    return 2.0 * a  # the secret formula\n    ### END SOLUTION\n\n\n"
          "import bplab\nbplab._built_data_ran_here = True\n")
TEST = ('from bplab.course.checks import expect_close\n\n### BEGIN BUILT DATA\nexpected = None\n### END BUILT DATA\n'
        'expect_close("double(initial(3))", double(initial(3)), expected)\n'
        'if True:\n    ### BEGIN HIDDEN TESTS\n    ### BEGIN BUILT DATA\n    hidden_expected = None\n'
        '    ### END BUILT DATA\n'
        '    expect_close("double(initial(4))", double(initial(4)), hidden_expected)\n    ### END HIDDEN TESTS\n')


def cell_of(source: str, role: str | None = None, gid: str = "", data: dict | None = None, **extra):
    cell = nbformat.v4.new_code_cell(source)
    flags = {"answer": dict(solution=True, grade=False, locked=False),
             "test": dict(solution=False, grade=True, locked=True, points=1),
             "locked": dict(solution=False, grade=False, locked=True)}
    if role:
        cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, "grade_id": gid, **flags[role], **extra}
    if data is not None:
        cell.metadata["bplab"] = {"built_data": data}
    return cell


def tiny_set(folder: Path, test_source: str = TEST, data: dict | None = None, name: str = "98-tiny.ipynb",
             answer: str = ANSWER, test_role: str = "test") -> Path:
    """A small solution notebook: set-up, answer, an ordinary cell that rebinds a name, a test with built data."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"expected": "double(initial(3))", "hidden_expected": "{'x': double(initial(4)), 'offset': offset}"} \
        if data is None else data
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Set 98"),
        cell_of(SETUP, "locked", "setup"),
        cell_of(answer, "answer", "q1"),
        cell_of("offset = 0.5  # an ordinary cell runs too"),
        cell_of(test_source, test_role, "q1_tests", data),
    ])
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_build_writes_the_literals_in_the_solution_and_the_visible_ones_in_the_exercise(tmp_path, capsys):
    path = tiny_set(tmp_path / "solutions")
    out = tmp_path / "exercises"

    assert check(path.parent, out) == [f"stale built data: {path}, cell 5 (q1_tests)",
                                       f"out of date: {out / path.name}"]
    assert not out.exists()  # --check writes nothing
    build(path.parent, out)

    solution, exercise = read(path), read(out / path.name)
    expected = 2.0 * np.random.default_rng(3).normal(size=(3, 2))
    namespace = {"np": np}
    test = solution.cells[4].source
    exec(test[test.index("expected = "): test.index("### END BUILT DATA")], namespace)
    assert same_value(namespace["expected"], expected)  # exact: the solution's own float64 values
    assert "hidden_expected = {" in test and "\"offset\": 0.5" in test
    assert solution.cells[4].metadata["bplab"]["built_data"]["expected"] == "double(initial(3))"
    shown = exercise.cells[4].source
    assert "expected = np.array([" in shown and "### BEGIN BUILT DATA" in shown
    assert "hidden_expected" not in shown and "initial(4)" not in shown  # the hidden region leaves whole
    assert "secret formula" not in "\n".join(c.source for c in exercise.cells)
    assert "bplab" not in exercise.cells[4].metadata  # how the data was computed stays with the solution
    assert check(path.parent, out) == []
    before = path.read_bytes()
    build(path.parent, out)
    assert path.read_bytes() == before  # deterministic, and an up-to-date solution is not rewritten
    import bplab

    assert not hasattr(bplab, "_built_data_ran_here")  # the solution's code ran in another process

    # the answer changes: its region is stale, --check says so and writes nothing; the build fixes it
    nb = read(path)
    nb.cells[2].source = nb.cells[2].source.replace("2.0 * a", "3.0 * a")
    nbformat.write(nb, path)
    before = path.read_bytes()
    assert main(["exercises", "build", "--check", "--solutions", str(path.parent), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert f"stale built data: {path}, cell 5 (q1_tests)" in printed
    assert path.read_bytes() == before
    assert main(["exercises", "build", "--solutions", str(path.parent), "--out", str(out)]) == 0
    assert "secret formula" not in (out / path.name).read_text() and check(path.parent, out) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(data={}), "without metadata bplab.built_data"),
        (dict(test_source="pass\n", data={"x": "1"}), "but no '### BEGIN BUILT DATA' region"),
        (dict(data={"expected": "double(initial(3))"}), "assigns hidden_expected, which metadata"),
        (dict(data={"expected": "1", "hidden_expected": "2", "third": "3"}), "not placed: third"),
        (dict(test_source="### BEGIN BUILT DATA\nprint(1)\n### END BUILT DATA\n", data={"x": "1"}),
         "only `name = literal` lines"),
        (dict(data={"expected": "double(initial(3))", "hidden_expected": "undefined_name"}),
         "cell 5 (q1_tests): the expression of hidden_expected (undefined_name) raised NameError"),
        (dict(data={"expected": "double(", "hidden_expected": "1"}), "not a Python expression"),
        (dict(data={"expected": "lambda: 1", "hidden_expected": "1"}), "has no literal form"),
        (dict(answer="raise RuntimeError('broken')"), "cell 3 (q1): the solution's code raised RuntimeError: broken"),
        (dict(test_role="locked"), "not a test (grade) cell"),
        (dict(test_source="### BEGIN BUILT DATA\n### BEGIN BUILT DATA\n### END BUILT DATA\n", data={"x": "1"}),
         "not nested"),
    ],
    ids=["region-without-metadata", "metadata-without-region", "unknown-name", "unplaced-name", "not-assignments",
         "expression-fails", "not-an-expression", "no-literal", "solution-code-fails", "not-a-test-cell", "two-begins"],
)
def test_malformed_built_data_is_a_clear_error_naming_notebook_and_cell(tmp_path, change, message):
    path = tiny_set(tmp_path / "solutions", **change)
    before = path.read_bytes()
    with pytest.raises(BuildError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        build(path.parent, tmp_path / "out")
    assert str(path) in str(error.value)
    assert path.read_bytes() == before and not (tmp_path / "out" / path.name).exists()
    assert main(["exercises", "build", "--solutions", str(path.parent), "--out", str(tmp_path / "out")]) == 1


def test_the_build_python_is_this_one_so_a_learners_venv_builds_too():
    from bplab.course.exercises import _data_environment

    env = _data_environment()
    assert env["PYTHONHASHSEED"] == "0" and env["OPENBLAS_NUM_THREADS"] == "1"
    assert sys.executable  # the child is started with sys.executable
