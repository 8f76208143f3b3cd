"""Every widget notebook, run in a real JupyterLab in headless Chromium, with sliders dragged by the mouse.

Unit tests that set ``slider.value`` prove the callbacks compute; these prove a learner sees working
sliders: the widget extension loads ("Error displaying widget: model not found" is the commonest
failure of widget courses), every cell runs without a traceback, and dragging a slider with the mouse
changes the plot or the numbers under it. A screenshot of each notebook is saved under
test-artifacts/browser/.

Notebooks are found by scanning the .ipynb files under notebooks/ for ``bplab.widgets``, so new
ones are covered without editing this file. Output on stderr that mentions an error, an exception or
a warning fails the test, except in cells tagged ``raises-exception`` (errors shown on purpose).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The same folder the lab_server fixture (conftest.py) serves a copy of.
NOTEBOOKS_DIR = Path(os.environ.get("BPLAB_BROWSER_NOTEBOOKS", REPO / "notebooks")).resolve()

RUN_TIMEOUT = float(os.environ.get("BPLAB_BROWSER_TIMEOUT", "240"))  # seconds for "Run All Cells"
UPDATE_TIMEOUT = 20.0  # seconds for a plot to change after a drag
USES_WIDGETS = re.compile(r"\bbplab\.widgets\b|\bfrom\s+bplab\s+import\s+[^\n]*\bwidgets\b")
STDERR_PROBLEM = re.compile(r"Traceback|\w*Error\b|Exception|Warning")
WIDGET_AS_TEXT = re.compile(r"\b\w+\(children=\(")
FIGURE_AS_TEXT = re.compile(r"<Figure size \d+x\d+ with \d+ Axes>")


def uses_widgets(path: Path) -> bool:
    """True when a code cell of the notebook at `path` imports bplab.widgets."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return any(
        cell.get("cell_type") == "code" and USES_WIDGETS.search(_source(cell)) for cell in cells
    )


def widget_notebooks(folder: Path) -> list[str]:
    """Paths (relative to `folder`, posix) of the notebooks that use bplab.widgets, sorted."""
    if not folder.is_dir():
        return []
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts and uses_widgets(path)
    )


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


WIDGET_NOTEBOOKS = widget_notebooks(NOTEBOOKS_DIR)

# --- reading the page -------------------------------------------------------------------------

CELLS_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].map(cell => ({
    code: cell.classList.contains('jp-CodeCell'),
    prompt: (cell.querySelector('.jp-InputPrompt') || {textContent: ''}).textContent.trim(),
    stderr: [...cell.querySelectorAll(
        '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')].map(e => e.innerText),
    text: [...cell.querySelectorAll('.jp-OutputArea-output')].map(e => e.innerText).join('\\n'),
}))"""

# The toolbar's execution indicator, the same in JupyterLab 4 and Notebook 7.
KERNEL_STATUS_JS = """() => {
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator[data-status]');
    return indicator ? indicator.getAttribute('data-status') : '';
}"""

# An explorer is a VBox holding sliders and, as a direct child, the Output widget it redraws.
MARK_EXPLORERS_JS = """() => {
    const boxes = [...document.querySelectorAll('.jp-Notebook .widget-vbox')].filter(box =>
        [...box.children].some(c => c.classList.contains('widget-output')) &&
        box.querySelector('.widget-slider'));
    boxes.forEach((box, i) => box.setAttribute('data-bplab-explorer', String(i)));
    return boxes.length;
}"""

OUTPUT_SNAPSHOT_JS = """box => {
    const out = [...box.children].filter(c => c.classList.contains('widget-output')).pop();
    return {imgs: [...out.querySelectorAll('img')].map(i => i.src), text: out.innerText.trim()};
}"""


def wait_for_kernel_ready(page, server, notebook: str, timeout: float) -> None:
    """Wait until the notebook's kernel runs, the page is connected to it, and both say idle.

    The page shows "idle" before its kernel even starts, so the server is asked too: its session
    for `notebook` must have a kernel with a websocket connection.
    """
    deadline = time.monotonic() + timeout
    seen = "no session"
    while time.monotonic() < deadline:
        _accept_kernel_dialog(page)
        kernels = [
            s["kernel"] for s in server.api("GET", "/api/sessions")
            if s.get("path") == notebook and s.get("kernel")
        ]
        if kernels:
            kernel = kernels[0]
            seen = f"{kernel['execution_state']}, {kernel.get('connections', 0)} connection(s)"
            if (
                kernel["execution_state"] == "idle"
                and kernel.get("connections", 0) > 0
                and page.evaluate(KERNEL_STATUS_JS) == "idle"
            ):
                return
        time.sleep(0.25)
    raise AssertionError(f"the kernel of {notebook} was not ready within {timeout:.0f} s ({seen})")


def _accept_kernel_dialog(page) -> None:
    """Accept a "Select Kernel" dialog if one is open (a notebook without kernelspec)."""
    dialog = page.locator(".jp-Dialog .jp-mod-accept")
    if dialog.count():
        dialog.first.click()


def run_all_cells(page) -> None:
    """Run > Run All Cells, clicked in the menu bar like a learner would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()


