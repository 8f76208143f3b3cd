"""bplab.widgets core: an Explorer recomputes when a control changes, or only on its button, and shows messages."""

import inspect

import ipywidgets as widgets

import bplab.widgets as bw
from bplab.widgets import Explorer


def _square_explorer(**kwargs):
    calls = []

    def compute(x):
        calls.append(x)
        return {"y": x * x, "message": "too big" if x > 2 else ""}

    def setup(fig):
        ax = fig.add_subplot()
        ax.set_xlim(-3, 3)
        ax.set_ylim(0, 9)
        (point,) = ax.plot([], [], "o")
        return {"point": point}

    def update(artists, result):
        artists["point"].set_data([result["y"] ** 0.5], [result["y"]])

    explorer = Explorer({"x": bw.slider("x", 1.0, -3, 3, 0.5)}, compute, setup, update,
                        readout=lambda r: f"y = {r['y']:.2f}", **kwargs)
    return explorer, calls


def test_moving_a_slider_recomputes_and_redraws_in_place():
    explorer, calls = _square_explorer()
    assert explorer.result["y"] == 1.0 and explorer.frames == 1
    first, figure, point = bytes(explorer.image.value), explorer.fig, explorer.artists["point"]
    assert first.startswith(b"\x89PNG")
    explorer.controls["x"].value = 2.5
    assert explorer.result == {"y": 6.25, "message": "too big"}
    assert calls == [1.0, 2.5]
    assert bytes(explorer.image.value) != first and explorer.frames == 2
    assert explorer.fig is figure and explorer.artists["point"] is point  # updated in place, not rebuilt
    assert "too big" in explorer.readout.value and "y = 6.25" in explorer.readout.value
    assert isinstance(explorer, widgets.VBox) and explorer.image in explorer.children


def test_no_pyplot_figure_is_left_behind():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    explorer, _ = _square_explorer()
    explorer.controls["x"].value = 2.0
    assert plt.get_fignums() == before


def test_animated_artists_are_blitted_over_a_saved_background():
    def setup(fig):
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1])  # static
        (marker,) = ax.plot([0.5], [0.5], "o", animated=True)
        return {"marker": marker}

    def update(artists, result):
        artists["marker"].set_data([result["x"]], [result["x"]])

    explorer = Explorer({"x": bw.slider("x", 0.5, 0, 1, 0.1)}, lambda x: {"x": x}, setup, update)
    assert explorer._background is not None and explorer._animated == [explorer.artists["marker"]]
    before = bytes(explorer.image.value)
    explorer.controls["x"].value = 0.9
    assert bytes(explorer.image.value) != before


def test_a_threaded_explorer_draws_the_newest_values_and_skips_stale_frames():
    import time

    explorer, calls = _square_explorer()
    explorer._threaded = True
    for x in (-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.5, 2.0, 3.0):
        explorer.controls["x"].value = x
    assert explorer.result["y"] == 9.0  # computed at once, in the callback
    deadline = time.monotonic() + 10
    while explorer._drawn != explorer._wanted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert explorer._drawn == explorer._wanted
    assert list(explorer.artists["point"].get_ydata()) == [9.0]  # the last position is drawn
    assert explorer.frames <= 12


def test_button_mode_waits_for_the_click():
    explorer, calls = _square_explorer(button="Run")
    explorer.controls["x"].value = -2.0
    assert explorer.result["y"] == 1.0  # not yet recomputed
    explorer.button.click()
    assert explorer.result["y"] == 4.0 and calls == [1.0, -2.0]
    assert explorer.button.description == "Run" and not explorer.button.disabled


def test_a_static_picture_rides_along_for_pages_without_a_kernel():
    explorer, _ = _square_explorer()
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    import base64

    assert base64.b64decode(bundle["image/png"]) == bytes(explorer.image.value)


def test_control_helpers_show_their_description():
    assert bw.int_slider("depth", 3, 1, 10).style.description_width == "initial"
    drop = bw.dropdown("activation", ["relu", "tanh"])
    assert drop.value == "relu" and drop.description == "activation"


def _builders():
    """Public functions of bplab.widgets annotated to return an Explorer."""
    return [
        getattr(bw, name) for name in bw.__all__
        if inspect.isfunction(getattr(bw, name))
        and inspect.signature(getattr(bw, name)).return_annotation in ("Explorer", Explorer)
    ]


def test_every_builder_builds_with_its_defaults_and_computes():
    builders = _builders()
    assert len(builders) >= 5, [b.__name__ for b in builders]
    for build in builders:
        assert build.__doc__ and "Used in: notebooks/" in build.__doc__, f"{build.__name__} docstring lacks 'Used in:'"
        required = [p for p in inspect.signature(build).parameters.values() if p.default is inspect.Parameter.empty]
        if required:  # builders that need data are tested in their own module's tests
            continue
        widget = build()
        assert isinstance(widget, Explorer), build.__name__
        assert widget.result or hasattr(widget, "button"), f"{build.__name__} showed nothing"


