"""Dual numbers against closed forms, reverse mode (`Value`) and central differences; Jacobians by both modes."""

import math

import numpy as np
import pytest

from bplab.engine import Value
from bplab.forward_mode import Dual, derivative, jacobian_forward, jacobian_reverse
from bplab.gradcheck import rel_error

H = 1e-5


def central(f, x, h=H):
    return (f(x + h) - f(x - h)) / (2 * h)


# functions written with the operations Dual and Value share, paired with the same function on floats
SHARED = {
    "polynomial": (lambda x: 3 * x**3 - x * x + 2 / x - 7, lambda x: 3 * x**3 - x * x + 2 / x - 7),
    "neuron": (lambda x: (1.5 * x - 0.3).tanh(), lambda x: math.tanh(1.5 * x - 0.3)),
    "exp-log": (lambda x: (x * x + 1).log() * (-x).exp(), lambda x: math.log(x * x + 1) * math.exp(-x)),
    "sigmoid-ratio": (lambda x: (3 * x).sigmoid() / (1 + x * x), lambda x: 1 / (1 + math.exp(-3 * x)) / (1 + x * x)),
    "relu-chain": (lambda x: (x - 0.2).relu() * x + (1 - x).relu(), lambda x: max(x - 0.2, 0) * x + max(1 - x, 0)),
    "subtract-powers": (lambda x: 1 - (x - 2) ** 2 - 4 / (x**2), lambda x: 1 - (x - 2) ** 2 - 4 / (x**2)),
}


@pytest.mark.parametrize("name", SHARED)
@pytest.mark.parametrize("x", [-1.7, 0.45, 1.3, 2.9])
def test_forward_mode_matches_reverse_mode_and_finite_differences(name, x):
    f, plain = SHARED[name]
    out = f(Dual(x, 1.0))
    assert out.value == pytest.approx(plain(x), rel=1e-12, abs=1e-14)
    v = Value(x)
    f(v).backward()
    assert out.deriv == pytest.approx(v.grad, rel=1e-12, abs=1e-14)  # the two modes, exactly
    assert rel_error(out.deriv, central(plain, x)) < 1e-7  # and a third, independent method
    assert derivative(f, x) == out.deriv


def test_sin_and_cos_against_closed_forms():
    for x in (-2.0, 0.3, 1.1):
        y = (Dual(x, 1.0) ** 2).sin() * Dual(x, 1.0).cos()  # sin(x^2) cos(x)
        assert y.value == pytest.approx(math.sin(x * x) * math.cos(x))
        exact = 2 * x * math.cos(x * x) * math.cos(x) - math.sin(x * x) * math.sin(x)
        assert y.deriv == pytest.approx(exact, rel=1e-12)


def test_the_derivative_part_follows_the_seed():
    # seeding with 2 gives twice the derivative (a directional derivative), seeding with 0 gives none
    f = SHARED["neuron"][0]
    assert f(Dual(0.4, 2.0)).deriv == pytest.approx(2 * derivative(f, 0.4))
    assert f(Dual(0.4, 0.0)).deriv == 0.0
    assert derivative(lambda x: 5.0, 1.0) == 0.0  # a constant does not depend on x


def random_function(rng, n, m, hidden=4):
    """f: R^n -> R^m, a tanh layer then a linear map, random and non-square."""
    W, V, b = rng.normal(size=(n, hidden)), rng.normal(size=(hidden, m)), rng.normal(size=hidden)

    def f(x):
        h = [sum((x[j] * W[j, k] for j in range(n)), b[k]).tanh() for k in range(hidden)]
        return [sum((h[k] * V[k, i] for k in range(hidden)), 0.0) for i in range(m)]

    def plain(x):
        return np.tanh(x @ W + b) @ V

    return f, plain, W, V, b


@pytest.mark.parametrize(("n", "m", "seed"), [(5, 3, 0), (3, 5, 1), (1, 4, 2), (6, 1, 3)])
def test_both_jacobians_match_the_closed_form_and_count_their_passes(n, m, seed):
    rng = np.random.default_rng(seed)
    f, plain, W, V, b = random_function(rng, n, m)
    x = rng.normal(size=n)
    exact = (W * (1 - np.tanh(x @ W + b) ** 2)) @ V  # (n, m): d out_i / d x_j, transposed below
    J_forward, forward_passes = jacobian_forward(f, x)
    J_reverse, reverse_passes = jacobian_reverse(f, x)
    assert J_forward.shape == J_reverse.shape == (m, n)
    np.testing.assert_allclose(J_forward, exact.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(J_reverse, exact.T, rtol=1e-12, atol=1e-14)
    assert (forward_passes, reverse_passes) == (n, m)  # one pass per input; one per output
    numeric = np.column_stack([(plain(x + H * e) - plain(x - H * e)) / (2 * H) for e in np.eye(n)])
    assert rel_error(J_forward, numeric) < 1e-7


def test_jacobians_of_outputs_that_are_inputs_or_constants():
    f = lambda x: [x[1], 3.0, x[0] * x[1]]  # noqa: E731
    for jacobian in (jacobian_forward, jacobian_reverse):
        J, _ = jacobian(f, [2.0, -5.0])
        np.testing.assert_array_equal(J, [[0.0, 1.0], [0.0, 0.0], [-5.0, 2.0]])
    J, passes = jacobian_reverse(lambda x: x[0] * x[0], np.array([3.0]))  # a single output, not in a list
    assert J.shape == (1, 1) and J[0, 0] == 6.0 and passes == 1


def test_reverse_mode_resets_the_inputs_between_outputs():
    # without zeroing, row 2 would also hold row 1's gradients
    J, _ = jacobian_reverse(lambda x: [x[0] * x[1], x[0] + x[1]], [2.0, 3.0])
    np.testing.assert_array_equal(J, [[3.0, 2.0], [1.0, 1.0]])


def test_clear_errors():
    with pytest.raises(TypeError, match="value"):
        Dual("1.0")
    with pytest.raises(TypeError, match="deriv"):
        Dual(1.0, True)
    with pytest.raises(ZeroDivisionError, match="divisor"):
        Dual(1.0) / Dual(0.0, 1.0)
    with pytest.raises(ValueError, match="positive"):
        Dual(-1.0).log()
    with pytest.raises(TypeError, match="exponent"):
        Dual(2.0) ** Dual(1.0)
    with pytest.raises(TypeError, match="x must be a real number"):
        derivative(lambda x: x, [1.0])
    with pytest.raises(TypeError, match="f must be"):
        jacobian_forward(3.0, [1.0])
    with pytest.raises(ValueError, match="x must be a non-empty 1-D"):
        jacobian_reverse(lambda x: x[0], [[1.0, 2.0]])
    with pytest.raises(TypeError, match="x must be a 1-D list"):
        jacobian_forward(lambda x: x[0], "12")


def test_repr_shows_both_parts():
    assert repr(Dual(2.0, -0.5)) == "Dual(value=2, deriv=-0.5)"
