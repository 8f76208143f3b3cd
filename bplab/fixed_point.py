"""Recurrent backpropagation to a fixed point (Almeida 1987, Pineda 1987).

A recurrent network that *settles*: its hidden state h of shape (N, H) is updated with the same
weights again and again, from h = 0, until it stops changing:

    h_{k+1} = tanh(h_k @ W + x @ U + b)        x (N, D), U (D, H), W (H, H), b (H,)

The state it settles into is a **fixed point**, h* = tanh(h* @ W + x @ U + b). If the largest singular
value of W (its spectral norm ||W||_2) is below 1, the update is a contraction: each step shrinks the
change ||h_{k+1} - h_k|| at least by the factor ||W||_2 (tanh' <= 1), and the relaxation converges from
any start to the one fixed point. The condition is sufficient, not necessary: saturated units (tanh' < 1)
can make a relaxation with ||W||_2 > 1 settle too. Near a fixed point both relaxations (the state, and
the adjoint below) shrink their changes at the rate of the spectral radius of the Jacobian
J = diag(1 - h*^2) W.T of one step.

For a loss L(h*) with upstream gradient dh = dL/dh*, two ways give the weight gradients:

- ``unrolled_backward``: backpropagation through time over the K relaxation steps; it needs all K + 1
  stored states (memory grows with K).
- ``fixed_point_backward`` (Almeida-Pineda): relax the *linear* adjoint dynamics

      delta_{k+1} = dh + (delta_k * (1 - h*^2)) @ W.T

  to its own fixed point delta (the total gradient reaching h*), then da = delta * (1 - h*^2) gives
  dW = h*.T @ da, dU = x.T @ da, db = da summed over the batch, dx = da @ U.T. It needs only h*.

Residuals are Frobenius norms over the whole batch, ||h_{k+1} - h_k||, so the contraction bound
``residual_{k+1} <= ||W||_2 * residual_k`` holds step by step.

Without a contraction a fixed point still exists (tanh maps the cube [-1, 1]^H into itself: Brouwer's theorem), but
it may be unstable, so that the relaxations move away from it: ``newton_fixed_point`` solves for it directly, and
``implicit_backward`` gets the gradient there by one linear solve per example.

Used in: notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb, notebooks/15b-fixed-point-solvers.ipynb
"""

from __future__ import annotations

import numpy as np

from bplab._validate import as_array, as_count, as_labels, as_number
from bplab.functions import softmax_cross_entropy, softmax_cross_entropy_grad
from bplab.layers import Parameter

__all__ = ["relax", "fixed_point_backward", "unrolled_backward", "FixedPointClassifier", "newton_fixed_point",
           "implicit_backward"]


def _check_weights(x, W, U, b) -> tuple[np.ndarray, ...]:
    U = as_array(U, "U", ndim=2)
    D, H = U.shape
    x = as_array(x, "x", ndim=2)
    if x.shape[1] != D:
        raise ValueError(f"x must have shape (N, {D}) to match U of shape {U.shape}, got {x.shape}")
    W = as_array(W, "W", ndim=2)
    if W.shape != (H, H):
        raise ValueError(f"W must have shape ({H}, {H}) to match U of shape {U.shape}, got {W.shape}")
    b = as_array(b, "b", ndim=1)
    if b.shape != (H,):
        raise ValueError(f"b must have shape ({H},) to match U of shape {U.shape}, got {b.shape}")
    return x, W, U, b


