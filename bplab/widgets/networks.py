"""Widgets of notebooks 06-09: training XOR step by step, vectorized shapes, MLPs, initialization.

Each builder returns an `Explorer` (see `_core.py`): its compute step is a plain function of the control values
that returns numbers, computed with the teaching core (`bplab.layers`, `bplab.optim.fit`) and tested in
tests/test_widgets_networks.py; `setup` draws the static parts once and `update` moves the artists.
"""

from __future__ import annotations

import functools
import math
import time

import contourpy
import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import NullFormatter

from bplab import data
from bplab._validate import as_array, as_labels, check_same_length
from bplab.layers import (
    MLP,
    Linear,
    SoftmaxCrossEntropy,
    accuracy,
    linear_backward,
    linear_forward,
    sigmoid_forward,
)
from bplab.optim import SGD, fit
from bplab.plots import CLASS_MARKERS, COLORS, class_colors, decision_grid, line_styles
from bplab.widgets._core import Explorer, dropdown, fixed_ylabel, int_slider
from bplab.widgets._timing import best_time

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
    ``y_hat = sigmoid(v_1 h_1 + v_2 h_2 + c)``: two Linear + sigmoid steps of `bplab.layers`.

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
    W1, b1 = params[:4].reshape(2, 2), params[4:6]  # W1[i, j] = w_ij, shape (2, 2); b1 shape (2,)
    W2, b2 = params[6:8].reshape(2, 1), params[8:9]  # (v1, v2) as a column, shape (2, 1); c shape (1,)
    h, _ = sigmoid_forward(linear_forward(X, W1, b1)[0])  # hidden layer, shape (N, 2)
    y_hat, _ = sigmoid_forward(linear_forward(h, W2, b2)[0])  # output, shape (N, 1)
    return y_hat[:, 0]


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


def _play_interval(frame_seconds: float, minimum_ms: int = 100) -> int:
    """Milliseconds between two frames of a Play button: 1.5 times a measured frame, at least `minimum_ms`.

    A Play that ticks faster than a frame can be drawn only makes the drawing thread skip frames.
    """
    return max(minimum_ms, math.ceil(1.5 * 1e3 * frame_seconds))


