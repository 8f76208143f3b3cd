"""Where `bplab grade` runs a submission: a bubblewrap sandbox with resource limits, or (warned) none.

``bwrap`` (Debian's ``bubblewrap``) gives the submission's process

- no network (its own empty network namespace), no view of other processes (its own PID namespace,
  killed with it), no IPC with the host;
- a read-only file system made of the system (/usr, /etc), the Python installation and the bplab
  package only: no home folder, no solutions/, no other submissions, not even its own file (the grader
  sends the cells over a pipe);
- one writable folder, a fresh empty scratch folder (its working directory), and an empty /tmp;
- when the grader runs as root: the real user ``nobody`` (so the process limit applies and no file of
  root's can be read or written), with no capabilities.

Resource limits (``setrlimit``, in every mode): address space, CPU time, processes, file size, core
dumps. Output size is bounded by the grader: the learner's prints go to /dev/null and a reply larger
than 64 MB ends the conversation.

Used in: `bplab grade --sandbox auto|bwrap|none` (bplab.course.grading).
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
CONTAINER_ADVICE = (
    "grade untrusted work inside a throw-away container without network, e.g.\n"
    "    docker run --rm --network none -v \"$PWD\":/course -w /course <image with bplab> bplab grade submissions/\n"
    "or install bubblewrap (sudo apt-get install bubblewrap) on a Linux host that allows user namespaces."
)


@dataclass(frozen=True)
class Limits:
    """Resource limits of a submission's process (setrlimit).

    memory: address space in bytes; cpu_seconds: CPU time of the whole notebook; processes: how many
    more processes (threads included) the sandbox user may have; file_size: largest file it may write.
    """

    memory: int = 3 << 30
    cpu_seconds: int = 600
    processes: int = 256
    file_size: int = 64 << 20


def _binds() -> list[str]:
    """Read-only binds: the system, the Python installation, the bplab package (nothing else)."""
    import bplab

    args: list[str] = []
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    args += ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    wanted = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).resolve().parent.parent),
              str(Path(bplab.__file__).resolve().parent)}
    made: set[str] = {"/"}
    for path in sorted(p for p in wanted if p and not p.startswith(("/usr/", "/etc/")) and p != "/usr"):
        for parent in reversed(Path(path).parents):  # parents readable by anybody (bwrap makes them 0700)
            if str(parent) not in made:
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        args += ["--ro-bind", path, path]
        made.add(path)
    return args


def bwrap_command(scratch: str) -> list[str]:
    """The bwrap command line that runs what follows it in the sandbox, `scratch` as its only writable folder."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise FileNotFoundError("bwrap not found (Debian/Ubuntu: sudo apt-get install bubblewrap)")
    root = os.geteuid() == 0
    # As root: no user namespace (it would map to root outside); the command drops to nobody itself.
    namespaces = (["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
                  if root else ["--unshare-all"])
    # /tmp first: the binds that follow may lie below it (a checkout in /tmp) and must show through the empty tmpfs
    command = [bwrap, *namespaces, "--die-with-parent", "--tmpfs", "/tmp", *_binds(), "--proc", "/proc",
               "--dev", "/dev", "--bind", scratch, "/scratch", "--chdir", "/scratch",
               "--setenv", "HOME", "/scratch", "--setenv", "MPLCONFIGDIR", "/scratch/.matplotlib",
               "--setenv", "IPYTHONDIR", "/scratch/.ipython"]
    if root:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise FileNotFoundError("setpriv not found (util-linux): needed to drop root in the sandbox")
        command += [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all"]
    return command


def environment(scratch: str) -> dict[str, str]:
    """A clean environment: none of the grader's variables (tokens, paths) reach the submission."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": scratch, "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(scratch, ".matplotlib"), "IPYTHONDIR": os.path.join(scratch, ".ipython"),
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "BPLAB_GRADING": "1",  # `learner_score` in a graded notebook does nothing (no grading inside grading)
    }


def _process_count(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                pass
    return count


def preexec(limits: Limits, sandboxed: bool):
    """The function Popen runs in the child before exec: resource limits (and nothing that can fail silently)."""
    uid = NOBODY if sandboxed and os.geteuid() == 0 else os.getuid()
    processes = _process_count(uid) + limits.processes if os.path.isdir("/proc") else limits.processes

    def apply() -> None:
        for which, value in [(resource.RLIMIT_AS, limits.memory), (resource.RLIMIT_CPU, limits.cpu_seconds),
                             (resource.RLIMIT_FSIZE, limits.file_size), (resource.RLIMIT_CORE, 0),
                             (resource.RLIMIT_NPROC, processes)]:
            soft, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))

    return apply


@functools.cache
def bwrap_problem() -> str | None:
    """None when bwrap can run a sandboxed Python here, else why not (probed once per process)."""
    import tempfile

    try:
        with tempfile.TemporaryDirectory(prefix="bplab-probe-") as scratch:
            os.chmod(scratch, 0o777)
            done = subprocess.run(
                [*bwrap_command(scratch), sys.executable, "-c", "import numpy, IPython, bplab; print('ok')"],
                capture_output=True, text=True, timeout=60, env=environment("/scratch"),
            )
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    if done.returncode != 0 or done.stdout.strip() != "ok":
        return (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
    return None


def choose(mode: str) -> tuple[str, str | None]:
    """The sandbox to use for `mode` ("auto", "bwrap" or "none") and a warning to print (or None).

    Raises RuntimeError when "bwrap" was asked for and does not work here.
    """
    if mode not in ("auto", "bwrap", "none"):
        raise ValueError(f"sandbox must be 'auto', 'bwrap' or 'none', got {mode!r}")
    if mode == "none":
        return "none", ("WARNING: --sandbox none: submissions run as you, with your files, network and "
                        "environment (resource limits still apply).\n" + CONTAINER_ADVICE)
    problem = bwrap_problem() if sys.platform.startswith("linux") else "bubblewrap needs Linux"
    if problem is None:
        return "bwrap", None
    if mode == "bwrap":
        raise RuntimeError(f"--sandbox bwrap does not work here: {problem}")
    return "none", (f"WARNING: no sandbox ({problem}): submissions run as you, with your files, network and "
                    "environment (resource limits still apply).\n" + CONTAINER_ADVICE)
