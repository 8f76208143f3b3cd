"""Widgets of notebooks 10-13, checked against computations that do not use the widget code."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from widget_checks import move  # the same in-place check for every explorer

from bplab import data, layers
from bplab.widgets import dynamics


@pytest.fixture(autouse=True)
def no_pyplot_figure_left():
    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before  # explorers draw on their own Figure, never through pyplot


# ---------------------------------------------------------------- notebook 10


@pytest.fixture(scope="module")
def noise():
    return dynamics.noise_explorer(num_train=100, num_hidden=64, num_epochs=40)


def _test_split():
    X, y = data.load_digits()
    X_pool, X_test, y_pool, y_test = data.train_test_split(X, y, test_size=0.3, rng=0)
    return X_pool[:100], y_pool[:100], X_test, y_test


def test_noise_explorer_flips_the_requested_fraction_of_labels(noise):
    _, y_clean, _, _ = _test_split()
    noise.controls["label_noise"].value = 0.5
    noise.controls["input_noise"].value = 0.0
    result = noise.update()
    assert np.mean(result["y_train"] != y_clean) == pytest.approx(0.5)
    assert result["flipped"] == pytest.approx(0.5)


def test_noise_explorer_reports_the_real_test_error_and_memorizes_noise(noise):
    _, _, X_test, y_test = _test_split()
    noise.controls["input_noise"].value = 0.0
    noise.controls["label_noise"].value = 0.0
    clean = noise.update()
    errors = np.mean(clean["model"].forward(X_test).argmax(axis=1) != y_test)
    assert clean["test_error"][-1] == pytest.approx(errors)
    assert clean["train_error"][-1] < 0.05
    noise.controls["label_noise"].value = 0.6
    noisy = noise.update()
    # a network that ignored the wrong labels would disagree with 60% of them: it fits many of them...
    assert noisy["train_error"][-1] < 0.5
    assert noisy["test_error"][-1] > clean["test_error"][-1] + 0.15  # ...and generalizes worse
    assert "test error" in noisy["message"]


def test_noise_explorer_adds_input_noise_of_the_requested_size(noise):
    X_train, _, X_test, _ = _test_split()
    noise.controls["label_noise"].value = 0.0
    noise.controls["input_noise"].value = 0.5
    noise.controls["noisy_images"].value = "training and test"
    result = noise.update()
    assert np.std(result["X_train"] - X_train) == pytest.approx(0.5, rel=0.05)
    assert np.std(result["X_test"] - X_test) == pytest.approx(0.5, rel=0.05)


def test_noise_explorer_puts_input_noise_only_where_asked(noise):
    X_train, _, X_test, y_test = _test_split()
    noise.controls["label_noise"].value = 0.0
    noise.controls["input_noise"].value = 0.5
    noise.controls["noisy_images"].value = "training only"
    train_only = noise.update()
    assert np.array_equal(train_only["X_test"], X_test) and not np.array_equal(train_only["X_train"], X_train)
    noise.controls["noisy_images"].value = "test only"
    test_only = noise.update()
    assert np.array_equal(test_only["X_train"], X_train) and not np.array_equal(test_only["X_test"], X_test)
    errors = np.mean(test_only["model"].forward(test_only["X_test"]).argmax(axis=1) != y_test)
    assert test_only["test_error"][-1] == pytest.approx(errors)  # measured on the noisy test images
    noise.controls["noisy_images"].value = "training and test"
    both = noise.update()
    # as in notebook 10: noisy test images cost far more than noisy training images; both is the worst
    assert test_only["test_error"][-1] > train_only["test_error"][-1] + 0.1
    assert both["test_error"][-1] > test_only["test_error"][-1]
    with pytest.raises(ValueError, match="noisy_images must be one of"):
        noise.compute(label_noise=0.0, input_noise=0.5, noisy_images="validation")


def test_noise_explorer_draws_the_error_curves_and_the_labels_it_trained_on():
    explorer = dynamics.noise_explorer(num_train=100, num_hidden=32, num_epochs=5)
    result = move(explorer, label_noise=0.5, input_noise=0.3, noisy_images="training only")
    np.testing.assert_allclose(explorer.artists["train"].get_ydata(), result["train_error"])
    np.testing.assert_allclose(explorer.artists["test"].get_ydata(), result["test_error"])
    legend = [text.get_text() for text in explorer.artists["legend"].get_texts()]
    assert legend == ["train (noisy images, noisy labels)", "test (clean images, clean labels)"]
    for i, (picture, title) in enumerate(zip(explorer.artists["pictures"], explorer.artists["titles"])):
        np.testing.assert_allclose(picture.get_array(), result["X_train"][i].reshape(8, 8))
        assert title.get_text().startswith(f"label {result['y_train'][i]}")
        assert ("(is " in title.get_text()) == (result["y_train"][i] != result["y_clean"][i])
    assert "50% of the training labels are wrong" in explorer.readout.value


def test_noise_explorer_validates_its_arguments():
    with pytest.raises(ValueError, match="num_train must be at least 10"):
        dynamics.noise_explorer(num_train=5)


# ---------------------------------------------------------------- notebook 11


@pytest.fixture(scope="module")
def approximation():
    return dynamics.approximation_explorer(num_steps=300)


def test_approximation_output_is_the_sum_of_unit_contributions(approximation):
    approximation.controls["kind"].value = "bumpy"
    approximation.controls["num_hidden"].value = 12
    r = approximation.result
    x, y = data.regression_1d("bumpy", n=200)
    by_hand = np.maximum(x @ r["W1"] + r["b1"], 0) @ r["W2"] + r["c"]
    np.testing.assert_allclose(r["y_hat"], by_hand, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r["contributions"].sum(axis=1, keepdims=True) + r["c"], by_hand, atol=1e-12)
    assert r["mse"] == pytest.approx(float(np.mean((by_hand - y) ** 2)), rel=1e-12)
    assert r["contributions"].shape == (200, 12)


def test_approximation_is_piecewise_linear_with_kinks_where_units_switch_on(approximation):
    approximation.controls["kind"].value = "sine"
    approximation.controls["num_hidden"].value = 6
    r = approximation.result
    x, y_hat = r["x"][:, 0], r["y_hat"][:, 0]
    kinks = -r["b1"] / r["W1"][0]
    slopes = np.diff(y_hat) / np.diff(x)
    np.testing.assert_allclose(kinks, r["kinks"], rtol=1e-12)
    checked = 0
    for i in range(len(slopes) - 1):
        if not np.any((kinks > x[i]) & (kinks < x[i + 2])):  # no kink in two neighbouring intervals
            assert slopes[i] == pytest.approx(slopes[i + 1], rel=1e-6, abs=1e-8)
            checked += 1
    assert checked > 150


def test_approximation_explorer_draws_the_fit_and_each_unit(approximation):
    approximation.controls["kind"].value = "sine"
    result = move(approximation, num_hidden=7)
    np.testing.assert_allclose(approximation.artists["network"].get_ydata(), result["y_hat"][:, 0])
    np.testing.assert_allclose(approximation.artists["target"].get_ydata(), result["y"][:, 0])
    segments = approximation.artists["contributions"].get_segments()
    assert len(segments) == 7
    for j, segment in enumerate(segments):
        np.testing.assert_allclose(segment[:, 1], result["contributions"][:, j])
    inside = result["kinks"][np.abs(result["kinks"]) <= 1]
    np.testing.assert_allclose(np.sort(approximation.artists["kinks"].get_xdata()), np.sort(inside))
    assert f"mean squared error {result['mse']:.3g}" in approximation.readout.value
    again = move(approximation, num_hidden=3)
    approximation.controls["num_hidden"].value = 7
    assert approximation.result is result and again is not result  # a setting seen before is not retrained


def test_more_hidden_units_fit_better(approximation):
    approximation.controls["kind"].value = "sine"
    approximation.controls["num_hidden"].value = 1
    narrow = approximation.result["mse"]
    approximation.controls["num_hidden"].value = 32
    wide = approximation.result["mse"]
    assert wide < narrow / 10


# ---------------------------------------------------------------- notebook 12


@pytest.fixture
def flow():
    return dynamics.gradient_flow_explorer()


@pytest.mark.parametrize("radius", [0.6, 1.0, 1.4])
def test_gradient_flow_matches_the_closed_form_with_zero_inputs(flow, radius):
    flow.controls["input_std"].value = 0.0
    flow.controls["seq_len"].value = 25
    flow.controls["spectral_radius"].value = radius
    norms = flow.result["norms"]
    np.testing.assert_allclose(norms, radius ** np.arange(24, -1, -1.0), rtol=1e-9)


def test_gradient_flow_vanishes_below_one_and_explodes_above(flow):
    flow.controls["input_std"].value = 0.0
    flow.controls["seq_len"].value = 40
    flow.controls["spectral_radius"].value = 0.5
    assert flow.result["ratio"] < 1e-6
    assert flow.result["message"].startswith("Vanishing")
    flow.controls["spectral_radius"].value = 1.5
    assert flow.result["ratio"] > 1e6
    assert flow.result["message"].startswith("Exploding")


def test_gradient_flow_says_vanishing_from_a_factor_of_two(flow):
    flow.controls["input_std"].value = 0.001  # the default: 0.9 ** 29 = 0.05
    flow.controls["seq_len"].value = 30
    flow.controls["spectral_radius"].value = 0.9
    assert flow.result["message"].startswith("Vanishing")
    flow.controls["spectral_radius"].value = 1.5
    flow.controls["input_std"].value = 1.0  # saturated tanh units: their derivatives shrink the gradient
    assert flow.result["message"].startswith("Vanishing")
    flow.controls["input_std"].value = 0.0
    flow.controls["spectral_radius"].value = 1.0
    assert flow.result["message"].startswith("Roughly kept")


def test_gradient_flow_draws_the_norms_it_computed(flow):
    result = move(flow, seq_len=12, spectral_radius=1.2)
    np.testing.assert_allclose(flow.artists["norms"].get_ydata(), result["norms"])
    np.testing.assert_allclose(flow.artists["predicted"].get_ydata(), 1.2 ** np.arange(11, -1, -1.0))
    assert list(flow.artists["norms"].get_xdata()) == list(range(12))
    low, high = flow.artists["ax"].get_ylim()
    assert low < result["norms"].min() and high > result["norms"].max()
    assert f"at step 0 {result['norms'][0]:.3g}" in flow.readout.value
    assert f"{result['saturation']:.0%} of hidden units saturated" in flow.readout.value


def test_saturated_tanh_tames_the_explosion(flow):
    flow.controls["seq_len"].value = 40
    flow.controls["spectral_radius"].value = 1.5
    flow.controls["input_std"].value = 1.0
    assert flow.result["saturation"] > 0.2
    assert flow.result["ratio"] < 1e-3 * 1.5**39


# ---------------------------------------------------------------- notebook 13


class _CountingArray(np.ndarray):
    """An array that counts the multiply-adds of every matrix product it takes part in."""

    multiply_adds = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [np.asarray(i) if isinstance(i, _CountingArray) else i for i in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, _CountingArray) else o for o in kwargs["out"])
        if ufunc is np.matmul and method == "__call__":
            a, b = plain
            _CountingArray.multiply_adds += a.shape[0] * a.shape[1] * b.shape[1]
        result = getattr(ufunc, method)(*plain, **kwargs)
        return result.view(_CountingArray) if isinstance(result, np.ndarray) else result


def _counted_multiply_adds(sizes, batch_size, rng, monkeypatch):
    """Multiply-adds of the matrix products bplab's MLP really makes, forward and backward."""
    as_array = layers.as_array

    def keep_counting(x, *args, **kwargs):  # the layers' input check would strip the subclass
        out = as_array(x, *args, **kwargs)
        return out.view(_CountingArray) if isinstance(x, _CountingArray) else out

    monkeypatch.setattr(layers, "as_array", keep_counting)
    model, criterion = layers.MLP(sizes, activation="tanh", init="xavier", rng=0), layers.SoftmaxCrossEntropy()
    X = rng.standard_normal((batch_size, sizes[0])).view(_CountingArray)
    y = rng.integers(0, sizes[-1], size=batch_size)
    _CountingArray.multiply_adds = 0
    criterion.forward(model.forward(X), y)
    forward = _CountingArray.multiply_adds
    model.backward(criterion.backward().view(_CountingArray))
    return forward, _CountingArray.multiply_adds - forward


