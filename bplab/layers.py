"""Vectorized layers with a forward/backward pair, and models that compose them.

Every layer has ``forward(x)`` (also ``layer(x)``), which returns its output and keeps what
backward needs, and ``backward(dout)``, which returns ``dx`` and stores the gradients of its
parameters in ``param.grad`` (overwriting the previous ones). Rows are examples:
``x`` has shape ``(N, D)``.

Used in: notebooks/07-vectorized-backprop.ipynb, notebooks/08-mlp-on-real-data.ipynb
"""

from __future__ import annotations

import numpy as np

from bplab import functions as F
from bplab._validate import as_array, as_count, as_labels, as_number, check_same_shape

INITS = ("zero", "normal", "xavier", "he")


class Parameter:
    """An array the optimizer updates: ``.data`` and its gradient ``.grad`` (same shape)."""

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray):
        self.data = data
        self.grad = np.zeros_like(data)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


def init_weights(
    shape: tuple[int, int], init: str = "he", scale: float = 0.01, rng=None, dtype=np.float64
) -> np.ndarray:
    """Initial weights of shape (fan_in, fan_out).

    Parameters
    ----------
    shape : (int, int), (fan_in, fan_out)
    init : {"zero", "normal", "xavier", "he"}
        "normal": N(0, scale^2); "xavier" (Glorot): N(0, 2 / (fan_in + fan_out)), for tanh/sigmoid;
        "he": N(0, 2 / fan_in), for ReLU.
    scale : float, std of "normal"
    rng : np.random.Generator or int, optional

    Returns
    -------
    ndarray, shape `shape`
    """
    fan_in, fan_out = shape
    if init == "zero":
        return np.zeros(shape, dtype=dtype)
    std = {
        "normal": as_number(scale, "scale", minimum=0.0),
        "xavier": np.sqrt(2.0 / (fan_in + fan_out)),
        "he": np.sqrt(2.0 / fan_in),
    }.get(init)
    if std is None:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    return (np.random.default_rng(rng).standard_normal(shape) * std).astype(dtype)


class Layer:
    """Base class: no parameters; subclasses define forward and backward."""

    def __call__(self, x) -> np.ndarray:
        return self.forward(x)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """(name, Parameter) pairs, e.g. ("W", ...) or ("0.W", ...) inside a Sequential."""
        return [(name, p) for name, p in vars(self).items() if isinstance(p, Parameter)]

    def parameters(self) -> list[Parameter]:
        """The layer's Parameters, in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter gradient to zero."""
        for p in self.parameters():
            p.grad[...] = 0

    def _saved(self, name: str):
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value


class Linear(Layer):
    """Affine layer ``out = x @ W + b``.

    Parameters
    ----------
    in_features : int, D
    out_features : int, M
    init : {"zero", "normal", "xavier", "he"}, see `init_weights`
    scale : float, std for init="normal"
    rng : np.random.Generator or int, optional
    dtype : numpy float type of the parameters

    Attributes
    ----------
    W : Parameter, shape (D, M)
    b : Parameter, shape (M,), starts at zero
    """

    def __init__(self, in_features: int, out_features: int, init: str = "he", scale: float = 0.01, rng=None,
                 dtype=np.float64):
        self.in_features = as_count(in_features, "in_features")
        self.out_features = as_count(out_features, "out_features")
        self.W = Parameter(init_weights((in_features, out_features), init, scale, rng, dtype))
        self.b = Parameter(np.zeros(out_features, dtype=dtype))
        self.x = None

    def forward(self, x) -> np.ndarray:
        """x: (N, D) -> out: (N, M)."""
        x = as_array(x, "x", dtype=self.W.data.dtype)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            name = f"Linear({self.in_features}, {self.out_features})"
            raise ValueError(f"{name} expects x of shape (N, {self.in_features}), got {x.shape}")
        self.x = x
        return x @ self.W.data + self.b.data

    def backward(self, dout) -> np.ndarray:
        """dout: (N, M) -> dx: (N, D); stores W.grad = x^T dout, (D, M) and b.grad, (M,)."""
        x = self._saved("x")
        dout = as_array(dout, "dout", dtype=x.dtype)
        if dout.shape != (x.shape[0], self.out_features):
            expected = (x.shape[0], self.out_features)
            raise ValueError(f"Linear.backward expects dout of shape {expected}, got {dout.shape}")
        self.W.grad = x.T @ dout
        self.b.grad = dout.sum(axis=0)  # the bias touches every example: sum over the batch
        return dout @ self.W.data.T

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features})"


