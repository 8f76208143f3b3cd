"""The one pattern behind every bplab widget: controls, a compute step, a figure drawn once and updated in place.

- ``compute(**control_values) -> dict`` returns numbers (no drawing, easy to test).
- ``setup(fig) -> artists`` draws the static parts once, on a pyplot-free `matplotlib.figure.Figure`, and returns
  the artists that will move (a dict). The layout is computed at the first draw and then frozen.
- ``update(artists, result)`` moves those artists (``set_data``, ``set_offsets``, ``set_array``, ``set_text``).
  When `setup` marks artists as animated (``artist.set_animated(True)``), only they are redrawn over a saved
  background (blitting); otherwise the figure is redrawn, without the layout engine. An `update` that changed
  something static (axis limits, say) returns True: the figure is then redrawn and its background saved again.
- ``readout(result) -> str`` gives the numbers a learner reads, shown as HTML above the picture (not in the figure).

The picture is a PNG in an `ipywidgets.Image`, so it works in JupyterLab, Notebook 7, VS Code and Colab with only
core ipywidgets. In a kernel, a slider's callback computes at once (so ``explorer.result`` is always current) and
hands the drawing to one worker thread per explorer that always draws the newest values: while a drag outruns the
drawing, intermediate frames are skipped instead of queued, and the last position is always drawn.

Thread safety: JupyterLab >= 4.4 with ipykernel 7 runs widget callbacks on a kernel subshell thread, beside running
cells. Nothing here touches pyplot's global figure list. Each explorer has its own lock; matplotlib's text and font
caches are shared, so the short Agg draw itself is serialized by one lock (a training button computes outside it
and freezes no other explorer). Tests set ``explorer.controls[name].value`` and read ``explorer.result``.
"""

from __future__ import annotations

import base64
import html
import io
import threading
import time
from collections.abc import Callable

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