@pytest.fixture(scope="module")
def cost():
    return dynamics.gradient_cost_explorer()


def test_gradient_cost_counts_parameters_passes_and_agrees_with_backprop(cost):
    cost.controls["num_hidden"].value = 4
    r = cost.result
    sizes = [16, 4, 4, 4]
    num_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    assert r["num_params"] == num_params == 108
    assert r["fd_forward_passes"] == 2 * num_params and not r["fd_estimated"]  # every parameter, twice
    assert r["max_rel_error"] < 1e-7  # both methods compute the same gradient
    assert 0 < r["forward_time"] and 0 < r["backward_time"]
    assert r["fd_time"] > 20 * r["forward_time"]


def test_gradient_cost_draws_the_measured_times(cost):
    result = move(cost, num_hidden=8)
    heights = [bar.get_height() for bar in cost.artists["bars"]]
    expected = [result["forward_time"], result["forward_time"] + result["backward_time"], result["fd_time"]]
    np.testing.assert_allclose(heights, expected)
    assert [label.get_text().endswith(("ms", " s")) for label in cost.artists["labels"]] == [True] * 3
    assert f"{result['fd_forward_passes']} forward passes" in cost.readout.value
    ticks = [tick.get_text() for tick in cost.artists["ax"].get_xticklabels()]
    assert ticks[2] == "finite differences"
    move(cost, num_hidden=64)
    assert [tick.get_text() for tick in cost.artists["ax"].get_xticklabels()][2].endswith("(estimated)")


