"""Vectorized layers: forward/backward function pairs, thin classes around them, and models that compose them.

The math lives in function pairs, as in CS231n: ``linear_forward(x, W, b) -> out, cache`` and
``linear_backward(dout, cache) -> dx, dW, db``; likewise for each activation, for batch and layer normalization
and for dropout. ``dout`` is the upstream gradient d loss / d out, with the shape of ``out``. Rows are examples:
``x`` has shape ``(N, D)``.

The classes (`Linear`, `ReLU`, ..., `BatchNorm`, `LayerNorm`, `Dropout`, `Sequential`, `MLP`) wrap the pairs so a
model is easy to build and train: ``forward(x)`` (also ``layer(x)``) returns the output and keeps the cache;
``backward(dout)`` returns ``dx`` and stores the gradients of the parameters in ``param.grad`` (replacing the previous
ones). Inputs are checked once, where you call the model; inside a model the layers trust each other. BatchNorm and
Dropout act differently in training and in evaluation: ``model.train()`` and ``model.eval()`` switch. The losses are
defined once, in `bplab.functions`; `SoftmaxCrossEntropy` and `MSELoss` only remember their inputs for backward.

Used in: notebooks/05-loss-and-gradient-descent.ipynb,
notebooks/05c-momentum-adam-and-standardized-inputs.ipynb, notebooks/05d-your-engine-trains-a-network.ipynb,
notebooks/07-vectorized-backprop.ipynb,
notebooks/08-mlp-on-real-data.ipynb, notebooks/09-initialization-and-vanishing-gradients.ipynb,
notebooks/09b-batch-normalization.ipynb, notebooks/09c-watching-training.ipynb,
notebooks/10-noise-and-generalization.ipynb, notebooks/10b-dropout-and-data-augmentation.ipynb,
notebooks/11-universal-approximation.ipynb, notebooks/11b-depth-versus-width.ipynb,
notebooks/13-why-backprop-is-efficient.ipynb, notebooks/14-jacobians-and-the-two-modes.ipynb,
notebooks/14b-jvp-vjp-and-hessian-vector-products.ipynb, notebooks/16-backprop-in-perspective.ipynb
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


def _check_features(x, gamma, beta, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (N, D), gamma (D,), beta (D,) as float arrays, or an error naming what came."""
    x = as_array(x, "x")
    if x.ndim != 2:
        raise ValueError(f"{name} expects x of shape (N, D), got shape {x.shape}")
    D = x.shape[1]
    gamma, beta = as_array(gamma, "gamma", dtype=x.dtype), as_array(beta, "beta", dtype=x.dtype)
    for label, array in (("gamma", gamma), ("beta", beta)):
        if array.shape != (D,):
            raise ValueError(f"{name} expects {label} of shape ({D},), one per feature of x {x.shape}, "
                             f"got {array.shape}")
    return x, gamma, beta


