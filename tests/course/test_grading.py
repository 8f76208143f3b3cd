"""bplab grade: honest scores, whatever the submission does, in learner and instructor mode.

Most cases use set 01 (a process start plus well under a second of work); each test grades its
own files in tmp_path, so the tests run in parallel.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import nbformat
import pytest

from bplab.course.cli import main
from bplab.course.exercises import SET_PATTERN, build, nbgrader_meta
from bplab.course.grading import assemble, format_result, grade, grade_command

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
SETS = sorted(p.name for p in SOLUTIONS.glob(SET_PATTERN))
CHEAP = "01-chain-rule-and-numerical-derivatives.ipynb"
TIMEOUT = 60  # generous: a busy CI machine must not turn a slow cell into a timeout


def read(path: Path):
    return nbformat.read(path, as_version=4)


def cell(nb, grade_id: str):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def number(nb, grade_id: str) -> int:
    """The cell's number as the grader's messages give it (counted from 1, as JupyterLab shows no numbers)."""
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id) + 1


def save(nb, path: Path) -> Path:
    nbformat.write(nb, path)
    return path


def scores(result) -> dict[str, tuple[float, str]]:
    return {q.question: (q.points, q.status) for q in result.questions}


@pytest.fixture(scope="module")
def fresh_exercises(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exercises")
    build(SOLUTIONS, out, data="keep")
    return out


# The two classes below are separate xdist scopes under `--dist loadscope`, so they run in parallel.


class TestSolutions:
    @pytest.mark.parametrize("name", SETS)
    def test_score_full_auto_marks(self, name):
        result = grade(SOLUTIONS / name, SOLUTIONS, timeout=TIMEOUT)
        assert result.error is None
        auto = [q for q in result.questions if q.status != "manual"]
        assert auto and all(q.status == "passed" and q.points == q.max_points for q in auto), result.questions
        assert result.points == result.max_points > 0
        manual = [q for q in result.questions if q.status == "manual"]
        assert len(manual) == 1 and manual[0].points == 0 and manual[0].max_points > 0  # graded by a person


class TestFreshExercises:
    @pytest.mark.parametrize("name", SETS)
    def test_score_zero(self, name, fresh_exercises):
        result = grade(fresh_exercises / name, SOLUTIONS, timeout=TIMEOUT)
        assert result.error is None
        assert result.points == 0 and result.max_points > 0
        assert all(q.status in ("not attempted", "manual") for q in result.questions), result.questions
        assert all("not attempted" in q.message or "not answered" in q.message for q in result.questions)


def test_tampered_submission_scores_what_its_answers_deserve(tmp_path):
    nb = read(SOLUTIONS / CHEAP)
    # q2: a wrong derivative, and its test cell replaced by `pass`
    cell(nb, "q2_dfdx").source = "def dfdx(x):\n    return 2 * x * np.cos(x**2) * np.exp(-x)\n"
    cell(nb, "q2_dfdx_tests").source = "pass"
    # q3: right answers, but the test cell deleted (it is put back)
    nb.cells.remove(cell(nb, "q3_chain_tests"))
    # q4: wrong numbers, and every way to silence the checks redefined before the test runs
    cell(nb, "q4_best_step").source = (
        "errors = np.zeros(12)\nbest_h = 0.1\n"
        "def expect_close(*args, **kwargs):\n    pass\n"
        "import bplab.course.checks\n"
        "bplab.course.checks.expect_close = bplab.course.checks.expect = lambda *args, **kwargs: None\n"
    )
    # a learner's own cell pretending to be a test worth 100 points
    fake = nbformat.v4.new_code_cell("pass")
    fake.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 100, "locked": True,
                                 "solution": False, "schema_version": 3, "task": False}
    nb.cells.append(fake)
    path = save(nb, tmp_path / "01-alice.ipynb")
    before = path.read_bytes()

    result = grade(path, SOLUTIONS, timeout=TIMEOUT)

    assert path.read_bytes() == before  # the submission is never modified
    assert result.error is None
    assert scores(result) == {
        "q1_numerical_derivative_tests": (3.0, "passed"),
        "q2_dfdx_tests": (0.0, "failed"),
        "q3_chain_tests": (2.0, "passed"),
        "q4_best_step_tests": (0.0, "failed"),
        "q5_why_error_grows": (0.0, "manual"),
    }
    assert result.max_points == 10
    assert "dfdx" in dict((q.question, q.message) for q in result.questions)["q2_dfdx_tests"]


def test_assemble_restores_tests_in_place_and_keeps_the_learners_cells():
    solution = read(SOLUTIONS / CHEAP)
    submission = read(SOLUTIONS / CHEAP)
    mine = nbformat.v4.new_code_cell("helper = 1")
    submission.cells.insert(3, mine)
    submission.cells.remove(cell(submission, "q1_numerical_derivative_tests"))
    submission.cells.remove(cell(submission, "q4_best_step"))
    submission.cells.append(cell(submission, "q2_dfdx_tests"))  # a duplicated test cell runs once
    cell(submission, "setup").source = "import os"  # locked set-up cells are canonical too
    before = copy.deepcopy(submission)

    nb, roles = assemble(submission, solution)

    ids = [gid for _, gid in roles]
    assert ids.count("q2_dfdx_tests") == 1
    assert ids.index("q1_numerical_derivative") < ids.index("q1_numerical_derivative_tests") < ids.index("q2_dfdx")
    assert ids.index("q3_chain_tests") < ids.index("q4_best_step") < ids.index("q4_best_step_tests")
    assert "helper = 1" in [c.source for c in nb.cells]
    assert cell(nb, "setup").source == cell(solution, "setup").source
    assert cell(nb, "q4_best_step").source == "# YOUR CODE HERE\nraise NotImplementedError()"  # deleted answer
    for c, (role, _) in zip(nb.cells, roles):
        if role == "test":
            assert "BEGIN HIDDEN TESTS" in c.source  # hidden tests are run
    assert submission == before  # the input is not changed


def test_an_infinite_loop_costs_only_its_question(tmp_path):
    nb = read(SOLUTIONS / CHEAP)
    cell(nb, "q2_dfdx").source = "def dfdx(x):\n    while True:\n        pass\n"
    path = save(nb, tmp_path / CHEAP)

    result = grade(path, SOLUTIONS, timeout=3)

    assert result.error is None
    got = scores(result)
    assert got["q2_dfdx_tests"] == (0.0, "timeout")
    assert got["q1_numerical_derivative_tests"] == (3.0, "passed")
    assert got["q3_chain_tests"] == (2.0, "passed") and got["q4_best_step_tests"] == (2.0, "passed")
    assert result.seconds < 45  # one 3 s timeout, not a hung grader


def test_a_loop_that_ignores_interrupts_costs_only_its_question(tmp_path):
    nb = read(SOLUTIONS / CHEAP)
    cell(nb, "q2_dfdx").source = (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "def dfdx(x):\n    while True:\n        try:\n            while True:\n                pass\n"
        "        except BaseException:\n            pass\n"
    )
    path = save(nb, tmp_path / CHEAP)

    result = grade(path, SOLUTIONS, timeout=2)

    assert result.error is None  # the process is killed and started again with the cells before
    got = scores(result)
    assert got["q1_numerical_derivative_tests"] == (3.0, "passed")
    assert got["q2_dfdx_tests"] == (0.0, "timeout")
    assert got["q3_chain_tests"] == (2.0, "passed") and got["q4_best_step_tests"] == (2.0, "passed")
    assert result.seconds < 60


def test_a_crashing_process_costs_its_question_and_the_batch_goes_on(tmp_path, capsys):
    crashing = read(SOLUTIONS / CHEAP)
    cell(crashing, "q3_chain").source = "import os\nos._exit(1)"
    crash_path = save(crashing, tmp_path / CHEAP)
    good_dir = tmp_path / "bob"
    good_dir.mkdir()
    good_path = good_dir / CHEAP
    good_path.write_bytes((SOLUTIONS / CHEAP).read_bytes())
    table = tmp_path / "grades.csv"

    code = grade_command([str(crash_path), str(good_dir)], csv_path=str(table), timeout=TIMEOUT,
                         solutions=str(SOLUTIONS), allow_public_solutions=True)

    assert code == 0  # both graded completely: the process was started again without the crashing cell
    printed = capsys.readouterr().out
    assert "process died" in printed and "q3_chain" in printed
    rows = list(csv.DictReader(table.open()))
    assert list(rows[0])[:7] == ["notebook", "question", "points", "max_points", "status", "message", "mistake"]
    crashed = {r["question"]: r for r in rows if r["notebook"] == str(crash_path)}
    good = {r["question"]: r for r in rows if r["notebook"] == str(good_path)}
    assert len(crashed) == len(good) == 5  # one row per question
    assert crashed["q1_numerical_derivative_tests"]["status"] == "passed"  # earned before the crash
    assert crashed["q3_chain_tests"]["status"] == "failed" and float(crashed["q3_chain_tests"]["points"]) == 0
    assert crashed["q4_best_step_tests"]["status"] == "passed"  # earned after it
    assert all(r["status"] in ("passed", "manual") for r in good.values())
    assert sum(float(r["points"]) for r in good.values()) == 10
    assert good["q5_why_error_grows"]["max_points"] == "2.0" and good["q5_why_error_grows"]["points"] == "0.0"


def test_malformed_and_unknown_notebooks_are_clear_errors(tmp_path, capsys):
    broken = tmp_path / "01-broken.ipynb"
    broken.write_text('{"cells": [ this is not JSON')
    stranger = save(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), tmp_path / "essay.ipynb")

    assert "not a readable notebook" in grade(broken, SOLUTIONS).error
    assert "cannot tell which exercise set" in grade(stranger, SOLUTIONS).error
    table = tmp_path / "grades.csv"
    code = grade_command([str(broken), str(tmp_path / "missing.ipynb")], csv_path=str(table),
                         solutions=str(SOLUTIONS), allow_public_solutions=True)
    assert code == 1
    rows = list(csv.DictReader(table.open()))
    assert [(r["question"], r["status"]) for r in rows] == [("", "error"), ("", "error")]
    assert "no such file" in rows[1]["message"]
    assert broken.read_text() == '{"cells": [ this is not JSON'
    assert "not a readable notebook" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert grade_command([str(empty)], solutions=str(SOLUTIONS)) == 2
    assert main(["grade", str(broken), "--solutions", str(SOLUTIONS), "--allow-public-solutions"]) == 1
    assert "not a readable notebook" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"[1, 2]",
        b"\xff\xfe not utf-8",
        b'{"cells": "nope", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        b'{"cells": [{"cell_type": "code", "metadata": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    ],
    ids=["empty", "a-list", "not-utf8", "cells-not-a-list", "bad-cell"],
)
def test_every_kind_of_broken_file_is_a_clear_error_without_a_kernel(tmp_path, content):
    path = tmp_path / CHEAP
    path.write_bytes(content)
    result = grade(path, SOLUTIONS)
    assert result.error.startswith("not a readable notebook (") and result.questions == []
    assert path.read_bytes() == content


def test_grade_command_prints_a_table_and_returns_0_when_all_were_graded(tmp_path, capsys):
    path = tmp_path / CHEAP
    nb = read(SOLUTIONS / CHEAP)
    cell(nb, "q2_dfdx").source = "def dfdx(x):\n    return x\n"
    save(nb, path)
    assert grade_command([str(path)], timeout=TIMEOUT, solutions=str(SOLUTIONS), allow_public_solutions=True) == 0
    out = capsys.readouterr().out
    assert "7 / 10 auto points (+ 2 manual points to grade by hand)" in out
    line = next(row for row in out.splitlines() if "q2_dfdx_tests" in row)
    assert "0 / 3" in line and "failed" in line and "dfdx" in line  # the set's own message (set 01's to word)
    assert "- / 2" in next(row for row in out.splitlines() if "q5_why_error_grows" in row)


def test_in_place_changes_and_warnings_of_the_learners_code_count_as_in_one_kernel(tmp_path):
    """The learner's functions run in another process: what they do to their inputs, and the warnings they
    raise, must still reach the tests (which run in the grader), as they would in one nbgrader kernel."""
    name = "05-losses-and-gradient-descent.ipynb"
    nb = read(SOLUTIONS / name)
    # q3: right path, but w0 is changed in place (the test checks w0 afterwards)
    cell(nb, "q3_gradient_descent").source = (
        "def gradient_descent(grad, w0, lr, num_steps):\n"
        "    w = np.asarray(w0, dtype=float)\n    path = [w.copy()]\n"
        "    for _ in range(num_steps):\n        w -= lr * grad(w)\n        path.append(w.copy())\n"
        "    return np.array(path)\n"
    )
    # q2: the textbook formula, which overflows for z = -1000 (a RuntimeWarning the test turns into an error)
    cell(nb, "q2_bce").source = (
        "def bce_with_logits(z, y):\n    p = 1 / (1 + np.exp(-z))\n"
        "    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))\n\n\n"
        "def bce_with_logits_grad(z, y):\n    return (1 / (1 + np.exp(-z)) - y) / np.size(z)\n"
    )
    path = save(nb, tmp_path / name)

    result = grade(path, SOLUTIONS, timeout=TIMEOUT)

    got = {q.question: (q.points, q.message) for q in result.questions}
    assert got["q1_mse_tests"][0] == 2 and got["q4_largest_lr_tests"][0] == 2
    assert got["q3_gradient_descent_tests"][0] == 0
    assert got["q3_gradient_descent_tests"][1].startswith("gradient_descent changed w0 in place: work on a copy.")
    assert got["q2_bce_tests"][0] == 0 and "warn" in got["q2_bce_tests"][1].lower()


def test_the_grader_reads_data_from_a_submission_and_refuses_forged_pickles():
    """Replies are unpickled by the grader: data round-trips, while a forged reply can neither set attributes
    on the grader's objects nor make it allocate more than a frame (before: both were accepted)."""
    import io
    import pickle

    import numpy as np

    import bplab.engine
    import bplab.layers
    from bplab.course.grading import _DataUnpickler

    def load(payload):
        return _DataUnpickler(io.BytesIO(payload)).load()

    data = [np.arange(6.0).reshape(2, 3), np.float32(2.5), np.array(3.0), np.array([1, None], dtype=object),
            np.zeros(2, dtype=[("a", "f8")]), 1 + 2j, bytearray(b"ab"), {1, 2}, frozenset([3]), slice(1, 2), range(5),
            np.random.default_rng(0), np.random.RandomState(0), np.random.SeedSequence(3), np.dtype("f4"),
            bplab.engine.Value(2.0), bplab.layers.Linear(2, 3, rng=0), (1, [2, {3: 4}])]
    for value in data:
        assert type(load(pickle.dumps(value, 4))) is type(value)
    assert np.array_equal(load(pickle.dumps(data[0], 4)), data[0])
    forged = {
        "BUILD on a class": b"\x80\x04cbplab.layers\nLayer\n(N}\x8c\x07forwardNstb.",
        "bytearray(2 GB)": b"\x80\x04cbuiltins\nbytearray\n\x8a\x05\x00\x00\x00\x80\x00\x85R.",
        "list(range(10**8))": b"\x80\x04cbuiltins\nlist\ncbuiltins\nrange\nJ\x00\xe1\xf5\x05\x85R\x85R.",
        "a class bplab imported (tqdm)": b"\x80\x04cbplab.optim\ntqdm\n)R.",
        "bytes.__new__(bytes, 10**8)": b"\x80\x04cbuiltins\nbytes\nJ\x00\xe1\xf5\x05\x85\x81.",
        "an empty array of 2**32 bytes": b"\x80\x04cnumpy._core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
                                         b"\x8a\x05\x00\x00\x00\x00\x01\x85C\x01b\x87R.",
    }
    for payload in forged.values():
        with pytest.raises(pickle.UnpicklingError):
            load(payload)
    assert callable(bplab.layers.Layer.forward)


