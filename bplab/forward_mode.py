"""Forward-mode automatic differentiation with dual numbers, and Jacobians by either mode.

A dual number ``Dual(a, a')`` stands for ``a + a'ε`` with ``ε² = 0``. Arithmetic on it carries a derivative
forward beside every value: ``(a + a'ε)(b + b'ε) = ab + (a'b + ab')ε``, exactly the product rule. Seed the input
with derivative 1 and the output's ``deriv`` is the derivative of the whole computation, found in the same pass
that computes the value: no graph is stored and nothing runs backward.

`jacobian_forward` builds a Jacobian one column per pass (one pass per input); `jacobian_reverse` builds it with
`bplab.Value`, one row per backward pass (one pass per output). Both take the same ``f``: a function of a list of
numbers written with ``+ - * / **`` and the methods ``tanh``, ``exp``, ``log``, ``sigmoid``, ``relu``, which
`Dual` and `Value` share (``sin`` and ``cos`` exist on `Dual` only).

`jvp` and `vjp` are the two modes' products as JAX and PyTorch name them (J v by one forward pass, u^T J by one
backward pass); `hessian_vector_product` runs forward mode through a gradient computed by reverse mode.

Used in: notebooks/14-jacobians-and-the-two-modes.ipynb, notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from bplab.engine import Value, zero_grad


def _as_dual(x) -> Dual:
    return x if isinstance(x, Dual) else Dual(x)


class Dual:
    """A value and its derivative along one direction: ``value + deriv·ε`` with ``ε² = 0``.

    Parameters
    ----------
    value : float
        The number.
    deriv : float
        Its derivative with respect to the chosen input (1 for that input, 0 for constants).

    Examples
    --------
    >>> x = Dual(3.0, 1.0)  # x = 3, dx/dx = 1
    >>> y = x * x + 2 * x
    >>> y.value, y.deriv  # y = 15, dy/dx = 2x + 2 = 8
    (15.0, 8.0)
    """

    __slots__ = ("value", "deriv")

    def __init__(self, value, deriv=0.0):
        if type(value) is not float or type(deriv) is not float:  # results of operations are floats already
            for name, number in (("value", value), ("deriv", deriv)):
                if isinstance(number, bool) or not isinstance(number, numbers.Real):
                    raise TypeError(f"Dual expects a real number for {name}, got {type(number).__name__}")
            value, deriv = float(value), float(deriv)
        self.value = value
        self.deriv = deriv

    def __add__(self, other):
        other = _as_dual(other)
        # (a + a'ε) + (b + b'ε) = (a + b) + (a' + b')ε
        return Dual(self.value + other.value, self.deriv + other.deriv)

    def __mul__(self, other):
        other = _as_dual(other)
        # (a + a'ε)(b + b'ε) = ab + (a'b + ab')ε, since ε² = 0: the product rule
        return Dual(self.value * other.value, self.deriv * other.value + self.value * other.deriv)

    def __truediv__(self, other):
        other = _as_dual(other)
        if other.value == 0:
            raise ZeroDivisionError(f"division by zero: {self.value:g} / 0 (the divisor Dual is 0)")
        # d(a/b) = (a'b - ab') / b²
        return Dual(self.value / other.value, (self.deriv * other.value - self.value * other.deriv) / other.value**2)

    def __pow__(self, exponent):
        if isinstance(exponent, (Dual, bool)) or not isinstance(exponent, numbers.Real):
            raise TypeError(f"Dual ** exponent expects a plain number exponent, got {type(exponent).__name__}")
        # d(a**n) = n a**(n-1) a'
        return Dual(self.value**exponent, exponent * self.value ** (exponent - 1) * self.deriv)

    def _chain(self, value: float, slope: float) -> Dual:
        # d g(a) = g'(a) a': the chain rule, one step forward
        return Dual(value, slope * self.deriv)

    def sin(self) -> Dual:
        return self._chain(math.sin(self.value), math.cos(self.value))  # d sin(a)/da = cos(a)

    def cos(self) -> Dual:
        return self._chain(math.cos(self.value), -math.sin(self.value))  # d cos(a)/da = -sin(a)

    def exp(self) -> Dual:
        e = math.exp(self.value)
        return self._chain(e, e)  # d exp(a)/da = exp(a)

    def log(self) -> Dual:
        if self.value <= 0:
            raise ValueError(f"log needs a positive input, got {self.value}")
        return self._chain(math.log(self.value), 1 / self.value)  # d log(a)/da = 1/a

    def tanh(self) -> Dual:
        t = math.tanh(self.value)
        return self._chain(t, 1 - t * t)  # d tanh(a)/da = 1 - tanh(a)**2

    def sigmoid(self) -> Dual:
        s = 0.5 * (1 + math.tanh(0.5 * self.value))  # = 1 / (1 + exp(-a)), without overflow
        return self._chain(s, s * (1 - s))  # d sigmoid(a)/da = s (1 - s)

    def relu(self) -> Dual:
        return self._chain(max(self.value, 0.0), float(self.value > 0))  # d relu(a)/da = 1 if a > 0 else 0

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-_as_dual(other))

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return _as_dual(other) - self

    def __rtruediv__(self, other):
        return _as_dual(other) / self

    def __repr__(self) -> str:
        return f"Dual(value={self.value:.6g}, deriv={self.deriv:.6g})"


def derivative(f: Callable, x: float) -> float:
    """f'(x) in one forward pass: evaluate f on ``Dual(x, 1)`` and read the derivative part.

    Parameters
    ----------
    f : callable
        A function of one number built from `Dual`'s operations (``lambda x: x * x.sin()``).
    x : float
        Where to differentiate.

    Returns
    -------
    float
        f'(x), exact up to rounding (no step size).

    Used in: notebooks/14-jacobians-and-the-two-modes.ipynb
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one number, got {type(f).__name__}")
    out = f(Dual(_as_float(x, "x"), 1.0))
    return out.deriv if isinstance(out, Dual) else 0.0  # a constant output does not depend on x


