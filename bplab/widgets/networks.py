"""Widgets of notebooks 06-09: training XOR step by step, vectorized shapes, MLPs, initialization.

Each builder returns an `Explorer`; its compute step is a plain function of the control values
that returns numbers (tested in tests/test_widgets_networks.py), its draw step only plots them.
"""

from __future__ import annotations

import time

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from bplab import data
from bplab._validate import as_array, as_labels, check_same_length
from bplab.functions import sigmoid
from bplab.layers import MLP, Linear, SoftmaxCrossEntropy, accuracy
from bplab.optim import SGD, fit
from bplab.plots import plot_decision_boundary, plot_histograms, plot_history
from bplab.widgets._core import Explorer, dropdown, int_slider

__all__ = [
    "XOR_PARAMETER_NAMES",
    "xor_network",
    "xor_training_explorer",
    "layer_shapes_explorer",
    "digits_training_explorer",
    "decision_boundary_explorer",
    "layer_statistics",
    "init_explorer",
]

# ---------------------------------------------------------------- notebook 06: XOR by hand

XOR_PARAMETER_NAMES = ("w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c")


def xor_network(params, X) -> np.ndarray:
    """The 2-2-1 sigmoid network of notebook 06, on a batch of points.

    ``h_j = sigmoid(w_1j x_1 + w_2j x_2 + b_j)`` for j = 1, 2, then
    ``y_hat = sigmoid(v_1 h_1 + v_2 h_2 + c)``.

    Parameters
    ----------
    params : array_like, shape (9,)
        ``w11, w12, w21, w22, b1, b2, v1, v2, c`` in this order (`XOR_PARAMETER_NAMES`);
        ``w_ij`` connects input i to hidden unit j.
    X : array_like, shape (N, 2)
        Input points, one per row.

    Returns
    -------
    np.ndarray, shape (N,)
        The probability of class 1 for each point.

    Used in: notebooks/06-backprop-by-hand-xor.ipynb
    """
    params = as_array(params, "params", ndim=1)
    if params.shape != (9,):
        raise ValueError(f"params must hold the 9 numbers {XOR_PARAMETER_NAMES}, got shape {params.shape}")
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {X.shape}")
    W1 = params[:4].reshape(2, 2)  # W1[i, j] = w_ij
    h = sigmoid(X @ W1 + params[4:6])
    return sigmoid(h @ params[6:8] + params[8])


def _check_xor_history(history) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(history, dict) or "params" not in history or "loss" not in history:
        raise TypeError("history must be a dict with 'params' (shape (T, 9)) and 'loss' (shape (T,))")
    params = as_array(history["params"], "history['params']", ndim=2)
    loss = as_array(history["loss"], "history['loss']", ndim=1)
    if params.shape[1] != 9 or len(params) != len(loss) or len(loss) < 2:
        raise ValueError(
            "history['params'] must have shape (T, 9) and history['loss'] shape (T,) with the same T >= 2, "
            f"got {params.shape} and {loss.shape}"
        )
    return params, loss


