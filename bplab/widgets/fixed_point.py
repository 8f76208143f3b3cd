"""Widgets of notebook 15: a recurrent network relaxing to a fixed point, forward and backward.

The builder returns an `Explorer`; its compute step (`fixed_point_residuals`) is a plain function of
the control values that returns numbers from `bplab.fixed_point` (tested in
tests/test_widgets_fixed_point.py); the drawing only moves two lines.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.figure import Figure

from bplab._validate import as_count, as_number
from bplab.fixed_point import fixed_point_backward, relax
from bplab.plots import COLORS
from bplab.widgets._core import Explorer, slider

__all__ = ["fixed_point_residuals", "fixed_point_explorer"]

TOL = 1e-10


@functools.lru_cache(maxsize=256)
def _problem(hidden_size: int, num_examples: int, seed: int) -> tuple[np.ndarray, ...]:
    """A fixed random problem: W0 (H, H) with ||W0||_2 = 1 (non-symmetric), U (2, H), b (H,), x (N, 2), dh (N, H)."""
    rng = np.random.default_rng(seed)
    W0 = rng.standard_normal((hidden_size, hidden_size))
    W0 /= np.linalg.norm(W0, 2)  # spectral norm (largest singular value) 1: the slider sets it
    U = rng.standard_normal((2, hidden_size))
    b = 0.1 * rng.standard_normal(hidden_size)
    x = rng.standard_normal((num_examples, 2))
    dh = rng.standard_normal((num_examples, hidden_size))
    for array in (W0, U, b, x, dh):
        array.setflags(write=False)
    return W0, U, b, x, dh


@functools.lru_cache(maxsize=512)
def fixed_point_residuals(weight_norm: float, input_scale: float = 1.0, hidden_size: int = 32,
                          num_examples: int = 20, max_iter: int = 200, seed: int = 0) -> dict:
    """Relax the state forward, then the adjoint backward, on a random non-symmetric W with ||W||_2 = weight_norm.

    Parameters
    ----------
    weight_norm : float >= 0, the spectral norm ||W||_2 (largest singular value) of the recurrent weights
    input_scale : float >= 0, multiplies the inputs x (larger inputs saturate tanh)
    hidden_size : int, H
    num_examples : int, N
    max_iter : int, most steps of each relaxation
    seed : int, the random problem

    Returns
    -------
    dict
        ``"forward"`` and ``"adjoint"``: residuals ||h_k - h_{k-1}|| and ||delta_k - delta_{k-1}||
        (ndarray (K,)); ``"forward_iterations"``, ``"adjoint_iterations"``, ``"forward_converged"``,
        ``"adjoint_converged"``; ``"weight_norm"``, ``"input_scale"``, ``"spectral_radius"``
        (the largest |eigenvalue| of W), ``"local_rate"`` (the largest spectral radius, over the
        examples, of the Jacobian diag(1 - h^2) W.T at the last state: the rate of both relaxations
        near a fixed point), ``"tol"``, ``"max_iter"``.

    Used in: notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb
    """
    weight_norm = as_number(weight_norm, "weight_norm", minimum=0.0)
    input_scale = as_number(input_scale, "input_scale", minimum=0.0)
    max_iter = as_count(max_iter, "max_iter")
    W0, U, b, x, dh = _problem(as_count(hidden_size, "hidden_size"), as_count(num_examples, "num_examples"), seed)
    W = weight_norm * W0
    h, cache = relax(input_scale * x, W, U, b, tol=TOL, max_iter=max_iter)
    _, info = fixed_point_backward(dh, cache, tol=TOL, max_iter=max_iter)
    slope = 1 - h**2
    for residuals in (cache["residuals"], info["residuals"]):
        residuals.setflags(write=False)  # cached: shared by every caller
    local_rate = max(np.abs(np.linalg.eigvals(slope[n][:, None] * W.T)).max() for n in range(len(h)))
    return {
        "forward": cache["residuals"], "adjoint": info["residuals"],
        "forward_iterations": cache["iterations"], "adjoint_iterations": info["iterations"],
        "forward_converged": cache["converged"], "adjoint_converged": info["converged"],
        "weight_norm": weight_norm, "input_scale": input_scale,
        "spectral_radius": float(np.abs(np.linalg.eigvals(W)).max()), "local_rate": float(local_rate),
        "tol": TOL, "max_iter": max_iter,
    }


def _status(converged: bool, iterations: int) -> str:
    return f"converged in {iterations} steps" if converged else f"<b>not converged</b> after {iterations} steps"


def fixed_point_explorer(weight_norm: float = 0.8, input_scale: float = 1.0, max_iter: int = 200) -> Explorer:
    """Move ||W||_2 and the input size; watch the forward and the adjoint relaxations converge or fail.

    Both residuals are drawn against the step on a log scale, with the contraction guarantee
    r_1 ||W||_2^(k-1) (dashed, from the first forward residual r_1) and the stopping tolerance. When the
    state does not settle it has reached no fixed point (one exists, by Brouwer, but it may be unstable): the
    adjoint, run at the last state, is then no gradient.

    Parameters
    ----------
    weight_norm : float, initial spectral norm of W, in [0.1, 3]
    input_scale : float, initial size of the inputs, in [0, 4]
    max_iter : int, most steps of each relaxation

    Returns
    -------
    Explorer
        ``result`` is `fixed_point_residuals`'s dict.

    Used in: notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb
    """
    weight_norm = as_number(weight_norm, "weight_norm", minimum=0.0)
    input_scale = as_number(input_scale, "input_scale", minimum=0.0)
    max_iter = as_count(max_iter, "max_iter")
    steps = np.arange(1, max_iter + 1)
    low, high = 1e-13, 1e3

    def compute(weight_norm: float, input_scale: float) -> dict:
        return fixed_point_residuals(round(weight_norm, 4), round(input_scale, 4), max_iter=max_iter)

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        ax.set_yscale("log")
        ax.set_xlim(0, max_iter)
        ax.set_ylim(low, high)
        ax.axhline(TOL, color="gray", linewidth=0.8, linestyle=":", label="tolerance")
        ax.axhline(1.0, color="lightgray", linewidth=0.6)
        (bound,) = ax.plot([], [], "--", color="gray", linewidth=1, label="guarantee r₁·‖W‖₂ᵏ⁻¹", animated=True)
        (forward,) = ax.plot([], [], color=COLORS["blue"], linewidth=2, label="forward: ‖h_k − h_(k−1)‖",
                             animated=True)
        (adjoint,) = ax.plot([], [], "-.", color=COLORS["vermillion"], linewidth=1.5,
                             label="adjoint: ‖δ_k − δ_(k−1)‖", animated=True)
        ax.set_xlabel("relaxation step k")
        ax.set_ylabel("residual (log scale)")
        ax.legend(loc="center right", fontsize=8)
        return {"forward": forward, "adjoint": adjoint, "bound": bound}

    def update(artists: dict, result: dict) -> None:
        for name in ("forward", "adjoint"):
            residuals = np.clip(np.nan_to_num(result[name], nan=high, posinf=high), low / 10, high * 10)
            artists[name].set_data(steps[: len(residuals)], residuals)
        first = result["forward"][0]
        with np.errstate(over="ignore", divide="ignore"):
            guarantee = first * result["weight_norm"] ** (steps - 1.0)
        artists["bound"].set_data(steps, np.clip(guarantee, low / 10, high * 10))

    def readout(result: dict) -> str:
        norm = result["weight_norm"]
        verdict = "< 1: a contraction, convergence guaranteed" if norm < 1 else "≥ 1: no guarantee"
        rate = (f"rate near the fixed point ρ(J) = {result['local_rate']:.2f}" if result["forward_converged"]
                else "no fixed point reached: the adjoint below runs at the last state and gives no gradient")
        return (f"‖W‖₂ = {norm:.2f} ({verdict}); spectral radius of W {result['spectral_radius']:.2f}; {rate}<br>"
                f"forward: {_status(result['forward_converged'], result['forward_iterations'])}; "
                f"adjoint: {_status(result['adjoint_converged'], result['adjoint_iterations'])}")

    controls = {
        "weight_norm": slider("‖W‖₂", weight_norm, 0.1, 3.0, 0.05),
        "input_scale": slider("input size", input_scale, 0.0, 4.0, 0.25),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(7.0, 3.6))
