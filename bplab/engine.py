"""A scalar reverse-mode autograd engine: `Value`.

Every operation creates a new `Value` that remembers its inputs (`_prev`) and the
local derivative of its output with respect to each input (`_local`).
`backward()` visits the graph once in reverse topological order and applies the
chain rule: ``input.grad += local_derivative * output.grad``.

The operators match micrograd's `Value` (``+ - * / **``, ``relu``, ``tanh``, ``exp``,
``backward``...), so code that *uses* values moves freely between the two. The constructor does
not: an operation passes its inputs *and* their local derivatives (``_prev``, ``_local``), so
micrograd's ``Value(data, _children, _op)`` form fails at once with a TypeError instead of later,
obscurely. Give a label by keyword: ``Value(2.0, label="a")``.

Edge cases: ``x / 0`` and ``Value(0) ** -1`` raise ZeroDivisionError; ``Value(0) ** 0.5`` is 0 with an
infinite local derivative (the slope of sqrt at 0), ``Value(0) ** 0`` is 1 with local derivative 0;
``exp`` works up to the largest float (about exp(709.78)) and raises OverflowError beyond.

Used in: notebooks/02-computational-graphs.ipynb, notebooks/03-autograd-from-scratch.ipynb,
notebooks/04-a-single-neuron.ipynb, notebooks/05-loss-and-gradient-descent.ipynb,
notebooks/05d-your-engine-trains-a-network.ipynb,
notebooks/06-backprop-by-hand-xor.ipynb, notebooks/14-jacobians-and-the-two-modes.ipynb,
notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb, notebooks/16-backprop-in-perspective.ipynb
"""

from __future__ import annotations

import math
import numbers


def _as_value(x) -> Value:
    return x if isinstance(x, Value) else Value(x)