def xor_training_explorer(history: dict) -> Explorer:
    """Step through a recorded training run of the XOR network with an epoch slider (and a play button).

    The plot shows the decision boundary at that epoch, every weight's trajectory and the loss.
    The result holds ``"epoch"``, ``"params"`` (shape (9,)), ``"y_hat"`` (shape (4,): the outputs on
    the four XOR points), ``"loss"`` (the recorded loss at that epoch), ``"num_correct"`` (points on
    the right side of 0.5) and ``"history"``.

    Parameters
    ----------
    history : dict
        ``"params"``: array of shape (T, 9), row t the parameters after t epochs, in the order of
        `XOR_PARAMETER_NAMES`; ``"loss"``: array of shape (T,), the loss at each row.

    Returns
    -------
    Explorer

    Used in: notebooks/06-backprop-by-hand-xor.ipynb
    """
    params, loss = _check_xor_history(history)
    X, y = data.xor()
    last = len(params) - 1
    epoch_slider = int_slider("epoch", 0, 0, last, max(1, last // 200), continuous_update=False)

    def compute(epoch: int) -> dict:
        y_hat = xor_network(params[epoch], X)
        return {
            "epoch": epoch,
            "params": params[epoch],
            "y_hat": y_hat,
            "loss": float(loss[epoch]),
            "num_correct": int(np.sum((y_hat > 0.5) == (y == 1))),
            "history": {"params": params, "loss": loss},
        }

    def draw(fig, result: dict) -> None:
        ax_boundary, ax_params, ax_loss = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.3, 1]})
        theta, epoch = result["params"], result["epoch"]
        plot_decision_boundary(lambda points: xor_network(theta, points), X, y, ax=ax_boundary,
                               resolution=50, padding=0.4,
                               title=f"epoch {epoch}: {result['num_correct']} of 4 right")
        epochs = np.arange(len(params))
        for k, name in enumerate(XOR_PARAMETER_NAMES):
            ax_params.plot(epochs, params[:, k], label=name, lw=1.2)
        ax_params.axvline(epoch, color="k", lw=0.8, ls="--")
        ax_params.set_xlabel("epoch")
        ax_params.set_ylabel("value")
        ax_params.set_title("each weight over training")
        ax_params.legend(ncol=3, fontsize=7, loc="upper left")
        ax_loss.semilogy(epochs, loss)
        ax_loss.plot(epoch, result["loss"], "o", color="tab:red")
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss (log scale)")
        ax_loss.set_title(f"loss {result['loss']:.4f}")
        fig.tight_layout()

    explorer = Explorer({"epoch": epoch_slider}, compute, draw, figsize=(10, 3.6))
    play = widgets.Play(value=0, min=0, max=last, step=epoch_slider.step, interval=150, description="play")
    widgets.jslink((play, "value"), (epoch_slider, "value"))
    explorer.children = (widgets.HBox([play, epoch_slider]), *explorer.children[1:])
    return explorer


# ---------------------------------------------------------------- notebook 07: shapes and timing


def _linear_loop(X: np.ndarray, W: np.ndarray, b: np.ndarray, dout: np.ndarray):
    """Forward and backward of a Linear layer one example at a time (what vectorizing removes)."""
    out = np.empty((len(X), W.shape[1]))
    dX, dW, db = np.empty_like(X), np.zeros_like(W), np.zeros_like(b)
    for n in range(len(X)):
        out[n] = X[n] @ W + b
        dW += np.outer(X[n], dout[n])
        db += dout[n]
        dX[n] = W @ dout[n]
    return out, dX, dW, db


def _linear_vectorized(X: np.ndarray, W: np.ndarray, b: np.ndarray, dout: np.ndarray):
    """Forward and backward of a Linear layer on the whole batch at once."""
    out = X @ W + b
    return out, dout @ W.T, X.T @ dout, dout.sum(axis=0)  # db: sum over the batch


def _best_time(function, *args, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def layer_shapes_explorer(rng: np.random.Generator | int | None = 0) -> Explorer:
    """Sliders for batch size N, inputs D and outputs M of a Linear layer: the shapes of every array
    in its forward and backward pass, and the time of a loop over examples against one matrix product.

    The result holds ``"shapes"`` (dict from name: ``"X", "W", "b", "out", "dout", "dX", "dW", "db"``
    to shape tuple), ``"loop_seconds"`` and ``"vectorized_seconds"`` (best of 3 runs of forward +
    backward), ``"speedup"`` and ``"max_difference"`` (largest gap between the two versions' results).

    Parameters
    ----------
    rng : np.random.Generator or int, optional
        Draws the random X, W, b and dout.

    Returns
    -------
    Explorer

    Used in: notebooks/07-vectorized-backprop.ipynb
    """
    gen = np.random.default_rng(rng)
    controls = {
        "batch_size": int_slider("batch size N", 32, 1, 256, continuous_update=False),
        "in_features": int_slider("inputs D", 64, 1, 128, continuous_update=False),
        "out_features": int_slider("outputs M", 10, 1, 64, continuous_update=False),
    }

    def compute(batch_size: int, in_features: int, out_features: int) -> dict:
        X = gen.standard_normal((batch_size, in_features))
        W = gen.standard_normal((in_features, out_features))
        b = gen.standard_normal(out_features)
        dout = gen.standard_normal((batch_size, out_features))
        looped = _linear_loop(X, W, b, dout)
        vectorized = _linear_vectorized(X, W, b, dout)
        names = ("out", "dX", "dW", "db")
        shapes = {"X": X.shape, "W": W.shape, "b": b.shape, "dout": dout.shape}
        shapes.update({name: array.shape for name, array in zip(names, vectorized)})
        loop_seconds = _best_time(_linear_loop, X, W, b, dout)
        vectorized_seconds = _best_time(_linear_vectorized, X, W, b, dout)
        return {
            "shapes": shapes,
            "loop_seconds": loop_seconds,
            "vectorized_seconds": vectorized_seconds,
            "speedup": loop_seconds / vectorized_seconds,
            "max_difference": max(float(np.max(np.abs(a - v))) for a, v in zip(looped, vectorized)),
            "inputs": {"X": X, "W": W, "b": b, "dout": dout},
            "outputs": dict(zip(names, vectorized)),
        }

    def draw(fig, result: dict) -> None:
        ax, ax_time = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})
        _draw_shapes(ax, result["shapes"])
        ax_time.bar(["loop over\nexamples", "vectorized"],
                    [1e3 * result["loop_seconds"], 1e3 * result["vectorized_seconds"]],
                    color=["tab:gray", "tab:green"])
        ax_time.set_ylabel("forward + backward (ms)")
        ax_time.set_title(f"{result['speedup']:.0f}x faster")
        fig.tight_layout()

    return Explorer(controls, compute, draw, figsize=(10, 3.8))


