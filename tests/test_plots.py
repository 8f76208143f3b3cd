import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bplab import plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_decision_grid_covers_the_data_with_padding():
    X = np.array([[0.0, -1.0], [2.0, 3.0]])
    xx, yy, points = plots.decision_grid(X, resolution=5, padding=0.5)
    assert xx.shape == yy.shape == (5, 5)
    assert points.shape == (25, 2)
    np.testing.assert_allclose([xx.min(), xx.max(), yy.min(), yy.max()], [-0.5, 2.5, -1.5, 3.5])
    np.testing.assert_allclose(points[:, 0], xx.ravel())
    np.testing.assert_allclose(points[:, 1], yy.ravel())


@pytest.mark.parametrize("bad", [np.zeros((3, 3)), np.zeros(4)])
def test_decision_grid_rejects_non_2d_points(bad):
    with pytest.raises(ValueError, match="X must"):
        plots.decision_grid(bad)


def test_plot_decision_boundary_binary_and_multiclass():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    y = np.array([0, 1, 1])
    seen = []

    def probability(points):
        seen.append(points.shape)
        return 1 / (1 + np.exp(-(points.sum(axis=1) - 1)))

    ax = plots.plot_decision_boundary(probability, X, y, resolution=20, title="binary")
    assert seen == [(400, 2)]
    assert ax.get_title() == "binary"
    assert len(ax.collections) >= 2  # filled regions, 0.5 contour, points

    def scores(points):
        return np.column_stack([points[:, 0], points[:, 1], -points.sum(axis=1)])

    ax = plots.plot_decision_boundary(scores, X, np.array([0, 1, 2]), resolution=10)
    assert ax.get_xlabel() == "$x_1$"


def test_plot_decision_boundary_rejects_wrong_output_size():
    X = np.zeros((2, 2))
    with pytest.raises(ValueError, match="predict must return"):
        plots.plot_decision_boundary(lambda p: np.zeros(3), X, np.array([0, 1]), resolution=4)
    with pytest.raises(TypeError, match="predict must be a function"):
        plots.plot_decision_boundary(np.zeros(4), X, np.array([0, 1]))


def test_confusion_matrix_counts_by_hand():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    counts = plots.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(counts, expected)
    assert counts.sum() == len(y_true)
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(y_true))
    assert plots.confusion_matrix(y_true, y_pred, num_classes=5).shape == (5, 5)


def test_confusion_matrix_validates():
    with pytest.raises(ValueError, match="y_pred must have one label per example"):
        plots.confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="labels in 0..1"):
        plots.confusion_matrix([0, 2], [0, 1], num_classes=2)


def test_plot_confusion_matrix_writes_each_nonzero_count():
    ax = plots.plot_confusion_matrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 1])
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["1", "1", "3"]
    assert ax.get_xlabel() == "predicted class"


def test_plot_misclassified_shows_only_the_wrong_ones():
    rng = np.random.default_rng(0)
    X = rng.random((10, 64))
    y_true = np.arange(10)
    y_pred = y_true.copy()
    y_pred[[2, 7]] = [3, 1]
    fig = plots.plot_misclassified(X, y_true, y_pred)
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["2 → 3", "7 → 1"]
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), X[2].reshape(8, 8))


def test_plot_misclassified_with_none_wrong_and_bad_shape():
    X = np.zeros((3, 64))
    fig = plots.plot_misclassified(X, [0, 1, 2], [0, 1, 2])
    assert "No misclassified" in fig.texts[0].get_text()
    with pytest.raises(ValueError, match="rows of 8 \\* 8"):
        plots.plot_misclassified(np.zeros((3, 10)), [0, 1, 2], [0, 1, 1])


def test_plot_misclassified_caps_the_number_of_images():
    X = np.zeros((30, 4))
    fig = plots.plot_misclassified(X, np.zeros(30, dtype=int), np.ones(30, dtype=int), (2, 2), max_images=5)
    assert sum(bool(ax.images) for ax in fig.axes) == 5


def test_plot_histograms_one_histogram_per_array_with_std():
    arrays = [np.array([0.0, 1.0, 2.0, 3.0]), np.full(5, 0.5)]
    ax = plots.plot_histograms(arrays, labels=["a", "b"], bins=4)
    assert len(ax.patches) == 2
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"a\nσ={np.std(arrays[0]):.1g}", "b\nσ=0"]
    first, second = (patch.get_data() for patch in ax.patches)
    # range 0..3 in 4 bins, each histogram scaled to width 0.85 at its own position
    np.testing.assert_allclose(first.values, [0.85, 0.85, 0.85, 0.85])
    np.testing.assert_allclose(second.values, [1.85, 1.0, 1.0, 1.0])  # all five values in the first bin
    np.testing.assert_allclose(first.edges, [0.0, 0.75, 1.5, 2.25, 3.0])
    assert ax.get_ylim() == (0.0, 3.0)
    with pytest.raises(ValueError, match="one entry per array"):
        plots.plot_histograms(arrays, labels=["only one"])


