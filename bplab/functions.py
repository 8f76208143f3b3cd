"""Activations and losses, each with its derivative, stable for inputs up to |z| = 1e4.

Activations work elementwise on arrays of any shape: ``f(z)`` and ``f_derivative(z) = df/dz``.
Losses return a float (the mean over examples) and ``loss_grad`` returns d loss / d prediction,
with the shape of the prediction.

Used in: notebooks/04-a-single-neuron.ipynb, notebooks/05-loss-and-gradient-descent.ipynb,
notebooks/05d-your-engine-trains-a-network.ipynb,
notebooks/07-vectorized-backprop.ipynb, notebooks/09c-watching-training.ipynb,
notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb
"""

from __future__ import annotations

import numpy as np

from bplab._validate import as_array, as_labels, as_number, check_same_shape


def sigmoid(z) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-z)), computed without overflow.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    ndarray, shape of z, values in [0, 1]
    """
    z = as_array(z, "z")
    # exp(-|z|) never overflows; pick the form that divides by a number >= 1
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(z) -> np.ndarray:
    """d sigmoid(z) / dz = s (1 - s), at most 0.25 (at z = 0)."""
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z) -> np.ndarray:
    """Hyperbolic tangent, values in [-1, 1]."""
    return np.tanh(as_array(z, "z"))


def tanh_derivative(z) -> np.ndarray:
    """d tanh(z) / dz = 1 - tanh(z)^2."""
    return 1 - tanh(z) ** 2


def relu(z) -> np.ndarray:
    """max(z, 0)."""
    return np.maximum(as_array(z, "z"), 0)


def relu_derivative(z) -> np.ndarray:
    """1 where z > 0, else 0 (we pick 0 at z = 0)."""
    return (as_array(z, "z") > 0).astype(float)


def leaky_relu(z, slope: float = 0.01) -> np.ndarray:
    """z where z > 0, else slope * z."""
    z = as_array(z, "z")
    return np.where(z > 0, z, as_number(slope, "slope") * z)


def leaky_relu_derivative(z, slope: float = 0.01) -> np.ndarray:
    """1 where z > 0, else slope."""
    return np.where(as_array(z, "z") > 0, 1.0, as_number(slope, "slope"))


def log_softmax(z) -> np.ndarray:
    """log softmax(z) along the last axis, by the log-sum-exp trick (subtract the max first)."""
    z = as_array(z, "z")
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z) -> np.ndarray:
    """exp(z) / sum(exp(z)) along the last axis; rows sum to 1.

    Parameters
    ----------
    z : array_like, shape (..., C)

    Returns
    -------
    ndarray, shape (..., C)
    """
    return np.exp(log_softmax(z))


def softmax_jacobian(z) -> np.ndarray:
    """d softmax(z)_i / d z_j = p_i (delta_ij - p_j) for one score vector.

    Parameters
    ----------
    z : array_like, shape (C,)

    Returns
    -------
    ndarray, shape (C, C)
    """
    p = softmax(as_array(z, "z", ndim=1))
    return np.diag(p) - np.outer(p, p)


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
}


def _pair(y_hat, y, name_hat: str = "y_hat") -> tuple[np.ndarray, np.ndarray]:
    y_hat, y = as_array(y_hat, name_hat, nonempty=True), as_array(y, "y")
    check_same_shape(y_hat, y, name_hat, "y")
    return y_hat, y


def mse(y_hat, y) -> float:
    """Mean squared error: mean over all elements of (y_hat - y)^2.

    Parameters
    ----------
    y_hat : array_like, predictions, any shape
    y : array_like, targets, same shape as y_hat
    """
    y_hat, y = _pair(y_hat, y)
    return float(np.mean((y_hat - y) ** 2))


def mse_grad(y_hat, y) -> np.ndarray:
    """d mse / d y_hat = 2 (y_hat - y) / (number of elements); shape of y_hat."""
    y_hat, y = _pair(y_hat, y)
    return 2 * (y_hat - y) / y_hat.size


def _check_binary(y) -> None:
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"y must hold targets in [0, 1], got values from {y.min()} to {y.max()}")


def binary_cross_entropy(p, y, eps: float = 1e-12) -> float:
    """Mean of -[y log p + (1 - y) log(1 - p)] for probabilities p (clipped to [eps, 1 - eps]).

    Parameters
    ----------
    p : array_like, predicted probabilities in [0, 1], any shape
    y : array_like, targets in [0, 1], same shape as p
    """
    p, y = _pair(p, y, "p")
    _check_binary(y)
    p = np.clip(p, eps, 1 - eps)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def binary_cross_entropy_grad(p, y, eps: float = 1e-12) -> np.ndarray:
    """d bce / d p = (p - y) / (p (1 - p)) / (number of elements); shape of p."""
    p, y = _pair(p, y, "p")
    _check_binary(y)
    p = np.clip(p, eps, 1 - eps)
    return (p - y) / (p * (1 - p)) / p.size


def binary_cross_entropy_with_logits(z, y) -> float:
    """Binary cross-entropy of sigmoid(z), computed from the logits z without overflow.

    Uses -[y log s + (1-y) log(1-s)] = max(z, 0) - z y + log(1 + exp(-|z|)).
    """
    z, y = _pair(z, y, "z")
    _check_binary(y)
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def binary_cross_entropy_with_logits_grad(z, y) -> np.ndarray:
    """d bce / d z = (sigmoid(z) - y) / (number of elements); shape of z."""
    z, y = _pair(z, y, "z")
    _check_binary(y)
    return (sigmoid(z) - y) / z.size


def _scores_labels(scores, y) -> tuple[np.ndarray, np.ndarray]:
    scores = as_array(scores, "scores", ndim=2, nonempty=True)
    return scores, as_labels(y, "y", num_classes=scores.shape[1], length=scores.shape[0])


def softmax_cross_entropy(scores, y) -> float:
    """Mean over examples of -log softmax(scores)[y].

    Parameters
    ----------
    scores : array_like, shape (N, C), unnormalized class scores (logits)
    y : array_like of int, shape (N,), labels in 0..C-1
    """
    scores, y = _scores_labels(scores, y)
    return float(-np.mean(log_softmax(scores)[np.arange(len(y)), y]))


def softmax_cross_entropy_grad(scores, y) -> np.ndarray:
    """d loss / d scores = (softmax(scores) - one_hot(y)) / N; shape (N, C)."""
    return softmax_cross_entropy_and_grad(scores, y)[1]


def softmax_cross_entropy_and_grad(scores, y) -> tuple[float, np.ndarray]:
    """Both at once, as CS231n's ``softmax_loss``: the loss and dscores, from one log-softmax.

    scores: (N, C), y: (N,) int labels -> (loss: float, dscores: (N, C)).
    """
    scores, y = _scores_labels(scores, y)
    rows = np.arange(len(y))
    log_p = log_softmax(scores)
    dscores = np.exp(log_p)
    dscores[rows, y] -= 1
    return float(-np.mean(log_p[rows, y])), dscores / len(y)
