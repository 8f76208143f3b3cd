"""Tests for bplab.fixed_point: the relaxation, Almeida-Pineda and unrolled BPTT against central differences."""

import warnings

import numpy as np
import pytest

from bplab import data
from bplab.fixed_point import FixedPointClassifier, fixed_point_backward, relax, unrolled_backward
from bplab.functions import softmax_cross_entropy
from bplab.gradcheck import numerical_gradient, rel_error
from bplab.optim import Adam

N, D, H = 4, 3, 5  # D != H: a transposed U cannot pass


def _setup(seed=0, weight_norm=0.8):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    W = rng.standard_normal((H, H))
    W *= weight_norm / np.linalg.norm(W, 2)
    U = rng.standard_normal((D, H))
    b = 0.3 * rng.standard_normal(H)
    dh = rng.standard_normal((N, H))
    assert not np.allclose(W, W.T) and not np.allclose(W @ W.T, W.T @ W)  # non-symmetric, not even normal
    return x, W, U, b, dh


# --- relax --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relax_reaches_a_fixed_point_and_contracts_every_step(seed):
    x, W, U, b, _ = _setup(seed)
    h, cache = relax(x, W, U, b, tol=1e-12)
    assert cache["converged"] and cache["iterations"] == len(cache["residuals"]) > 3
    np.testing.assert_allclose(h, np.tanh(h @ W + x @ U + b), rtol=0, atol=1e-11)
    residuals = cache["residuals"]
    assert np.all(residuals[1:] <= np.linalg.norm(W, 2) * residuals[:-1] * (1 + 1e-12))  # contraction
    assert residuals[-1] < 1e-12 <= residuals[-2]  # stops at the first step below tol


def test_relax_follows_the_update_rule_step_by_step():
    x, W, U, b, _ = _setup()
    _, cache = relax(x, W, U, b, max_iter=3, tol=1e-300, keep_states=True)
    states, h = cache["states"], np.zeros((N, H))
    assert len(states) == 4 and cache["iterations"] == 3 and not cache["converged"]
    for k in range(1, 4):
        h_next = np.tanh(h @ W + x @ U + b)
        np.testing.assert_allclose(states[k], h_next, rtol=1e-15, atol=0)
        assert cache["residuals"][k - 1] == pytest.approx(np.linalg.norm(h_next - h), rel=1e-14)
        h = h_next


def test_the_fixed_point_of_a_contraction_does_not_depend_on_the_start():
    x, W, U, b, _ = _setup(3, weight_norm=0.9)
    h, _ = relax(x, W, U, b, tol=1e-13)
    rng = np.random.default_rng(7)
    for _ in range(3):
        other, cache = relax(x, W, U, b, h0=rng.uniform(-1, 1, (N, H)), tol=1e-13)
        assert cache["converged"]
        np.testing.assert_allclose(other, h, rtol=0, atol=1e-11)


def test_a_large_weight_norm_fails_quietly():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((32, 32))
    W *= 3.0 / np.linalg.norm(W, 2)
    x, U, b = rng.standard_normal((6, 2)), rng.standard_normal((2, 32)), np.zeros(32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h, cache = relax(x, W, U, b, max_iter=300)
        grads, info = fixed_point_backward(rng.standard_normal(h.shape), cache, max_iter=300)
    assert not cache["converged"] and cache["iterations"] == 300 and cache["residuals"][-1] > 1e-3
    assert not info["converged"]


def test_relax_rejects_bad_input():
    x, W, U, b, _ = _setup()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\)"):
        relax(x[:, :2], W, U, b)
    with pytest.raises(ValueError, match=r"W must have shape \(5, 5\)"):
        relax(x, W[:, :4], U, b)
    with pytest.raises(ValueError, match=r"b must have shape \(5,\)"):
        relax(x, W, U, b[:3])
    with pytest.raises(ValueError, match="h0"):
        relax(x, W, U, b, h0=np.zeros((N + 1, H)))
    with pytest.raises(ValueError, match="tol"):
        relax(x, W, U, b, tol=0.0)
    with pytest.raises(TypeError, match="max_iter"):
        relax(x, W, U, b, max_iter=10.5)


# --- gradients ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", ["W", "U", "b", "x"])
def test_almeida_pineda_matches_central_differences(seed, name):
    x, W, U, b, dh = _setup(seed)
    arrays = {"x": x, "W": W, "U": U, "b": b}

    def loss(_):
        h, _ = relax(arrays["x"], arrays["W"], arrays["U"], arrays["b"], tol=1e-14)
        return float(np.sum(h * dh))

    _, cache = relax(x, W, U, b, tol=1e-14)
    assert cache["states"] is None  # no trajectory stored: Almeida-Pineda needs only h*
    grads, info = fixed_point_backward(dh, cache, tol=1e-14)
    assert info["converged"]
    assert grads[name].shape == arrays[name].shape
    assert rel_error(grads[name], numerical_gradient(loss, arrays[name])) < 1e-7