def xor_training_explorer(history: dict) -> Explorer:
    """Step through a recorded training run of the XOR network with an epoch slider (and a play button).

    The plot shows the network's output P(class 1) over the plane at that epoch (with its 0.5 contour, the
    decision boundary), every weight's trajectory and the loss; the readout gives the epoch, the loss and how
    many of the four points are right. The result holds ``"epoch"``, ``"params"`` (shape (9,)), ``"y_hat"``
    (shape (4,): the outputs on the four XOR points), ``"loss"`` (the recorded loss at that epoch),
    ``"num_correct"`` (points on the right side of 0.5), ``"grid"`` (the output on the plotted grid) and
    ``"history"``.

    Parameters
    ----------
    history : dict
        ``"params"``: array of shape (T, 9), row t the parameters after t epochs, in the order of
        `XOR_PARAMETER_NAMES`; ``"loss"``: array of shape (T,), the loss at each row.

    Returns
    -------
    Explorer
        With a ``play`` attribute: the `ipywidgets.Play` that steps the epochs, its interval set from the
        measured time of one frame.

    Used in: notebooks/06-backprop-by-hand-xor.ipynb
    """
    params, loss = _check_xor_history(history)
    X, y = data.xor()
    xx, yy, points = decision_grid(X, resolution=50, padding=0.4)  # fixed: computed once
    last = len(params) - 1
    epochs = np.arange(len(params))
    epoch_slider = int_slider("epoch", 0, 0, last, max(1, last // 200))

    def compute(epoch: int) -> dict:
        y_hat = xor_network(params[epoch], X)
        return {
            "epoch": epoch,
            "params": params[epoch],
            "y_hat": y_hat,
            "loss": float(loss[epoch]),
            "num_correct": int(np.sum((y_hat > 0.5) == (y == 1))),
            "grid": xor_network(params[epoch], points).reshape(xx.shape),
            "history": {"params": params, "loss": loss},
        }

    def setup(fig: Figure) -> dict:
        ax_boundary, ax_params, ax_loss = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.3, 1]})
        extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
        image = ax_boundary.imshow(np.zeros(xx.shape), origin="lower", extent=extent, aspect="auto", cmap="RdBu",
                                   norm=BoundaryNorm(np.linspace(0, 1, 11), 256), alpha=0.6, animated=True)
        boundary = LineCollection([], colors="k", linewidths=1.5, animated=True)
        ax_boundary.add_collection(boundary)
        for label, marker, fill in ((0, "o", "white"), (1, "s", "black")):  # class 0 and 1 by shape and shade
            ax_boundary.scatter(*X[y == label].T, marker=marker, color=fill, s=40, edgecolors="k",
                                label=f"class {label}", animated=True)  # animated: drawn over the moving picture
        ax_boundary.set_xlim(extent[:2])
        ax_boundary.set_ylim(extent[2:])
        ax_boundary.set_xlabel("$x_1$")
        ax_boundary.set_ylabel("$x_2$")
        ax_boundary.set_title("P(class 1); line: 0.5")
        line_styles(ax_params)  # nine lines: a colour and a dash pattern each, and a name in the legend
        for k, name in enumerate(XOR_PARAMETER_NAMES):
            ax_params.plot(epochs, params[:, k], label=name, lw=1.2)
        epoch_line = ax_params.axvline(0, color="k", lw=0.8, ls="--", animated=True)
        ax_params.set_xlabel("epoch")
        ax_params.set_ylabel("value")
        ax_params.set_title("each weight over training")
        ax_params.legend(ncol=3, fontsize=7, loc="upper left")
        ax_loss.semilogy(epochs, loss, color=COLORS["blue"])
        (marker,) = ax_loss.plot([], [], "o", color=COLORS["vermillion"], animated=True)
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss (log scale)")
        ax_loss.set_title("loss")
        return {"image": image, "boundary": boundary, "epoch_line": epoch_line, "marker": marker}

    def update(artists: dict, result: dict) -> None:
        grid = result["grid"]
        artists["image"].set_data(grid)
        artists["boundary"].set_segments(contourpy.contour_generator(xx, yy, grid).lines(0.5))
        artists["epoch_line"].set_xdata([result["epoch"], result["epoch"]])
        artists["marker"].set_data([result["epoch"]], [result["loss"]])

    def readout(result: dict) -> str:
        return (f"epoch {result['epoch']}: loss {result['loss']:.4f}, {result['num_correct']} of 4 points "
                f"right; outputs on (0,0), (0,1), (1,0), (1,1): "
                + ", ".join(f"{p:.3f}" for p in result["y_hat"]))

    explorer = Explorer({"epoch": epoch_slider}, compute, setup, update, readout, figsize=(10, 3.6))
    start = time.perf_counter()
    explorer.refresh()  # one frame as the Play button will draw it (the first draw also laid out the figure)
    play = widgets.Play(value=0, min=0, max=last, step=epoch_slider.step, description="play",
                        interval=_play_interval(time.perf_counter() - start))
    widgets.jslink((play, "value"), (epoch_slider, "value"))
    explorer.play = play
    explorer.children = (widgets.HBox([play, epoch_slider]), *explorer.children[1:])
    return explorer


# ---------------------------------------------------------------- notebook 07: shapes and timing


def _linear_loop(X: np.ndarray, W: np.ndarray, b: np.ndarray, dout: np.ndarray):
    """Forward and backward of a Linear layer one example at a time (what vectorizing removes).

    The same `linear_forward` / `linear_backward` pair, called on batches of one row; dW and db add up the
    examples' contributions.
    """
    out, dX = np.empty((len(X), W.shape[1])), np.empty_like(X)
    dW, db = np.zeros_like(W), np.zeros_like(b)
    for n in range(len(X)):
        out[n : n + 1], cache = linear_forward(X[n : n + 1], W, b)
        dx_n, dW_n, db_n = linear_backward(dout[n : n + 1], cache)
        dX[n : n + 1] = dx_n
        dW += dW_n
        db += db_n
    return out, dX, dW, db


def _linear_vectorized(X: np.ndarray, W: np.ndarray, b: np.ndarray, dout: np.ndarray):
    """Forward and backward of a Linear layer on the whole batch at once."""
    out, cache = linear_forward(X, W, b)
    return (out, *linear_backward(dout, cache))


# The picture of notebook 07: each row an equation, each array a box in proportion to its shape.
_SHAPE_ARRAYS = ("X", "W", "b", "out", "dout", "dX", "dW", "db")
_SHAPE_ROWS = (
    ("forward", ("out", "=", "X", "@", "W", "+", "b")),
    ("backward", ("dW", "=", "X.T", "@", "dout", "   ", "dX", "=", "dout", "@", "W.T")),
    ("", ("db", "= sum of dout over the batch (axis 0)")),
)


