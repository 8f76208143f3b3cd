"""Widgets of notebooks 10-13: noise and overfitting, universal approximation, gradients through
time, and the cost of computing gradients.

Each builder returns an `Explorer` (see `_core.py`): its compute step is a plain function of the control values
that returns numbers, computed with the teaching core (`bplab.optim.fit`, `bplab.rnn`, `bplab.gradcheck`) and
tested in tests/test_widgets_dynamics.py; `setup` draws the static parts once and `update` moves the artists.
"""

from __future__ import annotations

import functools
import time

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

from bplab import data
from bplab._validate import as_count
from bplab.gradcheck import numerical_gradient, rel_error
from bplab.layers import MLP, SoftmaxCrossEntropy
from bplab.optim import Adam, fit
from bplab.plots import COLORS, line_styles
from bplab.rnn import recurrent_weights, rnn_backward, rnn_forward
from bplab.widgets._core import Explorer, dropdown, fixed_ylabel, int_slider, slider
from bplab.widgets._timing import best_time

__all__ = [
    "noise_explorer",
    "approximation_explorer",
    "gradient_flow_explorer",
    "gradient_cost_explorer",
]


def _quietly(compute):
    # a diverging run reports a "message" instead of a wall of numpy overflow warnings
    @functools.wraps(compute)
    def wrapper(**values):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return compute(**values)

    return wrapper


# ---------------------------------------------------------------- notebook 10: noise


