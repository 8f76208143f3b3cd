"""Tests for jvp, vjp and hessian_vector_product of bplab.forward_mode: against explicit Jacobians, central
differences, and the identity u (J v) = (u J) v."""

import numpy as np
import pytest

from bplab.forward_mode import hessian_vector_product, jacobian_forward, jacobian_reverse, jvp, vjp
from bplab.layers import linear_backward, linear_forward, tanh_backward, tanh_forward


def f(x):  # R^3 -> R^3, not symmetric, works on Duals and on Values
    return [x[0] * x[1].tanh(), x[1] * x[2] + x[0], (x[2] * x[0]).exp() / (1 + x[1] * x[1])]


def numeric_jacobian(function, x, h=1e-5):
    columns = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        columns.append((np.array(function(x + e), dtype=float) - np.array(function(x - e), dtype=float)) / (2 * h))
    return np.column_stack(columns)


def f_plain(x):
    return [x[0] * np.tanh(x[1]), x[1] * x[2] + x[0], np.exp(x[2] * x[0]) / (1 + x[1] ** 2)]


@pytest.mark.parametrize("seed", range(3))
def test_jvp_and_vjp_are_the_jacobian_times_a_vector(seed):
    rng = np.random.default_rng(seed)
    x, v, u = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
    J = numeric_jacobian(f_plain, x)
    out, tangent = jvp(f, x, v)
    np.testing.assert_allclose(out, f_plain(x), rtol=1e-14)
    np.testing.assert_allclose(tangent, J @ v, rtol=1e-7, atol=1e-9)
    out_r, vjp_fn = vjp(f, x)
    np.testing.assert_allclose(out_r, out, rtol=1e-14)
    np.testing.assert_allclose(vjp_fn(u), u @ J, rtol=1e-7, atol=1e-9)
    assert abs(u @ tangent - vjp_fn(u) @ v) < 1e-12 * (1 + abs(u @ tangent))  # u (J v) = (u J) v, both exact
    J_forward, _ = jacobian_forward(f, x)
    J_reverse, _ = jacobian_reverse(f, x)
    np.testing.assert_allclose(np.column_stack([jvp(f, x, e)[1] for e in np.eye(3)]), J_forward, rtol=1e-14)
    np.testing.assert_allclose(np.vstack([vjp_fn(e) for e in np.eye(3)]), J_reverse, rtol=1e-14)


def test_vjp_reuses_one_recording_for_many_backward_passes():
    x = np.array([0.4, -0.3, 1.1])
    _, vjp_fn = vjp(f, x)
    first = vjp_fn([1.0, 0.0, 0.0])
    vjp_fn([0.0, 5.0, 0.0])
    np.testing.assert_array_equal(vjp_fn([1.0, 0.0, 0.0]), first)  # no gradient left over from the call before


def test_scalars_and_arrays_of_any_shape():
    out, tangent = jvp(lambda x: x * x.sin(), 0.7, 1.0)
    assert isinstance(out, float) and tangent == pytest.approx(np.sin(0.7) + 0.7 * np.cos(0.7), rel=1e-14)
    X = np.arange(6.0).reshape(2, 3) / 10
    out, grad_fn = vjp(lambda M: (M * M).sum(), X)
    assert out == pytest.approx(np.sum(X**2)) and np.allclose(grad_fn(1.0), 2 * X, rtol=1e-14)
    _, tangent = jvp(lambda M: np.tanh(M) @ np.ones(3), X, np.ones((2, 3)))
    np.testing.assert_allclose(tangent, (1 - np.tanh(X) ** 2).sum(axis=1), rtol=1e-13)


def _mlp_problem(seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    shapes = [(3, 4), (4,), (4, 2), (2,)]

    def unpack(theta):
        parts, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            parts.append(theta[start:start + size].reshape(shape))
            start += size
        return parts

    def loss(theta):
        W1, b1, W2, b2 = unpack(theta)
        return 0.5 * np.mean(np.sum((np.tanh(X @ W1 + b1) @ W2 + b2 - Y) ** 2, axis=1))

    def grad(theta):  # reverse mode: bplab.layers' backward pass, which runs on floats and on Duals
        W1, b1, W2, b2 = unpack(theta)
        z, c1 = linear_forward(X, W1, b1)
        a, ct = tanh_forward(z)
        y_hat, c2 = linear_forward(a, W2, b2)
        da, dW2, db2 = linear_backward((y_hat - Y) / len(X), c2)
        _, dW1, db1 = linear_backward(tanh_backward(da, ct), c1)
        return np.concatenate([g.ravel() for g in (dW1, db1, dW2, db2)])

    return loss, grad, rng.standard_normal(sum(int(np.prod(s)) for s in shapes))


@pytest.mark.parametrize("seed", range(3))
def test_forward_over_reverse_hessian_vector_products(seed):
    loss, grad, theta = _mlp_problem(seed)
    rng = np.random.default_rng(seed + 7)
    v, w = rng.standard_normal(theta.size), rng.standard_normal(theta.size)
    Hv = hessian_vector_product(grad, theta, v)
    h = 1e-5
    differences = (grad(theta + h * v) - grad(theta - h * v)) / (2 * h)  # central differences of the gradient
    assert np.abs(Hv - differences).max() < 1e-7 * np.abs(Hv).max()
    np.testing.assert_allclose(grad(theta), numeric_jacobian(lambda t: [loss(t)], theta)[0], rtol=1e-6, atol=1e-9)
    assert abs(w @ Hv - v @ hessian_vector_product(grad, theta, w)) < 1e-12 * np.abs(Hv).max() * theta.size  # symmetric
    H = np.column_stack([hessian_vector_product(grad, theta, e) for e in np.eye(theta.size)])
    np.testing.assert_allclose(H @ v, Hv, rtol=1e-12, atol=1e-13)


def test_clear_errors():
    with pytest.raises(ValueError, match="shape of x"):
        jvp(f, [1.0, 2.0, 3.0], [1.0, 0.0])
    with pytest.raises(TypeError, match="function"):
        jvp(3, [1.0], [1.0])
    _, vjp_fn = vjp(f, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="shape of f"):
        vjp_fn([1.0, 2.0])
    with pytest.raises(TypeError, match="must return numbers"):
        jvp(lambda x: "text", [1.0], [1.0])