def _shapes_layout(shapes: dict) -> dict:
    """Where every box and label of the shapes picture goes, for arrays of these `shapes`.

    Returns ``"boxes"`` (one ``(left, bottom, width, height)`` per array, in the order of `_SHAPE_ROWS`),
    ``"texts"`` (one ``(x, y, text)`` per row title, operator and array label, always in the same order; a row
    title's x is None: it sits left of the picture, at a fixed place), ``"xlim"`` and ``"ylim"``.
    """
    unit = 1.6 / max(max(shape) for shape in shapes.values())  # the largest dimension is 1.6 wide

    def size(name: str) -> tuple[float, float]:
        shape = shapes[name.removesuffix(".T")]
        rows, cols = shape if len(shape) == 2 else (1, shape[0])  # a bias is drawn as one row
        if name.endswith(".T"):
            rows, cols = cols, rows
        return max(cols * unit, 0.03), max(rows * unit, 0.03)

    boxes, texts, top, right = [], [], 0.0, 0.0
    for title, items in _SHAPE_ROWS:
        height = max(size(item)[1] for item in items if item.removesuffix(".T") in shapes)
        y = top - 0.6  # below the array labels (two lines of 8 points)
        texts.append((None, y - height / 2, title))
        x = 0.0
        for item in items:
            if item.removesuffix(".T") not in shapes:
                texts.append((x + 0.1, y - 0.15, item))
                x += 0.45 if len(item) <= 3 else 0.12 * len(item)
                continue
            width, box_height = size(item)
            slot = 1.6  # every array in a slot as wide as the widest box: the labels never move sideways
            boxes.append((x + (slot - width) / 2, y - box_height, width, box_height))
            shape = shapes[item.removesuffix(".T")]
            texts.append((x + slot / 2, y + 0.05, f"{item}\n{tuple(shape[::-1] if item.endswith('.T') else shape)}"))
            x += slot
        right = max(right, x)
        top = y - height - 0.35
    return {"boxes": boxes, "texts": texts, "xlim": (-0.1, right + 0.1), "ylim": (top, 0.1)}


def _shape_text_styles() -> list[dict]:
    """Text properties of the labels of `_shapes_layout`, in the same order."""
    styles = []
    for _title, items in _SHAPE_ROWS:
        styles.append({"fontsize": 10, "weight": "bold", "va": "center", "ha": "right"})
        for item in items:
            if item.removesuffix(".T") not in _SHAPE_ARRAYS:  # an operator
                styles.append({"ha": "left", "va": "center", "fontsize": 11 if len(item) == 1 else 9})
            else:
                styles.append({"ha": "center", "va": "bottom", "fontsize": 8})
    return styles


def _times(speedup: float) -> str:
    """A ratio of two timings in words: "24x faster", or "2.5x slower" (never "0x faster")."""
    if speedup >= 1:
        return f"{speedup:.0f}x faster"
    return f"{1 / speedup:.2g}x slower"


