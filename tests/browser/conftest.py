"""Fixtures of the real-browser widget tests: one JupyterLab server and one headless Chromium per run.

The server runs from this virtual environment (``sys.executable -m jupyter lab``) on a free loopback
port with a random token. Its root is a temporary copy of ``notebooks/``, so a run never writes into
the repository, and its config dir is a fresh temporary folder, so the learner's own Jupyter settings
play no part. News, update checks and the extension manager's PyPI lookups are switched off: the
tests need no network beyond loopback.

Chromium is Debian's (``apt-get install chromium``), driven by the ``playwright`` Python package
through ``executable_path``: no browser is downloaded. Without either, these tests skip with a
message saying how to install Chromium; every other test still runs. Where ``BPLAB_REQUIRE_BROWSER=1``
(``.ci/run`` sets it), a browser that cannot run fails the run instead.

``BPLAB_BROWSER_NOTEBOOKS=/some/folder`` points the tests at another folder of notebooks
(used while developing the tests themselves).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = Path(os.environ.get("BPLAB_BROWSER_NOTEBOOKS", REPO / "notebooks")).resolve()
ARTIFACTS = REPO / "test-artifacts" / "browser"
INSTALL_HINT = "install Debian's chromium (sudo apt-get install chromium) to run the browser tests"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
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


def find_chromium() -> str | None:
    """Path of the system Chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """A running ``jupyter lab`` on loopback, serving a temporary copy of the notebooks."""

    def __init__(self, source: Path, workdir: Path):
        self.root = workdir / "notebooks"
        shutil.copytree(source, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
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


def _cannot_run(reason: str):
    """Skip on a learner's machine; fail where the browser is required (CI sets BPLAB_REQUIRE_BROWSER=1)."""
    if os.environ.get("BPLAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"BPLAB_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _cannot_run(f"chromium not found: {INSTALL_HINT}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _cannot_run(f"the playwright package is missing (pip install -e '.[test]'); {INSTALL_HINT}")
    return path


@pytest.fixture(scope="session")
def lab_server(chromium_path):
    """One JupyterLab server for the whole run (xdist --dist loadscope keeps this module on one worker)."""
    workdir = Path(tempfile.mkdtemp(prefix="bplab-browser-"))
    server = LabServer(NOTEBOOKS_DIR, workdir)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the whole run.

    Playwright gives every launch a fresh, temporary user data dir, deleted on close.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, lab_server):
    """A fresh browser tab (own cookies and storage); its kernels are shut down afterwards."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda msg: msg.type == "error" and tab.console_errors.append(msg.text))
    tab.on("pageerror", lambda err: tab.console_errors.append(str(err)))
    try:
        yield tab
    finally:
        context.close()
        lab_server.shutdown_kernels()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