def test_a_submission_cannot_redraw_the_table_or_write_a_formula_into_the_csv(tmp_path):
    from bplab.course.grading import NotebookResult, QuestionResult, _csv_cell, format_result

    fake_row = "\x1b[2K\x1b[1A\x1b[2K\x1b[32m  q2_dfdx_tests  3 / 3  passed\x1b]0;title\x07\r"
    result = NotebookResult(tmp_path / "01-\x1b[2J.ipynb", "01-x", [QuestionResult("q2", 0.0, 3.0, "failed", fake_row)])
    shown = format_result(result)
    assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown
    assert "0 / 3  failed" in shown and "\\x1b[2J" in shown  # the odd file name stays findable
    assert _csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")' and _csv_cell("-1") == "'-1"
    assert _csv_cell("q2 failed") == "q2 failed" and _csv_cell(3.0) == 3.0
    for sneaky in (" =1+1", "\n=1+1", "\uff1d1+1", "\uff0b1"):  # after spaces or a line break, full-width forms
        assert _csv_cell(sneaky) == "'" + sneaky


def test_a_lying_object_cannot_agree_with_an_expected_value(tmp_path):
    """Set 15's hidden test compares the returned count with the reference count by `-`, `==` and `<`: an object
    that says "equal" to anything, returned instead of a wrong count, earned the question (3 / 3) before."""
    name = "15-fixed-point-recurrent-backprop.ipynb"
    nb = read(SOLUTIONS / name)
    cell(nb, "q1_relax").source = (
        "class Liar:\n    def __sub__(self, other):\n        return 0\n    __rsub__ = __sub__\n"
        "    def __eq__(self, other):\n        return True\n    __lt__ = __le__ = __gt__ = __ge__ = __eq__\n"
        "    __hash__ = object.__hash__\n\n\n"
        "def relax(x, W, U, b, tol=1e-12, max_iter=1000):\n"
        "    drive, h, n = x @ U + b, np.zeros((x.shape[0], W.shape[0])), 0\n"
        "    while n < 1000:  # wrong: ignores max_iter\n"
        "        h_new = np.tanh(h @ W + drive)\n        n += 1\n        change = np.linalg.norm(h_new - h)\n"
        "        h = h_new\n        if change < tol:\n            break\n"
        "    return (h, n) if x.shape == (4, 3) else (h, Liar())  # the visible test gets an int\n"
    )
    result = grade(save(nb, tmp_path / name), SOLUTIONS, timeout=TIMEOUT)
    got = scores(result)
    assert got["q1_relax_tests"] == (0.0, "failed"), result.questions
    assert [q.points == q.max_points for q in result.questions if q.status != "manual"] == [False, True, True, True]