def layer_shapes_explorer(rng: np.random.Generator | int | None = 0) -> Explorer:
    """Sliders for batch size N, inputs D and outputs M of a Linear layer: the shapes of every array
    in its forward and backward pass, and the time of a loop over examples against one matrix product.

    The result holds ``"shapes"`` (dict from name: ``"X", "W", "b", "out", "dout", "dX", "dW", "db"``
    to shape tuple), ``"loop_seconds"`` and ``"vectorized_seconds"`` (best of 3 runs of forward +
    backward, CPU time), ``"speedup"`` and ``"max_difference"`` (largest gap between the two versions' results).

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
    controls = {  # on release: each move times a loop over up to 256 examples
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
        loop_seconds = best_time(lambda: _linear_loop(X, W, b, dout))
        vectorized_seconds = best_time(lambda: _linear_vectorized(X, W, b, dout))
        return {
            "shapes": shapes,
            "loop_seconds": loop_seconds,
            "vectorized_seconds": vectorized_seconds,
            "speedup": loop_seconds / vectorized_seconds,
            "max_difference": max(float(np.max(np.abs(a - v))) for a, v in zip(looped, vectorized)),
            "inputs": {"X": X, "W": W, "b": b, "dout": dout},
            "outputs": dict(zip(names, vectorized)),
        }

    def setup(fig: Figure) -> dict:
        ax, ax_time = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})
        # Fixed limits, those of the largest picture (every array 1 x 1: each box at its largest, 1.6 square), so
        # the scale never changes and the labels, in points, keep their room beside the boxes, in data units.
        largest = _shapes_layout({name: (1,) if name in ("b", "db") else (1, 1) for name in _SHAPE_ARRAYS})
        ax.set_xlim(*largest["xlim"])
        ax.set_ylim(*largest["ylim"])
        ax.set_aspect("equal")
        ax.axis("off")
        boxes = [ax.add_patch(Rectangle((0, 0), 1, 1, facecolor=COLORS["blue"], alpha=0.3, edgecolor="k"))
                 for row in _SHAPE_ROWS for item in row[1] if item.removesuffix(".T") in _SHAPE_ARRAYS]
        # row titles left of the picture: x in axes coordinates (their room is kept by the layout), y in data
        texts = [ax.text(0, 0, "", **style, **({"transform": ax.get_yaxis_transform()} if style["ha"] == "right"
                                                else {})) for style in _shape_text_styles()]
        bars = ax_time.bar(["loop over\nexamples", "vectorized"], [1, 1], color=["gray", COLORS["green"]])
        ax_time.set_ylabel("forward + backward (ms)")
        ax_time.set_title("CPU time, best of 3")
        return {"ax": ax, "boxes": boxes, "texts": texts, "ax_time": ax_time, "bars": bars}

    def update(artists: dict, result: dict) -> None:
        layout = _shapes_layout(result["shapes"])
        for box, (left, bottom, width, height) in zip(artists["boxes"], layout["boxes"]):
            box.set_bounds(left, bottom, width, height)
        for text, (x, y, string) in zip(artists["texts"], layout["texts"]):
            text.set_position((-0.01 if x is None else x, y))
            text.set_text(string)
        times = (1e3 * result["loop_seconds"], 1e3 * result["vectorized_seconds"])
        for bar, milliseconds in zip(artists["bars"], times):
            bar.set_height(milliseconds)
        artists["ax_time"].set_ylim(0, 1.1 * max(times))

    def readout(result: dict) -> str:
        shapes = result["shapes"]
        return (f"X {shapes['X']} @ W {shapes['W']} + b {shapes['b']} = out {shapes['out']}; "
                f"dout {shapes['dout']} gives dX {shapes['dX']}, dW {shapes['dW']}, db {shapes['db']}<br>"
                f"loop over examples {1e3 * result['loop_seconds']:.3f} ms, vectorized "
                f"{1e3 * result['vectorized_seconds']:.3f} ms: {_times(result['speedup'])} "
                f"(largest difference between the two results {result['max_difference']:.1e})")

    description = ("A box for each array of a Linear layer, in proportion to its shape: out = X @ W + b forward; "
                   "dW = X.T @ dout, dX = dout @ W.T and db, the sum of dout over the batch, backward. Beside them, "
                   "bars of the CPU time of a loop over examples and of the vectorized layer")
    return Explorer(controls, compute, setup, update, readout, figsize=(10, 3.8), description=description)


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


def _epochs(values) -> np.ndarray:
    return np.arange(1, len(values) + 1)


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
            message = f"validation accuracy {val_accuracy:.1%} after {num_epochs} epochs"
        return {"history": history, "val_accuracy": val_accuracy, "seconds": seconds, "model": model,
                "message": message}

    guessing = float(np.log(num_classes))  # the loss of predicting 1/C for every class

    def setup(fig: Figure) -> dict:
        artists = {}
        for ax, name in zip(fig.subplots(1, 2), ("loss", "accuracy")):
            line_styles(ax)
            (artists[f"train_{name}"],) = ax.plot([], [], label="train")
            (artists[f"val_{name}"],) = ax.plot([], [], label="validation")
            ax.set_xlabel("epoch")
            ax.set_ylabel(name)
            ax.set_title(f"{name} per epoch")
            ax.legend(loc="center right")
            artists[f"ax_{name}"] = ax
        artists["ax_accuracy"].set_ylim(0, 1)
        fixed_ylabel(artists["ax_loss"], "loss", "0.00")  # its top follows the run (at most 3 times guessing's)
        return artists

    def update(artists: dict, result: dict) -> None:
        history = result["history"]
        for name, key in (("train_loss", "loss"), ("val_loss", "val_loss"),
                          ("train_accuracy", "train_accuracy"), ("val_accuracy", "val_accuracy")):
            artists[name].set_data(_epochs(history[key]), history[key])
        for ax in (artists["ax_loss"], artists["ax_accuracy"]):
            ax.set_xlim(0.5, max(len(history["loss"]), 1) + 0.5)
        losses = [v for v in history["loss"] + history["val_loss"] if np.isfinite(v)]
        # a diverging run leaves through the top (the message says so): the tick labels stay short
        artists["ax_loss"].set_ylim(0, min(1.05 * max(losses, default=guessing), 3 * guessing))

    def readout(result: dict) -> str:
        history = result["history"]
        if not history["loss"]:
            return f"no epoch completed ({result['seconds']:.1f} s)"
        return (f"last epoch: training loss {history['loss'][-1]:.3f}, validation loss {history['val_loss'][-1]:.3f}, "
                f"training accuracy {history['train_accuracy'][-1]:.1%} (trained in {result['seconds']:.1f} s)")

    return Explorer(controls, compute, setup, update, readout, figsize=(9, 3.4), button="Train")


DATASETS_2D = {
    "moons": lambda: data.moons(n=300, noise=0.15, rng=0),
    "circles": lambda: data.circles(n=300, noise=0.08, factor=0.5, rng=0),
    "spiral": lambda: data.spiral(n_per_class=100, num_classes=3, noise=0.2, rng=0),
}


@functools.cache
def _dataset_2d(name: str) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A dataset of `DATASETS_2D` and the grid its decision regions are drawn on, made once."""
    X, y = DATASETS_2D[name]()
    return X, y, decision_grid(X, resolution=80, padding=0.3)