def relax(x, W, U, b, h0=None, tol: float = 1e-10, max_iter: int = 1000,
          keep_states: bool = False) -> tuple[np.ndarray, dict]:
    """Iterate h <- tanh(h @ W + x @ U + b) from `h0` until the state stops changing.

    Stops after the first step k with ``||h_k - h_{k-1}|| < tol`` (Frobenius norm over the batch), or
    after `max_iter` steps.

    Parameters
    ----------
    x : array_like, shape (N, D), the inputs (held fixed while the state relaxes)
    W : array_like, shape (H, H), recurrent weights
    U : array_like, shape (D, H), input weights
    b : array_like, shape (H,), bias
    h0 : array_like, shape (N, H), optional; the starting state (default zeros)
    tol : float > 0, the residual at which to stop
    max_iter : int >= 1, most steps to take
    keep_states : bool
        Store every state h_0, ..., h_K (what `unrolled_backward` needs; memory grows with K).

    Returns
    -------
    h : ndarray, shape (N, H), the last state (the fixed point h* if ``cache["converged"]``)
    cache : dict
        ``"x", "W", "U", "b", "h"``; ``"iterations"`` (K, steps taken); ``"residuals"`` (ndarray (K,),
        ``||h_k - h_{k-1}||`` for k = 1..K); ``"converged"`` (bool); ``"states"`` (list of K + 1
        arrays (N, H) if `keep_states`, else None).

    Example
    -------
    >>> h, cache = relax(np.ones((2, 1)), 0.5 * np.eye(3), np.ones((1, 3)), np.zeros(3))
    >>> bool(cache["converged"]), np.allclose(h, np.tanh(h @ (0.5 * np.eye(3)) + 1.0))
    (True, True)

    Used in: notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb, notebooks/15b-fixed-point-solvers.ipynb
    """
    x, W, U, b = _check_weights(x, W, U, b)
    tol = as_number(tol, "tol", positive=True)
    max_iter = as_count(max_iter, "max_iter")
    N, H = x.shape[0], W.shape[0]
    h = np.zeros((N, H)) if h0 is None else as_array(h0, "h0", ndim=2)
    if h.shape != (N, H):
        raise ValueError(f"h0 must have shape (N, H) = ({N}, {H}), got {h.shape}")
    drive = x @ U + b  # the input's push, the same at every step
    states = [h] if keep_states else None
    residuals = []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging relaxation reports converged=False
        for _ in range(max_iter):
            h_new = np.tanh(h @ W + drive)
            residuals.append(float(np.linalg.norm(h_new - h)))
            h = h_new
            if keep_states:
                states.append(h)
            if residuals[-1] < tol:
                break
    converged = bool(residuals[-1] < tol)
    cache = {"x": x, "W": W, "U": U, "b": b, "h": h, "iterations": len(residuals),
             "residuals": np.array(residuals), "converged": converged, "states": states}
    return h, cache


def fixed_point_backward(dh, cache: dict, tol: float = 1e-10, max_iter: int = 1000) -> tuple[dict, dict]:
    """Almeida-Pineda recurrent backpropagation: the gradients at a fixed point from the fixed point alone.

    Relaxes the linear adjoint dynamics ``delta <- dh + (delta * (1 - h*^2)) @ W.T`` from delta = dh
    until ``||delta_k - delta_{k-1}|| < tol``, then forms the weight gradients from h* and delta.

    Parameters
    ----------
    dh : array_like, shape (N, H), upstream gradient dL/dh* (what the loss sends to the fixed point)
    cache : dict, from `relax` (only ``"x", "W", "U", "h"`` are used: no stored trajectory)
    tol : float > 0, the adjoint residual at which to stop
    max_iter : int >= 1, most adjoint steps

    Returns
    -------
    grads : dict of ndarray
        ``"x"`` (N, D), ``"W"`` (H, H), ``"U"`` (D, H), ``"b"`` (H,), and ``"h"`` (N, H): delta, the total
        gradient reaching h* (directly from the loss plus through all later steps of the recurrence).
    info : dict
        ``"iterations"``, ``"residuals"`` (ndarray), ``"converged"`` (bool), as in `relax`.

    Used in: notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb, notebooks/15b-fixed-point-solvers.ipynb
    """
    x, W, U, h = cache["x"], cache["W"], cache["U"], cache["h"]
    dh = as_array(dh, "dh")
    if dh.shape != h.shape:
        raise ValueError(f"dh must have the shape of the fixed point (N, H) = {h.shape}, got {dh.shape}")
    tol = as_number(tol, "tol", positive=True)
    max_iter = as_count(max_iter, "max_iter")
    slope = 1 - h**2  # tanh'(a) at the fixed point, written with h* itself
    delta, residuals = dh, []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(max_iter):
            delta_new = dh + (delta * slope) @ W.T  # direct part + what comes back through one more step
            residuals.append(float(np.linalg.norm(delta_new - delta)))
            delta = delta_new
            if residuals[-1] < tol:
                break
    da = delta * slope  # through tanh
    grads = {"x": da @ U.T, "W": h.T @ da, "U": x.T @ da, "b": da.sum(axis=0), "h": delta}  # b: sum over the batch
    info = {"iterations": len(residuals), "residuals": np.array(residuals), "converged": bool(residuals[-1] < tol)}
    return grads, info