def wait_until_run(page, timeout: float) -> list[dict]:
    """Wait until no cell shows [*] and the kernel has been idle for a second; returns the cells."""
    start = time.monotonic()
    deadline = start + timeout
    idle_since = None
    state: list[dict] = []
    while time.monotonic() < deadline:
        state = page.evaluate(CELLS_JS)
        busy = any("*" in cell["prompt"] for cell in state)
        started = any(re.search(r"\d", cell["prompt"]) for cell in state)
        if not (busy or started) and time.monotonic() - start > 20:
            raise AssertionError("Run All Cells did not start any cell within 20 s")
        if started and not busy and page.evaluate(KERNEL_STATUS_JS) == "idle":
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 1.0:
                return state
        else:
            idle_since = None
        time.sleep(0.25)
    running = [i for i, cell in enumerate(state) if "*" in cell["prompt"]]
    raise AssertionError(f"Run All Cells did not finish within {timeout:.0f} s; cells still running: {running}")


def _gist(text: str, lines: int = 4) -> str:
    """The end of an error output: the exception line and what led to it."""
    kept = [line for line in text.strip().splitlines() if line.strip() and not set(line.strip()) <= {"-"}]
    return " | ".join(kept[-lines:])[:600]


def output_problems(cells_json: list[dict], state: list[dict]) -> list[str]:
    """Everything a learner should not see: tracebacks, widget errors, widgets printed as text."""
    problems = []
    if len(state) != len(cells_json):
        problems.append(f"the page shows {len(state)} cells, the notebook has {len(cells_json)}")
    for index, (cell, shown) in enumerate(zip(cells_json, state)):
        if cell.get("cell_type") != "code":
            continue
        expects_error = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        first_line = _source(cell).strip().splitlines()[0][:60] if _source(cell).strip() else "empty"
        where = f"cell {index} ({first_line})"
        if _source(cell).strip() and not re.search(r"\d", shown["prompt"]):
            problems.append(f"{where} did not run (prompt {shown['prompt']!r})")
        errors = [err for err in shown["stderr"] if STDERR_PROBLEM.search(err)]
        if errors and not expects_error:
            problems += [f"{where} writes to stderr: {_gist(err)}" for err in errors]
        elif "Traceback" in shown["text"] and not expects_error:
            problems.append(f"{where} shows a traceback: {_gist(shown['text'])}")
        for bad in ("Error displaying widget", "Model not found"):
            if bad in shown["text"]:
                problems.append(f"{where} shows {bad!r}: {_gist(shown['text'])}")
        if WIDGET_AS_TEXT.search(shown["text"]):
            problems.append(f"{where} shows a widget as text instead of rendering it: {shown['text'][:200]}")
        if FIGURE_AS_TEXT.search(shown["text"]):
            problems.append(f"{where} prints a matplotlib figure as text (the inline backend is not active): "
                            f"{FIGURE_AS_TEXT.search(shown['text']).group()}")
    return problems


def _snapshot(explorer) -> dict:
    return explorer.evaluate(OUTPUT_SNAPSHOT_JS)


def _shown(explorer, differing_from: dict | None = None) -> dict | None:
    """The explorer's output if it shows a plot or text (and differs from `differing_from`), else None."""
    snapshot = _snapshot(explorer)
    if not (snapshot["imgs"] or snapshot["text"]) or snapshot == differing_from:
        return None
    return snapshot


