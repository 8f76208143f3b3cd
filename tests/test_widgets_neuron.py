"""Tests of the widgets of notebooks 03-05 (bplab/widgets/neuron.py), without a browser.

Each test sets control values and checks ``explorer.result`` against an independent computation:
closed forms written here with `math`, central differences, or a linear recurrence.
"""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from widget_checks import assert_redraws_the_same, move  # noqa: E402

from bplab.widgets import (  # noqa: E402
    activation_explorer,
    gradient_descent_explorer,
    gradient_descent_path,
    loss_explorer,
    neuron_explorer,
    neuron_graph_explorer,
)

H = 1e-6


def central_difference(f, x: float, h: float = H) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def set_controls(explorer, **values) -> dict:
    for name, value in values.items():
        explorer.controls[name].value = value
    return explorer.result


def sigmoid_math(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def line_data():
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 2.0, 20)
    return x, 2 * x - 1 + rng.normal(0.0, 0.2, size=20)


# ---------------------------------------------------------------- neuron_graph_explorer


def test_neuron_graph_grads_match_finite_differences():
    explorer = neuron_graph_explorer()
    point = {"x1": 0.5, "x2": -1.2, "w1": 0.7, "w2": 0.3, "b": -0.4}
    result = set_controls(explorer, **point)

    def o(**values) -> float:
        return math.tanh(values["x1"] * values["w1"] + values["x2"] * values["w2"] + values["b"])

    assert result["output"] == pytest.approx(o(**point), abs=1e-15)
    for name in point:
        numeric = central_difference(lambda v, name=name: o(**{**point, name: v}), point[name])
        assert result["grads"][name] == pytest.approx(numeric, rel=1e-7, abs=1e-9), name
    n = point["x1"] * point["w1"] + point["x2"] * point["w2"] + point["b"]
    assert result["grads"]["n"] == pytest.approx(1 - math.tanh(n) ** 2, rel=1e-12)
    assert result["grads"]["o"] == 1.0
    assert result["data"]["n"] == pytest.approx(n, abs=1e-12)


def test_neuron_graph_default_is_the_classic_example():
    result = neuron_graph_explorer().result
    # x2 = 0, so w2 gets no gradient; w1's gradient is x1 times n's
    assert result["grads"]["w2"] == 0.0
    assert result["grads"]["w1"] == pytest.approx(2.0 * result["grads"]["n"], rel=1e-12)


# ---------------------------------------------------------------- activation_explorer


ACTIVATION_MATH = {
    "sigmoid": sigmoid_math,
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
}


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("z", [-3.7, -0.4, 0.9, 6.0])
def test_activation_value_and_slope(activation, z):
    result = set_controls(activation_explorer(), z=z, activation=activation)
    f = ACTIVATION_MATH[activation]
    assert result["value"] == pytest.approx(f(z), rel=1e-12, abs=1e-15)
    assert result["derivative"] == pytest.approx(central_difference(f, z), rel=1e-7, abs=1e-10)
    assert result["curve_f"].shape == result["curve_z"].shape == result["curve_df"].shape


def test_activation_messages_flag_saturation_and_dead_units():
    explorer = activation_explorer()
    result = set_controls(explorer, z=10.0, activation="sigmoid")
    assert result["derivative"] < 1e-4
    assert result["message"].startswith("Saturated")
    assert set_controls(explorer, z=-2.0, activation="relu")["message"].startswith("Zero slope")
    assert "message" not in set_controls(explorer, z=0.5, activation="sigmoid")


# ---------------------------------------------------------------- neuron_explorer


def small_data():
    X = np.array([[0.0, 0.0], [1.0, 2.0], [-1.5, 0.5], [2.0, -1.0], [-0.5, -2.0], [0.3, 0.1]])
    y = np.array([0, 1, 0, 1, 0, 1])
    return X, y


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_neuron_explorer_output_accuracy_and_boundary(activation):
    X, y = small_data()
    explorer = neuron_explorer(X, y, resolution=11)
    w1, w2, b = 1.3, -0.6, 0.2
    result = set_controls(explorer, w1=w1, w2=w2, b=b, activation=activation)
    f = ACTIVATION_MATH[activation]
    for i, j in [(0, 0), (3, 7), (10, 10)]:
        g1, g2 = result["grid_x1"][i, j], result["grid_x2"][i, j]
        assert result["output"][i, j] == pytest.approx(f(w1 * g1 + w2 * g2 + b), rel=1e-12, abs=1e-15)
    correct = sum((w1 * p[0] + w2 * p[1] + b > 0) == (label == 1) for p, label in zip(X.tolist(), y))
    assert result["accuracy"] == pytest.approx(correct / len(y))
    x1, x2 = result["boundary"]
    np.testing.assert_allclose(w1 * x1 + w2 * x2 + b, 0.0, atol=1e-12)


