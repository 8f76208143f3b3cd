"""Set 09b in learner mode (the notebook's own visible tests, what `learner_score` and `bplab grade` without
--solutions run): a slip in question 2 costs question 2 only, also where question 4 reuses the slipped
batchnorm_backward (error carried forward, as the hidden tests do), while a wrong question 4 still fails.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

from bplab.course.exercises import make_exercise, nbgrader_meta
from bplab.course.grading import grade

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parents[1] / "solutions" / "09b-batchnorm-backward.ipynb"


def catalog():
    sys.path.insert(0, str(HERE))  # the catalog imports `catalogs.Case`
    spec = importlib.util.spec_from_file_location("catalog_09b", HERE / "catalogs" / "09b.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CAT = catalog()
NO_MEAN_PATH = CAT.edit(CAT.BACKWARD, "N * g - g.sum(axis=0) - x_hat", "N * g - x_hat")
NOT_TRANSPOSED = ("def layernorm_backward(dout, x, eps=1e-5):\n"
                  "    return batchnorm_backward(dout, x, np.ones(x.shape[1]), eps)[0]\n")


@pytest.mark.parametrize("backward, layernorm, expected", [
    (NO_MEAN_PATH, CAT.LAYERNORM, {CAT.T1: 3, CAT.T2: 0, CAT.T3: 2, CAT.T4: 2}),  # q4 carries q2's slip: kept
    (CAT.BACKWARD, NOT_TRANSPOSED, {CAT.T1: 3, CAT.T2: 4, CAT.T3: 2, CAT.T4: 0}),  # q4 wrong on its own: lost
], ids=["q2-slip-carried-into-q4", "q4-wrong"])
def test_the_learners_own_score_charges_each_slip_to_its_own_question(backward, layernorm, expected, tmp_path):
    answers = {CAT.Q1: CAT.FORWARD, CAT.Q2: backward, CAT.Q3: CAT.NUMERICAL, CAT.Q4: layernorm}
    nb = make_exercise(nbformat.read(SOLUTION, as_version=4), SOLUTION.name)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    path = tmp_path / SOLUTION.name
    nbformat.write(nb, path)

    result = grade(path, None, timeout=60, sandbox="none")  # learner mode: visible tests only

    assert result.error is None, result.error
    points = {q.question: q.points for q in result.questions}
    assert {question: points[question] for question in expected} == expected, [
        (q.question, q.message) for q in result.questions if q.points < q.max_points]