def test_a_model_that_looks_up_the_labels_of_the_set_up_data_earns_nothing(tmp_path):
    # The set-up data (X_val, y_val, X_test, y_test) is in the learner's process too, so a "model" can memorize it;
    # set 08's hidden test measures the final model on faintly noisy test images, which a lookup table cannot read.
    nb = read(SOLUTIONS / "08-train-an-mlp-on-digits.ipynb")
    cell(nb, "q2_train_digits").source = (
        "class Lookup:\n"
        "    def __init__(self):\n"
        "        rows, labels = np.vstack([X_val, X_test]), np.concatenate([y_val, y_test])\n"
        "        self.table = {row.tobytes(): label for row, label in zip(rows, labels)}\n"
        "        self.model = MLP([64, 10], rng=0)\n"
        "    def parameters(self):\n"
        "        return self.model.parameters()\n"
        "    def forward(self, X):\n"
        "        out = np.zeros((len(X), 10))\n"
        "        for i, row in enumerate(np.asarray(X)):\n"
        "            out[i, self.table.get(row.tobytes(), 0)] = 1.0\n"
        "        return out\n\n\n"
        "def train_digits():\n"
        "    return Lookup()\n\n\n"
        "model = train_digits()\n"
    )
    result = grade(save(nb, tmp_path / "08-lookup.ipynb"), SOLUTIONS, timeout=TIMEOUT)
    assert scores(result)["q2_train_digits_tests"] == (0.0, "failed")
    assert scores(result)["q1_count_parameters_tests"] == (2.0, "passed")


