import matplotlib

matplotlib.use("Agg")

import math
import time

import matplotlib.pyplot as plt
import numpy as np
import pytest
from widget_checks import move

from bplab import data
from bplab.engine import Value
from bplab.gradcheck import numerical_gradient, rel_error
from bplab.layers import MLP, Linear
from bplab.widgets import networks


@pytest.fixture(autouse=True)
def no_pyplot_figure_left():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before  # explorers draw on their own Figure, never through pyplot


def _xor_by_values(params, x1, x2):
    """The XOR network written with bplab.Value, independent of the numpy version."""
    w11, w12, w21, w22, b1, b2, v1, v2, c = (Value(float(p)) for p in params)
    h1 = (w11 * x1 + w21 * x2 + b1).sigmoid()
    h2 = (w12 * x1 + w22 * x2 + b2).sigmoid()
    return (v1 * h1 + v2 * h2 + c).sigmoid().data


def test_xor_network_matches_a_value_graph():
    params = np.array([0.5, -0.4, 0.3, 0.8, 0.1, -0.2, 0.7, -0.6, 0.05])
    X, _ = data.xor()
    expected = [_xor_by_values(params, *x) for x in X]
    np.testing.assert_allclose(networks.xor_network(params, X), expected, rtol=1e-12)
    # off the corners too, with random parameters: a swapped w12/w21 layout cannot hide
    rng = np.random.default_rng(3)
    params, points = rng.normal(0, 2, size=9), rng.normal(0, 1.5, size=(6, 2))
    expected = [_xor_by_values(params, *point) for point in points]
    np.testing.assert_allclose(networks.xor_network(params, points), expected, rtol=1e-12)


