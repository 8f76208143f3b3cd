"""Widgets of notebooks 09b-11b: normalization, watching training, dropout and augmentation, depth versus width.

Each builder returns an `Explorer` (see `_core.py`): its compute step is a plain function of the control values that
returns numbers, computed with the teaching core (`bplab.layers`, `bplab.optim.fit`, `bplab.data`) and tested in
tests/test_widgets_training.py; `setup` draws the static parts once and `update` moves the artists.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from bplab.layers import MLP, Linear
from bplab.plots import COLORS
from bplab.widgets._core import Explorer, dropdown, fixed_ylabel, int_slider
from bplab.widgets.networks import layer_statistics

__all__ = ["normalized_statistics", "normalization_explorer"]

ACTIVATION_NAMES = ("ReLU", "Sigmoid", "Tanh", "LeakyReLU")

# ---------------------------------------------------------------- notebook 09b: batch normalization

WEIGHT_CHOICES = {  # label -> (init, scale, gain): weights N(0, scale^2), or the named rule times the gain
    "N(0, 0.01²)": ("normal", 0.01, 1.0),
    "N(0, 1)": ("normal", 1.0, 1.0),
    "Xavier": ("xavier", 0.0, 1.0),
    "He": ("he", 0.0, 1.0),
    "tanh gain 5/3": ("normal", None, 5 / 3),  # N(0, (5/3)^2 / D)
}


def normalized_statistics(model: MLP, X, y) -> dict:
    """`layer_statistics` for a model that may hold BatchNorm or LayerNorm layers.

    Returns
    -------
    dict
        ``"activation_std"``: np.ndarray, the std of each activation layer's output (normalization layers left out);
        ``"grad_norms"``: np.ndarray, each Linear layer's weight-gradient norm (first to last); ``"loss"``: float.

    Used in: notebooks/09b-batch-normalization.ipynb (the explorer)
    """
    stats = layer_statistics(model, X, y)
    kinds = [type(layer).__name__ for layer in model.layers if not isinstance(layer, Linear)]
    stds = [a.std() for a, kind in zip(stats["activations"], kinds) if kind in ACTIVATION_NAMES]
    return {"activation_std": np.array(stds), "grad_norms": stats["grad_norms"], "loss": stats["loss"]}


def _normalization_message(stds: np.ndarray, ratio: float) -> str:
    """One sentence on the activations, one on the gradients."""
    if not np.all(np.isfinite(stds)) or not np.isfinite(ratio):
        return "The numbers overflowed: the weights are far too large."
    if stds[-1] < 1e-3:
        forward = f"The activations collapse toward 0 (last layer's std {stds[-1]:.0e})"
    elif stds.max() / stds.min() > 3:
        forward = "The activations' scale drifts from layer to layer"
    else:
        forward = "The activations keep one scale in every layer"
    if ratio > 1e2:
        backward = f"the gradient grows toward the input (first / last = {ratio:.0e})"
    elif ratio < 1e-2:
        backward = f"the gradient vanishes toward the input (first / last = {ratio:.0e})"
    else:
        backward = f"the gradient stays in scale (first / last = {ratio:.2f})"
    return f"{forward}; {backward}."


def normalization_explorer(num_examples: int = 256, width: int = 100, seed: int = 0) -> Explorer:
    """Depth, activation, initial weights and batch norm of a deep MLP: per-layer activation scale and gradient norm.

    The network is ``MLP([width] + [width] * depth + [10], norm=...)`` on random Gaussian inputs with random
    labels, one forward and one backward pass at initialization (batch statistics: training mode). The result holds
    what `normalized_statistics` returns plus ``"ratio"`` (first-layer over last-layer gradient norm) and a
    ``"message"``.

    Parameters
    ----------
    num_examples : int, batch size N of the random inputs
    width : int, input size and width of every hidden layer
    seed : int, seeds the inputs, the labels and the weights

    Returns
    -------
    Explorer

    Used in: notebooks/09b-batch-normalization.ipynb
    """
    gen = np.random.default_rng(seed)
    X = gen.standard_normal((num_examples, width))
    y = gen.integers(0, 10, size=num_examples)
    controls = {
        "depth": int_slider("hidden layers", 9, 2, 20, continuous_update=False),  # new axes ticks: a full redraw
        "activation": dropdown("activation", ("tanh", "sigmoid", "relu"), "tanh"),
        "weights": dropdown("initial weights", tuple(WEIGHT_CHOICES), "N(0, 0.01²)"),
        "norm": dropdown("normalization", ("none", "batch norm"), "none"),
    }

    def compute(depth: int, activation: str, weights: str, norm: str) -> dict:
        init, scale, gain = WEIGHT_CHOICES[weights]
        if scale is None:
            scale = gain / np.sqrt(width)
        model = MLP([width] + [width] * depth + [10], activation=activation, init=init, scale=scale, rng=seed,
                    norm="batch" if norm == "batch norm" else None)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            result = normalized_statistics(model, X, y)
        norms = result["grad_norms"]
        ratio = float(norms[0] / norms[-1]) if norms[-1] > 0 else float("nan")
        result.update(ratio=ratio, message=_normalization_message(result["activation_std"], ratio))
        return result

    def setup(fig: Figure) -> dict:
        ax_std, ax_grad = fig.subplots(1, 2)
        (stds,) = ax_std.semilogy([1, 2], [1, 1], "o-", color=COLORS["blue"])
        ax_std.yaxis.set_minor_formatter(NullFormatter())
        ax_std.set_xlabel("hidden layer")
        fixed_ylabel(ax_std, "std of its activations (log scale)", "$10^{-10}$")  # the limits follow the settings
        ax_std.set_title("activation scale per layer")
        (norms,) = ax_grad.semilogy([1, 2], [1, 1], "s-", color=COLORS["vermillion"])
        ax_grad.yaxis.set_minor_formatter(NullFormatter())
        ax_grad.set_xlabel("Linear layer (1 = next to the input)")
        fixed_ylabel(ax_grad, r"$\|dW\|$ (log scale)", "$10^{-10}$")
        ax_grad.set_title("gradient norm per layer")
        return {"ax_std": ax_std, "stds": stds, "ax_grad": ax_grad, "norms": norms}

    def _limits(ax, values: np.ndarray) -> None:
        finite = values[np.isfinite(values) & (values > 0)]
        if len(finite):
            ax.set_ylim(finite.min() / 10, finite.max() * 10)  # at least two powers of ten: major ticks show
        ax.set_xlim(0.5, len(values) + 0.5)
        step = 1 if len(values) <= 12 else 2
        ax.set_xticks(np.arange(1, len(values) + 1, step))

    def update(artists: dict, result: dict) -> bool:
        stds, norms = result["activation_std"], result["grad_norms"]
        artists["stds"].set_data(np.arange(1, len(stds) + 1), stds)
        artists["norms"].set_data(np.arange(1, len(norms) + 1), norms)
        _limits(artists["ax_std"], stds)
        _limits(artists["ax_grad"], norms)
        return True  # the axes changed: redraw all

    def readout(result: dict) -> str:
        stds, norms = result["activation_std"], result["grad_norms"]
        return (f"activation std: first hidden layer {stds[0]:.2e}, last {stds[-1]:.2e}; gradient norm of the first "
                f"Linear layer {norms[0]:.2e}, of the last {norms[-1]:.2e}")

    return Explorer(controls, compute, setup, update, readout, figsize=(9.5, 3.6))
