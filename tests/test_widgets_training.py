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
    assert "first hidden layer" in explorer.readout.value


def test_normalized_statistics_leaves_the_normalization_layers_out():
    X = np.random.default_rng(0).standard_normal((32, 10))
    y = np.arange(32) % 3
    stats = training.normalized_statistics(MLP([10, 8, 8, 3], activation="tanh", norm="batch", rng=0), X, y)
    assert len(stats["activation_std"]) == 2 and len(stats["grad_norms"]) == 3
    assert np.all(stats["activation_std"] < 1)  # tanh outputs, not the batch-normalized ones (std 1)
