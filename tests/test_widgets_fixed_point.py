"""Widget of notebook 15: the residual curves come from the teaching core and follow the sliders."""

import numpy as np
import pytest

from bplab.fixed_point import fixed_point_backward, relax
from bplab.widgets import fixed_point_explorer, fixed_point_residuals
from bplab.widgets.fixed_point import _problem


@pytest.fixture(scope="module")
def explorer():
    return fixed_point_explorer()


def test_residuals_are_those_of_the_teaching_core():
    # recomputed from the same random problem, without the widget's cache
    W0, U, b, x, dh = _problem(32, 20, 0)
    W = 0.7 * W0
    assert not np.allclose(W, W.T) and np.linalg.norm(W, 2) == pytest.approx(0.7)
    h, cache = relax(1.5 * x, W, U, b, max_iter=200)
    _, info = fixed_point_backward(dh, cache, max_iter=200)
    result = fixed_point_residuals(0.7, 1.5)
    np.testing.assert_array_equal(result["forward"], cache["residuals"])
    np.testing.assert_array_equal(result["adjoint"], info["residuals"])
    assert result["spectral_radius"] == pytest.approx(np.abs(np.linalg.eigvals(W)).max())
    slope = 1 - h**2
    rates = [np.abs(np.linalg.eigvals(np.diag(slope[n]) @ W.T)).max() for n in range(20)]
    assert result["local_rate"] == pytest.approx(max(rates))


@pytest.mark.parametrize("weight_norm", [0.3, 0.6, 0.95])
def test_below_one_both_relaxations_converge_within_the_guarantee(weight_norm):
    result = fixed_point_residuals(weight_norm, 0.0)
    assert result["forward_converged"] and result["adjoint_converged"]
    forward = result["forward"]
    assert np.all(forward[1:] <= weight_norm * forward[:-1] * (1 + 1e-12))  # the contraction guarantee
    # same Jacobian near the fixed point: the two relaxations take about as many steps
    assert abs(result["forward_iterations"] - result["adjoint_iterations"]) <= 0.25 * result["forward_iterations"]


def test_a_large_weight_norm_makes_both_fail_and_larger_inputs_rescue_it():
    failing = fixed_point_residuals(2.5, 1.0, max_iter=1000)
    assert not failing["forward_converged"] and not failing["adjoint_converged"]
    # the state keeps moving: not merely slow (a fixed point exists, an unstable one: notebook 15)
    assert failing["forward"][-500:].min() > 1.0
    assert not np.isfinite(failing["adjoint"][-1]) or failing["adjoint"][-1] > 1e10  # the adjoint blows up
    slow = fixed_point_residuals(2.0, 1.0, max_iter=1000)  # not settled within the 200 steps drawn, yet not never
    assert not fixed_point_residuals(2.0, 1.0)["forward_converged"]
    assert slow["forward_converged"] and slow["adjoint_converged"] and slow["forward_iterations"] > 200
    assert abs(slow["forward_iterations"] - slow["adjoint_iterations"]) <= 0.1 * slow["forward_iterations"]
    assert fixed_point_residuals(1.5, 0.0)["forward_iterations"] > fixed_point_residuals(1.5, 4.0)["forward_iterations"]
    rescued = fixed_point_residuals(2.0, 4.0)  # saturated tanh shrinks the Jacobian
    assert rescued["forward_converged"] and rescued["adjoint_converged"] and rescued["local_rate"] < 1


def test_the_explorer_follows_its_sliders(explorer):
    for norm, scale in ((0.5, 1.0), (2.5, 0.0), (1.2, 2.0)):
        explorer.controls["weight_norm"].value = norm
        explorer.controls["input_scale"].value = scale
        result = explorer.result
        assert result["weight_norm"] == pytest.approx(norm) and result["input_scale"] == pytest.approx(scale)
        xs, ys = explorer.artists["forward"].get_data()
        assert len(xs) == result["forward_iterations"] == len(result["forward"])
        np.testing.assert_allclose(ys, np.clip(result["forward"], 1e-14, 1e4))
        assert len(explorer.artists["adjoint"].get_data()[0]) == result["adjoint_iterations"]
        assert ("not converged" in explorer.readout.value) == (not result["forward_converged"])
        assert f"‖W‖₂ = {norm:.2f}" in explorer.readout.value
        assert ("ρ(J)" in explorer.readout.value) == result["forward_converged"]
        assert ("gives no gradient" in explorer.readout.value) == (not result["forward_converged"])
    assert len(explorer.fig.axes) == 1 and explorer.frames >= 6  # the first picture and one per change


def test_residuals_reject_bad_input():
    with pytest.raises(ValueError, match="weight_norm"):
        fixed_point_residuals(-1.0)
    with pytest.raises(TypeError, match="input_scale"):
        fixed_point_residuals(0.5, "big")
