"""bplab.optim: update rules against hand computation, Values and arrays, clipping, fit, divergence, digits accuracy."""

import math

import numpy as np
import pytest

from bplab import Value
from bplab.layers import MLP, Linear, Parameter
from bplab.optim import SGD, Adam, clip_gradients, fit


def test_sgd_step_on_arrays_and_values():
    p, v = Parameter(np.array([1.0, 2.0])), Value(3.0)
    p.grad[...] = [0.5, -1.0]
    v.grad = 2.0
    SGD([p, v], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1])
    assert v.data == pytest.approx(2.8)


def test_momentum_accumulates_velocity():
    p = Parameter(np.array([0.0]))
    opt = SGD([p], lr=1.0, momentum=0.5)
    for _ in range(2):
        p.grad[...] = 1.0
        opt.step()
    # v1 = -1, v2 = 0.5 * -1 - 1 = -1.5; w = -1 + -1.5
    np.testing.assert_allclose(p.data, [-2.5])


def test_adam_first_step_moves_by_lr_and_weight_decay_adds_to_grad():
    p = Parameter(np.array([1.0, -1.0]))
    p.grad[...] = [100.0, -0.001]
    Adam([p], lr=0.01).step()
    # bias-corrected first step is lr * sign(grad), whatever the gradient's size
    np.testing.assert_allclose(p.data, [0.99, -0.99], rtol=1e-5)
    q = Parameter(np.array([2.0]))
    SGD([q], lr=0.1, weight_decay=0.5).step()  # grad 0 + 0.5 * 2
    np.testing.assert_allclose(q.data, [1.9])


def test_optimizers_minimise_a_quadratic():
    for opt_class, kwargs in [(SGD, {"lr": 0.1}), (SGD, {"lr": 0.05, "momentum": 0.9}), (Adam, {"lr": 0.1})]:
        p = Parameter(np.array([3.0, -2.0]))
        opt = opt_class([p], **kwargs)
        for _ in range(300):
            opt.zero_grad()
            p.grad += 2 * (p.data - 1.0)  # d/dw |w - 1|^2
            opt.step()
        np.testing.assert_allclose(p.data, [1.0, 1.0], atol=1e-3)


def test_clip_gradients():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(1))
    a.grad[...] = [3.0, 0.0]
    b.grad[...] = [4.0]
    assert clip_gradients([a, b], max_norm=1.0) == pytest.approx(5.0)
    assert math.hypot(*a.grad, *b.grad) == pytest.approx(1.0)
    np.testing.assert_allclose(a.grad, [0.6, 0.0])


@pytest.mark.parametrize("call, error, match", [
    (lambda p: SGD(p, lr=float("nan")), ValueError, "lr must be finite, got nan"),
    (lambda p: SGD(p, lr=-0.1), ValueError, "lr must be positive"),
    (lambda p: SGD(p, lr="0.1"), TypeError, "lr must be a real number, got str"),
    (lambda p: SGD(p, lr=0.1, momentum=1.0), ValueError, "momentum must be below 1"),
    (lambda p: SGD([], lr=0.1), ValueError, "params is empty"),
    (lambda p: SGD([1.0], lr=0.1), TypeError, r"params\[0\] must have .data and .grad"),
    (lambda p: Adam(p, eps=0), ValueError, "eps must be positive"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call([Parameter(np.zeros(1))])


def test_fit_learns_xor_like_data_and_reports_history():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)
    model = MLP([2, 16, 2], activation="tanh", init="xavier", rng=1)
    history = fit(model, X, y, SGD(model.parameters(), lr=0.3, momentum=0.9), num_epochs=60, batch_size=20,
                  X_val=X, y_val=y, rng=2)
    assert len(history["loss"]) == 60 and history["loss"][-1] < history["loss"][0] / 3
    assert history["train_accuracy"][-1] > 0.9 and history["val_accuracy"][-1] == history["train_accuracy"][-1]
    assert history["diverged"] is False


def test_fit_regression_with_mse():
    x = np.linspace(-1, 1, 50)[:, None]
    model = Linear(1, 1, rng=0)
    optimizer = SGD(model.parameters(), lr=0.3)
    history = fit(model, x, 3 * x - 1, optimizer, num_epochs=100, batch_size=10, loss="mse", rng=0)
    assert history["loss"][-1] < 1e-6
    np.testing.assert_allclose([model.W.data[0, 0], model.b.data[0]], [3.0, -1.0], atol=1e-3)


def test_fit_stops_with_a_message_when_diverging(recwarn):
    x = np.linspace(-1, 1, 50)[:, None] * 100
    model = Linear(1, 1, rng=0)
    history = fit(model, x, x, SGD(model.parameters(), lr=10.0), num_epochs=50, loss="mse", rng=0)
    assert history["diverged"] is True and history["message"].startswith("Diverged")
    assert len(history["loss"]) < 50
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_fit_rejects_mismatched_data():
    model = Linear(2, 2)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="X and y must have the same length, got 5 and 4"):
        fit(model, np.ones((5, 2)), np.zeros(4, dtype=int), opt, num_epochs=1)
    with pytest.raises(ValueError, match="loss must be"):
        fit(model, np.ones((5, 2)), np.zeros(5, dtype=int), opt, num_epochs=1, loss="hinge")
    with pytest.raises(ValueError, match="num_epochs must be at least 1"):
        fit(model, np.ones((5, 2)), np.zeros(5, dtype=int), opt, num_epochs=0)


def test_mlp_reaches_96_percent_on_shipped_digits():
    from bplab.data import load_digits, standardize, train_test_split

    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=True, rng=0)
    X_train, X_test = standardize(X_train, X_test)
    model = MLP([64, 128, 10], rng=0)
    history = fit(model, X_train, y_train, SGD(model.parameters(), lr=0.05, momentum=0.9), num_epochs=30,
                  batch_size=32, X_val=X_test, y_val=y_test, rng=0)
    assert history["val_accuracy"][-1] >= 0.96


def test_fit_refuses_an_optimizer_made_for_another_model():
    from bplab.layers import MLP

    X, y = np.random.default_rng(0).standard_normal((20, 3)), np.arange(20) % 2
    old = MLP([3, 4, 2], rng=0)
    optimizer = SGD(old.parameters(), lr=0.1)
    model = MLP([3, 4, 2], rng=0)  # the model cell was re-run, the optimizer cell was not
    with pytest.raises(ValueError, match="optimizer was made for other parameters"):
        fit(model, X, y, optimizer, num_epochs=1)


@pytest.mark.parametrize("kwargs, match", [
    ({"beta1": 1.0}, r"beta1 must be in \[0, 1\)"),
    ({"beta2": 1.5}, r"beta2 must be in \[0, 1\)"),
    ({"beta1": -0.1}, "beta1 must be at least 0"),
])
def test_adam_refuses_betas_outside_0_1(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Adam([Value(1.0)], **kwargs)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps)])
def test_a_parameter_that_changed_shape_is_a_clear_error(make):
    from bplab.layers import Parameter

    p = Parameter(np.ones(3))
    optimizer = make([p])
    p.data, p.grad = np.ones((2, 3)), np.ones((2, 3))
    with pytest.raises(ValueError, match=r"params\[0\] changed shape from \(3,\) to \(2, 3\)"):
        optimizer.step()


def test_fit_refuses_empty_data():
    from bplab.layers import MLP

    model = MLP([3, 2], rng=0)
    with pytest.raises(ValueError, match="X is empty"):
        fit(model, np.ones((0, 3)), np.ones(0, dtype=int), SGD(model.parameters(), lr=0.1), num_epochs=1)