def batchnorm_forward(x, gamma, beta, eps: float = 1e-5, mode: str = "train", running_mean=None, running_var=None,
                      momentum: float = 0.1) -> tuple[np.ndarray, tuple]:
    """Batch normalization: each feature (column) standardized over the batch, then scaled and shifted.

    ``out = gamma * (x - mean) / sqrt(var + eps) + beta``, column by column. In ``"train"`` mode, mean and var are
    the batch's own: ``mean = x.mean(axis=0)``, ``var = x.var(axis=0)`` (divided by N, as in the original paper),
    and the running averages, when given, move towards them in place:
    ``running = (1 - momentum) * running + momentum * batch`` (PyTorch's momentum convention; PyTorch puts the
    unbiased batch variance, N / (N - 1) times this one, into its running variance). In ``"test"`` mode the
    running averages replace them, so each example's output depends on that example alone.

    Parameters
    ----------
    x : ndarray, shape (N, D); N >= 2 in "train" mode (one example has variance 0)
    gamma : ndarray, shape (D,), the learned scale
    beta : ndarray, shape (D,), the learned shift
    eps : float > 0, added to the variance so that a constant feature does not divide by 0
    mode : {"train", "test"}
    running_mean, running_var : ndarray, shape (D,), optional in "train" mode (updated in place), required in "test"
    momentum : float in [0, 1], how far one batch moves the running averages

    Returns
    -------
    out : ndarray, shape (N, D)
    cache : tuple (x_hat (N, D), gamma (D,), inv_std (D,), mode) for `batchnorm_backward`

    Used in: notebooks/09b-batch-normalization.ipynb
    """
    x, gamma, beta = _check_features(x, gamma, beta, "batchnorm_forward")
    eps = as_number(eps, "eps", positive=True)
    momentum = as_number(momentum, "momentum", minimum=0.0)
    if momentum > 1:
        raise ValueError(f"momentum must be between 0 and 1, got {momentum}")
    if mode not in ("train", "test"):
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    running = [r if r is None else as_array(r, name) for r, name in ((running_mean, "running_mean"),
                                                                      (running_var, "running_var"))]
    for r, name in zip(running, ("running_mean", "running_var")):
        if r is not None and r.shape != gamma.shape:
            raise ValueError(f"batchnorm_forward expects {name} of shape {gamma.shape}, got {r.shape}")
    if mode == "train":
        if x.shape[0] < 2:
            raise ValueError(f"batchnorm_forward in 'train' mode needs a batch of at least 2 examples, got x of shape "
                             f"{x.shape}: one example has variance 0, so every output would be beta. Use mode='test' "
                             "(the running averages) for single examples")
        mean, var = x.mean(axis=0), x.var(axis=0)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += momentum * var
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batchnorm_forward in 'test' mode needs running_mean and running_var")
        mean, var = running
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, mode)


def batchnorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of batch normalization, in the compact (fused) form.

    In "train" mode the mean and variance depend on every example, and the three paths through them give
    ``dx = (inv_std / N) * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))`` with
    ``dx_hat = dout * gamma``; in "test" mode they are constants and ``dx = dout * gamma * inv_std``.

    Parameters
    ----------
    dout : ndarray, shape (N, D), upstream gradient
    cache : from `batchnorm_forward`

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma : ndarray, shape (D,), ``(dout * x_hat).sum(axis=0)``
    dbeta : ndarray, shape (D,), ``dout.sum(axis=0)``: beta touches every example

    Used in: notebooks/09b-batch-normalization.ipynb
    """
    x_hat, gamma, inv_std, mode = cache
    dgamma = (dout * x_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx_hat = dout * gamma
    if mode == "test":
        return dx_hat * inv_std, dgamma, dbeta
    N = dout.shape[0]
    dx = (inv_std / N) * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, eps: float = 1e-5) -> tuple[np.ndarray, tuple]:
    """Layer normalization: each example (row) standardized over its features, then scaled and shifted per feature.

    ``out = gamma * (x - mean) / sqrt(var + eps) + beta`` with ``mean = x.mean(axis=1, keepdims=True)`` and
    ``var = x.var(axis=1, keepdims=True)``: batch normalization with the roles of the axes swapped, except that
    gamma and beta stay one per feature. No batch statistics, so training and test time are the same.

    Parameters
    ----------
    x : ndarray, shape (N, D), D >= 2
    gamma, beta : ndarray, shape (D,)
    eps : float > 0

    Returns
    -------
    out : ndarray, shape (N, D)
    cache : tuple (x_hat (N, D), gamma (D,), inv_std (N, 1)) for `layernorm_backward`

    Used in: notebooks/09b-batch-normalization.ipynb
    """
    x, gamma, beta = _check_features(x, gamma, beta, "layernorm_forward")
    eps = as_number(eps, "eps", positive=True)
    if x.shape[1] < 2:
        raise ValueError(f"layernorm_forward needs at least 2 features per example, got x of shape {x.shape}")
    inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=1, keepdims=True)) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


def layernorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of layer normalization: batch norm's compact formula along the features (axis 1).

    Parameters
    ----------
    dout : ndarray, shape (N, D)
    cache : from `layernorm_forward`

    Returns
    -------
    dx : ndarray, shape (N, D); dgamma, dbeta : ndarray, shape (D,)

    Used in: notebooks/09b-batch-normalization.ipynb
    """
    x_hat, gamma, inv_std = cache
    D = dout.shape[1]
    dx_hat = dout * gamma
    dx = (inv_std / D) * (D * dx_hat - dx_hat.sum(axis=1, keepdims=True)
                          - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def dropout_forward(x, p: float, mode: str = "train", rng=None, mask=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Inverted dropout: in training, zero each entry with probability p and divide the kept ones by 1 - p.

    The division makes the expected output equal to x, so at test time the layer is the identity (nothing
    to rescale there). `p` is the probability of *dropping* an entry, as PyTorch's ``Dropout(p)``.

    Parameters
    ----------
    x : ndarray, any shape
    p : float in [0, 1)
    mode : {"train", "test"}
    rng : np.random.Generator or int, optional; draws the mask
    mask : ndarray of bool, shape of x, optional; True where an entry is kept (instead of drawing one, e.g. to
        check the backward against finite differences with the same mask)

    Returns
    -------
    out : ndarray, shape of x
    cache : the scaled mask (0 or 1 / (1 - p), shape of x) in "train" mode, None in "test" mode

    Used in: notebooks/10b-dropout-and-data-augmentation.ipynb
    """
    x = as_array(x, "x")
    p = as_number(p, "p", minimum=0.0)
    if p >= 1:
        raise ValueError(f"p is the probability of dropping an entry, in [0, 1), got {p}")
    if mode not in ("train", "test"):
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")
    if mode == "test":
        return x, None
    if mask is None:
        mask = np.random.default_rng(rng).random(x.shape) >= p
    elif np.shape(mask) != x.shape:
        raise ValueError(f"dropout_forward expects mask of the shape of x {x.shape}, got {np.shape(mask)}")
    scaled = np.asarray(mask, dtype=x.dtype) / (1 - p)
    return x * scaled, scaled


def dropout_backward(dout: np.ndarray, cache: np.ndarray | None) -> np.ndarray:
    """dx = dout times the same scaled mask (0 where the entry was dropped); dout itself at test time."""
    return dout if cache is None else dout * cache


class Layer:
    """Base class: a layer with a forward/backward pair and, maybe, parameters.

    Subclasses define ``_forward(x) -> out`` (keeping ``self.cache``) and ``_backward(dout) -> dx``; the public
    ``forward``/``backward`` check the input once and call them.
    """

    cache = None
    _out_shape = None
    training = True  # BatchNorm and Dropout act differently in training and in evaluation (see `train`)

    def __call__(self, x) -> np.ndarray:
        return self.forward(x)

    def train(self, mode: bool = True) -> Layer:
        """Training mode (``mode=True``) or evaluation mode (False) for this layer and every layer inside it.

        Only BatchNorm (batch statistics or running averages) and Dropout (on or off) act differently; as in
        PyTorch, ``model.eval()`` before measuring a trained model, ``model.train()`` before training it again.
        Returns the layer.
        """
        self.training = bool(mode)
        for layer in getattr(self, "layers", ()):
            layer.train(mode)
        return self

    def eval(self) -> Layer:
        """Evaluation mode: ``train(False)``; returns the layer."""
        return self.train(False)

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


class BatchNorm(Layer):
    """Batch normalization of each feature over the batch (`batchnorm_forward` / `batchnorm_backward`).

    Training mode (``layer.train()``, the default) uses the batch's mean and variance and updates the running
    averages; evaluation mode (``layer.eval()``) uses the running averages.

    Parameters
    ----------
    num_features : int, D
    eps : float, added to the variance
    momentum : float, how far each training batch moves the running averages
    dtype : numpy float type of the parameters

    Attributes
    ----------
    gamma : Parameter, shape (D,), starts at 1
    beta : Parameter, shape (D,), starts at 0
    running_mean, running_var : ndarray, shape (D,), start at 0 and 1 (not parameters: no gradient)

    Used in: notebooks/09b-batch-normalization.ipynb
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, dtype=np.float64):
        self.num_features = as_count(num_features, "num_features")
        self.eps, self.momentum = as_number(eps, "eps", positive=True), as_number(momentum, "momentum", minimum=0.0)
        self.gamma = Parameter(np.ones(num_features, dtype=dtype))
        self.beta = Parameter(np.zeros(num_features, dtype=dtype))
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)

    def check_input(self, x) -> np.ndarray:
        x = as_array(x, "x", dtype=self.gamma.data.dtype)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"{self!r} expects x of shape (N, {self.num_features}), got {x.shape}")
        if self.training and x.shape[0] < 2:
            raise ValueError(f"{self!r} in training mode needs a batch of at least 2 examples, got {x.shape}: call "
                             ".eval() first to use the running averages")
        return x

    def _forward(self, x):
        out, self.cache = batchnorm_forward(x, self.gamma.data, self.beta.data, self.eps,
                                            "train" if self.training else "test", self.running_mean,
                                            self.running_var, self.momentum)
        return out

    def _backward(self, dout):
        dx, self.gamma.grad, self.beta.grad = batchnorm_backward(dout, self.cache)
        return dx

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features})"


