"""A small vanilla recurrent network and backpropagation through time (BPTT).

One hidden state ``h_t`` of shape (N, H) is carried along the sequence:

    a_t = x_t @ Wx + h_{t-1} @ Wh + b        (N, H)
    h_t = tanh(a_t)                          (N, H)
    scores_t = h_t @ Wy + by                 (N, C)

with ``x`` of shape (N, T, D): N sequences, T time steps, D features per step.
The same weights are used at every step, so their gradients are sums over time.
Backward walks the steps in reverse; the gradient reaching ``h_{t-1}`` is

    dh_{t-1} = (dh_{t-1} from the output at t-1) + (dh_t * (1 - h_t^2)) @ Wh^T

and it is this product of ``Wh^T`` factors that makes gradients vanish or explode through time.
*Truncated* BPTT (``truncate=k``) cuts that second term every k steps (at t = k, 2k, ...), as if
the hidden state entering each chunk of k steps were a constant.

The LSTM (`lstm_step_forward`, `lstm_forward`, `lstm_backward`, `LSTM`) adds a gated cell state
c_t = f * c_{t-1} + i * g beside h_t; backward, c passes its gradient to c_{t-1} through the forget gate alone.

Used in: notebooks/12-backprop-through-time.ipynb, notebooks/12b-gated-recurrence-and-clipping.ipynb
"""

from __future__ import annotations

import numpy as np

from bplab._validate import as_array, as_count, as_number
from bplab.functions import softmax_cross_entropy_and_grad
from bplab.layers import Layer, Parameter


def _check_sequences(x, name: str, last: int | None = None, label: str = "D") -> np.ndarray:
    x = as_array(x, name)
    if x.ndim != 3 or (last is not None and x.shape[2] != last):
        wanted = f"(N, T, {last})" if last is not None else f"(N, T, {label})"
        raise ValueError(f"{name} must have shape {wanted}, got {x.shape}")
    return x


