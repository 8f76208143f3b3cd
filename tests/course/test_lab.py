"""`make lab`, the course's first command: it starts the course for root and for a normal user, prints the address
first, serves notebook 00 with the widget extension, logs no tooling warnings, installs no test tooling, and gives
JupyterLab's terminal the course's `bplab`; and README's grading command works in a fresh shell after `make install`.

The server tests run the Makefile target itself, with --no-browser on a free loopback port, and stop it afterwards.
As root, the normal-user run goes through `unshare --user --map-user=1000`: the same command line, with uid 1000 and
none of root's privileges outside that user namespace (files stay readable, so no copy of the checkout is needed).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from bplab.course.lab import command, free_port, option, server_environment

REPO = Path(__file__).resolve().parents[2]
URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab/tree/notebooks/00-start-here\.ipynb\?token=([0-9a-f]+)")
IS_ROOT = os.geteuid() == 0


def test_root_gets_allow_root_and_a_normal_user_does_not():
    as_root, url = command(["--no-browser", "--port", "8890"], is_root=True, token="abc")
    as_user, _ = command(["--no-browser", "--port", "8890"], is_root=False, token="abc")
    assert "--allow-root" in as_root and "--allow-root" not in as_user
    assert url == "http://127.0.0.1:8890/lab/tree/notebooks/00-start-here.ipynb?token=abc"
    assert as_user[-3:] == ["--no-browser", "--port", "8890"], "the learner's ARGS reach jupyter lab unchanged"
    assert "--IdentityProvider.token=abc" in as_user
    assert f"--ServerApp.root_dir={REPO}" in as_user, "the server's root is the course, so exercises/ is reachable"


def test_options_are_read_in_both_spellings():
    assert option(["--port=9000"], "port") == "9000"
    assert option(["--ServerApp.ip", "0.0.0.0"], "ip") == "0.0.0.0"
    assert option(["--no-browser"], "port") is None
    _, url = command(["--ip", "0.0.0.0", "--port", "9001"], is_root=False, token="t")
    assert url.startswith("http://127.0.0.1:9001/"), "an address a browser on the same machine can open"


def test_the_server_puts_the_course_environment_first_on_path_and_starts_no_login_shell():
    env = server_environment({"PATH": "/usr/bin:/bin:/venv/bin", "HOME": "/h"}, executable="/venv/bin/python")
    assert env["PATH"] == "/venv/bin:/usr/bin:/bin" and env["HOME"] == "/h"  # first, and only once
    venv = REPO / ".venv" / "bin"
    if (venv / "bplab").exists():
        found = shutil.which("bplab", path=server_environment({"PATH": "/usr/bin:/bin"}, str(venv / "python"))["PATH"])
        assert found == str(venv / "bplab")
    cmd, _ = command([], is_root=False, token="t")
    assert any(arg.startswith("--ServerApp.terminado_settings=shell_command=") for arg in cmd)
    cmd, _ = command(["--ServerApp.terminado_settings=shell_command=zsh"], is_root=False, token="t")
    assert sum("terminado_settings" in arg for arg in cmd) == 1  # the learner's choice wins


def test_a_busy_port_is_skipped():
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert free_port("127.0.0.1", start=port) > port


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=60) as response:  # a loaded CI machine answers slowly
        return response.status, response.read()


def _run_make_lab(prefix: list[str], tmp_path: Path) -> dict:
    """Start `make lab` (behind prefix), check what a learner gets, stop it; return what was seen."""
    # The first `make lab` installs the learner's .venv; install first so the log read below is the server's alone.
    subprocess.run([*prefix, "make", "--no-print-directory", "install"], cwd=REPO, check=True, capture_output=True,
                   timeout=900)
    port = free_port("127.0.0.1", start=18900)
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER_TOKEN", "PYTEST", "COV_"))}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([*prefix, "make", "--no-print-directory", "lab", f"ARGS=--no-browser --port {port}"],
                                   cwd=REPO, stdout=stdout, stderr=stderr, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 300  # generous: CI runs other heavy tests beside this one
        seen: dict = {}
        while time.monotonic() < deadline:
            assert process.poll() is None, f"make lab stopped (exit {process.returncode}):\n{err.read_text()[-3000:]}"
            match = URL.search(out.read_text())
            if match and "token" not in seen:
                seen["token"] = match.group(2)
                assert int(match.group(1)) == port
            if "token" in seen:
                try:
                    status, body = _get(f"http://127.0.0.1:{port}/api/status?token={seen['token']}")
                    if status == 200:
                        break
                except OSError:
                    pass
            time.sleep(0.5)
        else:
            pytest.fail(f"make lab did not answer on port {port} within 300 s:\n{err.read_text()[-3000:]}")
        token = seen["token"]
        status, body = _get(f"http://127.0.0.1:{port}/api/contents/notebooks/00-start-here.ipynb?content=0&token={token}")
        seen["notebook"] = json.loads(body)
        status, body = _get(f"http://127.0.0.1:{port}/lab/api/extensions?token={token}")
        seen["extensions"] = {ext["name"]: ext for ext in json.loads(body)}
        status, body = _get(f"http://127.0.0.1:{port}/lab/tree/notebooks/00-start-here.ipynb?token={token}")
        config = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', body, re.DOTALL)
        seen["page_config"] = json.loads(config.group(1))
        time.sleep(1.0)  # let the server finish its start-up log
        seen["stdout"], seen["stderr"] = out.read_text(), err.read_text()
        seen["terminal"] = _terminal_output(port, token, "command -v bplab; echo BPLAB-$((40+2))-END")
        return seen
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _terminal_output(port: int, token: str, line: str) -> str:
    """What JupyterLab's terminal prints for `line` (a new terminal through the server's REST API and websocket)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from tornado.websocket import websocket_connect

    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/terminals?token={token}", data=b"{}",
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        name = json.loads(response.read())["name"]

    async def talk() -> str:
        socket = await websocket_connect(f"ws://127.0.0.1:{port}/terminals/websocket/{name}?token={token}")
        await socket.write_message(json.dumps(["stdin", line + "\r"]))
        out, deadline = "", time.monotonic() + 120
        while "BPLAB-42-END" not in out and time.monotonic() < deadline:
            message = await asyncio.wait_for(socket.read_message(), timeout=max(1.0, deadline - time.monotonic()))
            if message is None:
                break
            kind, *rest = json.loads(message)
            if kind == "stdout":
                out += rest[0]
        socket.close()
        return out

    with ThreadPoolExecutor(1) as pool:  # a loop of its own (a test before may have left one in this thread)
        return pool.submit(asyncio.run, talk()).result()


