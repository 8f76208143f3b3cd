"""Tests for the solvers of bplab.fixed_point: Newton's method for the forward fixed point, one linear solve for the
gradient (the implicit function theorem), checked against central differences and against the relaxations."""

import numpy as np
import pytest

from bplab.fixed_point import fixed_point_backward, implicit_backward, newton_fixed_point, relax
from bplab.gradcheck import numerical_gradient, rel_error

N, D, H = 4, 3, 5


def _problem(seed, norm):
    rng = np.random.default_rng(seed)
    x, U, b = rng.standard_normal((N, D)), rng.standard_normal((D, H)), 0.3 * rng.standard_normal(H)
    W = rng.standard_normal((H, H))
    W *= norm / np.linalg.norm(W, 2)  # random, not symmetric, with ||W||_2 = norm
    return x, W, U, b, rng.standard_normal((N, H))


def explorer_problem(norm=2.5):
    """Notebook 15's explorer problem (tests/test_fixed_point_claims.py builds it the same way)."""
    r = np.random.default_rng(0)
    W_unit = r.standard_normal((32, 32))
    W_unit /= np.linalg.norm(W_unit, 2)
    U, b = r.standard_normal((2, 32)), 0.1 * r.standard_normal(32)
    x, G = r.standard_normal((20, 2)), r.standard_normal((20, 32))
    return x, norm * W_unit, U, b, G


@pytest.mark.parametrize("seed", range(3))
def test_newton_finds_the_fixed_point_of_a_contraction_that_relax_finds(seed):
    x, W, U, b, _ = _problem(seed, 0.8)
    h_relax, _ = relax(x, W, U, b, tol=1e-14)
    h, cache = newton_fixed_point(x, W, U, b, tol=1e-14)
    assert cache["converged"] and cache["iterations"] <= 6
    np.testing.assert_allclose(h, h_relax, rtol=0, atol=1e-12)
    assert np.abs(h - np.tanh(h @ W + x @ U + b)).max() < 1e-13


def test_newton_converges_quadratically_near_the_root():
    x, W, U, b, _ = _problem(0, 1.5)
    _, cache = newton_fixed_point(x, W, U, b, tol=1e-300, max_iter=8)
    r = cache["residuals"]
    assert len(r) == 9 and r[0] > 1
    k = int(np.argmax(r < 1e-3))  # once close, each residual is about the square of the one before (times a constant)
    assert r[k + 1] < 10 * r[k] ** 2 and r[k + 1] < 1e-6


def test_implicit_backward_equals_almeida_pineda_where_both_work():
    x, W, U, b, G = _problem(1, 0.9)
    _, cache = relax(x, W, U, b, tol=1e-14)
    direct = implicit_backward(G, cache)
    relaxed, info = fixed_point_backward(G, cache, tol=1e-14)
    assert info["converged"]
    for name in direct:
        np.testing.assert_allclose(direct[name], relaxed[name], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_implicit_backward_matches_central_differences(seed):
    x, W, U, b, G = _problem(seed, 1.5)  # no contraction: the derivative of h* needs only I - J invertible
    arrays = {"x": x, "W": W, "U": U, "b": b}
    h, cache = newton_fixed_point(x, W, U, b, tol=1e-15)
    assert cache["converged"]
    grads = implicit_backward(G, cache)

    def loss(_):
        h_moved, c = newton_fixed_point(arrays["x"], arrays["W"], arrays["U"], arrays["b"], h0=h, tol=1e-15)
        assert c["converged"] and np.abs(h_moved - h).max() < 1e-3  # the same fixed point, moved a little
        return float(np.sum(h_moved * G))

    for name, array in arrays.items():
        assert rel_error(grads[name], numerical_gradient(loss, array)) < 1e-7, name


def test_at_an_unstable_fixed_point_newton_and_one_linear_solve_work_where_both_relaxations_fail():
    x, W, U, b, G = explorer_problem(2.5)
    _, relaxed = relax(x, W, U, b, max_iter=1000)
    assert not relaxed["converged"]
    h = None
    for norm in np.arange(0.5, 2.51, 0.5):  # follow the fixed point from a contraction (continuation)
        h, cache = newton_fixed_point(x, norm / 2.5 * W, U, b, h0=h)
    assert cache["converged"] and np.abs(h - np.tanh(h @ W + x @ U + b)).max() < 1e-12
    rho = np.abs(np.linalg.eigvals((1 - h**2)[:, :, None] * W.T)).max(axis=1)
    assert rho.max() > 1  # unstable for some examples
    _, info = fixed_point_backward(G, cache, max_iter=1000)
    assert not info["converged"]
    grads = implicit_backward(G, cache)
    delta = grads["h"]
    np.testing.assert_allclose(delta - ((delta * (1 - h**2)) @ W.T), G, rtol=0, atol=1e-10)  # delta (I - J) = G


def test_newton_from_zero_can_stall_far_from_a_contraction():
    x, W, U, b, _ = explorer_problem(2.5)
    h, cache = newton_fixed_point(x, W, U, b)
    rows = np.linalg.norm(h - np.tanh(h @ W + x @ U + b), axis=1)
    assert not cache["converged"] and np.sum(rows < 1e-12) >= 15  # most examples solved, not every one


def test_clear_errors():
    x, W, U, b, G = _problem(0, 0.5)
    with pytest.raises(ValueError, match="h0 must have shape"):
        newton_fixed_point(x, W, U, b, h0=np.zeros((N + 1, H)))
    with pytest.raises(ValueError, match="W must have shape"):
        newton_fixed_point(x, W[:, :2], U, b)
    _, cache = newton_fixed_point(x, W, U, b)
    with pytest.raises(ValueError, match="dh must have the shape"):
        implicit_backward(G.T, cache)