_AGG_LOCK = threading.Lock()  # matplotlib's font and text caches are shared between figures
DPI = 90


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Explorer(widgets.VBox):
    """Controls on top, a readout, and a picture that follows them.

    Parameters
    ----------
    controls : dict of str to ipywidgets value widget
        Each control's value is passed to `compute` under its key.
    compute : callable
        ``compute(**values) -> dict``; a ``"message"`` entry (for example "diverged") is shown in the readout.
    setup : callable, optional
        ``setup(fig) -> dict of artists``: draws the static parts once.
    update : callable, optional
        ``update(artists, result)``: moves the artists to show `result`.
    readout : callable, optional
        ``readout(result) -> str``: the numbers to read (plain text or simple HTML).
    figsize : (float, float)
        Figure size in inches; the default fits a laptop screen.
    button : str, optional
        If given, the explorer recomputes only when this button is clicked (for expensive updates); it shows
        "working..." meanwhile.

    Attributes
    ----------
    result : dict
        What the last update computed.
    frames : int
        How many pictures have been drawn (a drag draws fewer than it moves).
    """

    def __init__(
        self,
        controls: dict,
        compute: Callable[..., dict],
        setup: Callable[[Figure], dict] | None = None,
        update: Callable[[dict, dict], None] | None = None,
        readout: Callable[[dict], str] | None = None,
        figsize: tuple[float, float] = (7.0, 3.6),
        button: str | None = None,
    ):
        self.controls = controls
        self.compute = compute
        if setup is not None and update is None:
            raise TypeError("Explorer needs update(artists, result) beside setup(fig): setup draws once, update moves")
        self._setup, self._update, self._readout = setup, update, readout
        self.result: dict = {}
        self.frames = 0
        self.readout = widgets.HTML(layout=widgets.Layout(min_height="1.5em"))
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{figsize[0] * DPI:.0f}px"))
        self.fig = Figure(figsize=figsize, dpi=DPI)
        FigureCanvasAgg(self.fig)
        self.artists: dict = {}
        self._animated: list = []
        self._background = None
        self._lock = threading.RLock()
        self._threaded = _in_kernel()
        self._wanted = self._drawn = 0
        self._wake = threading.Condition()
        self._worker: threading.Thread | None = None
        rows = [widgets.HBox(list(controls.values())[i : i + 3]) for i in range(0, len(controls), 3)]
        if button:
            self.button = widgets.Button(description=button, button_style="primary")
            self.button.on_click(lambda _: self._clicked())
            rows.append(self.button)
        else:
            for control in controls.values():
                control.observe(lambda _: self._changed(), names="value")
        children = [*rows, self.readout] + ([self.image] if setup is not None else [])
        super().__init__(children)
        self.refresh()

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> dict:
        """Recompute and redraw now, in this thread (what a button click does); returns the result."""
        with self._lock:
            self._compute()
            self._draw()
        return self.result

    update = refresh  # the name older notebooks and tests use

    # --- callbacks -------------------------------------------------------------------------------------

    def _changed(self) -> None:
        with self._lock:
            self._compute()
        if self._threaded and self._setup is not None:
            self._request_draw()
        else:
            with self._lock:
                self._draw()

    def _clicked(self) -> None:
        self.button.disabled = True
        self.button.description, label = "working...", self.button.description
        try:
            self.refresh()
        finally:
            self.button.description, self.button.disabled = label, False

    def _compute(self) -> None:
        self.result = self.compute(**self.values())
        text = self._readout(self.result) if self._readout else ""
        message = self.result.get("message")
        if message:
            text = f"<b>{html.escape(str(message))}</b>" + (f"<br>{text}" if text else "")
        self.readout.value = text

    # --- drawing ---------------------------------------------------------------------------------------

    def _request_draw(self) -> None:
        with self._wake:
            self._wanted += 1
            self._wake.notify()
        if self._worker is None:
            self._worker = threading.Thread(target=self._draw_forever, name="bplab-explorer", daemon=True)
            self._worker.start()

    def _draw_forever(self) -> None:
        while True:
            with self._wake:
                while self._drawn == self._wanted:
                    self._wake.wait()
                target = self._wanted
            try:
                with self._lock:
                    self._draw()
            except Exception as error:  # noqa: BLE001 - shown to the learner instead of lost in a thread
                self.readout.value = f"<b>Drawing failed: {html.escape(repr(error))}</b>"
            self._drawn = target

    def _draw(self) -> None:
        if self._setup is None:
            return
        start = time.perf_counter()
        with _AGG_LOCK:
            canvas = self.fig.canvas
            if not self.artists:
                self.artists = self._setup(self.fig) or {}
                self._update(self.artists, self.result)
                canvas.draw()  # lays out once, then the layout is frozen
                self.fig.set_layout_engine("none")
                self._animated = [a for a in self.fig.findobj() if a.get_animated()]
                if self._animated:
                    self._background = canvas.copy_from_bbox(self.fig.bbox)
            else:
                static_changed = self._update(self.artists, self.result)
                if self._animated and not static_changed:
                    canvas.restore_region(self._background)
                else:
                    canvas.draw()  # animated artists are left out of a full draw: blitted below
                    if self._animated:
                        self._background = canvas.copy_from_bbox(self.fig.bbox)
            for artist in self._animated:
                self.fig.draw_artist(artist)
            png = io.BytesIO()
            rgba = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
            rgba.convert("RGB").save(png, format="PNG", compress_level=1)  # no alpha: a fifth faster to encode
        self.image.value = png.getvalue()
        self.frames += 1
        self.draw_seconds = time.perf_counter() - start

    def _repr_mimebundle_(self, **kwargs):
        # A static picture beside the live widget: a page without a kernel (an exported notebook, the course
        # website) shows the first frame instead of "Error displaying widget".
        bundle = super()._repr_mimebundle_(**kwargs)
        if self.image.value:
            bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle


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