def _draw_shapes(ax, shapes: dict) -> None:
    """Rectangles in proportion to each array's shape: the forward product and the three gradients."""
    unit = 1.6 / max(max(shape) for shape in shapes.values())
    rows = [
        ("forward", ["out", "=", "X", "@", "W", "+", "b"]),
        ("backward", ["dW", "=", "X.T", "@", "dout", "   ", "dX", "=", "dout", "@", "W.T"]),
        ("", ["db", "= sum of dout over the batch (axis 0)"]),
    ]

    def size(name: str) -> tuple[float, float]:
        shape = shapes[name.removesuffix(".T")]
        rows, cols = shape if len(shape) == 2 else (1, shape[0])  # a bias is drawn as one row
        if name.endswith(".T"):
            rows, cols = cols, rows
        return max(cols * unit, 0.03), max(rows * unit, 0.03)

    top, right = 0.0, 0.0
    for title, items in rows:
        height = max(size(item)[1] for item in items if item.removesuffix(".T") in shapes)
        y = top - 0.45  # below the array labels
        ax.text(-0.15, y - height / 2, title, fontsize=10, weight="bold", va="center", ha="right")
        x = 0.0
        for item in items:
            if item.removesuffix(".T") not in shapes:
                ax.text(x + 0.05, y - 0.15, item, ha="left", va="center", fontsize=11 if len(item) == 1 else 9)
                x += 0.35 if len(item) <= 3 else 0.12 * len(item)
                continue
            width, box_height = size(item)
            slot = max(width, 0.75)
            left = x + (slot - width) / 2
            ax.add_patch(Rectangle((left, y - box_height), width, box_height, facecolor="tab:blue", alpha=0.35,
                                   edgecolor="k"))
            shape = shapes[item.removesuffix(".T")]
            shape = shape[::-1] if item.endswith(".T") else shape
            ax.text(x + slot / 2, y + 0.05, f"{item}\n{tuple(shape)}", ha="center", va="bottom", fontsize=8)
            x += slot
        right = max(right, x)
        top = y - height - 0.15
    ax.set_xlim(-1.2, right + 0.1)
    ax.set_ylim(top, 0.1)
    ax.set_aspect("equal")
    ax.axis("off")


# ---------------------------------------------------------------- notebook 08: an MLP on real data

LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


def _train_mlp(X, y, X_val, y_val, num_hidden: int, lr: float, batch_size: int, num_epochs: int,
               activation: str = "relu", seed: int = 0) -> tuple[MLP, dict, float]:
    num_classes = int(max(y.max(), y_val.max())) + 1
    model = MLP([X.shape[1], num_hidden, num_classes], activation=activation, rng=seed)
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run reports itself in history
        history = fit(model, X, y, optimizer, num_epochs=num_epochs, batch_size=batch_size,
                      X_val=X_val, y_val=y_val, rng=seed)
    return model, history, time.perf_counter() - start


