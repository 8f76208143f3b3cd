"""`bplab doctor` and `bplab.doctor()`: is this Python ready for the course? A fix for each problem.

The checks are plain functions of the facts they look at (`find_problems(versions, prefix, ...)`),
so they are tested with made-up versions; `collect()` reads the real facts and `run()` prints them.

The commonest problem of widget courses is a widget front-end that does not match the kernel's
ipywidgets: sliders then show "Error displaying widget: model not found" or print as text.
ipywidgets 8 needs jupyterlab_widgets 3; ipywidgets 7 needs jupyterlab_widgets 1.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGES = (
    "bplab", "numpy", "matplotlib", "ipywidgets", "jupyterlab",
    "jupyterlab_widgets", "notebook", "ipykernel",
)
# The front ends (bplab's `lab` extra): a host such as Colab or a JupyterHub serves notebooks from its own.
FRONT_ENDS = ("jupyterlab", "notebook")
# ipywidgets major version -> the jupyterlab_widgets major version that renders it.
WIDGET_FRONTEND = {7: 1, 8: 3}


@dataclass(frozen=True)
class Problem:
    """One thing that stops the course from working, and the one-line command that fixes it.

    ``warning=True`` marks what may be fine and the doctor cannot know (a system Python in a container or on
    Colab; widget files it cannot see from the kernel): it is printed, but the check still passes.
    """

    what: str
    fix: str
    warning: bool = False


def installed_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each package in this Python (None when it is not installed)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def major(version: str | None) -> int | None:
    """The leading number of a version string: major("8.1.2") == 8; None when there is none."""
    match = re.match(r"\s*(\d+)", version or "")
    return int(match.group(1)) if match else None


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip(requirement: str) -> str:
    return f"pip install '{requirement}'"


def find_problems(
    versions: dict[str, str | None],
    prefix: str,
    *,
    python: tuple[int, int, int] | None = None,
    requires_python: str | None = None,
    requirements: list[str] | None = None,
    base_prefix: str | None = None,
    conda: bool = False,
    project_venv: str | None = None,
    backend: str | None = None,
    widget_extension_found: bool | None = None,
    extension_seen_by_server: bool = False,
) -> list[Problem]:
    """Every problem found in the given facts; an empty list means the course will work.

    Parameters
    ----------
    versions : dict of str to str or None
        Installed version of each package by name (None: not installed), as `installed_versions()`.
    prefix : str
        ``sys.prefix`` of the Python (the kernel) being checked.
    python : (int, int, int), optional
        Python version; checked against `requires_python` when both are given.
    requires_python : str, optional
        bplab's ``Requires-Python``, for example ``">=3.10"``.
    requirements : list of str, optional
        bplab's run-time requirements, for example ``["numpy>=1.24", "ipywidgets>=8,<9"]``.
    base_prefix : str, optional
        ``sys.base_prefix``; equal to `prefix` outside a virtual environment.
    conda : bool
        True when `prefix` is a conda environment (it has a ``conda-meta`` folder).
    project_venv : str, optional
        Path of the course's own ``.venv``, when bplab is installed from a checkout.
    backend : str, optional
        The ``MPLBACKEND`` environment variable; anything but the inline (or ipympl) backend
        stops plots from showing in Jupyter.
    widget_extension_found : bool, optional
        Whether the Jupyter server serves the jupyterlab-manager front end (asked of a running server when
        there is one, else looked for in every folder Jupyter searches); None skips the check.
    extension_seen_by_server : bool
        True when `widget_extension_found` came from a running server, so a missing extension is certain.

    Returns
    -------
    list of Problem
    """
    problems = []
    if python and requires_python:
        problems += _python_problems(python, requires_python)
    for name, version in versions.items():
        if version is None and name in FRONT_ENDS:  # the kernel's Python needs no front end (Colab, a JupyterHub)
            problems.append(Problem(
                f"{name} is not installed in this Python ({prefix}): fine where Jupyter runs from another "
                "environment (Colab, a JupyterHub, VS Code)",
                "for the course's own JupyterLab, run `make lab` in the course folder", warning=True,
            ))
        elif version is None:
            fix = "pip install -e ." if name == "bplab" else _pip(_requirement_for(name, requirements))
            problems.append(Problem(f"{name} is not installed in this Python ({prefix})", fix))
    problems += _requirement_problems(versions, requirements or [])
    problems += _widget_problems(versions, widget_extension_found, extension_seen_by_server)
    problems += _environment_problems(versions, prefix, base_prefix, conda, project_venv)
    problems += _backend_problems(backend)
    return problems


def _requirement_for(name: str, requirements: list[str] | None) -> str:
    for requirement in requirements or []:
        if _normalize(re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]) == _normalize(name):
            return requirement.split(";")[0].strip()
    return name


def _python_problems(python: tuple[int, int, int], requires_python: str) -> list[Problem]:
    from packaging.specifiers import SpecifierSet

    version = ".".join(str(part) for part in python)
    if version in SpecifierSet(requires_python):
        return []
    return [Problem(
        f"Python {version} is too old or too new for bplab (needs {requires_python})",
        f"create the environment with a Python {requires_python}: conda env create -f environment.yml",
    )]


def _requirement_problems(versions: dict, requirements: list[str]) -> list[Problem]:
    from packaging.requirements import InvalidRequirement, Requirement

    installed = {_normalize(name): version for name, version in versions.items() if version}
    problems = []
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        version = installed.get(_normalize(requirement.name))
        if version and not requirement.specifier.contains(version, prereleases=True):
            problems.append(Problem(
                f"{requirement.name} {version} is installed; the course needs {requirement}",
                _pip(str(requirement)),
            ))
    return problems


def _widget_problems(versions: dict, extension_found: bool | None, seen_by_server: bool = False) -> list[Problem]:
    widgets, frontend = major(versions.get("ipywidgets")), major(versions.get("jupyterlab_widgets"))
    problems = []
    if widgets in WIDGET_FRONTEND and frontend is not None and frontend != WIDGET_FRONTEND[widgets]:
        need = WIDGET_FRONTEND[widgets]
        problems.append(Problem(
            f"jupyterlab_widgets {versions['jupyterlab_widgets']} does not match ipywidgets "
            f"{versions['ipywidgets']}: sliders would show 'Error displaying widget: model not found'",
            _pip(f"jupyterlab_widgets>={need},<{need + 1}"),
        ))
    if extension_found is False and frontend is not None:
        where = ("the running Jupyter server does not serve the widget extension" if seen_by_server else
                 "the widget extension's files are in none of the folders Jupyter searches from this Python "
                 "(fine if your Jupyter server runs from another environment, as on a JupyterHub)")
        problems.append(Problem(
            where, _pip(f"jupyterlab_widgets=={versions['jupyterlab_widgets']}") + " --force-reinstall "
            "(in the environment that runs the Jupyter server)", warning=not seen_by_server,
        ))
    return problems


def _environment_problems(versions, prefix, base_prefix, conda, project_venv) -> list[Problem]:
    if versions.get("bplab") is None:
        return []  # already reported as "bplab is not installed"
    in_venv = base_prefix is not None and Path(prefix) != Path(base_prefix)
    if conda or in_venv or (project_venv and Path(prefix) == Path(project_venv)):
        return []
    return [Problem(
        f"this Python ({prefix}) is the system's, not the course's .venv or a conda environment (fine on Colab "
        "or in a container made for the course)",
        "on your own machine, start Jupyter with `make lab` in the course folder (or `conda activate bplab` first)",
        warning=True,
    )]


def _backend_problems(backend: str | None) -> list[Problem]:
    if not backend or re.search(r"inline|ipympl|widget", backend, re.IGNORECASE):
        return []
    return [Problem(
        f"MPLBACKEND is set to {backend!r}: plots would not show inside the notebooks",
        "unset MPLBACKEND before starting Jupyter (or run %matplotlib inline in the notebook)",
    )]


def environment_kind(prefix: str, base_prefix: str, conda: bool, project_venv: str | None) -> str:
    """A few words on which Python this is: the project's .venv, a conda env, another venv, or system."""
    if project_venv and Path(prefix) == Path(project_venv):
        return "the course's .venv"
    if conda:
        return "a conda environment"
    if Path(prefix) != Path(base_prefix):
        return "a virtual environment (not the course's .venv)"
    return "the system Python"


