"""Plotting helpers for the notebooks: decision boundaries, training curves, confusion matrices,
galleries of misclassified images and per-layer histograms.

Each function draws into an Axes or Figure you pass (or makes a new one) and returns it; nothing
is shown at import time. Rows are examples: ``X`` has shape ``(N, D)``, labels ``y`` shape ``(N,)``.

No pyplot: a figure made here is a plain `matplotlib.figure.Figure` (laid out by the constrained layout engine) that a
notebook shows when it is the value of a cell; to draw into a figure of your own, pass its Axes (``ax=``) or ``fig=``.
Colours come from Okabe and Ito's palette (`COLORS`), which readers with any common colour-vision deficiency tell
apart, and lines differ in style and label as well (`line_styles`).

Used in: notebooks/06-backprop-by-hand-xor.ipynb, notebooks/08-mlp-on-real-data.ipynb,
notebooks/09-initialization-and-vanishing-gradients.ipynb
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from bplab._validate import as_array, as_count, as_labels, as_number

__all__ = [
    "COLORS",
    "CLASS_MARKERS",
    "class_colors",
    "line_styles",
    "decision_grid",
    "plot_decision_boundary",
    "plot_history",
    "confusion_matrix",
    "plot_confusion_matrix",
    "plot_misclassified",
    "plot_histograms",
]


# Okabe & Ito (2008), "Color Universal Design": eight colours told apart with any common colour-vision deficiency.
# Yellow is too light for lines or text on white (1.1:1): fills only.
COLORS = {
    "blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "orange": "#E69F00",
    "purple": "#CC79A7", "sky": "#56B4E9", "black": "#000000", "yellow": "#F0E442",
    "dark vermillion": "#A04000",  # for text: vermillion itself has 3.9:1 on white, this one 6.5:1 (WCAG AA: 4.5)
}
CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X")  # a class is told apart by its marker as well as its colour
_LINE_COLORS = ("blue", "vermillion", "green", "orange", "purple", "sky", "black")
_DASHES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 1)))


def class_colors(num_classes: int) -> ListedColormap:
    """One colour per class, 0 to ``num_classes - 1``, from `COLORS` (classes beyond 7 reuse them: tell them apart
    by `CLASS_MARKERS`). Used with ``vmin=-0.5, vmax=num_classes - 0.5``.

    Used in: notebooks/08-mlp-on-real-data.ipynb (through `plot_decision_boundary` and its explorer)
    """
    num_classes = as_count(num_classes, "num_classes")
    return ListedColormap([COLORS[_LINE_COLORS[k % len(_LINE_COLORS)]] for k in range(num_classes)])


def line_styles(ax: Axes) -> Axes:
    """Give the next lines drawn on `ax` a colour of `COLORS` and a dash pattern each, so lines differ by more than
    colour; returns `ax`.

    Used in: notebooks/09c-watching-training.ipynb (and by `plot_history` and the explorers)
    """
    from cycler import cycler

    ax.set_prop_cycle(cycler(color=[COLORS[name] for name in _LINE_COLORS]) + cycler(linestyle=_DASHES))
    return ax


class _CellFigure(Figure):
    """A Figure made without pyplot that a notebook shows as a PNG when it is the value of a cell."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def _new_figure(figsize: tuple[float, float], layout: str | None = "constrained") -> Figure:
    """A new figure, without pyplot (no global figure list), drawn by Agg and laid out by `layout`."""
    fig = _CellFigure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _tight(fig: Figure) -> None:
    """Lay out a figure someone else made, unless it has a layout engine of its own."""
    if fig.get_layout_engine() is None:
        fig.tight_layout()


