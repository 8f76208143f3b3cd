"""Widgets and pictures for the calculus part of the course (notebooks 00-02).

Each builder returns an `Explorer`; its compute step is a plain function of the
slider values that returns numbers (tested in tests/test_widgets_calculus.py).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.transforms import offset_copy

from bplab._validate import as_array, as_number
from bplab.engine import Value
from bplab.functions import sigmoid, sigmoid_derivative
from bplab.graph import trace
from bplab.plots import COLORS, _new_figure
from bplab.widgets._core import Explorer, dropdown, slider

__all__ = [
    "curve_explorer",
    "one_neuron_step",
    "draw_backprop_picture",
    "finite_difference_errors",
    "finite_difference_explorer",
    "CHAINS",
    "chain_rule",
    "chain_rule_explorer",
    "gradient_explorer",
    "graph_explorer",
]


# --- 00: a first slider -------------------------------------------------------------------------


def curve_explorer(x: float = 1.0) -> Explorer:
    """A slider that moves a point along the parabola f(x) = x**2 and shows f(x).

    Parameters
    ----------
    x : float
        Starting position of the point, in [-2, 2].

    Returns
    -------
    Explorer
        ``result`` holds ``"x"`` and ``"y"`` (= x**2).

    Used in: notebooks/00-start-here.ipynb
    """
    x = as_number(x, "x")
    grid = np.linspace(-2.0, 2.0, 201)

    def compute(x: float) -> dict:
        return {"x": x, "y": x**2}

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        ax.plot(grid, grid**2, color=COLORS["blue"], label="f(x) = x²")
        (point,) = ax.plot([], [], "o", color=COLORS["vermillion"], markersize=9, label="the point (x, f(x))",
                           animated=True)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.legend(loc="upper center")
        return {"point": point}

    def update(artists: dict, result: dict) -> None:
        artists["point"].set_data([result["x"]], [result["y"]])

    def readout(result: dict) -> str:
        return f"f({result['x']:.2f}) = {result['y']:.4f}"

    return Explorer({"x": slider("x", x, -2.0, 2.0, 0.05)}, compute, setup, update, readout)


# --- 00: backpropagation in one picture ---------------------------------------------------------


def one_neuron_step(x: float = 2.0, y: float = 1.0, w: float = 0.8, b: float = 0.2, lr: float = 0.05) -> dict:
    """One training step of the tiniest neuron, y_hat = w * x + b, with loss (y_hat - y)**2.

    Parameters
    ----------
    x, y : float
        One input and its target.
    w, b : float
        The weight and bias before the step.
    lr : float
        Learning rate (positive).

    Returns
    -------
    dict
        Forward: ``"y_hat"``, ``"loss"``. Backward: ``"dy_hat"`` (dL/dy_hat), ``"dw"``, ``"db"``.
        Update: ``"w_new"``, ``"b_new"``, ``"y_hat_new"``, ``"loss_new"``; plus the inputs.

    Used in: notebooks/00-start-here.ipynb
    """
    x, y, w, b = (as_number(v, name) for v, name in ((x, "x"), (y, "y"), (w, "w"), (b, "b")))
    lr = as_number(lr, "lr", positive=True)
    y_hat = w * x + b  # 1. forward pass
    loss = (y_hat - y) ** 2  # 2. error
    dy_hat = 2 * (y_hat - y)  # 3. backward pass: dL/dy_hat, then the chain rule
    dw, db = dy_hat * x, dy_hat * 1.0
    w_new, b_new = w - lr * dw, b - lr * db  # 4. update: a small step downhill
    y_hat_new = w_new * x + b_new
    return {"x": x, "y": y, "w": w, "b": b, "lr": lr, "y_hat": y_hat, "loss": loss,
            "dy_hat": dy_hat, "dw": dw, "db": db, "w_new": w_new, "b_new": b_new,
            "y_hat_new": y_hat_new, "loss_new": (y_hat_new - y) ** 2}


def _neuron_diagram(ax, inputs: list[str], node: str, output: str, backward: bool) -> None:
    """Three inputs on the left, one node, one output; arrows forward (black) or backward (vermillion)."""
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    color = COLORS["dark vermillion"] if backward else "black"  # text too: the darker vermillion
    node_xy, out_xy = (0.6, 0.5), (0.92, 0.5)
    for text, y in zip(inputs, (0.82, 0.5, 0.18)):
        if not text:
            continue
        ax.text(0.0, y, text, ha="left", va="center", fontsize=9, color=color)
        near_input, near_node = (0.3, y), (0.48, 0.5 + (y - 0.5) * 0.25)
        start, end = (near_node, near_input) if backward else (near_input, near_node)
        ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": color})
    ax.text(*node_xy, node, ha="center", va="center", fontsize=9,
            bbox={"boxstyle": "circle,pad=0.3", "facecolor": "#e8f0fe", "edgecolor": "#3c5a99"})
    start, end = ((0.84, 0.5), (0.72, 0.5)) if backward else ((0.72, 0.5), (0.84, 0.5))
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": color})
    ax.text(out_xy[0], 0.62, output, ha="center", va="bottom", fontsize=9, color=color)


def draw_backprop_picture(step: dict, figsize: tuple[float, float] = (10.0, 3.0)) -> Figure:
    """The four moves of backpropagation on one neuron, with the numbers of `one_neuron_step`.

    Panels: 1. forward pass, 2. error, 3. backward pass, 4. update.

    Parameters
    ----------
    step : dict
        The result of `one_neuron_step`.
    figsize : (float, float)
        Figure size in inches.

    Returns
    -------
    Figure

    Used in: notebooks/00-start-here.ipynb
    """
    needed = {"x", "y", "w", "b", "y_hat", "loss", "dy_hat", "dw", "db", "w_new", "b_new", "loss_new"}
    if not isinstance(step, dict) or not needed <= set(step):
        raise ValueError("step must be the dict returned by one_neuron_step(...)")
    fig = _new_figure(figsize)  # no pyplot: shown once, as the value of a notebook cell
    ax1, ax2, ax3, ax4 = fig.subplots(1, 4)

    _neuron_diagram(ax1, [f"x = {step['x']:g}", f"w = {step['w']:g}", f"b = {step['b']:g}"],
                    "w·x + b", f"ŷ = {step['y_hat']:.2f}", backward=False)
    ax1.set_title("1. Forward pass")

    y = step["y"]
    grid = np.linspace(y - 1.5, y + 1.5, 101)
    ax2.plot(grid, (grid - y) ** 2, color=COLORS["blue"])
    ax2.axvline(y, color=COLORS["green"], ls="--", label=f"target y = {y:g}")
    ax2.plot(step["y_hat"], step["loss"], "o", color=COLORS["vermillion"], label=f"ŷ: L = {step['loss']:.2f}")
    ax2.set_title("2. Error  L = (ŷ − y)²")
    ax2.set_xlabel("prediction ŷ")
    ax2.set_ylabel("loss L")
    ax2.legend(fontsize=8, loc="upper center")

    _neuron_diagram(ax3, ["", f"dL/dw\n= {step['dw']:.2f}", f"dL/db\n= {step['db']:.2f}"],
                    "w·x + b", f"dL/dŷ = {step['dy_hat']:.2f}", backward=True)
    ax3.set_title("3. Backward pass")

    ax4.bar(["before", "after"], [step["loss"], step["loss_new"]], color=[COLORS["vermillion"], COLORS["green"]])
    ax4.set_title("4. Update")
    ax4.set_ylabel("loss L")
    ax4.text(0.5, 0.97, f"w ← w − lr·dL/dw, lr = {step['lr']:g}\n"
             f"w: {step['w']:.2f} → {step['w_new']:.2f}\nb: {step['b']:.2f} → {step['b_new']:.2f}",
             transform=ax4.transAxes, ha="center", va="top", fontsize=8)
    ax4.set_ylim(0, 1.6 * max(step["loss"], step["loss_new"], 1e-12))
    return fig


# --- 01: numerical derivatives ------------------------------------------------------------------


def finite_difference_errors(f: Callable, df: Callable, x: float, hs) -> dict:
    """Errors of the forward and central difference estimates of f'(x), for each step h.

    Forward: (f(x + h) - f(x)) / h. Central: (f(x + h) - f(x - h)) / (2h).

    Parameters
    ----------
    f, df : callable
        A function of a float and its exact derivative (NumPy functions work on arrays).
    x : float
        Where to differentiate.
    hs : array_like, shape (K,)
        Positive step sizes.

    Returns
    -------
    dict
        ``"h"`` (K,), ``"forward"`` (K,) and ``"central"`` (K,) absolute errors, and
        ``"best_h_forward"``, ``"best_h_central"``: the steps with the smallest error.

    Used in: notebooks/01-derivatives-and-the-chain-rule.ipynb
    """
    x = as_number(x, "x")
    hs = as_array(hs, "hs", ndim=1, dtype=np.float64)
    if hs.size == 0 or np.any(hs <= 0):
        raise ValueError(f"hs must hold positive step sizes, got {hs}")
    exact = float(df(x))
    forward = np.abs(np.array([(f(x + h) - f(x)) / h for h in hs], dtype=np.float64) - exact)
    central = np.abs(np.array([(f(x + h) - f(x - h)) / (2 * h) for h in hs], dtype=np.float64) - exact)
    return {"h": hs, "forward": forward, "central": central, "exact": exact,
            "best_h_forward": float(hs[np.argmin(forward)]), "best_h_central": float(hs[np.argmin(central)])}


def finite_difference_explorer(f: Callable = np.sin, df: Callable = np.cos, x: float = 1.0,
                               name: str = "sin") -> Explorer:
    """A slider for log10(h) over the error curves of forward and central differences.

    Large h: truncation error (the secant is not the tangent). Tiny h: round-off error
    (f(x + h) - f(x) loses its digits). Central differences win in between.

    Parameters
    ----------
    f, df : callable
        A function and its exact derivative.
    x : float
        Where to differentiate.
    name : str
        The name of f, for the title.

    Returns
    -------
    Explorer
        ``result``: ``"h"``, ``"forward_estimate"``, ``"central_estimate"``, ``"exact"``,
        ``"forward_error"``, ``"central_error"`` at the slider's h, plus the whole curves
        (``"curve"``, see `finite_difference_errors`).

    Used in: notebooks/01-derivatives-and-the-chain-rule.ipynb
    """
    x = as_number(x, "x")
    curve = finite_difference_errors(f, df, x, 10.0 ** np.arange(-16.0, 0.01, 0.25))
    exact = curve["exact"]

    def compute(log10_h: float) -> dict:
        h = 10.0**log10_h
        forward = float((f(x + h) - f(x)) / h)
        central = float((f(x + h) - f(x - h)) / (2 * h))
        return {"h": h, "exact": exact, "forward_estimate": forward, "central_estimate": central,
                "forward_error": abs(forward - exact), "central_error": abs(central - exact), "curve": curve}

    tiny = 1e-17  # an error of exactly 0 cannot sit on a log axis

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        ax.loglog(curve["h"], np.maximum(curve["forward"], tiny), "o-", ms=3, color=COLORS["blue"],
                  label="forward difference")
        ax.loglog(curve["h"], np.maximum(curve["central"], tiny), "s--", ms=3, color=COLORS["vermillion"],
                  label="central difference")
        line = ax.axvline(curve["h"][0], color="gray", ls="--", label="h (the slider)", animated=True)
        (forward,) = ax.plot([], [], "o", color=COLORS["blue"], ms=9, animated=True)
        (central,) = ax.plot([], [], "s", color=COLORS["vermillion"], ms=9, animated=True)
        ax.set_xlim(curve["h"][0] / 2, curve["h"][-1] * 2)
        ax.set_ylim(1e-17, 10)
        ax.set_title(f"Error of the estimates of d/dx {name}(x) at x = {x:g}", fontsize=10)
        ax.set_xlabel("step h (log scale)")
        ax.set_ylabel("|estimate − exact| (log scale)")
        ax.legend(fontsize=8, loc="lower left")
        return {"h": line, "forward": forward, "central": central}

    def update(artists: dict, result: dict) -> None:
        h = result["h"]
        artists["h"].set_xdata([h, h])
        artists["forward"].set_data([h], [max(result["forward_error"], tiny)])
        artists["central"].set_data([h], [max(result["central_error"], tiny)])

    def readout(result: dict) -> str:
        return (f"h = {result['h']:.1e}: forward estimate {result['forward_estimate']:.12f} "
                f"(error {result['forward_error']:.1e}), central estimate {result['central_estimate']:.12f} "
                f"(error {result['central_error']:.1e}); exact {result['exact']:.12f}")

    controls = {"log10_h": slider("log10(h)", -5.0, -16.0, 0.0, 0.25)}
    return Explorer(controls, compute, setup, update, readout, figsize=(7.0, 3.8))


# --- 01: the chain rule -------------------------------------------------------------------------


# Each chain: a list of steps, innermost first: (name of the step, function, derivative, derivative as text).
CHAINS: dict[str, list[tuple[str, Callable, Callable, str]]] = {
    "sin(x²)": [
        ("u = x²", lambda x: x * x, lambda x: 2 * x, "2x"),
        ("f = sin(u)", math.sin, math.cos, "cos(u)"),
    ],
    "exp(sin(x²))": [
        ("u = x²", lambda x: x * x, lambda x: 2 * x, "2x"),
        ("v = sin(u)", math.sin, math.cos, "cos(u)"),
        ("f = exp(v)", math.exp, math.exp, "exp(v)"),
    ],
    "σ(3x − 1)": [
        ("u = 3x − 1", lambda x: 3 * x - 1, lambda x: 3.0, "3"),
        ("f = σ(u)", lambda u: float(sigmoid(u)), lambda u: float(sigmoid_derivative(u)), "σ(u)(1 − σ(u))"),
    ],
    "tanh(tanh(tanh(x)))": [
        ("u = tanh(x)", math.tanh, lambda x: 1 - math.tanh(x) ** 2, "1 − tanh²(x)"),
        ("v = tanh(u)", math.tanh, lambda u: 1 - math.tanh(u) ** 2, "1 − tanh²(u)"),
        ("f = tanh(v)", math.tanh, lambda v: 1 - math.tanh(v) ** 2, "1 − tanh²(v)"),
    ],
}


def chain_rule(x: float, chain: str = "sin(x²)") -> dict:
    """The chain rule on a nested function: every intermediate value and every local factor.

    Parameters
    ----------
    x : float
        Where to differentiate.
    chain : str
        A key of `CHAINS`, e.g. ``"exp(sin(x²))"``.

    Returns
    -------
    dict
        ``"values"``: [x, u, ..., f] (the forward pass), ``"factors"``: the local derivative of
        each step at its input, ``"product"``: their product (= df/dx by the chain rule),
        ``"numerical"``: the central difference of f at x (h = 1e-5), ``"steps"``: the step names.

    Used in: notebooks/01-derivatives-and-the-chain-rule.ipynb
    """
    x = as_number(x, "x")
    if chain not in CHAINS:
        raise ValueError(f"chain must be one of {list(CHAINS)}, got {chain!r}")
    steps = CHAINS[chain]

    def f(t: float) -> float:
        for _, func, _, _ in steps:
            t = func(t)
        return t

    values, factors = [x], []
    for _, func, deriv, _ in steps:
        factors.append(float(deriv(values[-1])))  # local derivative at this step's input
        values.append(float(func(values[-1])))
    h = 1e-5
    return {"chain": chain, "steps": [s[0] for s in steps], "formulas": [s[3] for s in steps],
            "values": values, "factors": factors, "product": math.prod(factors),
            "numerical": (f(x + h) - f(x - h)) / (2 * h)}


def chain_rule_explorer(x: float = 0.5, chain: str = "sin(x²)") -> Explorer:
    """Move x and watch each factor of the chain rule, their product and the slope of f.

    Parameters
    ----------
    x : float
        Starting point, in [-2, 2].
    chain : str
        Starting function, a key of `CHAINS`.

    Returns
    -------
    Explorer
        ``result``: as `chain_rule`.

    Used in: notebooks/01-derivatives-and-the-chain-rule.ipynb
    """
    x = as_number(x, "x")
    grid = np.linspace(-2.0, 2.0, 201)
    # f on the grid for every chain, computed once: a move only slides the point and the tangent
    curves = {name: np.array([chain_rule(t, name)["values"][-1] for t in grid]) for name in CHAINS}
    low = min(float(c.min()) for c in curves.values())
    high = max(float(c.max()) for c in curves.values())
    margin = 0.08 * (high - low)

    def compute(x: float, chain: str) -> dict:
        return chain_rule(x, chain)

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        (curve,) = ax.plot([], [], color=COLORS["blue"], label="f(x)", animated=True)
        (tangent,) = ax.plot([], [], "--", color=COLORS["vermillion"], label="tangent: slope df/dx", animated=True)
        (point,) = ax.plot([], [], "o", color=COLORS["vermillion"], animated=True)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(low - margin, high + margin)  # fits every chain: the axes never move
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
        return {"curve": curve, "tangent": tangent, "point": point}

    def update(artists: dict, result: dict) -> None:
        x0, f0, slope = result["values"][0], result["values"][-1], result["product"]
        artists["curve"].set_data(grid, curves[result["chain"]])
        near = np.array([x0 - 0.5, x0 + 0.5])
        artists["tangent"].set_data(near, f0 + slope * (near - x0))
        artists["point"].set_data([x0], [f0])

    def readout(result: dict) -> str:
        names = ["x", *[s.split(" = ")[0] for s in result["steps"]]]
        lines = [f"f(x) = {result['chain']}", f"x = {result['values'][0]:.3f}"]
        for i, (step, formula, factor) in enumerate(zip(result["steps"], result["formulas"], result["factors"])):
            derivative = f"d{names[i + 1]}/d{names[i]} = {formula} = {factor:.3f}"
            lines.append(f"{step} = {result['values'][i + 1]:.3f}   {derivative}")
        product = " × ".join(f"({factor:.3f})" for factor in result["factors"])
        lines += [f"df/dx = {product} = {result['product']:.6f}",
                  f"numerical (h = 1e-5): {result['numerical']:.6f}"]
        return f"<pre style='margin: 0; line-height: 1.3'>{html.escape(chr(10).join(lines))}</pre>"

    controls = {"x": slider("x", x, -2.0, 2.0, 0.05), "chain": dropdown("f(x) =", list(CHAINS), chain)}
    return Explorer(controls, compute, setup, update, readout, figsize=(6.5, 3.4))


# --- 01: partial derivatives --------------------------------------------------------------------


def gradient_explorer(x: float = 1.0, y: float = 0.5) -> Explorer:
    """Sliders for a point (x, y) on the contour map of f(x, y) = x²·y + sin(y), with its gradient arrow.

    Parameters
    ----------
    x, y : float
        Starting point, each in [-2, 2].

    Returns
    -------
    Explorer
        ``result``: ``"f"``, ``"grad"`` (analytic [df/dx, df/dy]), ``"numerical"`` (central differences).

    Used in: notebooks/01-derivatives-and-the-chain-rule.ipynb
    """
    x, y = as_number(x, "x"), as_number(y, "y")

    def f(x, y):
        return x**2 * y + np.sin(y)

    grid = np.linspace(-2.0, 2.0, 81)
    X, Y = np.meshgrid(grid, grid)
    Z = f(X, Y)

    def compute(x: float, y: float) -> dict:
        h = 1e-5
        grad = np.array([2 * x * y, x**2 + math.cos(y)])  # [df/dx holding y fixed, df/dy holding x fixed]
        numerical = np.array([(f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h)])
        return {"x": x, "y": y, "f": float(f(x, y)), "grad": grad, "numerical": numerical}

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        contours = ax.contour(X, Y, Z, levels=15, cmap="viridis", linewidths=0.8)  # drawn once
        fig.colorbar(contours, ax=ax, label="f(x, y)")
        arrow = FancyArrowPatch((0, 0), (0, 0), arrowstyle="-|>", color=COLORS["vermillion"], lw=2, mutation_scale=15,
                                animated=True)
        ax.add_patch(arrow)  # clipped to the axes
        (point,) = ax.plot([], [], "o", color=COLORS["vermillion"], animated=True)
        ax.set_xlim(-2, 2)
        ax.set_ylim(-2, 2)
        ax.set_aspect("equal")
        ax.set_title("f(x, y) = x²·y + sin(y); arrow: 0.25·∇f (uphill)", fontsize=10)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        return {"arrow": arrow, "point": point}

    def update(artists: dict, result: dict) -> None:
        x, y = result["x"], result["y"]
        gx, gy = result["grad"]
        artists["arrow"].set_positions((x, y), (x + 0.25 * gx, y + 0.25 * gy))
        artists["point"].set_data([x], [y])

    def readout(result: dict) -> str:
        (gx, gy), (nx, ny) = result["grad"], result["numerical"]
        return (f"f({result['x']:.2f}, {result['y']:.2f}) = {result['f']:.4f}; "
                f"∇f = [df/dx, df/dy] = [{gx:.4f}, {gy:.4f}] (central differences: [{nx:.4f}, {ny:.4f}])")

    controls = {"x": slider("x", x, -2.0, 2.0, 0.05), "y": slider("y", y, -2.0, 2.0, 0.05)}
    return Explorer(controls, compute, setup, update, readout, figsize=(6.0, 4.2))


# --- 02: computational graphs -------------------------------------------------------------------


def _draw_graph_once(ax, root: Value, widest: float) -> dict:
    """Draw the graph that ends in `root` once, without its numbers; return a text artist per value node.

    Every box is sized for numbers as wide as `widest` (the graph's data and grads are overwritten with it
    before drawing), so the boxes never change as the numbers do. In each box, the label (top, centred) and the
    words "data" and "grad" (left) are static; the node's two numbers are one animated text, right-aligned at the
    box's right end beside them (redrawn on every move), written by `_show_graph_numbers`. The three texts
    never overlap: each number keeps the place it had in the line "data -88.888".
    """
    from bplab.graph import draw as draw_graph

    for node in root.topological_order():
        node.data = node.grad = widest
    draw_graph(root, ax=ax)
    nodes, _ = trace(root)
    renderer, points = ax.figure.canvas.get_renderer(), 72 / ax.figure.dpi
    numbers = {}
    for text in list(ax.texts):
        key = (text.get_gid() or "").removeprefix("text:")
        if not any(node["id"] == key and node["kind"] == "value" for node in nodes):
            continue
        lines = text.get_text().split("\n")  # ["label", "data -88.888", "grad -88.888"] or without the label
        block = text.get_window_extent(renderer)
        style = {"family": text.get_family(), "fontsize": text.get_fontsize(), "zorder": text.get_zorder()}
        probe = ax.text(0, 0, lines[-1], **style)
        line_width = probe.get_window_extent(renderer).width
        probe.remove()

        def at(dx: float, dy: float):  # the text's centre, moved by (dx, dy) pixels
            return offset_copy(ax.transData, fig=ax.figure, x=dx * points, y=dy * points, units="points")

        left, right, top, bottom = -line_width / 2, line_width / 2, block.height / 2, -block.height / 2
        label = "\n".join(lines[:-2])
        text.set_text(label)
        text.set_transform(at(0, top))
        text.set_verticalalignment("top")
        if not label:
            text.set_visible(False)
        ax.text(*text.get_position(), "data\ngrad", transform=at(left, bottom), ha="left", va="bottom",
                multialignment="left", **style)
        numbers[key] = ax.text(*text.get_position(), "", transform=at(right, bottom), ha="right", va="bottom",
                               multialignment="right", animated=True, **style)
    return numbers


def _show_graph_numbers(texts: dict, root: Value) -> None:
    """Write the data and grad of each node of `root`'s graph into the texts of `_draw_graph_once`.

    A graph of the same expression has the same node ids, whatever its numbers.
    """
    nodes, _ = trace(root)
    for node in nodes:
        if node["kind"] == "value":
            data, grad = node["text"].split(" | ")[-2:]  # "data 2.000", "grad -3.000", as trace writes them
            texts[node["id"]].set_text(f"{data.removeprefix('data ')}\n{grad.removeprefix('grad ')}")


def graph_explorer(a: float = 2.0, b: float = -3.0, c: float = 10.0, f: float = -2.0) -> Explorer:
    """Sliders for the inputs of L = (a·b + c)·f; the graph is redrawn with every data and grad.

    Parameters
    ----------
    a, b, c, f : float
        Starting inputs, each in [-5, 5] (c in [-10, 10]).

    Returns
    -------
    Explorer
        ``result``: ``"values"`` and ``"grads"`` (dicts by label: a, b, c, f, e, d, L) and
        ``"output"`` (the Value L after ``backward()``).

    Used in: notebooks/02-computational-graphs.ipynb
    """
    start = {name: as_number(v, name) for name, v in (("a", a), ("b", b), ("c", c), ("f", f))}

    def compute(a: float, b: float, c: float, f: float) -> dict:
        a, b, c, f = Value(a, label="a"), Value(b, label="b"), Value(c, label="c"), Value(f, label="f")
        e = a * b
        e.label = "e"
        d = e + c
        d.label = "d"
        L = d * f
        L.label = "L"
        L.backward()
        nodes = (a, b, c, f, e, d, L)
        return {"values": {n.label: n.data for n in nodes}, "grads": {n.label: n.grad for n in nodes}, "output": L}

    def setup(fig: Figure) -> dict:
        ax = fig.add_subplot()
        # |L| <= 175 on the sliders' ranges: boxes sized for "-888.888" fit every number they will show
        texts = _draw_graph_once(ax, compute(**start)["output"], widest=-888.888)
        ax.set_title("L = (a·b + c)·f: every node's data and grad (dL/dnode)", fontsize=10)
        return {"texts": texts}

    def update(artists: dict, result: dict) -> None:
        _show_graph_numbers(artists["texts"], result["output"])

    def readout(result: dict) -> str:
        grads = result["grads"]
        return (f"L = (a·b + c)·f = {result['values']['L']:.3f};  dL/da = {grads['a']:.3f}, "
                f"dL/db = {grads['b']:.3f}, dL/dc = {grads['c']:.3f}, dL/df = {grads['f']:.3f}")

    controls = {
        "a": slider("a", start["a"], -5.0, 5.0, 0.5),
        "b": slider("b", start["b"], -5.0, 5.0, 0.5),
        "c": slider("c", start["c"], -10.0, 10.0, 0.5),
        "f": slider("f", start["f"], -5.0, 5.0, 0.5),
    }
    description = ("The computational graph of L = (a·b + c)·f, inputs on the left: a box for each value with its "
                   "data and its grad dL/dnode, a circle for each operation, arrows from inputs to outputs")
    return Explorer(controls, compute, setup, update, readout, figsize=(9.0, 3.6), description=description)
