"""Every widget notebook, run in a real JupyterLab and in Notebook 7 in headless Chromium, every control worked by
keyboard alone, every explorer checked for what a screen reader gets.

Unit tests that set ``slider.value`` prove the callbacks compute; these prove a learner sees working
controls: the widget extension loads ("Error displaying widget: model not found" is the commonest
failure of widget courses), every cell runs without a traceback, and EVERY control of every explorer,
reached with Tab and moved with its own keys (arrows on a slider or a dropdown, Space on Play, Enter on a
button), changes what the explorer shows, and the key reaches no notebook shortcut (the cell selection stays
put: in Notebook 7 the arrow keys used to move it). In JupyterLab the first slider of each explorer is also
dragged with the mouse.

"Changes what it shows" means a deterministic change: the readout text with every wall-clock time
masked out (``0.21 ms`` -> ``<time>``), or the PNG's bytes, unless the readout shows wall-clock times
(then the picture may plot them, and only the masked readout counts). A control wired to nothing
cannot pass by re-timing something. When the readout changes, the picture's alt must follow. The move must also
leave every other explorer as it was.

Accessibility, per explorer and in both front ends: the picture has an alt (its title too) saying what it shows,
the readout is a polite live region, every slider, dropdown and button has an accessible name (a slider's its
description), and axe-core (WCAG 2.1 A and AA, best practice) finds no critical or serious violation in the
explorer's output area (the front ends' own chrome has issues of its own upstream and is left out). axe's findings
are written to test-artifacts/browser/axe-<ui>-<notebook>.json.

Notebooks are found by scanning the .ipynb files under notebooks/ for ``bplab.widgets``, so new
ones are covered without editing this file; each explorer in them is found in the page by its class. Output on
stderr that mentions an error, an exception or a warning fails the test, except in cells tagged
``raises-exception`` (errors shown on purpose). A screenshot of each notebook is saved under
test-artifacts/browser/, and one of each explorer after its moves under test-artifacts/browser/explorers/.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import chromium
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


def press(page, target, key: str) -> None:
    """Press `key` on a control's focus target (focused first, as it is after Tab reached it)."""
    if not driver.has_focus(target):
        target.focus()
    page.keyboard.press(key)


def value_of(element, kind: str):
    if kind == "slider":
        return driver.slider_value(element)
    if kind == "dropdown":
        return element.locator("select").first.evaluate("s => s.selectedIndex")
    return None


def key_control(page, box, element, kind: str):
    """Move one control with its keys alone, its focus target already focused; returns what happened and how to
    move it back (or None). Asserts that the control moved, kept the focus and that the key reached no notebook
    shortcut (the active cell stayed)."""
    target = driver.focus_target(element, kind)
    cell = driver.active_cell(page)
    if kind in ("slider", "dropdown"):
        forward, back = ("ArrowRight", "ArrowLeft") if kind == "slider" else ("ArrowDown", "ArrowUp")
        before = value_of(element, kind)
        press(page, target, forward)
        if _wait(lambda: value_of(element, kind) != before, 2) is False:  # at its last value
            forward, back = back, forward
            press(page, target, forward)
        after = value_of(element, kind)
        how = f"{forward} {before} -> {after}"
        assert before != after, f"{forward} and {back} did not move the {kind} ({before})"

        def undo():
            press(page, target, back)

    elif kind == "play":
        before = driver.snapshot(box)
        press(page, target, " ")
        played = _wait(lambda: deterministic_change(before, driver.snapshot(box)), UPDATE_TIMEOUT)
        press(page, target, " ")  # the same button pauses
        assert played, f"Space on play showed nothing new within {UPDATE_TIMEOUT:.0f} s"
        how, undo = "Space played", None
    else:
        raise AssertionError(f"no keys for a {kind} control")
    assert driver.has_focus(target), f"after '{how}' the {kind} lost the keyboard focus"
    assert driver.active_cell(page) == cell, f"'{how}' reached the notebook's shortcuts: the cell selection moved"
    return how, undo


