"""bplab.functions: every derivative against central finite differences, stability at |z| = 1e4, clear errors."""

import warnings

import numpy as np
import pytest

from bplab import functions as F
from bplab.gradcheck import numerical_gradient, rel_error

rng = np.random.default_rng(0)
# |z| <= 3 keeps derivatives large enough for a meaningful relative error (saturation is tested below);
# and away from the kinks of relu / leaky_relu at 0, where the derivative is not defined
Z = rng.uniform(-3, 3, (4, 5))
Z_SMOOTH = np.where(np.abs(Z) < 0.1, 0.5, Z)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_activation_derivative_matches_finite_differences(name):
    f, df = F.ACTIVATIONS[name]
    z = Z_SMOOTH.copy()
    # elementwise: d/dz of sum(f(z)) is f'(z)
    numeric = numerical_gradient(lambda v: float(np.sum(f(v))), z)
    assert rel_error(df(z), numeric) < 1e-7


def test_softmax_jacobian_matches_finite_differences():
    z = rng.standard_normal(5)
    for i in range(5):
        numeric = numerical_gradient(lambda v, i=i: float(F.softmax(v)[i]), z.copy())
        assert rel_error(F.softmax_jacobian(z)[i], numeric) < 1e-7


@pytest.mark.parametrize(
    "loss, grad, make_target",
    [
        (F.mse, F.mse_grad, lambda: rng.standard_normal((4, 3))),
        (F.binary_cross_entropy, F.binary_cross_entropy_grad, lambda: rng.integers(0, 2, (4, 3)).astype(float)),
        (
            F.binary_cross_entropy_with_logits,
            F.binary_cross_entropy_with_logits_grad,
            lambda: rng.integers(0, 2, (4, 3)).astype(float),
        ),
    ],
)
def test_loss_gradients_match_finite_differences(loss, grad, make_target):
    y = make_target()
    prediction = rng.uniform(0.1, 0.9, (4, 3)) if loss is F.binary_cross_entropy else rng.standard_normal((4, 3))
    numeric = numerical_gradient(lambda v: loss(v, y), prediction.copy())
    assert rel_error(grad(prediction, y), numeric) < 1e-7


def test_softmax_cross_entropy_gradient_and_value():
    scores, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    numeric = numerical_gradient(lambda v: F.softmax_cross_entropy(v, y), scores.copy())
    assert rel_error(F.softmax_cross_entropy_grad(scores, y), numeric) < 1e-7
    loss, dscores = F.softmax_cross_entropy_and_grad(scores, y)  # both from one log-softmax
    assert loss == F.softmax_cross_entropy(scores, y) and rel_error(dscores, numeric) < 1e-7
    # equal scores: the loss is log(C)
    assert F.softmax_cross_entropy(np.zeros((3, 4)), [0, 1, 2]) == pytest.approx(np.log(4))


def test_bce_with_logits_agrees_with_bce_of_sigmoid():
    z, y = rng.standard_normal(10), rng.integers(0, 2, 10).astype(float)
    assert F.binary_cross_entropy_with_logits(z, y) == pytest.approx(F.binary_cross_entropy(F.sigmoid(z), y))


def test_stable_at_large_inputs_without_warnings():
    z = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = [
            F.sigmoid(z), F.sigmoid_derivative(z), F.tanh(z), F.tanh_derivative(z), F.softmax(z),
            F.log_softmax(z), F.softmax_jacobian(z),
            F.binary_cross_entropy_with_logits(z, np.ones(5)), F.binary_cross_entropy_with_logits_grad(z, np.ones(5)),
            F.softmax_cross_entropy(z[None], [0]), F.softmax_cross_entropy_grad(z[None], [4]),
            F.binary_cross_entropy(F.sigmoid(z), np.ones(5)),
        ]
    for out in outputs:
        assert np.all(np.isfinite(out))
    assert F.sigmoid(z)[0] == 0.0 and F.sigmoid(z)[-1] == 1.0
    # a very wrong confident prediction costs about |z|, not inf
    assert F.binary_cross_entropy_with_logits(np.array([-1e4]), np.array([1.0])) == pytest.approx(1e4)
    assert F.softmax_cross_entropy(np.array([[1e4, -1e4]]), [1]) == pytest.approx(2e4)


def test_softmax_rows_sum_to_one_and_shift_invariant():
    z = rng.standard_normal((3, 7))
    assert np.allclose(F.softmax(z).sum(axis=1), 1)
    assert np.allclose(F.softmax(z + 1000), F.softmax(z))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: F.mse(np.ones(3), np.ones(4)), ValueError, r"y_hat and y must have the same shape.*\(3,\).*\(4,\)"),
        (lambda: F.sigmoid("1.0"), TypeError, "z must be an array of numbers, got str"),
        (lambda: F.softmax_cross_entropy(np.ones((2, 3)), [0, 3]), ValueError, r"y must hold labels in 0\.\.2"),
        (lambda: F.softmax_cross_entropy(np.ones((2, 3)), [0, 1, 2]), ValueError, r"one label per example \(2\)"),
        (lambda: F.softmax_cross_entropy(np.ones(3), [0]), ValueError, r"scores must be a 2-D array"),
        (lambda: F.softmax_cross_entropy(np.ones((1, 3)), [0.5]), TypeError, "integer class labels"),
        (lambda: F.binary_cross_entropy(np.ones(2) * 0.5, np.array([0, 2.0])), ValueError, r"targets in \[0, 1\]"),
        (lambda: F.leaky_relu(np.ones(2), slope="a"), TypeError, "slope must be a real number"),
    ],
)
def test_bad_input_raises_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
