"""Vectorized layers: forward/backward function pairs, thin classes around them, and models that compose them.

The math lives in function pairs, as in CS231n: ``linear_forward(x, W, b) -> out, cache`` and
``linear_backward(dout, cache) -> dx, dW, db``; likewise for each activation. ``dout`` is the upstream
gradient d loss / d out, with the shape of ``out``. Rows are examples: ``x`` has shape ``(N, D)``.

The classes (`Linear`, `ReLU`, ..., `Sequential`, `MLP`) wrap the pairs so a model is easy to build and train:
``forward(x)`` (also ``layer(x)``) returns the output and keeps the cache; ``backward(dout)`` returns ``dx``
and stores the gradients of the parameters in ``param.grad`` (replacing the previous ones). Inputs are checked
once, where you call the model; inside a model the layers trust each other. The losses are defined once, in
`bplab.functions`; `SoftmaxCrossEntropy` and `MSELoss` only remember their inputs for backward.

Used in: notebooks/05-loss-and-gradient-descent.ipynb, notebooks/07-vectorized-backprop.ipynb,
notebooks/08-mlp-on-real-data.ipynb, notebooks/09-initialization-and-vanishing-gradients.ipynb,
notebooks/10-noise-and-generalization.ipynb, notebooks/11-universal-approximation.ipynb,
notebooks/13-why-backprop-is-efficient.ipynb, notebooks/14-jacobians-and-the-two-modes.ipynb,
notebooks/16-backprop-in-perspective.ipynb
"""

from __future__ import annotations

import numpy as np

from bplab import functions as F
from bplab._validate import as_array, as_count, as_labels, as_number

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


def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """out = x @ W + b.

    x: inputs, shape (N, D); W: weights, shape (D, M); b: bias, shape (M,)
    Returns out: shape (N, M), and cache = (x, W) for `linear_backward`.
    """
    return x @ W + b, (x, W)


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of an affine layer.

    dout: upstream gradient, shape (N, M); cache: from `linear_forward`
    Returns dx: shape (N, D), dW: shape (D, M), db: shape (M,).
    """
    x, W = cache
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)  # the bias touches every example: sum over the batch
    return dx, dW, db


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = max(x, 0), any shape; cache = x."""
    return np.maximum(x, 0), x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout where x > 0, else 0 (we pick 0 at x = 0); shape of x."""
    return dout * (cache > 0)


def leaky_relu_forward(x: np.ndarray, slope: float = 0.01) -> tuple[np.ndarray, tuple]:
    """out = x where x > 0, else slope * x, any shape; cache = (x, slope)."""
    return np.where(x > 0, x, slope * x), (x, slope)


def leaky_relu_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout where x > 0, else slope * dout; shape of x."""
    x, slope = cache
    return dout * np.where(x > 0, 1.0, slope).astype(dout.dtype, copy=False)


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = 1 / (1 + exp(-x)), any shape, without overflow; cache = out."""
    out = F.sigmoid(x).astype(x.dtype, copy=False)
    return out, out


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout * s (1 - s): the derivative from the output s, no exp needed; shape of x."""
    s = cache
    return dout * s * (1 - s)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = tanh(x), any shape; cache = out."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout * (1 - t^2): the derivative from the output t; shape of x."""
    t = cache
    return dout * (1 - t * t)