def unrolled_backward(dh, cache: dict) -> dict:
    """Backpropagation through time over the stored relaxation steps h_0 -> h_1 -> ... -> h_K.

    The exact gradient of L(h_K), the state where `relax` stopped; it tends to the fixed-point gradient
    as K grows. Needs ``relax(..., keep_states=True)``.

    Parameters
    ----------
    dh : array_like, shape (N, H), upstream gradient dL/dh_K
    cache : dict, from ``relax(..., keep_states=True)``

    Returns
    -------
    dict of ndarray
        ``"x"`` (N, D), ``"W"`` (H, H), ``"U"`` (D, H), ``"b"`` (H,), ``"h0"`` (N, H).

    Used in: notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb
    """
    states = cache.get("states")
    if states is None:
        raise ValueError("unrolled_backward needs the stored states: run relax(..., keep_states=True)")
    x, W, U = cache["x"], cache["W"], cache["U"]
    dh = as_array(dh, "dh")
    if dh.shape != states[-1].shape:
        raise ValueError(f"dh must have the shape of the state (N, H) = {states[-1].shape}, got {dh.shape}")
    dW, dU, db, dx = np.zeros_like(W), np.zeros_like(U), np.zeros(W.shape[0]), np.zeros_like(x)
    for k in range(len(states) - 1, 0, -1):  # step k made states[k] from states[k - 1]
        da = dh * (1 - states[k] ** 2)  # through tanh
        dW += states[k - 1].T @ da  # the same W at every step: gradients add up
        dU += x.T @ da
        db += da.sum(axis=0)
        dx += da @ U.T  # x feeds every step too
        dh = da @ W.T  # what reaches the previous state
    return {"x": dx, "W": dW, "U": dU, "b": db, "h0": dh}


class FixedPointClassifier:
    """Relax to h* = tanh(h* @ W + X @ U + b), then score it: scores = h* @ V + c; trained with Almeida-Pineda.

    After each optimizer step call `keep_contracting` so that ||W||_2 stays below `max_norm` (the relaxation
    then always converges).

    Parameters
    ----------
    input_size : int, D
    hidden_size : int, H
    num_classes : int, C
    weight_norm : float, spectral norm ||W||_2 of the initial (random, non-symmetric) W
    rng : np.random.Generator or int, optional

    Attributes
    ----------
    W (H, H), U (D, H), b (H,), V (H, C), c (C,) : Parameter
    iterations : int, relaxation steps of the last forward pass
    adjoint_iterations : int, adjoint relaxation steps of the last `loss` (0 before the first)

    Used in: notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb
    """

    def __init__(self, input_size: int, hidden_size: int, num_classes: int, weight_norm: float = 0.5, rng=None):
        D, H, C = (as_count(v, n) for v, n in ((input_size, "input_size"), (hidden_size, "hidden_size"),
                                                (num_classes, "num_classes")))
        gen = np.random.default_rng(rng)
        W = gen.standard_normal((H, H))
        self.W = Parameter(W * as_number(weight_norm, "weight_norm", minimum=0.0) / np.linalg.norm(W, 2))
        self.U = Parameter(gen.standard_normal((D, H)) / np.sqrt(D))
        self.b = Parameter(np.zeros(H))
        self.V = Parameter(gen.standard_normal((H, C)) / np.sqrt(H))
        self.c = Parameter(np.zeros(C))
        self.iterations = 0
        self.adjoint_iterations = 0

    def parameters(self) -> list[Parameter]:
        return [self.W, self.U, self.b, self.V, self.c]

    def forward(self, X) -> np.ndarray:
        """Class scores, shape (N, C), for inputs X of shape (N, D)."""
        h, self._cache = relax(X, self.W.data, self.U.data, self.b.data)
        if not self._cache["converged"]:
            raise RuntimeError(f"the relaxation did not converge (||W||_2 = {np.linalg.norm(self.W.data, 2):.3f})")
        self.iterations = self._cache["iterations"]
        return h @ self.V.data + self.c.data

    def loss(self, X, y) -> float:
        """Softmax cross-entropy of `forward(X)`; fills every parameter's ``.grad`` (Almeida-Pineda)."""
        scores = self.forward(X)
        y = as_labels(y, "y", num_classes=scores.shape[1], length=scores.shape[0])
        dscores = softmax_cross_entropy_grad(scores, y)
        h = self._cache["h"]
        self.V.grad, self.c.grad = h.T @ dscores, dscores.sum(axis=0)
        grads, info = fixed_point_backward(dscores @ self.V.data.T, self._cache)
        self.adjoint_iterations = info["iterations"]
        self.W.grad, self.U.grad, self.b.grad = grads["W"], grads["U"], grads["b"]
        return softmax_cross_entropy(scores, y)

    def keep_contracting(self, max_norm: float = 0.9) -> float:
        """Scale W down if ||W||_2 > max_norm; return ||W||_2 afterwards."""
        norm = np.linalg.norm(self.W.data, 2)
        if norm > max_norm:
            self.W.data *= max_norm / norm
        return min(norm, max_norm)