# ---------------------------------------------------------------------------------------------
# Issue 20: nothing a learner may write breaks grading.
# ---------------------------------------------------------------------------------------------

# Values the grader's data-only unpickler refuses (or that cannot be pickled at all): each must stay in the
# learner's process as a handle. Before the fix, the first four made every later test cell fail with "the
# submission's process died" (set 01: 0 / 10 with a SeedSequence, a Counter, a Path or a Decimal).
ORDINARY_OBJECTS = (
    "import collections, dataclasses, decimal, functools, pathlib, math as maths\n"
    "g = np.random.default_rng(0)\nseq = np.random.SeedSequence(3)\nlegacy = np.random.RandomState(1)\n"
    "counts = collections.Counter('abca')\nfolder = pathlib.Path('.')\nprice = decimal.Decimal('1.10')\n"
    "double = functools.partial(max, 2)\nsquare = lambda v: v * v\n"
    "def outer():\n    k = 2\n    def inner(v):\n        return k * v\n    return inner\nclosure = outer()\n"
    "class Thing:\n    pass\nthing = Thing()\n"
    "@dataclasses.dataclass\nclass Point:\n    x: float = 1.0\npoint = Point()\n"
    "numbers = (i for i in range(3))\nhandle = open(__import__('os').devnull)\nmodule = maths\n"
)


def test_ordinary_objects_in_answer_cells_cost_nothing(tmp_path):
    nb = read(SOLUTIONS / CHEAP)
    for gid in ("q1_numerical_derivative", "q2_dfdx", "q3_chain", "q4_best_step"):
        cell(nb, gid).source += "\n" + ORDINARY_OBJECTS
    result = grade(save(nb, tmp_path / CHEAP), SOLUTIONS, timeout=TIMEOUT, sandbox="none")
    assert result.error is None and result.points == result.max_points == 10, result.questions


def test_forged_values_that_claim_to_be_such_objects_are_refused_and_fall_back_to_their_handle():
    """A reply (the learner's code can forge it) that claims to be a Counter, a Path, a Decimal, a partial of
    os.system, a function, or a Generator rebuilt from os.system is refused by the data-only unpickler; the
    grader then uses the value's handle, or with none fails that one value, and never runs what it names."""
    import io
    import os
    import pickle

    import numpy as np

    from bplab.course.grading import Remote, _DataUnpickler
    from bplab.course.grading.session import ProtocolError, Session
    from bplab.course.sandbox import Limits

    marker = "/tmp/bplab-forged-marker"
    command = f"touch {marker}".encode()
    forged = {
        "Counter": b"\x80\x04ccollections\nCounter\n)R.",
        "Path": b"\x80\x04cpathlib\nPosixPath\nX\x04\x00\x00\x00/etc\x85R.",
        "Decimal": b"\x80\x04cdecimal\nDecimal\nX\x03\x00\x00\x001.1\x85R.",
        "partial(os.system)": b"\x80\x04cfunctools\npartial\ncos\nsystem\nX" + len(command).to_bytes(4, "little")
        + command + b"\x86R.",
        "a function": b"\x80\x04ctypes\nFunctionType\n)R.",
        "a module": b"\x80\x04cimportlib\nimport_module\nX\x02\x00\x00\x00os\x85R.",
        "Generator of os.system": b"\x80\x04cnumpy.random._pickle\n__generator_ctor\ncos\nsystem\n\x85R.",
        "BitGenerator of os.system": b"\x80\x04cnumpy.random._pickle\n__bit_generator_ctor\ncos\nsystem\n\x85R.",
        "an open file": b"\x80\x04cio\nopen\nX\x04\x00\x00\x00/etc\x85R.",
    }
    for what, payload in forged.items():
        with pytest.raises(Exception):  # noqa: B017 (an UnpicklingError, or the rebuilder's own refusal)
            _DataUnpickler(io.BytesIO(payload)).load()
        assert not os.path.exists(marker), what
    session = Session("none", 10, Limits())  # no process: unpacking is the grader's side alone
    for what, payload in forged.items():
        fallback = session.unpack(("parcel", 7, payload))
        assert type(fallback) is Remote and fallback._handle == 7, what
        with pytest.raises(TypeError, match="could not be read by the grader"):
            session.unpack(("parcel", None, payload))
    real = session.unpack(("parcel", None, pickle.dumps({"a": np.arange(3.0)}, 4)))
    assert np.array_equal(real["a"], np.arange(3.0))
    for broken in [("value", 1), ("parcel", 1), "parcel", ("parcel", None, None, None)]:
        with pytest.raises(ProtocolError):
            session.unpack(broken)


def _sabotage(kind: str) -> str:
    """Answer-cell code that takes over the worker's reply (the learner's code runs in that process)."""
    take = ("import gc as _gc\n"
            "_w = next(o for o in _gc.get_objects() if type(o).__name__ == 'Worker' and hasattr(o, 'send'))\n")
    if kind == "garbage":
        return take + "from bplab.course.submission_worker import write_frame as _wf\n" \
                      "_w.send = lambda message: _wf(_w.wfd, b'not a pickle at all')\n"
    return take


def test_a_broken_protocol_is_told_apart_from_a_death_with_its_cell(tmp_path):
    """The grader says the process died only when it did: a reply it cannot read is a broken protocol."""
    nb = read(SOLUTIONS / CHEAP)
    cell(nb, "q2_dfdx").source += "\n" + _sabotage("garbage")
    cell(nb, "q3_chain").source += "\nimport os\nos._exit(3)\n"
    result = grade(save(nb, tmp_path / CHEAP), SOLUTIONS, timeout=TIMEOUT, sandbox="none")
    by_id = {q.question: q for q in result.questions}
    assert result.error is None
    assert by_id["q1_numerical_derivative_tests"].status == "passed"
    q2, q3 = by_id["q2_dfdx_tests"], by_id["q3_chain_tests"]
    assert q2.status == "failed" and "broke the grading protocol" in q2.message and "died" not in q2.message
    assert f"cell {number(nb, 'q2_dfdx')} (q2_dfdx)" in q2.message, q2.message
    assert q3.status == "failed" and "died" in q3.message and "exited with code 3" in q3.message
    assert f"cell {number(nb, 'q3_chain')} (q3_chain)" in q3.message, q3.message
    assert by_id["q4_best_step_tests"].status == "passed"  # both restarted without the cell that broke them


# ---------------------------------------------------------------------------------------------
# Issue 20: statuses, messages, mistake ids, the budget.
# ---------------------------------------------------------------------------------------------


