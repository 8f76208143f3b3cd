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

    def draw(fig, result):
        fig.add_subplot().bar(["y"], [result["y"]])

    return Explorer({"x": bw.slider("x", 1.0, -3, 3, 0.5)}, compute, draw, **kwargs), calls


def test_moving_a_slider_recomputes():
    explorer, calls = _square_explorer()
    assert explorer.result["y"] == 1.0
    explorer.controls["x"].value = 2.5
    assert explorer.result == {"y": 6.25, "message": "too big"}
    assert calls == [1.0, 2.5]
    assert isinstance(explorer, widgets.VBox) and explorer.output in explorer.children


def test_button_mode_waits_for_the_click():
    explorer, calls = _square_explorer(button="Run")
    explorer.controls["x"].value = -2.0
    assert explorer.result["y"] == 1.0  # not yet recomputed
    explorer.button.click()
    assert explorer.result["y"] == 4.0 and calls == [1.0, -2.0]


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