def noise_explorer(num_train: int = 200, num_hidden: int = 256, num_epochs: int = 40, seed: int = 0) -> Explorer:
    """Train an MLP on noisy digits and watch the training and test errors per epoch.

    Controls: ``label_noise`` (fraction of training labels changed to a wrong class),
    ``input_noise`` (std of Gaussian noise added to every pixel, like a noisy sensor) and
    ``noisy_images``, which images get that input noise: ``"training and test"``, ``"training only"``
    (a generalization effect: the network memorizes noisy images and reads clean ones) or
    ``"test only"`` (a network trained on clean images meets noisy ones: sensitivity to inputs unlike
    its training set, not a generalization gap). Each click on "Train" retrains from the same seed
    (about a second). The test labels stay clean, so the test error measures what the network really
    learned.

    Parameters
    ----------
    num_train : int, number of training digits (few, so the network can memorize them)
    num_hidden : int, width of the single hidden layer
    num_epochs : int
    seed : int, seeds the split, the noise, the initialization and the batches

    Returns
    -------
    Explorer
        ``result`` holds per-epoch lists ``"train_error"`` (against the noisy labels the network
        saw, on the training images it saw) and ``"test_error"``, the fraction ``"flipped"`` of
        corrupted labels, the ``"X_train"`` and ``"X_test"`` images used, and ``"model"``.

    Used in: notebooks/10-noise-and-generalization.ipynb
    """
    num_train = as_count(num_train, "num_train", minimum=10)
    num_hidden, num_epochs = as_count(num_hidden, "num_hidden"), as_count(num_epochs, "num_epochs")
    X, y = data.load_digits()
    X_pool, X_test, y_pool, y_test = data.train_test_split(X, y, test_size=0.3, rng=seed)
    X_train, y_clean = X_pool[:num_train], y_pool[:num_train]
    where = {"training and test": (True, True), "training only": (True, False), "test only": (False, True)}

    @_quietly
    def compute(label_noise: float, input_noise: float, noisy_images: str = "training and test") -> dict:
        if noisy_images not in where:
            raise ValueError(f"noisy_images must be one of {sorted(where)}, got {noisy_images!r}")
        y_train = data.add_label_noise(y_clean, label_noise, num_classes=10, rng=seed)
        noisy_train, noisy_test = where[noisy_images] if input_noise > 0 else (False, False)
        X_tr = data.add_input_noise(X_train, input_noise, rng=seed) if noisy_train else X_train
        X_te = data.add_input_noise(X_test, input_noise, rng=seed + 1) if noisy_test else X_test
        model = MLP([64, num_hidden, 10], rng=seed)
        history = fit(model, X_tr, y_train, Adam(model.parameters(), lr=0.01), num_epochs, batch_size=100,
                      X_val=X_te, y_val=y_test, rng=seed)
        train_error = [1 - a for a in history["train_accuracy"]]
        test_error = [1 - a for a in history["val_accuracy"]]
        if history["diverged"]:
            message = history["message"]
        else:
            message = (f"After {num_epochs} epochs: training error {train_error[-1]:.0%} "
                       f"(on the labels and images it was given), test error {test_error[-1]:.0%}")
        return {"train_error": train_error, "test_error": test_error, "flipped": float(np.mean(y_train != y_clean)),
                "model": model, "X_train": X_tr, "X_test": X_te, "y_train": y_train, "y_clean": y_clean,
                "noisy_train": noisy_train, "noisy_test": noisy_test, "message": message}

    images = {True: "noisy images", False: "clean images"}

    def setup(fig: Figure) -> dict:
        grid = fig.add_gridspec(2, 6)  # the curves on the left half, six images in two rows on the right
        ax = line_styles(fig.add_subplot(grid[:, :3]))
        (train,) = ax.plot([], [], label="train")
        (test,) = ax.plot([], [], label="test")
        ax.set_xlim(0.5, num_epochs + 0.5)
        ax.set_ylim(0, 1)
        ax.set_xlabel("epoch")
        ax.set_ylabel("error rate")
        ax.set_title("error per epoch")
        legend = ax.legend(loc="upper right", fontsize=8)
        pictures, titles = [], []
        for i in range(6):  # what the network is given: images with their (maybe wrong) labels
            sub = fig.add_subplot(grid[i // 3, 3 + i % 3])
            pictures.append(sub.imshow(np.zeros((8, 8)), cmap="gray_r", vmin=0, vmax=1))
            titles.append(sub.set_title("", fontsize=9))
            sub.axis("off")
        return {"train": train, "test": test, "legend": legend, "pictures": pictures, "titles": titles}

    def update(artists: dict, result: dict) -> None:
        labels = (f"train ({images[result['noisy_train']]}, noisy labels)",
                  f"test ({images[result['noisy_test']]}, clean labels)")
        for name, label, text in zip(("train", "test"), labels, artists["legend"].get_texts()):
            errors = result[f"{name}_error"]
            artists[name].set_data(np.arange(1, len(errors) + 1), errors)
            artists[name].set_label(label)
            text.set_text(label)
        for i, (picture, title) in enumerate(zip(artists["pictures"], artists["titles"])):
            image = result["X_train"][i].reshape(8, 8)
            picture.set_data(image)
            picture.set_clim(image.min(), image.max())  # each image on its own gray scale
            wrong = result["y_train"][i] != result["y_clean"][i]
            title.set_text(f"label {result['y_train'][i]}" + (f" (is {result['y_clean'][i]})" if wrong else ""))
            title.set_color("#b2182b" if wrong else "black")  # dark red: 6:1 on white, and the words say it too

    def readout(result: dict) -> str:
        return (f"{result['flipped']:.0%} of the training labels are wrong; the six images on the right are "
                "training images with the labels the network is given")

    controls = {"label_noise": slider("label noise", 0.2, 0.0, 0.8, 0.1),
                "input_noise": slider("input noise (std)", 0.0, 0.0, 1.0, 0.1),
                "noisy_images": dropdown("input noise on", list(where), "training and test")}
    description = ("Training and test error per epoch (left), and six training images with the label the network "
                   "is given, a wrong one followed by the digit it shows (right)")
    return Explorer(controls, compute, setup, update, readout, figsize=(9, 3.6), button="Train",
                    description=description)


# ---------------------------------------------------------------- notebook 11: universal approximation


def _fit_1d(x, y, num_hidden: int, num_steps: int, lr: float, seed: int):
    rng = np.random.default_rng(seed)
    model = MLP([1, num_hidden, 1], rng=rng)
    first = model.layers[0]
    first.b.data[:] = -first.W.data[0] * rng.uniform(-1, 1, num_hidden)  # kinks spread over [-1, 1]
    history = fit(model, x, y, Adam(model.parameters(), lr=lr), num_steps, batch_size=len(x), loss="mse", rng=seed)
    return model, history


def approximation_explorer(num_steps: int = 400, lr: float = 0.02, seed: int = 0) -> Explorer:
    """Fit a one-hidden-layer ReLU network to a 1-D target; more hidden units, more linear pieces.

    Controls: ``kind`` ("sine", "step", "bumpy", from `bplab.data.regression_1d`) and
    ``num_hidden`` (the slider retrains when released, in a fraction of a second).

    Parameters
    ----------
    num_steps : int, full-batch Adam steps
    lr : float, Adam learning rate
    seed : int

    Returns
    -------
    Explorer
        ``result`` holds ``"x"``, ``"y"``, ``"y_hat"`` (N, 1), ``"contributions"`` (N, H) with each
        unit's ``v_j relu(w_j x + b_j)``, the output bias ``"c"``, ``"kinks"`` (where each unit
        switches on or off), ``"mse"``, and the weights ``"W1"`` (1, H), ``"b1"`` (H,), ``"W2"`` (H, 1).

    Used in: notebooks/11-universal-approximation.ipynb
    """
    num_steps = as_count(num_steps, "num_steps")

    @functools.lru_cache(maxsize=256)  # a setting seen before is shown at once (training is deterministic)
    @_quietly
    def compute(kind: str, num_hidden: int) -> dict:
        x, y = data.regression_1d(kind, n=200)
        model, _ = _fit_1d(x, y, num_hidden, num_steps, lr, seed)
        first, last = model.layers[0], model.layers[2]
        W1, b1, W2, c = first.W.data, first.b.data, last.W.data, float(last.b.data[0])
        contributions = np.maximum(x @ W1 + b1, 0) * W2[:, 0]  # (N, H): unit j's share of the output
        y_hat = model.forward(x)
        kinks = np.where(W1[0] != 0, -b1 / W1[0], np.nan)  # where each unit switches on or off (errstate: w = 0)
        mse = float(np.mean((y_hat - y) ** 2))
        message = "" if np.isfinite(mse) else "Diverged: the fit overflowed; lower the learning rate"
        return {"x": x, "y": y, "y_hat": y_hat, "contributions": contributions, "c": c, "kinks": kinks,
                "mse": mse, "W1": W1.copy(), "b1": b1.copy(), "W2": W2.copy(),
                "kind": kind, "num_hidden": num_hidden, "message": message}

    palette = [COLORS[name] for name in ("blue", "vermillion", "green", "orange", "purple", "sky", "black")]

    def setup(fig: Figure) -> dict:
        ax1, ax2 = fig.subplots(1, 2)
        (target,) = ax1.plot([], [], color="gray", lw=4, alpha=0.5, label="target")
        (network,) = ax1.plot([], [], color=COLORS["blue"], label="network")
        (kinks,) = ax1.plot([], [], "|", color=COLORS["vermillion"], ms=12, label="kinks",
                            transform=ax1.get_xaxis_transform())  # x in data, y in axes coordinates
        ax1.set_xlim(-1.05, 1.05)
        ax1.set_title("target and network")
        ax1.set_xlabel("x")
        fixed_ylabel(ax1, "y", "−0.00")  # the y limits follow the fit
        ax1.legend(fontsize=8, loc="upper right")
        colors = [palette[j % len(palette)] for j in range(controls["num_hidden"].max)]
        contributions = LineCollection([], colors=colors, lw=1)
        ax2.add_collection(contributions)
        ax2.set_xlim(-1.05, 1.05)
        ax2.set_title("each unit's contribution $v_j\\,\\mathrm{relu}(w_j x + b_j)$")
        ax2.set_xlabel("x")
        fixed_ylabel(ax2, "contribution", "−00.0")
        return {"ax1": ax1, "target": target, "network": network, "kinks": kinks, "ax2": ax2,
                "contributions": contributions}

    def update(artists: dict, result: dict) -> None:
        x = result["x"][:, 0]
        artists["target"].set_data(x, result["y"][:, 0])
        artists["network"].set_data(x, result["y_hat"][:, 0])
        inside = result["kinks"][(result["kinks"] >= -1) & (result["kinks"] <= 1)]
        artists["kinks"].set_data(inside, np.full_like(inside, 0.03))
        artists["ax1"].relim()
        artists["ax1"].autoscale_view(scalex=False)
        contributions = result["contributions"]
        artists["contributions"].set_segments([np.column_stack([x, column]) for column in contributions.T])
        low, high = float(np.min(contributions)), float(np.max(contributions))
        if np.isfinite(low) and np.isfinite(high):
            margin = 0.05 * (high - low) or 0.1
            artists["ax2"].set_ylim(low - margin, high + margin)

    def readout(result: dict) -> str:
        return f"{result['num_hidden']} hidden units: mean squared error {result['mse']:.3g}"

    controls = {"kind": dropdown("target", ["sine", "step", "bumpy"]),
                "num_hidden": int_slider("hidden units", 5, 1, 64, continuous_update=False)}  # retrains
    return Explorer(controls, compute, setup, update, readout, figsize=(9, 3.4))


# ---------------------------------------------------------------- notebook 12: gradients through time


def gradient_flow_explorer(hidden_size: int = 32, input_size: int = 4, seed: int = 0) -> Explorer:
    """How the gradient of a loss at the last step shrinks or grows on its way back through time.

    Controls: ``seq_len`` (T), ``spectral_radius`` of the recurrent weights Wh (an orthogonal matrix
    times this number) and ``input_std`` (size of the random inputs; large inputs saturate tanh).
    A loss at the last step sends a unit-norm gradient into h_{T-1}; the plot shows
    ``||dL/dh_t||`` for every t, next to the linear prediction ``radius ** (T - 1 - t)``.

    Parameters
    ----------
    hidden_size : int, H
    input_size : int, D
    seed : int

    Returns
    -------
    Explorer
        ``result`` holds ``"norms"`` (T,), ``"predicted"`` (T,) and ``"ratio"`` = norms[0] / norms[-1].

    Used in: notebooks/12-backprop-through-time.ipynb
    """
    hidden_size, input_size = as_count(hidden_size, "hidden_size"), as_count(input_size, "input_size")

    @_quietly
    def compute(seq_len: int, spectral_radius: float, input_std: float) -> dict:
        rng = np.random.default_rng(seed)
        Wh = recurrent_weights(hidden_size, spectral_radius, rng)
        Wx = rng.standard_normal((input_size, hidden_size)) / np.sqrt(input_size)
        x = input_std * rng.standard_normal((1, seq_len, input_size))
        h, cache = rnn_forward(x, np.zeros((1, hidden_size)), Wx, Wh, np.zeros(hidden_size))
        dh = np.zeros_like(h)
        direction = rng.standard_normal(hidden_size)
        dh[0, -1] = direction / np.linalg.norm(direction)  # a unit gradient from a loss at the last step
        norms = np.linalg.norm(rnn_backward(dh, cache)["h"][0], axis=1)
        predicted = spectral_radius ** np.arange(seq_len - 1, -1, -1.0)
        ratio = float(norms[0] / norms[-1])
        if ratio <= 0.5:
            message = f"Vanishing: the gradient reaching step 0 is {ratio:.1e} times the one at step {seq_len - 1}"
        elif ratio >= 2:
            message = f"Exploding: the gradient reaching step 0 is {ratio:.1e} times the one at step {seq_len - 1}"
        else:
            message = f"Roughly kept: the gradient reaching step 0 is {ratio:.2g} times the one at the end"
        return {"norms": norms, "predicted": predicted, "ratio": ratio, "message": message,
                "saturation": float(np.mean(np.abs(h) > 0.9))}

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        (norms,) = ax.semilogy([0, 1], [1, 1], "o-", ms=3, color=COLORS["blue"],
                               label=r"$\|\partial L / \partial h_t\|$ (BPTT)")
        (predicted,) = ax.semilogy([0, 1], [1, 1], "--", color=COLORS["vermillion"],
                                   label="radius$^{T-1-t}$ (linear tanh)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # time steps
        ax.yaxis.set_minor_formatter(NullFormatter())  # powers of ten only: the limits span 2 decades or more
        ax.set_xlabel("time step t")
        fixed_ylabel(ax, "gradient norm (log scale)", "$10^{-80}$")  # the limits follow T and the radius
        ax.legend(loc="lower right")
        return {"ax": ax, "norms": norms, "predicted": predicted}

    def update(artists: dict, result: dict) -> None:
        steps = np.arange(len(result["norms"]))
        artists["norms"].set_data(steps, result["norms"])
        artists["predicted"].set_data(steps, result["predicted"])
        artists["ax"].set_xlim(-0.5, len(steps) - 0.5)
        values = np.concatenate([result["norms"], result["predicted"]])
        values = values[np.isfinite(values) & (values > 0)]
        if len(values):
            artists["ax"].set_ylim(values.min() / 10, values.max() * 10)

    def readout(result: dict) -> str:
        norms = result["norms"]
        return (f"||dL/dh|| at the last step {norms[-1]:.3g}, at step 0 {norms[0]:.3g}; "
                f"{result['saturation']:.0%} of hidden units saturated (|h| > 0.9)")

    # on release: each move rescales the log axis (the norms span up to 40 decades), a full redraw
    controls = {"seq_len": int_slider("sequence length T", 30, 2, 100, continuous_update=False),
                "spectral_radius": slider("spectral radius of Wh", 0.9, 0.5, 1.5, 0.05, continuous_update=False),
                "input_std": dropdown("input size (std)", [0.0, 0.001, 0.01, 0.1, 1.0], 0.001)}
    return Explorer(controls, compute, setup, update, readout, figsize=(7, 3.6))


# ---------------------------------------------------------------- notebook 13: the cost of gradients


def gradient_cost_explorer(num_inputs: int = 16, num_classes: int = 4, batch_size: int = 32, seed: int = 0,
                           max_full_width: int = 32, num_sampled: int = 10) -> Explorer:
    """Time one forward pass, backpropagation and finite differences on an MLP of adjustable width.

    Control: ``num_hidden``, the width of both hidden layers of ``MLP([D, h, h, C], "tanh")``, up to
    512 (measures again when released). Up to ``max_full_width`` finite differences run over every
    parameter; above it they run on ``num_sampled`` weights and the time is scaled by
    ``P / num_sampled`` (each parameter costs the same two forward passes), since the full run would
    take minutes: finite differences make 2P forward passes of about N P multiply-adds each.

    Parameters
    ----------
    num_inputs, num_classes, batch_size : int, D, C and N of the random batch
    seed : int
    max_full_width : int, widest network on which finite differences run over all parameters
    num_sampled : int, weights timed (and compared with backprop) on wider networks

    Returns
    -------
    Explorer
        ``result`` holds ``"num_params"`` (P), the best-of-15 CPU times (`time.process_time`)
        ``"forward_time"`` and ``"backward_time"`` (backward alone), ``"fd_time"`` (measured, or
        estimated when ``"fd_estimated"``), the counted ``"forward_multiply_adds"`` (N d_in d_out
        summed over the layers), ``"fd_multiply_adds"`` (2P times that) and ``"backprop_multiply_adds"``
        (3 times that), the number of forward passes finite differences made (``"fd_forward_passes"``)
        and ``"max_rel_error"`` between the two gradients on the entries compared.

    Used in: notebooks/13-why-backprop-is-efficient.ipynb
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((as_count(batch_size, "batch_size"), as_count(num_inputs, "num_inputs")))
    y = rng.integers(0, as_count(num_classes, "num_classes", minimum=2), size=len(X))
    max_full_width, num_sampled = as_count(max_full_width, "max_full_width"), as_count(num_sampled, "num_sampled")

    @_quietly
    def compute(num_hidden: int) -> dict:
        sizes = [num_inputs, num_hidden, num_hidden, num_classes]
        model = MLP(sizes, activation="tanh", init="xavier", rng=seed)
        criterion = SoftmaxCrossEntropy()
        passes = [0]

        def loss() -> float:
            passes[0] += 1
            return criterion.forward(model.forward(X), y)

        def backward() -> None:
            model.backward(criterion.backward())

        params = model.parameters()
        num_params = sum(p.data.size for p in params)
        forward_time = best_time(loss, 15)
        loss()
        backward_time = best_time(backward, 15)
        analytic = [p.grad.copy() for p in params]
        estimated = num_hidden > max_full_width
        passes[0] = 0
        if estimated:  # a few weights of the middle layer (a view), scaled to all P parameters
            middle = model.layers[2].W
            some = middle.data[0, :num_sampled]
            numeric = [numerical_gradient(lambda _: loss(), some)]
            fd_passes = passes[0]
            analytic = [middle.grad[0, :num_sampled].copy()]
            fd_time = best_time(lambda: numerical_gradient(lambda _: loss(), some), 3) * num_params / len(some)
        else:
            start = time.process_time()
            numeric = [numerical_gradient(lambda _: loss(), p.data) for p in params]
            fd_time = time.process_time() - start
            fd_passes = passes[0]
        forward_ops = len(X) * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))  # one X @ W per layer
        message = (f"P = {num_params:,} parameters. Finite differences / backprop: counted multiply-adds "
                   f"2P/3 = {2 * num_params / 3:,.0f}, measured time {fd_time / (forward_time + backward_time):,.0f}"
                   + (f" (finite differences estimated from {len(some)} weights)" if estimated else ""))
        return {"num_params": num_params, "forward_time": forward_time, "backward_time": backward_time,
                "fd_time": fd_time, "fd_estimated": estimated, "fd_forward_passes": fd_passes,
                "forward_multiply_adds": forward_ops, "fd_multiply_adds": 2 * num_params * forward_ops,
                "backprop_multiply_adds": 3 * forward_ops,
                "max_rel_error": max(rel_error(a, n) for a, n in zip(analytic, numeric)), "message": message}

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        names = ["one forward pass", "backprop\n(forward + backward)", "finite differences\n(estimated)"]
        bars = ax.bar(names, [1, 1, 1], color=["gray", COLORS["blue"], COLORS["vermillion"]])
        labels = [ax.text(bar.get_x() + bar.get_width() / 2, 1, "", ha="center", va="bottom") for bar in bars]
        ax.set_yscale("log")
        ax.set_title("time for the gradient of one batch")  # also keeps room for the top tick label
        ax.set_ylabel("CPU seconds (log scale)")
        return {"ax": ax, "bars": bars, "labels": labels}

    def update(artists: dict, result: dict) -> None:
        times = [result["forward_time"], result["forward_time"] + result["backward_time"], result["fd_time"]]
        for bar, label, value in zip(artists["bars"], artists["labels"], times):
            bar.set_height(value)
            label.set_y(value)
            label.set_text(f"{value:,.1f} s" if value >= 1 else f"{value * 1e3:.3g} ms")
        artists["ax"].set_ylim(min(times) / 2, max(times) * 8)  # room for the labels
        fd_name = "finite differences\n(estimated)" if result["fd_estimated"] else "finite differences"
        artists["ax"].set_xticks([0, 1, 2], ["one forward pass", "backprop\n(forward + backward)", fd_name])

    def readout(result: dict) -> str:
        return (f"one forward pass {result['forward_time'] * 1e3:.3g} ms, "
                f"backward {result['backward_time'] * 1e3:.3g} ms, finite differences {result['fd_time']:.3g} s "
                f"({result['fd_forward_passes']} forward passes"
                + (", then scaled to all P" if result["fd_estimated"] else "") + ")")

    controls = {"num_hidden": int_slider("hidden units", 32, 2, 512, continuous_update=False)}  # measures again
    return Explorer(controls, compute, setup, update, readout, figsize=(7, 3.6))
