"""The one pattern behind every bplab widget: controls, a compute step, a drawing step.

`compute(**control_values)` returns a dict of numbers (no drawing, easy to test);
`draw(fig, result)` renders them into a fresh `matplotlib.figure.Figure` that is displayed
inside the explorer's own Output widget. Tests set ``explorer.controls[name].value``
and read ``explorer.result``.

Thread safety: JupyterLab >= 4.4 with ipykernel 7 sends widget messages to a kernel *subshell*,
a second thread, so a slider callback can run while a cell runs on the main thread. matplotlib
is not thread-safe, so every update holds one lock, takes its figure out of pyplot's list at once
(a cell's plt.show() cannot grab it) and never flushes pyplot's open figures (which
`interactive_output` does, stealing a cell's half-made plot).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

_RENDER_LOCK = threading.RLock()  # one update at a time, whichever thread the kernel runs it on


class Explorer(widgets.VBox):
    """Controls on top, a live plot below.

    Parameters
    ----------
    controls : dict of str to ipywidgets value widget
        Each control's value is passed to `compute` under its key.
    compute : callable
        ``compute(**values) -> dict``; a ``"message"`` entry (for example "diverged") is shown above the plot.
    draw : callable, optional
        ``draw(fig, result)`` fills a fresh matplotlib figure.
    figsize : (float, float)
        Figure size in inches; the default fits a laptop screen.
    button : str, optional
        If given, the plot updates only when this button is clicked (for expensive updates).

    Attributes
    ----------
    result : dict
        What the last update computed.
    """

    def __init__(
        self,
        controls: dict,
        compute: Callable[..., dict],
        draw: Callable | None = None,
        figsize: tuple[float, float] = (7.0, 3.6),
        button: str | None = None,
    ):
        self.controls = controls
        self.compute = compute
        self.draw = draw
        self.figsize = figsize
        self.result: dict = {}
        self.output = widgets.Output()
        rows = [widgets.HBox(list(controls.values())[i : i + 3]) for i in range(0, len(controls), 3)]
        if button:
            self.button = widgets.Button(description=button, button_style="primary")
            self.button.on_click(lambda _: self.update())
            rows.append(self.button)
        else:
            for control in controls.values():
                control.observe(lambda _: self.update(), names="value")
        super().__init__([*rows, self.output])
        self.update()

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> dict:
        """Recompute and redraw now (what a button click does)."""
        with _RENDER_LOCK, self.output:
            self.output.clear_output(wait=True)
            self._render(**self.values())
        return self.result

    def _render(self, **values) -> None:
        self.result = self.compute(**values)
        message = self.result.get("message")
        if message:
            display(Markdown(f"**{message}**"))
        if self.draw is not None:
            fig = plt.figure(figsize=self.figsize)  # through pyplot: loads the inline backend
            plt.close(fig)  # out of pyplot's list before drawing; display() still renders it
            self.draw(fig, self.result)
            display(fig)


def slider(description: str, value: float, min: float, max: float, step: float, **kwargs) -> widgets.FloatSlider:
    """A float slider whose description is fully visible."""
    return widgets.FloatSlider(
        value=value, min=min, max=max, step=step, description=description,
        style={"description_width": "initial"}, layout=widgets.Layout(width="320px"), **kwargs,
    )


def int_slider(description: str, value: int, min: int, max: int, step: int = 1, **kwargs) -> widgets.IntSlider:
    """An integer slider whose description is fully visible."""
    return widgets.IntSlider(
        value=value, min=min, max=max, step=step, description=description,
        style={"description_width": "initial"}, layout=widgets.Layout(width="320px"), **kwargs,
    )


def dropdown(description: str, options, value=None) -> widgets.Dropdown:
    """A dropdown whose description is fully visible."""
    return widgets.Dropdown(
        options=options, value=value if value is not None else list(options)[0], description=description,
        style={"description_width": "initial"},
    )