def digits_training_explorer(X_train, y_train, X_val, y_val, seed: int = 0) -> Explorer:
    """Hidden size, learning rate, batch size and epochs of an MLP on the digits; trains on "Train".

    The model is ``MLP([D, num_hidden, C])`` (ReLU, He init) trained by `bplab.optim.fit` with SGD and
    momentum 0.9. It is scored on a **validation** set: settings chosen by looking at a score are tuned
    to that score, so pass a validation split here and keep the test set for one final measurement.
    The result holds ``"history"`` (from fit), ``"val_accuracy"`` (after the last epoch, or None when
    training diverged), ``"seconds"``, ``"model"`` and a ``"message"``.

    Parameters
    ----------
    X_train, X_val : array_like, shape (N, D)
    y_train, y_val : array_like, shape (N,), integer labels
    seed : int
        Seeds the initial weights and the batch order, so the same settings give the same run.

    Returns
    -------
    Explorer

    Used in: notebooks/08-mlp-on-real-data.ipynb
    """
    X_train, X_val = as_array(X_train, "X_train", ndim=2), as_array(X_val, "X_val", ndim=2)
    y_train, y_val = as_labels(y_train, "y_train"), as_labels(y_val, "y_val")
    check_same_length(X_train, y_train, "X_train", "y_train")
    check_same_length(X_val, y_val, "X_val", "y_val")
    num_classes = int(max(y_train.max(), y_val.max())) + 1
    controls = {
        "num_hidden": int_slider("hidden units", 64, 8, 256, 8),
        "lr": dropdown("learning rate", LEARNING_RATES, 0.1),
        "batch_size": dropdown("batch size", (16, 32, 64, 128), 32),
        "num_epochs": int_slider("epochs", 10, 1, 30),
    }

    def compute(num_hidden: int, lr: float, batch_size: int, num_epochs: int) -> dict:
        model, history, seconds = _train_mlp(X_train, y_train, X_val, y_val, num_hidden, lr, batch_size,
                                             num_epochs, seed=seed)
        val_accuracy = None if history["diverged"] else history["val_accuracy"][-1]
        guessing = np.log(num_classes)  # the loss of predicting 1/C for every class
        if history["diverged"]:
            message = history["message"]
        elif history["loss"][-1] > guessing:
            message = (f"Training failed: the loss ended at {history['loss'][-1]:.2f}, above the {guessing:.2f} "
                       f"of guessing (validation accuracy {val_accuracy:.1%}). Try a lower learning rate.")
        else:
            message = f"validation accuracy {val_accuracy:.1%} after {num_epochs} epochs ({seconds:.1f} s)"
        return {"history": history, "val_accuracy": val_accuracy, "seconds": seconds, "model": model,
                "message": message}

    def draw(fig, result: dict) -> None:
        plot_history(result["history"], fig=fig, val_label="validation")

    return Explorer(controls, compute, draw, figsize=(9, 3.4), button="Train")


DATASETS_2D = {
    "moons": lambda: data.moons(n=300, noise=0.15, rng=0),
    "circles": lambda: data.circles(n=300, noise=0.08, factor=0.5, rng=0),
    "spiral": lambda: data.spiral(n_per_class=100, num_classes=3, noise=0.2, rng=0),
}


