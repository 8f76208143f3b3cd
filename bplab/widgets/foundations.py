"""Widgets of the foundations lessons: paths in the chain rule (02), curvature and the learning rate (05),
stochastic gradient descent (05b), and a network trained step by step (05d).

Each builder returns an `Explorer`; its compute step is a plain function of the control values that returns
numbers, computed with the teaching core (`bplab.engine.Value`, `bplab.layers`, `bplab.optim.SGD`,
`bplab.data.minibatches`) and tested in tests/test_widgets_foundations.py; setup draws the static parts once and
update only moves artists.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from bplab._validate import as_number, check_same_length
from bplab.data import minibatches, moons, standardize
from bplab.engine import Value
from bplab.functions import binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad
from bplab.layers import MLP, Parameter
from bplab.optim import SGD
from bplab.plots import COLORS, decision_grid
from bplab.widgets._core import Explorer, dropdown, int_slider, slider

__all__ = [
    "PATH_CHOICES",
    "path_contributions",
    "paths_explorer",
    "CURVATURE_LOSSES",
    "descent_1d",
    "local_curvature_explorer",
    "sgd_data",
    "sgd_run",
    "sgd_explorer",
    "network_training_run",
    "network_training_explorer",
]


# ---------------------------------------------------------------- notebook 02: several paths

PATHS = ("through u", "through v", "direct")
PATH_CHOICES = {
    "all three paths": PATHS,
    "through u only": ("through u",),
    "through v only": ("through v",),
    "direct only": ("direct",),
    "through u and v (not direct)": ("through u", "through v"),
}
_PATH_RANGE = (-0.5, 3.0)


def _paths_function(x):
    """L = u v + x with u = x², v = exp(-x) (NumPy, for the curve)."""
    return x**2 * np.exp(-x) + x


def path_contributions(x: float, counted: str = "all three paths") -> dict:
    """Each path from x to L = u·v + x (u = x², v = exp(-x)) and the product of local derivatives along it.

    The graph is built with `bplab.Value` and each product is read from its local derivatives (``_local``):
    through u, 1·v·2x; through v, 1·u·exp(-x)·(-1); direct, 1. Their sum is the slope dL/dx.

    Parameters
    ----------
    x : float
        Where to differentiate.
    counted : str
        A key of `PATH_CHOICES`: the paths whose products are added in ``"counted_sum"``.

    Returns
    -------
    dict
        ``"x"``, ``"L"``; ``"contributions"`` (path name -> product); ``"counted"`` (the names counted),
        ``"counted_sum"``; ``"backward"`` (x.grad after ``L.backward()``) and ``"numerical"`` (central
        difference, h = 1e-5).

    Used in: notebooks/02-computational-graphs.ipynb
    """
    x = as_number(x, "x")
    if counted not in PATH_CHOICES:
        raise ValueError(f"counted must be one of {list(PATH_CHOICES)}, got {counted!r}")
    x_value = Value(x, label="x")
    u = x_value**2
    minus_x = -x_value
    v = minus_x.exp()
    uv = u * v
    L = uv + x_value
    L.backward()
    # the local derivative of each edge, read from the graph: node._local[k] = d node / d node._prev[k]
    dL_duv, dL_dx = L._local
    duv_du, duv_dv = uv._local
    (du_dx,) = u._local
    (dv_dminus,) = v._local
    (dminus_dx,) = minus_x._local[:1]  # -x is x * (-1): its first input is x
    contributions = {
        "through u": dL_duv * duv_du * du_dx,
        "through v": dL_duv * duv_dv * dv_dminus * dminus_dx,
        "direct": dL_dx,
    }
    h = 1e-5
    numerical = float((_paths_function(x + h) - _paths_function(x - h)) / (2 * h))
    names = PATH_CHOICES[counted]
    return {"x": x, "L": L.data, "contributions": contributions, "counted": names,
            "counted_sum": sum(contributions[name] for name in names), "backward": x_value.grad,
            "numerical": numerical}


def paths_explorer(x: float = 1.0, counted: str = "all three paths") -> Explorer:
    """A slider for x and a choice of paths on L = u·v + x, u = x², v = exp(-x): x reaches L along three paths.

    Left: L(x) with its tangent (slope: the sum over every path) and the line whose slope is the sum over the
    counted paths only. Right: each path's product of local derivatives, the counted sum and the slope measured
    by central differences. The result is `path_contributions`'s dict.

    Parameters
    ----------
    x : float
        Starting point, in [-0.5, 3].
    counted : str
        A key of `PATH_CHOICES`.

    Returns
    -------
    Explorer

    Used in: notebooks/02-computational-graphs.ipynb
    """
    x = as_number(x, "x")
    grid = np.linspace(*_PATH_RANGE, 200)
    curve = _paths_function(grid)
    extremes = [path_contributions(t) for t in np.linspace(*_PATH_RANGE, 61)]
    low = min(min(r["contributions"].values()) for r in extremes)
    high = max(max(max(r["contributions"].values()), r["backward"]) for r in extremes)
    bar_limits = (min(low, -1.0) - 0.3, max(high, 1.0) + 0.3)
    rows = [*PATHS, "counted sum"]

    def compute(x: float, counted: str) -> dict:
        return path_contributions(x, counted)

    def setup(fig: Figure) -> dict:
        ax_curve, ax_bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        ax_curve.plot(grid, curve, color=COLORS["blue"], label="L(x) = x²·exp(−x) + x")
        (tangent,) = ax_curve.plot([], [], color="black", lw=1.2, label="slope: every path", animated=True)
        (partial,) = ax_curve.plot([], [], "--", color=COLORS["vermillion"], lw=1.5,
                                   label="slope: counted paths", animated=True)
        (point,) = ax_curve.plot([], [], "o", color="black", animated=True)
        ax_curve.set_xlim(*_PATH_RANGE)
        ax_curve.set_ylim(curve.min() - 0.8, curve.max() + 1.4)
        ax_curve.set_xlabel("x")
        ax_curve.set_ylabel("L")
        ax_curve.legend(fontsize=8, loc="upper left")
        positions = np.arange(len(rows))[::-1]
        bars = ax_bars.barh(positions, np.zeros(len(rows)), height=0.6, color=[COLORS["sky"]] * 3
                            + [COLORS["vermillion"]], edgecolor="black", animated=True)
        numeric = ax_bars.axvline(0.0, color="black", ls="--", lw=1, label="numerical dL/dx", animated=True)
        ax_bars.axvline(0.0, color="gray", lw=0.6)
        ax_bars.set_yticks(positions, rows)
        ax_bars.set_xlim(*bar_limits)
        ax_bars.set_ylim(-0.7, len(rows) - 0.3 + 0.8)
        ax_bars.set_xlabel("product of local derivatives")
        ax_bars.legend(fontsize=8, loc="upper right")
        return {"tangent": tangent, "partial": partial, "point": point, "bars": bars, "numeric": numeric}

    def update(artists: dict, result: dict) -> None:
        x0, y0 = result["x"], result["L"]
        span = np.array([x0 - 0.6, x0 + 0.6])
        artists["tangent"].set_data(span, y0 + result["backward"] * (span - x0))
        artists["partial"].set_data(span, y0 + result["counted_sum"] * (span - x0))
        artists["point"].set_data([x0], [y0])
        for bar, name in zip(artists["bars"], rows):
            if name == "counted sum":
                bar.set_width(result["counted_sum"])
            else:
                bar.set_width(result["contributions"][name])
                bar.set_hatch("" if name in result["counted"] else "//")
                bar.set_alpha(1.0 if name in result["counted"] else 0.35)
        artists["numeric"].set_xdata([result["numerical"], result["numerical"]])

    def readout(result: dict) -> str:
        parts = ", ".join(f"{name} {value:+.4f}" + ("" if name in result["counted"] else " (not counted)")
                          for name, value in result["contributions"].items())
        return (f"x = {result['x']:.2f}: {parts}; counted sum {result['counted_sum']:+.4f}; "
                f"every path (backward) {result['backward']:+.4f}; numerical {result['numerical']:+.4f}")

    controls = {"x": slider("x", x, *_PATH_RANGE, 0.05),
                "counted": dropdown("paths counted", tuple(PATH_CHOICES), counted)}
    return Explorer(controls, compute, setup, update, readout, figsize=(9.0, 3.6))


# ---------------------------------------------------------------- notebook 05: curvature is local

# name: (L, L', L''); each has its minimum at 0 with curvature L''(0) = 1
CURVATURE_LOSSES = {
    "quadratic: w²/2": (lambda w: w**2 / 2, lambda w: w, lambda w: 1.0 + 0.0 * w),
    "quartic: w²/2 + w⁴/4": (lambda w: w**2 / 2 + w**4 / 4, lambda w: w + w**3, lambda w: 1 + 3 * w**2),
    "log cosh w": (lambda w: np.logaddexp(w, -w) - math.log(2), np.tanh, lambda w: 1 - np.tanh(w) ** 2),
}
_BLOWN_UP = 1e6  # |w| beyond this counts as diverged (and stops the iteration before it overflows)


def descent_1d(loss: str, lr: float, w0: float, num_steps: int = 1000) -> dict:
    """Gradient descent w <- w - lr L'(w) on a one-parameter loss of `CURVATURE_LOSSES`.

    Parameters
    ----------
    loss : str
        A key of `CURVATURE_LOSSES` (each has its minimum at w = 0, with curvature 1 there).
    lr : float
        Learning rate, > 0.
    w0 : float
        Start.
    num_steps : int
        Steps, at most (the run stops once |w| passes 1e6).

    Returns
    -------
    dict
        ``"w"`` (the iterates, w0 first), ``"outcome"``: "converges" (within 1e-8 of 0 at the end), "diverges"
        (past 1e6), or "bounded, does not settle within N steps"; ``"curvature_at_minimum"`` (1),
        ``"curvature_at_start"`` (L''(w0)),
        ``"local_limit"`` (2 / L''(0) = 2) and ``"limit_at_start"`` (2 / L''(w0)).

    Used in: notebooks/05-loss-and-gradient-descent.ipynb
    """
    if loss not in CURVATURE_LOSSES:
        raise ValueError(f"loss must be one of {list(CURVATURE_LOSSES)}, got {loss!r}")
    lr, w0 = as_number(lr, "lr", positive=True), as_number(w0, "w0")
    _, grad, curvature = CURVATURE_LOSSES[loss]
    ws = [w0]
    for _ in range(num_steps):
        w = ws[-1] - lr * float(grad(ws[-1]))
        ws.append(w)
        if abs(w) > _BLOWN_UP:
            break
    if abs(ws[-1]) > _BLOWN_UP:
        outcome = "diverges"
    elif abs(ws[-1]) < 1e-8:
        outcome = "converges"
    else:
        outcome = f"bounded, does not settle within {num_steps} steps"
    at_start = float(curvature(w0))
    return {"loss": loss, "lr": lr, "w0": w0, "w": np.array(ws), "outcome": outcome,
            "curvature_at_minimum": float(curvature(0.0)), "curvature_at_start": at_start,
            "local_limit": 2 / float(curvature(0.0)), "limit_at_start": 2 / at_start}


def local_curvature_explorer(loss: str = "quartic: w²/2 + w⁴/4", lr: float = 1.0, w0: float = 0.5) -> Explorer:
    """Gradient descent on three one-parameter losses with the same curvature (1) at their minimum.

    Left: the loss and the first 30 iterates on it; right: |w| over 1,000 steps (log scale). The local rule says
    lr < 2 near the minimum; the readout compares it with what the run does and with 2 / L''(w0) at the start.
    The result is `descent_1d`'s dict.

    Parameters
    ----------
    loss : str
        A key of `CURVATURE_LOSSES`.
    lr : float
        Learning rate, in [0.05, 3].
    w0 : float
        Start, in [-3, 3].

    Returns
    -------
    Explorer

    Used in: notebooks/05-loss-and-gradient-descent.ipynb
    """
    grid = np.linspace(-3.5, 3.5, 301)
    num_steps, shown = 1000, 30

    def compute(loss: str, lr: float, w0: float) -> dict:
        return descent_1d(loss, lr, w0, num_steps)

    def setup(fig: Figure) -> dict:
        ax_loss, ax_size = fig.subplots(1, 2)
        (curve,) = ax_loss.plot([], [], color=COLORS["blue"], label="loss L(w)")
        (path,) = ax_loss.plot([], [], "o-", color=COLORS["vermillion"], ms=3, lw=0.8, label="first 30 iterates",
                               animated=True)
        ax_loss.set_xlim(grid[0], grid[-1])
        ax_loss.set_xlabel("w")
        ax_loss.set_ylabel("L(w)")
        ax_loss.legend(fontsize=8, loc="upper center")
        (sizes,) = ax_size.semilogy([], [], "-", color=COLORS["vermillion"], lw=1, label="|w| per step",
                                    animated=True)
        ax_size.axhline(_BLOWN_UP, color="gray", ls=":", lw=1, label="diverged above")
        ax_size.set_xlim(-10, num_steps + 10)
        ax_size.set_ylim(1e-12, 1e7)
        ax_size.set_xlabel("step")
        ax_size.set_ylabel("|w| (log scale)")
        ax_size.legend(fontsize=8, loc="lower left")
        return {"ax_loss": ax_loss, "curve": curve, "path": path, "sizes": sizes}

    drawn = {"loss": None}  # the loss whose curve is drawn

    def update(artists: dict, result: dict) -> bool:
        f = CURVATURE_LOSSES[result["loss"]][0]
        changed = drawn["loss"] != result["loss"]
        if changed:  # another loss: its curve and limits (static parts) change
            values = f(grid)
            artists["curve"].set_data(grid, values)
            artists["ax_loss"].set_ylim(-0.1 * values.max(), 1.1 * values.max())
            drawn["loss"] = result["loss"]
        ws = np.clip(result["w"][: shown + 1], grid[0] - 1, grid[-1] + 1)  # far-off iterates leave the picture
        artists["path"].set_data(ws, f(ws))
        sizes = np.clip(np.abs(result["w"]), 1e-13, 1e8)
        artists["sizes"].set_data(np.arange(len(sizes)), sizes)
        return changed

    def readout(result: dict) -> str:
        return (f"{result['loss']}, lr = {result['lr']:.2f}, w0 = {result['w0']:.2f}: {result['outcome']} "
                f"(last |w| {abs(result['w'][-1]):.3g} after {len(result['w']) - 1} steps). Curvature 1 at the "
                f"minimum: the local rule says lr < 2; curvature {result['curvature_at_start']:.3g} at w0 "
                f"(2 / L''(w0) = {result['limit_at_start']:.3g})")

    controls = {"loss": dropdown("loss", tuple(CURVATURE_LOSSES), loss),
                "lr": slider("lr", as_number(lr, "lr"), 0.05, 3.0, 0.05),
                "w0": slider("w0 (start)", as_number(w0, "w0"), -3.0, 3.0, 0.1)}
    return Explorer(controls, compute, setup, update, readout, figsize=(9.0, 3.6))


# ---------------------------------------------------------------- notebook 05b: stochastic gradient descent

SGD_START = (-1.0, 1.0)  # (w, b) where the runs of notebook 05b start
BATCH_SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def sgd_data(num_examples: int = 1000, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Notebook 05b's data: x uniform in [-1, 1], y = 2x - 1 plus Gaussian noise of std 0.5.

    Returns
    -------
    x, y : np.ndarray, shape (N,)

    Used in: notebooks/05b-stochastic-gradient-descent.ipynb
    """
    rng = np.random.default_rng(rng)
    x = rng.uniform(-1.0, 1.0, size=num_examples)
    return x, 2 * x - 1 + rng.normal(0.0, 0.5, size=num_examples)


