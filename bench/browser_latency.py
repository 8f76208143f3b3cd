"""Slider-to-pixels: how long a learner waits, in JupyterLab in headless Chromium, from moving a control to seeing it.

Every widget notebook is opened in JupyterLab (the browser tests' set-up, tests/lab_driver.py), run with
Run All Cells, and every control of every explorer is moved with real input events:

- a slider: its handle focused, ArrowRight/ArrowLeft pressed (`moves` times; a press at a bound moves nothing and is
  not timed, the direction turns), then `drags` mouse drags across several positions;
- a dropdown: the next choice picked (`moves` times);
- an explorer behind a button: a control changed, then the button clicked (`clicks` times);
- a Play widget: played for a few seconds, then paused.

Each move is timed inside the page, from the event's own timestamp to the moment the new picture has loaded (the
``<img>`` got new bytes and decoded them) and the new readout text is in the DOM, by a MutationObserver armed
before the event. A drag also reports the lag from the pointer's release to the final picture.

Without Chromium or the playwright package, the section says it skipped and why; nothing is estimated.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._timing import target

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import lab_driver as driver  # noqa: E402

CONTINUOUS_P50, CONTINUOUS_P95, RELEASE_MAX = 100.0, 250.0, 1000.0
BUILDER_CALL = re.compile(r"\b(\w+_explorer)\s*\(")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def explorer_names(path: Path) -> list[str]:
    """The explorer builders a notebook calls, in order (one name per call)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    names = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            names += BUILDER_CALL.findall(driver._source(cell))
    return names


def match_builder(position: int, labels: list[str], names: list[str], kinds: dict) -> str:
    """The builder of the explorer shown at `position`: the notebook's call at that position if its controls'
    descriptions match what the page shows, else any builder whose descriptions match, else "explorer N"."""
    shown = sorted(labels)
    candidates = ([names[position]] if position < len(names) else []) + [n for n in kinds if n not in names] + names
    for name in candidates:
        if name in kinds and sorted(kinds[name]) == shown:
            return name
    return names[position] if position < len(names) else f"explorer {position}"


def _summary(row: dict, latencies: list[float], moves: list) -> None:
    row["moves"] = len(latencies)
    if latencies:
        row.update(p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95), max_ms=max(latencies))
    slow = [m for m in moves if m.latency is not None and m.latency > RELEASE_MAX]
    if slow:
        row["working_shown"] = sum(m.working_shown is not None for m in slow) == len(slow)


def time_slider(page, box, element, row: dict, moves: int, drags: int) -> None:
    latencies, timed, discarded, failed = [], [], 0, 0
    key = "ArrowRight"
    while len(latencies) < moves and discarded + failed < moves + 5:
        move = driver.key_move(page, box, element, key)
        if not move.changed:  # at a bound: nothing to recompute
            discarded += 1
            key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
            continue
        if move.latency is None:
            failed += 1
        else:
            latencies.append(move.latency)
            timed.append(move)
        driver.wait_quiet(page, box, 100)
    _summary(row, latencies, timed)
    row["discarded"], row["no_picture"] = discarded, failed
    lags, frames = [], []
    for i in range(drags):
        move = driver.drag_move(page, box, element, fraction=0.3 if i % 2 == 0 else 0.25)
        if move.changed and move.lag_after_release is not None:
            lags.append(move.lag_after_release)
            frames.append(len(move.frames))
    if lags:
        row.update(drag_lag_ms=statistics.median(lags), drag_lag_max_ms=max(lags),
                   drag_frames=statistics.median(frames), drags=len(lags))


def time_dropdown(page, box, element, row: dict, moves: int) -> None:
    latencies, timed = [], []
    for _ in range(moves):
        move = driver.choice_move(page, box, element)
        if move.latency is not None:
            latencies.append(move.latency)
            timed.append(move)
        driver.wait_quiet(page, box, 100)
    _summary(row, latencies, timed)


def change_input(page, element, kind: str) -> None:
    """Change one input of a button explorer (a slider by a key press, a dropdown to its next choice)."""
    if kind == "slider":
        before, after = driver.press_slider(page, element, "ArrowRight")
        if before == after:
            driver.press_slider(page, element, "ArrowLeft")
    elif kind == "dropdown":
        driver.pick_next(element)


