"""Widgets of notebooks 12b, 12c, 14b and 15b: every number comes from the teaching core and follows the controls."""

import numpy as np
import pytest

from bplab.rnn import LSTM, RNN, sequence_cross_entropy
from bplab.widgets import gate_reach_explorer, gradient_reach

# ---------------------------------------------------------------- 12b: how far back the gradient reaches


def _reach(model, T, seed=0, N=20):
    bits = np.random.default_rng(seed).integers(0, 2, size=(N, T, 1)).astype(float)
    scores = model.forward(bits)
    _, d_last = sequence_cross_entropy(scores[:, -1:], bits[:, 0, 0].astype(int)[:, None])
    dscores = np.zeros_like(scores)
    dscores[:, -1:] = d_last
    norms = np.linalg.norm(model.backward(dscores)[:, :, 0], axis=0)
    return norms / norms[-1]


def test_gradient_reach_is_that_of_the_teaching_cores_networks():
    result = gradient_reach(2.0, 1.1, 30)
    np.testing.assert_allclose(result["rnn"], _reach(RNN(1, 16, 2, spectral_radius=1.1, rng=0), 30), rtol=1e-12)
    lstm = LSTM(1, 16, 2, forget_bias=2.0, rng=0)
    np.testing.assert_allclose(result["lstm"], _reach(lstm, 30), rtol=1e-12)
    assert result["mean_forget"] == pytest.approx(lstm.cache["f"].mean())
    assert result["lstm_first"] == result["lstm"][0] and result["rnn"][-1] == 1.0


def test_the_forget_bias_sets_the_lstms_reach_and_the_radius_the_rnns():
    assert gradient_reach(1.0, 0.9, 60)["lstm_first"] > 100 * gradient_reach(1.0, 0.9, 60)["rnn_first"]
    assert gradient_reach(3.0, 0.9, 60)["lstm_first"] > gradient_reach(1.0, 0.9, 60)["lstm_first"]
    assert gradient_reach(-1.0, 0.9, 60)["lstm_first"] < gradient_reach(-1.0, 0.9, 60)["rnn_first"]
    assert gradient_reach(1.0, 1.3, 60)["rnn_first"] > 1e3 * gradient_reach(1.0, 0.9, 60)["rnn_first"]


def test_the_reach_explorer_follows_its_controls():
    explorer = gate_reach_explorer()
    assert "LSTM 3.0e-04" in explorer.readout.value and "RNN 1.3e-10" in explorer.readout.value  # notebook 12b's text
    for bias, radius, T in ((-1.0, 0.9, 60), (3.0, 1.2, 40), (1.0, 0.5, 10)):
        explorer.controls["forget_bias"].value = bias
        explorer.controls["spectral_radius"].value = radius
        explorer.controls["seq_len"].value = T
        result = explorer.result
        assert (result["forget_bias"], result["spectral_radius"], result["seq_len"]) == (bias, radius, T)
        xs, ys = explorer.artists["lstm"].get_data()
        assert len(xs) == T and xs[0] == T - 1 and np.allclose(ys, np.clip(result["lstm"], 1e-300, 1e300))
        assert f"LSTM {result['lstm_first']:.1e}" in explorer.readout.value and f"T = {T}" in explorer.readout.value
    assert explorer.frames >= 4


# ---------------------------------------------------------------- 12c: the memory of an untrained network


def test_memory_curve_is_a_least_squares_readout_of_the_teaching_cores_rnn():
    from bplab.rnn import recurrent_weights, rnn_forward
    from bplab.widgets import memory_curve

    result = memory_curve(0.8, 0.1, 10, max_delay=25)
    r = np.random.default_rng(0)  # the same draws, in the same order
    Wh, Wx = recurrent_weights(10, 0.8, r), 0.1 * r.standard_normal((1, 10))
    u = r.uniform(-1, 1, size=(1, 3000, 1))
    states, _ = rnn_forward(u, np.zeros((1, 10)), Wx, Wh, np.zeros(10))
    X = np.hstack([states[0], np.ones((3000, 1))])
    for k in (1, 5, 20):
        w, *_ = np.linalg.lstsq(X[100:2000], u[0, 100 - k:2000 - k, 0], rcond=None)
        expected = np.corrcoef(X[2000:] @ w, u[0, 2000 - k:3000 - k, 0])[0, 1] ** 2
        assert result["memory"][k - 1] == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert result["capacity"] == pytest.approx(result["memory"].sum()) and result["capacity"] <= 10