class Layer:
    """Base class: a layer with a forward/backward pair and, maybe, parameters.

    Subclasses define ``_forward(x) -> out`` (keeping ``self.cache``) and ``_backward(dout) -> dx``; the public
    ``forward``/``backward`` check the input once and call them.
    """

    cache = None
    _out_shape = None

    def __call__(self, x) -> np.ndarray:
        return self.forward(x)

    def check_input(self, x) -> np.ndarray:
        """x as a float array, or a clear error."""
        return as_array(x, "x")

    def forward(self, x) -> np.ndarray:
        """x: input array -> out; keeps what backward needs."""
        out = self._forward(self.check_input(x))
        self._out_shape = out.shape
        return out

    def backward(self, dout) -> np.ndarray:
        """dout: shape of the last output -> dx: shape of the last input."""
        if self.cache is None:
            raise RuntimeError(f"{self!r}.backward called before forward: call forward(x) first")
        dout = as_array(dout, "dout")
        if self._out_shape is not None and dout.shape != self._out_shape:
            raise ValueError(f"{self!r}.backward expects dout of shape {self._out_shape}, got {dout.shape}: "
                             "dout has the shape of the last output")
        return self._backward(dout)

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

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Layer):
    """Affine layer ``out = x @ W + b`` (`linear_forward` / `linear_backward`).

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

    def check_input(self, x) -> np.ndarray:
        x = as_array(x, "x", dtype=self.W.data.dtype)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self!r} expects x of shape (N, {self.in_features}), got {x.shape}")
        return x

    def _forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, D) -> out: (N, M)."""
        out, self.cache = linear_forward(x, self.W.data, self.b.data)
        return out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, M) -> dx: (N, D); stores W.grad (D, M) and b.grad (M,)."""
        dx, self.W.grad, self.b.grad = linear_backward(dout, self.cache)
        return dx

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features})"


class ReLU(Layer):
    """max(x, 0), elementwise (`relu_forward` / `relu_backward`)."""

    def _forward(self, x):
        out, self.cache = relu_forward(x)
        return out

    def _backward(self, dout):
        return relu_backward(dout, self.cache)


class Sigmoid(Layer):
    """1 / (1 + exp(-x)), elementwise; its derivative s (1 - s) is at most 0.25."""

    def _forward(self, x):
        out, self.cache = sigmoid_forward(x)
        return out

    def _backward(self, dout):
        return sigmoid_backward(dout, self.cache)


class Tanh(Layer):
    """tanh(x), elementwise; its derivative is 1 - tanh(x)^2."""

    def _forward(self, x):
        out, self.cache = tanh_forward(x)
        return out

    def _backward(self, dout):
        return tanh_backward(dout, self.cache)


class LeakyReLU(Layer):
    """x where x > 0, else slope * x, elementwise."""

    def __init__(self, slope: float = 0.01):
        self.slope = as_number(slope, "slope")

    def _forward(self, x):
        out, self.cache = leaky_relu_forward(x, self.slope)
        return out

    def _backward(self, dout):
        return leaky_relu_backward(dout, self.cache)

    def __repr__(self) -> str:
        return f"LeakyReLU({self.slope:g})"


ACTIVATION_LAYERS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "leaky_relu": LeakyReLU}


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse. Each layer object may appear once."""

    def __init__(self, *layers: Layer):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential expects bplab layers, got {type(layer).__name__} at position {i}")
        seen: dict[int, Layer] = {}
        for layer in _leaves(layers):
            if id(layer) in seen:
                raise ValueError(f"{layer!r} appears twice in this model: its cache and gradients would be "
                                 "overwritten by the second use; create a new layer for each position")
            seen[id(layer)] = layer
        self.layers = list(layers)

    def check_input(self, x) -> np.ndarray:
        return self.layers[0].check_input(x) if self.layers else as_array(x, "x")

    def _forward(self, x: np.ndarray) -> np.ndarray:
        self.cache = True
        for layer in self.layers:
            x = layer._forward(x)
        return x

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer._backward(dout)
        return dout

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [(f"{i}.{name}", p) for i, layer in enumerate(self.layers) for name, p in layer.named_parameters()]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.layers))})"


def _leaves(layers) -> list[Layer]:
    """Every layer inside `layers`, nested Sequentials opened."""
    found = []
    for layer in layers:
        found += _leaves(layer.layers) if isinstance(layer, Sequential) else [layer]
    return found


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
    """Softmax followed by cross-entropy (`bplab.functions.softmax_cross_entropy`), fused for stability.

    ``forward(scores, y)`` returns the mean loss; ``backward()`` returns
    ``dscores = (softmax(scores) - one_hot(y)) / N``, shape (N, C).
    """

    cache = None

    def forward(self, scores, y) -> float:
        """scores: (N, C), y: (N,) int labels in 0..C-1 -> mean loss."""
        loss, self.cache = F.softmax_cross_entropy_and_grad(scores, y)  # the cache is dscores
        return loss

    __call__ = forward

    def backward(self) -> np.ndarray:
        """-> dscores: (N, C)."""
        if self.cache is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward: call forward(scores, y) first")
        return self.cache


class MSELoss:
    """Mean squared error (`bplab.functions.mse`); ``backward()`` returns 2 (y_hat - y) / (number of elements)."""

    cache = None

    def forward(self, y_hat, y) -> float:
        """y_hat: (N, K), y: (N, K) -> mean loss."""
        loss = F.mse(y_hat, y)
        self.cache = (y_hat, y)
        return loss

    __call__ = forward

    def backward(self) -> np.ndarray:
        """-> dy_hat: shape of y_hat."""
        if self.cache is None:
            raise RuntimeError("MSELoss.backward called before forward: call forward(y_hat, y) first")
        return F.mse_grad(*self.cache)


def accuracy(scores, y) -> float:
    """Fraction of rows whose highest score is the label; scores (N, C), y (N,)."""
    scores = as_array(scores, "scores", ndim=2, nonempty=True)
    y = as_labels(y, "y", num_classes=scores.shape[1], length=scores.shape[0])
    return float(np.mean(scores.argmax(axis=1) == y))