def time_button(page, box, button, inputs: list, row: dict, clicks: int) -> None:
    latencies, timed = [], []
    for i in range(clicks):
        if inputs:
            element, kind = inputs[i % len(inputs)]
            change_input(page, element, kind)
        move = driver.click_move(page, box, button)
        if move.picture is not None and move.latency is not None:
            latencies.append(move.latency)
            timed.append(move)
        driver.wait_quiet(page, box, 100)
    _summary(row, latencies, timed)


def time_play(page, box, element, row: dict, seconds: float) -> None:
    move = driver.play_move(page, box, element, seconds)
    loads = sorted(f["load"] for f in move.frames if f["load"] is not None)
    ticks = len(move.texts)  # each tick recomputes at once, so the readout changes once per tick
    row.update(moves=len(loads), ticks=ticks, pictures=len(loads),
               drawn_fraction=len(loads) / ticks if ticks else None)
    if len(loads) > 1:
        gaps = np.diff(loads).tolist()
        row.update(p50_ms=percentile(gaps, 50), p95_ms=percentile(gaps, 95), max_ms=max(gaps))


def inferred_kind(row: dict) -> str:
    """A slider's kind from its drags: one picture per drag means it updates on release."""
    if "drag_frames" not in row:
        return "continuous (assumed)"
    return "on release (seen)" if row["drag_frames"] <= 1 else "continuous (seen)"


def verdict(row: dict, kernel_rows: dict) -> dict | None:
    """The user-visible target of a row, met or missed, with the reason when missed."""
    kind, name = row["kind"], f"{row['notebook'][:2]} {row['explorer']}: {row['control']} ({row['kind']})"
    if "p95_ms" not in row and kind != "play":
        return target(name, "timed", None, False, row.get("problem", "no move could be timed"))
    kernel = kernel_rows.get(row["explorer"], {})
    inside = (f"in the kernel a move takes {kernel['update_ms']:.0f} ms (compute {kernel['compute_ms']:.0f} ms, "
              f"draw + PNG {kernel['draw_ms']:.0f} ms, {kernel['png_kb']:.0f} KB)" if kernel else "")
    if kind.startswith("continuous"):
        lag = row.get("drag_lag_ms", 0.0)
        met = row["p50_ms"] <= CONTINUOUS_P50 and row["p95_ms"] <= CONTINUOUS_P95 and lag <= CONTINUOUS_P95
        reason = "" if met else (f"p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms, drag lag {lag:.0f} ms; "
                                 + inside)
        return target(name, "p95 <= 250 ms (p50 <= 100, drag lag <= 250)", row["p95_ms"], met, reason)
    if kind == "play":
        fraction = row.get("drawn_fraction")
        if fraction is None:
            return target(name, "ticks drawn", None, False, "the animation drew nothing")
        met = fraction >= 0.9
        return target(name, ">= 0.9 of the ticks drawn", fraction, met, "" if met else (
            f"{row['pictures']} pictures for {row['ticks']} ticks; a picture every {row.get('p50_ms', 0):.0f} ms; "
            + inside))
    working = row.get("working_shown", True)
    met = row["p95_ms"] <= RELEASE_MAX and working
    reason = "" if met else (f"p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms"
                             + ("" if working else ", no visible 'working...' during moves over 1 s") + "; " + inside)
    return target(name, "p95 <= 1000 ms, 'working...' when longer", row["p95_ms"], met, reason)