def sgd_run(x, y, batch_size: int, lr: float, num_epochs: int, start=SGD_START, seed: int = 1) -> dict:
    """Mini-batch SGD on the mean squared error of the line y_hat = w x + b, with `bplab.optim.SGD`.

    Each epoch walks through `bplab.data.minibatches` (a new random order each epoch, as `bplab.optim.fit`
    does); each step uses the gradient of one batch's mean loss.

    Parameters
    ----------
    x, y : array_like, shape (N,)
    batch_size : int
    lr : float
    num_epochs : int
    start : (float, float)
        The first (w, b).
    seed : int
        Seeds the batch order.

    Returns
    -------
    dict
        ``"path"`` (steps + 1, 2) of (w, b); ``"loss"`` (steps + 1,), the full-data loss after each step;
        ``"steps_per_epoch"``; ``"loss_min"`` and ``"best"`` (least squares); ``"batch_size"``, ``"lr"``.

    Used in: notebooks/05b-stochastic-gradient-descent.ipynb
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    check_same_length(x, y, "x", "y")
    A = np.column_stack([x, np.ones_like(x)])  # rows (x_i, 1)
    theta = Parameter(np.array(start, dtype=np.float64))
    optimizer = SGD([theta], lr=lr)
    batch_rng = np.random.default_rng(seed)
    path = [theta.data.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(num_epochs):
            batches = minibatches(len(x), batch_size, batch_rng)
            for batch in batches:
                residual = A[batch] @ theta.data - y[batch]  # y_hat - y on the batch
                theta.grad = 2 * A[batch].T @ residual / len(batch)  # gradient of the batch's mean loss
                optimizer.step()
                path.append(theta.data.copy())
    path = np.array(path)
    losses = np.mean((path @ A.T - y) ** 2, axis=1)
    best = np.linalg.lstsq(A, y, rcond=None)[0]
    return {"path": path, "loss": losses, "steps_per_epoch": math.ceil(len(x) / batch_size),
            "loss_min": float(np.mean((A @ best - y) ** 2)), "best": best, "batch_size": batch_size, "lr": lr}


def _batch_gradients(A: np.ndarray, y: np.ndarray, theta: np.ndarray, batch_size: int, count: int,
                     rng: np.random.Generator) -> np.ndarray:
    """`count` batch gradients at `theta`, each from a batch drawn without replacement: shape (count, 2)."""
    per_example = 2 * (A @ theta - y)[:, None] * A  # (N, 2)
    gradients = []
    for _ in range(count):
        batch = rng.permutation(len(y))[:batch_size]
        gradients.append(per_example[batch].mean(axis=0))
    return np.array(gradients)


def sgd_explorer(x=None, y=None) -> Explorer:
    """Batch size, learning rate and epochs of mini-batch SGD on a line fit (notebook 05b's 1,000 points).

    Left: 200 batch gradients at the start (each a random batch), around the full gradient; middle: the path in
    the (w, b) plane; right: the loss above its minimum against epochs. Sliders act on release.
    The result is `sgd_run`'s dict plus ``"gradients"`` (the 200 batch gradients), ``"full_gradient"``,
    ``"noise"`` (their root-mean-square distance to the full gradient) and ``"noise_formula"``
    (sqrt(tr(C) / B * (N - B) / (N - 1)), C the covariance of the per-example gradients).

    Parameters
    ----------
    x, y : array_like, shape (N,), optional
        The data; by default `sgd_data()`.

    Returns
    -------
    Explorer

    Used in: notebooks/05b-stochastic-gradient-descent.ipynb
    """
    if x is None and y is None:
        x, y = sgd_data()
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    check_same_length(x, y, "x", "y")
    N = len(x)
    A = np.column_stack([x, np.ones_like(x)])
    theta0 = np.array(SGD_START)
    per_example = 2 * (A @ theta0 - y)[:, None] * A
    full = per_example.mean(axis=0)
    spread = np.trace(np.cov(per_example.T, bias=True))  # tr(C): the per-example gradients' total variance
    best = np.linalg.lstsq(A, y, rcond=None)[0]
    cloud_reach = 3.0 * math.sqrt(spread)  # the B = 1 cloud fits (three standard deviations)
    sizes = tuple(b for b in BATCH_SIZES if b <= N) or (N,)
    view = np.abs(theta0 - best).max() * 1.5 + 0.3
    grid_w, grid_b = np.meshgrid(np.linspace(best[0] - view, best[0] + view, 60),
                                 np.linspace(best[1] - view, best[1] + view, 60))
    surface = np.mean((grid_w[..., None] * x + grid_b[..., None] - y) ** 2, axis=-1)
    max_epochs = 5

    def compute(batch_size: int, lr: float, num_epochs: int) -> dict:
        result = sgd_run(x, y, batch_size, lr, num_epochs)
        gradients = _batch_gradients(A, y, theta0, batch_size, 200, np.random.default_rng(2))
        result.update(gradients=gradients, full_gradient=full,
                      noise=float(np.sqrt(np.mean(np.sum((gradients - full) ** 2, axis=1)))),
                      noise_formula=math.sqrt(spread / batch_size * (N - batch_size) / (N - 1)) if N > 1 else 0.0,
                      num_epochs=num_epochs)
        return result

    def setup(fig: Figure) -> dict:
        ax_cloud, ax_path, ax_loss = fig.subplots(1, 3)
        cloud = ax_cloud.scatter(np.zeros(0), np.zeros(0), s=6, color=COLORS["blue"], alpha=0.6,
                                 label="batch gradients", animated=True)
        ax_cloud.plot(*full, "*", color=COLORS["vermillion"], mec="black", ms=12, label="full gradient",
                      animated=True)  # animated: drawn over the cloud
        ax_cloud.set_xlim(full[0] - cloud_reach, full[0] + cloud_reach)
        ax_cloud.set_ylim(full[1] - cloud_reach, full[1] + cloud_reach)
        ax_cloud.set_title("at the start", fontsize=9)
        ax_cloud.set_xlabel("dL/dw")
        ax_cloud.set_ylabel("dL/db")
        ax_cloud.legend(fontsize=7, loc="upper left")
        ax_path.contour(grid_w, grid_b, np.log10(surface), levels=12, cmap="viridis", linewidths=0.7)
        (path,) = ax_path.plot([], [], "-", color=COLORS["vermillion"], lw=0.8, label="SGD path", animated=True)
        ax_path.plot(*best, "*", color="black", ms=10, label="minimum")
        ax_path.set_title("contours of the loss", fontsize=9)
        ax_path.set_xlim(grid_w.min(), grid_w.max())
        ax_path.set_ylim(grid_b.min(), grid_b.max())
        ax_path.set_xlabel("w")
        ax_path.set_ylabel("b")
        ax_path.legend(fontsize=7, loc="upper right")
        (loss,) = ax_loss.semilogy([], [], color=COLORS["blue"], lw=0.8, label="loss − minimum", animated=True)
        ax_loss.set_xlim(0, max_epochs)
        ax_loss.set_ylim(1e-7, 10)
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss − minimum (log)")
        ax_loss.legend(fontsize=7, loc="upper right")
        return {"cloud": cloud, "path": path, "loss": loss}

    def update(artists: dict, result: dict) -> None:
        artists["cloud"].set_offsets(result["gradients"])
        path = result["path"]
        artists["path"].set_data(path[:, 0], path[:, 1])
        excess = np.clip(result["loss"] - result["loss_min"], 1e-9, 1e3)
        epochs = np.arange(len(excess)) / result["steps_per_epoch"]
        keep = np.unique(np.linspace(0, len(excess) - 1, min(len(excess), 2000)).astype(int))  # at most 2,000
        artists["loss"].set_data(epochs[keep], excess[keep])

    def readout(result: dict) -> str:
        steps = len(result["loss"]) - 1
        per_epoch = result["steps_per_epoch"]
        last_epoch = result["loss"][-per_epoch:] - result["loss_min"]
        return (f"batch size {result['batch_size']}: {per_epoch} step{'s' * (per_epoch != 1)} per epoch, {steps} "
                f"step{'s' * (steps != 1)} in {result['num_epochs']} epoch{'s' * (result['num_epochs'] != 1)}. "
                f"Gradient noise at the start: {result['noise']:.3f} measured "
                f"(formula {result['noise_formula']:.3f}), full gradient length "
                f"{np.linalg.norm(result['full_gradient']):.3f}. Loss above its minimum over the last epoch: "
                f"mean {last_epoch.mean():.2e}, last {last_epoch[-1]:.2e}")

    controls = {
        "batch_size": dropdown("batch size", sizes, 10 if 10 in sizes else sizes[0]),
        "lr": slider("lr", 0.1, 0.01, 0.5, 0.01, continuous_update=False),
        "num_epochs": int_slider("epochs", 2, 1, max_epochs, continuous_update=False),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(10.0, 3.4))


# ---------------------------------------------------------------- notebook 05d: a network trained step by step

NETWORK_WIDTHS = (2, 4, 8)
NETWORK_LEARNING_RATES = (0.1, 0.3, 1.0, 3.0)


@functools.cache
def _standardized_moons() -> tuple[np.ndarray, np.ndarray]:
    X, y = moons()  # notebook 04's 200 points
    (X,) = standardize(X)
    return X, y


def network_training_run(num_hidden: int = 8, lr: float = 1.0, batch_size: int = 20, num_epochs: int = 10,
                         seed: int = 0, batch_seed: int = 1) -> dict:
    """Notebook 05d's run, with bplab's vectorized layers: a 2-h-h-1 tanh MLP on the standardized moons.

    The loss is the binary cross-entropy of the score s: mean log(1 + exp(-t s)), t = 2y - 1 (= -log sigmoid(t s)).
    Initial weights: ``MLP([2, h, h, 1], activation="tanh", init="he", rng=seed)``; batches:
    `bplab.data.minibatches` with one generator seeded `batch_seed` for the whole run; plain `SGD`.

    Returns
    -------
    dict
        ``"params"``: a list (steps + 1) of lists of arrays (W1, b1, W2, b2, W3, b3) after each step;
        ``"loss"`` (steps + 1,) on all 200 points; ``"accuracy"`` (steps + 1,); ``"steps_per_epoch"``;
        ``"X"``, ``"y"``; ``"diverged"`` (a non-finite loss stopped the run).

    Used in: notebooks/05d-your-engine-trains-a-network.ipynb
    """
    X, y = _standardized_moons()
    model = MLP([2, num_hidden, num_hidden, 1], activation="tanh", init="he", rng=seed)
    params = model.parameters()
    optimizer = SGD(params, lr=lr)
    batch_rng = np.random.default_rng(batch_seed)
    history = [[p.data.copy() for p in params]]
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(num_epochs):
            for batch in minibatches(len(X), batch_size, batch_rng):
                scores = model.forward(X[batch])[:, 0]
                model.backward(binary_cross_entropy_with_logits_grad(scores, y[batch])[:, None])
                optimizer.step()
                history.append([p.data.copy() for p in params])
                if not all(np.all(np.isfinite(p.data)) for p in params):
                    diverged = True
                    break
            if diverged:
                break
    losses, accuracies = [], []
    for state in history:
        scores = _network_scores(state, X)
        losses.append(binary_cross_entropy_with_logits(scores, y) if np.all(np.isfinite(scores)) else np.inf)
        accuracies.append(float(np.mean((scores > 0) == (y == 1))))
    return {"params": history, "loss": np.array(losses), "accuracy": np.array(accuracies), "X": X, "y": y,
            "steps_per_epoch": math.ceil(len(X) / batch_size), "diverged": diverged}


def _network_scores(state: list, points: np.ndarray) -> np.ndarray:
    """The scores of the 2-h-h-1 tanh MLP whose parameters are `state` (W1, b1, W2, b2, W3, b3)."""
    W1, b1, W2, b2, W3, b3 = state
    hidden = np.tanh(np.tanh(points @ W1 + b1) @ W2 + b2)
    return (hidden @ W3 + b3)[:, 0]


@functools.cache
def _cached_run(num_hidden: int, lr: float) -> dict:
    return network_training_run(num_hidden, lr)


def network_training_explorer(num_hidden: int = 8, lr: float = 1.0) -> Explorer:
    """Step through notebook 05d's training run (2-h-h-1 tanh MLP, moons, batches of 20) with a step slider.

    Left: the network's P(class 1) over the plane after that step, with the points (the two classes differ by
    marker and colour); right: the loss and the accuracy on all 200 points per step. Each (hidden units, lr) pair
    is trained once (`network_training_run`) and kept. The result holds ``"step"``, ``"epoch"``, ``"loss"``,
    ``"accuracy"``, ``"grid"`` (P(class 1) on the drawn grid) and ``"run"``.

    Parameters
    ----------
    num_hidden : int
        Units per hidden layer, one of `NETWORK_WIDTHS`.
    lr : float
        Learning rate, one of `NETWORK_LEARNING_RATES`.

    Returns
    -------
    Explorer

    Used in: notebooks/05d-your-engine-trains-a-network.ipynb
    """
    X, y = _standardized_moons()
    xx, yy, points = decision_grid(X, resolution=60, padding=0.4)
    extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
    last = 10 * math.ceil(len(X) / 20)  # the runs' length: 10 epochs of batches of 20

    def compute(num_hidden: int, lr: float, step: int) -> dict:
        run = _cached_run(num_hidden, lr)
        step = min(step, len(run["params"]) - 1)
        with np.errstate(over="ignore", invalid="ignore"):
            scores = _network_scores(run["params"][step], points)
            grid = 1 / (1 + np.exp(-np.clip(scores, -50, 50)))
        message = "Diverged: the weights overflowed; lower the learning rate." if run["diverged"] else ""
        return {"num_hidden": num_hidden, "lr": lr, "step": step, "epoch": step / run["steps_per_epoch"],
                "loss": float(run["loss"][step]), "accuracy": float(run["accuracy"][step]),
                "grid": grid.reshape(xx.shape), "run": run, "message": message}

    def setup(fig: Figure) -> dict:
        ax_plane, ax_curve = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.2]})
        image = ax_plane.imshow(np.zeros(xx.shape), origin="lower", extent=extent, aspect="auto", cmap="RdBu",
                                norm=BoundaryNorm(np.linspace(0, 1, 11), 256), alpha=0.6, animated=True)
        for k, (marker, color) in enumerate((("o", COLORS["vermillion"]), ("^", COLORS["blue"]))):
            ax_plane.scatter(X[y == k, 0], X[y == k, 1], s=14, marker=marker, color=color, edgecolors="k",
                             linewidths=0.4, label=f"class {k}", animated=True)
        ax_plane.set_title("P(class 1): red 0, white 0.5, blue 1", fontsize=9)
        ax_plane.set_xlim(extent[:2])
        ax_plane.set_ylim(extent[2:])
        ax_plane.set_xlabel("$x_1$ (standardized)")
        ax_plane.set_ylabel("$x_2$ (standardized)")
        ax_plane.legend(fontsize=7, loc="upper right")
        (loss,) = ax_curve.plot([], [], color=COLORS["blue"], label="loss")
        (accuracy,) = ax_curve.plot([], [], "--", color=COLORS["green"], label="accuracy")
        marker_line = ax_curve.axvline(0, color="black", lw=0.8, ls=":", animated=True)
        ax_curve.axhline(0.895, color="gray", lw=0.8, ls="-.", label="best single neuron (89.5%)")
        ax_curve.set_xlim(0, last)
        ax_curve.set_ylim(0, 1.05)
        ax_curve.set_xlabel("step")
        ax_curve.set_ylabel("loss, accuracy")
        ax_curve.legend(fontsize=7, loc="center right")
        return {"image": image, "loss": loss, "accuracy": accuracy, "marker": marker_line}

    shown = {"run": None}  # the (hidden units, lr) whose curves are drawn

    def update(artists: dict, result: dict) -> bool:
        artists["image"].set_data(result["grid"])
        artists["marker"].set_xdata([result["step"], result["step"]])
        key = (result["num_hidden"], result["lr"])
        if shown["run"] == key:
            return False
        run = result["run"]  # another run: its curves (static parts) change
        steps = np.arange(len(run["loss"]))
        artists["loss"].set_data(steps, np.clip(run["loss"], 0, 1.05))
        artists["accuracy"].set_data(steps, run["accuracy"])
        shown["run"] = key
        return True

    def readout(result: dict) -> str:
        return (f"{result['num_hidden']} units per hidden layer, lr {result['lr']:g}: after step {result['step']} "
                f"(epoch {result['epoch']:.1f}) the loss on all 200 points is {result['loss']:.4f} and "
                f"{result['accuracy']:.1%} of them are on the right side")

    controls = {
        "num_hidden": dropdown("hidden units", NETWORK_WIDTHS, num_hidden),
        "lr": dropdown("lr", NETWORK_LEARNING_RATES, lr),
        "step": int_slider("step", last, 0, last),
    }
    return Explorer(controls, compute, setup, update, readout, figsize=(9.0, 3.6))
