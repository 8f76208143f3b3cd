"""Every widget notebook, run in a real JupyterLab and in Notebook 7 in headless Chromium, every control moved.

Unit tests that set ``slider.value`` prove the callbacks compute; these prove a learner sees working
controls: the widget extension loads ("Error displaying widget: model not found" is the commonest
failure of widget courses), every cell runs without a traceback, and EVERY control of every explorer
changes what the explorer shows. The first slider of an explorer is dragged with the mouse, the other
sliders get a key press on their handle, dropdowns get their next choice, a Play widget plays, and an
explorer behind a button (Train) gets its button clicked after each control moved.

"Changes what it shows" means a deterministic change: the readout text with every wall-clock time
masked out (``0.21 ms`` -> ``<time>``), or the PNG's bytes, unless the readout shows wall-clock times
(then the picture may plot them, and only the masked readout counts). A control wired to nothing
cannot pass by re-timing something. The move must also leave every other explorer as it was.

Notebooks are found by scanning the .ipynb files under notebooks/ for ``bplab.widgets``, so new
ones are covered without editing this file. Output on stderr that mentions an error, an exception or
a warning fails the test, except in cells tagged ``raises-exception`` (errors shown on purpose).
A screenshot of each notebook is saved under test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import lab_driver as driver
import pytest

REPO = Path(__file__).resolve().parents[2]
# The same folder the lab_server fixture (conftest.py) serves a copy of.
NOTEBOOKS_DIR = Path(os.environ.get("BPLAB_BROWSER_NOTEBOOKS", REPO / "notebooks")).resolve()

RUN_TIMEOUT = float(os.environ.get("BPLAB_BROWSER_TIMEOUT", "240"))  # seconds for "Run All Cells"
UPDATE_TIMEOUT = 20.0  # seconds for an explorer to show a change after a move
WALL_TIME = re.compile(
    r"[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?\s*(?:ms|µs|μs|us|ns|s|sec|seconds?|minutes?)\b"  # 0.21 ms, 1.5 s
    r"|\d+(?:\.\d+)?\s*[x×]\s*(?:faster|slower)"  # a ratio of two timings
)
WIDGET_NOTEBOOKS = driver.widget_notebooks(NOTEBOOKS_DIR)


def mask_wall_time(text: str) -> str:
    """The readout with every wall-clock time (and ratio of times) replaced by <time>."""
    return WALL_TIME.sub("<time>", text)


def shows_wall_time(text: str) -> bool:
    return mask_wall_time(text) != text


def deterministic_change(before: dict, after: dict) -> str | None:
    """What changed between two snapshots of an explorer that no clock could change, or None."""
    if mask_wall_time(after["readout"]) != mask_wall_time(before["readout"]):
        return "readout"
    if after["image"] != before["image"] and not (shows_wall_time(before["readout"])
                                                   or shows_wall_time(after["readout"])):
        return "picture"
    return None


def _wait(predicate, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def number(readout: str) -> float:
    """A slider's readout as a number (ipywidgets may print a minus sign as U+2212)."""
    return float(readout.replace("\u2212", "-"))


def move_control(page, box, element, kind: str, drag: bool):
    """Move one control the way a learner would; returns what happened and how to move it back (or None).

    Asserts that the control itself moved.
    """
    if kind == "slider":
        if drag:
            before, after = driver.drag_slider(page, element, fraction=0.15)
            assert before != after, f"a mouse drag did not move the slider ({before})"
            back = -1 if number(after) > number(before) else 1
            return f"dragged {before} -> {after}", lambda: driver.drag_slider(page, element, 0.15, direction=back)
        key, back = "ArrowRight", "ArrowLeft"
        before, after = driver.press_slider(page, element, key)
        if before == after:  # at its upper bound
            key, back = back, key
            before, after = driver.press_slider(page, element, key)
        assert before != after, f"a key press did not move the slider ({before})"
        return f"key press {before} -> {after}", lambda: driver.press_slider(page, element, back)
    if kind == "dropdown":
        before, after = driver.pick_next(element)
        assert before != after, "picking the next choice did not change the dropdown"
        return f"choice {before} -> {after}", lambda: element.locator("select").first.select_option(index=before)
    if kind == "play":
        buttons = element.locator("button")
        before = driver.snapshot(box)
        buttons.first.click()
        played = _wait(lambda: deterministic_change(before, driver.snapshot(box)), UPDATE_TIMEOUT)
        buttons.first.click()  # the same button pauses (the second one, stop, would go back to the start)
        assert played, f"clicking play showed nothing new within {UPDATE_TIMEOUT:.0f} s"
        return "played", None
    if kind == "checkbox":
        element.locator("input").first.click()
        return "clicked", lambda: element.locator("input").first.click()
    if kind == "toggle":
        options = element.locator("button")
        options.nth(1 if options.count() > 1 else 0).click()
        return "toggled", lambda: options.nth(0).click()
    raise AssertionError(f"no way to move a {kind} control")