# --- Solvers that do not need a contraction --------------------------------------------------------------------------
#
# A fixed point of h -> tanh(h W + x U + b) always exists: the map is continuous and sends the cube [-1, 1]^H (each
# example's state) into itself, so Brouwer's fixed-point theorem applies. It may be unstable (the spectral radius of
# J = diag(1 - h*^2) W^T above 1), and then plain relaxation moves away from it. Newton's method solves
# F(h) = h - tanh(h W + x U + b) = 0 instead, one linear solve per example and step; and the gradient at any fixed
# point where I - J is invertible is one more linear solve, delta (I - J) = dh (the implicit function theorem).


def newton_fixed_point(x, W, U, b, h0=None, tol: float = 1e-12, max_iter: int = 50) -> tuple[np.ndarray, dict]:
    """Solve h = tanh(h @ W + x @ U + b) by Newton's method, one example (row) at a time, with a halved step if needed.

    Each step linearizes F(h) = h - tanh(h W + x U + b) at the current state: F(h + e) is about
    F(h) + e (I - J^T) with J = diag(1 - t^2) W^T, t = tanh(h W + x U + b); so it solves (I - J) e^T = -F^T for
    every example and moves to h + e, halving the step while it does not make |F| of that example smaller
    (a backtracking line search). Near a root where I - J is invertible the residual falls quadratically; far
    from one, Newton may stall: start it from a nearby state (`h0`), e.g. a fixed point found for a nearby W.

    Parameters
    ----------
    x : array_like, shape (N, D); W : array_like, shape (H, H); U : array_like, shape (D, H); b : array_like, (H,)
    h0 : array_like, shape (N, H), optional; the starting state (default zeros)
    tol : float > 0, stop once ||F(h)|| (Frobenius over the batch) is below it
    max_iter : int >= 1, most Newton steps

    Returns
    -------
    h : ndarray, shape (N, H), the last state (a fixed point if ``cache["converged"]``)
    cache : dict
        As `relax` returns it, so `fixed_point_backward` and `implicit_backward` take it: ``"x", "W", "U", "b",
        "h"``, ``"iterations"`` (Newton steps taken), ``"residuals"`` (ndarray, ||F(h_k)|| for k = 0..K: the
        residual at the start too), ``"converged"``, ``"states"`` (None).

    Example
    -------
    >>> h, cache = newton_fixed_point(np.ones((2, 1)), 2.5 * np.eye(3), np.ones((1, 3)), -np.ones(3))
    >>> bool(cache["converged"]), np.abs(h - np.tanh(h @ (2.5 * np.eye(3)) + 1.0 - 1.0)).max() < 1e-12
    (True, True)

    Used in: notebooks/15b-fixed-point-solvers.ipynb
    """
    x, W, U, b = _check_weights(x, W, U, b)
    tol = as_number(tol, "tol", positive=True)
    max_iter = as_count(max_iter, "max_iter")
    N, H = x.shape[0], W.shape[0]
    h = np.zeros((N, H)) if h0 is None else as_array(h0, "h0", ndim=2).copy()
    if h.shape != (N, H):
        raise ValueError(f"h0 must have shape (N, H) = ({N}, {H}), got {h.shape}")
    drive = x @ U + b
    eye = np.eye(H)

    def residual(state):
        t = np.tanh(state @ W + drive)
        return state - t, t

    F, t = residual(h)
    residuals = [float(np.linalg.norm(F))]
    while residuals[-1] >= tol and len(residuals) <= max_iter:
        sizes = np.linalg.norm(F, axis=1)
        J = (1 - t**2)[:, :, None] * W.T  # diag(1 - t^2) W^T for every example: (N, H, H)
        try:
            step = np.linalg.solve(eye - J, -F[:, :, None])[:, :, 0]  # (I - J) e = -F, example by example
        except np.linalg.LinAlgError:  # a singular I - J: the least-squares step, example by example
            step = np.stack([np.linalg.lstsq(eye - J_n, -F_n, rcond=None)[0] for J_n, F_n in zip(J, F)])
        scale = np.ones(N)
        for _ in range(40):  # backtracking: halve the step of every example whose |F| did not go down
            trial = h + scale[:, None] * step
            F_trial, t_trial = residual(trial)
            worse = (np.linalg.norm(F_trial, axis=1) > (1 - 1e-4 * scale) * sizes) & (sizes > 0)
            if not worse.any():
                break
            scale[worse] /= 2
        h, F, t = trial, F_trial, t_trial
        residuals.append(float(np.linalg.norm(F)))
    cache = {"x": x, "W": W, "U": U, "b": b, "h": h, "iterations": len(residuals) - 1,
             "residuals": np.array(residuals), "converged": bool(residuals[-1] < tol), "states": None}
    return h, cache


