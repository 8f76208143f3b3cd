"""Tests of the widgets of notebooks 02, 05, 05b and 05d (bplab/widgets/foundations.py), without a browser.

Each test sets control values and checks ``explorer.result`` against an independent computation: closed forms
written here with `math`, central differences, a recurrence run here, or a training loop written here.
"""

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from widget_checks import assert_redraws_the_same, move  # noqa: E402

from bplab.data import minibatches, moons, standardize  # noqa: E402
from bplab.widgets import (  # noqa: E402
    PATH_CHOICES,
    descent_1d,
    local_curvature_explorer,
    network_training_explorer,
    network_training_run,
    path_contributions,
    paths_explorer,
    sgd_data,
    sgd_explorer,
    sgd_run,
)

# ---------------------------------------------------------------- paths_explorer (02)


@pytest.mark.parametrize("x", [-0.5, 0.3, 1.0, 2.0, 2.7])
def test_each_path_is_its_product_of_local_derivatives_and_they_add_to_the_slope(x):
    result = path_contributions(x)
    u, v = x**2, math.exp(-x)  # L = u v + x
    assert result["contributions"]["through u"] == pytest.approx(v * 2 * x, abs=1e-15)
    assert result["contributions"]["through v"] == pytest.approx(u * -math.exp(-x), abs=1e-15)
    assert result["contributions"]["direct"] == 1.0
    h = 1e-5
    slope = ((x + h) ** 2 * math.exp(-(x + h)) + x + h - (x - h) ** 2 * math.exp(-(x - h)) - (x - h)) / (2 * h)
    assert result["backward"] == pytest.approx(slope, rel=1e-8)
    assert result["counted_sum"] == pytest.approx(result["backward"], abs=1e-14)


def test_a_choice_of_paths_adds_only_those_and_paths_through_u_and_v_cancel_at_2():
    at_two = path_contributions(2.0)
    assert at_two["contributions"]["through u"] + at_two["contributions"]["through v"] == pytest.approx(0, abs=1e-15)
    for choice, names in PATH_CHOICES.items():
        result = path_contributions(0.7, choice)
        assert result["counted_sum"] == pytest.approx(sum(result["contributions"][n] for n in names), abs=1e-15)
    with pytest.raises(ValueError, match="counted"):
        path_contributions(0.7, "some paths")


def test_paths_explorer_moves_in_place_and_redraws_the_same():
    explorer = paths_explorer()
    result = move(explorer, x=2.5, counted="direct only")
    assert result["counted_sum"] == 1.0 and "not counted" in explorer.readout.value
    assert_redraws_the_same(explorer, x=0.0, counted="through u only")


# ---------------------------------------------------------------- local_curvature_explorer (05)


def test_descent_1d_follows_the_update_and_names_the_outcome():
    run = descent_1d("quartic: w²/2 + w⁴/4", 0.1, 1.5, num_steps=5)
    w = 1.5
    for k in range(5):
        w = w - 0.1 * (w + w**3)
        assert run["w"][k + 1] == pytest.approx(w, rel=1e-15)
    assert descent_1d("quartic: w²/2 + w⁴/4", 1.0, 0.5)["outcome"] == "converges"
    assert descent_1d("quartic: w²/2 + w⁴/4", 1.0, 2.0)["outcome"] == "diverges"
    assert descent_1d("log cosh w", 2.5, 0.5)["outcome"].startswith("bounded")
    assert descent_1d("quadratic: w²/2", 2.0, 0.5)["outcome"].startswith("bounded")  # exactly at the limit: a cycle
    assert descent_1d("quadratic: w²/2", 2.05, 0.01)["outcome"] == "diverges"
    start = descent_1d("quartic: w²/2 + w⁴/4", 1.0, 2.0)
    assert start["curvature_at_start"] == 13.0 and start["limit_at_start"] == pytest.approx(2 / 13)


def test_log_cosh_iterates_never_leave_the_bound_of_the_text():
    for lr in (2.05, 3.0, 5.0):
        for w0 in np.linspace(-3, 3, 13):
            ws = descent_1d("log cosh w", lr, w0, 400)["w"]
            assert np.all(np.abs(ws) <= max(abs(w0), lr) * (1 + 1e-12))


def test_local_curvature_explorer_moves_in_place_and_reads_like_the_text():
    explorer = local_curvature_explorer()
    result = move(explorer, w0=2.0)
    assert result["outcome"] == "diverges" and "lr < 2" in explorer.readout.value
    result = move(explorer, loss="log cosh w", lr=2.5, w0=0.5)
    assert result["outcome"].startswith("bounded") and "bounded" in explorer.readout.value
    assert_redraws_the_same(explorer, loss="quadratic: w²/2", lr=0.5)


# ---------------------------------------------------------------- sgd_explorer (05b)


