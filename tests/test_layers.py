"""bplab.layers: every backward against finite differences, init scales, shapes, and clear errors."""

import numpy as np
import pytest

from bplab import layers as L
from bplab.gradcheck import check_layer, numerical_gradient, rel_error

rng = np.random.default_rng(0)
X = rng.standard_normal((6, 4))


@pytest.mark.parametrize(
    "layer",
    [L.Linear(4, 3, rng=1), L.ReLU(), L.Sigmoid(), L.Tanh(), L.LeakyReLU(0.1),
     L.MLP([4, 8, 5, 3], activation="tanh", init="xavier", rng=2), L.MLP([4, 8, 3], activation="relu", rng=3)],
    ids=repr,
)
def test_every_gradient_matches_finite_differences(layer):
    errors = check_layer(layer, X, rng=4)
    assert set(errors) == {"x"} | {name for name, _ in layer.named_parameters()}
    assert max(errors.values()) < 1e-7, errors


def test_linear_gradients_have_the_shapes_of_their_parameters():
    layer = L.Linear(4, 3, rng=0)
    out = layer(X)
    dx = layer.backward(np.ones_like(out))
    assert out.shape == (6, 3) and dx.shape == X.shape
    assert layer.W.grad.shape == (4, 3) and layer.b.grad.shape == (3,)
    np.testing.assert_allclose(layer.b.grad, np.full(3, 6.0))  # summed over the batch


@pytest.mark.parametrize("make_loss, target", [
    (L.SoftmaxCrossEntropy, rng.integers(0, 3, 6)),
    (L.MSELoss, rng.standard_normal((6, 3))),
])
def test_loss_layers_backward(make_loss, target):
    loss = make_loss()
    scores = rng.standard_normal((6, 3))
    loss.forward(scores, target)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda s: make_loss().forward(s, target), scores.copy())
    assert rel_error(analytic, numeric) < 1e-7


def test_init_scales():
    big = (400, 300)
    assert np.std(L.init_weights(big, "he", rng=0)) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.std(L.init_weights(big, "xavier", rng=0)) == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    assert np.std(L.init_weights(big, "normal", scale=0.5, rng=0)) == pytest.approx(0.5, rel=0.02)
    assert not np.any(L.init_weights(big, "zero"))
    np.testing.assert_array_equal(L.init_weights((3, 2), rng=7), L.init_weights((3, 2), rng=7))


def test_mlp_structure_and_float32():
    model = L.MLP([64, 32, 10], rng=0, dtype=np.float32)
    assert [type(layer).__name__ for layer in model.layers] == ["Linear", "ReLU", "Linear"]
    assert len(model.parameters()) == 4
    out = model(np.ones((2, 64), dtype=np.float32))
    assert out.dtype == np.float32 and out.shape == (2, 10)
    model.backward(np.ones_like(out))
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_accuracy():
    scores = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0]])
    assert L.accuracy(scores, [0, 1, 1]) == pytest.approx(2 / 3)


def test_zero_grad():
    model = L.MLP([4, 3, 2], rng=0)
    model.backward(np.ones_like(model(X)))
    assert any(np.any(p.grad) for p in model.parameters())
    model.zero_grad()
    assert not any(np.any(p.grad) for p in model.parameters())


@pytest.mark.parametrize("call, error, match", [
    (lambda: L.Linear(3, 2)(np.ones((5, 4))), ValueError, r"Linear\(3, 2\) expects x of shape \(N, 3\), got \(5, 4\)"),
    (lambda: L.Linear(3, 2)(np.ones(3)), ValueError, r"expects x of shape \(N, 3\), got \(3,\)"),
    (lambda: L.Linear(3, 2)("x"), TypeError, "x must be an array of numbers, got str"),
    (lambda: L.Linear(3, 0), ValueError, "out_features must be at least 1, got 0"),
    (lambda: L.Linear(2.5, 2), TypeError, "in_features must be an integer, got float"),
    (lambda: L.Linear(3, 2, init="glorot"), ValueError, "init must be one of"),
    (lambda: L.MLP([4]), ValueError, "at least an input and an output size"),
    (lambda: L.MLP([4, 2], activation="softplus"), ValueError, "activation must be one of"),
    (lambda: L.ReLU().backward(np.ones(2)), RuntimeError, "backward called before forward"),
    (lambda: L.SoftmaxCrossEntropy().forward(np.ones((2, 3)), [0, 5]), ValueError, r"labels in 0\.\.2"),
    (lambda: L.MSELoss().forward(np.ones((2, 1)), np.ones(2)), ValueError, "same shape"),
])
def test_bad_input_raises_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_linear_backward_checks_dout_shape():
    layer = L.Linear(3, 2)
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"dout of shape \(4, 2\), got \(4, 3\)"):
        layer.backward(np.ones((4, 3)))
    relu = L.ReLU()
    relu(np.ones((4, 3)))
    with pytest.raises(ValueError, match="dout and x must have the same shape"):
        relu.backward(np.ones((4, 2)))
