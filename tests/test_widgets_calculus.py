"""Widgets of notebooks 00-02: each compute step checked against closed forms and finite differences."""

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from widget_checks import assert_redraws_the_same, move  # noqa: E402

from bplab.gradcheck import numerical_gradient, rel_error  # noqa: E402
from bplab.widgets import (  # noqa: E402
    CHAINS,
    chain_rule,
    chain_rule_explorer,
    curve_explorer,
    draw_backprop_picture,
    finite_difference_errors,
    finite_difference_explorer,
    gradient_explorer,
    graph_explorer,
    one_neuron_step,
)

# --- 00 -------------------------------------------------------------------------------------------


def test_curve_explorer_follows_the_slider():
    explorer = curve_explorer()
    for x in (-1.5, 0.0, 0.35, 2.0):
        explorer.controls["x"].value = x
        assert explorer.result["x"] == pytest.approx(x)
        assert explorer.result["y"] == pytest.approx(x * x)
        assert list(explorer.artists["point"].get_data()) == [[x], [x * x]]  # the drawn point follows
    assert len(explorer.fig.axes) == 1


def test_one_neuron_step_gradients_match_finite_differences():
    x, y, w, b, lr = 2.0, 1.0, 0.8, 0.2, 0.05
    step = one_neuron_step(x, y, w, b, lr)

    def loss(params):
        return (params[0] * x + params[1] - y) ** 2

    numeric = numerical_gradient(loss, np.array([w, b]))
    assert rel_error([step["dw"], step["db"]], numeric) < 1e-7
    assert step["y_hat"] == pytest.approx(1.8)
    assert step["loss"] == pytest.approx(0.64)
    assert step["w_new"] == pytest.approx(w - lr * numeric[0])
    assert step["b_new"] == pytest.approx(b - lr * numeric[1])
    assert step["loss_new"] == pytest.approx(loss(np.array([step["w_new"], step["b_new"]])))
    assert step["loss_new"] < step["loss"]


def test_one_neuron_step_rejects_bad_input():
    with pytest.raises(ValueError, match="lr"):
        one_neuron_step(lr=-0.1)
    with pytest.raises(TypeError, match="w"):
        one_neuron_step(w="0.8")


def test_backprop_picture_has_four_panels():
    fig = draw_backprop_picture(one_neuron_step())
    assert len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.split(".")[0] for t in titles] == ["1", "2", "3", "4"]
    with pytest.raises(ValueError, match="one_neuron_step"):
        draw_backprop_picture({"loss": 1.0})


@pytest.mark.parametrize("step", [{}, {"x": -20.0, "y": 30.0, "w": -5.0, "b": 12.0, "lr": 0.5}])
def test_backprop_picture_is_legible_and_made_without_pyplot(step):
    import matplotlib.pyplot as plt
    from widget_checks import legibility_problems

    open_figures = plt.get_fignums()
    fig = draw_backprop_picture(one_neuron_step(**step))
    assert plt.get_fignums() == open_figures and fig._repr_png_().startswith(b"\x89PNG")  # shown as a cell's value
    assert legibility_problems(fig) == []


# --- 01: finite differences -----------------------------------------------------------------------


def test_finite_difference_errors_follow_the_theory():
    x = 1.0
    hs = 10.0 ** np.arange(-16.0, 0.01, 0.25)
    errors = finite_difference_errors(np.sin, np.cos, x, hs)
    at = {round(math.log10(h), 2): i for i, h in enumerate(hs)}
    # truncation error: forward ~ h/2 |f''|, central ~ h^2/6 |f'''| (leading Taylor terms)
    h = 1e-3
    assert errors["forward"][at[-3.0]] == pytest.approx(h / 2 * math.sin(x), rel=1e-2)
    assert errors["central"][at[-3.0]] == pytest.approx(h**2 / 6 * math.cos(x), rel=1e-2)
    assert errors["central"][at[-5.0]] < 1e-9
    # round-off wins for tiny h: the error grows again as h shrinks
    assert errors["central"][at[-12.0]] > 100 * errors["central"][at[-5.0]]
    assert 10**-6.5 <= errors["best_h_central"] <= 10**-4.5
    assert 10**-9.5 <= errors["best_h_forward"] <= 10**-7


