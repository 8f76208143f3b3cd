"""Widgets for the closing notebook (16, backpropagation in perspective).

Each builder returns an `Explorer`; the numbers it shows come from a function the notebook passes in (built
from `bplab.layers`), so the widget only wires controls and draws. Tested in tests/test_widgets_perspective.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from bplab._validate import as_count
from bplab.plots import COLORS
from bplab.widgets._core import Explorer, dropdown, int_slider

__all__ = ["residual_explorer"]

MAX_DEPTH = 30
ACTIVATIONS = ("sigmoid", "tanh")


def residual_explorer(gradient_norms: Callable[[int, str, bool], np.ndarray], depth: int = 10,
                      activation: str = "sigmoid") -> Explorer:
    """Depth and activation of a deep network, with and without residual connections: gradient norm per layer.

    Parameters
    ----------
    gradient_norms : callable
        ``gradient_norms(depth, activation, residual) -> array of shape (depth,)``: the norm of each Linear layer's
        weight gradient (first layer first) after one forward and backward pass of a network with `depth` Linear
        layers, `activation` in ("sigmoid", "tanh"), with residual connections when `residual` is True.
    depth : int
        Starting number of Linear layers, 3 to 30.
    activation : str
        Starting activation, "sigmoid" or "tanh".

    Returns
    -------
    Explorer
        ``result`` holds ``"plain"`` and ``"residual"`` (the two arrays of norms) and ``"ratio_plain"``,
        ``"ratio_residual"`` (first layer / last layer).

    Used in: notebooks/16-backprop-in-perspective.ipynb
    """
    if not callable(gradient_norms):
        raise TypeError(f"gradient_norms must be a function (depth, activation, residual) -> norms, "
                        f"got {type(gradient_norms).__name__}")
    depth = as_count(depth, "depth", minimum=3)
    if depth > MAX_DEPTH:
        raise ValueError(f"depth must be at most {MAX_DEPTH}, got {depth}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")

    def compute(depth: int, activation: str) -> dict:
        result = {"depth": depth, "activation": activation}
        for name, residual in (("plain", False), ("residual", True)):
            norms = np.asarray(gradient_norms(depth, activation, residual), dtype=float)
            if norms.shape != (depth,):
                raise ValueError(f"gradient_norms must return {depth} norms (one per Linear layer), "
                                 f"got shape {norms.shape}")
            result[name] = norms
            result[f"ratio_{name}"] = float(norms[0] / norms[-1])
        return result

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        ax.set_xlim(0.5, MAX_DEPTH + 0.5)
        ax.set_ylim(1e-22, 1e4)
        ax.set_yscale("log")
        (plain,) = ax.plot([], [], "o-", ms=3, color=COLORS["vermillion"], label="plain", animated=True)
        (residual,) = ax.plot([], [], "s--", ms=3, color=COLORS["blue"], label="residual connections",
                              animated=True)
        ax.set_xlabel("Linear layer (1 = next to the input)")
        ax.set_ylabel("‖dW‖ (log scale)")
        ax.legend(loc="lower right")
        return {"plain": plain, "residual": residual}

    def update(artists: dict, result: dict) -> None:
        layers = np.arange(1, result["depth"] + 1)
        tiny = 1e-22  # a norm of exactly 0 cannot sit on a log axis
        for name in ("plain", "residual"):
            artists[name].set_data(layers, np.maximum(result[name], tiny))

    def readout(result: dict) -> str:
        return (f"{result['depth']} layers, {result['activation']}: first / last gradient norm "
                f"{result['ratio_plain']:.1e} plain, {result['ratio_residual']:.1e} with residual connections")

    controls = {
        "depth": int_slider("Linear layers", depth, 3, MAX_DEPTH, continuous_update=False),
        "activation": dropdown("activation", list(ACTIVATIONS), activation),
    }
    return Explorer(controls, compute, setup, update, readout)
