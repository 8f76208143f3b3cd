"""Claims of notebooks 12-16 guarded outside the notebooks: the self-check hints of their questions.

The notebooks assert their own claims; these tests keep the hints of bplab/course/questions/{12,15}.json in step
with what the notebooks teach (a hint must not state a rule the notebook shows to be false).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

QUESTIONS = Path(__file__).resolve().parents[1] / "bplab" / "course" / "questions"


def hint(question_id: str) -> str:
    notebook, question = question_id.split(".")
    return json.loads((QUESTIONS / f"{notebook}.json").read_text(encoding="utf-8"))[question]["hint"]


def test_a_matrix_that_stretches_a_direction_can_still_make_the_adjoint_series_converge():
    # 15.q3: whether G J^k dies out is decided by the spectral radius of J, not by its largest stretch
    J = np.array([[0.5, 1.0], [0.0, 0.9]])  # notebook 12's example: spectral radius 0.9, largest singular value 1.40
    assert np.linalg.svd(J, compute_uv=False)[0] > 1.3 and np.isclose(np.abs(np.linalg.eigvals(J)).max(), 0.9)
    G = np.array([1.0, 0.0])
    norms = [np.linalg.norm(G @ np.linalg.matrix_power(J, k)) for k in range(200)]
    assert norms[2] > norms[0] and norms[-1] < 1e-8  # stretched at first, then gone: the series converges
    text = hint("15.q3")
    assert "stretch" not in text, "the hint ties the adjoint's divergence to a stretch; it is the spectral radius"
    assert "notebook 12" in text


def test_only_an_orthogonal_matrix_times_rho_multiplies_every_norm_by_rho():
    # 12.q2: the per-step factor is exactly the spectral radius only for an orthogonal matrix times it
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    A = 0.8 * np.triu(rng.standard_normal((5, 5)), 1) + 0.8 * np.eye(5)  # triangular: spectral radius 0.8 too
    v = rng.standard_normal(5)
    assert np.isclose(np.linalg.norm(v @ np.linalg.matrix_power(0.8 * Q, 10)) / np.linalg.norm(v), 0.8**10)
    assert np.isclose(np.abs(np.linalg.eigvals(A)).max(), 0.8)
    ratio = np.linalg.norm(v @ np.linalg.matrix_power(A, 10)) / np.linalg.norm(v)
    assert not np.isclose(ratio, 0.8**10, rtol=0.1)
    assert "orthogonal" in hint("12.q2"), "the hint states for every matrix what holds for an orthogonal one"