def test_an_update_that_changes_static_parts_redraws_them():
    def setup(fig):
        ax = fig.add_subplot()
        ax.set_xlim(0, 1)
        (marker,) = ax.plot([0.5], [0.5], "o", animated=True)
        return {"ax": ax, "marker": marker}

    def update(artists, result):
        artists["marker"].set_data([result["x"]], [0.5])
        if result["x"] > artists["ax"].get_xlim()[1]:
            artists["ax"].set_xlim(0, 2 * result["x"])
            return True  # the axis changed: redraw it and save the new background
        return False

    explorer = Explorer({"x": bw.slider("x", 0.5, 0, 5, 0.5)}, lambda x: {"x": x}, setup, update)
    background = explorer._background
    explorer.controls["x"].value = 1.0
    assert explorer._background is background  # blitted over the old background
    explorer.controls["x"].value = 3.0
    assert explorer._background is not background and explorer.artists["ax"].get_xlim() == (0, 6.0)


def test_the_lazy_table_names_every_public_name_of_every_part():
    import importlib
    import pkgutil

    parts = [info.name for info in pkgutil.iter_modules(bw.__path__) if not info.name.startswith("_")]
    assert set(parts) == set(bw._PARTS) - {"_core"}
    for part in parts:
        assert set(importlib.import_module(f"bplab.widgets.{part}").__all__) == set(bw._PARTS[part]), part
    assert len(bw.__all__) == len(set(bw.__all__))


def test_a_lesson_pays_only_for_the_part_it_imports():
    """`from bplab.widgets import curve_explorer` loads the calculus part, never pyplot or another lesson's part."""
    import subprocess
    import sys

    code = ("import sys\nimport bplab.widgets\n"
            "assert 'matplotlib' not in sys.modules and 'ipywidgets' not in sys.modules\n"
            "from bplab.widgets import curve_explorer\ncurve_explorer()\n"
            "loaded = sorted(m for m in sys.modules if m.startswith(('bplab.widgets.', 'matplotlib.pyplot')))\n"
            "print(loaded)")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['bplab.widgets._core', 'bplab.widgets.calculus']"


def test_no_module_of_the_package_imports_pyplot():
    import ast
    from pathlib import Path

    package = Path(bw.__file__).resolve().parents[1]
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                     [a.name for a in node.names] if isinstance(node, ast.Import | ast.ImportFrom) else [])
            names += [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "matplotlib.pyplot" or n.startswith("pylab") for n in names), path


def test_the_picture_says_in_words_what_it_shows_and_follows_each_move():
    explorer, _ = _square_explorer()
    assert explorer.description == "Picture"  # no title, labels or legend: nothing to say but the numbers
    assert explorer.image.tooltip == "Picture. y = 1.00"  # the <img>'s title: a screen reader speaks it
    assert "description" in explorer.image.keys and explorer.image.description == ""  # else the view fails (8.1)
    explorer.controls["x"].value = 2.5
    assert explorer.image.tooltip == explorer.alt == "Picture. too big; y = 6.25"
    named, _ = _square_explorer(description="A point on the parabola y = x².")
    assert named.alt == "A point on the parabola y = x². y = 1.00"


def test_describe_names_each_panel_by_its_title_labels_and_legend():
    from matplotlib.figure import Figure

    fig = Figure(layout="constrained")
    left, right = fig.subplots(1, 2)
    left.plot([0, 1], label="$\\|dW\\|$ (BPTT)")
    left.set(title="loss", xlabel="epoch", ylabel="MSE")
    left.legend()
    image = right.imshow([[0, 1]])
    fig.colorbar(image, ax=right, label="output")
    assert bw._core.describe(fig) == ("2 panels: 1. loss (MSE against epoch), showing ‖dW‖ (BPTT); "
                                      "2. colours show output")
    fig = Figure()
    fig.add_subplot().set(xlabel="$x_1$", ylabel=r"$\|\partial L / \partial h_t\|$", title="$10^{-4}$")
    fig.legend(handles=fig.axes[0].plot([0, 1], label="a"), loc="upper left")
    assert bw._core.describe(fig) == "Plot: 10^(-4) (‖∂L / ∂ht‖ against x1); key: a"


def test_plain_gives_the_words_of_a_readout():
    plain = bw._core.plain
    assert plain("<b>Diverged</b><br>f(1.00) = 1&nbsp;&lt; 2") == "Diverged; f(1.00) = 1\xa0< 2".replace("\xa0", " ")
    assert plain("<pre style='margin: 0'>x = 1\ny = 2\n</pre>") == "x = 1; y = 2"
    assert plain("R<sup>3</sup> → R<sup>1</sup>") == "R3 → R1"


def test_the_page_script_names_the_controls_and_keeps_keys_from_the_notebook():
    explorer, _ = _square_explorer()
    assert "bplab-explorer" in explorer._dom_classes and "bplab-readout" in explorer.readout._dom_classes
    assert explorer.children[-1] is explorer.access and explorer.access.layout.display == "none"
    script = bw._core.ACCESS_SCRIPT
    for needed in ("aria-live", "polite", "aria-label", "preventDefault", "noUi-handle", "MutationObserver"):
        assert needed in script
    assert 'onerror="' in explorer.access.value and "'" not in explorer.access.value.split('onerror="')[1]
