"""Open it anywhere: the built wheel brings no Jupyter front end, and every lesson and exercise set runs alone.

As on Colab or Binder: each notebook is copied alone into an empty folder and run (nbclient, from the developers'
environment) on the kernel of a fresh virtual environment that holds only ipykernel and the course's dependencies.
bplab is uninstalled before each notebook, so the notebook's first cell must install the course (here from the
wheel built from this checkout, through BPLAB_INSTALL_FROM) before the lesson's own imports.

Nothing is downloaded while the notebooks run: pip's index is switched off (PIP_NO_INDEX) and every package comes
from a local wheelhouse, build/open-anywhere/wheelhouse-<hash>, filled once from pip's configured index with the
package's dependencies, ipykernel and setuptools (to build the wheel offline); the hash changes with those
requirements, so a change of pyproject.toml's dependencies fills a new one. When the index cannot be reached and
the wheelhouse is not there yet, these tests skip and say so, except under CI (CI=true), where they fail.

The check that every notebook starts with the generated install cell lives here too:
`python docs/site/install_cell.py --write` writes it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from packaging.requirements import Requirement
from test_packaging import FRONT_END
from traitlets import default

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11: pytest itself depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build" / "open-anywhere"
KERNEL_NAME = "bplab-fresh"
CELL_TIMEOUT = 600
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]*.ipynb"))
SETS = sorted((REPO / "exercises").glob("[0-9][0-9]*.ipynb"))
ALL_NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions", "exercises")
                       for p in (REPO / folder).glob("[0-9][0-9]*.ipynb"))
# IPython's %pip always ends with this line; anything else the install cell prints is a problem.
PIP_NOTE = "Note: you may need to restart the kernel to use updated packages."

_spec = importlib.util.spec_from_file_location("bplab_site_install_cell", REPO / "docs" / "site" / "install_cell.py")
install_cell = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = install_cell
_spec.loader.exec_module(install_cell)


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _pip_env(**extra: str) -> dict[str, str]:
    """The environment of an offline pip: no configuration file, no index; `extra` added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", **extra)
    return env


def _run(command: list[str], what: str, env: dict[str, str] | None = None, cwd: Path | None = None,
         timeout: float = 900) -> str:
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    print(f"{what}: {time.monotonic() - start:.1f} s")
    assert done.returncode == 0, f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _wheelhouse_requirements() -> list[str]:
    """What the fresh environment may install: pip, the package's dependencies, the kernel, the build backend."""
    lab = {_name(Requirement(r).name): r for r in PYPROJECT["project"]["optional-dependencies"]["lab"]}
    return sorted(["pip", *PYPROJECT["project"]["dependencies"], lab["ipykernel"],
                   *PYPROJECT["build-system"]["requires"]])


@pytest.fixture(scope="module")
def wheelhouse() -> Path:
    """build/open-anywhere/wheelhouse-<hash>: wheels of every requirement, filled once from pip's index."""
    requirements = _wheelhouse_requirements()
    key = hashlib.sha256("\n".join([sys.version, sys.platform, *requirements]).encode()).hexdigest()[:12]
    folder = BUILD / f"wheelhouse-{key}"
    if (folder / "complete").is_file():
        return folder
    BUILD.mkdir(parents=True, exist_ok=True)
    partial = BUILD / f"wheelhouse-{key}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(partial),
                           *requirements], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        message = (f"could not fill the wheelhouse {folder.relative_to(REPO)} from pip's index (offline?); run "
                   f"these tests once where the index is reachable:\n{done.stderr[-2000:]}")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    (partial / "complete").write_text(
        "\n".join(requirements) + f"\nfilled in {time.monotonic() - start:.0f} s\n", encoding="utf-8")
    try:
        partial.rename(folder)
    except OSError:  # another run filled it meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    return folder


