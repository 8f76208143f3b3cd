import matplotlib

matplotlib.use("Agg")

import itertools  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bplab.engine import Value  # noqa: E402
from bplab.graph import _layout, draw, trace  # noqa: E402


def karpathy_example():
    """L = (a*b + c) * f, after backward: 7 values, 3 operations."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c, f = Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return L, (a, b, c, f, e, d, L)


def tiny_mlp(num_inputs=3, num_hidden=3):
    """A 2-layer neuron graph: tanh(w.x + b) for each hidden unit, summed, minus 1, squared."""
    xs = [Value(0.1 * (i + 1), label=f"x{i}") for i in range(num_inputs)]
    hidden = []
    for j in range(num_hidden):
        s = Value(0.1, label=f"b{j}")
        for i, x in enumerate(xs):
            s = s + Value(0.2 * (i - j), label=f"w{j}{i}") * x
        hidden.append(s.tanh())
    out = sum(hidden[1:], hidden[0])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss


def test_trace_counts_value_nodes_op_nodes_and_edges():
    L, _ = karpathy_example()
    nodes, edges = trace(L)
    kinds = [node["kind"] for node in nodes]
    assert kinds.count("value") == 7
    assert kinds.count("op") == 3
    assert len(edges) == 9  # each operation: two inputs in, one output out
    ids = [node["id"] for node in nodes]
    assert len(set(ids)) == len(ids)
    assert all(a in ids and b in ids for a, b in edges)
    assert sorted(node["text"] for node in nodes if node["kind"] == "op") == ["*", "*", "+"]


def test_trace_is_in_topological_order():
    L, _ = karpathy_example()
    nodes, edges = trace(L)
    position = {node["id"]: i for i, node in enumerate(nodes)}
    assert all(position[a] < position[b] for a, b in edges)
    assert nodes[-1]["value"] is L


def test_trace_text_formats_label_data_and_grad():
    L, (a, b, c, f, e, d, _) = karpathy_example()
    text = {node["value"].label: node["text"] for node in trace(L)[0] if node["kind"] == "value"}
    assert text["a"] == "a | data 2.000 | grad 6.000"
    assert text["b"] == "b | data -3.000 | grad -4.000"
    assert text["L"] == "L | data -8.000 | grad 1.000"
    unlabeled = Value(1.5) * 2
    assert trace(unlabeled)[0][-1]["text"] == "data 3.000 | grad 0.000"


def test_fan_out_value_appears_once():
    x = Value(3.0, label="x")
    y = x * x + x
    nodes, edges = trace(y)
    labels = [node["value"].label for node in nodes if node["kind"] == "value"]
    assert labels.count("x") == 1
    assert [node["kind"] for node in nodes].count("value") == 3  # x, x*x, y
    assert [node["kind"] for node in nodes].count("op") == 2
    x_id = next(node["id"] for node in nodes if node.get("value") is x)
    assert sum(a == x_id for a, _ in edges) == 2  # x -> (*) once for x*x, x -> (+) once
    assert len(edges) == 5


def test_layout_arrows_go_left_to_right_and_leaves_sit_next_to_their_use():
    loss = tiny_mlp()
    nodes, edges = trace(loss)
    place, bends = _layout(nodes, edges)
    for a, b in edges:
        assert place[a][0] < place[b][0]
        assert len(bends[a, b]) == place[b][0] - place[a][0] - 1
    by_label = {node["value"].label: node["id"] for node in nodes if node["kind"] == "value"}
    for j in range(3):  # each bias sits one column before the first sum that takes it
        bias = by_label[f"b{j}"]
        (op,) = [b for a, b in edges if a == bias]
        assert place[op][0] == place[bias][0] + 1


def rendered(fig):
    FigureCanvasAgg(fig).draw()
    return fig


def test_draw_returns_figure_with_every_label_data_and_grad():
    L, values = karpathy_example()
    fig = rendered(draw(L))
    assert isinstance(fig, Figure)
    texts = "\n".join(t.get_text() for t in fig.axes[0].texts).split("\n")
    for v in values:
        assert v.label in texts
        assert f"data {v.data:.3f}" in texts
        assert f"grad {v.grad:.3f}" in texts
    assert texts.count("*") == 2 and texts.count("+") == 1
    assert len(fig.axes[0].patches) == 7 + 3 + 9  # boxes, circles, arrows
    plt.close("all")


def test_draw_41_value_nodes_without_overlap_and_within_a_laptop_screen():
    loss = tiny_mlp(num_inputs=3, num_hidden=3)
    nodes, _ = trace(loss)
    num_values = sum(node["kind"] == "value" for node in nodes)
    assert num_values == 41  # 15 leaves, 9 products, 9 sums, 3 tanh, 2 sums, -1 and out-1, square
    fig = rendered(draw(loss))
    width, height = fig.get_size_inches()
    assert width <= 10.0 + 1e-9 and height <= 6.0 + 1e-9
    ax = fig.axes[0]
    boxes = [p.get_window_extent() for p in ax.patches if str(p.get_gid()).startswith("value:")]
    circles = [p.get_window_extent() for p in ax.patches if str(p.get_gid()).startswith("op:")]
    assert len(boxes) == num_values
    centres = [(round(b.x0 + b.width / 2, 3), round(b.y0 + b.height / 2, 3)) for b in boxes]
    assert len(set(centres)) == num_values
    box_height = max(b.height for b in boxes)
    for (x1, y1), (x2, y2) in itertools.combinations(centres, 2):
        if x1 == x2:  # same column: at least a box height apart
            assert abs(y1 - y2) >= box_height
    for b1, b2 in itertools.combinations(boxes + circles, 2):
        assert not b1.overlaps(b2)
    # each text fits inside its box or circle
    renderer = fig.canvas.get_renderer()
    patch_of = {p.get_gid().split(":")[1]: p.get_window_extent() for p in ax.patches if p.get_gid()}
    for t in ax.texts:
        inner, outer = t.get_window_extent(renderer), patch_of[t.get_gid().split(":")[1]]
        assert outer.x0 <= inner.x0 and inner.x1 <= outer.x1
        assert outer.y0 <= inner.y0 and inner.y1 <= outer.y1
    assert min(t.get_fontsize() for t in ax.texts) >= 4
    plt.close("all")


def test_font_shrinks_as_the_graph_grows():
    L, _ = karpathy_example()
    small, big = draw(L), draw(tiny_mlp())
    assert big.axes[0].texts[0].get_fontsize() < small.axes[0].texts[0].get_fontsize()
    assert big.get_size_inches()[0] > small.get_size_inches()[0]


def test_draw_into_given_axes_and_single_node():
    L, _ = karpathy_example()
    fig, ax = plt.subplots(figsize=(6, 3))
    assert draw(L, ax=ax) is fig
    assert len(ax.texts) == 10
    fig = rendered(draw(Value(1.0, label="w"), figsize=(3, 2)))
    assert fig.axes[0].texts[0].get_text() == "w\ndata 1.000\ngrad 0.000"
    plt.close("all")


@pytest.mark.parametrize("bad", [3.0, "x", np.float64(1.0), None, [Value(1.0)]])
def test_bad_value_raises_type_error_naming_value(bad):
    with pytest.raises(TypeError, match="value must be a bplab Value"):
        draw(bad)
    with pytest.raises(TypeError, match="value must be a bplab Value"):
        trace(bad)


def test_bad_ax_and_huge_graph_raise():
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        draw(Value(1.0), ax="left")
    x = Value(1.0)
    for _ in range(300):
        x = x * 1.0
    with pytest.raises(ValueError, match="up to 400 nodes"):
        draw(x)


@pytest.mark.parametrize("example", ["karpathy", "tiny mlp"])
def test_drawn_graphs_are_legible_and_made_without_pyplot(example):
    from widget_checks import legibility_problems

    open_figures = plt.get_fignums()
    loss = karpathy_example()[0] if example == "karpathy" else tiny_mlp(num_inputs=3, num_hidden=3)
    fig = draw(loss)
    assert plt.get_fignums() == open_figures and fig._repr_png_().startswith(b"\x89PNG")
    assert legibility_problems(fig) == []
