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
    with pytest.raises(ValueError, match=r"ReLU\(\).backward expects dout of shape \(4, 3\), got \(4, 2\)"):
        relu.backward(np.ones((4, 2)))


PAIRS = [
    ("linear", lambda x, W, b: L.linear_forward(x, W, b), L.linear_backward),
    ("relu", lambda x, W, b: L.relu_forward(x), L.relu_backward),
    ("leaky_relu", lambda x, W, b: L.leaky_relu_forward(x, 0.2), L.leaky_relu_backward),
    ("sigmoid", lambda x, W, b: L.sigmoid_forward(x), L.sigmoid_backward),
    ("tanh", lambda x, W, b: L.tanh_forward(x), L.tanh_backward),
]


@pytest.mark.parametrize("name, forward, backward", PAIRS, ids=[p[0] for p in PAIRS])
def test_function_pairs_match_finite_differences(name, forward, backward):
    # non-square, non-symmetric shapes: N=5, D=4, M=3 catch a wrong transpose
    r = np.random.default_rng(11)
    x = r.standard_normal((5, 4)) * 2
    W, b = r.standard_normal((4, 3)), r.standard_normal(3)
    out, cache = forward(x, W, b)
    dout = r.standard_normal(out.shape)
    grads = backward(dout, cache)
    dx = grads[0] if name == "linear" else grads
    assert dx.shape == x.shape
    assert rel_error(dx, numerical_gradient(lambda v: np.sum(forward(v, W, b)[0] * dout), x.copy())) < 1e-7
    if name == "linear":
        _, dW, db = grads
        assert dW.shape == W.shape and db.shape == b.shape
        assert rel_error(dW, numerical_gradient(lambda v: np.sum(forward(x, v, b)[0] * dout), W.copy())) < 1e-7
        assert rel_error(db, numerical_gradient(lambda v: np.sum(forward(x, W, v)[0] * dout), b.copy())) < 1e-7


def test_sigmoid_and_tanh_backward_use_the_cached_output():
    x = np.array([[-30.0, 0.0, 2.0]])
    out, cache = L.sigmoid_forward(x)
    assert cache is out  # the derivative is computed from the output s, as s (1 - s)
    out, cache = L.tanh_forward(x)
    assert cache is out


def test_a_layer_used_twice_is_refused():
    shared = L.Linear(3, 3, rng=0)
    with pytest.raises(ValueError, match=r"Linear\(3, 3\) appears twice in this model"):
        L.Sequential(shared, L.ReLU(), shared)
    relu = L.ReLU()
    with pytest.raises(ValueError, match="appears twice"):
        L.Sequential(L.Linear(3, 3), relu, L.Sequential(L.Linear(3, 3), relu))
    with pytest.raises(TypeError, match="Sequential expects bplab layers, got ufunc at position 0"):
        L.Sequential(np.tanh)


@pytest.mark.parametrize("make_loss, args", [
    (L.SoftmaxCrossEntropy, (np.zeros((2, 3)), [0, 1])),
    (L.MSELoss, (np.zeros((2, 1)), np.zeros((2, 1)))),
])
def test_loss_backward_before_forward_is_a_clear_error(make_loss, args):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        make_loss().backward()
    loss = make_loss()
    loss.forward(*args)
    assert loss.backward().shape == np.shape(args[0])


@pytest.mark.parametrize("call, error, match", [
    (lambda: L.Linear(2, 2)(np.ones((3, 2)) * (1 + 1j)), TypeError, "real numbers"),
    (lambda: L.accuracy(np.ones((0, 3)), []), ValueError, "scores is empty"),
    (lambda: L.SoftmaxCrossEntropy()(np.ones((0, 3)), []), ValueError, "scores is empty"),
    (lambda: L.MSELoss()(np.ones((0, 1)), np.ones((0, 1))), ValueError, "y_hat is empty"),
    (lambda: L.SoftmaxCrossEntropy()(np.ones((2, 3)), [0.0, np.inf]), TypeError, "integer class labels"),
    (lambda: L.SoftmaxCrossEntropy()(np.ones((2, 3)), [0.0, 1e30]), TypeError, "integer class labels"),
])
def test_odd_inputs_give_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