@pytest.fixture(scope="module")
def wheel(wheelhouse, tmp_path_factory) -> Path:
    """bplab's wheel, built offline (setuptools from the wheelhouse) from a copy of the package's sources."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "bplab", source / "bplab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--find-links", str(wheelhouse),
          "--wheel-dir", str(out), str(source)], "building the wheel (pip wheel --no-deps)", env=_pip_env())
    wheels = list(out.glob("bplab-*.whl"))
    assert len(wheels) == 1, f"expected one wheel, got {wheels}"
    return wheels[0]


def _distributions(python: Path) -> dict[str, str]:
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")
    out = _run([str(python), "-I", "-c", code], "listing packages").splitlines()[-1]
    return {_name(k): v for k, v in json.loads(out).items()}


@pytest.fixture(scope="module")
def fresh(wheelhouse, wheel, tmp_path_factory) -> dict:
    """A new venv with the wheel installed from the wheelhouse (what it installed is kept), then ipykernel."""
    root = tmp_path_factory.mktemp("fresh")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], "creating a virtual environment")
    python = venv / "bin" / "python"
    offline = _pip_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse))
    # pip (the notebooks' %pip needs it) and the wheel with its dependencies, by this environment's pip;
    # no byte-compiling of every module at install: a kernel compiles what it imports, once.
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile", "pip",
          str(wheel)], "installing pip and the wheel", env=offline)
    with_wheel = _distributions(python)
    assert "pip" in with_wheel
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-compile", "ipykernel"], "installing ipykernel",
         env=offline)
    kernel = root / "kernels" / KERNEL_NAME
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv", "language": "python",
    }))
    home = root / "home"
    home.mkdir()
    env = {  # the kernel's whole environment: nothing of this test run's
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "BPLAB_INSTALL_FROM": str(wheel),
        "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }
    site = _run([str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                "finding site-packages").strip().splitlines()[-1]
    return {"python": python, "with_wheel": with_wheel, "kernels": root / "kernels", "env": env, "wheel": wheel,
            "offline": offline, "root": root, "site": Path(site)}


def _kernel_manager_class(kernels: Path) -> type:
    class FreshKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _fresh_kernel_specs(self):
            return KernelSpecManager(kernel_dirs=[str(kernels)])

    return FreshKernelManager


def _execute(nb, folder: Path, fresh: dict):
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL_NAME,
                            resources={"metadata": {"path": str(folder)}},
                            kernel_manager_class=_kernel_manager_class(fresh["kernels"]))
    return client.execute(env=fresh["env"])


def _uninstall_bplab(fresh: dict) -> None:
    """What `pip uninstall bplab` does, without pip's start-up time: remove every file its RECORD lists."""
    site = fresh["site"]
    for info in site.glob("bplab-*.dist-info"):
        for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
            (site / line.split(",")[0]).resolve().unlink(missing_ok=True)
        shutil.rmtree(info)
    shutil.rmtree(site / "bplab", ignore_errors=True)
    assert not list(site.glob("bplab*")), f"bplab is still installed in {site}"


def _text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")


# ------------------------------------------------------------------------------------------------------------------
# The package: what `pip install` brings.


def test_the_wheel_brings_no_front_end_or_kernel(fresh):
    installed = fresh["with_wheel"]
    assert installed.get("bplab") == VERSION
    assert not set(installed) & FRONT_END, (
        f"installing bplab's wheel also installed {sorted(set(installed) & FRONT_END)}: on Colab or a JupyterHub "
        "that would replace the host's front end or kernel")
    expected = {_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]} | {"ipython"}
    assert expected <= set(installed), f"missing after installing the wheel: {sorted(expected - set(installed))}"
    _run([str(fresh["python"]), "-m", "pip", "check"], "pip check (every installed requirement met)",
         env=fresh["offline"])


def test_the_installed_wheel_holds_the_course_data_and_tools(fresh):
    """The shipped data (digits), the questions of the self-checks and the learner's grader import without a kernel."""
    code = (
        "import bplab, bplab.widgets, bplab.course.grading\n"
        "from bplab.data import load_digits\n"
        "from bplab.course.checks import check\n"
        "X, y = load_digits()\n"
        "assert X.shape[0] > 1000, X.shape\n"
        "check('00.q1', None)\n"
        "print(bplab.__version__, bplab.__file__)\n"
    )
    out = _run([str(fresh["python"]), "-c", code], "importing the installed course", env=fresh["env"],
               cwd=fresh["root"] / "home")  # not the checkout, whose bplab/ would come first on sys.path
    assert out.strip().endswith(".py") and VERSION in out
    assert str(REPO) not in out.splitlines()[-1], "bplab came from the checkout instead of the wheel"


# ------------------------------------------------------------------------------------------------------------------
# The install cell: generated from docs/site/course.toml and pyproject.toml's version.


def test_the_install_cell_installs_from_the_course_repository_at_this_version():
    source = install_cell.course_cell_source()
    course = install_cell.load()
    requirement = f"bplab @ git+{course.repo_url}@{course.release.replace('{version}', VERSION)}"
    assert f'"BPLAB_INSTALL_FROM", "{requirement}"' in source
    assert re.search(r"^    %pip install --quiet \"\{course\}\"$", source, re.MULTILINE)
    assert len(source.splitlines()) <= 12, "the first thing a learner reads stays short"


