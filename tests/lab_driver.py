"""Drive JupyterLab and Notebook 7 in headless Chromium: the browser tests and the slider-to-pixels benchmark share it.

Three parts:

- ``LabServer``: a ``jupyter lab`` on loopback serving a temporary copy of the notebooks, with a fresh config dir.
- Notebook runs: open a notebook in JupyterLab (``ui="lab"``) or Notebook 7 (``ui="notebook"``), wait for its
  kernel, click Run > Run All Cells, and read every cell's prompt and outputs.
- Explorers in the page: find each bplab Explorer (a VBox of class ``bplab-explorer``, with an HTML readout and a
  PNG ``<img>`` as children), list its controls, move them with real keyboard and mouse events (keyboard alone: Tab
  to a control, then its keys), read what a screen reader gets (the picture's alt, the live readout, each control's
  name), and time, inside the page, the moment the new picture and readout are in the DOM (a MutationObserver and
  the image's ``load`` event, armed before the event).

Timestamps are the page's own (``performance.now()`` and ``event.timeStamp`` share one clock), so the time Python
and Playwright take to ask does not count.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import chromium  # tests/chromium.py

CHROMIUM_ARGS = [
    *chromium.CHROMIUM_ARGS,
    # A tab in the background must not have its timers and frames throttled: the Lab and Notebook 7 pages
    # of one notebook run side by side.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
# Front-end settings of the test server: no news prompt, no update check, and every cell kept in
# the DOM (no windowing), so the tests can read all outputs and scroll to any widget.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
USES_WIDGETS = re.compile(r"\bbplab\.widgets\b|\bfrom\s+bplab\s+import\s+[^\n]*\bwidgets\b")


find_chromium = chromium.find_chromium
missing_browser = chromium.missing_browser


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def uses_widgets(path: Path) -> bool:
    """True when a code cell of the notebook at `path` imports bplab.widgets."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return any(cell.get("cell_type") == "code" and USES_WIDGETS.search(_source(cell)) for cell in cells)


def widget_notebooks(folder: Path) -> list[str]:
    """Paths (relative to `folder`, posix) of the notebooks that use bplab.widgets, sorted."""
    if not folder.is_dir():
        return []
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts and uses_widgets(path)
    )


# --- the server ---------------------------------------------------------------------------------