def test_neuron_explorer_separates_separable_data_and_flags_no_boundary():
    X, y = small_data()
    explorer = neuron_explorer(X, y)
    # x1 + x2 > 0.35 exactly picks out class 1 here
    assert set_controls(explorer, w1=1.0, w2=1.0, b=-0.35)["accuracy"] == 1.0
    result = set_controls(explorer, w1=0.0, w2=0.0, b=1.0)
    assert result["boundary"] is None
    assert result["message"].startswith("No boundary")
    assert result["accuracy"] == pytest.approx(np.mean(y == 1))  # every point is called class 1


def test_neuron_explorer_default_data_and_validation():
    result = neuron_explorer().result
    assert result["X"].shape == (200, 2) and 0.0 <= result["accuracy"] <= 1.0
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        neuron_explorer(np.zeros((5, 3)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="y"):
        neuron_explorer(np.zeros((5, 2)), np.array([0, 1, 2, 0, 1]))


# ---------------------------------------------------------------- loss_explorer


@pytest.mark.parametrize("y", [0, 1])
@pytest.mark.parametrize("z", [-5.0, -0.3, 2.2])
def test_loss_explorer_gradients_match_finite_differences(z, y):
    result = set_controls(loss_explorer(), z=z, y=y)

    def mse(z):
        return (sigmoid_math(z) - y) ** 2

    def bce(z):
        p = sigmoid_math(z)
        return -(y * math.log(p) + (1 - y) * math.log(1 - p))

    assert result["mse"] == pytest.approx(mse(z), rel=1e-12)
    assert result["bce"] == pytest.approx(bce(z), rel=1e-10)
    assert result["mse_grad_z"] == pytest.approx(central_difference(mse, z), rel=1e-6, abs=1e-10)
    assert result["bce_grad_z"] == pytest.approx(central_difference(bce, z), rel=1e-6, abs=1e-10)


def test_cross_entropy_pushes_harder_on_a_confident_wrong_prediction():
    result = set_controls(loss_explorer(), z=-6.0, y=1)  # p = 0.0025, target 1
    assert abs(result["bce_grad_z"]) > 100 * abs(result["mse_grad_z"])


# ---------------------------------------------------------------- gradient descent


def linear_recurrence(x, y, lr, num_steps, momentum, start):
    """Gradient descent on MSE written as the linear map it is: grad = Q theta - c."""
    A = np.column_stack([x, np.ones_like(x)])
    Q, c = 2 * A.T @ A / len(x), 2 * A.T @ y / len(x)
    theta, velocity, path = np.array(start, float), np.zeros(2), [np.array(start, float)]
    for _ in range(num_steps):
        velocity = momentum * velocity - lr * (Q @ theta - c)
        theta = theta + velocity
        path.append(theta)
    return np.array(path)


@pytest.mark.parametrize("momentum", [0.0, 0.7])
def test_gradient_descent_path_matches_the_linear_recurrence(momentum):
    x, y = line_data()
    result = gradient_descent_path(x, y, lr=0.1, num_steps=30, momentum=momentum, start=(0.5, 1.5))
    np.testing.assert_allclose(result["path"], linear_recurrence(x, y, 0.1, 30, momentum, (0.5, 1.5)),
                               rtol=1e-12, atol=1e-12)
    w, b = result["path"][-1]
    assert result["loss"][-1] == pytest.approx(np.mean((w * x + b - y) ** 2), rel=1e-12)


def test_first_step_uses_the_finite_difference_gradient():
    x, y = line_data()
    start = np.array([-1.0, -2.0])

    def loss(theta):
        return float(np.mean((theta[0] * x + theta[1] - y) ** 2))

    numeric = np.array([(loss(start + h) - loss(start - h)) / 2e-5 for h in np.eye(2) * 1e-5])
    result = gradient_descent_path(x, y, lr=0.05, num_steps=1, start=tuple(start))
    np.testing.assert_allclose(result["path"][1], start - 0.05 * numeric, rtol=1e-8)


def test_loss_minimum_and_stability_limit():
    x, y = line_data()
    result = gradient_descent_path(x, y, lr=0.3, num_steps=100)
    w, b = np.polyfit(x, y, 1)
    np.testing.assert_allclose(result["best"], [w, b], rtol=1e-10)
    assert result["loss"][-1] == pytest.approx(result["loss_min"], rel=1e-6)
    limit = result["lr_stable_below"]
    assert gradient_descent_path(x, y, lr=0.98 * limit, num_steps=100)["regime"] != "diverging"
    assert gradient_descent_path(x, y, lr=1.02 * limit, num_steps=100)["regime"] == "diverging"


@pytest.mark.parametrize(
    "lr, regime", [(0.01, "too small"), (0.2, "good"), (0.44, "oscillating"), (0.6, "diverging")]
)
def test_learning_rate_slider_shows_each_regime(lr, regime):
    explorer = gradient_descent_explorer()
    result = set_controls(explorer, lr=lr, momentum=0.0, num_steps=50)
    assert result["regime"] == regime
    assert result["message"].split(":")[0].lower() == {"diverging": "diverged"}.get(regime, regime)
    losses = result["loss"]
    if regime == "diverging":
        assert losses[-1] > losses[0]
    else:
        assert losses[-1] < losses[0]
    if regime == "good":
        assert losses[-1] < 1.1 * result["loss_min"]
    if regime == "too small":
        assert np.all(np.diff(losses) < 0) and losses[-1] > 2 * result["loss_min"]


def test_momentum_reaches_the_minimum_in_fewer_steps():
    x, y = line_data()

    def steps_to_converge(momentum):
        losses = gradient_descent_path(x, y, lr=0.05, num_steps=100, momentum=momentum)["loss"]
        return int(np.argmax(losses < 1.01 * losses.min() + 1e-3))

    plain = gradient_descent_path(x, y, lr=0.05, num_steps=100)
    with_momentum = gradient_descent_path(x, y, lr=0.05, num_steps=100, momentum=0.7)
    assert with_momentum["loss"][-1] < plain["loss"][-1]
    assert steps_to_converge(0.7) < steps_to_converge(0.0)


def test_divergence_stops_at_the_first_non_finite_loss_without_warnings():
    x, y = line_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradient_descent_path(x, y, lr=1000.0, num_steps=100)
    assert result["message"].startswith("Diverged: the loss overflowed at step")
    assert result["diverged"] and result["regime"] == "diverging"
    assert np.all(np.isfinite(result["loss"])) and np.all(np.isfinite(result["path"]))
    assert 2 < len(result["loss"]) < 101
    # the next step really does overflow: the recurrence is finite exactly as long as the stored path
    with np.errstate(over="ignore", invalid="ignore"):
        full = linear_recurrence(x, y, 1000.0, len(result["loss"]), 0.0, (-1.0, -2.0))
        assert not np.all(np.isfinite(np.mean((full[-1, 0] * x + full[-1, 1] - y) ** 2)))


def test_diverging_explorer_draws_without_warnings():
    explorer = gradient_descent_explorer()
    result = move(explorer, lr=1.0, num_steps=100)
    assert result["message"].startswith("Diverged")
    assert result["message"] in explorer.readout.value
    assert np.all(np.isfinite(result["loss"]))
    # the loss leaves the fixed axes at the top instead of stretching them
    low, high = explorer.fig.axes[1].get_ylim()
    assert explorer.artists["loss"].get_ydata().max() > high


def test_gradient_descent_explorer_draws_the_computed_path():
    explorer = gradient_descent_explorer()
    limits = [ax.get_xlim() + ax.get_ylim() for ax in explorer.fig.axes]
    for values in ({"lr": 0.05}, {"momentum": 0.6}, {"num_steps": 20}):
        result = move(explorer, **values)
        np.testing.assert_array_equal(np.column_stack(explorer.artists["path"].get_data()), result["path"])
        steps, losses = explorer.artists["loss"].get_data()
        np.testing.assert_array_equal(steps, np.arange(len(result["loss"])))
        np.testing.assert_array_equal(losses, result["loss"])
        assert f"loss {result['loss'][-1]:.4g}" in explorer.readout.value
    assert [ax.get_xlim() + ax.get_ylim() for ax in explorer.fig.axes] == limits  # the axes never move
    assert_redraws_the_same(explorer, lr=0.5)


def graph_texts(result) -> list[str]:
    return sorted(f"{result['data'][n]:.3f}\n{result['grads'][n]:.3f}" for n in result["data"])


def test_neuron_graph_explorer_shows_every_number_and_gradient_bar():
    explorer = neuron_graph_explorer()
    for values in ({"w1": 0.7}, {"x2": -1.2, "b": -0.4}, {"w2": 2.5}):
        result = move(explorer, **values)
        assert sorted(t.get_text() for t in explorer.artists["texts"].values()) == graph_texts(result)
        for name, bar in explorer.artists["bars"].items():
            assert bar.get_width() == result["grads"][name]
        assert f"do/dw1 = {result['grads']['w1']:.4f}" in explorer.readout.value
    assert_redraws_the_same(explorer, x1=-2.0)


def test_activation_explorer_moves_the_point_and_switches_the_curves():
    explorer = activation_explorer()
    for values in ({"z": -1.5}, {"activation": "relu"}, {"z": 4.0}, {"activation": "tanh"}):
        result = move(explorer, **values)
        name = result["activation"]
        assert list(explorer.artists["point_f"].get_data()) == [[result["z"]], [result["value"]]]
        assert list(explorer.artists["point_df"].get_data()) == [[result["z"]], [result["derivative"]]]
        np.testing.assert_array_equal(explorer.artists["curve_f"].get_ydata(), result["curve_f"])
        for ax, curve in zip(explorer.fig.axes, (result["curve_f"], result["curve_df"])):
            low, high = ax.get_ylim()
            assert low < curve.min() and curve.max() < high and name in ax.get_ylabel()
        assert f"{name}({result['z']:.2f}) = {result['value']:.4f}" in explorer.readout.value
    assert_redraws_the_same(explorer, z=-7.0, activation="sigmoid")


def test_neuron_explorer_draws_the_output_and_the_boundary():
    X, y = small_data()
    explorer = neuron_explorer(X, y, resolution=11)
    for values in ({"w1": -1.3}, {"b": 0.8}, {"activation": "relu"}, {"w2": 2.0}):
        result = move(explorer, **values)
        np.testing.assert_array_equal(explorer.artists["image"].get_array(), result["output"])
        np.testing.assert_array_equal(np.array(explorer.artists["boundary"].get_data()), result["boundary"])
        low, high = explorer.artists["image"].get_clim()
        assert low <= result["output"].min() and result["output"].max() <= high
        assert f"{result['accuracy']:.1%}" in explorer.readout.value
    assert_redraws_the_same(explorer, w1=3.0, activation="tanh")


def test_loss_explorer_moves_the_points_along_both_curves():
    explorer = loss_explorer()
    for values in ({"z": 1.5}, {"y": 0}, {"z": -6.0}):
        result = move(explorer, **values)
        for key, value in (("mse", "mse"), ("bce", "bce"), ("mse_grad", "mse_grad_z"), ("bce_grad", "bce_grad_z")):
            assert list(explorer.artists[f"point_{key}"].get_data()) == [[result["z"]], [result[value]]]
            np.testing.assert_array_equal(explorer.artists[f"curve_{key}"].get_ydata(), result[f"curve_{key}"])
        assert f"dCE/dz = {result['bce_grad_z']:.4g}" in explorer.readout.value
    assert_redraws_the_same(explorer, z=3.0, y=1)


@pytest.mark.parametrize(
    "build, values",
    [
        (neuron_graph_explorer, {"b": -2.0}),
        (activation_explorer, {"z": 10.0, "activation": "relu"}),
        (neuron_explorer, {"w1": 0.0, "w2": 0.0, "activation": "tanh"}),
        (loss_explorer, {"z": 8.0, "y": 0}),
    ],
)
def test_every_explorer_draws_without_warnings(build, values):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer = build()
    move(explorer, **values)
    assert len(explorer.fig.axes) >= 1 and explorer.frames >= 2


def test_gradient_descent_validates_its_arguments():
    x, y = line_data()
    with pytest.raises(ValueError, match="lr"):
        gradient_descent_path(x, y, lr=-0.1)
    with pytest.raises(ValueError, match="momentum"):
        gradient_descent_path(x, y, lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="x"):
        gradient_descent_path(np.zeros((20, 2)), y, lr=0.1)
    with pytest.raises(ValueError, match="same length"):
        gradient_descent_path(x[:5], y, lr=0.1)