def test_the_install_cell_is_ruff_clean_in_a_notebook(tmp_path):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is a test dependency: pip install -e '.[test]'"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(install_cell.course_cell_source())])
    nbformat.write(nb, tmp_path / "install.ipynb")
    done = subprocess.run([ruff, "check", "--no-cache", "--config", str(REPO / "pyproject.toml"),
                           str(tmp_path / "install.ipynb")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_cell_follows_course_toml(tmp_path):
    config = tmp_path / "course.toml"
    config.write_text('[repository]\nurl = "https://git.example.edu/teach/bplab.git"\nrelease = "spring-{version}"\n'
                      '[binder]\nurl = "https://mybinder.org"\n[hub]\nurl = "https://hub.example.edu"\n')
    source = install_cell.course_cell_source(install_cell.load(config), "2.3.4")
    assert '"bplab @ git+https://git.example.edu/teach/bplab.git@spring-2.3.4"' in source


def test_writing_the_cell_puts_it_first_once_and_updates_it(tmp_path):
    for folder in install_cell.FOLDERS:
        (tmp_path / folder).mkdir()
    lesson = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 00 title"),
                                             nbformat.v4.new_code_cell("import numpy as np")])
    setup = nbformat.v4.new_code_cell("import numpy as np")
    setup.metadata["nbgrader"] = {"grade": False, "grade_id": "setup", "locked": True, "schema_version": 3,
                                  "solution": False, "task": False}
    solution = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Set 01"), setup])
    nbformat.write(lesson, tmp_path / "notebooks" / "00-x.ipynb")
    nbformat.write(solution, tmp_path / "solutions" / "01-x.ipynb")
    old = install_cell.cell_source("bplab @ git+https://example.org/bplab@v0.0.9")
    assert len(install_cell.update(tmp_path, old, write=True)) == 2
    assert install_cell.update(tmp_path, old) == [], "writing twice changes nothing"
    new = install_cell.cell_source("bplab @ git+https://example.org/bplab@v0.1.0")
    assert len(install_cell.update(tmp_path, new, write=True)) == 2
    for path, title in [(tmp_path / "notebooks" / "00-x.ipynb", "# 00 title"),
                        (tmp_path / "solutions" / "01-x.ipynb", "# Set 01")]:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        assert [c["cell_type"] for c in cells] == ["markdown", "code", "code"], "one install cell, after the title"
        assert "".join(cells[0]["source"]) == title
        assert "".join(cells[1]["source"]) == new and cells[1]["metadata"] == {} and cells[1]["outputs"] == []
        assert "".join(cells[2]["source"]) == "import numpy as np"
        assert isinstance(cells[1]["source"], list), "source stored as a list of lines, as every notebook here"


def test_the_exercise_build_copies_the_cell_unchanged():
    from bplab.course.exercises import cell_role, exercise_cell

    cell = nbformat.v4.new_code_cell(install_cell.course_cell_source())
    assert cell_role(cell) is None, "an ordinary cell for the grader: it runs among the learner's cells"
    assert exercise_cell(cell).source == cell.source


# PENDING until `python docs/site/install_cell.py --write` has run on the course's notebooks (the coordinator's step).
@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_notebook_starts_with_the_install_cell(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert install_cell.first_code_source(notebook) == install_cell.course_cell_source(), (
        f"{path.relative_to(REPO)}: its first code cell is not the current install cell; run "
        "`python docs/site/install_cell.py --write` (after changing docs/site/course.toml or the version)")
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert "nbgrader" not in code[0]["metadata"], "the install cell is an ordinary cell, not part of the grading"
    if path.parent.name in ("solutions", "exercises"):
        assert code[1]["metadata"].get("nbgrader", {}).get("grade_id") == "setup", (
            f"{path.name}: the locked set-up cell follows the install cell")


# ------------------------------------------------------------------------------------------------------------------
# Each lesson and set alone in an empty folder, on a fresh kernel without bplab.


def test_the_install_cell_installs_once_saying_so_then_stays_silent(fresh, tmp_path):
    _uninstall_bplab(fresh)
    source = install_cell.course_cell_source()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "fresh venv", "language": "python"}
    _execute(nb, tmp_path, fresh)
    first, second = nb.cells
    lines = [line for line in _text(first).splitlines() if line.strip()]
    assert lines[-1] == f"Installed the course, bplab {VERSION}, from {fresh['wheel']}", lines
    assert set(lines[:-1]) <= {PIP_NOTE}, f"pip was not quiet: {lines}"
    assert second.outputs == [], f"with bplab installed the cell must print nothing, it printed {second.outputs}"


@pytest.mark.parametrize("path", LESSONS + SETS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_notebook_runs_alone_after_installing_the_course(path, fresh, tmp_path):
    _uninstall_bplab(fresh)
    folder = tmp_path / "empty"
    folder.mkdir()
    shutil.copy2(path, folder / path.name)
    nb = nbformat.read(folder / path.name, as_version=4)
    start = time.monotonic()
    try:
        _execute(nb, folder, fresh)
    except CellExecutionError as error:
        pytest.fail(f"{path.relative_to(REPO)} stopped when run alone on a fresh kernel:\n{str(error)[-3000:]}")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "every code cell ran"
    installed = _text(code[0])
    assert f"Installed the course, bplab {VERSION}, from {fresh['wheel']}" in installed, (
        f"{path.name}: the first cell did not install the course: {installed!r}")
    for cell in code:  # a set's score cell grades the saved notebook with the installed course (learner mode)
        if "learner_score(" in cell.source:
            assert re.search(r"\d+ / \d+ auto points", _text(cell)), f"{path.name}: the score cell said {_text(cell)!r}"
    print(f"{path.name}: {time.monotonic() - start:.1f} s")