def decision_boundary_explorer(seed: int = 0) -> Explorer:
    """Train a one-hidden-layer MLP on a 2-D dataset and draw its decision boundary (on "Train").

    Controls: dataset ("moons", "circles", "spiral"), hidden units, activation and epochs; the
    optimizer is SGD with lr 0.1, momentum 0.9, batch size 32. The result holds ``"X"``, ``"y"``,
    ``"model"``, ``"history"``, ``"train_accuracy"`` and a ``"message"``.

    Parameters
    ----------
    seed : int
        Seeds the initial weights and the batch order.

    Returns
    -------
    Explorer

    Used in: notebooks/08-mlp-on-real-data.ipynb
    """
    controls = {
        "dataset": dropdown("dataset", tuple(DATASETS_2D), "spiral"),
        "num_hidden": int_slider("hidden units", 32, 1, 128),
        "activation": dropdown("activation", ("relu", "tanh", "sigmoid"), "relu"),
        "num_epochs": int_slider("epochs", 100, 10, 300, 10),
    }

    def compute(dataset: str, num_hidden: int, activation: str, num_epochs: int) -> dict:
        X, y = DATASETS_2D[dataset]()
        model, history, seconds = _train_mlp(X, y, X, y, num_hidden, 0.1, 32, num_epochs, activation, seed)
        train_accuracy = None if history["diverged"] else accuracy(model.forward(X), y)
        message = history.get("message") or (
            f"training accuracy {train_accuracy:.1%} with {num_hidden} hidden units ({seconds:.1f} s)"
        )
        return {"X": X, "y": y, "model": model, "history": history, "train_accuracy": train_accuracy,
                "message": message}

    def draw(fig, result: dict) -> None:
        ax_boundary, ax_loss = fig.subplots(1, 2)
        if result["train_accuracy"] is not None:
            plot_decision_boundary(result["model"].forward, result["X"], result["y"], ax=ax_boundary,
                                   resolution=80, padding=0.3, title="decision regions")
        ax_loss.plot(np.arange(1, len(result["history"]["loss"]) + 1), result["history"]["loss"])
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("training loss")
        ax_loss.set_title("loss per epoch")
        fig.tight_layout()

    return Explorer(controls, compute, draw, figsize=(9, 3.8), button="Train")


# ---------------------------------------------------------------- notebook 09: initialization

INIT_CHOICES = {
    "normal, std 0.01": ("normal", 0.01),
    "normal, std 1": ("normal", 1.0),
    "xavier": ("xavier", 0.01),
    "he": ("he", 0.01),
}


def layer_statistics(model: MLP, X, y) -> dict:
    """One forward and backward pass of `model` with softmax cross-entropy, recording every layer.

    Parameters
    ----------
    model : bplab.layers.MLP (or Sequential of Linear and activation layers)
    X : array_like, shape (N, D)
    y : array_like, shape (N,), integer labels

    Returns
    -------
    dict
        ``"activations"``: list of arrays (N, width), the output of each activation layer;
        ``"grads"``: list of dW arrays, one per Linear layer (first to last);
        ``"grad_norms"``: np.ndarray of their L2 norms;
        ``"deltas"``: list of arrays (N, out_features), the gradient of the loss with respect to
        each Linear layer's output z_l (first to last), so that ``grads[l] = input_l.T @ deltas[l]``;
        ``"loss"``: float.

    Used in: notebooks/09-initialization-and-vanishing-gradients.ipynb
    """
    out = as_array(X, "X", ndim=2)
    activations = []
    for layer in model.layers:
        out = layer.forward(out)
        if not isinstance(layer, Linear):
            activations.append(out)
    criterion = SoftmaxCrossEntropy()
    loss = criterion.forward(out, y)
    dout, deltas = criterion.backward(), []
    for layer in reversed(model.layers):  # what model.backward does, keeping each Linear's delta
        if isinstance(layer, Linear):
            deltas.insert(0, dout)
        dout = layer.backward(dout)
    grads = [layer.W.grad for layer in model.layers if isinstance(layer, Linear)]
    return {"activations": activations, "grads": grads, "deltas": deltas,
            "grad_norms": np.array([np.linalg.norm(g) for g in grads]), "loss": loss}