class Activation(Layer):
    """An elementwise activation: out = f(x), dx = dout * f'(x)."""

    name = ""

    def forward(self, x) -> np.ndarray:
        """x: any shape -> out: same shape."""
        self.x = as_array(x, "x")
        return self.f(self.x)

    def backward(self, dout) -> np.ndarray:
        """dout: shape of x -> dx: shape of x."""
        x = self._saved("x")
        dout = as_array(dout, "dout")
        check_same_shape(dout, x, "dout", "x")
        return dout * self.df(x)

    def f(self, x):
        raise NotImplementedError

    def df(self, x):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    """max(x, 0); its derivative is 1 where x > 0."""

    def f(self, x):
        return np.maximum(x, 0)

    def df(self, x):
        return (x > 0).astype(x.dtype)


class Sigmoid(Activation):
    """1 / (1 + exp(-x)); its derivative s (1 - s) is at most 0.25."""

    def f(self, x):
        return F.sigmoid(x).astype(x.dtype, copy=False)

    def df(self, x):
        return F.sigmoid_derivative(x).astype(x.dtype, copy=False)


class Tanh(Activation):
    """tanh(x); its derivative is 1 - tanh(x)^2."""

    def f(self, x):
        return np.tanh(x)

    def df(self, x):
        return 1 - np.tanh(x) ** 2


class LeakyReLU(Activation):
    """x where x > 0, else slope * x."""

    def __init__(self, slope: float = 0.01):
        self.slope = as_number(slope, "slope")

    def f(self, x):
        return np.where(x > 0, x, self.slope * x)

    def df(self, x):
        return np.where(x > 0, 1.0, self.slope).astype(x.dtype, copy=False)


ACTIVATION_LAYERS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "leaky_relu": LeakyReLU}


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, *layers: Layer):
        self.layers = list(layers)

    def forward(self, x) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [(f"{i}.{name}", p) for i, layer in enumerate(self.layers) for name, p in layer.named_parameters()]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.layers))})"


class MLP(Sequential):
    """A multi-layer perceptron: Linear layers with an activation between them (none after the last).

    Parameters
    ----------
    sizes : list of int
        ``[D, hidden_1, ..., C]``; e.g. ``MLP([64, 64, 10])`` is Linear(64, 64)-ReLU-Linear(64, 10).
    activation : {"relu", "sigmoid", "tanh", "leaky_relu"}
    init : {"zero", "normal", "xavier", "he"}
    scale : float, std for init="normal"
    rng : np.random.Generator or int, optional
    dtype : numpy float type of the parameters
    """

    def __init__(self, sizes: list[int], activation: str = "relu", init: str = "he", scale: float = 0.01, rng=None,
                 dtype=np.float64):
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output size, got {sizes}")
        if activation not in ACTIVATION_LAYERS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATION_LAYERS)}, got {activation!r}")
        rng = np.random.default_rng(rng)
        layers: list[Layer] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, init, scale, rng, dtype))
            if i < len(sizes) - 2:
                layers.append(ACTIVATION_LAYERS[activation]())
        super().__init__(*layers)
        self.sizes = list(sizes)


class SoftmaxCrossEntropy:
    """Softmax followed by cross-entropy, fused for stability and a simple gradient.

    ``forward(scores, y)`` returns the mean loss; ``backward()`` returns
    ``dscores = (softmax(scores) - one_hot(y)) / N``, shape (N, C).
    """

    def forward(self, scores, y) -> float:
        """scores: (N, C), y: (N,) int labels in 0..C-1 -> mean loss."""
        scores = as_array(scores, "scores", ndim=2)
        self.y = as_labels(y, "y", num_classes=scores.shape[1], length=scores.shape[0])
        log_p = F.log_softmax(scores)
        self.p = np.exp(log_p)
        return float(-np.mean(log_p[np.arange(len(self.y)), self.y]))

    __call__ = forward

    def backward(self) -> np.ndarray:
        """-> dscores: (N, C)."""
        dscores = self.p.copy()
        dscores[np.arange(len(self.y)), self.y] -= 1
        return dscores / len(self.y)


class MSELoss:
    """Mean squared error; ``backward()`` returns 2 (y_hat - y) / (number of elements)."""

    def forward(self, y_hat, y) -> float:
        """y_hat: (N, K), y: (N, K) -> mean loss."""
        self.y_hat, self.y = as_array(y_hat, "y_hat"), as_array(y, "y")
        check_same_shape(self.y_hat, self.y, "y_hat", "y")
        return float(np.mean((self.y_hat - self.y) ** 2))

    __call__ = forward

    def backward(self) -> np.ndarray:
        """-> dy_hat: shape of y_hat."""
        return 2 * (self.y_hat - self.y) / self.y_hat.size


def accuracy(scores, y) -> float:
    """Fraction of rows whose highest score is the label; scores (N, C), y (N,)."""
    scores = as_array(scores, "scores", ndim=2)
    y = as_labels(y, "y", num_classes=scores.shape[1], length=scores.shape[0])
    return float(np.mean(scores.argmax(axis=1) == y))