def _wait(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def drag_slider(page, slider) -> tuple[str, str]:
    """Drag a slider's handle with the mouse a third of the track; returns the readout before and after."""
    slider.scroll_into_view_if_needed()
    handle = slider.locator(".noUi-handle, .ui-slider-handle").first
    track = slider.locator(".noUi-target, .slider-container, .ui-slider").first
    before = slider.locator(".widget-readout").first.inner_text()
    hb, tb = handle.bounding_box(), track.bounding_box()
    assert hb and tb, "the slider has no visible handle: it did not render as a slider"
    x0, y0 = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
    dx = tb["width"] / 3 * (1 if x0 < tb["x"] + tb["width"] / 2 else -1)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(x0 + dx * step / 8, y0)
        time.sleep(0.03)
    page.mouse.up()
    after = slider.locator(".widget-readout").first.inner_text()
    return before, after


def _settle(page, quiet: float = 0.5, timeout: float = UPDATE_TIMEOUT) -> None:
    """Wait until the kernel has been idle for `quiet` seconds (queued slider updates done)."""
    deadline = time.monotonic() + timeout
    idle_since = None
    while time.monotonic() < deadline:
        if page.evaluate(KERNEL_STATUS_JS) == "idle":
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= quiet:
                return
        else:
            idle_since = None
        time.sleep(0.1)


def check_explorers(page) -> list[str]:
    """Drag sliders of every explorer until its plot or numbers change; returns a line per explorer.

    Also checks that the update lands in that explorer only: the other explorers' outputs stay as
    they were (a plot appearing under the wrong widget is a classic Output-widget bug).
    """
    count = page.evaluate(MARK_EXPLORERS_JS)
    assert count > 0, "no slider with an output below it rendered: widgets are missing or shown as text"
    explorers = [page.locator(f'[data-bplab-explorer="{i}"]') for i in range(count)]
    report = []
    for i, explorer in enumerate(explorers):
        explorer.scroll_into_view_if_needed()
        first = _wait(lambda ex=explorer: _shown(ex), 15)
        assert first, f"explorer {i}: its output stayed empty (no plot, no numbers) before any drag"
        others = {k: _snapshot(ex) for k, ex in enumerate(explorers) if k != i}
        sliders = explorer.locator(".widget-slider")
        button = explorer.locator("button.widget-button, .widget-button button, button.jupyter-button")
        tried = []
        for j in range(sliders.count()):
            before, after = drag_slider(page, sliders.nth(j))
            tried.append(f"slider {j}: {before} -> {after}")
            assert before != after, f"explorer {i}, slider {j}: a mouse drag did not move it ({before})"
            if button.count():
                button.first.click()
            changed = _wait(lambda ex=explorer, old=first: _shown(ex, differing_from=old), UPDATE_TIMEOUT)
            if changed:
                report.append(f"explorer {i}: " + tried[-1])
                break
        else:
            raise AssertionError(f"explorer {i}: dragging its sliders changed neither plot nor numbers ({tried})")
        _settle(page)
        moved = [k for k, old in others.items() if _snapshot(explorers[k]) != old]
        assert not moved, f"using explorer {i} changed the output of explorer(s) {moved} too"
    return report


def check_notebook(page, server, notebook: str, ui: str, screenshot: Path) -> list[str]:
    """Open, run all, check outputs, drag sliders, take a screenshot; fails with every problem found."""
    cells_json = json.loads((server.root / notebook).read_text(encoding="utf-8"))["cells"]
    page.goto(server.url(notebook, ui))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_for_kernel_ready(page, server, notebook, timeout=60)
    run_all_cells(page)
    state = wait_until_run(page, RUN_TIMEOUT)
    problems = output_problems(cells_json, state)
    if problems:
        page.screenshot(path=str(screenshot))
    assert not problems, f"{notebook} in {ui}:\n" + "\n".join(problems)
    try:
        report = check_explorers(page)
    finally:
        first = page.locator('[data-bplab-explorer="0"]')
        if first.count():
            first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot))
    # The drags themselves must not have produced errors (a callback raising, for instance).
    problems = output_problems(cells_json, page.evaluate(CELLS_JS))
    assert not problems, f"{notebook} in {ui}, after dragging sliders:\n" + "\n".join(problems)
    return report


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
    assert widget_notebooks(tmp_path) == ["a.ipynb", "b.ipynb"]


@pytest.mark.parametrize("notebook", WIDGET_NOTEBOOKS)
def test_widgets_work_in_jupyterlab(page, lab_server, artifacts_dir, notebook):
    """Run All Cells in JupyterLab, no error output, sliders dragged by mouse change the plots."""
    shot = artifacts_dir / f"{Path(notebook).stem}.png"
    report = check_notebook(page, lab_server, notebook, "lab", shot)
    assert report and shot.stat().st_size > 0


def test_widgets_work_in_notebook7(page, lab_server, artifacts_dir):
    """The same checks in Notebook 7's interface, for the first widget notebook."""
    if not WIDGET_NOTEBOOKS:
        pytest.skip(f"no notebook in {NOTEBOOKS_DIR} uses bplab.widgets yet")
    notebook = WIDGET_NOTEBOOKS[0]
    shot = artifacts_dir / f"notebook7-{Path(notebook).stem}.png"
    report = check_notebook(page, lab_server, notebook, "notebook", shot)
    assert report and shot.stat().st_size > 0
