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
from bplab.plots import COLORS
from bplab.rnn import LSTM, RNN, recurrent_weights, rnn_forward, sequence_cross_entropy
from bplab.widgets._core import Explorer, dropdown, fixed_ylabel, int_slider, slider

__all__ = ["gradient_reach", "gate_reach_explorer", "memory_curve", "memory_explorer"]


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
        return (f"memory capacity MC = {result['capacity']:.1f} (at most H = {result['hidden_size']}); "
                f"MF_k > 0.5 up to k = {result['reach']}; spectral radius {result['spectral_radius']:.2f}, "
                f"input size {result['input_scale']:g}")

    controls = {
        "spectral_radius": slider("spectral radius of Wh", spectral_radius, 0.1, 1.5, 0.05, continuous_update=False),
        "input_scale": dropdown("input size", [0.01, 0.1, 0.3, 1.0, 3.0], input_scale),
        "hidden_size": int_slider("units H", hidden_size, 5, 40, 5, continuous_update=False),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(7.0, 3.6))