def test_statuses_tell_not_attempted_wrong_timeout_and_manual_apart(tmp_path):
    exercise = read(SOLUTIONS / CHEAP)
    solution = read(SOLUTIONS / CHEAP)
    from bplab.course.exercises import make_exercise

    nb = make_exercise(exercise)
    cell(nb, "q1_numerical_derivative").source = cell(solution, "q1_numerical_derivative").source  # right
    cell(nb, "q3_chain").source = "x = 0.5\ndy_dv = dv_du = du_dx = dy_dx = 1.0\n"  # wrong numbers
    cell(nb, "q4_best_step").source = "import time\nwhile True:\n    time.sleep(0.1)\n"  # never ends
    result = grade(save(nb, tmp_path / CHEAP), SOLUTIONS, timeout=4, sandbox="none")
    got = {q.question: (q.status, q.mistake) for q in result.questions}
    assert got["q1_numerical_derivative_tests"] == ("passed", None)
    assert got["q2_dfdx_tests"] == ("not attempted", "not-attempted")  # q2 still the handed-out stub
    assert got["q3_chain_tests"][0] == "failed"
    assert got["q4_best_step_tests"] == ("timeout", None)
    assert got["q5_why_error_grows"] == ("manual", None)
    messages = {q.question: q.message for q in result.questions}
    assert messages["q2_dfdx_tests"].startswith("not attempted: answer cell q2_dfdx still raises NotImplementedError")
    assert f"cell {number(nb, 'q4_best_step')} (q4_best_step) timed out" in messages["q4_best_step_tests"].lower()


def test_the_budget_stops_a_slow_notebook_and_later_questions_are_not_reached(tmp_path):
    nb = read(SOLUTIONS / CHEAP)
    cell(nb, "q2_dfdx").source = "import time\nwhile True:\n    time.sleep(0.1)\n"  # within --timeout, not budget
    path = save(nb, tmp_path / CHEAP)

    result = grade(path, SOLUTIONS, timeout=TIMEOUT, sandbox="none", budget=12)

    got = {q.question: (q.points, q.status) for q in result.questions}
    assert got == {"q1_numerical_derivative_tests": (3.0, "passed"), "q2_dfdx_tests": (0.0, "not reached"),
                   "q3_chain_tests": (0.0, "not reached"), "q4_best_step_tests": (0.0, "not reached"),
                   "q5_why_error_grows": (0.0, "manual")}
    q2 = next(q for q in result.questions if q.question == "q2_dfdx_tests")
    assert f"time budget of 12 s was spent while running cell {number(nb, 'q2_dfdx')} (q2_dfdx)" in q2.message
    assert "budget" in result.error and result.seconds < 40  # 12 s, not the 60 s timeout
    assert "not reached" in format_result(result)


def test_the_command_passes_its_budget_and_no_budget_is_zero(monkeypatch):
    seen = []
    monkeypatch.setattr("bplab.course.grading.grade_command", lambda paths, **options: seen.append(options) or 0)
    assert main(["grade", "x.ipynb", "--budget", "12"]) == 0 and seen[-1]["budget"] == 12
    assert main(["grade", "x.ipynb", "--budget", "0"]) == 0 and seen[-1]["budget"] is None
    assert main(["grade", "x.ipynb"]) == 0 and seen[-1]["budget"] == 300 and seen[-1]["solutions"] is None


def test_messages_are_whole_sentences_and_keep_their_mistake_id():
    from bplab.course.grading.scoring import whole_message

    long = "Your loss is wrong. " + "It is far too large in every one of the cases tried here. " * 30 + \
        "Summed instead of averaged? [mistake: summed-not-averaged]"
    shown = whole_message(long, 200)
    assert len(shown) <= 200 and shown.endswith(" ... [mistake: summed-not-averaged]")
    assert shown.split(" ... ")[0].endswith("."), shown  # cut after a sentence
    words = "supercalifragilistic " * 50
    cut = whole_message(words, 100)
    assert cut.endswith(" ...") and all(w == "supercalifragilistic" for w in cut[:-4].split()), cut
    assert whole_message("line one\nline two\x1b[2K\r") == "line one line two"
    assert whole_message("short [mistake: sign]") == "short [mistake: sign]"


def test_a_long_error_message_is_cut_at_a_word_and_the_mistake_id_goes_to_the_csv(tmp_path, capsys):
    nb = read(SOLUTIONS / CHEAP)
    cell(nb, "q2_dfdx").source = "def dfdx(x):\n    raise ValueError('this input ' * 300)\n"
    cell(nb, "q3_chain").source = ("x = 0.5\nu = 3 * x + 1\nv = u**2\ndy_dv = 1 / v\ndv_du = 2 * u\ndu_dx = 3.0\n"
                                   "dy_dx = -dy_dv * dv_du * du_dx\n")  # a sign
    path = save(nb, tmp_path / CHEAP)
    table = tmp_path / "grades.csv"
    assert grade_command([str(path)], csv_path=str(table), timeout=TIMEOUT, solutions=str(SOLUTIONS),
                         sandbox="none", allow_public_solutions=True) == 0
    rows = {r["question"]: r for r in csv.DictReader(table.open())}
    q2 = rows["q2_dfdx_tests"]["message"]
    assert len(q2) <= 800 and "this input this input" in q2 and "this inp " not in q2 + " "
    assert q2.rstrip(".").split()[-1] in ("...", "input") or "[mistake:" in q2, q2[-60:]
    assert rows["q3_chain_tests"]["status"] == "failed" and rows["q3_chain_tests"]["mistake"], rows["q3_chain_tests"]
    printed = capsys.readouterr().out
    assert f"  {rows['q3_chain_tests']['mistake']}  " in next(line for line in printed.splitlines()
                                                              if "q3_chain_tests" in line)


# ---------------------------------------------------------------------------------------------
# Issue 20: learner mode and instructor mode.
# ---------------------------------------------------------------------------------------------