def check_control(page, box, element, c: dict, button, start) -> str:
    """Reach one control with Tab (from `start`, the previous control) and move it with its keys (then press Enter
    on the explorer's button, reached with Tab too, if it has one); returns what changed, fails if nothing did.

    The readout and the picture must change, unless a clock decides them: when the readout shows wall-clock
    times, a new picture counts only if it is reproducible (the control is moved back, the picture must come back
    byte for byte). When the readout changed, the picture's alt must follow it.
    """
    driver.wait_quiet(page, box, 250)
    before = driver.snapshot(box)
    timed = shows_wall_time(before["readout"])
    target = driver.focus_target(element, c["kind"])
    tabs = driver.tab_to(page, target, start=start if start is not None else target)  # the first: focused
    how, undo = key_control(page, box, element, c["kind"])

    def show():
        if button is not None:
            driver.tab_to(page, button, start=target)
            move = driver._move(page, box, "key", lambda: (page.keyboard.press("Enter"), True)[1], "button", 60)
            assert move.done, "Enter on the button: it did not come back within 60 s"

    show()
    what = _wait(lambda: deterministic_change(before, driver.snapshot(box)), UPDATE_TIMEOUT)
    if not what and timed and undo and driver.snapshot(box)["image"] != before["image"]:
        target.focus()
        undo()
        show()
        if _wait(lambda: driver.snapshot(box)["image"] == before["image"], UPDATE_TIMEOUT):
            what = "picture (the same again when moved back)"
    assert what, (f"after '{how}', neither the readout (wall-clock times masked) nor a reproducible picture "
                  f"changed within {UPDATE_TIMEOUT:.0f} s; readout: {driver.snapshot(box)['readout'][:200]!r}")
    after = driver.snapshot(box)
    if mask_wall_time(after["readout"]) != mask_wall_time(before["readout"]):
        assert _wait(lambda: driver.snapshot(box)["alt"] not in ("", before["alt"]), UPDATE_TIMEOUT), (
            f"after '{how}' the readout changed but the picture's alt did not: {after['alt'][:120]!r}")
    return f"Tab x{tabs}, {how}" + (", Enter on the button" if button is not None else "") + f": {what} changed"


def check_access(box) -> list[str]:
    """What a screen reader gets from an explorer: its problems, if any."""
    facts, problems = driver.access(box), []
    if not facts["alt"] or facts["alt"] != facts["title"]:
        problems.append(f"the picture's alt {facts['alt'][:80]!r} is empty or not its title {facts['title'][:80]!r}")
    if facts["live"] != "polite" or facts["atomic"] != "true":
        problems.append(f"the readout is no polite live region (aria-live={facts['live']!r})")
    for target in facts["targets"]:
        if not target["name"] or (target["label"] and target["name"] != target["label"]):
            problems.append(f"a {target['kind']} is named {target['name']!r}, not after its label {target['label']!r}")
    return problems


def check_explorers(page, ui: str, axe_script: str, shots: Path, stem: str) -> tuple[list[str], list[dict]]:
    """Check what a screen reader gets from every explorer (and axe on its output area), then move every control of
    every explorer by keyboard alone, checking that each changes its explorer, and only it.

    In JupyterLab the first slider of each explorer is then dragged with the mouse as well. A picture of each
    explorer, after its moves, is saved in the folder `shots` as ``<stem>-<i>-<ui>.png``.
    """
    count = driver.mark_explorers(page)
    assert count > 0, "no explorer (controls, a readout and a picture) rendered: widgets are missing or shown as text"
    boxes = [driver.explorer(page, i) for i in range(count)]
    for i, box in enumerate(boxes):
        box.scroll_into_view_if_needed()
        shown = _wait(lambda b=box: driver.snapshot(b)["image"], 15)
        assert shown, f"explorer {i}: it shows no picture before any move"
        problems = check_access(box)
        assert not problems, f"explorer {i}: " + "; ".join(problems)
    axe_found = chromium.axe_violations(page, "[data-bplab-output]", axe_script)  # every explorer's output area
    serious = [f"axe {v['impact']} {v['id']} ({v['help']}): {v['nodes'][:2]}" for v in axe_found
               if v["impact"] in ("critical", "serious")]
    assert not serious, "\n".join(serious)
    report = []
    for i, box in enumerate(boxes):
        box.scroll_into_view_if_needed()
        others = {k: driver.snapshot(b) for k, b in enumerate(boxes) if k != i}
        found = driver.controls(box)
        buttons = [c for c in found if c["kind"] == "button"]
        button = driver.control(box, buttons[0]["index"]) if buttons else None
        inputs = [c for c in found if c["kind"] != "button"]
        assert inputs or button, f"explorer {i}: no control rendered"
        previous = None
        for c in inputs:
            where = f"explorer {i}, {c['kind']} {c['label']!r}"
            element = driver.control(box, c["index"])
            try:
                report.append(f"{where}: " + check_control(page, box, element, c, button, previous))
            except AssertionError as error:
                raise AssertionError(f"{where}: {error}") from None
            previous = driver.focus_target(element, c["kind"])
        if button is not None and not inputs:  # a button alone: Enter on it must show something new
            before = driver.snapshot(box)
            button.focus()
            driver._move(page, box, "key", lambda: (page.keyboard.press("Enter"), True)[1], "button", 60)
            assert driver.snapshot(box) != before, f"explorer {i}: Enter on {buttons[0]['label']!r} changed nothing"
        sliders = [c for c in inputs if c["kind"] == "slider"]
        if ui == "lab" and sliders and button is None:  # the mouse still works
            before = driver.snapshot(box)
            slider = driver.control(box, sliders[0]["index"])
            dragged = driver.drag_slider(page, slider, fraction=0.15)
            assert dragged[0] != dragged[1], f"explorer {i}: a mouse drag did not move the slider"
            changed = _wait(lambda b=box, old=before: deterministic_change(old, driver.snapshot(b)), UPDATE_TIMEOUT)
            assert changed or shows_wall_time(before["readout"]), f"explorer {i}: a mouse drag changed nothing"
            report.append(f"explorer {i}: mouse drag {dragged[0]} -> {dragged[1]}")
        driver.wait_quiet(page, box, 300)
        box.screenshot(path=str(shots / f"{stem}-{i}-{ui}.png"))
        moved = [k for k, old in others.items() if driver.snapshot(boxes[k]) != old]
        assert not moved, f"using explorer {i} changed what explorer(s) {moved} show too"
    return report, axe_found