def time_notebook(page, server, notebook: str, kinds: dict, moves: int, drags: int, clicks: int,
                  play_seconds: float) -> list[dict]:
    cells = json.loads((server.root / notebook).read_text(encoding="utf-8"))["cells"]
    driver.open_notebook(page, server, notebook, "lab")
    driver.run_all_cells(page)
    state = driver.wait_until_run(page, 300)
    problems = driver.output_problems(cells, state)
    if problems:
        return [{"notebook": notebook, "explorer": "(notebook)", "control": "", "kind": "",
                 "skipped": "the notebook shows errors: " + "; ".join(problems)[:300]}]
    names = explorer_names(server.root / notebook)
    rows = []
    for position in range(driver.mark_explorers(page)):
        box = driver.explorer(page, position)
        box.scroll_into_view_if_needed()
        driver.wait_quiet(page, box, 300)
        found = driver.controls(box)
        labels = [c["label"] for c in found if c["kind"] in ("slider", "dropdown", "checkbox", "toggle")]
        name = match_builder(position, labels, names, kinds)
        known = kinds.get(name, {})
        buttons = [c for c in found if c["kind"] == "button"]
        base = {"notebook": notebook, "explorer": name}
        if buttons:
            inputs = [(driver.control(box, c["index"]), c["kind"]) for c in found
                      if c["kind"] in ("slider", "dropdown")]
            row = {**base, "control": buttons[0]["label"], "kind": "button",
                   "inputs": ", ".join(c["label"] for c in found if c["kind"] in ("slider", "dropdown"))}
            time_button(page, box, driver.control(box, buttons[0]["index"]), inputs, row, clicks)
            rows.append(row)
            continue
        for c in found:
            element = driver.control(box, c["index"])
            kind = known.get(c["label"]) or ("play" if c["kind"] == "play" else
                                             "on choice" if c["kind"] == "dropdown" else None)
            row = {**base, "control": c["label"], "kind": "play" if c["kind"] == "play" else kind}
            if c["kind"] == "slider":
                time_slider(page, box, element, row, moves, drags)
                if kind is None:  # a builder the bench cannot call: its drags tell
                    row["kind"] = inferred_kind(row)
            elif c["kind"] == "dropdown":
                time_dropdown(page, box, element, row, moves)
            elif c["kind"] == "play":
                time_play(page, box, element, row, play_seconds)
            else:
                row["skipped"] = f"a {c['kind']} control is not timed"
            rows.append(row)
    return rows


def run(quick: bool = False, kinds: dict | None = None, kernel_rows: dict | None = None,
        notebooks_dir: Path = ROOT / "notebooks", moves: int = 15, drags: int = 2, clicks: int = 5) -> dict:
    """Time every control of every explorer of every widget notebook (--quick: notebook 00 only, 3 moves)."""
    kinds, kernel_rows = kinds or {}, kernel_rows or {}
    notebooks = driver.widget_notebooks(notebooks_dir)
    if quick:
        notebooks, moves, drags, clicks = notebooks[:1], 3, 1, 1
    reason = driver.missing_browser()
    if reason:
        return {"skipped": f"browser latency not measured: {reason}", "targets": []}
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bplab-bench-browser-"))
    rows: list[dict] = []
    server = driver.LabServer(notebooks_dir, workdir, notebooks=[Path(n).name for n in notebooks])
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=driver.find_chromium(), args=driver.CHROMIUM_ARGS)
            try:
                for notebook in notebooks:
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    context.set_default_timeout(30_000)
                    page = context.new_page()
                    notebook_start = time.perf_counter()
                    try:
                        rows += time_notebook(page, server, notebook, kinds, moves, drags, clicks, 3.0)
                    except Exception as error:  # noqa: BLE001 - one notebook failing is reported, the rest run
                        rows.append({"notebook": notebook, "explorer": "(notebook)", "control": "", "kind": "",
                                     "skipped": f"could not be timed: {type(error).__name__}: {str(error)[:300]}"})
                    finally:
                        context.close()
                        server.shutdown_kernels()
                    print(f"[bench]   {notebook}: {time.perf_counter() - notebook_start:.0f} s", flush=True)
            finally:
                browser.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    targets = [t for row in rows if "skipped" not in row for t in [verdict(row, kernel_rows)] if t]
    for row, t in zip([r for r in rows if "skipped" not in r], targets):
        row["met"] = t["met"]
    return {
        "setup": f"JupyterLab in headless Chromium (Debian's), the kernel on the same 2-core machine; per control "
        f"{moves} timed moves (key presses on the slider handle, or dropdown choices), {drags} mouse drag(s) per "
        f"slider, {clicks} click(s) per button; timed in the page from the input event's timestamp to the new "
        "picture loaded and the new readout in the DOM. Notebooks timed: " + ", ".join(notebooks) + ".",
        "rows": rows,
        "notes": ["Continuous: the explorer redraws while the slider moves; on release / on choice: once the slider is "
                  "let go or a choice is made; button: the row times the click that retrains, after one of the "
                  "listed inputs changed (the inputs alone change nothing). A move at a slider's bound changes "
                  "nothing and is not timed. '(seen)': an explorer the bench cannot build outside its notebook, "
                  "classified by its drags (one picture per drag: on release).",
                  "Play: p50/p95/max are the intervals between pictures while playing; the target is that at least "
                  "90% of the ticks are drawn (the explorer draws the newest tick and skips the ones it cannot "
                  "keep up with).",
                  "The machine is shared: its 1-minute load averages at the start and end of the run are in the "
                  "Machine table; the p95 column is the first to feel them."],
        "targets": targets,
        "seconds": time.perf_counter() - start,
    }
