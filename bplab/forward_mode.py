"""Forward-mode automatic differentiation with dual numbers, and Jacobians by either mode.

A dual number ``Dual(a, a')`` stands for ``a + a'ε`` with ``ε² = 0``. Arithmetic on it carries a derivative
forward beside every value: ``(a + a'ε)(b + b'ε) = ab + (a'b + ab')ε``, exactly the product rule. Seed the input
with derivative 1 and the output's ``deriv`` is the derivative of the whole computation, found in the same pass
that computes the value: no graph is stored and nothing runs backward.

`jacobian_forward` builds a Jacobian one column per pass (one pass per input); `jacobian_reverse` builds it with
`bplab.Value`, one row per backward pass (one pass per output). Both take the same ``f``: a function of a list of
numbers written with ``+ - * / **`` and the methods ``tanh``, ``exp``, ``log``, ``sigmoid``, ``relu``, which
`Dual` and `Value` share (``sin`` and ``cos`` exist on `Dual` only).

Used in: notebooks/14-jacobians-and-the-two-modes.ipynb
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

    Used in: notebooks/14-jacobians-and-the-two-modes.ipynb
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