def implicit_backward(dh, cache: dict) -> dict:
    """The gradients at a fixed point by one linear solve per example: delta (I - J) = dh, J = diag(1 - h*^2) W^T.

    The same equation `fixed_point_backward` relaxes (delta = dh + delta J), solved directly: it needs no
    contraction, only that I - J be invertible (then, by the implicit function theorem, the fixed point moves
    smoothly with the weights and this is its exact gradient), so it also works at an unstable fixed point, where
    the adjoint relaxation diverges.

    Parameters
    ----------
    dh : array_like, shape (N, H), upstream gradient dL/dh*
    cache : dict, from `relax` or `newton_fixed_point` (only ``"x", "W", "U", "h"`` are used)

    Returns
    -------
    dict of ndarray
        ``"x"`` (N, D), ``"W"`` (H, H), ``"U"`` (D, H), ``"b"`` (H,), ``"h"`` (N, H): delta, the total gradient
        reaching h*; as `fixed_point_backward`'s first result.

    Used in: notebooks/15b-fixed-point-solvers.ipynb
    """
    x, W, U, h = cache["x"], cache["W"], cache["U"], cache["h"]
    dh = as_array(dh, "dh")
    if dh.shape != h.shape:
        raise ValueError(f"dh must have the shape of the fixed point (N, H) = {h.shape}, got {dh.shape}")
    slope = 1 - h**2
    J = slope[:, :, None] * W.T  # (N, H, H)
    delta = np.linalg.solve(np.transpose(np.eye(W.shape[0]) - J, (0, 2, 1)), dh[:, :, None])[:, :, 0]
    da = delta * slope  # through tanh
    return {"x": da @ U.T, "W": h.T @ da, "U": x.T @ da, "b": da.sum(axis=0), "h": delta}  # b: sum over the batch