def _init_message(norms: np.ndarray, ratio: float, last_std: float, saturated: float) -> str:
    """One sentence on the gradients (first / last ratio, or their size), then on the activations.

    Both are reported because they can disagree: tanh with N(0, 1) weights saturates its units (each
    local derivative 1 - h^2 is small) and yet its gradients grow toward the input, because every
    W^T multiplies the backward signal by about sqrt(D) * std(W) = 10 for D = 100.
    """
    if ratio > 1e2:
        gradients = f"Exploding gradients: the first layer's gradient is {ratio:.1e} times the last layer's"
    elif ratio < 1e-2:
        gradients = f"Vanishing gradients: the first layer's gradient is {ratio:.1e} times the last layer's"
    elif norms.max() > 1e3:
        gradients = f"Exploding: every layer's gradient is huge (up to {norms.max():.0e})"
    elif norms.max() < 1e-3:
        gradients = f"Tiny gradients in every layer (at most {norms.max():.0e}, first / last = {ratio:.2f})"
    elif ratio > 10:
        gradients = f"Gradients grow toward the input: first layer / last layer = {ratio:.0f}"
    elif ratio < 0.1:
        gradients = f"Gradients shrink toward the input: first layer / last layer = {ratio:.2f}"
    else:
        gradients = f"Gradients stay in scale: first layer / last layer = {ratio:.2f}"
    if last_std < 1e-3:
        activations = f"; the activations collapsed (last hidden layer's std {last_std:.0e})"
    elif last_std > 1e2:
        activations = f"; the activations explode too (last hidden layer's std {last_std:.0e})"
    elif saturated > 0.5:
        activations = f"; {saturated:.0%} of the last hidden layer's units are saturated"
    else:
        activations = ""
    return gradients + activations + "."


def init_explorer(num_examples: int = 128, width: int = 100, seed: int = 0) -> Explorer:
    """Depth, activation and initialization of a deep MLP: per-layer activation histograms and gradient norms.

    The network is ``MLP([width] + [width] * depth + [10])`` on random Gaussian inputs with random
    labels (one forward and backward pass, no training). The result holds what `layer_statistics`
    returns plus ``"activation_std"`` (per layer), ``"ratio"`` (first-layer over last-layer
    gradient norm), ``"model"``, ``"X"``, ``"y"`` and a ``"message"``.

    Parameters
    ----------
    num_examples : int
        Batch size N of the random inputs.
    width : int
        Input size and width of every hidden layer.
    seed : int
        Seeds the inputs, the labels and the weights.

    Returns
    -------
    Explorer

    Used in: notebooks/09-initialization-and-vanishing-gradients.ipynb
    """
    gen = np.random.default_rng(seed)
    X = gen.standard_normal((num_examples, width))
    y = gen.integers(0, 10, size=num_examples)
    controls = {
        "depth": int_slider("hidden layers", 6, 2, 12),
        "activation": dropdown("activation", ("sigmoid", "tanh", "relu"), "tanh"),
        "init": dropdown("init", tuple(INIT_CHOICES), "xavier"),
    }

    def compute(depth: int, activation: str, init: str) -> dict:
        kind, scale = INIT_CHOICES[init]
        model = MLP([width] + [width] * depth + [10], activation=activation, init=kind, scale=scale, rng=seed)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            result = layer_statistics(model, X, y)
        norms = result["grad_norms"]
        ratio = float(norms[0] / norms[-1]) if norms[-1] > 0 else float("nan")
        last = result["activations"][-1]
        saturated = float(np.mean(np.abs(last) > 0.99) if activation == "tanh" else
                          np.mean((last < 0.01) | (last > 0.99)) if activation == "sigmoid" else 0.0)
        result["message"] = _init_message(norms, ratio, float(last.std()), saturated)
        result.update(activation_std=np.array([a.std() for a in result["activations"]]), ratio=ratio,
                      model=model, X=X, y=y)
        return result

    def draw(fig, result: dict) -> None:
        ax_hist, ax_grad = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        activations = result["activations"]
        low = -0.1 if min(a.min() for a in activations) >= 0 else -1.05
        high = max(1.05, float(np.percentile(np.concatenate([a.ravel() for a in activations]), 99.5)))
        plot_histograms(activations, ax=ax_hist, bins=40, value_range=(low, high), ylabel="activation")
        ax_hist.set_xlabel("hidden layer")
        ax_hist.set_title("activations of each hidden layer")
        norms = result["grad_norms"]
        ax_grad.semilogy(np.arange(1, len(norms) + 1), norms, "o-")
        ax_grad.set_xlabel("Linear layer (1 = next to the input)")
        ax_grad.set_ylabel(r"$\|dW\|$ (log scale)")
        ax_grad.set_title("gradient norm per layer")
        ax_grad.set_xticks(np.arange(1, len(norms) + 1))
        fig.tight_layout()

    return Explorer(controls, compute, draw, figsize=(10, 4))
