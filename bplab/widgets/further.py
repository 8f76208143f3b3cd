"""Widgets of the lessons that go further after 12, 14 and 15: gated recurrence (12b), the echo-state view (12c),
Hessian-vector products (14b) and fixed-point solvers (15b).

Each builder returns an `Explorer` (see `_core.py`): its compute step is a plain function of the control values that
returns numbers from the teaching core (`bplab.rnn`, `bplab.forward_mode`, `bplab.fixed_point`), tested in
tests/test_widgets_further.py; `setup` draws the static parts once and `update` moves the artists.
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

from bplab._validate import as_count, as_number
from bplab.fixed_point import newton_fixed_point, relax
from bplab.forward_mode import hessian_vector_product
from bplab.plots import COLORS
from bplab.rnn import LSTM, RNN, recurrent_weights, rnn_forward, sequence_cross_entropy
from bplab.widgets._core import Explorer, dropdown, fixed_ylabel, int_slider, slider

__all__ = ["gradient_reach", "gate_reach_explorer", "memory_curve", "memory_explorer", "fixed_point_map",
           "fixed_point_map_explorer", "CURVE_DATA", "curve_loss", "curve_gradient", "hvp_errors", "hvp_explorer"]


# ---------------------------------------------------------------- notebook 12b: how far back the gradient reaches


@functools.lru_cache(maxsize=256)
def gradient_reach(forget_bias: float = 1.0, spectral_radius: float = 0.9, seq_len: int = 60, hidden_size: int = 16,
                   num_sequences: int = 20, seed: int = 0) -> dict:
    """How much of a last-step loss's gradient reaches each input, in notebook 12's RNN and in an LSTM.

    Random bits are fed to ``RNN(1, H, 2, spectral_radius)`` and to ``LSTM(1, H, 2, forget_bias)`` (both at
    initialization, same seed); the loss is the cross-entropy of the last step's scores against the first bit. For
    each network, ``||dL/dx_t||`` (over the batch) divided by its value at the last step.

    Parameters
    ----------
    forget_bias : float, the LSTM's initial forget-gate bias (its gates start near sigmoid(forget_bias))
    spectral_radius : float, of the RNN's orthogonal initial Wh
    seq_len : int, T
    hidden_size : int, H of both networks
    num_sequences : int, N
    seed : int

    Returns
    -------
    dict
        ``"rnn"``, ``"lstm"``: ndarray (T,), the relative gradient norm at t = 0 .. T-1; ``"rnn_first"``,
        ``"lstm_first"``: their values at t = 0; ``"mean_forget"``: the LSTM's mean forget gate over every unit, step
        and sequence; the inputs.

    Used in: notebooks/12b-gated-recurrence-and-clipping.ipynb
    """
    forget_bias = as_number(forget_bias, "forget_bias")
    spectral_radius = as_number(spectral_radius, "spectral_radius", minimum=0.0)
    seq_len, hidden_size = as_count(seq_len, "seq_len"), as_count(hidden_size, "hidden_size")
    bits = np.random.default_rng(seed).integers(0, 2, size=(as_count(num_sequences, "num_sequences"), seq_len, 1))
    bits = bits.astype(np.float64)
    first = bits[:, 0, 0].astype(int)
    result = {"forget_bias": forget_bias, "spectral_radius": spectral_radius, "seq_len": seq_len}
    for name, model in (("rnn", RNN(1, hidden_size, 2, spectral_radius=spectral_radius, rng=seed)),
                        ("lstm", LSTM(1, hidden_size, 2, forget_bias=forget_bias, rng=seed))):
        scores = model.forward(bits)
        _, d_last = sequence_cross_entropy(scores[:, -1:], first[:, None])  # the loss of the last step only
        dscores = np.zeros_like(scores)
        dscores[:, -1:] = d_last
        with np.errstate(over="ignore", invalid="ignore"):
            norms = np.linalg.norm(model.backward(dscores)[:, :, 0], axis=0)
            relative = norms / norms[-1]
        relative.setflags(write=False)  # cached: shared by every caller
        result[name], result[f"{name}_first"] = relative, float(relative[0])
        if name == "lstm":
            result["mean_forget"] = float(model.cache["f"].mean())
    return result


def _reach_words(ratio: float) -> str:
    return f"{ratio:.1e}" if np.isfinite(ratio) else "overflow"


def gate_reach_explorer(forget_bias: float = 1.0, spectral_radius: float = 0.9, seq_len: int = 60) -> Explorer:
    """Move the LSTM's forget-gate bias, the RNN's spectral radius and T: how far back does each gradient go?

    Both curves show ``||dL/dx_t|| / ||dL/dx_{T-1}||`` against the number of steps back, T - 1 - t, on a log scale,
    for a loss on the last step of sequences of random bits (`gradient_reach`).

    Parameters
    ----------
    forget_bias : float, initial forget-gate bias, in [-2, 4]
    spectral_radius : float, initial spectral radius of the RNN's Wh, in [0.5, 1.5]
    seq_len : int, initial T, in [10, 100]

    Returns
    -------
    Explorer
        ``result`` is `gradient_reach`'s dict.

    Used in: notebooks/12b-gated-recurrence-and-clipping.ipynb
    """

    def compute(forget_bias: float, spectral_radius: float, seq_len: int) -> dict:
        return gradient_reach(round(forget_bias, 4), round(spectral_radius, 4), int(seq_len))

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        (rnn,) = ax.semilogy([0, 1], [1, 1], "o-", ms=2.5, color=COLORS["vermillion"], label="vanilla RNN")
        (lstm,) = ax.semilogy([0, 1], [1, 1], "s--", ms=2.5, color=COLORS["blue"], label="LSTM")
        ax.axhline(1.0, color="lightgray", linewidth=0.8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("steps back from the loss, T − 1 − t")
        fixed_ylabel(ax, "‖∂L/∂x_t‖ relative to the last step", "$10^{-100}$")  # the limits follow the controls
        ax.legend(loc="lower left")
        return {"ax": ax, "rnn": rnn, "lstm": lstm}

    def update(artists: dict, result: dict) -> bool:
        back = np.arange(result["seq_len"])[::-1]  # t = 0 is T - 1 steps back
        values = []
        for name in ("rnn", "lstm"):
            curve = np.clip(np.nan_to_num(result[name], nan=1e300, posinf=1e300), 1e-300, 1e300)
            artists[name].set_data(back, curve)
            values.append(curve)
        values = np.concatenate(values)
        artists["ax"].set_xlim(-0.5, result["seq_len"] - 0.5)
        # a margin that is not a whole decade keeps the outermost tick label inside the axes, so inside the picture
        artists["ax"].set_ylim(max(values.min() / 30, 1e-300), min(values.max() * 30, 1e300))
        return True  # the limits changed: a full redraw

    def readout(result: dict) -> str:
        return (f"What reaches the first input, relative to the last: RNN {_reach_words(result['rnn_first'])}, "
                f"LSTM {_reach_words(result['lstm_first'])}; the LSTM's mean forget gate "
                f"{result['mean_forget']:.2f} (bias {result['forget_bias']:.2f}); RNN spectral radius "
                f"{result['spectral_radius']:.2f}; T = {result['seq_len']}")

    controls = {
        "forget_bias": slider("LSTM forget-gate bias", forget_bias, -2.0, 4.0, 0.25, continuous_update=False),
        "spectral_radius": slider("RNN spectral radius", spectral_radius, 0.5, 1.5, 0.05, continuous_update=False),
        "seq_len": int_slider("sequence length T", seq_len, 10, 100, 5, continuous_update=False),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(7.0, 3.6))


# ---------------------------------------------------------------- notebook 12c: the memory of an untrained network

MAX_DELAY = 80


@functools.lru_cache(maxsize=256)
def memory_curve(spectral_radius: float = 0.9, input_scale: float = 0.1, hidden_size: int = 20,
                 max_delay: int = MAX_DELAY, seed: int = 0, num_steps: int = 3000) -> dict:
    """The memory function of an untrained tanh RNN driven by independent inputs, read by least squares.

    The network of notebook 12c: h_t = tanh(u_t Wx + h_{t-1} Wh), Wh = `recurrent_weights(H, spectral_radius)`,
    Wx = input_scale times standard normal (1, H), u_t uniform in [-1, 1]; a linear readout with a bias is fitted to
    u_{t-k} on steps 100..1999 and scored on the rest by its squared correlation with u_{t-k}.

    Parameters
    ----------
    spectral_radius : float, rho of Wh
    input_scale : float, the size of the input weights
    hidden_size : int, H
    max_delay : int, the largest delay k
    seed : int
    num_steps : int, T (the readout is scored on steps 2000..T-1)

    Returns
    -------
    dict
        ``"memory"``: ndarray (max_delay,), MF_k for k = 1..max_delay; ``"capacity"``: their sum; ``"reach"``: the
        largest k with MF_k > 0.5 (0 if none); the inputs.

    Used in: notebooks/12c-the-echo-state-view.ipynb
    """
    spectral_radius = as_number(spectral_radius, "spectral_radius", minimum=0.0)
    input_scale = as_number(input_scale, "input_scale", minimum=0.0)
    H, max_delay = as_count(hidden_size, "hidden_size"), as_count(max_delay, "max_delay")
    r = np.random.default_rng(seed)
    Wh = recurrent_weights(H, spectral_radius, r)
    Wx = input_scale * r.standard_normal((1, H))
    u = r.uniform(-1, 1, size=(1, num_steps, 1))
    states, _ = rnn_forward(u, np.zeros((1, H)), Wx, Wh, np.zeros(H))
    X = np.hstack([states[0], np.ones((num_steps, 1))])
    targets = np.stack([np.roll(u[0, :, 0], k) for k in range(1, max_delay + 1)], axis=1)
    A = X[100:2000]  # least squares by the normal equations, with a tiny ridge (always solvable)
    w = np.linalg.solve(A.T @ A + 1e-8 * np.eye(H + 1), A.T @ targets[100:2000])
    read = X[2000:] @ w
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant readout (no memory at all) has no correlation
        memory = np.array([np.corrcoef(read[:, j], targets[2000:, j])[0, 1] ** 2 for j in range(max_delay)])
    memory = np.nan_to_num(memory)
    memory.setflags(write=False)  # cached: shared by every caller
    above = np.flatnonzero(memory > 0.5)
    return {"memory": memory, "capacity": float(memory.sum()), "reach": int(above[-1] + 1) if len(above) else 0,
            "spectral_radius": spectral_radius, "input_scale": input_scale, "hidden_size": H}


def memory_explorer(spectral_radius: float = 0.9, input_scale: float = 0.1, hidden_size: int = 20) -> Explorer:
    """Move the spectral radius, input size and width of an untrained RNN: how far back can a linear readout see?

    Draws the memory function MF_k against the delay k (`memory_curve`); the readout gives the memory capacity
    against its bound H.

    Parameters
    ----------
    spectral_radius : float, initial rho of Wh, in [0.1, 1.5]
    input_scale : float, initial size of the input weights, one of 0.01, 0.1, 0.3, 1.0, 3.0
    hidden_size : int, initial H, in [5, 40]

    Returns
    -------
    Explorer
        ``result`` is `memory_curve`'s dict.

    Used in: notebooks/12c-the-echo-state-view.ipynb
    """
    delays = np.arange(1, MAX_DELAY + 1)

    def compute(spectral_radius: float, input_scale: float, hidden_size: int) -> dict:
        return memory_curve(round(spectral_radius, 4), float(input_scale), int(hidden_size))

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        (curve,) = ax.plot(delays, np.zeros(MAX_DELAY), "o-", ms=2.5, color=COLORS["blue"], animated=True,
                           label="MF_k: squared correlation of the readout with u_(t−k)")
        ax.axhline(0.5, color="gray", linewidth=0.8, linestyle=":", label="MF = 0.5")
        ax.set_xlim(0, MAX_DELAY + 1)
        ax.set_ylim(-0.03, 1.08)
        ax.set_xlabel("delay k (steps back)")
        ax.set_ylabel("memory function MF_k")
        ax.legend(loc="upper right", fontsize=8)
        return {"curve": curve}

    def update(artists: dict, result: dict) -> None:
        artists["curve"].set_ydata(result["memory"])

    def readout(result: dict) -> str:
        reach = f"MF_k > 0.5 up to k = {result['reach']}" if result["reach"] else "MF_k > 0.5 at no delay k"
        return (f"memory capacity MC = {result['capacity']:.1f} (at most H = {result['hidden_size']}); "
                f"{reach}; spectral radius {result['spectral_radius']:.2f}, input size {result['input_scale']:g}")

    controls = {
        "spectral_radius": slider("spectral radius of Wh", spectral_radius, 0.1, 1.5, 0.05, continuous_update=False),
        "input_scale": dropdown("input size", [0.01, 0.1, 0.3, 1.0, 3.0], input_scale),
        "hidden_size": int_slider("units H", hidden_size, 5, 40, 5, continuous_update=False),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(7.0, 3.6))


# ---------------------------------------------------------------- notebook 15b: fixed points of one unit


def _one_unit(w: float, c: float, starts) -> tuple:
    """The arguments of `relax` and `newton_fixed_point` for h = tanh(w h + c), one example per start."""
    starts = np.asarray(starts, dtype=np.float64).reshape(-1, 1)
    return np.zeros((len(starts), 1)), np.array([[w]]), np.zeros((1, 1)), np.array([c]), starts


@functools.lru_cache(maxsize=512)
def fixed_point_map(w: float = 2.0, c: float = 0.0, h0: float = 0.1, steps: int = 30) -> dict:
    """Every fixed point of h -> tanh(w h + c), its slope, and where relaxation and Newton's method go from h0.

    The fixed points are found by `newton_fixed_point` started from 34 points of [-0.99, 0.99] (each a converged row,
    duplicates merged); the relaxation by `relax` (every state kept); Newton's method from h0 by `newton_fixed_point`.

    Parameters
    ----------
    w, c : float, the weight and the input of the unit
    h0 : float in [-1, 1], the start of both
    steps : int, relaxation steps

    Returns
    -------
    dict
        ``"points"`` (ndarray, the fixed points in increasing order), ``"slopes"`` (w (1 - h*^2) at each),
        ``"stable"`` (bool array, |slope| < 1; a slope of size 1 is neither, to first order), ``"path"`` (ndarray
        (steps + 1,) or shorter if it stopped, h_0..h_steps of the relaxation), ``"relax_settled"`` (its last step
        moved it by less than 1e-9),
        ``"newton"`` (where Newton from h0 ended), ``"newton_steps"``, ``"newton_converged"``; the inputs.

    Used in: notebooks/15b-fixed-point-solvers.ipynb
    """
    w, c, h0 = as_number(w, "w"), as_number(c, "c"), as_number(h0, "h0")
    grid = np.linspace(-0.99, 0.99, 34)  # (no start at 0, where w = 1 makes I - J singular)
    roots, _ = newton_fixed_point(*_one_unit(w, c, grid), tol=1e-13, max_iter=40)
    residual = np.abs(roots[:, 0] - np.tanh(w * roots[:, 0] + c))
    order = np.argsort(roots[:, 0])
    found, residual = roots[order, 0][residual[order] < 1e-10], residual[order][residual[order] < 1e-10]
    clusters = np.cumsum(np.concatenate([[0], np.diff(found) > 1e-3]))  # starts that reached the same fixed point
    points = np.array([found[clusters == k][np.argmin(residual[clusters == k])] for k in np.unique(clusters)])
    slopes = w * (1 - points**2)
    _, relaxed = relax(*_one_unit(w, c, [h0]), tol=1e-300, max_iter=as_count(steps, "steps"), keep_states=True)
    h_newton, newton = newton_fixed_point(*_one_unit(w, c, [h0]), tol=1e-12, max_iter=20)
    path = np.array([state[0, 0] for state in relaxed["states"]])
    for array in (points, slopes, path):
        array.setflags(write=False)  # cached: shared by every caller
    settled = len(path) <= as_count(steps, "steps") or abs(path[-1] - path[-2]) < 1e-9  # stopped early: exactly still
    return {"points": points, "slopes": slopes, "stable": np.abs(slopes) < 1 - 1e-6, "path": path,
            "relax_settled": bool(settled),
            "newton": float(h_newton[0, 0]), "newton_steps": newton["iterations"],
            "newton_converged": newton["converged"], "w": w, "c": c, "h0": h0}


def _verdict(slope: float) -> str:
    return "stable" if abs(slope) < 1 - 1e-6 else "unstable" if abs(slope) > 1 + 1e-6 else "neither: slope of size 1"


def _signed(value: float) -> str:
    return f"{value + 0.0:+.3f}".replace("-0.000", "+0.000")  # no minus sign on a zero


def fixed_point_map_explorer(w: float = 2.0, c: float = 0.0, h0: float = 0.1) -> Explorer:
    """Move w, c and the start h0 of one unit, h -> tanh(w h + c): its fixed points, relaxation and Newton's method.

    Draws the map against the diagonal (the fixed points are where they cross: filled if stable, open if not), the
    relaxation from h0 as a staircase, and where Newton's method from h0 lands (`fixed_point_map`).

    Parameters
    ----------
    w : float, initial weight, in [-3, 3]
    c : float, initial input, in [-1.5, 1.5]
    h0 : float, initial start, in [-1, 1]

    Returns
    -------
    Explorer
        ``result`` is `fixed_point_map`'s dict.

    Used in: notebooks/15b-fixed-point-solvers.ipynb
    """
    hs = np.linspace(-1, 1, 401)

    def compute(w: float, c: float, h0: float) -> dict:
        return fixed_point_map(round(w, 4), round(c, 4), round(h0, 4))

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        ax.plot([-1, 1], [-1, 1], ":", color="gray", linewidth=1, label="diagonal: h_new = h")
        (curve,) = ax.plot(hs, hs, color=COLORS["blue"], linewidth=2, label="the map: tanh(w h + c)", animated=True)
        (stairs,) = ax.plot([], [], "-", color=COLORS["vermillion"], linewidth=1, label="relaxation from h₀",
                            animated=True)
        stable = ax.scatter([], [], s=60, color="black", zorder=3, label="stable fixed point", animated=True)
        unstable = ax.scatter([], [], s=60, facecolors="white", edgecolors="black", linewidths=1.5, zorder=3,
                              label="unstable fixed point", animated=True)
        (newton,) = ax.plot([], [], "x", ms=11, mew=2.5, color=COLORS["green"], zorder=4, label="Newton from h₀",
                            animated=True)  # a cross: the fixed point's circle stays visible under it
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_aspect("equal")
        ax.set_xlabel("state h")
        ax.set_ylabel("next state tanh(w h + c)")
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
        return {"curve": curve, "stairs": stairs, "stable": stable, "unstable": unstable, "newton": newton}

    def update(artists: dict, result: dict) -> None:
        artists["curve"].set_ydata(np.tanh(result["w"] * hs + result["c"]))
        path = result["path"]
        xs = np.repeat(path, 2)[:-1]  # (h0, h0), (h0, h1), (h1, h1), (h1, h2), ...: the staircase
        ys = np.concatenate([[path[0]], np.repeat(path[1:], 2)])
        artists["stairs"].set_data(xs, ys)
        points, stable = result["points"], result["stable"]
        artists["stable"].set_offsets(np.column_stack([points[stable], points[stable]]).reshape(-1, 2))
        artists["unstable"].set_offsets(np.column_stack([points[~stable], points[~stable]]).reshape(-1, 2))
        artists["newton"].set_data([result["newton"]], [result["newton"]])

    def readout(result: dict) -> str:
        listed = "; ".join(f"{_signed(h)} (slope {s:.2f}, {_verdict(s)})"
                           for h, s in zip(result["points"], result["slopes"]))
        path = result["path"]
        steps = result["newton_steps"]
        unit = "step" if steps == 1 else "steps"
        newton = (f"Newton from h₀ lands at {_signed(result['newton'])} in {steps} {unit}" if result["newton_converged"]
                  else f"Newton from h₀ has not converged after {steps} {unit}")
        relaxation = (f"relaxation from h₀ = {_signed(path[0])}: {_signed(path[-1])} after {len(path) - 1} steps"
                      if result["relax_settled"] else
                      f"relaxation from h₀ = {_signed(path[0])} has not settled after {len(path) - 1} steps (its last "
                      f"two states {_signed(path[-2])}, {_signed(path[-1])})")
        return f"w = {result['w']:.2f}, c = {result['c']:.2f}: fixed points {listed}<br>{relaxation}; {newton}"

    controls = {
        "w": slider("weight w", w, -3.0, 3.0, 0.05),
        "c": slider("input c", c, -1.5, 1.5, 0.01),
        "h0": slider("start h₀", h0, -1.0, 1.0, 0.01),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(7.0, 3.8))


# ---------------------------------------------------------------- notebook 14b: Hessian-vector products

_x_curve = np.linspace(-2, 2, 21)
CURVE_DATA = (_x_curve, 0.8 * np.tanh(1.5 * _x_curve) + 0.1 * np.sin(3 * _x_curve))  # a one-unit fit: (x, y)
CURVE_POINT = np.array([0.6, 1.2])  # (w1, w2), where the Hessian-vector products are taken


def curve_loss(theta) -> float:
    """L(w1, w2) = 1/2 the mean over `CURVE_DATA` of (w2 tanh(w1 x) - y)^2: a loss of two parameters.

    Used in: notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb (its explorer)
    """
    x, y = CURVE_DATA
    return float(0.5 * np.mean((theta[1] * np.tanh(theta[0] * x) - y) ** 2))


def curve_gradient(theta) -> np.ndarray:
    """The gradient of `curve_loss` by a backward pass (reverse mode), written so that it runs on Duals too.

    Used in: notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb (its explorer)
    """
    x, y = CURVE_DATA
    t = np.tanh(x * theta[0])  # forward (arrays first: numpy then applies Dual's operations entry by entry)
    residual = (t * theta[1] - y) / len(x)  # dL/d(prediction)
    dw2 = np.sum(residual * t)  # backward: prediction = w2 t
    dw1 = np.sum(residual * (1 - t * t) * x * theta[1])  # through tanh, then w1 x
    return np.array([dw1, dw2])  # of floats, or of Duals (dtype object)


STEPS = 10.0 ** np.linspace(-12, -1, 45)


@functools.lru_cache(maxsize=512)
def hvp_errors(angle: float = 30.0, log10_step: float = -5.0) -> dict:
    """H v at `CURVE_POINT` by forward over reverse, and the error of central differences of gradients at every step.

    Parameters
    ----------
    angle : float, the direction v = (cos angle, sin angle), in degrees
    log10_step : float, the step h of the finite differences (as a power of 10)

    Returns
    -------
    dict
        ``"v"``, ``"Hv"`` (ndarray (2,)), ``"curvature"`` (v^T H v), ``"steps"`` and ``"errors"`` (ndarray, the
        relative error |FD - Hv| / |Hv| of (grad(theta + h v) - grad(theta - h v)) / 2h at each step of `STEPS`),
        ``"step"`` and ``"error"`` (at the chosen step); the inputs.

    Used in: notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb
    """
    angle, log10_step = as_number(angle, "angle"), as_number(log10_step, "log10_step")
    v = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    Hv = np.asarray(hessian_vector_product(curve_gradient, CURVE_POINT, v), dtype=np.float64)

    def error(h):
        differences = (curve_gradient(CURVE_POINT + h * v) - curve_gradient(CURVE_POINT - h * v)) / (2 * h)
        return float(np.linalg.norm(np.asarray(differences, dtype=np.float64) - Hv) / np.linalg.norm(Hv))

    errors = np.array([error(h) for h in STEPS])
    errors.setflags(write=False)  # cached: shared by every caller
    step = 10.0**log10_step
    return {"v": v, "Hv": Hv, "curvature": float(v @ Hv), "steps": STEPS, "errors": errors, "step": step,
            "error": error(step), "angle": angle, "log10_step": log10_step}


def hvp_explorer(angle: float = 30.0, log10_step: float = -5.0) -> Explorer:
    """Move the direction v and the step h: H v by forward over reverse, against finite differences of gradients.

    Left, the loss `curve_loss` of two parameters, the point, v and H v (scaled to fit); right, the relative error of
    central differences of the gradient against the step h, with the chosen h marked (`hvp_errors`).

    Parameters
    ----------
    angle : float, initial direction in degrees, in [0, 180]
    log10_step : float, initial log10 of the step, in [-12, -1]

    Returns
    -------
    Explorer
        ``result`` is `hvp_errors`'s dict.

    Used in: notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb
    """
    w1, w2 = np.meshgrid(np.linspace(-0.4, 1.6, 81), np.linspace(0.2, 2.2, 81))
    surface = np.vectorize(lambda a, b: curve_loss(np.array([a, b])))(w1, w2)

    def compute(angle: float, log10_step: float) -> dict:
        return hvp_errors(round(angle, 2), round(log10_step, 2))

    def setup(fig: Figure) -> dict:
        left, right = fig.subplots(1, 2)
        left.contour(w1, w2, surface, levels=np.quantile(surface, np.linspace(0.02, 0.9, 12)), colors="lightgray",
                     linewidths=0.8)
        left.plot(*CURVE_POINT, "o", color="black", ms=5)
        (v_line,) = left.plot([], [], "-", color=COLORS["blue"], linewidth=2.5, label="direction v")
        (hv_line,) = left.plot([], [], "--", color=COLORS["vermillion"], linewidth=2, label="H v (scaled)")
        left.set_xlim(-0.4, 1.6)
        left.set_ylim(0.2, 2.2)
        left.set_aspect("equal")
        left.set_xlabel("w1")
        left.set_ylabel("w2")
        left.legend(loc="lower left", fontsize=8)
        (curve,) = right.loglog(STEPS, np.ones_like(STEPS), "-", color=COLORS["blue"], linewidth=1.5,
                                label="central differences of ∇L")
        (chosen,) = right.loglog([1e-5], [1.0], "s", ms=7, color=COLORS["vermillion"], label="the chosen h")
        right.set_xlim(STEPS[0] / 3, STEPS[-1] * 3)
        right.set_ylim(1e-12, 10)
        right.set_xlabel("step h")
        right.set_ylabel("relative error against H v")
        right.legend(loc="upper center", fontsize=8)
        return {"v": v_line, "Hv": hv_line, "curve": curve, "chosen": chosen}

    def update(artists: dict, result: dict) -> None:
        start = CURVE_POINT
        tip = start + 0.6 * result["v"]
        hv = result["Hv"] / np.linalg.norm(result["Hv"]) * 0.6 * min(1.0, np.linalg.norm(result["Hv"]))
        artists["v"].set_data([start[0], tip[0]], [start[1], tip[1]])
        artists["Hv"].set_data([start[0], start[0] + hv[0]], [start[1], start[1] + hv[1]])
        artists["curve"].set_ydata(np.maximum(result["errors"], 1e-16))
        artists["chosen"].set_data([result["step"]], [max(result["error"], 1e-16)])

    def readout(result: dict) -> str:
        hv = result["Hv"]
        return (f"v = ({result['v'][0]:.2f}, {result['v'][1]:.2f}): H v = ({hv[0]:.4f}, {hv[1]:.4f}), curvature along "
                f"v: vᵀHv = {result['curvature']:.4f}; finite differences of the gradient at h = "
                f"{result['step']:.0e}: relative error {result['error']:.1e}")

    controls = {
        "angle": slider("direction of v (degrees)", angle, 0.0, 180.0, 5.0, continuous_update=False),
        "log10_step": slider("log10 of the step h", log10_step, -12.0, -1.0, 0.25, continuous_update=False),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(7.5, 3.6))