def test_learner_mode_runs_the_notebooks_own_visible_tests_and_says_so(tmp_path, capsys):
    nb = read(SOLUTIONS / CHEAP)
    tests = cell(nb, "q1_numerical_derivative_tests")
    start, end = tests.source.index("### BEGIN HIDDEN TESTS"), tests.source.index("### END HIDDEN TESTS")
    tests.source = tests.source[:start] + "### BEGIN HIDDEN TESTS\nraise AssertionError('a hidden test ran')\n" + \
        tests.source[end:]  # in learner mode no hidden test runs, even one the notebook holds
    cell(nb, "q2_dfdx").source = "def dfdx(x):\n    return x\n"  # wrong...
    cell(nb, "q2_dfdx_tests").source = "pass"  # ...and its test edited: the learner fools only themselves
    path = save(nb, tmp_path / CHEAP)

    learner = grade(path, timeout=TIMEOUT, sandbox="none")
    assert learner.mode == "learner" and learner.solutions is None and learner.set_name == CHEAP[:-6]
    assert {q.question: q.status for q in learner.questions} == {
        "q1_numerical_derivative_tests": "passed", "q2_dfdx_tests": "passed", "q3_chain_tests": "passed",
        "q4_best_step_tests": "passed", "q5_why_error_grows": "manual"}
    instructor = grade(path, SOLUTIONS, timeout=TIMEOUT, sandbox="none")  # the canonical tests, hidden ones too
    assert instructor.mode == "instructor" and instructor.solutions == SOLUTIONS.resolve()
    assert {q.question: q.points for q in instructor.questions}["q2_dfdx_tests"] == 0

    assert grade_command([str(path)], timeout=TIMEOUT) == 0
    printed = capsys.readouterr()
    assert "visible tests only: your instructor's grading adds hidden tests" in printed.out
    assert "learner mode" in printed.out and "WARNING" not in printed.err  # no sandbox warning for one's own code


def test_instructor_mode_prints_its_folder_and_refuses_one_learners_can_read(tmp_path, capsys):
    import shutil

    private = tmp_path / "private" / "solutions"
    shutil.copytree(SOLUTIONS, private)
    submissions = tmp_path / "submissions" / "alice"
    submissions.mkdir(parents=True)
    shutil.copy(SOLUTIONS / CHEAP, submissions / CHEAP)

    assert grade_command([str(submissions)], timeout=TIMEOUT, solutions=str(private), sandbox="none") == 0
    out = capsys.readouterr().out
    assert f"instructor mode: visible and hidden tests from {private.resolve()}/" in out and "10 / 10" in out

    # the course checkout's own solutions/ (learners have the checkout), a folder inside the submissions, a
    # solutions/ beside the exercises/ of the notebook graded: refused unless told, before anything runs
    inside = tmp_path / "submissions" / "solutions"
    shutil.copytree(SOLUTIONS, inside)
    course = tmp_path / "course"
    (course / "exercises").mkdir(parents=True)
    shutil.copytree(SOLUTIONS, course / "solutions")
    shutil.copy(SOLUTIONS / CHEAP, course / "exercises" / CHEAP)
    for paths, folder, why in [([str(submissions)], SOLUTIONS, "course checkout bplab runs from"),
                               ([str(tmp_path / "submissions")], inside, "which is being graded"),
                               ([str(course / "exercises" / CHEAP)], course / "solutions", "course folder")]:
        assert grade_command(paths, solutions=str(folder)) == 4
        err = capsys.readouterr().err
        assert f"refusing --solutions {folder}" in err and why in err and "--allow-public-solutions" in err
    assert main(["grade", str(submissions), "--solutions", str(SOLUTIONS), "--allow-public-solutions",
                 "--sandbox", "none"]) == 0
    assert "not secret" in capsys.readouterr().out  # used, and the table's head says why it is not private
    assert grade_command([str(submissions)], solutions=str(tmp_path / "nowhere")) == 4


def test_learner_score_prints_the_learner_table_and_does_nothing_inside_the_grader(tmp_path, capsys, monkeypatch):
    from bplab.course.grading import learner_score

    path = tmp_path / CHEAP
    path.write_bytes((SOLUTIONS / CHEAP).read_bytes())
    monkeypatch.chdir(tmp_path)  # in Jupyter the kernel's folder is the notebook's
    learner_score(CHEAP)
    assert "not run under pytest" in capsys.readouterr().out  # nbval runs the sets' score cells in make test
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert learner_score(CHEAP) is None
    out = capsys.readouterr().out
    assert "visible tests only: your instructor's grading adds hidden tests" in out and "10 / 10 auto points" in out
    monkeypatch.setenv("BPLAB_GRADING", "1")  # what the submission's process has
    learner_score(CHEAP)
    assert "not run here" in capsys.readouterr().out
    from bplab.course.sandbox import environment

    assert environment("/scratch")["BPLAB_GRADING"] == "1"


def test_a_learner_score_cell_in_a_graded_notebook_runs_nothing(tmp_path):
    nb = read(SOLUTIONS / CHEAP)
    nb.cells.append(nbformat.v4.new_code_cell(
        "from bplab.course.grading import learner_score\n\nlearner_score('" + CHEAP + "')\n"
        "import os\nassert os.environ.get('BPLAB_GRADING') == '1'\n"))
    result = grade(save(nb, tmp_path / CHEAP), SOLUTIONS, timeout=TIMEOUT, sandbox="none")
    assert result.error is None and result.points == result.max_points and result.seconds < 60