def test_plot_history_draws_train_and_validation():
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "train_accuracy": [0.5, 0.9],
               "val_accuracy": [0.4, 0.8]}
    fig = plots.plot_history(history, val_label="test")
    assert len(fig.axes) == 2
    loss_ax = fig.axes[0]
    assert [line.get_label() for line in loss_ax.lines] == ["train", "test"]
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(), [1.1, 0.7])
    fig = plots.plot_history({"loss": [3.0, 2.0, 1.0]})
    assert len(fig.axes) == 1
    with pytest.raises(TypeError, match="history must be"):
        plots.plot_history([1.0, 2.0])


def _course_figures():
    """The figures the lessons draw with bplab.plots, with course-sized data (as notebooks 06, 08-10 call them)."""
    from bplab import data
    from bplab.layers import MLP

    rng = np.random.default_rng(0)
    epochs = np.linspace(0, 1, 30)
    history = {"loss": list(2 - 1.9 * epochs), "val_loss": list(2.1 - 1.8 * epochs),
               "train_accuracy": list(0.1 + 0.89 * epochs), "val_accuracy": list(0.1 + 0.8 * epochs)}
    y_true = rng.integers(0, 10, 360)
    y_pred = np.where(rng.random(360) < 0.9, y_true, rng.integers(0, 10, 360))
    X_digits, _ = data.load_digits()
    X_spiral, y_spiral = data.spiral(n_per_class=100, num_classes=3, noise=0.2, rng=0)
    X_xor, y_xor = data.xor()
    yield "history", lambda: plots.plot_history(history, val_label="validation")
    yield "loss only", lambda: plots.plot_history({"loss": [3.0, 2.0, 1.0]})
    yield "confusion", lambda: plots.plot_confusion_matrix(y_true, y_pred, num_classes=10, title="validation").figure
    yield "misclassified", lambda: plots.plot_misclassified(X_digits[:360], y_true, y_pred, max_images=16)
    yield "histograms", lambda: plots.plot_histograms([rng.normal(0, 10.0**-k, 256) for k in range(9)], bins=40,
                                                      ylabel="tanh output").figure
    yield "three classes", lambda: plots.plot_decision_boundary(MLP([2, 16, 3], rng=0).forward, X_spiral, y_spiral,
                                                                 title="64 hidden ReLU units: 99%").figure
    yield "probability", lambda: plots.plot_decision_boundary(lambda p: 1 / (1 + np.exp(-p.sum(axis=1))), X_xor, y_xor,
                                                               title="after training: P(class 1), blue = 1, red = 0"
                                                               ).figure


@pytest.mark.parametrize("name, make", list(_course_figures()), ids=lambda v: v if isinstance(v, str) else "")
def test_course_figures_are_legible_and_made_without_pyplot(name, make):
    from widget_checks import legibility_problems

    open_figures = plt.get_fignums()
    fig = make()
    assert plt.get_fignums() == open_figures, "a figure was made through pyplot"
    assert fig._repr_png_().startswith(b"\x89PNG")  # shown when it is a notebook cell's value
    assert legibility_problems(fig) == []


def test_a_figure_of_your_own_keeps_its_layout():
    from matplotlib.figure import Figure

    fig = Figure()
    plots.plot_history({"loss": [1.0, 0.5]}, fig=fig)
    assert fig.get_layout_engine() is not None  # laid out (tight) as before: bplab adds no pyplot or engine of its own
    fig = Figure(layout="constrained")
    plots.plot_history({"loss": [1.0, 0.5]}, fig=fig)
    assert type(fig.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"


def test_classes_differ_in_marker_as_well_as_colour():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    ax = plots.plot_decision_boundary(lambda p: np.column_stack([p[:, 0], p[:, 1], -p.sum(axis=1)]), X,
                                      np.array([0, 1, 2]), resolution=10)
    markers = {c.get_paths()[0].vertices.tobytes() for c in ax.collections if c.get_label().startswith("class")}
    assert len(markers) == 3
    assert len(set(plots.class_colors(3).colors)) == 3
