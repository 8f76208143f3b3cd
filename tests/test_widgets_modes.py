"""The widget of notebook 14: pass counts of forward and reverse mode, Jacobians that agree, a drawing that follows."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bplab.widgets import modes_explorer  # noqa: E402


def closed_form_jacobian(explorer_seed, n, m, num_hidden=6, max_size=30):
    """d f_i / d x_j of f(x) = tanh(x W + b) V, drawn as the widget draws it, in closed form: shape (m, n)."""
    rng = np.random.default_rng(explorer_seed)
    W = rng.normal(size=(max_size, num_hidden)) / np.sqrt(max_size)
    b = rng.normal(size=num_hidden)
    V = rng.normal(size=(num_hidden, max_size))
    x = rng.normal(size=max_size)[:n]
    slopes = 1 - np.tanh(x @ W[:n] + b) ** 2
    return (W[:n] * slopes) @ V[:, :m]  # (n, m)


def test_modes_explorer_counts_one_pass_per_input_forward_and_one_per_output_backward():
    explorer = modes_explorer()
    assert explorer.result["n"] == 20 and explorer.result["m"] == 1
    for n, m in [(1, 30), (30, 1), (7, 7), (12, 3), (2, 9), (1, 1)]:
        explorer.controls["n"].value, explorer.controls["m"].value = n, m
        result = explorer.result
        assert (result["n"], result["m"]) == (n, m)
        assert result["forward_passes"] == n and result["reverse_passes"] == m
        assert result["cheaper"] == ("forward mode" if n < m else "reverse mode" if m < n else "either")
        assert result["max_difference"] < 1e-12  # the two modes give the same Jacobian
        assert result["forward_seconds"] > 0 and result["reverse_seconds"] > 0
        # the drawing follows: the point sits at (n, m), the bars show the counted passes
        assert list(explorer.artists["point"].get_data()) == [[n], [m]]
        assert [bar.get_height() for bar in explorer.artists["bars"]] == [n, m]
        assert [label.get_text() for label in explorer.artists["labels"]] == [str(n), str(m)]
        plural = {1: ""}
        assert f"{n} pass{plural.get(n, 'es')}," in explorer.readout.value
        assert f"{m} backward pass{plural.get(m, 'es')}," in explorer.readout.value


def test_modes_explorer_regions_name_the_mode_with_fewer_passes_not_a_winner():
    # near the diagonal the measured times need not follow the counts (a backward pass and a dual-number pass
    # cost differently, and reverse mode adds a recording pass), so the regions claim passes only
    explorer = modes_explorer()
    plane = explorer.fig.axes[0]
    explorer.fig.canvas.draw()
    labels = [text for text in plane.texts if "mode" in text.get_text()]
    assert len(labels) == 2
    for text in labels:
        n, m = plane.transData.inverted().transform(text.get_transform().transform(text.get_position()))
        explorer.controls["n"].value, explorer.controls["m"].value = round(n), round(m)
        cheaper = explorer.result["cheaper"]
        assert cheaper in ("forward mode", "reverse mode")
        assert text.get_text().startswith(cheaper) and "fewer passes" in text.get_text(), text.get_text()
        assert "win" not in text.get_text()


def test_modes_explorer_jacobian_is_the_closed_form():
    # compute() only returns the difference between the two modes; check one of them against the closed form
    from bplab.forward_mode import jacobian_forward

    n, m, seed = 5, 3, 4
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(30, 6)) / np.sqrt(30)
    b, V, x = rng.normal(size=6), rng.normal(size=(6, 30)), rng.normal(size=30)[:n]

    def f(z):
        h = [sum((z[j] * W[j, k] for j in range(n)), b[k]).tanh() for k in range(6)]
        return [sum((h[k] * V[k, i] for k in range(6)), 0.0) for i in range(m)]

    J, _ = jacobian_forward(f, x)
    np.testing.assert_allclose(J, closed_form_jacobian(seed, n, m).T, rtol=1e-12, atol=1e-14)
    explorer = modes_explorer(num_inputs=n, num_outputs=m, seed=seed)
    assert explorer.result["max_difference"] < 1e-12


def test_modes_explorer_stays_fast_at_the_largest_sizes():
    explorer = modes_explorer(num_inputs=30, num_outputs=30)
    assert explorer.result["forward_seconds"] + explorer.result["reverse_seconds"] < 0.5  # a slider move
    assert explorer.frames == 1 and len(explorer.fig.axes) == 2


def test_modes_explorer_rejects_bad_sizes():
    with pytest.raises(ValueError, match="num_inputs"):
        modes_explorer(num_inputs=31)
    with pytest.raises(ValueError, match="num_outputs"):
        modes_explorer(num_outputs=0)
    with pytest.raises(TypeError, match="num_hidden"):
        modes_explorer(num_hidden=2.5)
