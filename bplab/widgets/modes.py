"""Widgets for forward and reverse mode (notebook 14).

Each builder returns an `Explorer`; its compute step is a plain function of the slider values that
returns numbers (tested in tests/test_widgets_modes.py). The Jacobians and pass counts come from
`bplab.forward_mode`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from bplab._validate import as_count
from bplab.forward_mode import jacobian_forward, jacobian_reverse
from bplab.plots import COLORS
from bplab.widgets._core import Explorer, int_slider
from bplab.widgets._timing import best_time

__all__ = ["modes_explorer"]

MAX_SIZE = 30


def _passes(count: int, kind: str = "") -> str:
    return f"{count} {kind}pass" + ("" if count == 1 else "es")


def modes_explorer(num_inputs: int = 20, num_outputs: int = 1, num_hidden: int = 6, seed: int = 0) -> Explorer:
    """Choose n inputs and m outputs: the passes forward and reverse mode need for the full Jacobian.

    The function is ``f(x) = tanh(x W + b) V`` from R^n to R^m (random W (n, H), b (H,), V (H, m)), written
    with scalar operations so that `bplab.forward_mode.jacobian_forward` (dual numbers, one pass per input)
    and `jacobian_reverse` (`bplab.Value`, one backward pass per output) both run on it. Both Jacobians are
    computed, compared and timed (best of 3, CPU time) at every move.

    Parameters
    ----------
    num_inputs, num_outputs : int
        Starting n and m, each in 1..30.
    num_hidden : int
        H, the width of the tanh layer inside f.
    seed : int
        Seed of the random W, b, V and of the point x where f is differentiated.

    Returns
    -------
    Explorer
        ``result`` holds ``"n"``, ``"m"``, ``"forward_passes"`` and ``"reverse_passes"`` (counted by the two
        Jacobian functions), ``"forward_seconds"``, ``"reverse_seconds"``, ``"max_difference"`` between the two
        Jacobians, and ``"cheaper"`` ("forward mode", "reverse mode" or "either": fewer passes).

    Used in: notebooks/14-jacobians-and-the-two-modes.ipynb
    """
    num_hidden = as_count(num_hidden, "num_hidden")
    for name, size in (("num_inputs", num_inputs), ("num_outputs", num_outputs)):
        if as_count(size, name) > MAX_SIZE:
            raise ValueError(f"{name} must be at most {MAX_SIZE}, got {size}")
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(MAX_SIZE, num_hidden)) / np.sqrt(MAX_SIZE)  # sliced to (n, H): the same f as n grows
    b = rng.normal(size=num_hidden)
    V = rng.normal(size=(num_hidden, MAX_SIZE))
    x0 = rng.normal(size=MAX_SIZE)

    W_, b_, V_ = W.tolist(), b.tolist(), V.tolist()  # Python floats: no numpy scalar meets a Dual or a Value

    def compute(n: int, m: int) -> dict:
        def f(x):
            h = [sum((x[j] * W_[j][k] for j in range(n)), b_[k]).tanh() for k in range(num_hidden)]
            return [sum((h[k] * V_[k][i] for k in range(num_hidden)), 0.0) for i in range(m)]

        x = x0[:n]
        J_forward, forward_passes = jacobian_forward(f, x)
        J_reverse, reverse_passes = jacobian_reverse(f, x)
        cheaper = ("forward mode" if forward_passes < reverse_passes
                   else "reverse mode" if reverse_passes < forward_passes else "either")
        return {"n": n, "m": m, "forward_passes": forward_passes, "reverse_passes": reverse_passes,
                "forward_seconds": best_time(lambda: jacobian_forward(f, x)),
                "reverse_seconds": best_time(lambda: jacobian_reverse(f, x)),
                "max_difference": float(np.max(np.abs(J_forward - J_reverse))), "cheaper": cheaper}

    def setup(fig: Figure) -> dict:
        plane, bars = fig.subplots(1, 2, width_ratios=[1, 1.2])
        grid = np.arange(1, MAX_SIZE + 1)
        n_grid, m_grid = np.meshgrid(grid, grid)
        plane.contourf(n_grid, m_grid, np.sign(n_grid - m_grid), levels=[-1.5, -0.5, 0.5, 1.5],
                       colors=["#cfe3f7", "#eeeeee", "#f9d9c7"])
        plane.plot([1, MAX_SIZE], [1, MAX_SIZE], color="gray", lw=1)
        # fewer passes, not "wins": near the diagonal the measured times need not follow the counts
        plane.text(0.95, 0.08, "reverse mode:\nfewer passes (n > m)", transform=plane.transAxes, ha="right",
                   fontsize=8, color="#a0522d")
        plane.text(0.05, 0.92, "forward mode:\nfewer passes (n < m)", transform=plane.transAxes, va="top",
                   fontsize=8, color="#1f4e79")
        (point,) = plane.plot([], [], "o", color=COLORS["vermillion"], markersize=9, animated=True)
        plane.set_xlim(0.5, MAX_SIZE + 0.5)
        plane.set_ylim(0.5, MAX_SIZE + 0.5)
        plane.set_xlabel("n inputs")
        plane.set_ylabel("m outputs")
        plane.set_aspect("equal")
        heights = bars.bar(["forward mode\n(passes = n)", "reverse mode\n(passes = m)"], [0, 0],
                           color=[COLORS["blue"], COLORS["orange"]])
        labels = [bars.text(bar.get_x() + bar.get_width() / 2, 0, "", ha="center", va="bottom", animated=True)
                  for bar in heights]
        for bar in heights:
            bar.set_animated(True)
        bars.set_ylim(0, MAX_SIZE + 4)
        bars.set_ylabel("passes for the full Jacobian")
        return {"point": point, "bars": list(heights), "labels": labels}

    def update(artists: dict, result: dict) -> None:
        artists["point"].set_data([result["n"]], [result["m"]])
        for bar, label, passes in zip(artists["bars"], artists["labels"],
                                      (result["forward_passes"], result["reverse_passes"])):
            bar.set_height(passes)
            label.set_position((bar.get_x() + bar.get_width() / 2, passes))
            label.set_text(str(passes))

    def readout(result: dict) -> str:
        return (f"f: R<sup>{result['n']}</sup> → R<sup>{result['m']}</sup>. "
                f"Forward mode: {_passes(result['forward_passes'])}, {result['forward_seconds'] * 1e3:.2f} ms. "
                f"Reverse mode: 1 recording pass + {_passes(result['reverse_passes'], 'backward ')}, "
                f"{result['reverse_seconds'] * 1e3:.2f} ms. Fewer passes: <b>{result['cheaper']}</b>. "
                f"The two Jacobians differ by at most {result['max_difference']:.1e}.")

    controls = {"n": int_slider("n inputs", num_inputs, 1, MAX_SIZE),
                "m": int_slider("m outputs", num_outputs, 1, MAX_SIZE)}
    return Explorer(controls, compute, setup, update, readout, figsize=(8.0, 3.6))