def collect() -> dict:
    """The real facts about this Python, as keyword arguments of `find_problems`."""
    versions = installed_versions()
    try:
        requirements = metadata.requires("bplab") or []
        requires_python = metadata.metadata("bplab").get("Requires-Python")
    except metadata.PackageNotFoundError:
        requirements, requires_python = [], None
    checkout = Path(__file__).resolve().parents[2]
    project_venv = checkout / ".venv"
    served = _served_by_running_server() if versions.get("jupyterlab_widgets") else None
    return dict(
        versions=versions,
        prefix=sys.prefix,
        python=tuple(sys.version_info[:3]),
        requires_python=requires_python,
        requirements=requirements,
        base_prefix=sys.base_prefix,
        conda=Path(sys.prefix, "conda-meta").is_dir(),
        project_venv=str(project_venv) if (checkout / "pyproject.toml").is_file() else None,
        backend=os.environ.get("MPLBACKEND"),
        widget_extension_found=(served if served is not None else _extension_on_jupyter_path())
        if versions.get("jupyterlab_widgets") else None,
        extension_seen_by_server=served is not None,
    )


WIDGET_EXTENSION = "@jupyter-widgets/jupyterlab-manager"


def _extension_on_jupyter_path() -> bool:
    """Whether the widget extension is in any labextensions folder Jupyter searches (user, env, system)."""
    from jupyter_core.paths import jupyter_path

    return any(Path(folder, WIDGET_EXTENSION).is_dir() for folder in jupyter_path("labextensions"))