class LabServer:
    """A running ``jupyter lab`` on loopback, serving a temporary copy of the notebooks."""

    def __init__(self, source: Path, workdir: Path, notebooks: list[str] | None = None):
        self.root = workdir / "notebooks"
        if notebooks is None:
            shutil.copytree(source, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:  # only these notebooks (and the data files beside them)
            shutil.copytree(source, self.root, ignore=lambda folder, names: [
                n for n in names if n.endswith(".ipynb") and n not in notebooks or n == ".ipynb_checkpoints"])
        config_dir = workdir / "jupyter-config"
        for name, settings in USER_SETTINGS.items():
            path = config_dir / "lab" / "user-settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        # No "build is needed" check: it takes seconds of the server's time on every page load.
        page_config = config_dir / "labconfig" / "page_config.json"
        page_config.parent.mkdir(parents=True, exist_ok=True)
        page_config.write_text(json.dumps({"buildCheck": False, "buildAvailable": False}))
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        # Kernels must render plots as a learner's do: the inline backend, not the tests' Agg.
        env.pop("MPLBACKEND", None)
        env.update(
            JUPYTER_CONFIG_DIR=str(config_dir),
            # Kernels and extensions come from this environment only, not from ~/.local.
            JUPYTER_DATA_DIR=str(workdir / "jupyter-data"),
            JUPYTER_RUNTIME_DIR=str(workdir / "jupyter-runtime"),
        )
        command = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.open_browser=False",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self.log_path = workdir / "jupyter-lab.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_until_up(timeout=60)

    def api(self, method: str, path: str, timeout: float = 10):
        """Call the server's REST API; returns the decoded JSON (or None for an empty reply)."""
        request = urllib.request.Request(
            f"{self.base_url}{path}", method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter lab did not start; its log:\n{self.log_path.read_text()[-4000:]}")

    def url(self, notebook: str, ui: str = "lab") -> str:
        """Address of a notebook in JupyterLab (ui="lab") or Notebook 7 (ui="notebook")."""
        if ui == "lab":
            return f"{self.base_url}/lab/tree/{notebook}?reset&token={self.token}"
        return f"{self.base_url}/notebooks/{notebook}?token={self.token}"

    def shutdown_kernels(self) -> None:
        """End every session and kernel, so the next notebook starts from a clean slate."""
        for session in self.api("GET", "/api/sessions") or []:
            self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels") or []:
            self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.api("POST", "/api/shutdown", timeout=5)
                self.process.wait(timeout=15)
            except (urllib.error.URLError, ConnectionError, TimeoutError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self._log.close()


# --- running a notebook -------------------------------------------------------------------------

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


def wait_for_kernel_ready(page, server: LabServer, notebook: str, timeout: float) -> None:
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
        time.sleep(0.2)
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


def wait_until_run(page, timeout: float, quiet: float = 0.6) -> list[dict]:
    """Wait until no cell shows [*] and the kernel has been idle for `quiet` seconds; returns the cells."""
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
            if time.monotonic() - idle_since > quiet:
                return state
        else:
            idle_since = None
        time.sleep(0.2)
    running = [i for i, cell in enumerate(state) if "*" in cell["prompt"]]
    raise AssertionError(f"Run All Cells did not finish within {timeout:.0f} s; cells still running: {running}")


def open_notebook(page, server: LabServer, notebook: str, ui: str = "lab", wait: bool = True) -> None:
    """Open `notebook` in the given interface and (unless `wait` is False) wait until its kernel is ready."""
    page.goto(server.url(notebook, ui), wait_until="commit")
    if wait:
        wait_until_open(page, server, notebook)


def wait_until_open(page, server: LabServer, notebook: str) -> None:
    """Wait until an opened notebook shows its cells and its kernel is ready."""
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    wait_for_kernel_ready(page, server, notebook, timeout=60)


STDERR_PROBLEM = re.compile(r"Traceback|\w*Error\b|Exception|Warning")
WIDGET_AS_TEXT = re.compile(r"\b\w+\(children=\(")
FIGURE_AS_TEXT = re.compile(r"<Figure size \d+x\d+ with \d+ Axes>")


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


# --- explorers in the page ----------------------------------------------------------------------

# An explorer is a VBox of class bplab-explorer with an HTML readout and a PNG <img> among its direct children; the
# output area that holds it is marked too (what axe checks: the course's own markup, not the front end's chrome).
MARK_EXPLORERS_JS = """() => {
    const boxes = [...document.querySelectorAll('.jp-Notebook .widget-vbox.bplab-explorer')].filter(box => {
        const kids = [...box.children];
        return kids.some(c => c.matches('img.widget-image')) && kids.some(c => c.matches('.widget-html'));
    });
    boxes.forEach((box, i) => {
        box.setAttribute('data-bplab-explorer', String(i));
        const output = box.closest('.jp-OutputArea-output');
        if (output) output.setAttribute('data-bplab-output', String(i));
    });
    return boxes.length;
}"""

# Every control of an explorer, in screen order, each marked with data-bplab-control.
CONTROLS_JS = """box => {
    const found = [];
    const add = (el, kind, label) => {
        el.setAttribute('data-bplab-control', String(found.length));
        found.push({index: found.length, kind, label: (label || '').trim()});
    };
    const labelOf = el => { const l = el.querySelector(':scope > .widget-label'); return l ? l.innerText : ''; };
    for (const el of box.querySelectorAll(
            '.widget-slider, .widget-dropdown, .widget-play, .widget-checkbox, .widget-toggle-buttons, '
            + 'button.widget-button')) {
        if (el.closest('.widget-play') && !el.matches('.widget-play')) continue;
        if (el.matches('.widget-slider')) add(el, 'slider', labelOf(el));
        else if (el.matches('.widget-dropdown')) add(el, 'dropdown', labelOf(el));
        else if (el.matches('.widget-play')) add(el, 'play', 'play');
        else if (el.matches('.widget-checkbox')) add(el, 'checkbox', el.innerText);
        else if (el.matches('.widget-toggle-buttons')) add(el, 'toggle', labelOf(el));
        else add(el, 'button', el.innerText);
    }
    return found;
}"""

# What an explorer shows: its readout text, its picture (a hash of the PNG bytes), the picture's alt and its buttons'
# labels.
SNAPSHOT_JS = """async box => {
    const img = box.querySelector(':scope > img.widget-image');
    const html = box.querySelector(':scope > .bplab-readout .widget-html-content')
        || box.querySelector(':scope > .widget-html .widget-html-content');
    let hash = '';
    for (let attempt = 0; attempt < 3 && img && img.src; attempt++) {
        try {
            const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
            let h = 0x811c9dc5;
            for (let i = 0; i < bytes.length; i++) { h ^= bytes[i]; h = Math.imul(h, 0x01000193) >>> 0; }
            hash = bytes.length + ':' + h.toString(16);
            break;
        } catch (e) { await new Promise(r => setTimeout(r, 50)); }  // the blob was replaced meanwhile
    }
    return {readout: html ? html.innerText.trim() : '', image: hash, alt: img ? img.alt : '',
            buttons: [...box.querySelectorAll('button')].map(b => b.innerText.trim())};
}"""

# What a screen reader gets from an explorer: the picture's alt and title, the readout's live-region attributes, and
# the accessible name of each control's focus target (the slider handle's aria-label, a dropdown's <label for>, a
# button's text or aria-label).
ACCESS_JS = """box => {
    const img = box.querySelector(':scope > img.widget-image');
    const readout = box.querySelector(':scope > .bplab-readout .widget-html-content');
    const nameOf = el => {
        if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
        if (el.id) { const label = document.querySelector(`label[for="${el.id}"]`); if (label) return label.innerText; }
        return el.innerText || '';
    };
    const targets = [...box.querySelectorAll('.noUi-handle, select, button')].map(el => ({
        kind: el.matches('.noUi-handle') ? 'slider' : el.tagName.toLowerCase(),
        name: nameOf(el).trim(),
        label: el.closest('.widget-slider, .widget-dropdown')
            ? ((el.closest('.widget-slider, .widget-dropdown').querySelector(':scope > .widget-label') || {}).innerText
               || '').trim() : ''}));
    return {alt: img ? img.alt : '', title: img ? img.title : '',
            live: readout ? readout.getAttribute('aria-live') : null,
            atomic: readout ? readout.getAttribute('aria-atomic') : null, targets};
}"""

# The index of the notebook's active cell (a key that reached the notebook's shortcuts would move it).
ACTIVE_CELL_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]
    .findIndex(cell => cell.classList.contains('jp-mod-active'))"""

# The recorder: armed on one explorer before an event, it timestamps (page clock) the events that follow, every
# new picture (src set, then loaded), every readout change and every change of a button's label or state.
ARM_JS = """box => {
    const P = window.__bplab || (window.__bplab = {});
    if (!P.listening) {
        P.listening = true;
        for (const type of ['keydown', 'pointerdown', 'pointerup', 'click', 'change']) {
            document.addEventListener(type, e => {
                if (P.rec) P.rec.events.push({type, t: e.timeStamp});
            }, true);
        }
    }
    if (P.observer) P.observer.disconnect();
    const img = box.querySelector(':scope > img.widget-image');
    const html = box.querySelector(':scope > .widget-html');
    const buttons = [...box.querySelectorAll('button')];
    const rec = {armed: performance.now(), events: [], frames: [], texts: [], labels: [],
                 readout0: html ? html.innerText.trim() : ''};
    P.rec = rec;
    P.observer = new MutationObserver(records => {
        const t = performance.now();
        for (const r of records) {
            if (r.target === img && r.attributeName === 'src') rec.frames.push({src: t, load: null});
            else if (html && html.contains(r.target)) {
                const text = html.innerText.trim();
                if (!rec.texts.length || rec.texts[rec.texts.length - 1].text !== text) rec.texts.push({t, text});
            } else if (buttons.some(b => b === r.target || b.contains(r.target))) {
                rec.labels.push({t, labels: buttons.map(b => b.innerText.trim()),
                                 disabled: buttons.some(b => b.disabled)});
            }
        }
    });
    P.observer.observe(box, {subtree: true, childList: true, characterData: true, attributes: true,
                             attributeFilter: ['src', 'disabled']});
    if (img) img.onload = () => {
        const pending = rec.frames.filter(f => f.load === null);
        if (pending.length) pending[pending.length - 1].load = performance.now();
    };
    return rec.armed;
}"""

RECORD_JS = "() => { const r = window.__bplab.rec; return JSON.parse(JSON.stringify(r)); }"

# Done conditions, evaluated in the page on every animation frame.
DONE_JS = {
    # one move: a new picture has loaded, or the readout changed and no picture followed within 1.5 s
    "frame": """() => { const r = window.__bplab.rec; const now = performance.now();
        const loaded = r.frames.some(f => f.load !== null);
        return loaded || (r.texts.length > 0 && now - r.texts[0].t > 1500); }""",
    # a button: its label came back (no "working...") and it is enabled again
    "button": """() => { const r = window.__bplab.rec;
        if (!r.labels.length) return false;
        const last = r.labels[r.labels.length - 1];
        return !last.disabled && !last.labels.some(l => /working/i.test(l)); }""",
    # a drag or an animation: nothing new for `quiet` ms after the last event and the last picture
    "quiet": """quiet => { const r = window.__bplab.rec; const now = performance.now();
        if (r.frames.some(f => f.load === null && now - f.src < 5000)) return false;
        const times = [r.armed, ...r.events.map(e => e.t), ...r.frames.map(f => f.load || f.src),
                       ...r.texts.map(x => x.t)];
        return now - Math.max(...times) > quiet; }""",
}


def mark_explorers(page) -> int:
    """Mark every explorer on the page (data-bplab-explorer="i"); returns how many."""
    return page.evaluate(MARK_EXPLORERS_JS)


def explorer(page, index: int):
    return page.locator(f'[data-bplab-explorer="{index}"]')


def controls(box) -> list[dict]:
    """The explorer's controls in screen order: {"index", "kind", "label"}, kind one of slider, dropdown, play,
    checkbox, toggle, button."""
    return box.evaluate(CONTROLS_JS)


def control(box, index: int):
    return box.locator(f'[data-bplab-control="{index}"]')


def snapshot(box) -> dict:
    """The explorer's readout text, a hash of its picture's bytes, the picture's alt and its button labels."""
    return box.evaluate(SNAPSHOT_JS)


def access(box) -> dict:
    """What a screen reader gets from the explorer: see ACCESS_JS."""
    return box.evaluate(ACCESS_JS)


def active_cell(page) -> int:
    return page.evaluate(ACTIVE_CELL_JS)


def arm(box) -> float:
    """Start recording this explorer's events, pictures and readouts; returns the page time it started."""
    return box.evaluate(ARM_JS)


def record(page) -> dict:
    return page.evaluate(RECORD_JS)


def wait_done(page, condition: str, timeout: float, quiet_ms: float = 800) -> bool:
    """Wait (in the page, on animation frames) for a done condition of DONE_JS; False on timeout."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(DONE_JS[condition], arg=quiet_ms, polling="raf", timeout=timeout * 1000)
        return True
    except PlaywrightTimeout:
        return False


def wait_quiet(page, box, quiet_ms: float = 400, timeout: float = 30) -> bool:
    """Wait until the explorer has drawn nothing new for `quiet_ms` (its queued updates are done)."""
    arm(box)
    return wait_done(page, "quiet", timeout, quiet_ms)


# --- moving controls ----------------------------------------------------------------------------


def slider_value(slider) -> str:
    """The value a slider shows (its readout)."""
    return slider.locator(".widget-readout").first.inner_text().strip()


def press_slider(page, slider, key: str) -> tuple[str, str]:
    """Focus a slider's handle and press `key` (ArrowRight, ArrowLeft...); returns the value before and after."""
    handle = slider.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    before = slider_value(slider)
    page.keyboard.press(key)
    return before, slider_value(slider)


def focus_target(control, kind: str):
    """The element of a control that takes the keyboard focus: a slider's handle, a dropdown's <select>, a Play
    widget's play button, a button itself."""
    if kind == "slider":
        return control.locator(".noUi-handle").first
    if kind == "dropdown":
        return control.locator("select").first
    if kind == "play":
        return control.locator("button").first
    return control


def has_focus(element) -> bool:
    return element.evaluate("el => el === document.activeElement")


def tab_to(page, target, start=None, limit: int = 8) -> int:
    """Reach `target` with the Tab key, as a keyboard user would: from `start` (focused first), at most `limit`
    presses; returns how many it took (0: `start` is the target). Fails when Tab never gets there."""
    if start is not None:
        start.scroll_into_view_if_needed()
        start.focus()
    for presses in range(limit + 1):
        if has_focus(target):
            return presses
        page.keyboard.press("Tab")
    raise AssertionError(f"{limit} presses of Tab did not reach the control (focus is on "
                         f"{page.evaluate('() => document.activeElement.outerHTML.slice(0, 120)')})")


def dropdown_size(dropdown) -> int:
    return dropdown.locator("select").first.evaluate("s => s.options.length")


def pick_next(dropdown) -> tuple[int, int]:
    """Pick a dropdown's next choice (wrapping around), as a learner's click on it would; returns the index before
    and after. Headless Chromium opens no popup for a <select>, so the choice is made with Playwright's
    select_option, which fires the same input and change events."""
    select = dropdown.locator("select").first
    select.scroll_into_view_if_needed()
    before = select.evaluate("s => s.selectedIndex")
    select.select_option(index=(before + 1) % dropdown_size(dropdown))
    return before, select.evaluate("s => s.selectedIndex")


def drag_slider(page, slider, fraction: float = 1 / 3, steps: int = 8, pause: float = 0.04,
                direction: int | None = None) -> tuple[str, str]:
    """Drag a slider's handle with the mouse `fraction` of its track, in `steps` moves; returns the value before
    and after. It drags right (`direction` 1), left (-1), or by default towards the farther end, so the handle
    always moves."""
    slider.scroll_into_view_if_needed()
    handle = slider.locator(".noUi-handle").first
    track = slider.locator(".noUi-target").first
    before = slider_value(slider)
    hb, tb = handle.bounding_box(), track.bounding_box()
    assert hb and tb, "the slider has no visible handle: it did not render as a slider"
    x0, y0 = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
    if direction is None:
        direction = 1 if x0 < tb["x"] + tb["width"] / 2 else -1
    dx = tb["width"] * fraction * direction
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, steps + 1):
        page.mouse.move(x0 + dx * step / steps, y0)
        time.sleep(pause)
    page.mouse.up()
    return before, slider_value(slider)


@dataclass
class Move:
    """One timed event on a control and what the page saw after it (times in ms on the page's clock)."""

    kind: str  # key, choice, click, drag, play
    changed: bool  # the control's value changed (False: at a bound, nothing recomputed)
    done: bool  # the done condition was met before the timeout
    event: float | None = None  # the first key press, pointer press or click
    release: float | None = None  # the pointer release of a drag
    frames: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    readout_before: str = ""

    @property
    def picture(self) -> float | None:
        """When the last new picture had loaded (None: no new picture)."""
        loads = [f["load"] for f in self.frames if f["load"] is not None]
        return max(loads) if loads else None

    @property
    def readout(self) -> float | None:
        """When the readout last changed (None: it did not)."""
        return self.texts[-1]["t"] if self.texts else None

    @property
    def latency(self) -> float | None:
        """Event to the moment the new picture and the new readout are both in the page, in ms."""
        ends = [t for t in (self.picture, self.readout) if t is not None]
        if self.event is None or not ends:
            return None
        return max(ends) - self.event

    @property
    def lag_after_release(self) -> float | None:
        """A drag: from the pointer release to the final picture, in ms (0 when it was already there)."""
        if self.release is None:
            return None
        ends = [t for t in (self.picture, self.readout) if t is not None]
        return max(0.0, max(ends) - self.release) if ends else None

    @property
    def working_shown(self) -> float | None:
        """When a "working..." state first showed (a button label or the readout), ms after the event."""
        times = [x["t"] for x in self.labels if any(re.search("working", s, re.I) for s in x["labels"])]
        times += [x["t"] for x in self.texts if re.search("working", x["text"], re.I)]
        return min(times) - self.event if times and self.event is not None else None


def _move(page, box, kind: str, act, condition: str, timeout: float, quiet_ms: float = 800) -> Move:
    arm(box)
    changed = act()
    done = wait_done(page, condition, timeout, quiet_ms) if changed else False
    rec = record(page)
    starts = [e["t"] for e in rec["events"] if e["type"] in ("keydown", "pointerdown", "click")]
    starts = starts or [e["t"] for e in rec["events"] if e["type"] == "change"]  # a choice picked by script
    releases = [e["t"] for e in rec["events"] if e["type"] == "pointerup"]
    return Move(kind=kind, changed=changed, done=done, event=min(starts) if starts else None,
                release=max(releases) if kind == "drag" and releases else None, frames=rec["frames"],
                texts=rec["texts"], labels=rec["labels"], readout_before=rec["readout0"])


def key_move(page, box, slider, key: str, timeout: float = 15) -> Move:
    """Press `key` on a slider's handle; time until the new picture and readout are in the page."""
    return _move(page, box, "key", lambda: (lambda b, a: a != b)(*press_slider(page, slider, key)), "frame", timeout)


def choice_move(page, box, dropdown, timeout: float = 15) -> Move:
    """Pick the next choice of a dropdown; time it from the change event."""
    return _move(page, box, "choice", lambda: (lambda b, a: a != b)(*pick_next(dropdown)), "frame", timeout)


def drag_move(page, box, slider, fraction: float = 1 / 3, timeout: float = 30, quiet_ms: float = 800) -> Move:
    """Drag a slider across several positions and release; waits until no new picture came for `quiet_ms`."""
    return _move(page, box, "drag", lambda: (lambda b, a: a != b)(*drag_slider(page, slider, fraction)), "quiet",
                 timeout, quiet_ms)


def click_move(page, box, button, timeout: float = 60) -> Move:
    """Click a button (Train...) with the mouse; waits until its label is back and it is enabled again."""
    button.scroll_into_view_if_needed()

    def act():
        button.click()
        return True

    return _move(page, box, "click", act, "button", timeout)


def play_move(page, box, play, seconds: float = 2.0) -> Move:
    """Click a Play widget's play button, let it run `seconds`, pause it; records the pictures it drew."""
    buttons = play.locator("button")
    buttons.first.scroll_into_view_if_needed()

    def act():
        buttons.first.click()
        time.sleep(seconds)
        buttons.first.click()  # pause (the second button, stop, would go back to the start)
        return True

    return _move(page, box, "play", act, "quiet", 30, 800)
