"""`make lab`: start JupyterLab on notebook 00, for any user, and say first where to open it.

Run as `python -m bplab.course.lab [JUPYTER OPTIONS...]`. Options are passed to `jupyter lab` unchanged
(`--port 8890`, `--no-browser`, `--ip 0.0.0.0` in a container). Before the server log it prints one line
with the URL and its token; as root (containers, cloud workspaces) it adds `--allow-root`.

The server runs with the course's environment first on PATH (`server_environment`), so its kernels and
JupyterLab's terminal find `bplab`, `python` and `jupyter` of the course's .venv with nothing activated
(`bplab grade exercises/06-xor-backprop-by-hand.ipynb` in the terminal, `!bplab doctor` in a notebook). The
terminal's shell is started as it is in a terminal window (not as a login shell, whose /etc/profile would
set PATH again), unless you choose one with `--ServerApp.terminado_settings`.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path

START = "notebooks/00-start-here.ipynb"
DEFAULT_PORT = 8888


def option(args: list[str], name: str) -> str | None:
    """The value of `--name VALUE` or `--name=VALUE` (also `--ServerApp.name`) in args, or None."""
    for i, arg in enumerate(args):
        for flag in (f"--{name}", f"--ServerApp.{name}"):
            if arg == flag and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(flag + "="):
                return arg.split("=", 1)[1]
    return None


def free_port(host: str, start: int = DEFAULT_PORT, tries: int = 50) -> int:
    """The first port from `start` on that nothing listens on at `host`."""
    for port in range(start, start + tries):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{start + tries - 1}: pass one with ARGS='--port N'")


def command(args: list[str], is_root: bool, token: str) -> tuple[list[str], str]:
    """The `jupyter lab` command line for these user options, and the URL a learner opens."""
    ip = option(args, "ip") or "127.0.0.1"
    extra = []
    port = option(args, "port")
    if port is None:
        port = str(free_port("" if ip in ("0.0.0.0", "*") else ip))
        extra += ["--port", port, "--ServerApp.port_retries=0"]
    if option(args, "ip") is None:
        extra += ["--ip", ip]
    if is_root and "--allow-root" not in args:
        extra.append("--allow-root")
    host = "127.0.0.1" if ip in ("0.0.0.0", "*", "") else ip
    url = f"http://{host}:{port}/lab/tree/{START}?token={token}"
    if not any("terminado_settings" in arg for arg in args):  # a plain shell: a login shell would reset PATH
        extra.append(f"--ServerApp.terminado_settings=shell_command={os.environ.get('SHELL') or '/bin/sh'}")
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    root = course_root()
    return [jupyter, "lab", f"--ServerApp.root_dir={root}", f"--ServerApp.default_url=/lab/tree/{START}",
            f"--IdentityProvider.token={token}", *extra, *args], url


def server_environment(environ: dict[str, str], executable: str = sys.executable) -> dict[str, str]:
    """`environ` with the folder of `executable` (the course's .venv/bin, not resolved) first on PATH."""
    bin_dir = str(Path(executable).parent)
    rest = [p for p in environ.get("PATH", "").split(os.pathsep) if p and p != bin_dir]
    return {**environ, "PATH": os.pathsep.join([bin_dir, *rest])}


def course_root() -> Path:
    """The folder that holds notebooks/: this checkout (an editable install), else the current folder."""
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / START).is_file() else Path.cwd()


def main(argv: list[str] | None = None) -> None:
    """Print where to open the course, then replace this process with `jupyter lab`."""
    args = list(sys.argv[1:] if argv is None else argv)
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    cmd, url = command(args, is_root=hasattr(os, "geteuid") and os.geteuid() == 0, token=token)
    print(f"bplab: the course is starting. Open this address in your browser:\n\n    {url}\n", flush=True)
    print("       On a remote machine or in a container: make lab ARGS=\"--ip 0.0.0.0 --no-browser\" and open the "
          "address with the machine's name instead of 127.0.0.1. Stop with Ctrl+C.\n", flush=True)
    os.execve(cmd[0], cmd, server_environment(dict(os.environ)))


if __name__ == "__main__":
    main()