class Value:
    """A scalar that records how it was computed, so its gradient can flow back.

    Parameters
    ----------
    data : float
        The number this node holds.
    label : str, optional
        A name shown by `bplab.graph.draw`.

    Notes
    -----
    Gradients of leaves (values you created yourself) **accumulate** across calls
    to `backward()`, as in PyTorch: call `zero_grad()` before each new backward
    pass. Intermediate nodes are reset at the start of every `backward()`, so
    calling it twice doubles the leaves' gradients exactly and nothing else.

    Examples
    --------
    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b + 1
    >>> c.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)
    """

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label")

    def __init__(self, data, _prev: tuple = (), _local: tuple = (), _op: str = "", label: str = ""):
        if type(data) is not float:  # results of operations are floats already; check anything else
            if isinstance(data, bool) or not isinstance(data, numbers.Real):
                raise TypeError(
                    f"Value expects a single real number (int or float) for data, got {type(data).__name__}"
                    + (": build one Value per element instead" if hasattr(data, "__len__") else "")
                )
            data = float(data)
        if type(_prev) is not tuple or type(_local) is not tuple or len(_prev) != len(_local):
            raise TypeError(
                "Value takes one number, and a label by keyword: Value(2.0, label='a'); "
                f"got extra positional arguments {_prev!r}, {_local!r} (micrograd's Value(data, _children, _op) "
                "form is not this engine's: build new values with operators such as a + b)"
            )
        self.data = data
        self.grad = 0.0
        self._prev = _prev  # the inputs of the operation that made this value
        self._local = _local  # d(self)/d(input) for each input, same order
        self._op = _op
        self.label = label

    def __add__(self, other):
        other = _as_value(other)
        # d(a+b)/da = 1, d(a+b)/db = 1
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = _as_value(other)
        # d(a*b)/da = b, d(a*b)/db = a
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __pow__(self, exponent):
        if isinstance(exponent, Value) or not isinstance(exponent, numbers.Real):
            raise TypeError(f"Value ** exponent expects a plain number exponent, got {type(exponent).__name__}")
        if self.data < 0 and not float(exponent).is_integer():  # Python would return a complex number
            raise ValueError(f"a negative number to a fractional power is not real: ({self.data:g}) ** {exponent:g}")
        if self.data == 0 and exponent < 0:
            raise ZeroDivisionError(f"0 ** {exponent:g} divides by zero: a negative power of a Value that is 0")
        # d(a**n)/da = n * a**(n-1); at a = 0 that is 0 for n = 0 and infinite for 0 < n < 1 (sqrt's slope at 0)
        if self.data == 0 and exponent < 1:
            local = 0.0 if exponent == 0 else math.inf
        else:
            local = exponent * self.data ** (exponent - 1)
        return Value(self.data**exponent, (self,), (local,), f"**{exponent:g}")

    def __rpow__(self, base):
        if base <= 0:
            raise ValueError(f"base ** Value needs a positive base, got {base}")
        out = base**self.data
        # d(c**a)/da = c**a * ln(c)
        return Value(out, (self,), (out * math.log(base),), f"{base:g}**")

    def __truediv__(self, other):
        other = _as_value(other)
        if other.data == 0:
            raise ZeroDivisionError(f"division by zero: {self.data:g} / 0 (the divisor Value is 0)")
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2
        return Value(self.data / other.data, (self, other), (1 / other.data, -self.data / other.data**2), "/")

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def relu(self) -> Value:
        # d relu(a)/da = 1 if a > 0 else 0
        return Value(max(self.data, 0.0), (self,), (float(self.data > 0),), "relu")

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        # d tanh(a)/da = 1 - tanh(a)**2
        return Value(t, (self,), (1 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        # stable for large |a|: never exponentiate a large positive number
        if self.data >= 0:
            s = 1 / (1 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1 + e)
        # d sigmoid(a)/da = s * (1 - s)
        return Value(s, (self,), (s * (1 - s),), "sigmoid")

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data:g}) is too large for a float (the limit is exp(709.78))") from None
        # d exp(a)/da = exp(a)
        return Value(e, (self,), (e,), "exp")

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive input, got {self.data}")
        # d log(a)/da = 1/a
        return Value(math.log(self.data), (self,), (1 / self.data,), "log")

    def topological_order(self) -> list[Value]:
        """Every node of the graph that ends in `self`, each after all of its inputs.

        Iterative depth-first search, so a chain of a million nodes needs no recursion.
        """
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                for parent in node._prev:
                    if parent not in visited:
                        stack.append((parent, False))
        return order

    def backward(self) -> None:
        """Fill `.grad` of every node with d(self)/d(node).

        Call it on the final scalar (usually the loss). Called on an intermediate
        node, it gives the gradients of that node instead. Leaf gradients add up
        across calls (see the class notes); use `zero_grad()` between steps.
        """
        order = self.topological_order()
        for node in order:
            if node._prev:  # intermediate results start from zero on every call
                node.grad = 0.0
        self.grad += 1.0  # d(self)/d(self)
        for node in reversed(order):
            for parent, local in zip(node._prev, node._local):
                parent.grad += local * node.grad  # the chain rule

    def zero_grad(self) -> None:
        """Set `.grad` to 0 on every node of the graph that ends in `self`."""
        for node in self.topological_order():
            node.grad = 0.0

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


def zero_grad(values) -> None:
    """Set `.grad` to 0 on each Value in `values` (for example, a model's parameters).

    Used in: notebooks/03-autograd-from-scratch.ipynb
    """
    for value in values:
        value.grad = 0.0


def maximum(a: Value, b: Value) -> Value:
    """max(a, b) as a `Value`: the gradient goes to the larger input only (all of it to `a` on a tie).

    Parameters
    ----------
    a, b : Value or float

    Returns
    -------
    Value

    Used in: notebooks/02-computational-graphs.ipynb
    """
    a, b = _as_value(a), _as_value(b)
    a_wins = a.data >= b.data  # a tie goes to a: max has no derivative there, so this is a convention
    # d max(a, b)/da = 1 if a >= b else 0, d max(a, b)/db = the other one
    return Value(max(a.data, b.data), (a, b), (float(a_wins), float(not a_wins)), "max")