def test_sgd_run_is_the_loop_written_here():
    x, y = sgd_data()
    result = sgd_run(x, y, batch_size=32, lr=0.1, num_epochs=2, seed=4)
    theta, rng = np.array([-1.0, 1.0]), np.random.default_rng(4)
    A = np.column_stack([x, np.ones_like(x)])
    path = [theta]
    for _ in range(2):
        order = rng.permutation(len(x))  # the order bplab.optim.fit and bplab.data.minibatches use
        for start in range(0, len(x), 32):
            batch = order[start : start + 32]
            theta = theta - 0.1 * 2 * A[batch].T @ (A[batch] @ theta - y[batch]) / len(batch)
            path.append(theta)
    assert np.allclose(result["path"], path, rtol=0, atol=1e-13)
    assert result["steps_per_epoch"] == 32 == len(minibatches(1000, 32, 0))


def test_sgd_explorer_noise_follows_the_formula_and_vanishes_for_the_whole_set():
    explorer = sgd_explorer()
    for batch_size in (1, 10, 100):
        result = move(explorer, batch_size=batch_size)
        assert result["noise"] == pytest.approx(result["noise_formula"], rel=0.2)
    result = move(explorer, batch_size=1000)
    assert result["noise"] < 1e-9 and result["noise_formula"] == 0.0 and result["steps_per_epoch"] == 1
    assert "batch size 1000: 1 step per epoch" in explorer.readout.value
    assert_redraws_the_same(explorer, lr=0.3, num_epochs=1)


def test_minibatches_split_every_epoch_and_fit_uses_them():
    from bplab.layers import MLP
    from bplab.optim import SGD, fit

    batches = minibatches(10, 4, rng=1)
    assert [len(b) for b in batches] == [4, 4, 2] and sorted(np.concatenate(batches)) == list(range(10))
    assert all(np.array_equal(a, b) for a, b in zip(batches, minibatches(10, 4, rng=1)))  # a seed repeats
    # fit walks its data in minibatches' order: the same run by hand, step for step
    X, y = moons(40, rng=3)
    model, twin = MLP([2, 3, 2], rng=5), MLP([2, 3, 2], rng=5)
    fit(model, X, y, SGD(model.parameters(), lr=0.3), num_epochs=2, batch_size=16, rng=7)
    from bplab.layers import SoftmaxCrossEntropy

    criterion, optimizer, rng = SoftmaxCrossEntropy(), SGD(twin.parameters(), lr=0.3), np.random.default_rng(7)
    for _ in range(2):
        for batch in minibatches(len(X), 16, rng):
            criterion.forward(twin.forward(X[batch]), y[batch])
            twin.backward(criterion.backward())
            optimizer.step()
    assert all(np.array_equal(a.data, b.data) for a, b in zip(model.parameters(), twin.parameters()))
    with pytest.raises((TypeError, ValueError), match="batch_size"):
        minibatches(10, 0)


# ---------------------------------------------------------------- network_training_explorer (05d)


def test_network_training_run_is_sgd_on_the_mean_cross_entropy_written_here():
    run = network_training_run(num_hidden=3, lr=0.5, batch_size=50, num_epochs=1)
    X, y = moons()
    (X,) = standardize(X)
    state = [a.copy() for a in run["params"][0]]
    rng = np.random.default_rng(1)
    for k, batch in enumerate(minibatches(len(X), 50, rng), start=1):
        W1, b1, W2, b2, W3, b3 = state
        h1 = np.tanh(X[batch] @ W1 + b1)
        h2 = np.tanh(h1 @ W2 + b2)
        s = (h2 @ W3 + b3)[:, 0]
        t = 2.0 * y[batch] - 1
        ds = (-t / (1 + np.exp(t * s)) / len(batch))[:, None]  # d/ds of mean log(1 + exp(-t s))
        dW3, db3 = h2.T @ ds, ds.sum(axis=0)
        d2 = ds @ W3.T * (1 - h2**2)
        dW2, db2 = h1.T @ d2, d2.sum(axis=0)
        d1 = d2 @ W2.T * (1 - h1**2)
        dW1, db1 = X[batch].T @ d1, d1.sum(axis=0)
        state = [p - 0.5 * g for p, g in zip(state, (dW1, db1, dW2, db2, dW3, db3))]
        assert all(np.allclose(a, b, rtol=0, atol=1e-13) for a, b in zip(state, run["params"][k]))
    scores = np.tanh(np.tanh(X @ state[0] + state[1]) @ state[2] + state[3]) @ state[4] + state[5]
    assert run["accuracy"][-1] == np.mean((scores[:, 0] > 0) == (y == 1))


def test_network_training_explorer_replays_the_default_run():
    explorer = network_training_explorer()
    run = network_training_run()
    assert explorer.result["step"] == len(run["params"]) - 1 == 100
    assert explorer.result["accuracy"] == run["accuracy"][-1] == 1.0
    result = move(explorer, step=0)
    assert result["accuracy"] == run["accuracy"][0] < 0.9
    result = move(explorer, num_hidden=2, step=100)
    assert result["accuracy"] < 0.95 and "2 units per hidden layer" in explorer.readout.value
    assert_redraws_the_same(explorer, lr=3.0)
