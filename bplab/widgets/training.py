"""Widgets of notebooks 09b-11b: normalization, watching training, dropout and augmentation, depth versus width.

Each builder returns an `Explorer` (see `_core.py`): its compute step is a plain function of the control values that
returns numbers, computed with the teaching core (`bplab.layers`, `bplab.optim.fit`, `bplab.data`) and tested in
tests/test_widgets_training.py; `setup` draws the static parts once and `update` moves the artists.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from bplab.data import add_input_noise, add_label_noise, load_digits, shift_images, train_test_split
from bplab.layers import MLP, Dropout, Linear, ReLU, Sequential, accuracy
from bplab.optim import SGD, Adam, fit
from bplab.plots import COLORS, line_styles
from bplab.widgets._core import Explorer, dropdown, fixed_ylabel, int_slider, slider
from bplab.widgets.networks import layer_statistics

__all__ = ["normalized_statistics", "normalization_explorer", "SCHEDULES", "digits_splits", "watch_training",
           "training_monitor_explorer", "AUGMENTATIONS", "noisy_digits", "regularization_run",
           "regularization_explorer", "tent", "sawtooth", "sawtooth_network", "linear_pieces", "shallow_fit",
           "depth_explorer"]

ACTIVATION_NAMES = ("ReLU", "Sigmoid", "Tanh", "LeakyReLU")

# ---------------------------------------------------------------- notebook 09b: batch normalization

WEIGHT_CHOICES = {  # label -> (init, scale, gain): weights N(0, scale^2), or the named rule times the gain
    "N(0, 0.01²)": ("normal", 0.01, 1.0),
    "N(0, 1)": ("normal", 1.0, 1.0),
    "Xavier": ("xavier", 0.0, 1.0),
    "He": ("he", 0.0, 1.0),
    "tanh gain 5/3": ("normal", None, 5 / 3),  # N(0, (5/3)^2 / D)
}


def normalized_statistics(model: MLP, X, y) -> dict:
    """`layer_statistics` for a model that may hold BatchNorm or LayerNorm layers.

    Returns
    -------
    dict
        ``"activation_std"``: np.ndarray, the std of each activation layer's output (normalization layers left out);
        ``"grad_norms"``: np.ndarray, each Linear layer's weight-gradient norm (first to last); ``"loss"``: float.

    Used in: notebooks/09b-batch-normalization.ipynb (the explorer)
    """
    stats = layer_statistics(model, X, y)
    kinds = [type(layer).__name__ for layer in model.layers if not isinstance(layer, Linear)]
    stds = [a.std() for a, kind in zip(stats["activations"], kinds) if kind in ACTIVATION_NAMES]
    return {"activation_std": np.array(stds), "grad_norms": stats["grad_norms"], "loss": stats["loss"]}


def _normalization_message(stds: np.ndarray, ratio: float) -> str:
    """One sentence on the activations, one on the gradients."""
    if not np.all(np.isfinite(stds)) or not np.isfinite(ratio):
        return "The numbers overflowed: the weights are far too large."
    if stds[-1] < 1e-3:
        forward = f"The activations collapse toward 0 (last layer's std {stds[-1]:.0e})"
    elif stds[-1] < stds[0] / 2 or stds[-1] > 2 * stds[0]:
        trend = "shrink" if stds[-1] < stds[0] else "grow"
        forward = (f"The activations {trend} from layer to layer (std {stds[0]:.2g} in the first hidden layer, "
                   f"{stds[-1]:.2g} in the last)")
    elif stds.max() / stds.min() > 2:
        forward = "The activations' scale drifts from layer to layer"
    else:
        forward = "The activations keep one scale in every layer"
    if ratio > 1e2:
        backward = f"the gradient grows toward the input (first / last = {ratio:.0e})"
    elif ratio < 1e-2:
        backward = f"the gradient vanishes toward the input (first / last = {ratio:.0e})"
    else:
        backward = f"the gradient stays in scale (first / last = {ratio:.2f})"
    return f"{forward}; {backward}."


def normalization_explorer(num_examples: int = 256, width: int = 100, seed: int = 0) -> Explorer:
    """Depth, activation, initial weights and batch norm of a deep MLP: per-layer activation scale and gradient norm.

    The network is ``MLP([width] + [width] * depth + [10], norm=...)`` on random Gaussian inputs with random
    labels, one forward and one backward pass at initialization (batch statistics: training mode). The result holds
    what `normalized_statistics` returns plus ``"ratio"`` (first-layer over last-layer gradient norm) and a
    ``"message"``.

    Parameters
    ----------
    num_examples : int, batch size N of the random inputs
    width : int, input size and width of every hidden layer
    seed : int, seeds the inputs, the labels and the weights

    Returns
    -------
    Explorer

    Used in: notebooks/09b-batch-normalization.ipynb
    """
    gen = np.random.default_rng(seed)
    X = gen.standard_normal((num_examples, width))
    y = gen.integers(0, 10, size=num_examples)
    controls = {
        "depth": int_slider("hidden layers", 9, 2, 20, continuous_update=False),  # new axes ticks: a full redraw
        "activation": dropdown("activation", ("tanh", "sigmoid", "relu"), "tanh"),
        "weights": dropdown("initial weights", tuple(WEIGHT_CHOICES), "N(0, 0.01²)"),
        "norm": dropdown("normalization", ("none", "batch norm"), "none"),
    }

    def compute(depth: int, activation: str, weights: str, norm: str) -> dict:
        init, scale, gain = WEIGHT_CHOICES[weights]
        if scale is None:
            scale = gain / np.sqrt(width)
        model = MLP([width] + [width] * depth + [10], activation=activation, init=init, scale=scale, rng=seed,
                    norm="batch" if norm == "batch norm" else None)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            result = normalized_statistics(model, X, y)
        norms = result["grad_norms"]
        ratio = float(norms[0] / norms[-1]) if norms[-1] > 0 else float("nan")
        result.update(ratio=ratio, message=_normalization_message(result["activation_std"], ratio))
        return result

    def setup(fig: Figure) -> dict:
        ax_std, ax_grad = fig.subplots(1, 2)
        (stds,) = ax_std.semilogy([1, 2], [1, 1], "o-", color=COLORS["blue"])
        ax_std.yaxis.set_minor_formatter(NullFormatter())
        ax_std.set_xlabel("hidden layer")
        fixed_ylabel(ax_std, "std of its activations (log scale)", "$10^{-10}$")  # the limits follow the settings
        ax_std.set_title("activation scale per layer")
        (norms,) = ax_grad.semilogy([1, 2], [1, 1], "s-", color=COLORS["vermillion"])
        ax_grad.yaxis.set_minor_formatter(NullFormatter())
        ax_grad.set_xlabel("Linear layer (1 = next to the input)")
        fixed_ylabel(ax_grad, r"$\|dW\|$ (log scale)", "$10^{-10}$")
        ax_grad.set_title("gradient norm per layer")
        return {"ax_std": ax_std, "stds": stds, "ax_grad": ax_grad, "norms": norms}

    def _limits(ax, values: np.ndarray) -> None:
        finite = values[np.isfinite(values) & (values > 0)]
        if len(finite):
            ax.set_ylim(finite.min() / 10, finite.max() * 10)  # at least two powers of ten: major ticks show
        ax.set_xlim(0.5, len(values) + 0.5)
        step = 1 if len(values) <= 12 else 2
        ax.set_xticks(np.arange(1, len(values) + 1, step))

    def update(artists: dict, result: dict) -> bool:
        stds, norms = result["activation_std"], result["grad_norms"]
        artists["stds"].set_data(np.arange(1, len(stds) + 1), stds)
        artists["norms"].set_data(np.arange(1, len(norms) + 1), norms)
        _limits(artists["ax_std"], stds)
        _limits(artists["ax_grad"], norms)
        return True  # the axes changed: redraw all

    def readout(result: dict) -> str:
        stds, norms = result["activation_std"], result["grad_norms"]
        return (f"activation std: first hidden layer {stds[0]:.2e}, last {stds[-1]:.2e}; gradient norm of the first "
                f"Linear layer {norms[0]:.2e}, of the last {norms[-1]:.2e}")

    return Explorer(controls, compute, setup, update, readout, figsize=(9.5, 3.6))


# ---------------------------------------------------------------- notebook 09c: watching training


def _constant(lr: float, num_epochs: int):
    return lambda epoch: lr


def _step_decay(lr: float, num_epochs: int):
    return lambda epoch: lr if epoch < round(0.7 * num_epochs) else lr / 10


def _cosine(lr: float, num_epochs: int):
    return lambda epoch: lr * 0.5 * (1 + math.cos(math.pi * epoch / num_epochs))


SCHEDULES = {  # name -> (lr, num_epochs) -> schedule(epoch) -> lr
    "constant": _constant,
    "step decay (÷10 at 70%)": _step_decay,
    "cosine": _cosine,
}


@functools.cache
def digits_splits() -> tuple[np.ndarray, ...]:
    """The digits split as notebook 09c splits them: 25% test, then 20% of the rest for validation (stratified).

    Returns
    -------
    X_train, X_val, X_test : np.ndarray, shapes (1078, 64), (270, 64), (449, 64)
    y_train, y_val, y_test : np.ndarray, int labels

    Used in: notebooks/09c-watching-training.ipynb
    """
    X, y = load_digits()
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.25, rng=0)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.2, rng=1)
    for array in (X_train, X_val, X_test, y_train, y_val, y_test):
        array.flags.writeable = False  # cached: shared by every caller
    return X_train, X_val, X_test, y_train, y_val, y_test


def watch_training(lr: float = 0.1, schedule: str = "constant", num_epochs: int = 10, momentum: float = 0.9,
                   batch_size: int = 32, seed: int = 0, probe_size: int = 200, every: int = 10) -> dict:
    """Train notebook 09c's MLP([64, 64, 64, 10]) on the digits and record what changes at every step.

    After every optimizer step (`fit`'s callback): the batch loss, and for each Linear layer the update-to-weight
    ratio ``||W_after - W_before|| / ||W_after||`` and the gradient-to-weight ratio ``||dW|| / ||W||``; every `every`
    steps, on the first `probe_size` training images: each ReLU layer's activation std and its fraction of dead
    units (zero on every probe image).

    Parameters
    ----------
    lr : float, the starting learning rate of SGD with `momentum`
    schedule : str, a key of `SCHEDULES`
    num_epochs, batch_size, seed : int
    probe_size, every : int

    Returns
    -------
    dict
        ``"loss"`` (steps,), ``"update_ratio"`` and ``"grad_ratio"`` (steps, 3), ``"probe_steps"`` (records,),
        ``"dead"`` and ``"activation_std"`` (records, 2), ``"lr"`` (epochs,), ``"val_accuracy"`` (epochs,),
        ``"diverged"``.

    Used in: notebooks/09c-watching-training.ipynb
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {sorted(SCHEDULES)}, got {schedule!r}")
    X_train, X_val, _, y_train, y_val, _ = digits_splits()
    model = MLP([64, 64, 64, 10], rng=seed)
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    previous = [layer.W.data.copy() for layer in linears]
    probe = X_train[:probe_size]
    record: dict = {"loss": [], "update_ratio": [], "grad_ratio": [], "probe_steps": [], "dead": [],
                    "activation_std": []}

    def callback(step: int, loss: float) -> None:
        record["loss"].append(loss)
        record["update_ratio"].append([np.linalg.norm(layer.W.data - before) / np.linalg.norm(layer.W.data)
                                       for layer, before in zip(linears, previous)])
        record["grad_ratio"].append([np.linalg.norm(layer.W.grad) / np.linalg.norm(layer.W.data) for layer in linears])
        previous[:] = [layer.W.data.copy() for layer in linears]
        if step % every == 0:
            out, dead, stds = probe, [], []
            for layer in model.layers:
                out = layer.forward(out)
                if isinstance(layer, ReLU):
                    dead.append(np.mean(np.all(out == 0, axis=0)))
                    stds.append(out.std())
            record["probe_steps"].append(step)
            record["dead"].append(dead)
            record["activation_std"].append(stds)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        history = fit(model, X_train, y_train, SGD(model.parameters(), lr=lr, momentum=momentum), num_epochs,
                      batch_size=batch_size, X_val=X_val, y_val=y_val, rng=seed, callback=callback,
                      schedule=SCHEDULES[schedule](lr, num_epochs))
    result = {key: np.array(value, dtype=float) for key, value in record.items()}
    result.update(lr=np.array(history["lr"]), val_accuracy=np.array(history["val_accuracy"]),
                  diverged=history["diverged"])
    return result


def _monitor_message(result: dict) -> str:
    """One sentence: diverged, dead units, tiny updates, or the size of the updates at the start and at the end."""
    if result["diverged"]:
        return "Diverged: the loss overflowed; lower the learning rate."
    if len(result["dead"]):
        dead = result["dead"][-1]
        if dead.max() == 1.0:
            return (f"Every unit of hidden layer {int(np.argmax(dead)) + 1} is dead on the probe images: the network "
                    "gives them all the same scores, and its weights get no gradient from them.")
        if dead.max() > 0.5:
            return f"{dead.max():.0%} of hidden layer {int(np.argmax(dead)) + 1}'s units are dead on the probe images."
    log_ratio = np.log10(np.maximum(result["update_ratio"], 1e-300))
    early, late = np.median(log_ratio[:50]), np.median(log_ratio[-50:])
    if early < -3.3:
        return f"Tiny updates from the start (about 10^{early:.1f} of the weights per step): the learning rate is low."
    return f"Updates of about 10^{early:.1f} of the weights per step at the start, 10^{late:.1f} at the end."


def training_monitor_explorer(num_epochs: int = 10, seed: int = 0) -> Explorer:
    """Train the digits MLP of notebook 09c at a chosen learning rate and schedule; watch its statistics per step.

    Controls: ``log_lr`` (log10 of the starting learning rate) and ``schedule``; the **Train** button runs
    `watch_training` (a second or so). Left: the batch loss per step; middle: log10 of each Linear layer's
    update-to-weight ratio, with the band around 10^-3 of CS231n's rule of thumb; right: each hidden layer's fraction
    of dead ReLU units.

    Used in: notebooks/09c-watching-training.ipynb
    """
    controls = {
        "log_lr": slider("log10 learning rate", -1.0, -4.0, 0.5, 0.25),
        "schedule": dropdown("schedule", tuple(SCHEDULES), "constant"),
    }

    def compute(log_lr: float, schedule: str) -> dict:
        result = watch_training(lr=10.0**log_lr, schedule=schedule, num_epochs=num_epochs, seed=seed)
        result["message"] = _monitor_message(result)
        return result

    def setup(fig: Figure) -> dict:
        ax_loss, ax_ratio, ax_dead = fig.subplots(1, 3)
        (loss,) = ax_loss.plot([], [], color=COLORS["black"], lw=0.8)
        ax_loss.set_yscale("log")
        ax_loss.yaxis.set_minor_formatter(NullFormatter())
        ax_loss.set_xlabel("step")
        fixed_ylabel(ax_loss, "batch loss (log scale)", "$10^{-10}$")
        ax_loss.set_title("loss")
        ax_ratio.axhspan(-3.5, -2.5, color=COLORS["sky"], alpha=0.25, lw=0)
        line_styles(ax_ratio)
        ratios = [ax_ratio.plot([], [], lw=0.8, label=f"Linear {k + 1}")[0] for k in range(3)]
        ax_ratio.set_xlabel("step")
        fixed_ylabel(ax_ratio, "log10 update / weight", "−16")  # the limits follow the run
        ax_ratio.set_title("update-to-weight ratio")
        ax_ratio.legend(fontsize=7, loc="lower left")
        line_styles(ax_dead)
        dead = [ax_dead.plot([], [], marker="o", ms=3, lw=1, label=f"hidden {k + 1}")[0] for k in range(2)]
        ax_dead.set_ylim(-0.05, 1.05)
        ax_dead.set_xlabel("step")
        ax_dead.set_ylabel("fraction of dead units")
        ax_dead.set_title("dead ReLU units")
        ax_dead.legend(fontsize=7, loc="upper left")
        return {"ax_loss": ax_loss, "loss": loss, "ax_ratio": ax_ratio, "ratios": ratios, "ax_dead": ax_dead,
                "dead": dead}

    def update(artists: dict, result: dict) -> bool:
        steps = np.arange(len(result["loss"]))
        last = max(len(steps) - 1, 1)
        loss = np.where(np.isfinite(result["loss"]) & (result["loss"] > 0), result["loss"], np.nan)
        artists["loss"].set_data(steps, loss)
        finite = loss[np.isfinite(loss)]
        if len(finite):
            artists["ax_loss"].set_ylim(max(finite.min(), 1e-12) / 2, finite.max() * 2)
        artists["ax_loss"].set_xlim(0, last)
        ratio = np.log10(np.maximum(result["update_ratio"], 1e-300)) if len(steps) else np.zeros((0, 3))
        for k, line in enumerate(artists["ratios"]):
            line.set_data(steps, ratio[:, k] if len(ratio) else [])
        shown = ratio[np.isfinite(ratio)] if len(ratio) else np.array([-3.0])
        low, high = min(-4.0, max(float(shown.min()), -16.0)), max(0.0, float(shown.max()))
        artists["ax_ratio"].set_ylim(low - 0.5, high + 0.5)
        artists["ax_ratio"].set_xlim(0, last)
        for k, line in enumerate(artists["dead"]):
            line.set_data(result["probe_steps"], result["dead"][:, k] if len(result["dead"]) else [])
        artists["ax_dead"].set_xlim(0, last)
        return True

    def readout(result: dict) -> str:
        if not len(result["val_accuracy"]):
            return f"stopped after {len(result['loss'])} steps"
        dead = result["dead"][-1]
        return (f"validation accuracy after {len(result['val_accuracy'])} epochs: {result['val_accuracy'][-1]:.1%}; "
                f"last learning rate {result['lr'][-1]:.2g}; dead units at the end: {dead[0]:.0%} and {dead[1]:.0%}")

    return Explorer(controls, compute, setup, update, readout, figsize=(10, 3.4), button="Train")


# ---------------------------------------------------------------- notebook 10b: dropout and data augmentation

AUGMENTATIONS = ("none", "5 shifted copies", "5 noisy copies")


@functools.cache
def noisy_digits(label_noise: float = 0.3, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Notebook 10's data: 200 training images with a fraction of wrong labels, a validation set as noisy, a test set.

    Returns
    -------
    X_train (200, 64), y_train_noisy (200,), y_train_true (200,), X_val (200, 64), y_val_noisy (200,),
    X_test (540, 64), y_test (540,): the split of notebook 10 (30% test, the pool's first 200 images to train on,
    its last 200 to validate on).

    Used in: notebooks/10b-dropout-and-data-augmentation.ipynb
    """
    X, y = load_digits()
    X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.3, rng=seed)
    y_noisy = add_label_noise(y_pool[:200], label_noise, num_classes=10, rng=seed)
    y_val = add_label_noise(y_pool[-200:], label_noise, num_classes=10, rng=seed + 1)
    arrays = (X_pool[:200], y_noisy, y_pool[:200], X_pool[-200:], y_val, X_test, y_test)
    for array in arrays:
        array.flags.writeable = False  # cached: shared by every caller
    return arrays


def regularization_run(p: float = 0.0, augmentation: str = "none", label_noise: float = 0.3, seed: int = 0) -> dict:
    """Notebook 10's overfitting setting (64 -> 256 -> 10, Adam 0.01, batches of 100, 80 steps) with dropout and
    data augmentation.

    Parameters
    ----------
    p : float in [0, 1), the dropout probability after the hidden layer (0: no dropout)
    augmentation : one of `AUGMENTATIONS`: the 200 images as they are (40 epochs), or 5 copies shifted by up to a
        pixel, or 5 copies with fresh Gaussian noise of std 0.5 (8 epochs: the same 80 steps)
    label_noise : float, the fraction of wrong training (and validation) labels
    seed : int

    Returns
    -------
    dict
        ``"val_accuracy"`` per epoch and ``"steps"``, the steps taken by the end of each epoch; ``"train_accuracy"``
        (on the 200 images and their given labels), ``"wrong_labels_fit"`` (the share of the wrong labels the network
        reproduces), ``"test_accuracy"``. With p = 0 and no augmentation, notebook 10's overfit baseline exactly.

    Used in: notebooks/10b-dropout-and-data-augmentation.ipynb
    """
    if augmentation not in AUGMENTATIONS:
        raise ValueError(f"augmentation must be one of {AUGMENTATIONS}, got {augmentation!r}")
    X, y_noisy, y_true, X_val, y_val, X_test, y_test = noisy_digits(label_noise, seed)
    if augmentation == "none":
        X_fit, y_fit, num_epochs = X, y_noisy, 40
    else:
        copies = [shift_images(X, (8, 8), 1, rng=seed + k) if augmentation.endswith("shifted copies")
                  else add_input_noise(X, 0.5, rng=seed + 10 + k) for k in range(5)]
        X_fit, y_fit, num_epochs = np.vstack(copies), np.tile(y_noisy, 5), 8
    first, relu, last = MLP([64, 256, 10], rng=seed).layers  # notebook 10's network and initial weights
    model = Sequential(first, relu, *([Dropout(p, rng=seed)] if p > 0 else []), last)
    history = fit(model, X_fit, y_fit, Adam(model.parameters(), lr=0.01), num_epochs, batch_size=100, X_val=X_val,
                  y_val=y_val, rng=seed)
    predicted = model.forward(X).argmax(axis=1)  # fit left the model in evaluation mode
    wrong = y_noisy != y_true
    steps_per_epoch = len(X_fit) // 100
    return {"val_accuracy": np.array(history["val_accuracy"]), "steps": steps_per_epoch * np.arange(1, num_epochs + 1),
            "train_accuracy": float(np.mean(predicted == y_noisy)),
            "wrong_labels_fit": float(np.mean(predicted[wrong] == y_noisy[wrong])),
            "test_accuracy": accuracy(model.forward(X_test), y_test), "p": p, "augmentation": augmentation}


def regularization_explorer(seed: int = 0) -> Explorer:
    """Dropout and data augmentation on notebook 10's 200 digits with 30% wrong labels; press Train.

    Controls: ``p`` (dropout probability) and ``augmentation`` (see `regularization_run`). Left: the validation
    accuracy after each epoch, against the steps taken; right: training accuracy on the given labels, the share of
    wrong labels the network reproduces, and the test accuracy, beside notebook 10's overfit baseline (dotted).

    Used in: notebooks/10b-dropout-and-data-augmentation.ipynb
    """
    baseline = regularization_run(0.0, "none", seed=seed)
    controls = {
        "p": slider("dropout p", 0.5, 0.0, 0.9, 0.1),
        "augmentation": dropdown("augmentation", AUGMENTATIONS, "none"),
    }

    def compute(p: float, augmentation: str) -> dict:
        return regularization_run(round(p, 2), augmentation, seed=seed)

    names = ("training\naccuracy", "wrong labels\nreproduced", "test\naccuracy")

    def setup(fig: Figure) -> dict:
        ax_curve, ax_bars = fig.subplots(1, 2)
        ax_curve.plot(baseline["steps"], baseline["val_accuracy"], ":", color=COLORS["black"], label="baseline")
        (curve,) = ax_curve.plot([], [], "o-", ms=3, color=COLORS["blue"], label="this run")
        ax_curve.set_xlim(0, 82)
        ax_curve.set_ylim(0, 1)
        ax_curve.set_xlabel("step (batches of 100 images)")
        ax_curve.set_ylabel("validation accuracy")
        ax_curve.set_title("validation accuracy after each epoch")
        ax_curve.legend(fontsize=8, loc="lower right")
        positions = np.arange(3)
        keys = ("train_accuracy", "wrong_labels_fit", "test_accuracy")
        ax_bars.bar(positions - 0.2, [baseline[k] for k in keys], 0.4, color="white", edgecolor=COLORS["black"],
                    hatch="//", label="baseline")
        bars = ax_bars.bar(positions + 0.2, [0, 0, 0], 0.4, color=COLORS["blue"], label="this run")
        ax_bars.set_xticks(positions, names, fontsize=8)
        ax_bars.set_ylim(0, 1.15)
        ax_bars.set_ylabel("fraction")
        ax_bars.set_title("after training")
        ax_bars.legend(fontsize=8, loc="upper right", ncols=2)
        return {"ax_curve": ax_curve, "curve": curve, "bars": bars, "keys": keys}

    def update(artists: dict, result: dict) -> None:
        artists["curve"].set_data(result["steps"], result["val_accuracy"])
        for bar, key in zip(artists["bars"], artists["keys"]):
            bar.set_height(result[key])

    def readout(result: dict) -> str:
        return (f"dropout p = {result['p']:g}, augmentation: {result['augmentation']}; test accuracy "
                f"{result['test_accuracy']:.1%} (baseline {baseline['test_accuracy']:.1%}); wrong labels reproduced "
                f"{result['wrong_labels_fit']:.0%} (baseline {baseline['wrong_labels_fit']:.0%})")

    return Explorer(controls, compute, setup, update, readout, figsize=(9.5, 3.6), button="Train")


# ---------------------------------------------------------------- notebook 11b: depth versus width


def tent(x: np.ndarray) -> np.ndarray:
    """The tent map on [0, 1], written with two ReLUs: ``2 relu(x) - 4 relu(x - 1/2)`` (up to 1 at x = 1/2, back to 0).

    Used in: notebooks/11b-depth-versus-width.ipynb
    """
    return 2 * np.maximum(x, 0) - 4 * np.maximum(x - 0.5, 0)


def sawtooth(x: np.ndarray, k: int) -> np.ndarray:
    """The tent map composed `k` times: 2^k linear pieces (2^(k-1) teeth) on [0, 1].

    Used in: notebooks/11b-depth-versus-width.ipynb
    """
    for _ in range(k):
        x = tent(x)
    return x


def sawtooth_network(k: int) -> MLP:
    """``MLP([1, 2, ..., 2, 1])`` with `k` hidden layers of 2 ReLU units whose weights compute `sawtooth` exactly.

    Hidden layer 1 gets ``[x, x - 1/2]``; every later one gets ``[t, t - 1/2]`` for ``t = 2 h_1 - 4 h_2``, the tent of
    the layer before; the output is the last tent. 6k + 1 parameters.

    Used in: notebooks/11b-depth-versus-width.ipynb
    """
    model = MLP([1] + [2] * k + [1], rng=0)
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    linears[0].W.data[...] = [[1.0, 1.0]]
    for layer in linears[1:-1]:
        layer.W.data[...] = [[2.0, 2.0], [-4.0, -4.0]]  # t = 2 h1 - 4 h2, into both units
    for layer in linears[:-1]:
        layer.b.data[...] = [0.0, -0.5]
    linears[-1].W.data[...] = [[2.0], [-4.0]]
    linears[-1].b.data[...] = 0.0
    return model


def linear_pieces(y: np.ndarray, x: np.ndarray, tol: float = 1e-6) -> int:
    """How many linear pieces the samples ``y(x)`` of a piecewise-linear function show: 1 + the slope changes.

    The grid must hold every kink (then each interval between samples lies in one piece).

    Used in: notebooks/11b-depth-versus-width.ipynb
    """
    slopes = np.diff(np.ravel(y)) / np.diff(np.ravel(x))
    return 1 + int(np.sum(np.abs(np.diff(slopes)) > tol * max(1.0, np.abs(slopes).max())))


def shallow_fit(x: np.ndarray, y: np.ndarray, kinks: np.ndarray) -> np.ndarray:
    """The best one-hidden-layer ReLU fit (least squares) with units whose kinks are at `kinks`: ``relu(x - kink_j)``
    for each j, their weights and the output bias chosen by ``np.linalg.lstsq``; returns the fit at `x`.

    Used in: notebooks/11b-depth-versus-width.ipynb
    """
    x = np.ravel(x)
    features = np.column_stack([np.maximum(x[:, None] - np.ravel(kinks)[None, :], 0), np.ones_like(x)])
    coef, *_ = np.linalg.lstsq(features, np.ravel(y), rcond=None)
    return features @ coef


def depth_explorer(grid_points: int = 4096) -> Explorer:
    """The sawtooth of depth k (a 2-unit-wide network with k hidden layers) against one hidden layer of H units.

    Controls: ``k`` and ``H``. The one-hidden-layer fit has its H kinks evenly spaced, at j / H for j = 0 .. H - 1
    (so H = 2^k is exact), and the best output weights (`shallow_fit`); the readout gives its mean absolute error
    and the lower bound ``(1 - H / 2^(k-1)) / 4`` that no one-hidden-layer network of H units beats (notebook 11b,
    section 3).

    Used in: notebooks/11b-depth-versus-width.ipynb
    """
    x = np.linspace(0.0, 1.0, grid_points + 1)
    controls = {"k": int_slider("depth k of the sawtooth", 5, 1, 7, continuous_update=False),  # a least-squares fit
                "H": int_slider("units H in one layer", 8, 1, 128, continuous_update=False)}  # per move: on release

    def compute(k: int, H: int) -> dict:
        target = sawtooth(x, k)
        fit_values = shallow_fit(x, target, np.arange(H) / H)
        error = float(np.mean(np.abs(fit_values - target)))
        bound = max(0.0, (1 - H / 2 ** (k - 1)) / 4)
        return {"x": x, "target": target, "fit": fit_values, "error": error, "bound": bound, "k": k, "H": H,
                "pieces": 2**k, "deep_parameters": 6 * k + 1, "shallow_parameters": 3 * H + 1}

    def setup(fig: Figure) -> dict:
        ax = fig.subplots()
        (target,) = ax.plot([], [], color=COLORS["black"], lw=1, label="sawtooth (deep: k layers of 2 units)")
        (fit_line,) = ax.plot([], [], "--", color=COLORS["vermillion"], lw=1.2, label="one hidden layer of H units")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.35, 1.45)
        ax.set_xlabel("x")
        ax.set_ylabel("output")
        ax.legend(fontsize=8, loc="upper right", ncols=2)
        return {"target": target, "fit": fit_line}

    def update(artists: dict, result: dict) -> None:
        artists["target"].set_data(result["x"], result["target"])
        artists["fit"].set_data(result["x"], result["fit"])

    def readout(result: dict) -> str:
        return (f"sawtooth of depth {result['k']}: {result['pieces']} linear pieces from {result['deep_parameters']} "
                f"parameters; one hidden layer of {result['H']} units ({result['shallow_parameters']} parameters): "
                f"mean absolute error {result['error']:.3f}, and no such network does better than "
                f"{result['bound']:.3f}")

    return Explorer(controls, compute, setup, update, readout, figsize=(9, 3.4))