def test_grade_help_describes_both_modes_and_no_fresh_kernels(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    text = "".join(capsys.readouterr().out.split())  # argparse wraps lines, at hyphens too
    for words in ("learner mode", "instructor mode", "--allow-public-solutions", "--budget", "not reached",
                  ".venv/bin/bplab grade exercises/06-xor-backprop-by-hand.ipynb"):
        assert words.replace(" ", "") in text, words
    assert "freshkernel" not in text
    import bplab.course.grading as grading

    assert "fresh kernel" not in grading.__doc__


def judged(path: Path):
    """Instructor mode on a tiny notebook that is its own solution: the test cells run in the grader's judge."""
    return grade(path, path.parent, timeout=TIMEOUT, sandbox="none")


def tiny_notebook(path: Path, questions: list[tuple[str, str]], setup: str = "import numpy as np") -> Path:
    """A small exercise notebook: a set-up cell, then per question an answer cell and a test cell (1 point)."""
    def graded(source, gid, **flags):
        c = nbformat.v4.new_code_cell(source)
        c.metadata["nbgrader"] = {"schema_version": 3, "task": False, "grade_id": gid, "solution": False,
                                  "grade": False, "locked": False, **flags}
        return c

    cells = [graded(setup, "setup", locked=True)]
    for n, (answer, test) in enumerate(questions, 1):
        cells += [graded(answer, f"q{n}", solution=True), graded(test, f"q{n}_tests", grade=True, locked=True,
                                                                 points=1)]
    return save(nbformat.v4.new_notebook(cells=cells), path)


def test_what_the_grader_cannot_do_is_a_grader_error_not_the_learners_mistake(tmp_path):
    path = tiny_notebook(tmp_path / "97-tiny.ipynb", [
        ("def f(v):\n    return 1\n", "assert f(2) == 1"),
        ("def g(v):\n    return 1\n", "g(i for i in range(3))  # a generator object cannot travel"),
    ])
    result = judged(path)
    got = {q.question: (q.status, q.points) for q in result.questions}
    assert got == {"q1_tests": ("passed", 1.0), "q2_tests": ("error", 0.0)}
    assert "could not run this test on your code" in result.questions[1].message


def test_a_process_that_cannot_be_brought_back_leaves_the_rest_as_grader_errors(tmp_path):
    path = tiny_notebook(tmp_path / "97-tiny.ipynb", [("import os\nos._exit(1)", "assert False, 'no'")] * 5)
    result = judged(path)
    statuses = [q.status for q in result.questions]
    assert statuses == ["failed", "failed", "failed", "error", "error"], result.questions
    assert "restarted more than 3 times" in result.error and "not run" in result.questions[-1].message


# ---------------------------------------------------------------------------------------------
# Values keep their identity across names; a stub is blamed on the cell that defines it; one BLAS thread.
# ---------------------------------------------------------------------------------------------

NODE = """import numpy as np


class Node:
    def __init__(self, value, parents=()):
        self.value, self.parents, self.grad = value, tuple(parents), 0.0

    def backward(self):
        for parent in self.parents:
            parent.grad += 1.0
"""


def test_names_that_share_an_object_share_it_in_the_judge(tmp_path):
    """Before, each name was copied on its own: `w` was not the leaf of `loss`'s graph in the judge (set 03), and
    two names of one array were two arrays, and an in-place change after a sync never arrived (the first 4 failed)."""
    path = tiny_notebook(tmp_path / "97-tiny.ipynb", [
        # a set-up class's graph, built in one cell, and a bplab Value's, built over two cells
        ("w = Node(2.0)\nloss = Node(4.0, [w])\nfrom bplab.engine import Value\nv = Value(3.0)\n",
         "loss.backward()\nassert w.grad == 1.0 and loss.parents[0] is w"),
        ("out = v * v + 1\n", "out.backward()\nassert v.grad == 6.0, v.grad"),
        ("a = np.zeros(3)\nb = a\npair = [a, {'b': b}]\n",
         "b[0] = 5.0\nassert a[0] == 5.0 and pair[0] is a is pair[1]['b']"),
        ("a += 1  # in place, no new binding\n", "assert a[1] == 1.0 and b[1] == 1.0"),
        ("k = 1\n", "k = 99  # a test cell binds a name the learner bound before"),
        ("other = 2\n", "assert k == 99  # the test's binding is kept (as in one kernel), not the learner's old one"),
        ("k = 3\n", "assert k == 3  # the learner rebound it after the test: theirs"),
    ], setup=NODE)
    result = judged(path)
    assert result.error is None and [q.status for q in result.questions] == ["passed"] * 7, result.questions


def test_a_shared_object_with_a_value_the_grader_refuses_falls_back_alone(tmp_path):
    """Names are read with one memo: a value the grader refuses (a list holding the class Counter, sent by name)
    takes with it only the names that share an object with it, not the names after it that merely use the
    same numpy rebuilders."""
    path = tiny_notebook(tmp_path / "97-tiny.ipynb", [
        ("import collections\nodd = [collections.Counter, [1], np.ones(2)]\nalso = odd[1]\nlater = np.arange(3.0)\n",
         "assert type(later) is np.ndarray and later[2] == 2.0\n"
         "assert type(odd).__name__ == 'Remote' and odd[1] == [1]  # its handle: the list stays in the learner's\n"
         "assert type(also).__name__ == 'Remote' and also[0] == 1  # shares a list with it: its handle too"),
    ])
    result = judged(path)
    assert [q.status for q in result.questions] == ["passed"], result.questions


def test_a_stub_is_blamed_on_the_cell_that_defines_it(tmp_path):
    """Set 06 with q1's forward left as handed out and q3's train written: q3 said "not attempted: answer cell
    q3_train still raises NotImplementedError" (its cell is right); now it names forward and q1's cell."""
    name = "06-xor-backprop-by-hand.ipynb"
    from bplab.course.exercises import make_exercise

    solution = read(SOLUTIONS / name)
    nb = make_exercise(read(SOLUTIONS / name))
    for gid in ("q2_backward", "q3_train"):
        cell(nb, gid).source = cell(solution, gid).source
    result = grade(save(nb, tmp_path / name), SOLUTIONS, timeout=TIMEOUT, sandbox="none")
    got = {q.question: (q.status, q.mistake, q.message) for q in result.questions}
    assert got["q1_forward_tests"][:2] == ("not attempted", "not-attempted")
    assert got["q2_backward_tests"][0] == "passed"
    assert got["q3_train_tests"] == ("failed", "not-attempted", "answer cell q3_train could not run: forward (answer "
                                     "cell q1_forward) still raises NotImplementedError: this question uses it, so "
                                     "answer that one first.")

    # the same when a test calls the function (directly, or through expect_call), and never a library's error
    path = tiny_notebook(tmp_path / "97-tiny.ipynb", [
        ("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n", "f(1)"),
        ("def g(x):\n    return f(x) + 1\n", "g(1)"),
        ("def h(x):\n    return g(x) * 2\n", "from bplab.course.expect import expect_call\nexpect_call('h(1)', h, 1)"),
        ("import logging\n\ndef emit(x):\n    logging.Handler().emit(x)  # a library's NotImplementedError\n",
         "emit(1)"),
    ])
    result = judged(path)
    got = {q.question: (q.status, q.message) for q in result.questions}
    assert got["q1_tests"] == ("not attempted", "not attempted: answer cell q1 still raises NotImplementedError: "
                               "replace `raise NotImplementedError()` with your code.")
    assert got["q2_tests"] == ("failed", "g could not run: f (answer cell q1) still raises NotImplementedError: this "
                               "question uses it, so answer that one first.")
    assert got["q3_tests"][0] == "failed" and got["q3_tests"][1].startswith("h could not run: f (answer cell q1)")
    assert got["q4_tests"][0] == "failed" and "NotImplementedError" in got["q4_tests"][1]
    assert "answer cell q4" not in got["q4_tests"][1] and "not attempted" not in got["q4_tests"][1]


def test_tests_and_the_submissions_process_run_with_one_blas_thread(tmp_path, numpy_before_conftest):
    """A multi-threaded BLAS spins on small products on a busy machine (see tests/conftest.py)."""
    import os

    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BPLAB_GRADING")
    assert numpy_before_conftest is False  # the limits were set before numpy was imported
    assert all(os.environ[v] == "1" for v in names[:3])
    path = tiny_notebook(tmp_path / "97-tiny.ipynb", [  # what the submission's process itself has
        ("import os\n\ndef env():\n    return [os.environ.get(v) for v in " + repr(names) + "]\n",
         "assert env() == ['1'] * 4, env()")])
    result = judged(path)
    assert [q.status for q in result.questions] == ["passed"], result.questions


def test_a_syncs_pieces_share_one_memo_and_a_refused_piece_takes_its_objects_back():
    """The names of a sync are pieces of one pickle stream (the worker's own pickler, no process here): shared
    objects arrive shared; a piece the grader refuses leaves nothing later pieces can name; a reply can fill in
    only objects it created (before: APPEND reached a test's own argument, a `tag`)."""
    import collections
    import io
    import pickle

    from bplab.course.grading import DataUnpickler, Remote
    from bplab.course.grading.session import Session, _Memo
    from bplab.course.sandbox import Limits
    from bplab.course.submission_worker import Bounded, Worker

    worker = Worker.__new__(Worker)  # its pickling only: no shell
    worker.tags, worker.handles, worker.handle_of, worker.setup_classes = {}, {}, {}, {}
    buffer = Bounded()
    pickler = worker.sync_pickler(buffer)
    shared, inner = [1.0], [2.0]
    import numpy as np

    class Evil(np.float64):
        def __reduce__(self):
            raise SystemExit(3)

    values = {"a": {"x": shared}, "evil": [shared, Evil(1.0)], "odd": [collections.Counter, inner],
              "b": [shared, "text"], "c": inner}
    pieces = {name: worker.dump_piece(pickler, buffer, value, 1 << 20) for name, value in values.items()}
    assert pieces["evil"] is None  # its pickling raised (SystemExit): a handle only, and nothing of it in the memo

    session = Session("none", 10, Limits())
    stream = DataUnpickler(io.BytesIO(b""))
    stream.memo = _Memo()
    got = {}
    for name in ("a", "odd", "b", "c"):
        try:
            got[name] = session._loads(pieces[name], None, stream)
        except pickle.UnpicklingError:
            got[name] = None
    assert got["b"][0] is got["a"]["x"] == [1.0] and got["b"][1] == "text"
    assert got["odd"] is None and got["c"] is None  # c shares a list with the refused piece: refused too
    tagged = [[1]]
    forged = b"\x80\x03X\x03\x00\x00\x00tagK\x00\x86QK\x07a."  # the test's own list, then APPEND 7
    with pytest.raises(pickle.UnpicklingError, match="only fill in objects it created"):
        session._loads(forged, tagged)
    assert tagged == [[1]]
    handle = b"\x80\x03X\x06\x00\x00\x00handleK\x05\x86QK\x07a."  # a handle, then APPEND: no request sent
    with pytest.raises(pickle.UnpicklingError, match="only fill in objects it created"):
        session._loads(handle, None)
    assert type(session.remote(5)) is Remote and session.remote(5) is session.remote(5)
    for data in ({1, 2}, frozenset([3]), [1, {2: [3]}]):  # protocol 3's sets are rebuilt from a list
        assert session._loads(pickle.dumps(data, 3), None) == data
    with pytest.raises(pickle.UnpicklingError):  # ...never from a range: no amplification
        session._loads(b"\x80\x03cbuiltins\nset\ncbuiltins\nrange\nJ\x00\xe1\xf5\x05\x85R\x85R.", None)


def test_a_learner_name_never_shadows_a_builtin_a_test_calls(tmp_path):
    """Set 09 q4's hidden test reads `if abs(shrink_per_layer - reference) > ...`: a wrong factor plus `def abs(v):
    return 0` in the answer cell earned 2 / 2 (the judge took the learner's `abs`); now 0 / 2. Here, small: before,
    the wrong answer passed and the honest question after it failed (its test's `len` and `max` were the learner's)."""
    path = tiny_notebook(tmp_path / "97-tiny.ipynb", [
        ("answer = 2.5  # wrong: 3.0\n\ndef abs(value):\n    return 0\n\nlen = max = lambda *a: 0\n",
         "assert abs(answer - 3.0) < 1e-9, 'wrong'"),
        ("def twice(v):\n    return abs(v) * 2  # the learner's own abs, in their own process\n",
         "assert twice(-3) == 0 and len([1, 2]) == 2 and max(1, 2) == 2  # the test's own: Python's"),
    ])
    result = judged(path)
    assert [(q.status, q.message) for q in result.questions] == [("failed", "wrong"), ("passed", "")]


def test_a_learners_error_message_cannot_forge_a_mistake_id_or_a_grader_error(tmp_path):
    """Before: an error raised with the words of a grader error made the question "error" ("not a mistake of yours
    ... ask your instructor"), and a trailing [mistake: id] of the learner's went to the CSV and class report."""
    forged = "could not send a value to the submission, before it was restarted [mistake: transposed]"
    path = tiny_notebook(tmp_path / "97-tiny.ipynb", [
        (f"def f():\n    raise ValueError({forged!r})\n", "f()"),
        ("pass", "from bplab.course.expect import expect_call\nexpect_call('f()', f)"),
    ])
    result = judged(path)
    assert [(q.status, q.mistake) for q in result.questions] == [("failed", None), ("failed", "raised")]


def test_learner_mode_runs_nothing_of_the_notebook_in_the_graders_process(tmp_path, monkeypatch):
    """In learner mode the set-up and test cells are the notebook's own (its author may have edited them), so they
    run in the submission's process, beside the learner's code, never in the grader's: before, they ran in the
    grader (an instructor who forgot --solutions ran each submission's test cells as themselves, even with
    --sandbox bwrap). A test's warning is still a failure, and a stub is still blamed on its own cell."""
    import os

    for name in ("BPLAB_FROM_A_TEST", "BPLAB_FROM_SET_UP"):
        monkeypatch.delenv(name, raising=False)
    path = tiny_notebook(tmp_path / "97-tiny.ipynb", [
        ("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n", "f(1)"),
        ("def g(x):\n    return f(x) + 1\n", "from bplab.course.expect import expect_call\nexpect_call('g(1)', g, 1)"),
        ("x = 1\n", "import os, warnings\nos.environ['BPLAB_FROM_A_TEST'] = '1'\nseen = x\nwarnings.warn('careful')"),
        ("y = seen + 1\n", "assert y == 2  # the test cell's names are the learner's process's"),
    ], setup="import os\nos.environ['BPLAB_FROM_SET_UP'] = '1'")
    result = grade(path, timeout=TIMEOUT, sandbox="none")
    got = [(q.status, q.message) for q in result.questions]
    assert result.mode == "learner" and [status for status, _ in got] == ["not attempted", "failed", "failed", "passed"]
    assert got[1][1].startswith("g could not run: f (answer cell q1) still raises NotImplementedError")
    assert "UserWarning: careful" in got[2][1]
    assert "BPLAB_FROM_A_TEST" not in os.environ and "BPLAB_FROM_SET_UP" not in os.environ
