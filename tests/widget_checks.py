"""Checks every explorer test uses: a move redraws the picture in place, and the same values give the same pixels."""

import warnings

import matplotlib.pyplot as plt


def move(explorer, **values) -> dict:
    """Set controls like a learner (and click the button of a button explorer); check the picture was redrawn in
    place (same figure, same artists, new PNG), with no warning and no pyplot figure left open. Returns the result."""
    figure, artists = explorer.fig, {k: v for k, v in explorer.artists.items() if not isinstance(v, str)}
    before, open_figures = bytes(explorer.image.value), plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, value in values.items():
            explorer.controls[name].value = value
        if hasattr(explorer, "button"):
            explorer.button.click()
    assert explorer.fig is figure and all(explorer.artists[k] is v for k, v in artists.items())
    after = bytes(explorer.image.value)
    assert after != before and after.startswith(b"\x89PNG"), f"moving {values} did not change the picture"
    assert plt.get_fignums() == open_figures  # pyplot-free: no figure left open
    return explorer.result


def assert_redraws_the_same(explorer, **values) -> None:
    """Away and back: the same values give the same pixels (blitting leaves no trail behind)."""
    start = {name: explorer.controls[name].value for name in values}
    first = bytes(explorer.image.value)
    move(explorer, **values)
    move(explorer, **start)
    assert bytes(explorer.image.value) == first


# --- legibility: every text inside the picture, no two texts on top of each other ------------------------------


def drawn_texts(fig) -> list:
    """Every non-empty text a full draw of `fig` puts on its canvas (animated artists drawn too), with its box.

    Returns ``[(text, bbox)]``, bbox in display pixels (the renderer's own measure of the glyphs' extent), clipped to
    the text's clip box when it has one (a text wholly clipped away is left out). A figure with a layout engine is
    laid out by one draw first (as showing it would); an explorer's figure, whose layout is frozen, is measured as
    it was laid out.
    """
    import matplotlib.text as mtext
    from matplotlib.transforms import Bbox

    original, drawn = mtext.Text.draw, []

    def recording(text, renderer):
        original(text, renderer)
        if not text.get_visible() or not text.get_text().strip():
            return
        box = mtext.Text.get_window_extent(text, renderer)  # the glyphs only (an annotation's arrow left out)
        clip = text.get_clip_box() if text.get_clip_on() else None
        if clip is not None:
            box = Bbox.intersection(box, clip)
            if box is None:
                return
        drawn.append((text, box))

    engine = fig.get_layout_engine()
    if engine is not None and type(engine).__name__ != "PlaceHolderLayoutEngine":
        fig.canvas.draw()  # what showing or saving the figure does first: lay it out
    mtext.Text.draw = recording
    try:
        fig.set_layout_engine("none")  # measure the frozen layout, as the learner sees it
        fig.canvas.draw()
        for artist in fig.findobj(lambda a: a.get_animated() and a.get_visible()):
            fig.draw_artist(artist)
    finally:
        mtext.Text.draw = original
        if engine is not None:
            fig.set_layout_engine(engine)
    return drawn


def _name(text) -> str:
    return repr(" ".join(text.get_text().split())[:40])


def _plot_area(ax):
    """Where a plot draws: its frame, or (axes switched off) the extent of what it drew; None when it drew nothing."""
    from matplotlib.transforms import Bbox

    if ax.axison:
        return ax.bbox
    drawn = [a.get_window_extent() for a in (*ax.patches, *ax.images, *ax.collections, *ax.lines) if a.get_visible()]
    drawn = [Bbox.intersection(box, ax.bbox) for box in drawn]
    drawn = [box for box in drawn if box is not None and box.width > 0 and box.height > 0]
    return Bbox.union(drawn) if drawn else None


def legibility_problems(fig, tolerance: float = 1.0, edges: bool = True) -> list[str]:
    """What a reader of `fig` could not read: a text cut off by the figure's edge, two texts overlapping, or a
    text of one plot (its ticks, labels, title, legend) lying over another plot. Empty when every text is legible.

    Overlaps are measured between the renderer's boxes of the glyphs, with `tolerance` pixels of slack. With
    `edges` False the figure's edges are not checked (a notebook's inline backend saves with ``bbox_inches="tight"``,
    which widens the picture to every text instead of cutting one off).
    """
    texts = drawn_texts(fig)
    edge = fig.bbox
    problems = []
    for text, box in texts if edges else ():
        out = {"left": edge.x0 - box.x0, "right": box.x1 - edge.x1, "bottom": edge.y0 - box.y0, "top": box.y1 - edge.y1}
        cut = [f"{side} by {pixels:.0f} px" for side, pixels in out.items() if pixels > tolerance]
        if cut:
            problems.append(f"{_name(text)} is cut off at the figure's " + ", ".join(cut))

    def overlap(a, b) -> bool:
        return (min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance)

    for i, (text, box) in enumerate(texts):
        for other, other_box in texts[i + 1:]:
            if overlap(box, other_box):
                problems.append(f"{_name(text)} overlaps {_name(other)}")
    owner = {}
    for ax in fig.axes:
        for text in ax.findobj(lambda a: hasattr(a, "get_text")):
            owner.setdefault(id(text), ax)
    plots = [(ax, _plot_area(ax)) for ax in fig.axes if ax.get_visible()]
    for text, box in texts:
        mine = owner.get(id(text))
        for ax, area in plots:
            if area is None or ax is mine or (mine is not None and ax.bbox.bounds == mine.bbox.bounds):  # a twin
                continue
            if overlap(box, area):
                where = f"a text of the plot titled {mine.get_title()!r}" if mine is not None else "a figure text"
                problems.append(f"{_name(text)} ({where}) lies over the plot "
                                f"{ax.get_title() or ax.get_ylabel() or ax.get_label() or 'without a title'!r}")
    return problems


