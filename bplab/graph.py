"""Draw the computational graph behind a `Value`, with matplotlib alone (no Graphviz).

Value nodes are rounded boxes (label, data, grad); each operation is a small circle between
its inputs and its output; arrows point from inputs to outputs, left to right.

Used in: notebooks/02-computational-graphs.ipynb
"""

from __future__ import annotations

from collections import defaultdict

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from bplab.engine import Value
from bplab.plots import _new_figure

MAX_FIGSIZE, MAX_FONTSIZE = (10.0, 6.0), 10.0  # inches (a laptop screen), points
MAX_NODES = 400  # beyond this a drawing is unreadable (and slow)
# Sizes below are in multiples of the font size, so the whole drawing scales with it.
CHAR_WIDTH, LINE_HEIGHT = 0.61, 1.25  # monospace glyphs
COLUMN_GAP, ROW_GAP, MARGIN = 2.2, 0.8, 0.6


def trace(value: Value) -> tuple[list[dict], list[tuple[str, str]]]:
    """The graph that ends in `value`, as plain data.

    Returns
    -------
    nodes : list of dict
        In topological order (inputs first). Value nodes: ``{"id": "v3", "kind": "value",
        "text": "a | data 2.000 | grad -3.000", "value": <the Value>}``; the operation that made
        ``"v3"``: ``{"id": "op3", "kind": "op", "text": "*"}``. A value used twice appears once.
    edges : list of (str, str)
        ``(from_id, to_id)``, once each: every input to its operation, every operation to its output.

    Used in: notebooks/02-computational-graphs.ipynb
    """
    if not isinstance(value, Value):
        raise TypeError(f"value must be a bplab Value (from bplab import Value), got {type(value).__name__}")
    order = value.topological_order()
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    nodes, edges = [], []
    for i, node in enumerate(order):
        if node._prev:
            nodes.append({"id": f"op{i}", "kind": "op", "text": node._op})
            edges.extend(dict.fromkeys((ids[parent], f"op{i}") for parent in node._prev))  # x*x: once
            edges.append((f"op{i}", ids[node]))
        numbers = [f"{name} {x:.3f}" if abs(x) < 1e4 else f"{name} {x:.3e}"
                   for name, x in (("data", node.data), ("grad", node.grad))]
        text = " | ".join(([node.label] if node.label else []) + numbers)
        nodes.append({"id": ids[node], "kind": "value", "text": text, "value": node})
    return nodes, edges


def _layout(nodes: list[dict], edges: list[tuple[str, str]]) -> tuple[dict, dict]:
    """Place nodes on a grid: ``({id: (column, row)}, {edge: [ids of its bends]})``.

    Columns count back from the output by the longest path, so every node sits just before its
    first use (a bias sits next to its sum). An arrow that skips columns bends through an
    invisible node in each column it skips, so it never runs under a box. Rows (centred on 0) are
    sorted by the mean row of each node's neighbours (barycentre) to reduce crossings.
    """
    outputs = defaultdict(list)
    for a, b in edges:
        outputs[a].append(b)
    steps_to_output = {}
    for node in reversed(nodes):  # outputs before inputs
        key = node["id"]
        steps_to_output[key] = max((steps_to_output[b] + 1 for b in outputs[key]), default=0)
    column = {key: max(steps_to_output.values()) - n for key, n in steps_to_output.items()}
    ins, outs, bends = defaultdict(list), defaultdict(list), {}  # neighbours on the grid
    for a, b in edges:
        bends[a, b] = [f"{a}>{b}@{c}" for c in range(column[a] + 1, column[b])]
        column.update({key: column[a] + 1 + i for i, key in enumerate(bends[a, b])})
        path = [a, *bends[a, b], b]
        for p, q in zip(path, path[1:]):
            outs[p].append(q)
            ins[q].append(p)
    columns = [[key for key in column if column[key] == c] for c in range(max(column.values()) + 1)]

    row = {}

    def place(col: list[str]) -> None:
        row.update({key: r - (len(col) - 1) / 2 for r, key in enumerate(col)})

    def barycentre(key: str, neighbours: dict) -> float:
        near = neighbours[key]
        return sum(row[n] for n in near) / len(near) if near else row[key]

    for col in columns:
        place(col)
    for _ in range(4):  # sweep right by inputs, then left by outputs
        for col in columns[1:]:
            col.sort(key=lambda key: barycentre(key, ins))
            place(col)
        for col in reversed(columns[:-1]):
            col.sort(key=lambda key: barycentre(key, outs))
            place(col)
    return {key: (column[key], row[key]) for key in column}, bends