def decision_grid(
    X, resolution: int = 100, padding: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An even grid of points covering 2-D data, to evaluate a classifier everywhere.

    Parameters
    ----------
    X : array_like, shape (N, 2)
        The data the grid must cover.
    resolution : int
        Grid points along each axis (at least 2).
    padding : float
        Margin added around the data on every side, >= 0.

    Returns
    -------
    xx, yy : np.ndarray, shape (resolution, resolution)
        Grid coordinates, as from ``np.meshgrid``.
    points : np.ndarray, shape (resolution * resolution, 2)
        The same grid as rows ``(x, y)``, ready for a model's forward pass.

    Used in: notebooks/06-backprop-by-hand-xor.ipynb, notebooks/08-mlp-on-real-data.ipynb
    """
    X = as_array(X, "X", ndim=2)
    if X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"X must have shape (N, 2) with N >= 1, got {X.shape}")
    resolution = as_count(resolution, "resolution", minimum=2)
    padding = as_number(padding, "padding", minimum=0.0)
    low, high = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X,
    y,
    ax: Axes | None = None,
    resolution: int = 100,
    padding: float = 0.5,
    title: str | None = None,
) -> Axes:
    """Colour the plane by a classifier's output and scatter the data on top.

    Parameters
    ----------
    predict : callable
        ``predict(points)`` with points of shape (K, 2) returns either class scores of shape
        (K, C) with C >= 2 (the plane is coloured by the arg-max class), or the probability of
        class 1, shape (K,) or (K, 1) (coloured by probability, with the 0.5 contour drawn).
    X : array_like, shape (N, 2)
        Data points.
    y : array_like, shape (N,)
        Integer class labels of the points.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted (shown when ``ax.figure`` is a cell's value).
    resolution, padding : see `decision_grid`.
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Used in: notebooks/06-backprop-by-hand-xor.ipynb, notebooks/08-mlp-on-real-data.ipynb
    """
    if not callable(predict):
        raise TypeError(f"predict must be a function of the points, shape (K, 2), got {type(predict).__name__}")
    X = as_array(X, "X", ndim=2)
    y = as_labels(y, "y", length=len(X))
    xx, yy, points = decision_grid(X, resolution, padding)
    values = np.asarray(predict(points), dtype=np.float64)
    if ax is None:
        ax = _new_figure((4.5, 4)).add_subplot()
    if values.ndim == 2 and values.shape[1] > 1:
        num_classes = max(values.shape[1], int(y.max()) + 1)
        cmap = class_colors(num_classes)
        regions = values.argmax(axis=1).reshape(xx.shape)
        ax.contourf(xx, yy, regions, levels=np.arange(num_classes + 1) - 0.5, cmap=cmap,
                    vmin=-0.5, vmax=num_classes - 0.5, alpha=0.3)
        for label in np.unique(y):  # each class its colour and its marker
            points = X[y == label]
            ax.scatter(points[:, 0], points[:, 1], color=cmap(int(label)), s=18, edgecolors="k", linewidths=0.4,
                       marker=CLASS_MARKERS[int(label) % len(CLASS_MARKERS)], label=f"class {label}")
    else:
        if values.size != len(points):
            raise ValueError(
                f"predict must return scores (K, C) or probabilities (K,) for K = {len(points)} points, "
                f"got shape {values.shape}"
            )
        prob = values.reshape(xx.shape)
        ax.contourf(xx, yy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
        ax.contour(xx, yy, prob, levels=[0.5], colors="k", linewidths=1.5)
        for label in (0, 1):  # class 0 red circles, class 1 blue squares (RdBu: blue = high probability)
            points = X[y == label]
            ax.scatter(points[:, 0], points[:, 1], color="#b2182b" if label == 0 else "#2166ac", s=40,
                       edgecolors="k", marker=CLASS_MARKERS[label], label=f"class {label}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_history(history: dict, fig: Figure | None = None, val_label: str = "validation") -> Figure:
    """Loss and accuracy per epoch, for the training set and the held-out set, side by side.

    Parameters
    ----------
    history : dict
        As returned by `bplab.optim.fit`: lists ``"loss"`` and, when present, ``"val_loss"``,
        ``"train_accuracy"``, ``"val_accuracy"`` (one entry per epoch).
    fig : matplotlib Figure, optional
        Where to draw; a new 9 x 3.4 in figure is made when omitted (shown when it is a cell's value).
    val_label : str
        Legend name of the held-out set (for example "test").

    Returns
    -------
    matplotlib Figure

    Used in: notebooks/08-mlp-on-real-data.ipynb, notebooks/10-noise-and-generalization.ipynb
    """
    if not isinstance(history, dict) or "loss" not in history:
        raise TypeError("history must be the dict returned by bplab.optim.fit (with a 'loss' list)")
    fig = fig if fig is not None else _new_figure((9, 3.4))
    has_accuracy = bool(history.get("train_accuracy"))
    axes = fig.subplots(1, 2 if has_accuracy else 1, squeeze=False)[0]
    panels = [("loss", "val_loss", "loss")]
    if has_accuracy:
        panels.append(("train_accuracy", "val_accuracy", "accuracy"))
    for ax, (train_key, val_key, name) in zip(axes, panels):
        epochs = np.arange(1, len(history[train_key]) + 1)
        line_styles(ax).plot(epochs, history[train_key], label="train")
        if history.get(val_key):
            ax.plot(np.arange(1, len(history[val_key]) + 1), history[val_key], label=val_label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(f"{name} per epoch")
        ax.legend()
    _tight(fig)
    return fig


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Count how often each true class is predicted as each class.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (N,)
        Integer labels.
    num_classes : int, optional
        C; by default one more than the largest label seen.

    Returns
    -------
    np.ndarray, shape (C, C), int64
        Entry ``[i, j]`` counts examples of true class ``i`` predicted as ``j``; the diagonal holds
        the correct predictions, and each row sums to the number of examples of that class.

    Used in: notebooks/08-mlp-on-real-data.ipynb
    """
    y_true = as_labels(y_true, "y_true")
    y_pred = as_labels(y_pred, "y_pred", length=len(y_true))
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    num_classes = as_count(num_classes, "num_classes")
    as_labels(y_true, "y_true", num_classes=num_classes)
    as_labels(y_pred, "y_pred", num_classes=num_classes)
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion_matrix(
    y_true, y_pred, num_classes: int | None = None, ax: Axes | None = None, title: str = "confusion matrix"
) -> Axes:
    """Draw `confusion_matrix(y_true, y_pred)` as a grid of counts (true class down, predicted across).

    Parameters
    ----------
    y_true, y_pred : array_like, shape (N,)
        Integer labels.
    num_classes : int, optional
        C, see `confusion_matrix`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted (shown when ``ax.figure`` is a cell's value).
    title : str

    Returns
    -------
    matplotlib Axes

    Used in: notebooks/08-mlp-on-real-data.ipynb
    """
    counts = confusion_matrix(y_true, y_pred, num_classes)
    if ax is None:
        ax = _new_figure((4.8, 4.2)).add_subplot()
    ax.imshow(counts, cmap="Blues")
    threshold = counts.max() / 2 if counts.size else 0
    for (i, j), count in np.ndenumerate(counts):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if count > threshold else "black")
    ticks = np.arange(len(counts))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    return ax


def plot_misclassified(
    X,
    y_true,
    y_pred,
    image_shape: tuple[int, int] = (8, 8),
    max_images: int = 16,
    fig: Figure | None = None,
) -> Figure:
    """A gallery of the examples the model got wrong, each titled "true → predicted".

    Parameters
    ----------
    X : array_like, shape (N, H * W)
        Flattened images, one per row.
    y_true, y_pred : array_like, shape (N,)
        Integer labels.
    image_shape : (int, int)
        (H, W) of one image.
    max_images : int
        Show at most this many (the first ones in the data's order).
    fig : matplotlib Figure, optional
        Where to draw; a new figure is made when omitted (shown when it is a cell's value).

    Returns
    -------
    matplotlib Figure

    Used in: notebooks/08-mlp-on-real-data.ipynb
    """
    X = as_array(X, "X", ndim=2)
    y_true = as_labels(y_true, "y_true", length=len(X))
    y_pred = as_labels(y_pred, "y_pred", length=len(X))
    height, width = (as_count(n, "image_shape") for n in image_shape)
    if X.shape[1] != height * width:
        raise ValueError(f"X must have rows of {height} * {width} = {height * width} pixels, got shape {X.shape}")
    max_images = as_count(max_images, "max_images")
    wrong = np.flatnonzero(y_true != y_pred)[:max_images]
    ncols = min(8, max(len(wrong), 1))
    nrows = max(1, -(-len(wrong) // ncols))
    fig = fig if fig is not None else _new_figure((1.1 * ncols + 0.4, 1.3 * nrows + 0.7))
    if len(wrong) == 0:
        fig.text(0.5, 0.5, "No misclassified examples", ha="center", va="center")
        return fig
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), wrong):
        ax.imshow(X[i].reshape(height, width), cmap="gray_r")
        ax.set_title(f"{y_true[i]} → {y_pred[i]}", fontsize=9)
    fig.suptitle(f"misclassified (true → predicted): showing {len(wrong)} of {int(np.sum(y_true != y_pred))}")
    _tight(fig)
    return fig


def plot_histograms(
    arrays: Sequence,
    labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    bins: int = 30,
    value_range: tuple[float, float] | None = None,
    ylabel: str = "value",
) -> Axes:
    """One histogram per array, side by side on a shared value axis (e.g. the activations of each layer).

    Each histogram is drawn sideways at its own position along x, scaled to the same width, so the
    spread of values can be compared from layer to layer at a glance.

    Parameters
    ----------
    arrays : sequence of array_like
        Each is flattened; one histogram per array.
    labels : sequence of str, optional
        A name per array (default "1", "2", ...); the tick label adds the array's std as "σ=...".
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted (shown when ``ax.figure`` is a cell's value).
    bins : int
        Bins per histogram.
    value_range : (float, float), optional
        Range of values binned, common to all (default: from the smallest to the largest value of
        all arrays). Values outside it are left out.
    ylabel : str
        Label of the value axis.

    Returns
    -------
    matplotlib Axes

    Used in: notebooks/09-initialization-and-vanishing-gradients.ipynb
    """
    arrays = [as_array(a, f"arrays[{i}]").ravel() for i, a in enumerate(arrays)]
    if not arrays:
        raise ValueError("arrays must hold at least one array")
    labels = list(labels) if labels is not None else [str(i + 1) for i in range(len(arrays))]
    if len(labels) != len(arrays):
        raise ValueError(f"labels must have one entry per array ({len(arrays)}), got {len(labels)}")
    bins = as_count(bins, "bins")
    if value_range is None:
        values = np.concatenate(arrays)
        low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
        value_range = (low, high) if high > low else (low - 0.5, high + 0.5)
    if ax is None:
        ax = _new_figure((min(10.0, 0.8 * len(arrays) + 1.5), 3.0)).add_subplot()
    for position, values in enumerate(arrays):
        counts, edges = np.histogram(values, bins=bins, range=value_range)
        width = 0.85 * counts / max(counts.max(), 1)  # every histogram 0.85 wide at its tallest bin
        ax.stairs(position + width, edges, baseline=position, fill=True, orientation="horizontal",
                  color=COLORS["blue"], alpha=0.8)
    ax.set_xticks(np.arange(len(arrays)) + 0.4)
    ax.set_xticklabels([f"{label}\nσ={values.std():.1g}" for label, values in zip(labels, arrays)],
                       fontsize=8)
    ax.set_xlim(-0.2, len(arrays))
    ax.set_ylim(*value_range)
    ax.set_ylabel(ylabel)
    return ax