def check_control(page, box, element, c: dict, button, drag: bool) -> str:
    """Move one control (then click the explorer's button, if any); returns what changed, fails if nothing did.

    When the readout shows wall-clock times, a new picture counts only if it is reproducible: the control is
    moved back and the picture must come back to the first one, byte for byte.
    """
    driver.wait_quiet(page, box, 250)
    before = driver.snapshot(box)
    timed = shows_wall_time(before["readout"])
    how, undo = move_control(page, box, element, c["kind"], drag)

    def show():
        if button is not None:
            assert driver.click_move(page, box, button).done, "the button did not come back within 60 s"

    show()
    what = _wait(lambda: deterministic_change(before, driver.snapshot(box)), UPDATE_TIMEOUT)
    if not what and timed and undo and driver.snapshot(box)["image"] != before["image"]:
        undo()
        show()
        if _wait(lambda: driver.snapshot(box)["image"] == before["image"], UPDATE_TIMEOUT):
            what = "picture (the same again when moved back)"
    assert what, (f"after '{how}', neither the readout (wall-clock times masked) nor a reproducible picture "
                  f"changed within {UPDATE_TIMEOUT:.0f} s; readout: {driver.snapshot(box)['readout'][:200]!r}")
    return f"{how} changed the {what}"


def check_explorers(page, ui: str = "lab") -> list[str]:
    """Move every control of every explorer and check that each changes its explorer, and only it.

    In JupyterLab the first slider of an explorer is dragged with the mouse and the others get a key press; in
    Notebook 7 every slider is dragged: there an arrow key on a focused slider handle moves the cell selection
    instead of the slider (Notebook 7.6's command-mode shortcuts take it).
    """
    count = driver.mark_explorers(page)
    assert count > 0, "no explorer (controls, a readout and a picture) rendered: widgets are missing or shown as text"
    boxes = [driver.explorer(page, i) for i in range(count)]
    report = []
    for i, box in enumerate(boxes):
        box.scroll_into_view_if_needed()
        first = _wait(lambda b=box: driver.snapshot(b)["image"] and driver.snapshot(b), 15)
        assert first, f"explorer {i}: it shows no picture before any move"
        others = {k: driver.snapshot(b) for k, b in enumerate(boxes) if k != i}
        found = driver.controls(box)
        buttons = [c for c in found if c["kind"] == "button"]
        button = driver.control(box, buttons[0]["index"]) if buttons else None
        inputs = [c for c in found if c["kind"] != "button"]
        assert inputs or button, f"explorer {i}: no control rendered"
        first_slider = next((c["index"] for c in inputs if c["kind"] == "slider"), None)
        for c in inputs:
            where = f"explorer {i}, {c['kind']} {c['label']!r}"
            try:
                report.append(f"{where}: " + check_control(page, box, driver.control(box, c["index"]), c, button,
                                                            drag=ui != "lab" or c["index"] == first_slider))
            except AssertionError as error:
                raise AssertionError(f"{where}: {error}") from None
        if button is not None and not inputs:  # a button alone: its click must show something new
            before = driver.snapshot(box)
            driver.click_move(page, box, button)
            assert driver.snapshot(box) != before, f"explorer {i}: clicking {buttons[0]['label']!r} changed nothing"
        driver.wait_quiet(page, box, 300)
        moved = [k for k, old in others.items() if driver.snapshot(boxes[k]) != old]
        assert not moved, f"using explorer {i} changed what explorer(s) {moved} show too"
    return report


def start_notebook(page, server, notebook: str, ui: str) -> None:
    """Open a notebook and click Run All Cells (returns at once: the kernel works while the caller goes on)."""
    driver.open_notebook(page, server, notebook, ui, wait=False)


