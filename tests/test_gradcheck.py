"""bplab.gradcheck: numerical gradients of arrays and Values, rel_error, check_layer catching a wrong backward."""

import numpy as np
import pytest

from bplab import Value
from bplab.gradcheck import check_layer, numerical_gradient, numerical_gradient_array, rel_error
from bplab.layers import Linear


def test_numerical_gradient_of_known_function_and_restores_x():
    x = np.array([1.0, -2.0, 3.0])
    before = x.copy()
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-9)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_of_values():
    a, b = Value(2.0), Value(-1.5)
    grads = numerical_gradient(lambda: (a * b + a.tanh()), [a, b])
    assert grads[0] == pytest.approx(-1.5 + 1 - np.tanh(2.0) ** 2, rel=1e-9)
    assert grads[1] == pytest.approx(2.0, rel=1e-9)
    assert numerical_gradient(lambda: a * a, a) == pytest.approx(4.0, rel=1e-9)
    assert a.data == 2.0  # restored


def test_numerical_gradient_array_is_vector_jacobian_product():
    W = np.random.default_rng(0).standard_normal((3, 2))
    x, dout = np.ones((4, 3)), np.arange(8.0).reshape(4, 2)
    np.testing.assert_allclose(numerical_gradient_array(lambda v: v @ W, x, dout), dout @ W.T, rtol=1e-8)


def test_rel_error_definition():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert rel_error(0.0, 1e-12) < 1e-3  # the 1e-8 floor keeps tiny numbers from looking wrong
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.ones(2), np.ones(3))


def test_check_layer_catches_a_wrong_backward():
    layer = Linear(3, 2, rng=0)
    x = np.random.default_rng(1).standard_normal((4, 3))
    assert max(check_layer(layer, x, rng=2).values()) < 1e-7

    class Broken(Linear):
        def backward(self, dout):
            dx = super().backward(dout)
            self.b.grad = self.b.grad / len(dout)  # a classic mistake: averaging the bias gradient twice
            return dx

    errors = check_layer(Broken(3, 2, rng=0), x, rng=2)
    assert errors["b"] > 1e-2 and errors["W"] < 1e-7


def test_numerical_gradient_rejects_float32_and_lists():
    with pytest.raises(TypeError, match="float64 ndarray"):
        numerical_gradient(lambda v: 0.0, np.ones(2, dtype=np.float32))
    with pytest.raises(TypeError, match="got list"):
        numerical_gradient(lambda v: 0.0, [1.0, 2.0])
