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

Used in: notebooks/12-backprop-through-time.ipynb
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

    Used in: notebooks/12-backprop-through-time.ipynb
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

    Used in: notebooks/12-backprop-through-time.ipynb
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

    Used in: notebooks/12-backprop-through-time.ipynb
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

    Used in: notebooks/12-backprop-through-time.ipynb
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

    Used in: notebooks/12-backprop-through-time.ipynb
    """
    scores = _check_sequences(scores, "scores", label="C")
    N, T, C = scores.shape
    y = np.asarray(y)
    if y.shape != (N, T):
        raise ValueError(f"y must have shape (N, T) = ({N}, {T}), got {y.shape}")
    flat_scores, flat_y = scores.reshape(N * T, C), y.reshape(N * T)
    loss, dflat = softmax_cross_entropy_and_grad(flat_scores, flat_y)
    return loss, dflat.reshape(N, T, C)