def test_xor_network_validates_params_and_points():
    with pytest.raises(ValueError, match="params must hold the 9 numbers"):
        networks.xor_network(np.zeros(8), np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        networks.xor_network(np.zeros(9), np.zeros((1, 3)))


def _toy_history(num_epochs=30):
    rng = np.random.default_rng(1)
    params = np.cumsum(rng.normal(0, 0.3, size=(num_epochs + 1, 9)), axis=0)
    loss = np.linspace(0.7, 0.1, num_epochs + 1)
    return {"params": params, "loss": loss}


def test_xor_training_explorer_steps_through_the_history():
    history = _toy_history()
    explorer = networks.xor_training_explorer(history)
    assert explorer.result["epoch"] == 0
    explorer.controls["epoch"].value = 17
    result = explorer.result
    assert result["epoch"] == 17
    np.testing.assert_array_equal(result["params"], history["params"][17])
    assert result["loss"] == pytest.approx(history["loss"][17])
    X, y = data.xor()
    expected = np.array([_xor_by_values(history["params"][17], *x) for x in X])
    np.testing.assert_allclose(result["y_hat"], expected, rtol=1e-12)
    assert result["num_correct"] == int(np.sum((expected > 0.5) == (y == 1)))
    assert explorer.controls["epoch"].max == 30


def test_xor_training_explorer_moves_its_artists_to_the_computed_numbers():
    solution = np.array([20.0, 20.0, 20.0, 20.0, -10.0, -30.0, 20.0, -20.0, -10.0])  # OR and not AND
    noise = np.random.default_rng(2).normal(0, 0.3, size=(31, 9))
    history = {"params": np.linspace(0, 1, 31)[:, None] * solution + noise, "loss": np.linspace(0.7, 0.01, 31)}
    explorer = networks.xor_training_explorer(history)
    assert all(explorer.artists[k].get_animated() for k in ("image", "boundary", "epoch_line", "marker"))
    X, _ = data.xor()
    xx, yy, points = networks.decision_grid(X, resolution=50, padding=0.4)
    grids = [networks.xor_network(p, points).reshape(xx.shape) for p in history["params"]]
    epoch = next(e for e in range(1, 31) if grids[e].min() < 0.45 and grids[e].max() > 0.55)  # a boundary in view
    titles = [ax.get_title() for ax in explorer.fig.axes]
    result = move(explorer, epoch=epoch)
    assert [ax.get_title() for ax in explorer.fig.axes] == titles  # the numbers are in the readout
    np.testing.assert_allclose(result["grid"], grids[epoch])
    np.testing.assert_allclose(explorer.artists["image"].get_array(), grids[epoch])
    assert list(explorer.artists["epoch_line"].get_xdata()) == [epoch, epoch]
    np.testing.assert_allclose(np.ravel(explorer.artists["marker"].get_data()), [epoch, history["loss"][epoch]])
    # the black line is the 0.5 contour: the network's output on it is 0.5
    boundary = np.concatenate(explorer.artists["boundary"].get_segments())
    assert len(boundary) > 2
    np.testing.assert_allclose(networks.xor_network(history["params"][epoch], boundary), 0.5, atol=0.02)
    assert f"loss {history['loss'][epoch]:.4f}" in explorer.readout.value
    assert f"{result['num_correct']} of 4" in explorer.readout.value


def test_xor_play_ticks_no_faster_than_a_frame_and_the_last_frame_is_drawn():
    explorer = networks.xor_training_explorer(_toy_history(200))
    assert explorer.play.interval >= 100
    assert explorer.play.interval >= 1.5 * 1e3 * explorer.draw_seconds * 0.5  # measured on a frame like these
    assert explorer.play.step == explorer.controls["epoch"].step and explorer.play.max == 200
    explorer._threaded = True  # as in a kernel: drawing on the explorer's worker thread, stale frames skipped
    for epoch in range(0, 201, 5):
        explorer.controls["epoch"].value = epoch
    deadline = time.monotonic() + 20
    while explorer._drawn != explorer._wanted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert explorer._drawn == explorer._wanted and explorer.result["epoch"] == 200
    assert list(explorer.artists["epoch_line"].get_xdata()) == [200, 200]  # the last position is drawn


def test_xor_training_explorer_rejects_a_bad_history():
    with pytest.raises(TypeError, match="history must be a dict"):
        networks.xor_training_explorer([1, 2, 3])
    with pytest.raises(ValueError, match=r"shape \(T, 9\)"):
        networks.xor_training_explorer({"params": np.zeros((5, 8)), "loss": np.zeros(5)})


def test_layer_shapes_explorer_shapes_and_gradients():
    explorer = networks.layer_shapes_explorer(rng=0)
    explorer.controls["batch_size"].value = 5
    explorer.controls["in_features"].value = 4
    explorer.controls["out_features"].value = 3
    result = explorer.result
    assert result["shapes"] == {"X": (5, 4), "W": (4, 3), "b": (3,), "dout": (5, 3), "out": (5, 3),
                                "dX": (5, 4), "dW": (4, 3), "db": (3,)}
    assert result["max_difference"] < 1e-12
    # the shapes are in the readout: the one part of it that does not change from run to run
    assert "X (5, 4) @ W (4, 3) + b (3,) = out (5, 3); dout (5, 3) gives dX (5, 4), dW (4, 3), db (3,)" in \
        explorer.readout.value
    assert result["loop_seconds"] > 0 and result["vectorized_seconds"] > 0
    assert result["speedup"] == pytest.approx(result["loop_seconds"] / result["vectorized_seconds"])
    # the reported gradients are those of sum(out * dout), checked by central differences
    inputs, outputs = result["inputs"], result["outputs"]
    X, W, b, dout = (inputs[k].copy() for k in ("X", "W", "b", "dout"))

    def objective(_):
        return float(np.sum((X @ W + b) * dout))

    assert rel_error(outputs["dW"], numerical_gradient(objective, W)) < 1e-7
    assert rel_error(outputs["dX"], numerical_gradient(objective, X)) < 1e-7
    assert rel_error(outputs["db"], numerical_gradient(objective, b)) < 1e-7


def test_layer_shapes_explorer_draws_with_batch_of_one():
    explorer = networks.layer_shapes_explorer(rng=1)
    result = move(explorer, batch_size=1)
    assert result["shapes"]["dW"] == (64, 10)
    boxes = explorer.artists["boxes"]
    assert len(boxes) == 11  # 4 arrays forward, 7 backward
    layout = networks._shapes_layout(result["shapes"])
    for box, (left, bottom, width, height) in zip(boxes, layout["boxes"]):
        np.testing.assert_allclose([box.get_x(), box.get_y(), box.get_width(), box.get_height()],
                                   [left, bottom, width, height])
    # boxes in proportion to the shapes: X (1, 64) as wide as W.T (10, 64), dW (64, 10) as tall as X.T (64, 1)
    out, X_box, W_box, b_box, dW, X_T, dout, dX, dout_again, W_T, db = boxes
    assert W_T.get_width() == pytest.approx(X_box.get_width()) and W_T.get_height() > 5 * X_box.get_height()
    assert dW.get_height() == pytest.approx(X_T.get_height()) and dW.get_width() > 5 * X_T.get_width()
    assert W_box.get_width() == pytest.approx(W_T.get_height()) and db.get_width() == pytest.approx(b_box.get_width())
    labels = [text.get_text() for text in explorer.artists["texts"]]
    assert "X\n(1, 64)" in labels and "X.T\n(64, 1)" in labels and "W.T\n(10, 64)" in labels
    heights = [bar.get_height() for bar in explorer.artists["bars"]]
    np.testing.assert_allclose(heights, [1e3 * result["loop_seconds"], 1e3 * result["vectorized_seconds"]])
    assert networks._times(result["speedup"]) in explorer.readout.value
    assert networks._times(24.4) == "24x faster" and networks._times(0.4) == "2.5x slower"


@pytest.fixture(scope="module")
def small_digits():
    """A training and a validation split of 600 digits (the widget never sees a test set)."""
    X, y = data.load_digits()
    return data.train_test_split(X[:600], y[:600], test_size=0.25, rng=0)


def test_digits_training_explorer_learns_and_reports(small_digits):
    X_train, X_val, y_train, y_val = small_digits
    explorer = networks.digits_training_explorer(X_train, y_train, X_val, y_val)
    explorer.controls["num_epochs"].value = 5
    explorer.controls["num_hidden"].value = 32
    result = explorer.update()
    history = result["history"]
    assert len(history["loss"]) == 5
    assert history["loss"][-1] < 0.5 * math.log(10)  # far below the loss of guessing
    # the validation accuracy is that of the returned model, measured independently
    predictions = result["model"].forward(X_val).argmax(axis=1)
    assert result["val_accuracy"] == pytest.approx(np.mean(predictions == y_val))
    assert result["val_accuracy"] > 0.85
    assert "validation accuracy" in result["message"] and "test" not in result["message"]
    assert "test_accuracy" not in result  # the widget scores on validation data only
    hidden = [layer for layer in result["model"].layers if isinstance(layer, Linear)][0]
    assert hidden.W.data.shape == (64, 32)


def test_digits_training_explorer_plots_validation_not_test(small_digits):
    X_train, X_val, y_train, y_val = small_digits
    explorer = networks.digits_training_explorer(X_train, y_train, X_val, y_val)
    assert explorer.button.description == "Train"
    result = move(explorer, num_epochs=2, num_hidden=16)
    fig = explorer.fig
    labels = [text.get_text() for ax in fig.axes if ax.get_legend() for text in ax.get_legend().get_texts()]
    assert "validation" in labels and "test" not in labels
    history = result["history"]
    for name in ("val_loss", "train_accuracy", "val_accuracy"):
        np.testing.assert_allclose(explorer.artists[name].get_ydata(), history[name])
    np.testing.assert_allclose(explorer.artists["train_loss"].get_ydata(), history["loss"])
    assert list(explorer.artists["val_accuracy"].get_xdata()) == [1, 2]
    assert f"training loss {history['loss'][-1]:.3f}" in explorer.readout.value
    assert explorer.button.description == "Train" and not explorer.button.disabled  # after "working..."


def test_digits_training_explorer_reports_a_failed_run(small_digits):
    X_train, X_val, y_train, y_val = small_digits
    explorer = networks.digits_training_explorer(X_train, y_train, X_val, y_val)
    explorer.controls["lr"].value = 3.0
    explorer.controls["batch_size"].value = 16
    explorer.controls["num_epochs"].value = 3
    result = explorer.update()
    history = result["history"]
    assert history["diverged"] or history["loss"][-1] > math.log(10)
    assert result["message"].startswith(("Diverged", "Training failed"))
    if not history["diverged"]:
        assert result["val_accuracy"] < 0.3  # about chance: one class in ten


def test_digits_training_explorer_validates_lengths():
    with pytest.raises(ValueError, match="X_train and y_train"):
        networks.digits_training_explorer(np.zeros((3, 4)), [0, 1], np.zeros((2, 4)), [0, 1])
    with pytest.raises(ValueError, match="X_val and y_val"):
        networks.digits_training_explorer(np.zeros((2, 4)), [0, 1], np.zeros((3, 4)), [0, 1])


def test_decision_boundary_explorer_fits_moons():
    explorer = networks.decision_boundary_explorer()
    explorer.controls["dataset"].value = "moons"
    explorer.controls["num_hidden"].value = 16
    explorer.controls["num_epochs"].value = 100
    result = explorer.update()
    X, y = data.moons(n=300, noise=0.15, rng=0)
    np.testing.assert_array_equal(result["X"], X)
    assert result["train_accuracy"] == pytest.approx(np.mean(result["model"].forward(X).argmax(axis=1) == y))
    assert result["train_accuracy"] > 0.95
    first = [layer for layer in result["model"].layers if isinstance(layer, Linear)][0]
    assert first.W.data.shape == (2, 16)


def test_decision_boundary_explorer_draws_the_regions_the_model_predicts():
    explorer = networks.decision_boundary_explorer()
    result = move(explorer, dataset="circles", num_hidden=8, num_epochs=20)
    X, y = data.circles(n=300, noise=0.08, factor=0.5, rng=0)
    xx, yy, points = networks.decision_grid(X, resolution=80, padding=0.3)
    regions = result["model"].forward(points).argmax(axis=1).reshape(xx.shape)
    np.testing.assert_array_equal(explorer.artists["regions"].get_array(), regions)
    np.testing.assert_allclose(explorer.artists["regions"].get_extent(), [xx.min(), xx.max(), yy.min(), yy.max()])
    for k, points in enumerate(explorer.artists["points"]):  # class k: its own colour and marker
        np.testing.assert_array_equal(points.get_offsets(), X[y == k].reshape(-1, 2))
    assert len({points.get_paths()[0].vertices.tobytes() for points in explorer.artists["points"]}) > 1
    np.testing.assert_allclose(explorer.artists["loss"].get_ydata(), result["history"]["loss"])
    assert f"{result['history']['loss'][-1]:.3f}" in explorer.readout.value


def test_layer_statistics_matches_finite_differences():
    rng = np.random.default_rng(0)
    model = MLP([3, 4, 4, 2], activation="tanh", init="xavier", rng=0)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, size=6)
    stats = networks.layer_statistics(model, X, y)
    assert [a.shape for a in stats["activations"]] == [(6, 4), (6, 4)]
    np.testing.assert_allclose(stats["activations"][0], np.tanh(X @ model.layers[0].W.data))

    def loss(_):
        scores = model.forward(X)
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-np.mean(log_p[np.arange(6), y]))

    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    for grad, layer in zip(stats["grads"], linears):
        assert rel_error(grad, numerical_gradient(loss, layer.W.data)) < 1e-7
    np.testing.assert_allclose(stats["grad_norms"], [np.sqrt(np.sum(g**2)) for g in stats["grads"]])
    # dW_l = (input of layer l)^T delta_l, with delta_l the gradient at the Linear layer's output
    inputs = [X] + stats["activations"]
    assert [d.shape for d in stats["deltas"]] == [(6, 4), (6, 4), (6, 2)]
    for grad, a, delta in zip(stats["grads"], inputs, stats["deltas"]):
        np.testing.assert_allclose(grad, a.T @ delta)
    assert stats["loss"] == pytest.approx(loss(None))


