"""A real JupyterHub on loopback for the workshop rehearsal (tests/hub/test_hub_workshop.py).

JupyterHub from PyPI with configurable-http-proxy from the npm registry (installed into build/hub-node by
``ensure_proxy``: npm into a local folder, nothing global), the dummy authenticator, the local-process spawner
with a home per learner under a temporary folder, and single-user servers from this environment (bplab and
nbgitpuller installed). Learners talk to it as a browser would: log in with the form, follow the nbgitpuller link,
then use the Jupyter server's REST API and the kernel websocket (Jupyter's JSON websocket protocol).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import requests

from bplab.course.workshop import PAGE_CONFIG, SERVER_CONFIG

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = REPO / "build" / "hub-node"
PROXY_PACKAGE = "configurable-http-proxy@5"


def ensure_proxy() -> str:
    """Path of configurable-http-proxy, installed with npm into build/hub-node if it is not there yet."""
    binary = NODE_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm not found: install Node.js (20 or later) to run the JupyterHub rehearsal")
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund", "--loglevel=error", PROXY_PACKAGE],
            check=True, capture_output=True, text=True, timeout=600,
        )
    return str(binary)


HUB_NICE = -10  # the hub's and proxy's priority (docs/instructors.md: CPUWeight=1000), see Hub.as_the_guide_advises


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


HUB_CONFIG = """
import sys
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.JupyterHub.db_url = "sqlite:///{workdir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{workdir}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{workdir}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{workdir}/home/{{username}}"
c.Spawner.cmd = [{users_python!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.args = ["--ServerApp.allow_root=True"]  # the rehearsal runs as root; the rest is SERVER_CONFIG's
c.Spawner.environment = {{"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                         "JUPYTER_CONFIG_PATH": "{users_config}"}}
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.active_server_limit = 0
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 0}}
c.JupyterHub.services = [{{"name": "rehearsal", "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "rehearsal",
    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "read:users", "read:hub", "shutdown"],
    "services": ["rehearsal"],
}}]
"""


class Hub:
    """A running JupyterHub; ``api`` calls its REST API as the rehearsal's admin service."""

    def __init__(self, workdir: Path, users_python: str = sys.executable):
        """``users_python``: the Python of the learners' environment (bplab, jupyterhub and nbgitpuller installed)."""
        self.workdir = workdir
        (workdir / "home").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_hex(8)
        self.token = secrets.token_hex(24)
        self.users_config = workdir / "users-config"
        self.users_config.mkdir(exist_ok=True)
        # the learners' server settings, as docs/instructors.md gives them for a hub on one machine
        (self.users_config / "jupyter_server_config.json").write_text(json.dumps(SERVER_CONFIG, indent=1))
        (self.users_config / "labconfig").mkdir(exist_ok=True)
        (self.users_config / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG, indent=1))
        config = workdir / "jupyterhub_config.py"
        config.write_text(HUB_CONFIG.format(
            port=self.port, hub_port=free_port(), proxy=ensure_proxy(), proxy_api_port=free_port(),
            proxy_token=secrets.token_hex(24), workdir=workdir, password=self.password,
            service_token=self.token, users_python=users_python, users_config=self.users_config,
        ))
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)
        # The users' environment's bin first: their servers and kernels run its python.
        env["PATH"] = f"{Path(users_python).parent}{os.pathsep}{env.get('PATH', '')}"
        env["JUPYTERHUB_CRYPT_KEY"] = secrets.token_hex(32)
        self.log_path = workdir / "jupyterhub.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # a service of its own, as on a real hub: not in this test's (the laptops') session
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                self.api("GET", "/info")
                self.priority = self.as_the_guide_advises()
                return
            except (requests.RequestException, RuntimeError):
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterHub did not start; its log:\n{self.log_path.read_text()[-5000:]}")

    def as_the_guide_advises(self) -> str:
        """The hub and its proxy first on the cores, as docs/instructors.md advises (systemd's CPUWeight=1000 for
        their services, ten times a learner's server's): every learner's login, spawn, redirect and request passes
        through them, so a room of starting servers must not keep them waiting. Here: their sessions' autogroup
        nice -10 (weight 9548 against a learner's 1024). Returns what was done, for the results."""
        processes = [psutil.Process(self.process.pid)]
        proxy = self.proxy_pid()
        if proxy:
            processes.append(psutil.Process(proxy))
        return first_on_the_cores(processes, nice=HUB_NICE)

    def api(self, method: str, path: str, **kwargs):
        reply = requests.request(
            method, f"{self.url}/hub/api{path}", headers={"Authorization": f"token {self.token}"}, timeout=60,
            **kwargs,
        )
        if reply.status_code >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {reply.status_code} {reply.text[:300]}")
        return reply.json() if reply.content else None

    def user_token(self, name: str) -> str:
        return self.api("POST", f"/users/{name}/tokens", json={"note": "rehearsal", "expires_in": 3600})["token"]

    def wait_ready(self, name: str, timeout: float = 600) -> None:
        """Wait for the learner's server as the hub's spawn-pending page does: one progress event stream (the
        page's EventSource), not a poll of the API every half second (which made the hub answer 350 requests
        while it was starting the class's servers)."""
        url = f"{self.url}/hub/api/users/{name}/server/progress"
        with requests.get(url, headers={"Authorization": f"token {self.token}"}, stream=True,
                          timeout=(60, timeout)) as reply:
            if reply.status_code < 400:
                for line in reply.iter_lines(decode_unicode=True):
                    if not line or not line.startswith("data:"):
                        continue
                    event = json.loads(line[5:])
                    if event.get("ready"):
                        return
                    if event.get("failed"):
                        raise AssertionError(f"{name}'s server failed to start: {event.get('message')}")
        server = (self.api("GET", f"/users/{name}").get("servers") or {}).get("")  # the stream ended: look once
        if not (server and server.get("ready")):
            raise AssertionError(f"{name}'s server was not ready (progress stream: HTTP {reply.status_code})")

    def proxy_pid(self) -> int | None:
        """The configurable-http-proxy the hub started (a child of the hub process)."""
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if "configurable-http-proxy" in " ".join(child.cmdline()):
                    return child.pid
            except psutil.Error:
                continue
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            try:  # stop every learner's server, then the hub and its proxy
                self.api("POST", "/shutdown", json={"servers": True, "proxy": True})
                self.process.wait(timeout=60)
            except (requests.RequestException, RuntimeError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self._log.close()


def login(hub: Hub, name: str) -> requests.Session:
    """Log in with the hub's form, as a browser does (the _xsrf cookie, then the POST)."""
    session = requests.Session()
    session.get(f"{hub.url}/hub/login", timeout=60).raise_for_status()
    reply = session.post(
        f"{hub.url}/hub/login?next=",
        data={"username": name, "password": hub.password, "_xsrf": session.cookies.get("_xsrf", path="/hub/")},
        timeout=120, allow_redirects=False,
    )
    if reply.status_code != 302:
        raise AssertionError(f"{name}: login failed with HTTP {reply.status_code}")
    return session


def follow_pull_link(hub: Hub, session: requests.Session, name: str, link: str, marks: dict | None = None) -> str:
    """Follow the nbgitpuller link: spawns the server (waiting like the spawn page does), then lands on the
    git-pull page of the learner's server; returns its URL. ``marks`` gets the time.monotonic() of the spawn page
    ("pending") and of the hub's word that the server is ready ("ready")."""
    marks = {} if marks is None else marks
    reply = session.get(link, timeout=300)
    marks["pending"] = time.monotonic()
    if "/hub/spawn-pending/" in reply.url or "/hub/spawn" in reply.url:
        hub.wait_ready(name)
        marks["ready"] = time.monotonic()
        reply = session.get(link, timeout=300)
    reply.raise_for_status()
    if f"/user/{name}/git-pull" not in reply.url:
        raise AssertionError(f"{name}: the nbgitpuller link ended at {reply.url}")
    return reply.url


def pull(session: requests.Session, page_url: str, repo: str, branch: str, targetpath: str) -> list[str]:
    """What the git-pull page's script does: stream the sync API until it says finished; returns its output."""
    base = page_url.split("/git-pull", 1)[0]
    reply = session.get(
        f"{base}/git-pull/api", params={"repo": repo, "branch": branch, "targetpath": targetpath},
        stream=True, timeout=300,
    )
    reply.raise_for_status()
    output: list[str] = []
    for line in reply.iter_lines(decode_unicode=True):
        if not line or not line.startswith("data:"):
            continue
        event = json.loads(line[5:])
        if "output" in event:
            output.append(event["output"])
        if event.get("phase") == "error":
            raise AssertionError("nbgitpuller failed:\n" + "".join(output)[-2000:])
        if event.get("phase") == "finished":
            return output
    raise AssertionError("nbgitpuller's stream ended without 'finished':\n" + "".join(output)[-2000:])


class ServerAPI:
    """A learner's single-user server, through the hub's proxy, with the learner's token."""

    def __init__(self, hub: Hub, name: str, token: str):
        self.base = f"{hub.url}/user/{name}"
        self.name = name
        self.headers = {"Authorization": f"token {token}"}

    def call(self, method: str, path: str, **kwargs):
        reply = requests.request(method, f"{self.base}{path}", headers=self.headers, timeout=120, **kwargs)
        if reply.status_code >= 400:
            raise AssertionError(f"{self.name}: {method} {path}: HTTP {reply.status_code} {reply.text[:300]}")
        return reply.json() if reply.content else None

    def notebook(self, path: str) -> dict:
        return self.call("GET", f"/api/contents/{path}", params={"content": "1"})["content"]


class Kernel:
    """A kernel of a learner's server, driven over its websocket with Jupyter's JSON protocol."""

    def __init__(self, server: ServerAPI, notebook: str):
        """Open ``notebook`` as JupyterLab does: a session, whose kernel runs in the notebook's folder."""
        self.server = server
        self.opened = time.monotonic()
        reply = server.call("POST", "/api/sessions", json={
            "path": notebook, "name": notebook.rsplit("/", 1)[-1], "type": "notebook", "kernel": {"name": "python3"}})
        self.session_id = reply["id"]
        self.id = reply["kernel"]["id"]
        self.session = uuid.uuid4().hex
        self.comms: dict[str, dict] = {}  # comm id -> latest widget state
        self.errors: list[str] = []
        self.drops: list[str] = []  # websocket closes the kernel survived (reconnected)
        self.ws = None
        # What the run measured: seconds from opening to the kernel's first reply (kernel_info, as JupyterLab asks
        # when it connects) and the kernel's CPU then; each code's wall time and CPU; the button press's.
        self.ready_wall: float | None = None
        self.ready_cpu: float | None = None
        self.timings: list[dict] = []
        self.click_timing: dict | None = None

    def _message(self, msg_type: str, content: dict, channel: str = "shell") -> dict:
        return {
            "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": self.server.name,
                       "session": self.session, "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": [],
        }

    async def _connect(self):
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = f"{self.server.base.replace('http://', 'ws://')}/api/kernels/{self.id}/channels?session_id={self.session}"
        self.ws = await websocket_connect(HTTPRequest(url, headers=self.server.headers, request_timeout=120))

    async def _read(self, deadline: float) -> dict:
        """The next kernel message. A closed websocket is reopened with the same session, as JupyterLab does: the
        server buffers the kernel's messages meanwhile and replays them. A kernel that died or restarted fails."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.server.name}: no reply from the kernel before the deadline")
            raw = await asyncio.wait_for(self.ws.read_message(), left)
            if raw is not None:
                message = decode(raw)
                state = message["content"].get("execution_state") if message["header"]["msg_type"] == "status" else None
                if state in ("restarting", "dead"):
                    raise AssertionError(f"{self.server.name}: the kernel is {state} (it died while running)")
                return message
            why = f"code {self.ws.close_code}, reason {self.ws.close_reason!r}"
            self.drops.append(why)
            if len(self.drops) > 3:
                raise AssertionError(f"{self.server.name}: the kernel websocket closed {len(self.drops)} times: "
                                     + "; ".join(self.drops))
            await asyncio.sleep(1)
            await self._connect()

    def _track(self, message: dict) -> None:
        kind, content = message["header"]["msg_type"], message["content"]
        if kind == "comm_open":
            self.comms[content["comm_id"]] = dict(content.get("data", {}).get("state", {}))
        elif kind == "comm_msg" and content.get("data", {}).get("method") == "update":
            self.comms.setdefault(content["comm_id"], {}).update(content["data"].get("state", {}))
        elif kind == "error":
            self.errors.append(f"{content['ename']}: {content['evalue']}")

    async def _send(self, msg_type: str, content: dict, deadline: float) -> None:
        """Send one request and read (tracking widgets and errors) until the kernel is idle after it."""
        request = self._message(msg_type, content)
        await self.ws.write_message(json.dumps(request))
        msg_id = request["header"]["msg_id"]
        while True:
            message = await self._read(deadline)
            self._track(message)
            if (message["header"]["msg_type"] == "status" and message["parent_header"].get("msg_id") == msg_id
                    and message["content"]["execution_state"] == "idle"):
                return

    async def _run(self, codes: list[str], click: str | None, timeout: float, cpu) -> None:
        await self._connect()
        try:
            deadline = time.monotonic() + timeout
            if self.ready_wall is None:
                await self._send("kernel_info_request", {}, deadline)
                self.ready_wall, self.ready_cpu = time.monotonic() - self.opened, cpu()
            for code in codes:
                cpu0, wall0 = cpu(), time.monotonic()
                await self._send("execute_request", {"code": code, "silent": False, "store_history": True,
                                                     "user_expressions": {}, "allow_stdin": False,
                                                     "stop_on_error": True}, deadline)
                self.timings.append({"code": code, "wall_s": time.monotonic() - wall0, "cpu_s": cpu() - cpu0})
                if self.errors:
                    raise AssertionError(f"{self.server.name}: cell failed: {self.errors[0]}\n{code[:300]}")
            if click:
                buttons = [cid for cid, s in self.comms.items()
                           if s.get("_model_name") == "ButtonModel" and s.get("description") == click]
                if len(buttons) != 1:
                    raise AssertionError(f"{self.server.name}: expected one {click!r} button, found {len(buttons)}")
                comm = buttons[0]
                cpu0, wall0 = cpu(), time.monotonic()
                await self._send("comm_msg", {"comm_id": comm, "data": {"method": "custom",
                                                                         "content": {"event": "click"}}}, deadline)
                while self.comms[comm].get("description") != click or self.comms[comm].get("disabled"):
                    self._track(await self._read(deadline))
                self.click_timing = {"wall_s": time.monotonic() - wall0, "cpu_s": cpu() - cpu0}
                if self.errors:
                    raise AssertionError(f"{self.server.name}: the {click!r} button failed: {self.errors[0]}")
        finally:
            self.ws.close()

    def close(self) -> None:
        """Close the notebook: its session and kernel end."""
        self.server.call("DELETE", f"/api/sessions/{self.session_id}")

    def run(self, codes: list[str], click: str | None = None, timeout: float = 420, cpu=lambda: 0.0) -> None:
        """Execute each code in order (stop at the first error); then click the button labelled ``click``.
        ``cpu()``: the kernel's CPU seconds so far, read before and after each code (the kernel is idle between)."""
        asyncio.run(self._run(codes, click, timeout, cpu))


def decode(raw: str | bytes) -> dict:
    """A kernel websocket message: JSON text, or Jupyter's binary frame (count, offsets, JSON, buffers)."""
    if isinstance(raw, str):
        return json.loads(raw)
    count = struct.unpack("!I", raw[:4])[0]
    offsets = struct.unpack(f"!{count}I", raw[4 : 4 + 4 * count])
    end = offsets[1] if count > 1 else len(raw)
    return json.loads(raw[offsets[0] : end].decode("utf-8"))


def code_cells(notebook: dict, keep=lambda source: True) -> list[str]:
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code" and keep("".join(c["source"]))]


def processes_of(name: str) -> tuple[psutil.Process, list[psutil.Process]]:
    """The learner's single-user server and its kernels."""
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if "jupyterhub.singleuser" in cmdline or "jupyterhub-singleuser" in cmdline:
            try:
                if process.environ().get("JUPYTERHUB_USER") == name:
                    kernels = [k for k in process.children(recursive=True)
                               if "ipykernel" in " ".join(k.cmdline())]
                    return process, kernels
            except psutil.Error:
                continue
    raise AssertionError(f"no single-user server process for {name}")


def memory_mb(processes: list[psutil.Process]) -> dict:
    rss = pss = 0
    for process in processes:
        try:
            info = process.memory_full_info()
        except psutil.NoSuchProcess:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return {"rss_mb": rss / 2**20, "pss_mb": pss / 2**20}


def cpu_by_pid(processes: list[psutil.Process]) -> dict[int, float]:
    """CPU seconds (user + system) of each process still running; a kernel that died (and was restarted under
    another pid, after a port collision) is left out."""
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def cpu_since(before: dict[int, float], processes: list[psutil.Process]) -> float:
    """CPU seconds these processes used since `before` (a cpu_by_pid); a process started since counts whole."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in cpu_by_pid(processes).items())


def repo_url(path: Path) -> str:
    return path.resolve().as_uri()


def host_is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def _cpu(times) -> float:
    return times.user + times.system


class Ledger(threading.Thread):
    """CPU seconds of every process of the hub's machine side (the hub, its proxy, each learner's single-user
    server, its kernels, and short-lived children such as nbgitpuller's git), and of the rehearsal's own
    stand-ins for the learners' laptops (this test process driving 20 learners, and Chromium with Playwright).

    A process's CPU is read from the kernel (psutil: user + system) every ``interval`` seconds and on demand
    (``now``); a process that ends between two readings keeps its last reading, so it loses at most an interval's
    CPU. A server's children that ended (git, closed kernels) also reach its ``children_*`` times when reaped:
    ``reaped`` is that, minus the last readings of its kernels that ended (what git and kernel shut-downs used).
    """

    def __init__(self, hub: Hub, interval: float = 1.0):
        super().__init__(daemon=True)
        self.hub = hub
        self.interval = interval
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.me = psutil.Process()
        self.proxy = hub.proxy_pid()
        # (pid, created) -> {"role", "user", "created", "cpu", "reaped", "alive", "cmdline", "process"}
        self.info: dict[tuple, dict] = {}
        self.start_cpu = {"hub": _cpu(psutil.Process(hub.process.pid).cpu_times()), "driver": self._own_cpu()}
        if self.proxy:
            self.start_cpu["proxy"] = _cpu(psutil.Process(self.proxy).cpu_times())
        self.sample()

    def _own_cpu(self) -> float:
        return _cpu(self.me.cpu_times())

    def _classify(self, process: psutil.Process, parent_role: str, parent_user: str | None) -> tuple[str, str | None]:
        if process.pid == self.hub.process.pid:
            return "hub", None
        if process.pid == self.proxy:
            return "proxy", None
        cmdline = " ".join(process.cmdline())
        if "jupyterhub.singleuser" in cmdline or "jupyterhub-singleuser" in cmdline:
            return "server", process.environ().get("JUPYTERHUB_USER")
        if parent_role in ("server", "kernel", "server-child") and "ipykernel" in cmdline:
            return "kernel", parent_user
        if parent_role in ("server", "kernel", "server-child"):
            return "server-child", parent_user
        if parent_role in ("hub", "proxy"):
            return "hub-child", None
        return "browser", None  # under this test process, outside the hub's tree: Playwright and Chromium

    def sample(self) -> None:
        """Read every process's CPU now (the hub's tree and this process's other children)."""
        children: dict[int, list[psutil.Process]] = {}
        for process in psutil.process_iter(["ppid"]):  # one pass over /proc for the whole tree
            children.setdefault(process.info["ppid"], []).append(process)
        seen = set()
        stack = [(child, "driver", None) for child in children.get(self.me.pid, [])]
        while stack:
            process, parent_role, parent_user = stack.pop()
            try:
                key = (process.pid, process.create_time())  # a pid used again later is another process
                with self.lock:
                    known = self.info.get(key)
                if known is None:
                    role, user = self._classify(process, parent_role, parent_user)
                    known = {"role": role, "user": user, "created": key[1], "cpu": 0.0, "reaped": 0.0,
                             "alive": True, "cmdline": " ".join(process.cmdline()) if role == "kernel" else "",
                             "process": process}
                times = process.cpu_times()
            except psutil.Error:
                continue
            seen.add(key)
            with self.lock:
                known["cpu"] = _cpu(times)
                known["reaped"] = times.children_user + times.children_system
                self.info[key] = known
            stack += [(child, known["role"], known["user"]) for child in children.get(process.pid, [])]
        with self.lock:
            for key, known in self.info.items():
                if key not in seen:
                    known["alive"] = False
            self.driver_cpu = self._own_cpu()

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self.stop_event.set()
        self.join()
        self.sample()

    def pids(self, role: str, user: str | None = None) -> list[int]:
        """The pids of the running processes of this role (of this user)."""
        with self.lock:
            return [key[0] for key, k in self.info.items()
                    if k["alive"] and k["role"] == role and (user is None or k["user"] == user)]

    def _read(self, match) -> float:
        """CPU seconds of the known processes that ``match(info)``, the running ones read now (a process not
        known yet is found by a full sample first: one pass over /proc, so it is not done at every reading)."""
        with self.lock:
            found = [k for k in self.info.values() if match(k)]
        if not any(k["alive"] for k in found):
            self.sample()
            with self.lock:
                found = [k for k in self.info.values() if match(k)]
        for known in found:
            if known["alive"]:
                try:
                    times = known["process"].cpu_times()
                except psutil.Error:
                    known["alive"] = False
                    continue
                with self.lock:
                    known["cpu"] = _cpu(times)
                    known["reaped"] = times.children_user + times.children_system
        with self.lock:
            return sum(k["cpu"] for k in found)

    def now(self, role: str, user: str | None = None) -> float:
        """CPU seconds the user's (or everyone's) processes of this role have used so far, read now."""
        return self._read(lambda k: k["role"] == role and (user is None or k["user"] == user))

    def kernel_now(self, kernel_id: str) -> float:
        """CPU seconds one kernel (by its id, in its connection file's name) has used so far, read now; a kernel
        restarted by jupyter_client keeps its id, and its earlier process counts too."""
        return self._read(lambda k: k["role"] == "kernel" and kernel_id in k["cmdline"])

    def created(self, role: str, user: str) -> float | None:
        """When (time.time()) the user's first process of this role started."""
        with self.lock:
            times = [k["created"] for k in self.info.values() if k["role"] == role and k["user"] == user]
        return min(times) if times else None

    def totals(self) -> dict:
        """CPU seconds by role since the ledger started; servers' reaped children count under "server-child"."""
        with self.lock:
            out: dict[str, float] = {}
            for k in self.info.values():
                role = k["role"]
                base = self.start_cpu.get(role, 0.0) if role in ("hub", "proxy") else 0.0
                out[role] = out.get(role, 0.0) + k["cpu"] - base
            out["server-child"] = out.get("server-child", 0.0) + sum(self.reaped(u) for u in self.users())
            out["driver"] = self.driver_cpu - self.start_cpu["driver"]
        return out

    def users(self) -> list[str]:
        return sorted({k["user"] for k in self.info.values() if k["role"] == "server" and k["user"]})

    def reaped(self, user: str) -> float:
        """CPU of the user's server's children that ended and were reaped, other than the kernels read before
        they ended: nbgitpuller's git, and the kernels' own shut-down (call with the lock held or not)."""
        servers = [k for k in self.info.values() if k["role"] == "server" and k["user"] == user]
        kernels_gone = sum(k["cpu"] for k in self.info.values()
                           if k["role"] in ("kernel", "server-child") and k["user"] == user and not k["alive"])
        return max(0.0, sum(k["reaped"] for k in servers) - kernels_gone)

    def of_user(self, user: str) -> dict:
        """CPU seconds of one learner's processes, by role."""
        with self.lock:
            by_role = {"server": 0.0, "kernel": 0.0, "server-child": 0.0}
            for k in self.info.values():
                if k["user"] == user and k["role"] in by_role:
                    by_role[k["role"]] += k["cpu"]
            by_role["server-child"] += self.reaped(user)
        return by_role


def as_a_laptop(processes: list[psutil.Process]) -> str:
    """Let the rehearsal's browser run as if on a laptop of its own: first on the machine's cores.

    On a real hub a learner's browser runs elsewhere; here Chromium shares the hub's 2 cores. Linux's autogroup
    scheduler shares the cores between sessions, and every learner's server, every kernel and Chromium are each a
    session of their own, so Chromium (about 15 CPU-s of JavaScript to open JupyterLab) would wait behind 40
    Jupyter processes, as no learner's laptop browser does. Its session gets the highest priority instead (its CPU
    still comes out of the hub's cores: the other learners wait for it). Returns what was done, for the results.
    """
    return first_on_the_cores(processes, nice=-20)


def first_on_the_cores(processes: list[psutil.Process], nice: int) -> str:
    """Give these processes' sessions (autogroups; the processes themselves without autogroup) this nice value."""
    autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled")
    done = set()
    try:
        for process in processes:
            if autogroup.exists() and autogroup.read_text().strip() == "1":
                group = Path(f"/proc/{process.pid}/autogroup")
                name = group.read_text().split()[0]
                if name not in done:
                    group.write_text(str(nice))
                    done.add(name)
            else:
                process.nice(nice)
                done.add(process.pid)
    except (OSError, psutil.Error) as error:  # not allowed here (not root): the browser competes as it is
        return f"not changed ({type(error).__name__}: {error})"
    kind = "autogroup" if autogroup.exists() and autogroup.read_text().strip() == "1" else "process"
    return f"{kind} nice {nice} ({len(done)} {kind}s)"


def browser_processes() -> list[psutil.Process]:
    """This test's Chromium processes (Playwright's browser, started by this process)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name().lower():
                found.append(child)
        except psutil.Error:
            continue
    return found