def test_finite_difference_errors_validates_steps():
    with pytest.raises(ValueError, match="hs"):
        finite_difference_errors(np.sin, np.cos, 1.0, [1e-3, 0.0])
    with pytest.raises(ValueError, match="hs"):
        finite_difference_errors(np.sin, np.cos, 1.0, [[1e-3]])


def test_finite_difference_explorer_estimates():
    explorer = finite_difference_explorer()
    result = move(explorer, log10_h=-2.0)
    h = 0.01
    assert result["h"] == pytest.approx(h)
    assert result["forward_estimate"] == pytest.approx((math.sin(1 + h) - math.sin(1)) / h, rel=1e-12)
    assert result["central_estimate"] == pytest.approx((math.sin(1 + h) - math.sin(1 - h)) / (2 * h), rel=1e-12)
    assert result["forward_error"] == pytest.approx(abs(result["forward_estimate"] - math.cos(1)))
    assert result["central_error"] < result["forward_error"]
    # the drawn markers sit on the computed errors, the readout shows the numbers
    assert list(explorer.artists["h"].get_xdata()) == [h, h]
    assert list(explorer.artists["forward"].get_data()) == [[h], [result["forward_error"]]]
    assert list(explorer.artists["central"].get_data()) == [[h], [result["central_error"]]]
    assert f"{result['forward_error']:.1e}" in explorer.readout.value
    assert f"{result['central_estimate']:.12f}" in explorer.readout.value
    assert len(explorer.fig.axes) == 1
    assert_redraws_the_same(explorer, log10_h=-9.0)


def test_finite_difference_explorer_other_function():
    explorer = finite_difference_explorer(np.exp, np.exp, x=0.5, name="exp")
    explorer.controls["log10_h"].value = -5.0
    assert explorer.result["exact"] == pytest.approx(math.exp(0.5))
    assert explorer.result["central_error"] < 1e-9


# --- 01: chain rule and partial derivatives -------------------------------------------------------

CLOSED_FORMS = {  # f and f' written out by hand, independently of CHAINS
    "sin(x²)": (lambda x: math.sin(x * x), lambda x: math.cos(x * x) * 2 * x),
    "exp(sin(x²))": (
        lambda x: math.exp(math.sin(x * x)),
        lambda x: math.exp(math.sin(x * x)) * math.cos(x * x) * 2 * x,
    ),
    "σ(3x − 1)": (
        lambda x: 1 / (1 + math.exp(1 - 3 * x)),
        lambda x: 3 * math.exp(1 - 3 * x) / (1 + math.exp(1 - 3 * x)) ** 2,
    ),
    "tanh(tanh(tanh(x)))": (
        lambda x: math.tanh(math.tanh(math.tanh(x))),
        lambda x: (1 - math.tanh(math.tanh(math.tanh(x))) ** 2)
        * (1 - math.tanh(math.tanh(x)) ** 2)
        * (1 - math.tanh(x) ** 2),
    ),
}


def test_every_chain_has_a_closed_form_here():
    assert set(CHAINS) == set(CLOSED_FORMS)


@pytest.mark.parametrize("chain", list(CLOSED_FORMS))
def test_chain_rule_explorer_matches_closed_form(chain):
    f, df = CLOSED_FORMS[chain]
    explorer = chain_rule_explorer()
    if chain != explorer.controls["chain"].value:
        move(explorer, chain=chain)
    for x in (-1.7, -0.3, 0.45, 1.2):
        result = move(explorer, x=x)
        assert result["values"][0] == pytest.approx(x)
        assert result["values"][-1] == pytest.approx(f(x), rel=1e-12)
        assert result["product"] == pytest.approx(math.prod(result["factors"]))
        assert rel_error(result["product"], df(x)) < 1e-12
        numeric = (f(x + 1e-5) - f(x - 1e-5)) / 2e-5
        assert rel_error(result["numerical"], numeric) < 1e-7
        assert rel_error(result["product"], numeric) < 1e-7
        # the point, the tangent (slope = the product of the factors) and the curve of this chain
        assert list(explorer.artists["point"].get_data()) == [[x], [result["values"][-1]]]
        (x0, x1), (y0, y1) = explorer.artists["tangent"].get_data()
        assert (y1 - y0) / (x1 - x0) == pytest.approx(result["product"], rel=1e-12)
        assert f"{result['product']:.6f}" in explorer.readout.value
        assert f"{result['numerical']:.6f}" in explorer.readout.value
    grid, curve = explorer.artists["curve"].get_data()
    np.testing.assert_allclose(curve, [f(t) for t in grid], rtol=1e-12, atol=1e-15)
    assert len(explorer.fig.axes) == 1