def test_memory_peaks_near_one_and_never_exceeds_the_width():
    from bplab.widgets import memory_curve

    capacity = {rho: memory_curve(rho, 0.1, 20)["capacity"] for rho in (0.3, 0.9, 1.3)}
    assert capacity[0.9] > capacity[0.3] and capacity[0.9] > 2 * capacity[1.3]
    for rho, scale, H in ((0.9, 0.1, 40), (1.0, 0.01, 5), (0.5, 3.0, 20)):
        assert memory_curve(rho, scale, H)["capacity"] <= H


def test_the_memory_explorer_follows_its_controls():
    from bplab.widgets import memory_explorer

    explorer = memory_explorer()
    assert "MC = 18.6 (at most H = 20)" in explorer.readout.value  # notebook 12c's network
    for rho, scale, H in ((1.3, 0.1, 20), (0.9, 1.0, 40), (0.5, 0.01, 5)):
        explorer.controls["spectral_radius"].value = rho
        explorer.controls["input_scale"].value = scale
        explorer.controls["hidden_size"].value = H
        result = explorer.result
        assert (result["spectral_radius"], result["input_scale"], result["hidden_size"]) == (rho, scale, H)
        np.testing.assert_array_equal(explorer.artists["curve"].get_ydata(), result["memory"])
        assert f"MC = {result['capacity']:.1f} (at most H = {H})" in explorer.readout.value


# ---------------------------------------------------------------- 15b: fixed points of one unit


def test_fixed_point_map_finds_every_fixed_point_and_where_each_solver_goes():
    from bplab.fixed_point import newton_fixed_point, relax
    from bplab.widgets import fixed_point_map

    result = fixed_point_map(2.0, 0.0, 0.1)
    np.testing.assert_allclose(result["points"], [-0.957504, 0.0, 0.957504], atol=1e-6)
    np.testing.assert_allclose(result["slopes"], 2 * (1 - result["points"] ** 2), rtol=1e-12)
    assert list(result["stable"]) == [True, False, True]
    _, cache = relax(np.zeros((1, 1)), [[2.0]], np.zeros((1, 1)), [0.0], h0=[[0.1]], tol=1e-300, max_iter=30,
                     keep_states=True)
    np.testing.assert_array_equal(result["path"], [s[0, 0] for s in cache["states"]])
    assert abs(result["path"][-1] - 0.957504) < 1e-6  # the relaxation goes to a stable fixed point...
    assert result["newton_converged"] and abs(result["newton"]) < 1e-12  # ...Newton to the nearest one, unstable here
    h, _ = newton_fixed_point(np.zeros((1, 1)), [[2.0]], np.zeros((1, 1)), [0.0], h0=[[0.1]], tol=1e-12, max_iter=30)
    assert result["newton"] == h[0, 0]


def test_past_the_fold_only_one_fixed_point_is_left():
    from bplab.widgets import fixed_point_map

    c_fold = np.arctanh(-1 / np.sqrt(2)) + np.sqrt(2)
    assert len(fixed_point_map(2.0, round(c_fold - 0.01, 4), -0.8)["points"]) == 3
    after = fixed_point_map(2.0, round(c_fold + 0.01, 4), -0.8)
    assert len(after["points"]) == 1 and after["points"][0] > 0.9 and after["path"][-1] > after["path"][0]
    assert not after["newton_converged"]  # from where the left fixed point was, Newton stalls
    assert len(fixed_point_map(-2.0, 0.0, 0.1)["points"]) == 1  # w < 0: one fixed point, unstable here
    triple = fixed_point_map(1.0, 0.0, 0.5)["points"]  # a triple root, counted once (found to about 1e-6: |F| ~ h^3/3)
    assert len(triple) == 1 and abs(triple[0]) < 1e-5