def _check_learner_sees_the_course(seen: dict) -> None:
    first_line = seen["stdout"].strip().splitlines()[0]
    assert first_line.startswith("bplab: the course is starting"), "the address comes before the server log"
    assert seen["notebook"]["name"] == "00-start-here.ipynb" and seen["notebook"]["type"] == "notebook"
    manager = seen["extensions"].get("jupyter-widgets-jupyterlab-manager")  # the extension manager's spelling
    assert manager and manager["enabled"], "the widget extension is installed and enabled"
    page = seen["page_config"]
    assert "@jupyter-widgets/jupyterlab-manager" in {ext["name"] for ext in page["federated_extensions"]}
    assert not any(name.startswith("@jupyter-widgets") for name in page.get("disabledExtensions", []))
    log = seen["stderr"]
    for bad in ("Traceback", "nbgrader", "WARNING", "[W ", "[E "):
        assert bad not in log, f"the learner's start-up log shows {bad!r}:\n{log}"
    venv = REPO / ".venv" / "bin"
    assert f"{venv}/bplab" in seen["terminal"], (  # (`python` may be another: a shell's rc file can put pyenv first)
        "JupyterLab's terminal should find the course's bplab with nothing activated:\n" + seen["terminal"])


@pytest.mark.skipif(not IS_ROOT, reason="not root here: the root run is tested where the tests run as root (CI)")
def test_make_lab_starts_the_course_as_root(tmp_path):
    seen = _run_make_lab([], tmp_path)
    _check_learner_sees_the_course(seen)
    venv_python = REPO / ".venv" / "bin" / "python"
    found = subprocess.run([str(venv_python), "-c", "import importlib.util as u; print([m for m in "
                            "('nbgrader', 'nbval', 'pytest', 'playwright', 'ruff') if u.find_spec(m)])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[]", f"the learner's .venv holds test or instructor tooling {found} (an old .venv? make clean)"

def test_make_lab_starts_the_course_as_a_normal_user(tmp_path):
    if IS_ROOT:
        prefix = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]  # the same command line, as uid 1000
        if shutil.which("unshare") is None or subprocess.run([*prefix, "true"]).returncode != 0:
            pytest.fail("as root, this test runs make lab as uid 1000 through `unshare --user`, which fails here")
    else:
        prefix = []
    seen = _run_make_lab(prefix, tmp_path)
    _check_learner_sees_the_course(seen)


def _readme_grade_command() -> str:
    """README's learner step: the grading command, as a learner types it in the course folder."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"`(\.venv/bin/bplab grade exercises/\d\d-[a-z0-9-]+\.ipynb)`", readme)
    assert found, "README's learner steps should give `.venv/bin/bplab grade exercises/NN-....ipynb` (issue 20)"
    return found.group(1)


def test_readmes_grading_command_works_in_a_fresh_shell_after_make_install(tmp_path):
    """The learner's words, in a new shell with nothing activated (env -i, a minimal PATH), after `make install`;
    the same as `python -m bplab`, and from inside the notebook (`learner_score`, the kernel in exercises/)."""
    subprocess.run(["make", "--no-print-directory", "install"], cwd=REPO, check=True, capture_output=True, timeout=900)
    words = _readme_grade_command()
    notebook = words.rsplit("/", 1)[1]
    fresh = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={tmp_path}", "LANG=C.UTF-8"]
    learner_score = f"from bplab.course.grading import learner_score; learner_score({notebook!r})"
    for argv, cwd in [(["sh", "-c", words], REPO),
                      (["sh", "-c", words.replace(".venv/bin/bplab", ".venv/bin/python -m bplab")], REPO),
                      (["sh", "-c", f"../.venv/bin/python -c {shlex.quote(learner_score)}"], REPO / "exercises")]:
        done = subprocess.run([*fresh, *argv], cwd=cwd, capture_output=True, text=True, timeout=600)
        shown = done.stdout + done.stderr
        assert done.returncode == 0, shown
        assert "visible tests only: your instructor's grading adds hidden tests" in done.stdout, shown
        assert "not attempted" in done.stdout and "_tests" in done.stdout, shown  # the fresh exercise's table
        assert "Traceback" not in shown and "WARNING" not in shown, shown