def finish_notebook(page, server, notebook: str, ui: str, screenshot: Path) -> list[str]:
    """Wait for Run All Cells to end, check outputs, move every control, take a screenshot; fails with every
    problem found."""
    cells_json = json.loads((server.root / notebook).read_text(encoding="utf-8"))["cells"]
    state = driver.wait_until_run(page, RUN_TIMEOUT)
    problems = driver.output_problems(cells_json, state)
    if problems:
        page.screenshot(path=str(screenshot))
    assert not problems, f"{notebook} in {ui}:\n" + "\n".join(problems)
    try:
        report = check_explorers(page, ui)
    finally:
        first = page.locator('[data-bplab-explorer="0"]')
        if first.count():
            first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot))
    # The moves themselves must not have produced errors (a callback raising, for instance).
    problems = driver.output_problems(cells_json, page.evaluate(driver.CELLS_JS))
    assert not problems, f"{notebook} in {ui}, after moving every control:\n" + "\n".join(problems)
    return report


def check_notebook(page, server, notebook: str, ui: str, screenshot: Path) -> list[str]:
    """Open, run all and check one notebook in one interface."""
    start_notebook(page, server, notebook, ui)
    driver.wait_until_open(page, server, notebook)
    driver.run_all_cells(page)
    return finish_notebook(page, server, notebook, ui, screenshot)


# --- the tests -------------------------------------------------------------------------------


def test_widget_notebooks_are_discovered(tmp_path):
    """The scan finds notebooks importing bplab.widgets in either spelling, and only those."""
    import nbformat

    for name, source in [
        ("a.ipynb", "from bplab.widgets import Explorer"),
        ("b.ipynb", "from bplab import widgets"),
        ("c.ipynb", "import bplab\nprint('bplab.functions')"),
    ]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nbformat.write(nb, tmp_path / name)
    md = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("uses bplab.widgets")])
    nbformat.write(md, tmp_path / "d.ipynb")
    assert driver.widget_notebooks(tmp_path) == ["a.ipynb", "b.ipynb"]


def test_wall_clock_times_do_not_count_as_a_change():
    """A readout that differs only in measured times is no proof that a control is wired."""
    timed = {"readout": "loop 0.210 ms, vectorized 0.012 ms: 17x faster (trained in 1.5 s)", "image": "a"}
    retimed = {"readout": "loop 0.250 ms, vectorized 0.011 ms: 23x faster (trained in 1.6 s)", "image": "b"}
    assert deterministic_change(timed, retimed) is None
    assert deterministic_change(timed, {**retimed, "readout": retimed["readout"] + ", 64 units"}) == "readout"
    plain = {"readout": "f(1.50) = 2.2500", "image": "a"}
    assert deterministic_change(plain, {**plain, "image": "b"}) == "picture"
    assert deterministic_change(plain, {**plain, "readout": "f(1.55) = 2.4025"}) == "readout"
    assert deterministic_change(plain, dict(plain)) is None
    assert mask_wall_time("1e-05 s and 3 seconds, error 1e-05") == "<time> and <time>, error 1e-05"


@pytest.mark.parametrize("notebook", WIDGET_NOTEBOOKS)
def test_widgets_work_in_jupyterlab_and_notebook7(page, page2, lab_server, artifacts_dir, notebook):
    """Run All Cells in JupyterLab and in Notebook 7 (side by side, each on its own kernel), no error output, every
    control of every explorer changes it, in both."""
    notebook7 = notebook_copy(lab_server, notebook, "notebook7")  # its own file: its own session and kernel
    runs = [(page, notebook, "lab", artifacts_dir / f"{Path(notebook).stem}.png"),
            (page2, notebook7, "notebook", artifacts_dir / f"notebook7-{Path(notebook).stem}.png")]
    for tab, path, ui, _ in runs:
        start_notebook(tab, lab_server, path, ui)
    for tab, path, _, _ in runs:
        driver.wait_until_open(tab, lab_server, path)
        driver.run_all_cells(tab)
    failures = []
    for tab, path, ui, shot in runs:
        try:
            report = finish_notebook(tab, lab_server, path, ui, shot)
            assert report and shot.stat().st_size > 0
        except AssertionError as error:
            failures.append(f"in {'JupyterLab' if ui == 'lab' else 'Notebook 7'}: {error}")
    assert not failures, "\n".join(failures)


def notebook_copy(server, notebook: str, tag: str) -> str:
    """A copy of `notebook` beside it (same folder, so relative paths still work), named with `tag`."""
    source = server.root / notebook
    copy = source.with_name(f"{source.stem}.{tag}{source.suffix}")
    copy.write_bytes(source.read_bytes())
    return copy.relative_to(server.root).as_posix()