@pytest.mark.parametrize("width", [4, 256])
def test_gradient_cost_counts_the_multiply_adds_the_network_really_makes(cost, width, monkeypatch):
    cost.controls["num_hidden"].value = width
    r = cost.result
    forward, backward = _counted_multiply_adds([16, width, width, 4], 32, np.random.default_rng(1), monkeypatch)
    assert r["forward_multiply_adds"] == forward
    assert r["backprop_multiply_adds"] == forward + backward  # backward: two products per layer
    assert r["fd_multiply_adds"] == 2 * r["num_params"] * forward
    assert abs(forward / (32 * r["num_params"]) - 1) < 0.15  # one forward pass: about N P


def test_finite_differences_cost_grows_like_p_squared_and_backprop_like_p(cost):
    counted = {}
    for width in (16, 64, 256, 512):
        cost.controls["num_hidden"].value = width
        counted[cost.result["num_params"]] = cost.result
    P = np.array(sorted(counted), dtype=float)
    fd = [counted[p]["fd_multiply_adds"] for p in sorted(counted)]
    bp = [counted[p]["backprop_multiply_adds"] for p in sorted(counted)]
    assert np.polyfit(np.log(P), np.log(fd), 1)[0] == pytest.approx(2, abs=0.05)
    assert np.polyfit(np.log(P), np.log(bp), 1)[0] == pytest.approx(1, abs=0.05)
    wide = counted[P[-1]]
    assert wide["fd_estimated"] and wide["fd_forward_passes"] == 20  # 10 sampled weights, twice each
    assert wide["max_rel_error"] < 1e-7  # the sampled entries agree with backprop
    # measured: at width 512 finite differences cost far more than backprop (2P/3 ~ 1.8e5 counted)
    assert wide["fd_time"] > 1e4 * (wide["forward_time"] + wide["backward_time"])