def _as_float(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    return float(x)


def _inputs(f: Callable, x) -> list[float]:
    if not callable(f):
        raise TypeError(f"f must be a function of a list of numbers, got {type(f).__name__}")
    if isinstance(x, (str, bytes)) or not isinstance(x, (Sequence, np.ndarray)):
        raise TypeError(f"x must be a 1-D list or array of numbers, got {type(x).__name__}")
    values = np.asarray(x)
    if values.ndim != 1 or values.size == 0 or values.dtype.kind not in "iuf":
        raise ValueError(f"x must be a non-empty 1-D list of real numbers, got shape {values.shape} "
                         f"of dtype {values.dtype}")
    return [float(v) for v in values]


def _outputs(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def jacobian_forward(f: Callable, x) -> tuple[np.ndarray, int]:
    """The Jacobian of f at x by forward mode: one pass per input, each giving one column.

    Pass j seeds input j with derivative 1 and the others with 0, so every output's ``deriv`` is
    d output_i / d x_j: column j of the Jacobian.

    Parameters
    ----------
    f : callable
        ``f(list of n numbers) -> number or list of m numbers``, built from `Dual`'s operations.
    x : sequence of float, shape (n,)
        Where to differentiate.

    Returns
    -------
    J : ndarray, shape (m, n)
        ``J[i, j] = d f_i / d x_j``.
    num_passes : int
        How many forward passes it took: n.

    Used in: notebooks/14-jacobians-and-the-two-modes.ipynb, notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb
    """
    x = _inputs(f, x)
    columns = []
    for j in range(len(x)):  # one forward pass per input
        outputs = _outputs(f([Dual(v, 1.0 if k == j else 0.0) for k, v in enumerate(x)]))
        columns.append([o.deriv if isinstance(o, Dual) else 0.0 for o in outputs])
    return np.array(columns, dtype=np.float64).T, len(x)


def jacobian_reverse(f: Callable, x) -> tuple[np.ndarray, int]:
    """The Jacobian of f at x by reverse mode (`bplab.Value`): one backward pass per output, each giving one row.

    One forward pass records the graph; then for each output i, ``backward()`` from it fills every input's
    ``grad`` with d output_i / d x_j: row i of the Jacobian.

    Parameters
    ----------
    f : callable
        ``f(list of n numbers) -> number or list of m numbers``, built from `Value`'s operations.
    x : sequence of float, shape (n,)
        Where to differentiate.

    Returns
    -------
    J : ndarray, shape (m, n)
        ``J[i, j] = d f_i / d x_j``.
    num_passes : int
        How many backward passes it took: m (after the one forward pass that recorded the graph).

    Used in: notebooks/14-jacobians-and-the-two-modes.ipynb
    """
    inputs = [Value(v) for v in _inputs(f, x)]
    outputs = _outputs(f(inputs))  # the one forward pass
    rows = []
    for out in outputs:  # one backward pass per output
        zero_grad(inputs)  # leaf gradients add up across backward passes
        if isinstance(out, Value):
            out.backward()
        rows.append([v.grad for v in inputs])
    return np.array(rows, dtype=np.float64).reshape(len(outputs), len(inputs)), len(outputs)


# --- The two modes as today's tools name them ---------------------------------------------------------------------
#
# JAX: jax.jvp(f, primals, tangents) -> (f(x), J v); jax.vjp(f, x) -> (f(x), vjp_fn), vjp_fn(u) -> u^T J.
# PyTorch: torch.func.jvp and torch.func.vjp, the same shapes. `jvp` and `vjp` below are the same two operations
# with the course's own machinery: `Dual` numbers for the first, `bplab.Value` for the second.


def _values_of(out, part: str):
    """The float array (or float) of `part` ("value" or "deriv"/"grad") of every entry of an output."""
    array = np.asarray(out, dtype=object)

    def one(entry):
        if isinstance(entry, Dual):
            return entry.value if part == "value" else entry.deriv
        if isinstance(entry, Value):
            return entry.data
        if isinstance(entry, numbers.Real) and not isinstance(entry, bool):
            return float(entry) if part == "value" else 0.0  # a constant: derivative 0
        raise TypeError(f"f must return numbers (or a list or array of them), got {type(entry).__name__}")

    values = np.array([one(e) for e in array.ravel()], dtype=np.float64).reshape(array.shape)
    return float(values) if values.ndim == 0 else values


def _point(x, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(x).__name__}")
    values = np.asarray(x)
    if values.dtype.kind not in "iuf" or values.size == 0:
        raise ValueError(f"{name} must be a non-empty array of real numbers, got shape {values.shape} of dtype "
                         f"{values.dtype}")
    return values.astype(np.float64)


def jvp(f: Callable, x, v) -> tuple:
    """f(x) and the Jacobian-vector product J v, in one forward pass (forward mode, like ``jax.jvp``).

    Input entry j starts as ``Dual(x_j, v_j)``: the derivative part of every result is then its derivative in the
    direction v, so the outputs' derivative parts together are J v. Seeding v = e_j gives column j of J (what
    `jacobian_forward` does n times).

    Parameters
    ----------
    f : callable
        ``f(x) -> number, list or array of numbers``, built from `Dual`'s operations; it receives an array of dtype
        object holding Duals, of the shape of `x`, so indexing (``x[0]``) and numpy's elementwise functions,
        ``@`` and ``.sum()`` work on it.
    x : float or array_like, the point
    v : float or array_like, shape of x, the direction (the "tangent")

    Returns
    -------
    out : float or ndarray, f(x)
    tangent : float or ndarray, shape of out, J v

    Used in: notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb
    """
    if not callable(f):
        raise TypeError(f"f must be a function, got {type(f).__name__}")
    point, direction = _point(x, "x"), _point(v, "v")
    if direction.shape != point.shape:
        raise ValueError(f"v must have the shape of x {point.shape}, got {direction.shape}")
    duals = np.empty(point.shape, dtype=object)
    for index in np.ndindex(point.shape):
        duals[index] = Dual(point[index], direction[index])
    out = f(duals if point.ndim else duals[()])
    return _values_of(out, "value"), _values_of(out, "deriv")


def vjp(f: Callable, x) -> tuple:
    """f(x) and a function u -> u^T J (reverse mode with `bplab.Value`, like ``jax.vjp``).

    One recording pass builds the graph of f; each call of the returned function is one backward pass, from
    the weighted sum of the outputs ``sum_i u_i f_i``, whose gradient is u^T J. With one output and u = 1 it is
    the gradient.

    Parameters
    ----------
    f : callable
        ``f(x) -> number, list or array of numbers``, built from `Value`'s operations; it receives an array of dtype
        object holding Values, of the shape of `x`.
    x : float or array_like, the point

    Returns
    -------
    out : float or ndarray, f(x)
    vjp_fn : callable, ``vjp_fn(u) -> u^T J``, an array of the shape of x (u has the shape of out; the "cotangent")

    Used in: notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb
    """
    if not callable(f):
        raise TypeError(f"f must be a function, got {type(f).__name__}")
    point = _point(x, "x")
    leaves = np.empty(point.shape, dtype=object)
    for index in np.ndindex(point.shape):
        leaves[index] = Value(float(point[index]))
    out = f(leaves if point.ndim else leaves[()])  # the one recording pass
    value = _values_of(out, "value")
    outputs = list(np.asarray(out, dtype=object).ravel())

    def vjp_fn(u):
        weights = _point(u, "u")
        if weights.shape != np.shape(value):
            raise ValueError(f"u must have the shape of f(x) {np.shape(value)}, got {weights.shape}")
        zero_grad(leaves.ravel())  # leaf gradients add up across backward passes
        total = sum((w * o for w, o in zip(weights.ravel(), outputs) if isinstance(o, Value)), Value(0.0))
        total.backward()  # one backward pass: the gradient of sum_i u_i f_i is u^T J
        grads = np.array([leaf.grad for leaf in leaves.ravel()], dtype=np.float64).reshape(point.shape)
        return float(grads) if grads.ndim == 0 else grads

    return value, vjp_fn


def hessian_vector_product(grad: Callable, x, v) -> np.ndarray:
    """H v, the Hessian of a scalar function times v, by forward-over-reverse: `jvp` of its gradient.

    `grad` computes the gradient of a scalar loss by reverse mode, as a backward pass written with numpy
    (``bplab.layers``' function pairs, say). Run on Dual numbers, every number of that backward pass carries
    its derivative in the direction v, so the gradient's derivative part is d/de grad(x + e v) at e = 0 = H v:
    the cost of a few gradients, without forming H (Pearlmutter 1994).

    Parameters
    ----------
    grad : callable, ``grad(x) -> array of the shape of x``, built from `Dual`'s operations (see `jvp`)
    x : array_like, the point
    v : array_like, shape of x, the direction

    Returns
    -------
    ndarray, shape of x: H v

    Used in: notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb
    """
    return jvp(grad, x, v)[1]
