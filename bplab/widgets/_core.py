"""The one pattern behind every bplab widget: controls, a compute step, a figure drawn once and updated in place.

- ``compute(**control_values) -> dict`` returns numbers (no drawing, easy to test).
- ``setup(fig) -> artists`` draws the static parts once, on a pyplot-free `matplotlib.figure.Figure`, and returns
  the artists that will move (a dict). The constrained layout engine lays the figure out at the first draw (so that
  every label and tick fits); then the layout is frozen and a move never pays for it.
- ``update(artists, result)`` moves those artists (``set_data``, ``set_offsets``, ``set_array``, ``set_text``).
  When `setup` marks artists as animated (``artist.set_animated(True)``), only they are redrawn over a saved
  background (blitting); otherwise the figure is redrawn, without the layout engine. An `update` that changed
  something static (axis limits, say) returns True: the figure is then redrawn and its background saved again.
- ``readout(result) -> str`` gives the numbers a learner reads, shown as HTML above the picture (not in the figure).

Readable by everyone: the picture's text alternative (the ``title`` of its ``<img>``, and its ``alt``) says what it
shows (`describe`, or the `description` given) and the readout's numbers, and follows every move; the readout is a
polite live region, so a screen reader announces each new reading; every slider handle is named after its
description; and the keys of a focused control work it, in JupyterLab and in Notebook 7, instead of reaching the
notebook's shortcuts (an arrow key on a slider would move the cell selection). All but the title are done in the
page by a few lines of script (`ACCESS_SCRIPT`), carried by a hidden HTML widget, since core ipywidgets set no ARIA
attributes of their own.

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
import re
import threading
import time
from collections.abc import Callable

import ipywidgets as widgets
import traitlets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy
from PIL import Image

_AGG_LOCK = threading.Lock()  # matplotlib's font and text caches are shared between figures
DPI = 90


# Run in the page by `Explorer.access` (an <img> that fails to load runs its onerror with `this` bound to itself):
# 1. keys meant for an explorer's control never reach the notebook's shortcuts (in command mode, arrow keys move the
#    cell selection, letters insert or cut cells): a key that moves a slider is marked handled on its way down (the
#    notebook's shortcuts skip handled keys; the slider reads it itself), any other key on a control is stopped
#    there (a dropdown or button acts on it by itself, by its default action). Tab and keys with Ctrl, Alt or Cmd
#    (Ctrl+S) go through. Notebook 7 reads keys on the way down, before the control, JupyterLab on the way up:
#    the listener is on the window, before both.
# 2. each slider handle gets its description as its accessible name, each Play button a name;
# 3. the readout becomes a polite live region;
# 4. the picture's alt is its title (the text alternative the kernel writes with each new picture).
# Elements a widget renders anew (a slider whose range changes) and each new title are met by a MutationObserver.
ACCESS_SCRIPT = """
(function (root) {
  if (!root || root.bplabAccess) return;
  root.bplabAccess = true;
  var slide = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'];
  if (!window.bplabKeys) {
    window.bplabKeys = true;
    window.addEventListener('keydown', function (event) {
      var target = event.target;
      if (!target.closest || event.key === 'Tab' || event.ctrlKey || event.metaKey || event.altKey) return;
      if (!target.closest('.bplab-explorer')) return;
      if (target.closest('.noUi-handle')) {
        if (slide.indexOf(event.key) >= 0) event.preventDefault();
        else event.stopPropagation();
      } else if (target.closest('select, button')) {
        event.stopPropagation();
      }
    }, true);
  }
  var play = ['play or pause', 'stop and go back to the start', 'repeat'];
  function name() {
    root.querySelectorAll('.widget-slider').forEach(function (slider) {
      var label = slider.querySelector('.widget-label');
      var text = label ? label.textContent.trim() : '';
      slider.querySelectorAll('.noUi-handle').forEach(function (handle) {
        if (text && handle.getAttribute('aria-label') !== text) handle.setAttribute('aria-label', text);
      });
    });
    root.querySelectorAll('.widget-play').forEach(function (widget) {
      widget.querySelectorAll('button').forEach(function (button, i) {
        if (!button.hasAttribute('aria-label')) button.setAttribute('aria-label', play[i] || 'play');
      });
    });
    var readout = root.querySelector('.bplab-readout .widget-html-content');
    if (readout && !readout.hasAttribute('aria-live')) {
      readout.setAttribute('aria-live', 'polite');
      readout.setAttribute('aria-atomic', 'true');
    }
    var picture = root.querySelector(':scope > img.widget-image');
    if (picture && picture.title && picture.alt !== picture.title) picture.alt = picture.title;
  }
  name();
  new MutationObserver(name).observe(root, {childList: true, subtree: true, attributes: true,
                                            attributeFilter: ['title']});
})(this.closest('.bplab-explorer'));
"""


def describe(fig: Figure) -> str:
    """A sentence on what a figure shows, from its plots' titles, axis labels, legends and colour bars.

    For example: ``"Plot: f(x) against x, showing f(x) = x², the point (x, f(x))"``.
    """

    def math(match: re.Match) -> str:  # $\|\partial L / \partial h_t\|$ -> ‖∂L / ∂ht‖, $10^{-4}$ -> 10^(-4)
        text = match.group(1).replace("\\|", "‖").replace("\\partial ", "∂").replace("\\partial", "∂")
        text = re.sub(r"\\mathrm\{([^}]*)\}", r"\1", text.replace("\\,", " "))
        text = re.sub(r"_\{([^}]*)\}|_(\w)", r"\1\2", text)
        return re.sub(r"\^\{([^}]*)\}", r"^(\1)", text).replace("\\", "")

    def words(text: str) -> str:
        return re.sub(r"\$([^$]*)\$", math, text).strip()

    colorbars = {id(ax) for ax in fig.axes if getattr(ax, "_colorbar", None) is not None}
    panels = []
    for ax in fig.axes:
        if id(ax) in colorbars:
            label = ax._colorbar.ax.get_ylabel() or ax._colorbar.ax.get_xlabel()
            if label.strip():
                panels.append(f"colours show {words(label)}")
            continue
        x, y, title = (words(t) for t in (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()))
        what = f"{y} against {x}" if x and y else x or y
        panel = f"{title} ({what})" if title and what else title or what
        legend = ax.get_legend()
        shown = [words(t.get_text()) for t in legend.get_texts()] if legend else []
        if shown:
            panel = f"{panel}, showing {', '.join(shown)}" if panel else f"showing {', '.join(shown)}"
        if panel:
            panels.append(panel)
    key = [words(text.get_text()) for legend in fig.legends for text in legend.get_texts()]
    key = f"; key: {', '.join(key)}" if key else ""
    if not panels:
        return "Picture" + key
    if len(panels) == 1:
        return f"Plot: {panels[0]}{key}"
    return f"{len(panels)} panels: " + "; ".join(f"{i}. {panel}" for i, panel in enumerate(panels, 1)) + key


def plain(text: str) -> str:
    """HTML as the words a screen reader speaks: tags dropped, entities decoded, spaces and line breaks collapsed."""
    text = re.sub(r"<br\s*/?>|</(?:p|div|pre|li)>|\n", "; ", text)  # a line break (a <pre>'s too) is a pause
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())
    return re.sub(r"(?:\s*;)+\s*", "; ", text).strip("; ")


class _Picture(widgets.Image):
    """The explorer's PNG. Its `tooltip` becomes the ``<img>``'s title, the text alternative a screen reader speaks.

    ipywidgets 8.1's view sets the title only when the model's `description` is empty, and an Image has no
    description: the view then fails to render at all ("Could not create a view"). An empty one is synced here.
    """

    description = traitlets.Unicode("").tag(sync=True)


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
    description : str, optional
        What the picture shows, in one sentence, for its text alternative (by default `describe` makes one from
        the plots' titles, labels and legends); the readout's numbers follow it.

    Attributes
    ----------
    result : dict
        What the last update computed.
    frames : int
        How many pictures have been drawn (a drag draws fewer than it moves).
    alt : str
        The picture's text alternative now: what it shows and the readout's numbers.
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
        description: str | None = None,
    ):
        self.controls = controls
        self.compute = compute
        if setup is not None and update is None:
            raise TypeError("Explorer needs update(artists, result) beside setup(fig): setup draws once, update moves")
        self._setup, self._update, self._readout = setup, update, readout
        self.result: dict = {}
        self.frames = 0
        self.description, self.alt = description, ""
        self.readout = widgets.HTML(layout=widgets.Layout(min_height="1.5em"))
        self.readout.add_class("bplab-readout")
        self.image = _Picture(format="png", layout=widgets.Layout(width=f"{figsize[0] * DPI:.0f}px"))
        self.access = widgets.HTML(f'<img hidden alt="" src="data:," onerror="{html.escape(ACCESS_SCRIPT)}">',
                                   layout=widgets.Layout(display="none"))
        self.fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
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
            self.button = widgets.Button(description=button, button_style="primary",
                                         tooltip=f"{button}: compute with the values above")
            self.button.on_click(lambda _: self._clicked())
            rows.append(self.button)
        else:
            for control in controls.values():
                control.observe(lambda _: self._changed(), names="value")
        children = [*rows, self.readout] + ([self.image] if setup is not None else []) + [self.access]
        super().__init__(children)
        self.add_class("bplab-explorer")
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
                canvas.draw()  # the constrained layout engine lays the figure out, once; then it is frozen
                self.fig.set_layout_engine("none")
                if self.description is None:
                    self.description = describe(self.fig)
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
        reading = plain(self.readout.value)
        self.alt = f"{self.description.rstrip('.')}. {reading}" if reading else self.description
        with self.image.hold_sync():  # the picture and its text alternative in one message
            self.image.value = png.getvalue()
            self.image.tooltip = self.alt
        self.frames += 1
        self.draw_seconds = time.perf_counter() - start

    def _repr_mimebundle_(self, **kwargs):
        # A static picture beside the live widget: a page without a kernel (an exported notebook, the course
        # website) shows the first frame instead of "Error displaying widget".
        bundle = super()._repr_mimebundle_(**kwargs)
        if self.image.value:
            bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle


def fixed_ylabel(ax, label: str, widest: str, right: bool = False) -> None:
    """Label an axis whose limits follow the controls at a fixed place, beside tick labels as wide as `widest`.

    The layout is frozen after the first draw, with room for the label where it was then; as the limits change, wider
    tick labels would push a label placed by matplotlib out of the picture or onto the next plot. Placed beside the
    widest tick label the axis will show (say ``"−0.00"`` or ``"$10^{-40}$"``), the label never moves.
    """
    fig = ax.figure
    tick = ax.yaxis.get_major_ticks()[0]
    probe = ax.text(0, 0, widest, fontsize=tick.label1.get_fontsize())
    width = probe.get_window_extent(fig.canvas.get_renderer()).width * 72 / fig.dpi  # in points
    probe.remove()
    offset = tick.get_tick_padding() + tick.get_pad() + width + ax.yaxis.labelpad
    if right:
        ax.yaxis.set_label_position("right")
    ax.set_ylabel(label)
    ax.yaxis.set_label_coords(1.0 if right else 0.0, 0.5,
                              offset_copy(ax.transAxes, fig=fig, x=offset if right else -offset, units="points"))


def slider(description: str, value: float, min: float, max: float, step: float, **kwargs) -> widgets.FloatSlider:
    """A float slider whose description is fully visible (and is the name a screen reader speaks for its handle)."""
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
