"""The explorers of notebooks 09b-11b: each compute step against the teaching core, and a move redraws in place."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from widget_checks import move  # noqa: E402

from bplab.layers import MLP  # noqa: E402
from bplab.widgets import training  # noqa: E402

# --- 09b: normalization_explorer --------------------------------------------------------------------------------


def test_normalization_explorer_reads_like_notebook_09b():
    explorer = training.normalization_explorer()
    start = explorer.result  # tanh, N(0, 0.01^2), no batch norm: notebook 09's collapse
    assert start["activation_std"][-1] < 1e-6 and start["message"].startswith("The activations collapse")
    on = move(explorer, norm="batch norm")
    assert np.all(np.abs(on["activation_std"] - 0.63) < 0.02) and 0.1 < on["ratio"] < 10
    assert on["message"].startswith("The activations keep one scale")
    saturated = move(explorer, weights="N(0, 1)", norm="none")
    assert saturated["ratio"] > 100 and "grows toward the input" in saturated["message"]
    vanishing = move(explorer, activation="sigmoid", weights="Xavier")
    assert vanishing["ratio"] < 1e-2 and "vanishes" in vanishing["message"]
    gain = move(explorer, activation="tanh", weights="tanh gain 5/3")
    assert np.all(np.abs(gain["activation_std"][3:] - 0.65) < 0.02)  # notebook 09b, section 7
    deep = move(explorer, depth=20)
    assert len(deep["activation_std"]) == 20 and len(deep["grad_norms"]) == 21
    # notebooks 09 and 09b: tanh with Xavier weights (gain 1) shrinks layer after layer, 0.62 -> 0.23 in 9 layers
    xavier = move(explorer, depth=9, weights="Xavier")
    assert xavier["activation_std"][-1] < 0.4 * xavier["activation_std"][0]
    assert xavier["message"].startswith("The activations shrink from layer to layer")
    assert "first hidden layer" in explorer.readout.value


def test_normalized_statistics_leaves_the_normalization_layers_out():
    X = np.random.default_rng(0).standard_normal((32, 10))
    y = np.arange(32) % 3
    stats = training.normalized_statistics(MLP([10, 8, 8, 3], activation="tanh", norm="batch", rng=0), X, y)
    assert len(stats["activation_std"]) == 2 and len(stats["grad_norms"]) == 3
    assert np.all(stats["activation_std"] < 1)  # tanh outputs, not the batch-normalized ones (std 1)


# --- 09c: watch_training and training_monitor_explorer ------------------------------------------------------------


def test_watch_training_records_every_step_and_its_ratios_are_what_they_say():
    run = training.watch_training(lr=0.1, num_epochs=2)
    steps = 2 * 34  # 1,078 training images in batches of 32
    assert run["loss"].shape == (steps,) and run["update_ratio"].shape == (steps, 3)
    assert run["grad_ratio"].shape == (steps, 3) and list(run["probe_steps"]) == list(range(0, steps, 10))
    assert run["dead"].shape == (7, 2) and np.all((run["dead"] >= 0) & (run["dead"] <= 1))
    # SGD with momentum starts from v = 0: its first step moves W by -lr * dW, so both ratios, taken over the same
    # ||W_after||, differ by the factor lr exactly
    assert np.allclose(run["update_ratio"][0], 0.1 * run["grad_ratio"][0], rtol=1e-12)
    assert list(run["lr"]) == [0.1, 0.1]


def test_the_schedules_start_at_the_rate_and_end_lower():
    for name, make in training.SCHEDULES.items():
        schedule = make(0.2, 10)
        assert schedule(0) == 0.2
        assert (schedule(9) == 0.2) == (name == "constant"), name
    assert training.SCHEDULES["step decay (÷10 at 70%)"](0.2, 10)(7) == 0.02


def test_training_monitor_explorer_says_what_notebook_09c_measures():
    explorer = training.training_monitor_explorer(num_epochs=3)
    assert explorer.result["message"].startswith("Updates of about")
    dead = move(explorer, log_lr=0.5)
    assert dead["message"].startswith("Every unit of hidden layer") and dead["val_accuracy"][-1] < 0.2
    slow = move(explorer, log_lr=-3.5)
    assert slow["message"].startswith("Tiny updates")
    cosine = move(explorer, log_lr=-1.0, schedule="cosine")
    assert cosine["lr"][-1] < cosine["lr"][0] and "validation accuracy" in explorer.readout.value


def test_the_monitor_says_every_unit_is_dead_only_when_every_unit_is():
    run = {"diverged": False, "update_ratio": np.full((60, 3), 1e-2), "dead": np.array([[0.2, 0.1], [0.97, 0.89]])}
    message = training._monitor_message(run)  # lr 10^-0.5: 62 of 64 units of hidden layer 1 dead, 2 still alive
    assert not message.startswith("Every unit") and message.startswith("97% of hidden layer 1's units are dead")
    run["dead"] = np.array([[0.9, 1.0]])
    assert training._monitor_message(run).startswith("Every unit of hidden layer 2 is dead")


# --- 10b: regularization_run and regularization_explorer --------------------------------------------------------


def test_regularization_run_without_remedy_is_notebook_10s_baseline():
    from bplab.data import add_label_noise, load_digits, train_test_split
    from bplab.layers import accuracy
    from bplab.optim import Adam, fit

    X, y = load_digits()  # notebook 10's baseline, written out as notebook 10 writes it
    X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.3, rng=0)
    model = MLP([64, 256, 10], rng=0)
    fit(model, X_pool[:200], add_label_noise(y_pool[:200], 0.3, num_classes=10, rng=0),
        Adam(model.parameters(), lr=0.01), 40, batch_size=100, rng=0)
    run = training.regularization_run(0.0, "none")
    assert run["test_accuracy"] == accuracy(model.forward(X_test), y_test)
    assert run["wrong_labels_fit"] > 0.9 and run["train_accuracy"] > 0.95
    assert list(run["steps"]) == list(range(2, 82, 2))


def test_dropout_and_augmentation_runs_take_the_same_steps_and_stop_the_memorizing():
    for p, augmentation in [(0.8, "none"), (0.0, "5 shifted copies"), (0.0, "5 noisy copies")]:
        run = training.regularization_run(p, augmentation)
        assert run["steps"][-1] == 80, augmentation  # 80 steps of 100 images, as the baseline
        assert run["wrong_labels_fit"] < 0.3 and run["test_accuracy"] > 0.75, (p, augmentation)


def test_regularization_explorer_trains_on_click_and_says_what_it_measured():
    explorer = training.regularization_explorer()
    assert "dropout p = 0.5" in explorer.readout.value and "baseline 66.0%" in explorer.readout.value
    shifted = move(explorer, p=0.0, augmentation="5 shifted copies")
    assert shifted["augmentation"] == "5 shifted copies" and len(shifted["val_accuracy"]) == 8


# --- 11b: the sawtooth, the hand-built deep network and depth_explorer ------------------------------------------


def test_the_hand_built_network_computes_the_sawtooth_with_6k_plus_1_parameters():
    x = np.linspace(0, 1, 2**9 + 1)
    for k in range(1, 9):
        model = training.sawtooth_network(k)
        out = model.forward(x[:, None])[:, 0]
        assert np.allclose(out, training.sawtooth(x, k), atol=1e-12)
        assert training.linear_pieces(out, x) == 2**k
        assert sum(p.data.size for p in model.parameters()) == 6 * k + 1


def test_linear_pieces_counts_the_pieces_of_a_one_hidden_layer_network():
    x = np.linspace(-2, 2, 4001)  # kinks at -1, 0.5 and 1.5, all on the grid
    y = 2 * np.maximum(x + 1, 0) - 3 * np.maximum(x - 0.5, 0) + np.maximum(x - 1.5, 0)
    assert training.linear_pieces(y, x) == 4
    assert training.linear_pieces(3 * x + 1, x) == 1


def test_shallow_fit_is_exact_with_a_unit_at_every_corner_and_obeys_the_bound_without():
    x = np.linspace(0, 1, 2**10 + 1)
    target = training.sawtooth(x, 5)
    assert np.abs(training.shallow_fit(x, target, np.arange(32) / 32) - target).max() < 1e-9
    rng = np.random.default_rng(0)
    for H in (2, 5, 9, 15):
        for _ in range(5):  # any kinks at all: no fit beats (1 - H / 16) / 4
            error = np.mean(np.abs(training.shallow_fit(x, target, rng.uniform(0, 1, H)) - target))
            assert error >= (1 - H / 16) / 4 - 1e-3


def test_depth_explorer_reads_the_bound_and_both_parameter_counts():
    explorer = training.depth_explorer()
    start = explorer.result
    assert start["pieces"] == 32 and start["deep_parameters"] == 31 and start["bound"] == 0.125
    assert start["error"] >= start["bound"]
    exact = move(explorer, H=32)
    assert exact["error"] < 1e-9 and exact["bound"] == 0.0 and "97 parameters" in explorer.readout.value
    deep = move(explorer, k=7)
    assert deep["pieces"] == 128 and deep["error"] > 0.2
    exact = move(explorer, H=128)  # notebook 11b asks how many units make the fit exact at k = 7: 2^7, on the slider
    assert exact["error"] < 1e-9 and "385 parameters" in explorer.readout.value
    assert move(explorer, H=127)["error"] > 0.1  # 2^7 - 1 evenly spaced kinks: not exact