def start_notebook(page, server, notebook: str, ui: str) -> None:
    """Open a notebook and click Run All Cells (returns at once: the kernel works while the caller goes on)."""
    driver.open_notebook(page, server, notebook, ui, wait=False)


def finish_notebook(page, server, notebook: str, ui: str, screenshot: Path, axe_script: str) -> list[str]:
    """Wait for Run All Cells to end, check outputs, check every explorer's accessibility and move every control by
    keyboard, take screenshots; fails with every problem found. axe's findings go to axe-<ui>-<notebook>.json."""
    cells_json = json.loads((server.root / notebook).read_text(encoding="utf-8"))["cells"]
    state = driver.wait_until_run(page, RUN_TIMEOUT)
    problems = driver.output_problems(cells_json, state)
    if problems:
        page.screenshot(path=str(screenshot))
    assert not problems, f"{notebook} in {ui}:\n" + "\n".join(problems)
    stem = Path(notebook).stem.removesuffix(".notebook7")
    shots = screenshot.parent / "explorers"
    shots.mkdir(parents=True, exist_ok=True)
    axe_found = []
    try:
        report, axe_found = check_explorers(page, ui, axe_script, shots, stem)
    finally:
        first = page.locator('[data-bplab-explorer="0"]')
        if first.count():
            first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot))
        (screenshot.parent / f"axe-{ui}-{stem}.json").write_text(json.dumps(axe_found, indent=1))
    # The moves themselves must not have produced errors (a callback raising, for instance).
    problems = driver.output_problems(cells_json, page.evaluate(driver.CELLS_JS))
    assert not problems, f"{notebook} in {ui}, after moving every control:\n" + "\n".join(problems)
    return report


def check_notebook(page, server, notebook: str, ui: str, screenshot: Path, axe_script: str) -> list[str]:
    """Open, run all and check one notebook in one interface."""
    start_notebook(page, server, notebook, ui)
    driver.wait_until_open(page, server, notebook)
    driver.run_all_cells(page)
    return finish_notebook(page, server, notebook, ui, screenshot, axe_script)


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
def test_widgets_work_in_jupyterlab_and_notebook7(page, page2, lab_server, artifacts_dir, axe_script, notebook):
    """Run All Cells in JupyterLab and in Notebook 7 (side by side, each on its own kernel), no error output; in both,
    every explorer tells a screen reader what it shows (axe finds nothing critical or serious in its output area)
    and every control of every explorer, worked by keyboard alone, changes it."""
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
            report = finish_notebook(tab, lab_server, path, ui, shot, axe_script)
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