@pytest.mark.parametrize("name", ["W", "U", "b", "x"])
def test_unrolled_backward_is_the_exact_gradient_of_k_steps(name):
    # Only 6 steps, far from converged: BPTT is still the exact gradient of L(h_6)
    x, W, U, b, dh = _setup(4)
    h0 = np.random.default_rng(5).uniform(-0.5, 0.5, (N, H))
    arrays = {"x": x, "W": W, "U": U, "b": b, "h0": h0}

    def loss(_):
        h, _ = relax(arrays["x"], arrays["W"], arrays["U"], arrays["b"], h0=arrays["h0"], tol=1e-300, max_iter=6)
        return float(np.sum(h * dh))

    _, cache = relax(x, W, U, b, h0=h0, tol=1e-300, max_iter=6, keep_states=True)
    grads = unrolled_backward(dh, cache)
    assert rel_error(grads[name], numerical_gradient(loss, arrays[name])) < 1e-7
    if name == "x":
        # dL/dh0 is small (six contracting steps back): compare with an absolute floor at the finite-difference noise
        np.testing.assert_allclose(grads["h0"], numerical_gradient(loss, arrays["h0"]), rtol=1e-6, atol=1e-10)
        assert np.abs(grads["h0"]).max() > 1e-5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_two_gradients_agree_at_the_fixed_point(seed):
    x, W, U, b, dh = _setup(seed, weight_norm=0.95)
    _, cache = relax(x, W, U, b, tol=1e-13, keep_states=True)
    ap, _ = fixed_point_backward(dh, cache, tol=1e-13)
    bptt = unrolled_backward(dh, cache)
    for name in ("W", "U", "b", "x"):
        assert rel_error(ap[name], bptt[name]) < 1e-9
    np.testing.assert_allclose(ap["h"], dh + (ap["h"] * (1 - cache["h"] ** 2)) @ W.T, rtol=0, atol=1e-11)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_near_the_fixed_point_both_relaxations_shrink_at_the_spectral_radius_of_the_jacobian(seed):
    # Forward changes map by J^T = W diag(1 - h*^2) (row vectors), adjoint changes by J = diag(1 - h*^2) W^T:
    # the same eigenvalues, so the same rate rho(J), below the guarantee ||W||_2.
    x, W, U, b, dh = _setup(seed)
    h, cache = relax(x, W, U, b, tol=1e-13, keep_states=True)
    _, info = fixed_point_backward(dh, cache, tol=1e-13)
    slope = 1 - h**2
    rho = max(np.abs(np.linalg.eigvals(np.diag(slope[n]) @ W.T)).max() for n in range(N))
    assert rho < 0.95 * np.linalg.norm(W, 2)  # so the rate check below tells rho(J) from ||W||_2
    for residuals in (cache["residuals"], info["residuals"]):
        assert (residuals[-2] / residuals[-10]) ** (1 / 8) == pytest.approx(rho, rel=0.03)
    states = cache["states"]
    change, next_change = states[-3] - states[-4], states[-2] - states[-3]
    assert np.linalg.norm(next_change - (change @ W) * slope) < 1e-2 * np.linalg.norm(next_change)
    assert np.linalg.norm(next_change - (change * slope) @ W.T) > 0.1 * np.linalg.norm(next_change)


def test_almeida_pineda_is_bptt_with_every_state_replaced_by_the_fixed_point():
    x, W, U, b, dh = _setup(6)
    h, cache = relax(x, W, U, b, tol=1e-13)
    K = 7
    frozen = {**cache, "states": [h] * (K + 1)}
    bptt = unrolled_backward(dh, frozen)
    ap, info = fixed_point_backward(dh, cache, tol=1e-300, max_iter=K - 1)
    assert info["iterations"] == K - 1
    for name in ("W", "U", "b", "x"):
        np.testing.assert_allclose(ap[name], bptt[name], rtol=1e-12, atol=1e-14)


def test_backward_rejects_bad_input():
    x, W, U, b, dh = _setup()
    _, cache = relax(x, W, U, b)
    with pytest.raises(ValueError, match="keep_states=True"):
        unrolled_backward(dh, cache)
    with pytest.raises(ValueError, match=r"dh must have the shape"):
        fixed_point_backward(dh[:, :2], cache)
    _, cache = relax(x, W, U, b, keep_states=True)
    with pytest.raises(ValueError, match=r"dh must have the shape"):
        unrolled_backward(dh.T, cache)


# --- the classifier -----------------------------------------------------------------------------------------


def test_classifier_gradients_match_central_differences():
    X, y = data.spiral(n_per_class=5, rng=0)
    model = FixedPointClassifier(2, 6, 3, weight_norm=0.9, rng=1)
    model.b.data += 0.1  # a non-zero bias, so its gradient is generic
    model.loss(X, y)
    for p in model.parameters():
        def loss(_):
            return softmax_cross_entropy(model.forward(X), y)

        assert rel_error(p.grad, numerical_gradient(loss, p.data)) < 1e-7


@pytest.mark.parametrize("seed", [0, 1])
def test_classifier_learns_the_spiral_and_stays_a_contraction(seed):
    X, y = data.spiral(n_per_class=100, rng=seed)
    X_test, y_test = data.spiral(n_per_class=100, rng=seed + 10)
    model = FixedPointClassifier(2, 8, 3, rng=seed)
    optimizer = Adam(model.parameters(), lr=0.05)
    first = model.loss(X, y)
    for _ in range(150):
        model.loss(X, y)
        optimizer.step()
        assert model.keep_contracting(0.9) <= 0.9
    assert np.linalg.norm(model.W.data, 2) <= 0.9 + 1e-12
    assert model.loss(X, y) < first / 5
    assert np.mean(model.forward(X_test).argmax(axis=1) == y_test) > 0.9
    # the adjoint relaxation takes about as many steps as the forward one (same Jacobian at h*)
    assert abs(model.adjoint_iterations - model.iterations) <= 0.25 * model.iterations