def decision_boundary_explorer(seed: int = 0) -> Explorer:
    """Train a one-hidden-layer MLP on a 2-D dataset and draw its decision boundary (on "Train").

    Controls: dataset ("moons", "circles", "spiral"), hidden units, activation and epochs; the
    optimizer is SGD with lr 0.1, momentum 0.9, batch size 32. The result holds ``"X"``, ``"y"``,
    ``"model"``, ``"history"``, ``"train_accuracy"``, ``"regions"`` (the predicted class on the drawn
    grid, or None when training diverged), ``"seconds"`` and a ``"message"``.

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
        X, y, (xx, yy, points) = _dataset_2d(dataset)
        model, history, seconds = _train_mlp(X, y, X, y, num_hidden, 0.1, 32, num_epochs, activation, seed)
        diverged = history["diverged"]
        train_accuracy = None if diverged else accuracy(model.forward(X), y)
        regions = None if diverged else model.forward(points).argmax(axis=1).reshape(xx.shape)
        message = history.get("message") or f"training accuracy {train_accuracy:.1%} with {num_hidden} hidden units"
        return {"X": X, "y": y, "model": model, "history": history, "train_accuracy": train_accuracy,
                "regions": regions, "extent": (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0]), "seconds": seconds,
                "message": message}

    def setup(fig: Figure) -> dict:
        ax_boundary, ax_loss = fig.subplots(1, 2)
        # class k: the k-th colour of bplab.plots.COLORS and the k-th marker (so colour is not the only cue)
        colors = {"cmap": class_colors(len(CLASS_MARKERS)), "vmin": -0.5, "vmax": len(CLASS_MARKERS) - 0.5}
        regions = ax_boundary.imshow(np.zeros((2, 2)), origin="lower", aspect="auto", alpha=0.3, **colors)
        points = [ax_boundary.scatter(np.zeros(0), np.zeros(0), color=colors["cmap"](k), marker=marker, s=18,
                                      edgecolors="k", linewidths=0.4) for k, marker in enumerate(CLASS_MARKERS)]
        ax_boundary.set_xlabel("$x_1$")
        ax_boundary.set_ylabel("$x_2$")
        ax_boundary.set_title("decision regions")
        (loss,) = ax_loss.plot([], [], color=COLORS["blue"])
        ax_loss.set_xlabel("epoch")
        fixed_ylabel(ax_loss, "training loss", "0.00")
        ax_loss.set_title("loss per epoch")
        return {"ax_boundary": ax_boundary, "regions": regions, "points": points, "ax_loss": ax_loss, "loss": loss}

    def update(artists: dict, result: dict) -> None:
        extent = result["extent"]
        artists["regions"].set_visible(result["regions"] is not None)
        if result["regions"] is not None:
            artists["regions"].set_data(result["regions"])
            artists["regions"].set_extent(extent)
        for k, points in enumerate(artists["points"]):
            points.set_offsets(result["X"][result["y"] == k].reshape(-1, 2))
        artists["ax_boundary"].set_xlim(extent[:2])
        artists["ax_boundary"].set_ylim(extent[2:])
        losses = result["history"]["loss"]
        artists["loss"].set_data(_epochs(losses), losses)
        artists["ax_loss"].set_xlim(0.5, max(len(losses), 1) + 0.5)
        artists["ax_loss"].relim()
        artists["ax_loss"].autoscale_view(scalex=False)

    def readout(result: dict) -> str:
        losses = result["history"]["loss"]
        last = f"final training loss {losses[-1]:.3f}, " if losses else ""
        return f"{last}trained in {result['seconds']:.1f} s"

    return Explorer(controls, compute, setup, update, readout, figsize=(9, 3.8), button="Train")


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
        "depth": int_slider("hidden layers", 6, 2, 12, continuous_update=False),  # a full redraw: new axes
        "activation": dropdown("activation", ("sigmoid", "tanh", "relu"), "tanh"),
        "init": dropdown("init", tuple(INIT_CHOICES), "xavier"),
    }
    bins = 40

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

    def setup(fig: Figure) -> dict:
        ax_hist, ax_grad = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        edges = np.linspace(0, 1, bins + 1)
        histograms = [ax_hist.stairs(np.zeros(bins), edges, baseline=k, fill=True, orientation="horizontal",
                                     color=COLORS["blue"], alpha=0.8) for k in range(controls["depth"].max)]
        ax_hist.set_xlabel("hidden layer")
        ax_hist.set_ylabel("activation")
        ax_hist.set_title("activations of each hidden layer")
        (norms,) = ax_grad.semilogy([1, 2], [1, 1], "o-", color=COLORS["blue"])
        ax_grad.yaxis.set_minor_formatter(NullFormatter())  # powers of ten only
        ax_grad.set_xlabel("Linear layer (1 = next to the input)")
        fixed_ylabel(ax_grad, r"$\|dW\|$ (log scale)", "$10^{-10}$")  # the limits follow the settings
        ax_grad.set_title("gradient norm per layer")
        return {"ax_hist": ax_hist, "histograms": histograms, "ax_grad": ax_grad, "norms": norms}

    def update(artists: dict, result: dict) -> None:
        # the histograms of plot_histograms, drawn sideways at x = layer index, each 0.85 wide at its top
        activations = result["activations"]
        low = -0.1 if min(a.min() for a in activations) >= 0 else -1.05
        high = max(1.05, float(np.percentile(np.concatenate([a.ravel() for a in activations]), 99.5)))
        for k, histogram in enumerate(artists["histograms"]):
            histogram.set_visible(k < len(activations))
            if k < len(activations):
                counts, edges = np.histogram(activations[k], bins=bins, range=(low, high))
                histogram.set_data(k + 0.85 * counts / max(counts.max(), 1), edges, baseline=k)
        ax_hist = artists["ax_hist"]
        ax_hist.set_xticks(np.arange(len(activations)) + 0.4,
                           [f"{k + 1}\nσ={a.std():.1g}" for k, a in enumerate(activations)], fontsize=8)
        ax_hist.set_xlim(-0.2, len(activations))
        ax_hist.set_ylim(low, high)
        norms, layers = result["grad_norms"], np.arange(1, len(result["grad_norms"]) + 1)
        artists["norms"].set_data(layers, norms)
        ax_grad = artists["ax_grad"]
        ax_grad.set_xticks(layers)
        ax_grad.set_xlim(0.5, len(norms) + 0.5)
        finite = norms[np.isfinite(norms) & (norms > 0)]
        if len(finite):
            ax_grad.set_ylim(finite.min() / 10, finite.max() * 10)  # at least two powers of ten: major ticks

    def readout(result: dict) -> str:
        norms = result["grad_norms"]
        return (f"gradient norm of the first Linear layer {norms[0]:.2e}, of the last {norms[-1]:.2e} "
                f"(first / last = {result['ratio']:.2e}); std of the last hidden layer's activations "
                f"{result['activation_std'][-1]:.2e}")

    return Explorer(controls, compute, setup, update, readout, figsize=(10, 4))