def explorer_settings(explorer) -> list[dict]:
    """The control settings a layout test draws: the default, each control alone at each extreme (a slider's min and
    max, a dropdown's every choice, or its first and last when the choices are numbers), then every control at its
    min and every control at its max together. An explorer behind a button (each setting is a training run) has
    its sliders at their extremes in those last two settings only."""
    low, high, settings = {}, {}, [{}]
    button = hasattr(explorer, "button")
    for name, control in explorer.controls.items():
        if hasattr(control, "options"):
            values = list(range(len(control.options)))
            numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in _choices(control))
            settings += [{name: ("index", i)} for i in (values[:: max(1, len(values) - 1)] if numbers else values)
                         if i != control.index]
            low[name], high[name] = ("index", values[0]), ("index", values[-1])
        elif hasattr(control, "max"):
            ends = [control.min, control.max]
            if type(control).__name__.endswith("LogSlider"):
                ends = [control.base**end for end in ends]
            settings += [] if button else [{name: ("value", end)} for end in ends]
            low[name], high[name] = ("value", ends[0]), ("value", ends[1])
    if len(low) > 1:
        settings += [low, high]
    return settings


def _choices(control) -> list:
    return [option[1] if isinstance(option, tuple) else option for option in control.options]


def apply_setting(explorer, setting: dict, start: dict) -> str:
    """Put the explorer's controls at `start` (their first values), then at `setting` (see explorer_settings), and
    click its button if it has one; returns the setting in words."""
    for name, control in explorer.controls.items():
        kind, value = setting.get(name, start[name])
        setattr(control, kind, value)
    if hasattr(explorer, "button"):
        explorer.refresh()
    return ", ".join(f"{name}={explorer.controls[name].value!r}" for name in setting) or "default"


# --- the static figures a lesson draws itself (matplotlib in its own cells) ---------------------------------------

FIGURE_HOOK = """
import sys as _sys
_sys.path.insert(0, {tests!r})
from matplotlib.backend_bases import FigureCanvasBase as _Canvas
from widget_checks import legibility_problems as _legibility_problems
_bplab_figure_problems, _bplab_print_figure = [], _Canvas.print_figure

def _bplab_checked_print_figure(self, *args, **kwargs):
    figure = self.figure
    if not getattr(figure, "_bplab_checked", False):
        figure._bplab_checked = True
        tight = kwargs.get("bbox_inches") == "tight"
        problems = _legibility_problems(figure, edges=not tight)
        if problems:
            _bplab_figure_problems.append({{"execution_count": get_ipython().execution_count,
                                           "size": list(figure.get_size_inches()), "problems": problems}})
    return _bplab_print_figure(self, *args, **kwargs)

_Canvas.print_figure = _bplab_checked_print_figure
"""


def lesson_figure_problems(notebook, timeout: int = 900) -> list[dict]:
    """Run a notebook (nbclient, in its folder) with every figure it shows checked by `legibility_problems` as the
    inline backend prints it; returns one entry per illegible figure: ``{"cell": index in the notebook, "source":
    first line, "size": inches, "problems": [...]}``. Explorers are left out (tests/test_widgets_layout.py)."""
    from pathlib import Path

    import nbclient
    import nbformat

    path = Path(notebook).resolve()
    nb = nbformat.read(path, as_version=4)
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    hook = nbformat.v4.new_code_cell(FIGURE_HOOK.format(tests=str(Path(__file__).resolve().parent)))
    report = nbformat.v4.new_code_cell("import json as _json\nprint(_json.dumps(_bplab_figure_problems))")
    nb.cells = [hook, *nb.cells, report]
    nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    found = __import__("json").loads(nb.cells[-1].outputs[0]["text"])
    by_count = {nb.cells[i + 1].get("execution_count"): i for i in code_cells}
    out = []
    for entry in found:
        cell = by_count.get(entry["execution_count"])
        source = nb.cells[cell + 1].source.strip().splitlines()[0] if cell is not None else "?"
        out.append({"cell": cell, "source": source, "size": entry["size"], "problems": entry["problems"]})
    return out