def test_init_explorer_vanishing_with_sigmoid_stable_with_he_relu():
    explorer = networks.init_explorer()
    explorer.controls["depth"].value = 9  # 10 Linear layers
    explorer.controls["activation"].value = "sigmoid"
    explorer.controls["init"].value = "xavier"
    result = explorer.result
    assert len(result["grad_norms"]) == 10
    assert result["ratio"] == pytest.approx(result["grad_norms"][0] / result["grad_norms"][-1])
    assert result["ratio"] < 1e-2
    assert result["message"].startswith("Vanishing")
    explorer.controls["activation"].value = "relu"
    explorer.controls["init"].value = "he"
    result = explorer.result
    assert 0.1 <= result["ratio"] <= 10
    assert result["message"].startswith("Gradients stay in scale")
    np.testing.assert_allclose(result["activation_std"], [a.std() for a in result["activations"]])


def test_init_explorer_small_normal_init_collapses_and_large_saturates():
    explorer = networks.init_explorer(num_examples=64, width=50)
    explorer.controls["init"].value = "normal, std 0.01"
    explorer.controls["activation"].value = "tanh"
    std = explorer.result["activation_std"]
    # each tanh layer (near its linear part) scales the std by about sqrt(50) * 0.01
    assert np.all(std[1:] / std[:-1] < 0.15)
    # every layer's dW is tiny, the first as much as the last (dW_l = a_{l-1}^T delta_l: small
    # activations late, small deltas early), so the ratio alone would read "in scale"
    norms = explorer.result["grad_norms"]
    assert norms.max() < 1e-5 and 0.5 < norms[0] / norms[-1] < 2
    assert explorer.result["message"].startswith("Tiny gradients in every layer")
    assert "activations collapsed" in explorer.result["message"]
    explorer.controls["init"].value = "normal, std 1"
    saturated = np.mean(np.abs(explorer.result["activations"][-1]) > 0.99)
    assert saturated > 0.5
    # saturated, and yet the gradient grows toward the input: each W^T multiplies it by about
    # sqrt(50) * 1 = 7, more than the small tanh' takes away
    assert explorer.result["ratio"] > 10
    assert explorer.result["message"].startswith("Gradients grow toward the input")
    assert "saturated" in explorer.result["message"]