def _running_servers() -> list[dict]:
    """The Jupyter servers running on this machine for this user: their ``jpserver-<pid>.json`` files in Jupyter's
    runtime folder, whose process is alive. (What jupyter_server's ``list_running_servers`` reads, without
    importing jupyter_server: that import alone costs a second and a half of CPU, most of it jsonschema's IRI
    grammar, in every kernel that runs the check.)"""
    import json

    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:  # no Jupyter in this Python, so no server of its own
        return []
    servers = []
    for path in sorted(Path(jupyter_runtime_dir()).glob("jpserver-*.json")):
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
            os.kill(int(info["pid"]), 0)  # signal 0: only asks whether the process exists
        except PermissionError:  # alive, another user's
            servers.append(info)
        except (OSError, ValueError, KeyError, TypeError):  # unreadable, half-written, or its server has stopped
            continue
        else:
            servers.append(info)
    return servers


def _served_by_running_server() -> bool | None:
    """Ask the running Jupyter servers (from this user's runtime folder) whether they serve the widget
    extension; None when no server answers (no server, another user's, or another machine's)."""
    import json
    import urllib.request

    for server in _running_servers():
        url = f"{server.get('url', '').rstrip('/')}/lab/api/extensions?token={server.get('token', '')}"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                names = {ext["name"] for ext in json.load(response)}
        except Exception:  # noqa: BLE001 - an old, stopped or unreachable server tells nothing
            continue
        return "jupyter-widgets-jupyterlab-manager" in names or WIDGET_EXTENSION in names
    return None


def run() -> bool:
    """Print the environment check (versions, environment, widgets, plots, fixes); True when all is well.

    Used in: notebooks/00-start-here.ipynb
    """
    facts = collect()
    versions = facts["versions"]
    print("bplab doctor")
    print(f"  {'Python':<19} {sys.version.split()[0]}  ({sys.executable})")
    for name, version in versions.items():
        print(f"  {name:<19} {version or 'not installed'}")
    kind = environment_kind(facts["prefix"], facts["base_prefix"], facts["conda"], facts["project_venv"])
    print(f"  {'environment':<19} {kind} ({facts['prefix']})")
    widgets, frontend = versions.get("ipywidgets"), versions.get("jupyterlab_widgets")
    pair_ok = major(widgets) in WIDGET_FRONTEND and major(frontend) == WIDGET_FRONTEND[major(widgets)]
    print(f"  {'widgets':<19} ipywidgets {widgets} with jupyterlab_widgets {frontend}: "
          f"{'match' if pair_ok else 'MISMATCH'}")
    inline = not _backend_problems(facts["backend"])
    print(f"  {'plots':<19} "
          + ("render inline in Jupyter" if inline else f"MPLBACKEND={facts['backend']} (not inline)"))
    found = find_problems(**facts)
    warnings = [p for p in found if p.warning]
    problems = [p for p in found if not p.warning]
    for warning in warnings:
        print(f"  note: {warning.what}\n    if sliders do not show: {warning.fix}")
    if not problems:
        print("Everything is ready for the course.")
        return True
    print(f"{len(problems)} problem(s) found:")
    for problem in problems:
        print(f"  - {problem.what}\n    fix: {problem.fix}")
    return False

