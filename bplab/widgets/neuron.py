"""Widgets of notebooks 03-05: a neuron's graph, a neuron on 2-D data, losses and gradient descent.

Each builder returns an `Explorer`; its compute step is a plain function of the control values
that returns numbers (tested in tests/test_widgets_neuron.py); setup draws the static parts once and
update only moves artists.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from matplotlib.transforms import offset_copy

from bplab._validate import as_array, as_count, as_labels, as_number, check_same_length
from bplab.data import moons
from bplab.engine import Value
from bplab.functions import ACTIVATIONS, sigmoid
from bplab.layers import Parameter
from bplab.optim import SGD
from bplab.plots import COLORS
from bplab.widgets._core import Explorer, dropdown, int_slider, slider
from bplab.widgets.calculus import _draw_graph_once, _show_graph_numbers

__all__ = [
    "neuron_graph_explorer",
    "activation_explorer",
    "neuron_explorer",
    "loss_explorer",
    "gradient_descent_path",
    "gradient_descent_explorer",
]

NEURON_ACTIVATIONS = ("sigmoid", "tanh", "relu")


# ---------------------------------------------------------------- notebook 03: a neuron's graph


def _neuron_graph(x1: float, x2: float, w1: float, w2: float, b: float) -> dict:
    """o = tanh(x1*w1 + x2*w2 + b) as a bplab Value graph, after backward()."""
    leaves = {name: Value(v, label=name) for name, v in
              (("x1", x1), ("x2", x2), ("w1", w1), ("w2", w2), ("b", b))}
    x1w1 = leaves["x1"] * leaves["w1"]
    x1w1.label = "x1*w1"
    x2w2 = leaves["x2"] * leaves["w2"]
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + leaves["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    nodes = [*leaves.values(), x1w1, x2w2, s, n, o]
    return {
        "output": o.data,
        "data": {node.label: node.data for node in nodes},
        "grads": {node.label: node.grad for node in nodes},
        "root": o,
    }


def neuron_graph_explorer() -> Explorer:
    """Sliders for the five inputs of ``o = tanh(x1*w1 + x2*w2 + b)``, drawing its graph with every grad.

    The result holds ``"output"`` (o), ``"data"`` and ``"grads"`` (dicts from node label to number:
    ``"x1"``, ``"w1"``, ``"x2"``, ``"w2"``, ``"b"``, ``"x1*w1"``, ``"x2*w2"``,
    ``"s"`` = x1*w1 + x2*w2, ``"n"`` = s + b, ``"o"``) and ``"root"`` (the output `Value`), all
    from `bplab.Value` and ``backward()``.

    Returns
    -------
    Explorer

    Used in: notebooks/03-autograd-from-scratch.ipynb
    """
    controls = {
        "x1": slider("x1", 2.0, -3.0, 3.0, 0.1),
        "x2": slider("x2", 0.0, -3.0, 3.0, 0.1),
        "w1": slider("w1", -3.0, -3.0, 3.0, 0.1),
        "w2": slider("w2", 1.0, -3.0, 3.0, 0.1),
        "b": slider("b", 6.9, -8.0, 8.0, 0.1),
    }
    names = ["x1", "w1", "x2", "w2", "b"]
    start = {name: control.value for name, control in controls.items()}

    def setup(fig) -> dict:
        grid = fig.add_gridspec(1, 6)
        # |n| <= 26.9 and every grad <= 3 on the sliders' ranges: boxes sized for "-88.888" fit them all
        texts = _draw_graph_once(fig.add_subplot(grid[0, :5]), _neuron_graph(**start)["root"], widest=-88.888)
        ax = fig.add_subplot(grid[0, 5])
        bars = ax.barh(names[::-1], [0.0] * len(names), animated=True)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlim(-3.3, 3.3)  # |do/dw1| = |x1| (1 - o²) <= 3: the axis never moves
        ax.set_title("do/d(input)")
        ax.set_xlabel("gradient")
        return {"texts": texts, "bars": dict(zip(names[::-1], bars.patches))}

    def update(artists: dict, result: dict) -> None:
        _show_graph_numbers(artists["texts"], result["root"])
        for name, bar in artists["bars"].items():
            grad = result["grads"][name]
            bar.set_width(grad)
            bar.set_color(COLORS["blue"] if grad >= 0 else COLORS["vermillion"])

    def readout(result: dict) -> str:
        grads = ", ".join(f"do/d{name} = {result['grads'][name]:.4f}" for name in names)
        return f"o = tanh(x1·w1 + x2·w2 + b) = {result['output']:.4f};  {grads}"

    description = ("The computational graph of o = tanh(x1·w1 + x2·w2 + b), a box for each value with its data and "
                   "grad do/dnode; beside it, a bar for each input's gradient do/dx1, do/dw1, do/dx2, do/dw2, do/db")
    return Explorer(controls, _neuron_graph, setup, update, readout, figsize=(10.0, 3.4), description=description)


# ---------------------------------------------------------------- notebook 04: activations


def _activation_curves() -> dict:
    z = np.linspace(-10.0, 10.0, 401)
    return {name: (z, ACTIVATIONS[name][0](z), ACTIVATIONS[name][1](z)) for name in NEURON_ACTIVATIONS}


def activation_explorer() -> Explorer:
    """A slider for z and a dropdown for the activation, showing f(z) and its slope f'(z).

    The result holds ``"z"``, ``"value"`` (f(z)), ``"derivative"`` (f'(z)), the curves
    ``"curve_z"``, ``"curve_f"``, ``"curve_df"`` (401 points on [-10, 10]) and a ``"message"``
    when the gradient nearly vanishes there (slope below 0.01).

    Returns
    -------
    Explorer

    Used in: notebooks/04-a-single-neuron.ipynb
    """
    curves = _activation_curves()  # computed once, not on every slider move

    def compute(z: float, activation: str) -> dict:
        function, derivative = ACTIVATIONS[activation]
        value, slope = float(function(z)), float(derivative(z))
        result = {"z": z, "activation": activation, "value": value, "derivative": slope}
        result["curve_z"], result["curve_f"], result["curve_df"] = curves[activation]
        if slope == 0.0:
            result["message"] = (f"Zero slope: {activation}'({z:g}) = 0, so no gradient flows back through this unit "
                                 "for this input (a unit with z < 0 on every input is dead)")
        elif slope < 0.01:
            result["message"] = (f"Saturated: {activation}'({z:g}) = {slope:.2g}, so the gradient "
                                 "flowing back is multiplied by almost nothing")
        return result

    def limits(values: np.ndarray) -> tuple[float, float]:
        low, high = float(values.min()), float(values.max())
        return low - 0.06 * (high - low), high + 0.06 * (high - low)

    def setup(fig) -> dict:
        axes = fig.subplots(1, 2)
        artists = {"axes": axes}
        for ax, key in zip(axes, ("f", "df")):
            (artists[f"curve_{key}"],) = ax.plot([], [], color=COLORS["blue"], animated=True)
            (artists[f"point_{key}"],) = ax.plot([], [], "o", color=COLORS["vermillion"], animated=True)
            ax.set_xlim(-10.0, 10.0)
            ax.set_xlabel("z")
            ax.grid(alpha=0.3)
            # each activation has its own y range (relu reaches 10, sigmoid 1): the y axis (ticks, grid
            # lines, label) is redrawn with the curves on every move, the rest of the figure is not; its
            # label sits at a fixed place, left of the widest tick labels, wherever the ticks are
            ax.yaxis.set_animated(True)
            ax.set_ylabel(" ")
            ax.yaxis.set_label_coords(0.0, 0.5, offset_copy(ax.transAxes, fig=fig, x=-42, units="points"))
        return artists

    def update(artists: dict, result: dict) -> None:
        name, z = result["activation"], result["z"]
        for ax, key, label in zip(artists["axes"], ("f", "df"), (f"{name}(z)", f"d {name}/dz")):
            if artists.get("shown") != name:  # the curves and the y axes change only with the activation
                artists[f"curve_{key}"].set_data(result["curve_z"], result[f"curve_{key}"])
                ax.set_ylim(*limits(result[f"curve_{key}"]))
                ax.set_ylabel(label)
            artists[f"point_{key}"].set_data([z], [result["value" if key == "f" else "derivative"]])
        artists["shown"] = name

    def readout(result: dict) -> str:
        name = result["activation"]
        return (f"{name}({result['z']:.2f}) = {result['value']:.4f},  "
                f"slope {name}'({result['z']:.2f}) = {result['derivative']:.4g}")

    controls = {
        "z": slider("z", 2.0, -10.0, 10.0, 0.1),
        "activation": dropdown("activation", list(NEURON_ACTIVATIONS), "sigmoid"),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(8.0, 3.2))


# ---------------------------------------------------------------- notebook 04: a neuron on 2-D data


def neuron_explorer(X=None, y=None, resolution: int = 60) -> Explorer:
    """Sliders for w1, w2, b and a dropdown for the activation of ``a = f(w1 x1 + w2 x2 + b)`` on 2-D data.

    A point is classified as 1 where ``z = w1 x1 + w2 x2 + b > 0`` (the output is above f(0)); the
    decision boundary is the line ``z = 0``.

    Parameters
    ----------
    X : array_like, shape (N, 2), optional
        Points; by default ``bplab.data.moons()``.
    y : array_like of int, shape (N,), optional
        Labels 0 or 1.
    resolution : int
        Grid points per axis for the output surface (one image pixel block per grid point).

    Returns
    -------
    Explorer
        Its result holds ``"output"`` (resolution, resolution) on the grid ``"grid_x1"``,
        ``"grid_x2"`` (each (resolution, resolution)), ``"z"`` (N,) for the data, ``"accuracy"``,
        ``"boundary"`` (points (2, K) on the line z = 0, or None when w1 = w2 = 0).

    Used in: notebooks/04-a-single-neuron.ipynb
    """
    if X is None and y is None:
        X, y = moons()
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"neuron_explorer expects X of shape (N, 2), got {X.shape}")
    y = as_labels(y, "y", num_classes=2, length=X.shape[0])
    resolution = as_count(resolution, "resolution", minimum=2)
    low, high = X.min(axis=0), X.max(axis=0)
    pad = 0.15 * (high - low) + 1e-9
    low, high = low - pad, high + pad
    grid_x1, grid_x2 = np.meshgrid(np.linspace(low[0], high[0], resolution),
                                   np.linspace(low[1], high[1], resolution))

    def compute(w1: float, w2: float, b: float, activation: str) -> dict:
        function = ACTIVATIONS[activation][0]
        z = X @ np.array([w1, w2]) + b  # (N,)
        result = {
            "X": X, "y": y, "w1": w1, "w2": w2, "b": b, "activation": activation,
            "grid_x1": grid_x1, "grid_x2": grid_x2,
            "output": function(w1 * grid_x1 + w2 * grid_x2 + b),
            "z": z, "accuracy": float(np.mean((z > 0) == (y == 1))),
            "boundary": None,
        }
        if w1 == 0 and w2 == 0:
            result["message"] = "No boundary: with w1 = w2 = 0 the output is the same everywhere"
        elif abs(w2) >= abs(w1):  # solve w1 x1 + w2 x2 + b = 0 for the steeper coordinate
            x1 = np.linspace(low[0], high[0], 50)
            result["boundary"] = np.stack([x1, -(w1 * x1 + b) / w2])
        else:
            x2 = np.linspace(low[1], high[1], 50)
            result["boundary"] = np.stack([-(w2 * x2 + b) / w1, x2])
        return result

    # RdBu_r faded towards white (as a 0.75 alpha would), but opaque: the image is redrawn over itself
    faded = ListedColormap(0.75 * colormaps["RdBu_r"](np.linspace(0.0, 1.0, 256)) + 0.25)

    def setup(fig) -> dict:
        ax = fig.add_subplot()
        # The output surface is an image of the grid, one pixel block per grid point: one set_data per move
        # (a filled contour plot would be rebuilt). Everything inside the axes and the colour bar (its range
        # follows the activation and relu's largest output) is redrawn on each move; the rest is drawn once.
        half = (high - low) / (resolution - 1) / 2  # pixel centres sit on the grid points
        extent = (low[0] - half[0], high[0] + half[0], low[1] - half[1], high[1] + half[1])
        image = ax.imshow(np.zeros((resolution, resolution)), origin="lower", aspect="auto", cmap=faded,
                          interpolation="nearest", extent=extent, animated=True)
        colorbar = fig.colorbar(image, ax=ax)
        colorbar.ax.yaxis.set_animated(True)  # the colours stay, the numbers follow the range
        colorbar.set_label(" ")  # at a fixed place, right of the widest tick labels
        colorbar.ax.yaxis.set_label_coords(
            1.0, 0.5, offset_copy(colorbar.ax.transAxes, fig=fig, x=38, units="points"))
        # white circles and black squares: they stand out on the blue and the red side alike, in any colour vision
        for label, marker, fill in ((0, "o", "white"), (1, "s", "black")):
            points = X[y == label]
            ax.scatter(points[:, 0], points[:, 1], marker=marker, s=18, edgecolor="black", linewidth=0.6,
                       color=fill, label=f"class {label}", animated=True)
        (boundary,) = ax.plot([], [], color="black", lw=2, label="boundary z = 0", animated=True)
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        fig.legend(loc="outside upper center", ncols=3, fontsize=8)  # outside the image: drawn once
        for spine in ax.spines.values():
            spine.set_animated(True)  # drawn over the image
        return {"image": image, "colorbar": colorbar, "boundary": boundary}

    def update(artists: dict, result: dict) -> None:
        name, output = result["activation"], result["output"]
        top = 1.0 if name != "relu" else max(1.0, float(output.max()))
        artists["image"].set_data(output)
        artists["image"].set_clim(-1.0 if name == "tanh" else 0.0, top)
        if artists.get("shown") != name:
            artists["colorbar"].set_label(f"output {name}(z)")
            artists["shown"] = name
        artists["boundary"].set_data(*(result["boundary"] if result["boundary"] is not None else ([], [])))

    def readout(result: dict) -> str:
        return (f"a = {result['activation']}(z), z = {result['w1']:g}·x1 + {result['w2']:g}·x2 + {result['b']:g};  "
                f"accuracy (class 1 where z > 0): {result['accuracy']:.1%}")

    controls = {
        "w1": slider("w1", 1.0, -5.0, 5.0, 0.1),
        "w2": slider("w2", 1.0, -5.0, 5.0, 0.1),
        "b": slider("b", 0.0, -5.0, 5.0, 0.1),
        "activation": dropdown("activation", list(NEURON_ACTIVATIONS), "sigmoid"),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(7.0, 4.0))


# ---------------------------------------------------------------- notebook 05: MSE versus cross-entropy


def loss_explorer() -> Explorer:
    """A slider for the logit z of ``p = sigmoid(z)`` and a dropdown for the target y: MSE versus cross-entropy.

    The result holds ``"p"``, ``"mse"`` = (p - y)^2, ``"bce"`` = -[y log p + (1-y) log(1-p)] and their
    gradients with respect to z, ``"mse_grad_z"`` = 2 (p - y) p (1 - p) and ``"bce_grad_z"`` = p - y,
    plus the curves over z in [-8, 8] (``"curve_z"``, ``"curve_mse"``, ``"curve_bce"``,
    ``"curve_mse_grad"``, ``"curve_bce_grad"``).

    Returns
    -------
    Explorer

    Used in: notebooks/05-loss-and-gradient-descent.ipynb
    """
    curve_z = np.linspace(-8.0, 8.0, 321)

    def losses(z, y: float) -> tuple:
        p = sigmoid(z)
        # log p = -log(1 + exp(-z)), log(1 - p) = -log(1 + exp(z)), both without overflow
        bce = y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)
        return p, (p - y) ** 2, bce, 2 * (p - y) * p * (1 - p), p - y

    curves = {y: losses(curve_z, y) for y in (0, 1)}

    def compute(z: float, y: int) -> dict:
        p, mse, bce, mse_grad, bce_grad = (float(v) for v in losses(np.float64(z), y))
        curve = curves[y]
        return {
            "z": z, "y": y, "p": p, "mse": mse, "bce": bce, "mse_grad_z": mse_grad, "bce_grad_z": bce_grad,
            "curve_z": curve_z, "curve_mse": curve[1], "curve_bce": curve[2],
            "curve_mse_grad": curve[3], "curve_bce_grad": curve[4],
        }

    panels = (("loss", ("mse", "bce")), ("dL/dz", ("mse_grad", "bce_grad")))
    names_colors = (("MSE", COLORS["blue"], "-"), ("cross-entropy", COLORS["vermillion"], "--"))

    def setup(fig) -> dict:
        artists = {}
        for ax, (ylabel, keys) in zip(fig.subplots(1, 2), panels):
            for key, (name, color, style) in zip(keys, names_colors):
                (artists[f"curve_{key}"],) = ax.plot([], [], style, color=color, label=name, animated=True)
                (artists[f"point_{key}"],) = ax.plot([], [], "o", color=color, animated=True)
            # both targets' curves fit: the axes stay put when y changes (y = 0 mirrors y = 1)
            index = [1, 2] if ylabel == "loss" else [3, 4]
            values = np.concatenate([curves[y][i] for y in (0, 1) for i in index])
            span = values.max() - values.min()
            ax.set_xlim(curve_z[0], curve_z[-1])
            ax.set_ylim(values.min() - 0.05 * span, values.max() + 0.05 * span)
            ax.set_xlabel("z (p = sigmoid(z))")
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
        handles = [artists["curve_mse"], artists["curve_bce"]]
        fig.legend(handles, [name for name, _, _ in names_colors], loc="outside upper center", ncols=2, fontsize=8)
        return artists

    def update(artists: dict, result: dict) -> None:
        for key, value in (("mse", "mse"), ("bce", "bce"), ("mse_grad", "mse_grad_z"), ("bce_grad", "bce_grad_z")):
            artists[f"curve_{key}"].set_data(result["curve_z"], result[f"curve_{key}"])
            artists[f"point_{key}"].set_data([result["z"]], [result[value]])

    def readout(result: dict) -> str:
        return (f"target y = {result['y']}, z = {result['z']:.2f}, p = sigmoid(z) = {result['p']:.4f};  "
                f"MSE = {result['mse']:.4f}, cross-entropy = {result['bce']:.4f};  "
                f"dMSE/dz = {result['mse_grad_z']:.4g}, dCE/dz = {result['bce_grad_z']:.4g}")

    controls = {
        "z": slider("z (logit)", -4.0, -8.0, 8.0, 0.1),
        "y": dropdown("target y", [1, 0], 1),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(8.0, 3.2))


# ---------------------------------------------------------------- notebook 05: gradient descent


def _line_data() -> tuple[np.ndarray, np.ndarray]:
    """The 20 points of notebook 05: y = 2x - 1 plus a little noise, x in [0, 2]."""
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 2.0, 20)
    return x, 2 * x - 1 + rng.normal(0.0, 0.2, size=20)


def _as_column(v, name: str) -> np.ndarray:
    v = as_array(v, name)
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1:
        raise ValueError(f"{name} must have shape (N,) or (N, 1), got {v.shape}")
    return v.astype(np.float64)


def gradient_descent_path(x, y, lr: float, num_steps: int = 50, momentum: float = 0.0,
                          start: tuple[float, float] = (-1.0, -2.0)) -> dict:
    """Gradient descent (optionally with momentum) on the MSE of the line ``y_hat = w x + b``.

    Each step: ``velocity = momentum * velocity - lr * grad``; ``(w, b) += velocity``, where
    ``grad = (2 mean((y_hat - y) x), 2 mean(y_hat - y))``. Stops at the first non-finite loss,
    without warnings.

    Parameters
    ----------
    x, y : array_like, shape (N,) or (N, 1)
        Inputs and targets.
    lr : float
        Learning rate, > 0.
    num_steps : int
        Number of steps, >= 1.
    momentum : float
        In [0, 1); 0 is plain gradient descent.
    start : (float, float)
        Initial (w, b).

    Returns
    -------
    dict
        ``"path"`` (K + 1, 2) of (w, b), ``"loss"`` (K + 1,), all finite; ``"diverged"`` (bool);
        ``"regime"``: "diverging", "oscillating", "too small" or "good"; ``"message"`` (str);
        ``"loss_min"`` and ``"best"`` (the least-squares (w, b)); ``"lr_stable_below"`` (2 / the largest
        curvature: plain gradient descent diverges above it).

    Used in: notebooks/05-loss-and-gradient-descent.ipynb, notebooks/05c-momentum-adam-and-standardized-inputs.ipynb
    """
    x, y = _as_column(x, "x"), _as_column(y, "y")
    check_same_length(x, y, "x", "y")
    lr = as_number(lr, "lr", positive=True)
    num_steps = as_count(num_steps, "num_steps")
    theta = Parameter(np.array([as_number(start[0], "start[0]"), as_number(start[1], "start[1]")]))
    optimizer = SGD([theta], lr=lr, momentum=momentum)  # checks lr > 0 and momentum in [0, 1)

    A = np.column_stack([x, np.ones_like(x)])
    best = np.linalg.lstsq(A, y, rcond=None)[0]
    loss_min = float(np.mean((A @ best - y) ** 2))
    curvature = float(np.linalg.eigvalsh(2 * A.T @ A / len(x)).max())

    path, losses = [theta.data.copy()], [float(np.mean((A @ theta.data - y) ** 2))]
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, num_steps + 1):
            residual = A @ theta.data - y  # y_hat - y, shape (N,)
            theta.grad = 2 * A.T @ residual / len(x)  # (dL/dw, dL/db)
            optimizer.step()  # velocity = momentum * velocity - lr * grad; theta += velocity
            loss = float(np.mean((A @ theta.data - y) ** 2))
            if not (math.isfinite(loss) and np.all(np.isfinite(theta.data))):
                diverged_at = step
                break
            path.append(theta.data.copy())
            losses.append(loss)
    path, losses = np.array(path), np.array(losses)
    moves = np.diff(path, axis=0)
    turns = int(np.sum(np.einsum("ij,ij->i", moves[:-1], moves[1:]) < 0))  # steps that turn back
    rises = int(np.sum(np.diff(losses) > 0))  # steps that make the loss worse
    excess = losses - loss_min
    hint = f"plain gradient descent is stable below lr = {2 / curvature:.3g} here"
    if diverged_at is not None:
        regime = "diverging"
        message = (f"Diverged: the loss overflowed at step {diverged_at} (last finite loss "
                   f"{losses[-1]:.3g}) — lower the learning rate; {hint}")
    elif losses[-1] > losses[0]:
        regime = "diverging"
        message = (f"Diverged: the loss grew from {losses[0]:.3g} to {losses[-1]:.3g} in {len(losses) - 1} "
                   f"steps — lower the learning rate; {hint}")
    elif len(moves) > 2 and (turns > len(moves) / 3 or rises > len(moves) / 5):
        regime = "oscillating"
        message = (f"Oscillating: {turns} of {len(moves) - 1} steps turn back, {rises} make the loss worse; "
                   f"loss {losses[-1]:.4g} after {len(losses) - 1} steps (minimum {loss_min:.4g})")
    elif excess[-1] > 0.1 * loss_min + 1e-4 * excess[0]:  # not yet within 10% of the minimum
        regime = "too small"
        message = (f"Too small: after {len(losses) - 1} steps the loss is still {losses[-1]:.4g} "
                   f"(minimum {loss_min:.4g}) — raise the learning rate or take more steps")
    else:
        regime = "good"
        message = f"Good: loss {losses[-1]:.4g} after {len(losses) - 1} steps (minimum {loss_min:.4g})"
    return {
        "path": path, "loss": losses, "diverged": regime == "diverging", "regime": regime,
        "message": message, "loss_min": loss_min, "best": best, "lr_stable_below": 2 / curvature,
    }


def gradient_descent_explorer(x=None, y=None, start: tuple[float, float] = (-1.0, -2.0)) -> Explorer:
    """Sliders for the learning rate, momentum and number of steps of gradient descent on a line fit.

    Left: the MSE loss surface over (w, b) (computed once) with the path drawn; right: the loss per
    step on a log scale. The result is `gradient_descent_path`'s dict plus the grid ``"grid_w"``,
    ``"grid_b"``, ``"surface"``.

    Parameters
    ----------
    x, y : array_like, shape (N,) or (N, 1), optional
        Data; by default notebook 05's 20 points around y = 2x - 1.
    start : (float, float)
        Initial (w, b).

    Returns
    -------
    Explorer

    Used in: notebooks/05-loss-and-gradient-descent.ipynb, notebooks/05c-momentum-adam-and-standardized-inputs.ipynb
    """
    if x is None and y is None:
        x, y = _line_data()
    x, y = _as_column(x, "x"), _as_column(y, "y")
    check_same_length(x, y, "x", "y")
    best = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    reach = np.abs(np.asarray(start, dtype=float) - best) * 1.6 + 1.0
    grid_w, grid_b = np.meshgrid(np.linspace(best[0] - reach[0], best[0] + reach[0], 80),
                                 np.linspace(best[1] - reach[1], best[1] + reach[1], 80))
    # loss at every grid point at once: mean over the data axis, shape (80, 80)
    surface = np.mean((grid_w[..., None] * x + grid_b[..., None] - y) ** 2, axis=-1)

    def compute(lr: float, momentum: float, num_steps: int) -> dict:
        result = gradient_descent_path(x, y, lr, num_steps, momentum, start)
        result.update(grid_w=grid_w, grid_b=grid_b, surface=surface)
        return result

    low, high = np.array([grid_w.min(), grid_b.min()]), np.array([grid_w.max(), grid_b.max()])
    loss_min = float(np.mean((best[0] * x + best[1] - y) ** 2))
    loss_start = float(np.mean((start[0] * x + start[1] - y) ** 2))
    loss_low, loss_high = 0.5 * loss_min + 1e-12, 100 * max(loss_start, loss_min) + 1e-12  # fixed log axis

    def setup(fig) -> dict:
        ax_path, ax_loss = fig.subplots(1, 2)
        ax_path.contourf(grid_w, grid_b, np.log10(surface), levels=20, cmap="viridis")  # drawn once
        (path,) = ax_path.plot([], [], ".-", color="white", lw=1, ms=4, label="path", animated=True)
        ax_path.plot(*best, "*", color=COLORS["vermillion"], mec="white", ms=12, label="minimum")
        ax_path.set_xlim(low[0], high[0])
        ax_path.set_ylim(low[1], high[1])
        ax_path.set_xlabel("w")
        ax_path.set_ylabel("b")
        ax_path.set_title("log10 MSE(w, b) and the path")
        ax_path.legend(fontsize=8, loc="lower left")
        (loss,) = ax_loss.semilogy([], [], ".-", color=COLORS["blue"], label="loss", animated=True)
        ax_loss.axhline(loss_min, color=COLORS["vermillion"], ls="--", lw=1, label="minimum")
        ax_loss.set_xlim(-2, 102)  # room for the most steps: the axes never move
        ax_loss.set_ylim(loss_low, loss_high)
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("MSE (log scale)")
        ax_loss.set_title("loss per step")
        ax_loss.legend(fontsize=8, loc="upper right")
        return {"path": path, "loss": loss}

    def update(artists: dict, result: dict) -> None:
        path = np.clip(result["path"], low - 1, high + 1)  # off-screen stays off-screen
        artists["path"].set_data(path[:, 0], path[:, 1])
        losses = np.clip(result["loss"], loss_low / 10, loss_high * 10)  # a diverging loss leaves at the top
        artists["loss"].set_data(np.arange(len(losses)), losses)

    def readout(result: dict) -> str:
        (w, b), losses = result["path"][-1], result["loss"]
        return (f"after {len(losses) - 1} steps: w = {w:.4g}, b = {b:.4g}, loss {losses[-1]:.4g} "
                f"(minimum {result['loss_min']:.4g} at w = {result['best'][0]:.4g}, b = {result['best'][1]:.4g})")

    controls = {
        "lr": widgets.FloatLogSlider(value=0.2, base=10, min=-3, max=0, step=0.01, description="lr",
                                     readout_format=".3f", style={"description_width": "initial"},
                                     layout=widgets.Layout(width="320px")),
        "momentum": slider("momentum", 0.0, 0.0, 0.95, 0.05),
        "num_steps": int_slider("num_steps", 50, 5, 100),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(9.0, 3.6))