def test_chain_rule_factors_of_sin_x_squared():
    result = chain_rule(1.5, "sin(x²)")
    assert result["factors"] == pytest.approx([3.0, math.cos(2.25)])
    with pytest.raises(ValueError, match="chain"):
        chain_rule(1.0, "cos(x)")


def test_gradient_explorer_matches_numerical_gradient():
    explorer = gradient_explorer()
    for x, y in [(1.0, 0.5), (-1.3, 1.7), (0.0, -2.0)]:
        if (x, y) != (explorer.controls["x"].value, explorer.controls["y"].value):
            move(explorer, x=x, y=y)
        result = explorer.result
        point = np.array([x, y])
        numeric = numerical_gradient(lambda p: p[0] ** 2 * p[1] + np.sin(p[1]), point)
        assert result["f"] == pytest.approx(x**2 * y + math.sin(y))
        assert rel_error(result["grad"], numeric) < 1e-7
        assert rel_error(result["numerical"], numeric) < 1e-9
        assert f"{result['grad'][0]:.4f}, {result['grad'][1]:.4f}" in explorer.readout.value
        assert list(explorer.artists["point"].get_data()) == [[x], [y]]
    assert len(explorer.fig.axes) == 2  # the plot and its colorbar
    assert_redraws_the_same(explorer, x=1.5, y=-0.5)


# --- 02: computational graphs ---------------------------------------------------------------------


def test_graph_explorer_gradients():
    explorer = graph_explorer()
    result = explorer.result
    assert result["values"]["L"] == pytest.approx((2.0 * -3.0 + 10.0) * -2.0)
    for a, b, c, f in [(2.0, -3.0, 10.0, -2.0), (-1.5, 4.0, -7.5, 3.0), (0.5, 0.0, 1.0, -4.5)]:
        changed = {name: v for name, v in zip("abcf", (a, b, c, f)) if explorer.controls[name].value != v}
        if changed:
            move(explorer, **changed)
        grads, values = explorer.result["grads"], explorer.result["values"]
        # every node shows its data and grad, as numbers over the boxes drawn once
        shown = sorted(text.get_text() for text in explorer.artists["texts"].values())
        assert shown == sorted(f"{values[n]:.3f}\n{grads[n]:.3f}" for n in values)
        assert f"dL/da = {grads['a']:.3f}" in explorer.readout.value
        closed = {"a": b * f, "b": a * f, "c": f, "f": a * b + c, "e": f, "d": f, "L": 1.0}
        for name, expected in closed.items():
            assert grads[name] == pytest.approx(expected)
        point = np.array([a, b, c, f])
        numeric = numerical_gradient(lambda p: (p[0] * p[1] + p[2]) * p[3], point)
        assert rel_error([grads[n] for n in "abcf"], numeric) < 1e-7
    assert len(explorer.fig.axes) == 1
    assert_redraws_the_same(explorer, a=4.5, c=-9.5)


def test_gradient_arrow_is_proportional_to_the_gradient_on_evenly_spaced_contours():
    # notebook 01: "the arrow is longer where the contour lines are crowded" needs both of these
    explorer = gradient_explorer(x=-1.3, y=1.7)
    contours = next(c for c in explorer.fig.axes[0].collections if hasattr(c, "levels"))
    for x, y in [(-1.3, 1.7), (0.6, -1.1)]:
        if (x, y) != (explorer.controls["x"].value, explorer.controls["y"].value):
            move(explorer, x=x, y=y)
        start, end = (np.array(p, dtype=float) for p in explorer.artists["arrow"]._posA_posB)
        np.testing.assert_allclose(start, [x, y], rtol=1e-12)
        np.testing.assert_allclose(end - start, 0.25 * explorer.result["grad"], rtol=1e-12)
    # the contour plot is drawn once, in setup, and stays: a move only moves the arrow and the point
    assert next(c for c in explorer.fig.axes[0].collections if hasattr(c, "levels")) is contours
    levels = np.asarray(contours.levels, dtype=float)
    assert len(levels) > 5 and np.allclose(np.diff(levels), np.diff(levels)[0])