def test_the_map_explorer_follows_its_sliders():
    from bplab.widgets import fixed_point_map_explorer

    explorer = fixed_point_map_explorer()
    assert "+0.000 (slope 2.00, unstable)" in explorer.readout.value and "lands at +0.000" in explorer.readout.value
    for w, c, h0 in ((-2.0, 0.0, 0.3), (2.0, 0.6, -0.9), (0.5, -1.0, 1.0)):
        explorer.controls["w"].value, explorer.controls["c"].value, explorer.controls["h0"].value = w, c, h0
        result = explorer.result
        assert (result["w"], result["c"], result["h0"]) == (w, c, h0)
        np.testing.assert_allclose(explorer.artists["curve"].get_ydata(), np.tanh(w * np.linspace(-1, 1, 401) + c))
        shown = np.concatenate([explorer.artists["stable"].get_offsets()[:, 0],
                                explorer.artists["unstable"].get_offsets()[:, 0]])
        np.testing.assert_allclose(np.sort(shown), result["points"])
        assert f"w = {w:.2f}, c = {c:.2f}" in explorer.readout.value


# ---------------------------------------------------------------- 14b: Hessian-vector products


def test_curve_gradient_is_the_gradient_and_hvp_errors_use_the_teaching_core():
    from bplab.forward_mode import hessian_vector_product
    from bplab.gradcheck import numerical_gradient, rel_error
    from bplab.widgets import curve_gradient, curve_loss, hvp_errors
    from bplab.widgets.further import CURVE_POINT

    assert rel_error(curve_gradient(CURVE_POINT), numerical_gradient(curve_loss, CURVE_POINT.copy())) < 1e-7
    result = hvp_errors(30.0, -5.0)
    v = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])
    np.testing.assert_allclose(result["Hv"], hessian_vector_product(curve_gradient, CURVE_POINT, v), rtol=1e-14)
    h = 1e-4  # the curvature against the second difference of the loss
    second = (curve_loss(CURVE_POINT + h * v) - 2 * curve_loss(CURVE_POINT) + curve_loss(CURVE_POINT - h * v)) / h**2
    assert result["curvature"] == pytest.approx(second, rel=1e-5)
    errors = result["errors"]
    assert errors.min() < 1e-9 and errors[-1] > 1e-4 and errors[0] > 1e-7  # truncation right, rounding left


def test_along_w2_the_prediction_is_linear_and_the_truncation_error_vanishes():
    from bplab.widgets import hvp_errors

    along_w2, along_w1 = hvp_errors(90.0, -1.0), hvp_errors(0.0, -1.0)
    assert along_w2["error"] < 1e-12 and along_w1["error"] > 1e-4


def test_the_hvp_explorer_follows_its_sliders():
    from bplab.widgets import hvp_explorer

    explorer = hvp_explorer()
    for angle, step in ((0.0, -12.0), (135.0, -3.0), (90.0, -1.0)):
        explorer.controls["angle"].value, explorer.controls["log10_step"].value = angle, step
        result = explorer.result
        assert (result["angle"], result["log10_step"]) == (angle, step)
        xs, ys = explorer.artists["chosen"].get_data()
        assert xs[0] == pytest.approx(10.0**step) and ys[0] == pytest.approx(max(result["error"], 1e-16))
        assert f"vᵀHv = {result['curvature']:.4f}" in explorer.readout.value


def test_the_readouts_say_when_nothing_is_read_and_when_the_relaxation_has_not_settled():
    """Second read (read28): at rho = 1.3 no delay has MF_k > 0.5 (the readout said 'up to k = 0'); at w = -2 the
    relaxation jumps between -0.958 and +0.958, a 2-cycle, not a fixed point (the readout named +0.958 as where it
    went), and at w = 1 it is still creeping towards 0 after 30 steps."""
    from bplab.widgets import fixed_point_map, fixed_point_map_explorer, memory_explorer

    memory = memory_explorer(1.3, 0.1, 20)
    assert memory.result["reach"] == 0 and "MF_k > 0.5 at no delay k" in memory.readout.value
    assert "up to k = 18" in memory_explorer().readout.value
    cycle = fixed_point_map(-2.0, 0.0, 0.1)
    assert not cycle["relax_settled"] and abs(cycle["path"][-1] + cycle["path"][-2]) < 1e-9
    text = fixed_point_map_explorer(-2.0, 0.0, 0.1).readout.value
    assert "has not settled after 30 steps (its last two states -0.958, +0.958)" in text
    assert not fixed_point_map(1.0, 0.0, 0.5)["relax_settled"]
    settled = fixed_point_map_explorer()  # the default settles, on +0.958, in 25 steps: then it says where
    assert settled.result["relax_settled"] and "+0.958 after 25 steps" in settled.readout.value
    assert fixed_point_map_explorer(0.0, 0.0, 0.1).readout.value.endswith("lands at +0.000 in 1 step")
