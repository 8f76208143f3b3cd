"""Optimizers (SGD, SGD with momentum, Adam) and a small training loop.

An optimizer holds a list of parameters, anything with ``.data`` and ``.grad``
(`bplab.layers.Parameter` arrays or `bplab.Value` scalars), and ``step()`` moves each
against its gradient.

Used in: notebooks/05-loss-and-gradient-descent.ipynb, notebooks/05c-momentum-adam-and-standardized-inputs.ipynb,
notebooks/05d-your-engine-trains-a-network.ipynb, notebooks/08-mlp-on-real-data.ipynb,
notebooks/09-initialization-and-vanishing-gradients.ipynb, notebooks/09b-batch-normalization.ipynb,
notebooks/09c-watching-training.ipynb, notebooks/10-noise-and-generalization.ipynb,
notebooks/10b-dropout-and-data-augmentation.ipynb, notebooks/11-universal-approximation.ipynb,
notebooks/11b-depth-versus-width.ipynb, notebooks/12-backprop-through-time.ipynb,
notebooks/12b-gated-recurrence-and-clipping.ipynb, notebooks/12c-the-echo-state-view.ipynb,
notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb, notebooks/16-backprop-in-perspective.ipynb
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from tqdm.auto import tqdm

from bplab._validate import as_array, as_count, as_labels, as_number, check_same_length
from bplab.data import minibatches
from bplab.layers import MSELoss, SoftmaxCrossEntropy, accuracy


class Optimizer:
    """Base class: keeps the parameter list and zeroes gradients."""

    def __init__(self, params, lr: float, weight_decay: float = 0.0):
        self.params = list(params)
        if not self.params:
            raise ValueError("params is empty: pass model.parameters() (a non-empty list)")
        for i, p in enumerate(self.params):
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                kind = type(p).__name__
                raise TypeError(f"params[{i}] must have .data and .grad (a Parameter or a Value), got {kind}")
        self.lr = as_number(lr, "lr", positive=True)
        self.weight_decay = as_number(weight_decay, "weight_decay", minimum=0.0)

    def zero_grad(self) -> None:
        """Set every gradient to zero (arrays in place, Values to 0.0)."""
        for p in self.params:
            if isinstance(p.grad, np.ndarray):
                p.grad[...] = 0
            else:
                p.grad = 0.0

    def _grad(self, p):
        # L2 weight decay adds d/dw (wd/2 * w^2) = wd * w to the gradient (not AdamW's decoupled decay)
        return p.grad + self.weight_decay * p.data if self.weight_decay else p.grad

    def _check_state(self, i: int, p, state) -> None:
        # per-parameter state is kept by position: a parameter whose shape changed would silently broadcast
        if np.shape(state) != np.shape(p.data):
            raise ValueError(f"params[{i}] changed shape from {np.shape(state)} to {np.shape(p.data)} since this "
                             f"{type(self).__name__} was made: create a new optimizer for the new parameters")


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum.

    ``v = momentum * v - lr * grad``; ``w = w + v`` (plain SGD when momentum = 0).

    Parameters
    ----------
    params : list of Parameter or Value
    lr : float, learning rate > 0
    momentum : float in [0, 1)
    weight_decay : float >= 0, L2 penalty coefficient
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = as_number(momentum, "momentum", minimum=0.0)
        if self.momentum >= 1:
            raise ValueError(f"momentum must be below 1, got {self.momentum}")
        self.velocity = [p.data * 0.0 for p in self.params]

    def step(self) -> None:
        """Update every parameter once."""
        for i, p in enumerate(self.params):
            self._check_state(i, p, self.velocity[i])
            if self.momentum:
                self.velocity[i] = self.momentum * self.velocity[i] - self.lr * self._grad(p)
                p.data += self.velocity[i]
            else:
                p.data -= self.lr * self._grad(p)


class Adam(Optimizer):
    """Adam: momentum on the gradient (m) and per-parameter step sizes from its square (v).

    Parameters
    ----------
    params : list of Parameter or Value
    lr : float, learning rate > 0
    beta1, beta2 : float, decay rates of m and v
    eps : float, added to sqrt(v) to avoid division by zero
    weight_decay : float >= 0, L2 penalty coefficient
    """

    def __init__(self, params, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.beta1, self.beta2 = as_number(beta1, "beta1", minimum=0.0), as_number(beta2, "beta2", minimum=0.0)
        for name, beta in (("beta1", self.beta1), ("beta2", self.beta2)):
            if beta >= 1:
                raise ValueError(f"{name} must be in [0, 1) (a decay rate), got {beta}")
        self.eps = as_number(eps, "eps", positive=True)
        self.m = [p.data * 0.0 for p in self.params]
        self.v = [p.data * 0.0 for p in self.params]
        self.t = 0

    def step(self) -> None:
        """Update every parameter once."""
        self.t += 1
        for i, p in enumerate(self.params):
            self._check_state(i, p, self.m[i])
            g = self._grad(p)
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g * g
            m_hat = self.m[i] / (1 - self.beta1**self.t)  # bias correction: m and v start at 0
            v_hat = self.v[i] / (1 - self.beta2**self.t)
            p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _set_training(model, training: bool) -> None:
    """Put a bplab model in training or evaluation mode (a model without ``train`` stays as it is)."""
    if hasattr(model, "train"):
        model.train(training)


def clip_gradients(params, max_norm: float) -> float:
    """Scale all gradients down together so their global L2 norm is at most `max_norm`.

    Returns
    -------
    float, the global norm before clipping

    Used in: notebooks/09-initialization-and-vanishing-gradients.ipynb,
    notebooks/12b-gated-recurrence-and-clipping.ipynb
    """
    max_norm = as_number(max_norm, "max_norm", positive=True)
    params = list(params)
    norm = math.sqrt(sum(float(np.sum(np.square(p.grad))) for p in params))
    if norm > max_norm:
        for p in params:
            p.grad = p.grad * (max_norm / norm)
    return norm


def fit(model, X, y, optimizer: Optimizer, num_epochs: int, batch_size: int = 32, loss: str = "softmax_cross_entropy",
        X_val=None, y_val=None, rng=None, progress: bool = False, clip_norm: float | None = None,
        schedule: Callable[[int], float] | None = None, callback: Callable[[int, float], None] | None = None) -> dict:
    """Train `model` with mini-batches; returns the per-epoch history.

    Parameters
    ----------
    model : a bplab.layers model (forward, backward, parameters)
    X : array_like, shape (N, D)
    y : array_like, shape (N,) int labels for "softmax_cross_entropy", or (N, K) targets for "mse"
    optimizer : SGD or Adam over model.parameters()
    num_epochs, batch_size : int
    loss : {"softmax_cross_entropy", "mse"}
    X_val, y_val : optional validation data, same kinds as X and y
    rng : np.random.Generator or int, optional; shuffles the batches
    progress : bool, show a tqdm progress bar
    clip_norm : float, optional; clip the global gradient norm to this value each step
    schedule : callable, optional
        A learning-rate schedule: ``schedule(epoch) -> lr`` for epoch = 0, 1, ..., set as ``optimizer.lr`` before
        that epoch's steps (``history["lr"]`` records the rate of every epoch).
    callback : callable, optional
        ``callback(step, batch_loss)``, called after every optimizer step (step = 0, 1, ... over all epochs), to
        record what changes during training (weights, gradients, updates).

    Returns
    -------
    dict
        Lists per epoch: "loss" (mean training loss), "val_loss" (when X_val is given), and for
        classification "train_accuracy" and "val_accuracy"; "lr". ``"diverged": True`` and a "message"
        when the loss stopped being finite (training stops there).

    Layers that act differently in training and in evaluation (BatchNorm, Dropout) take their steps in training mode;
    the accuracies are measured in evaluation mode, and fit returns the model in evaluation mode (``model.train()``
    puts it back).
    """
    if loss not in ("softmax_cross_entropy", "mse"):
        raise ValueError(f"loss must be 'softmax_cross_entropy' or 'mse', got {loss!r}")
    classify = loss == "softmax_cross_entropy"
    X = as_array(X, "X", ndim=2, nonempty=True)
    y = as_labels(y, "y") if classify else as_array(y, "y")
    check_same_length(X, y, "X", "y")
    if X_val is not None:
        X_val = as_array(X_val, "X_val", ndim=2)
        y_val = as_labels(y_val, "y_val") if classify else as_array(y_val, "y_val")
        check_same_length(X_val, y_val, "X_val", "y_val")
    num_epochs, batch_size = as_count(num_epochs, "num_epochs"), as_count(batch_size, "batch_size")
    model_params = {id(p) for p in model.parameters()}
    if not all(id(p) in model_params for p in optimizer.params):
        raise ValueError("optimizer was made for other parameters than this model's (was the model cell re-run "
                         "after the optimizer cell?): create it again, e.g. SGD(model.parameters(), lr=0.1)")
    rng = np.random.default_rng(rng)
    criterion = SoftmaxCrossEntropy() if classify else MSELoss()
    history: dict = {"loss": [], "val_loss": [], "train_accuracy": [], "val_accuracy": [], "lr": [],
                     "diverged": False}
    params = model.parameters()
    step = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in tqdm(range(num_epochs), desc="epochs", disable=not progress, leave=False):
            if schedule is not None:
                optimizer.lr = as_number(schedule(epoch), f"schedule({epoch})", positive=True)
            history["lr"].append(optimizer.lr)
            _set_training(model, True)
            total = 0.0
            for batch in minibatches(len(X), batch_size, rng):  # a new random order each epoch
                batch_loss = criterion.forward(model.forward(X[batch]), y[batch])
                if not math.isfinite(batch_loss):
                    history["diverged"] = True
                    history["message"] = (
                        f"Diverged: the loss became {batch_loss} in epoch {epoch + 1}; lower the learning rate."
                    )
                    return history
                model.backward(criterion.backward())
                if clip_norm is not None:
                    clip_gradients(params, clip_norm)
                optimizer.step()
                if callback is not None:
                    callback(step, batch_loss)
                step += 1
                total += batch_loss * len(batch)
            history["loss"].append(total / len(X))
            _set_training(model, False)  # measure with the running averages, without dropout
            if classify:
                history["train_accuracy"].append(accuracy(model.forward(X), y))
            if X_val is not None:
                val_out = model.forward(X_val)
                history["val_loss"].append(criterion.forward(val_out, y_val))
                if classify:
                    history["val_accuracy"].append(accuracy(val_out, y_val))
    return history