def recurrent_weights(
    hidden_size: int, spectral_radius: float = 1.0, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """A random orthogonal (H, H) matrix times `spectral_radius`.

    Every eigenvalue and every singular value then has magnitude exactly `spectral_radius`, so each
    step back through time (while tanh stays in its linear part) scales a gradient's norm by it.

    Parameters
    ----------
    hidden_size : int, H
    spectral_radius : float >= 0
    rng : np.random.Generator or int, optional

    Returns
    -------
    Wh : ndarray, shape (H, H), float64

    Used in: notebooks/12-backprop-through-time.ipynb, notebooks/12c-the-echo-state-view.ipynb
    """
    hidden_size = as_count(hidden_size, "hidden_size")
    spectral_radius = as_number(spectral_radius, "spectral_radius", minimum=0.0)
    q, r = np.linalg.qr(np.random.default_rng(rng).standard_normal((hidden_size, hidden_size)))
    q = q * np.sign(np.diag(r))  # makes the draw uniform over orthogonal matrices
    return spectral_radius * q


def rnn_forward(x, h0, Wx, Wh, b) -> tuple[np.ndarray, dict]:
    """Run the tanh recurrence over a whole sequence.

    Parameters
    ----------
    x : array_like, shape (N, T, D), the inputs at every step
    h0 : array_like, shape (N, H), the hidden state before the first step
    Wx : array_like, shape (D, H), input-to-hidden weights
    Wh : array_like, shape (H, H), hidden-to-hidden weights
    b : array_like, shape (H,), hidden bias

    Returns
    -------
    h : ndarray, shape (N, T, H), the hidden state after every step
    cache : dict, what `rnn_backward` needs

    Used in: notebooks/12-backprop-through-time.ipynb, notebooks/12c-the-echo-state-view.ipynb
    """
    Wx = as_array(Wx, "Wx", ndim=2)
    D, H = Wx.shape
    x = _check_sequences(x, "x", D)
    N, T, _ = x.shape
    Wh = as_array(Wh, "Wh", ndim=2)
    if Wh.shape != (H, H):
        raise ValueError(f"Wh must have shape ({H}, {H}) to match Wx of shape {Wx.shape}, got {Wh.shape}")
    b = as_array(b, "b", ndim=1)
    if b.shape != (H,):
        raise ValueError(f"b must have shape ({H},), got {b.shape}")
    h0 = as_array(h0, "h0", ndim=2)
    if h0.shape != (N, H):
        raise ValueError(f"h0 must have shape (N, H) = ({N}, {H}), got {h0.shape}")
    h = np.empty((N, T, H), dtype=np.result_type(x, Wx, Wh, b, h0))
    h_prev = h0
    for t in range(T):
        h_prev = np.tanh(x[:, t] @ Wx + h_prev @ Wh + b)
        h[:, t] = h_prev
    return h, {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "h": h}


def rnn_backward(dh, cache: dict, truncate: int | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time for `rnn_forward`.

    Parameters
    ----------
    dh : array_like, shape (N, T, H)
        Gradient of the loss with respect to each step's hidden state, *from that step's output
        only* (what the output layer sends down); the part that flows back through time is added here.
    cache : dict, from `rnn_forward`
    truncate : int, optional
        Truncated BPTT: no gradient flows from step t back to step t-1 when t is a multiple of
        `truncate` (chunks of `truncate` steps). None (default) or truncate >= T is full BPTT.

    Returns
    -------
    dict of ndarray
        ``"x"`` (N, T, D), ``"h0"`` (N, H), ``"Wx"`` (D, H), ``"Wh"`` (H, H), ``"b"`` (H,), and
        ``"h"`` (N, T, H): the total gradient reaching each hidden state (output + through time).

    Used in: notebooks/12-backprop-through-time.ipynb
    """
    x, h0, Wx, Wh, h = (cache[k] for k in ("x", "h0", "Wx", "Wh", "h"))
    N, T, H = h.shape
    dh = as_array(dh, "dh")
    if dh.shape != h.shape:
        raise ValueError(f"dh must have the shape of the hidden states (N, T, H) = {h.shape}, got {dh.shape}")
    if truncate is not None:
        truncate = as_count(truncate, "truncate")
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H, dtype=h.dtype)
    dh_total = np.zeros_like(h)
    dh_next = np.zeros((N, H), dtype=h.dtype)  # gradient arriving from step t+1
    for t in reversed(range(T)):
        dh_total[:, t] = dh[:, t] + dh_next
        da = dh_total[:, t] * (1 - h[:, t] ** 2)  # through tanh: d tanh(a)/da = 1 - tanh(a)^2
        h_prev = h[:, t - 1] if t > 0 else h0
        dWx += x[:, t].T @ da  # the same Wx at every step: gradients add up over time
        dWh += h_prev.T @ da
        db += da.sum(axis=0)  # the bias touches every example and every step
        dx[:, t] = da @ Wx.T
        dh_next = da @ Wh.T
        if truncate is not None and t > 0 and t % truncate == 0:
            dh_next = np.zeros_like(dh_next)  # truncated BPTT: h_{t-1} is treated as a constant
    return {"x": dx, "h0": dh_next, "Wx": dWx, "Wh": dWh, "b": db, "h": dh_total}


class RNN(Layer):
    """A vanilla tanh RNN with a linear output layer at every step; a `bplab.layers.Layer`, so
    `parameters()`, `zero_grad()` and `bplab.gradcheck.check_layer` work on it as on any layer.

    Parameters
    ----------
    input_size : int, D
    hidden_size : int, H
    output_size : int, C (class scores or regression outputs per step)
    spectral_radius : float, the scale of the orthogonal initial Wh (see `recurrent_weights`)
    rng : np.random.Generator or int, optional

    Attributes
    ----------
    Wx : Parameter (D, H); Wh : Parameter (H, H); b : Parameter (H,)
    Wy : Parameter (H, C); by : Parameter (C,)
    dh0 : ndarray (N, H), gradient with respect to h0 after `backward`

    Examples
    --------
    >>> model = RNN(1, 8, 2, rng=0)
    >>> model.forward(np.zeros((4, 5, 1))).shape
    (4, 5, 2)

    Used in: notebooks/12-backprop-through-time.ipynb,
    notebooks/12b-gated-recurrence-and-clipping.ipynb, notebooks/12c-the-echo-state-view.ipynb
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, spectral_radius: float = 0.9,
                 rng: np.random.Generator | int | None = None):
        self.input_size = as_count(input_size, "input_size")
        self.hidden_size = as_count(hidden_size, "hidden_size")
        self.output_size = as_count(output_size, "output_size")
        rng = np.random.default_rng(rng)
        D, H, C = self.input_size, self.hidden_size, self.output_size
        self.Wx = Parameter(rng.standard_normal((D, H)) / np.sqrt(D))
        self.Wh = Parameter(recurrent_weights(H, spectral_radius, rng))
        self.b = Parameter(np.zeros(H))
        self.Wy = Parameter(rng.standard_normal((H, C)) / np.sqrt(H))
        self.by = Parameter(np.zeros(C))
        self.cache: dict | None = None

    def forward(self, x, h0=None) -> np.ndarray:
        """x: (N, T, D), h0: (N, H) or None for zeros -> scores: (N, T, C)."""
        x = _check_sequences(x, "x", self.input_size)
        if h0 is None:
            h0 = np.zeros((x.shape[0], self.hidden_size))
        h, cache = rnn_forward(x, h0, self.Wx.data, self.Wh.data, self.b.data)
        self.cache = cache
        return h @ self.Wy.data + self.by.data

    __call__ = forward

    def backward(self, dscores, truncate: int | None = None) -> np.ndarray:
        """dscores: (N, T, C) -> dx: (N, T, D); stores every parameter's .grad (overwriting) and self.dh0.

        `truncate` as in `rnn_backward` (None: full BPTT).
        """
        if self.cache is None:
            raise RuntimeError("RNN.backward called before forward")
        h = self.cache["h"]
        dscores = as_array(dscores, "dscores")
        if dscores.shape != h.shape[:2] + (self.output_size,):
            raise ValueError(f"dscores must have shape (N, T, C) = {h.shape[:2] + (self.output_size,)}, "
                             f"got {dscores.shape}")
        self.Wy.grad = np.einsum("nth,ntc->hc", h, dscores)  # Wy is shared by all steps: sum over time
        self.by.grad = dscores.sum(axis=(0, 1))
        grads = rnn_backward(dscores @ self.Wy.data.T, self.cache, truncate)
        self.Wx.grad, self.Wh.grad, self.b.grad = grads["Wx"], grads["Wh"], grads["b"]
        self.dh0 = grads["h0"]
        return grads["x"]

    def __repr__(self) -> str:
        return f"RNN({self.input_size}, {self.hidden_size}, {self.output_size})"


def delayed_echo(num_sequences: int = 200, seq_len: int = 10, delay: int = 2,
                 rng: np.random.Generator | int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A toy memory task: output at step t the random bit that came in at step t - delay.

    Parameters
    ----------
    num_sequences : int, N
    seq_len : int, T (greater than delay)
    delay : int >= 0, how many steps the network must remember
    rng : np.random.Generator or int, optional

    Returns
    -------
    x : ndarray, shape (N, T, 1), float64 bits 0.0 / 1.0
    y : ndarray, shape (N, T), int64 labels: y[:, t] = x[:, t - delay] for t >= delay, else 0

    Used in: notebooks/12-backprop-through-time.ipynb,
    notebooks/12b-gated-recurrence-and-clipping.ipynb, notebooks/12c-the-echo-state-view.ipynb
    """
    num_sequences = as_count(num_sequences, "num_sequences")
    seq_len = as_count(seq_len, "seq_len")
    delay = as_count(delay, "delay", minimum=0)
    if delay >= seq_len:
        raise ValueError(f"delay must be smaller than seq_len ({seq_len}), got {delay}")
    bits = np.random.default_rng(rng).integers(0, 2, size=(num_sequences, seq_len))
    y = np.zeros_like(bits)
    y[:, delay:] = bits[:, : seq_len - delay]
    return bits[:, :, None].astype(np.float64), y.astype(np.int64)


def sequence_cross_entropy(scores, y) -> tuple[float, np.ndarray]:
    """Softmax cross-entropy averaged over every sequence and step, and its gradient.

    Parameters
    ----------
    scores : array_like, shape (N, T, C)
    y : array_like of int, shape (N, T), labels in 0..C-1

    Returns
    -------
    loss : float
    dscores : ndarray, shape (N, T, C)

    Used in: notebooks/12-backprop-through-time.ipynb,
    notebooks/12b-gated-recurrence-and-clipping.ipynb, notebooks/12c-the-echo-state-view.ipynb
    """
    scores = _check_sequences(scores, "scores", label="C")
    N, T, C = scores.shape
    y = np.asarray(y)
    if y.shape != (N, T):
        raise ValueError(f"y must have shape (N, T) = ({N}, {T}), got {y.shape}")
    flat_scores, flat_y = scores.reshape(N * T, C), y.reshape(N * T)
    loss, dflat = softmax_cross_entropy_and_grad(flat_scores, flat_y)
    return loss, dflat.reshape(N, T, C)


# --- A gated cell: the LSTM ---------------------------------------------------------------------------------------
#
# Hochreiter and Schmidhuber (1997), with the forget gate of Gers, Schmidhuber and Cummins (2000). Per step, for a
# batch of N examples with H units, one pre-activation of shape (N, 4H) holds the four parts side by side, in the
# order i, f, o, g (as in CS231n):
#
#     a_t = x_t @ Wx + h_{t-1} @ Wh + b                          (N, 4H); Wx (D, 4H), Wh (H, 4H), b (4H,)
#     i, f, o = sigmoid(a_t[:, :H]), sigmoid(a_t[:, H:2H]), sigmoid(a_t[:, 2H:3H])       input, forget, output gates
#     g = tanh(a_t[:, 3H:])                                                               the candidate
#     c_t = f * c_{t-1} + i * g                                                           the cell state: added to
#     h_t = o * tanh(c_t)
#
# Backward, the cell state passes its gradient to c_{t-1} through one elementwise factor, dc_{t-1} = dc_t * f:
# no matrix and no squashing on that path, which is why it carries gradients further than the vanilla RNN's h.


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # = 1 / (1 + exp(-a)), without overflow


def _check_lstm_weights(Wx, Wh, b) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    Wx = as_array(Wx, "Wx", ndim=2)
    if Wx.shape[1] % 4:
        raise ValueError(f"Wx must have shape (D, 4H): its second size must be a multiple of 4, got {Wx.shape}")
    H = Wx.shape[1] // 4
    Wh = as_array(Wh, "Wh", ndim=2)
    if Wh.shape != (H, 4 * H):
        raise ValueError(f"Wh must have shape (H, 4H) = ({H}, {4 * H}) to match Wx of shape {Wx.shape}, got {Wh.shape}")
    b = as_array(b, "b", ndim=1)
    if b.shape != (4 * H,):
        raise ValueError(f"b must have shape (4H,) = ({4 * H},), got {b.shape}")
    return Wx, Wh, b, H


def lstm_step_forward(x_t, h_prev, c_prev, Wx, Wh, b) -> tuple[np.ndarray, np.ndarray, dict]:
    """One step of an LSTM cell.

    Parameters
    ----------
    x_t : array_like, shape (N, D), the inputs of this step
    h_prev, c_prev : array_like, shape (N, H), the hidden state and the cell state before it
    Wx : array_like, shape (D, 4H); Wh : array_like, shape (H, 4H); b : array_like, shape (4H,)
        The weights of the four parts side by side, in the order input gate, forget gate, output gate, candidate.

    Returns
    -------
    h_t, c_t : ndarray, shape (N, H)
    cache : dict, what `lstm_step_backward` needs: the inputs, the gates ``"i", "f", "o"``, the candidate ``"g"``
        and ``"tanh_c"``, each (N, H)

    Used in: notebooks/12b-gated-recurrence-and-clipping.ipynb
    """
    Wx, Wh, b, H = _check_lstm_weights(Wx, Wh, b)
    x_t = as_array(x_t, "x_t", ndim=2)
    if x_t.shape[1] != Wx.shape[0]:
        raise ValueError(f"x_t must have shape (N, {Wx.shape[0]}) to match Wx of shape {Wx.shape}, got {x_t.shape}")
    N = x_t.shape[0]
    h_prev, c_prev = as_array(h_prev, "h_prev", ndim=2), as_array(c_prev, "c_prev", ndim=2)
    for name, state in (("h_prev", h_prev), ("c_prev", c_prev)):
        if state.shape != (N, H):
            raise ValueError(f"{name} must have shape (N, H) = ({N}, {H}), got {state.shape}")
    a = x_t @ Wx + h_prev @ Wh + b  # (N, 4H): the four pre-activations side by side
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H : 2 * H]), _sigmoid(a[:, 2 * H : 3 * H])
    g = np.tanh(a[:, 3 * H :])
    c_t = f * c_prev + i * g  # keep a share f of the old cell, add a share i of the candidate
    tanh_c = np.tanh(c_t)
    h_t = o * tanh_c
    cache = {"x": x_t, "h_prev": h_prev, "c_prev": c_prev, "Wx": Wx, "Wh": Wh,
             "i": i, "f": f, "o": o, "g": g, "tanh_c": tanh_c}
    return h_t, c_t, cache


def lstm_step_backward(dh_t, dc_t, cache: dict) -> tuple[np.ndarray, ...]:
    """Backward through one LSTM step.

    Parameters
    ----------
    dh_t : array_like, shape (N, H), the total gradient reaching h_t
    dc_t : array_like, shape (N, H), the gradient reaching c_t from the next step (zeros at the last step)
    cache : dict, from `lstm_step_forward`

    Returns
    -------
    dx_t (N, D), dh_prev (N, H), dc_prev (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,)

    Used in: notebooks/12b-gated-recurrence-and-clipping.ipynb
    """
    i, f, o, g, tanh_c = (cache[k] for k in ("i", "f", "o", "g", "tanh_c"))
    dh_t, dc_t = as_array(dh_t, "dh_t"), as_array(dc_t, "dc_t")
    for name, grad in (("dh_t", dh_t), ("dc_t", dc_t)):
        if grad.shape != i.shape:
            raise ValueError(f"{name} must have the shape of the states (N, H) = {i.shape}, got {grad.shape}")
    dc = dc_t + dh_t * o * (1 - tanh_c**2)  # c_t reaches the loss twice: through the next step, and through h_t
    di, df, do, dg = dc * g, dc * cache["c_prev"], dh_t * tanh_c, dc * i
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o),  # sigmoid' = s (1 - s)
                         dg * (1 - g**2)], axis=1)  # tanh' = 1 - tanh^2; da: (N, 4H), in the order i, f, o, g
    dx_t = da @ cache["Wx"].T
    dh_prev = da @ cache["Wh"].T
    dc_prev = dc * f  # the additive path: one elementwise factor, no matrix
    dWx, dWh, db = cache["x"].T @ da, cache["h_prev"].T @ da, da.sum(axis=0)  # the bias: a sum over the batch
    return dx_t, dh_prev, dc_prev, dWx, dWh, db


def lstm_forward(x, h0, c0, Wx, Wh, b) -> tuple[np.ndarray, dict]:
    """Run an LSTM over a whole sequence.

    Parameters
    ----------
    x : array_like, shape (N, T, D)
    h0, c0 : array_like, shape (N, H), the states before the first step
    Wx : array_like, shape (D, 4H); Wh : array_like, shape (H, 4H); b : array_like, shape (4H,)
        In the order input gate, forget gate, output gate, candidate (see `lstm_step_forward`).

    Returns
    -------
    h : ndarray, shape (N, T, H), the hidden state after every step
    cache : dict, what `lstm_backward` needs; ``cache["c"]`` (N, T, H) holds the cell states and
        ``cache["f"]`` (N, T, H) the forget gates

    Used in: notebooks/12b-gated-recurrence-and-clipping.ipynb
    """
    Wx, Wh, b, H = _check_lstm_weights(Wx, Wh, b)
    x = _check_sequences(x, "x", Wx.shape[0])
    N, T, _ = x.shape
    h_prev, c_prev = as_array(h0, "h0", ndim=2), as_array(c0, "c0", ndim=2)
    for name, state in (("h0", h_prev), ("c0", c_prev)):
        if state.shape != (N, H):
            raise ValueError(f"{name} must have shape (N, H) = ({N}, {H}), got {state.shape}")
    h, c, f = np.empty((N, T, H)), np.empty((N, T, H)), np.empty((N, T, H))
    steps = []
    for t in range(T):
        h_prev, c_prev, step = lstm_step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)
        h[:, t], c[:, t], f[:, t] = h_prev, c_prev, step["f"]
        steps.append(step)
    return h, {"x": x, "h": h, "c": c, "f": f, "steps": steps}


def lstm_backward(dh, cache: dict) -> dict[str, np.ndarray]:
    """Backpropagation through time for `lstm_forward`.

    Parameters
    ----------
    dh : array_like, shape (N, T, H)
        Gradient of the loss with respect to each step's hidden state from that step's output only; what flows
        back through time (through h and through c) is added here.
    cache : dict, from `lstm_forward`

    Returns
    -------
    dict of ndarray
        ``"x"`` (N, T, D), ``"h0"``, ``"c0"`` (N, H), ``"Wx"`` (D, 4H), ``"Wh"`` (H, 4H), ``"b"`` (4H,), and the total
        gradients reaching every state, ``"h"`` and ``"c"`` (N, T, H).

    Used in: notebooks/12b-gated-recurrence-and-clipping.ipynb
    """
    steps, h = cache["steps"], cache["h"]
    dh = as_array(dh, "dh")
    if dh.shape != h.shape:
        raise ValueError(f"dh must have the shape of the hidden states (N, T, H) = {h.shape}, got {dh.shape}")
    N, T, H = h.shape
    Wx, Wh = steps[0]["Wx"], steps[0]["Wh"]
    dx = np.zeros(cache["x"].shape)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
    dh_total, dc_total = np.zeros((N, T, H)), np.zeros((N, T, H))
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))  # what arrives from step t + 1
    for t in reversed(range(T)):
        dh_total[:, t] = dh[:, t] + dh_next
        dc_total[:, t] = dc_next + dh_total[:, t] * steps[t]["o"] * (1 - steps[t]["tanh_c"] ** 2)
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh_total[:, t], dc_next, steps[t])
        dWx += dWx_t  # the same weights at every step: their gradients add up over time
        dWh += dWh_t
        db += db_t
    return {"x": dx, "h0": dh_next, "c0": dc_next, "Wx": dWx, "Wh": dWh, "b": db, "h": dh_total, "c": dc_total}


def lstm_weights(input_size: int, hidden_size: int, forget_bias: float = 1.0,
                 rng: np.random.Generator | int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Initial LSTM weights: Wx (D, 4H) with variance 1/D, Wh (H, 4H) with variance 1/H, b zero but `forget_bias`.

    A positive forget-gate bias starts every forget gate near sigmoid(forget_bias) (0.73 for 1), so the cell keeps
    most of its state, and its gradient, from one step to the next (Gers, Schmidhuber and Cummins 2000;
    Jozefowicz, Zaremba and Sutskever 2015 recommend 1).

    Returns
    -------
    Wx : ndarray (D, 4H); Wh : ndarray (H, 4H); b : ndarray (4H,), in the order i, f, o, g

    Used in: notebooks/12b-gated-recurrence-and-clipping.ipynb
    """
    D, H = as_count(input_size, "input_size"), as_count(hidden_size, "hidden_size")
    rng = np.random.default_rng(rng)
    Wx = rng.standard_normal((D, 4 * H)) / np.sqrt(D)
    Wh = rng.standard_normal((H, 4 * H)) / np.sqrt(H)
    b = np.zeros(4 * H)
    b[H : 2 * H] = as_number(forget_bias, "forget_bias")
    return Wx, Wh, b


class LSTM(Layer):
    """An LSTM with a linear output layer at every step; a `bplab.layers.Layer` like `RNN`.

    Parameters
    ----------
    input_size : int, D
    hidden_size : int, H
    output_size : int, C
    forget_bias : float, the initial bias of the forget gates (see `lstm_weights`)
    rng : np.random.Generator or int, optional

    Attributes
    ----------
    Wx : Parameter (D, 4H); Wh : Parameter (H, 4H); b : Parameter (4H,); Wy : Parameter (H, C); by : Parameter (C,)

    Used in: notebooks/12b-gated-recurrence-and-clipping.ipynb
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, forget_bias: float = 1.0,
                 rng: np.random.Generator | int | None = None):
        self.input_size = as_count(input_size, "input_size")
        self.hidden_size = as_count(hidden_size, "hidden_size")
        self.output_size = as_count(output_size, "output_size")
        rng = np.random.default_rng(rng)
        Wx, Wh, b = lstm_weights(self.input_size, self.hidden_size, forget_bias, rng)
        self.Wx, self.Wh, self.b = Parameter(Wx), Parameter(Wh), Parameter(b)
        self.Wy = Parameter(rng.standard_normal((self.hidden_size, self.output_size)) / np.sqrt(self.hidden_size))
        self.by = Parameter(np.zeros(self.output_size))
        self.cache: dict | None = None

    def forward(self, x, h0=None, c0=None) -> np.ndarray:
        """x: (N, T, D); h0, c0: (N, H) or None for zeros -> scores: (N, T, C)."""
        x = _check_sequences(x, "x", self.input_size)
        zeros = np.zeros((x.shape[0], self.hidden_size))
        h, cache = lstm_forward(x, zeros if h0 is None else h0, zeros if c0 is None else c0,
                                self.Wx.data, self.Wh.data, self.b.data)
        self.cache = cache
        return h @ self.Wy.data + self.by.data

    __call__ = forward

    def backward(self, dscores) -> np.ndarray:
        """dscores: (N, T, C) -> dx: (N, T, D); stores every parameter's .grad (overwriting)."""
        if self.cache is None:
            raise RuntimeError("LSTM.backward called before forward")
        h = self.cache["h"]
        dscores = as_array(dscores, "dscores")
        if dscores.shape != h.shape[:2] + (self.output_size,):
            raise ValueError(f"dscores must have shape (N, T, C) = {h.shape[:2] + (self.output_size,)}, "
                             f"got {dscores.shape}")
        self.Wy.grad = np.einsum("nth,ntc->hc", h, dscores)  # Wy is shared by all steps: sum over time
        self.by.grad = dscores.sum(axis=(0, 1))
        grads = lstm_backward(dscores @ self.Wy.data.T, self.cache)
        self.Wx.grad, self.Wh.grad, self.b.grad = grads["Wx"], grads["Wh"], grads["b"]
        return grads["x"]

    def __repr__(self) -> str:
        return f"LSTM({self.input_size}, {self.hidden_size}, {self.output_size})"