def _size(node: dict) -> tuple[float, float]:
    """Width and height of a node's box (or circle), in multiples of the font size."""
    if node["kind"] == "op":
        return (max(2.0, len(node["text"]) * CHAR_WIDTH + 1.0),) * 2
    lines = node["text"].split(" | ")
    return max(map(len, lines)) * CHAR_WIDTH + 1.2, len(lines) * LINE_HEIGHT + 0.8


def draw(value: Value, ax: Axes | None = None, figsize: tuple[float, float] | None = None) -> Figure:
    """Draw the computational graph that ends in `value`, inputs on the left.

    Parameters
    ----------
    value : Value
        The output node (usually the loss); call ``value.backward()`` first to see gradients.
    ax : matplotlib Axes, optional
        Where to draw. By default a new figure sized to the graph, at most 10 x 6 inches.
    figsize : (float, float), optional
        Size in inches of the new figure (ignored when `ax` is given).

    Returns
    -------
    Figure
        The figure; as the last line of a notebook cell, it is shown (drawn without pyplot). Graphs of more than
        400 nodes raise a ValueError: they would be unreadable.

    Used in: notebooks/02-computational-graphs.ipynb, notebooks/03-autograd-from-scratch.ipynb
    """
    nodes, edges = trace(value)  # checks that value is a Value
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    if len(nodes) > MAX_NODES:
        raise ValueError(f"draw shows graphs of up to {MAX_NODES} nodes, this one has {len(nodes)}: "
                         "draw a smaller expression")
    place, bends = _layout(nodes, edges)
    size = defaultdict(lambda: (0.0, 0.0), {node["id"]: _size(node) for node in nodes})  # bends: 0
    widths = [0.0] * (max(c for c, _ in place.values()) + 1)
    for key, (c, _) in place.items():
        widths[c] = max(widths[c], size[key][0])
    lefts = [sum(widths[:c]) + COLUMN_GAP * c for c in range(len(widths))]
    row_step = max(h for _, h in size.values()) + ROW_GAP
    xy = {key: (lefts[c] + widths[c] / 2, -r * row_step) for key, (c, r) in place.items()}
    top = max(abs(xy[key][1]) + size[key][1] / 2 for key in xy) + MARGIN
    width, height = lefts[-1] + widths[-1] + 2 * MARGIN, 2 * top

    def fontsize_for(box) -> float:  # the largest font size at which the graph fits in box
        return min(MAX_FONTSIZE, 72 * box[0] / width, 72 * box[1] / height)

    if ax is None:
        fontsize = fontsize_for(figsize or MAX_FIGSIZE)
        box = figsize or (max(2.0, width * fontsize / 72), max(1.0, height * fontsize / 72))
        # no pyplot: shown once, as the value of the notebook cell; the axes fill it, sized to the graph
        fig = _new_figure(box, layout=None)
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        fig, box = ax.figure, ax.get_position().size * ax.figure.get_size_inches()
        fontsize = fontsize_for(box)
    span_x, span_y = 72 * box[0] / fontsize, 72 * box[1] / fontsize  # the area, in font sizes
    ax.set_xlim(width / 2 - MARGIN - span_x / 2, width / 2 - MARGIN + span_x / 2)
    ax.set_ylim(-span_y / 2, span_y / 2)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()

    for node in nodes:
        key, (x, y), (w, h) = node["id"], xy[node["id"]], size[node["id"]]
        if node["kind"] == "op":
            patch = Circle((x, y), w / 2, facecolor="#fde9d9", edgecolor="#c0504d", zorder=2)
        else:  # the output gets a thicker border
            patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, f"round,pad=0,rounding_size={h / 6}",
                                   lw=2.0 if node["value"] is value else 1.0,
                                   facecolor="#e8f0fe", edgecolor="#3c5a99", zorder=2)
        patch.set_gid(f"{node['kind']}:{key}")
        ax.add_patch(patch)
        ax.text(x, y, node["text"].replace(" | ", "\n"), ha="center", va="center",
                family="monospace", fontsize=fontsize, zorder=3, gid=f"text:{key}")
    for a, b in edges:  # right side of a, across each skipped column, to the left side of b
        points = [(xy[a][0] + size[a][0] / 2, xy[a][1])]
        for key in bends[a, b]:
            c = place[key][0]
            points += [(lefts[c], xy[key][1]), (lefts[c] + widths[c], xy[key][1])]
        points.append((xy[b][0] - size[b][0] / 2, xy[b][1]))
        ax.add_patch(FancyArrowPatch(path=Path(points), arrowstyle="-|>", mutation_scale=fontsize,
                                     color="#555555", lw=0.8, zorder=1))
    return fig
