"""Numerical gradients by central differences, to check every backward pass.

``df/dx ~ (f(x + h) - f(x - h)) / (2h)`` with ``h = 1e-5``, in float64.
Compare with `rel_error`: below 1e-7 the analytic gradient is right (for smooth functions);
1e-7 to 1e-4 look closer (kinks such as ReLU at 0 can cause it); above 1e-2 it is wrong.

Used in: notebooks/00-start-here.ipynb, notebooks/01-derivatives-and-the-chain-rule.ipynb,
notebooks/02-computational-graphs.ipynb, notebooks/03-autograd-from-scratch.ipynb, notebooks/04-a-single-neuron.ipynb,
notebooks/05-loss-and-gradient-descent.ipynb, notebooks/05b-stochastic-gradient-descent.ipynb,
notebooks/05d-your-engine-trains-a-network.ipynb, notebooks/06-backprop-by-hand-xor.ipynb,
notebooks/07-vectorized-backprop.ipynb, notebooks/09b-batch-normalization.ipynb, notebooks/09c-watching-training.ipynb,
notebooks/10b-dropout-and-data-augmentation.ipynb, notebooks/12-backprop-through-time.ipynb,
notebooks/12b-gated-recurrence-and-clipping.ipynb,
notebooks/13-why-backprop-is-efficient.ipynb, notebooks/14-jacobians-and-the-two-modes.ipynb,
notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb,
notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb, notebooks/16-backprop-in-perspective.ipynb
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bplab.engine import Value


def rel_error(a, b) -> float:
    """Largest relative difference: max |a - b| / max(1e-8, |a| + |b|), elementwise.

    Parameters
    ----------
    a, b : array_like or float, same shape
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs a and b of the same shape, got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def _as_float(out) -> float:
    return float(out.data if isinstance(out, Value) else out)


def numerical_gradient(f: Callable, x, h: float = 1e-5):
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        For an array `x`: ``f(x) -> float``. For Values: ``f() -> Value or float``, rebuilding the
        expression from the Values' current ``.data``.
    x : ndarray (float64), Value, or list of Values
        Where to differentiate. Arrays are perturbed in place and restored.
    h : float
        Step size.

    Returns
    -------
    ndarray like `x`, a float (one Value) or a list of floats (list of Values)

    Examples
    --------
    >>> numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1.0, 2.0]))
    array([2., 4.])
    """
    if isinstance(x, Value):
        return numerical_gradient(f, [x], h)[0]
    if isinstance(x, (list, tuple)) and all(isinstance(v, Value) for v in x):
        grads = []
        for v in x:
            old = v.data
            v.data = old + h
            plus = _as_float(f())
            v.data = old - h
            minus = _as_float(f())
            v.data = old
            grads.append((plus - minus) / (2 * h))
        return grads
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError(f"x must be a float64 ndarray, a Value or a list of Values, got {type(x).__name__}")
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = _as_float(f(x))
        x[i] = old - h
        minus = _as_float(f(x))
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def numerical_gradient_array(f: Callable, x: np.ndarray, dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Numerical gradient of ``sum(f(x) * dout)`` with respect to `x`: what ``backward(dout)`` should return.

    Parameters
    ----------
    f : callable, ``f(x) -> ndarray`` of the shape of dout
    x : ndarray, float64, any shape (perturbed in place and restored)
    dout : ndarray, upstream gradient, shape of f(x)

    Returns
    -------
    ndarray, shape of x
    """
    return numerical_gradient(lambda v: float(np.sum(f(v) * dout)), x, h)


def check_layer(layer, x, rng=None) -> dict[str, float]:
    """Relative errors between a layer's backward and numerical gradients.

    Parameters
    ----------
    layer : a bplab.layers layer (forward, backward, parameters)
    x : array_like, float64 input, shape the layer expects
    rng : np.random.Generator or int, optional; draws the random upstream gradient

    Returns
    -------
    dict
        ``{"x": error of dx, "W": error of dW, ...}``, one entry per parameter, named as in
        ``layer.named_parameters()`` ("0.W", "0.b", ... inside a Sequential).
    """
    rng = np.random.default_rng(rng)
    x = np.array(x, dtype=np.float64)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    errors = {"x": rel_error(dx, numerical_gradient_array(layer.forward, x, dout))}
    for name, p in layer.named_parameters():
        errors[name] = rel_error(p.grad, numerical_gradient_array(lambda _: layer.forward(x), p.data, dout))
    return errors