def test_init_explorer_tanh_large_weights_saturate_and_explode():
    """The notebook 09 setting (tanh, width 100, N(0, 1), 9 hidden layers) is exploding, not vanishing."""
    explorer = networks.init_explorer()
    explorer.controls["depth"].value = 9
    explorer.controls["activation"].value = "tanh"
    explorer.controls["init"].value = "normal, std 1"
    result = explorer.result
    assert result["ratio"] > 1e2
    assert result["message"].startswith("Exploding gradients")
    assert "saturated" in result["message"]


def test_init_explorer_reports_exploding_relu():
    explorer = networks.init_explorer()
    explorer.controls["activation"].value = "relu"
    explorer.controls["init"].value = "normal, std 1"
    result = explorer.result
    # He's variance is 2/100; std 1 is 50 times that, so each layer grows the scale by about sqrt(50)
    growth = result["activation_std"][1:] / result["activation_std"][:-1]
    assert np.all((growth > 7.07 / 2) & (growth < 7.07 * 2))
    assert result["grad_norms"].max() > 1e3
    assert result["message"].startswith("Exploding")
    assert "activations explode too" in result["message"]


def test_init_explorer_draws_one_histogram_per_layer_and_the_gradient_norms():
    explorer = networks.init_explorer(num_examples=16, width=8)
    assert len(explorer.fig.axes) == 2  # the activation histograms and the gradient norms
    visible = [h for h in explorer.artists["histograms"] if h.get_visible()]
    assert len(visible) == 6  # one histogram per hidden layer (6 by default)
    result = move(explorer, depth=3, activation="relu")
    visible = [h for h in explorer.artists["histograms"] if h.get_visible()]
    assert len(visible) == 3
    for k, (histogram, a) in enumerate(zip(visible, result["activations"])):
        counts = histogram.get_data().values - k  # drawn from x = k, the tallest bin 0.85 wide
        assert counts.max() == pytest.approx(0.85)
        edges = histogram.get_data().edges
        expected, _ = np.histogram(a, bins=len(edges) - 1, range=(edges[0], edges[-1]))
        np.testing.assert_allclose(counts, 0.85 * expected / expected.max())
    np.testing.assert_allclose(explorer.artists["norms"].get_ydata(), result["grad_norms"])
    assert list(explorer.artists["norms"].get_xdata()) == [1, 2, 3, 4]
    assert f"{result['ratio']:.2e}" in explorer.readout.value