class LayerNorm(Layer):
    """Layer normalization of each example over its features (`layernorm_forward` / `layernorm_backward`).

    Parameters
    ----------
    num_features : int, D >= 2
    eps : float
    dtype : numpy float type of the parameters

    Attributes
    ----------
    gamma : Parameter, shape (D,), starts at 1
    beta : Parameter, shape (D,), starts at 0

    Used in: notebooks/09b-batch-normalization.ipynb
    """

    def __init__(self, num_features: int, eps: float = 1e-5, dtype=np.float64):
        self.num_features = as_count(num_features, "num_features", minimum=2)
        self.eps = as_number(eps, "eps", positive=True)
        self.gamma = Parameter(np.ones(num_features, dtype=dtype))
        self.beta = Parameter(np.zeros(num_features, dtype=dtype))

    def check_input(self, x) -> np.ndarray:
        x = as_array(x, "x", dtype=self.gamma.data.dtype)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"{self!r} expects x of shape (N, {self.num_features}), got {x.shape}")
        return x

    def _forward(self, x):
        out, self.cache = layernorm_forward(x, self.gamma.data, self.beta.data, self.eps)
        return out

    def _backward(self, dout):
        dx, self.gamma.grad, self.beta.grad = layernorm_backward(dout, self.cache)
        return dx

    def __repr__(self) -> str:
        return f"LayerNorm({self.num_features})"


class Dropout(Layer):
    """Inverted dropout (`dropout_forward` / `dropout_backward`): active in training mode, the identity in evaluation.

    Parameters
    ----------
    p : float in [0, 1), the probability of dropping each entry
    rng : np.random.Generator or int, optional; draws a new mask at every forward pass in training mode

    Used in: notebooks/10b-dropout-and-data-augmentation.ipynb
    """

    def __init__(self, p: float = 0.5, rng=None):
        self.p = as_number(p, "p", minimum=0.0)
        if self.p >= 1:
            raise ValueError(f"p is the probability of dropping an entry, in [0, 1), got {self.p}")
        self.rng = np.random.default_rng(rng)

    def _forward(self, x):
        out, mask = dropout_forward(x, self.p, "train" if self.training else "test", self.rng)
        self.cache = (mask,)  # a tuple: the layer has a cache even when the mask is None
        return out

    def _backward(self, dout):
        return dropout_backward(dout, self.cache[0])

    def __repr__(self) -> str:
        return f"Dropout({self.p:g})"


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
    norm : {None, "batch", "layer"}
        A BatchNorm or LayerNorm after every hidden Linear layer, before its activation (not after the last).
    """

    def __init__(self, sizes: list[int], activation: str = "relu", init: str = "he", scale: float = 0.01, rng=None,
                 dtype=np.float64, norm: str | None = None):
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output size, got {sizes}")
        if activation not in ACTIVATION_LAYERS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATION_LAYERS)}, got {activation!r}")
        if norm not in (None, "batch", "layer"):
            raise ValueError(f"norm must be None, 'batch' or 'layer', got {norm!r}")
        rng = np.random.default_rng(rng)
        layers: list[Layer] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, init, scale, rng, dtype))
            if i < len(sizes) - 2:
                if norm is not None:
                    norm_layer = BatchNorm if norm == "batch" else LayerNorm
                    layers.append(norm_layer(fan_out, dtype=dtype))
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
