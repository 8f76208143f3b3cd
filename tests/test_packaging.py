"""Packaging checks: the package's dependencies hold no Jupyter front end or kernel (those are the `lab` extra,
which `make lab` installs), environment.yml matches pyproject.toml's dependencies plus that extra, Binder
(repo2docker) can build the repository unchanged, notebooks are stored clean, and CI runs what README tells a
user to run. (tests/test_open_anywhere.py installs the built wheel into a fresh environment.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11: pytest itself depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
# conda-forge name -> PyPI name, where they differ.
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}
NOTEBOOK_DIRS = ("notebooks", "solutions", "exercises")
# A Jupyter front end, its server or a kernel: a host (Colab, a JupyterHub, an existing Jupyter) brings its own, and
# installing the course must not replace them. Normalized names.
FRONT_END = frozenset({
    "jupyterlab", "notebook", "nbclassic", "jupyter-server", "jupyterlab-server", "notebook-shim", "jupyter-lsp",
    "jupyter-server-terminals", "jupyter-server-ydoc", "jupyter-collaboration", "voila", "jupyter", "qtconsole",
    "jupyter-console", "ipykernel", "jupyterhub",
})
# What `make lab` adds for a complete local course: the front end, the widget extension and the kernel.
LAB_EXTRA = {"jupyterlab", "jupyterlab-widgets", "notebook", "ipykernel"}


def parse_simple_yaml(text: str) -> dict:
    """Parse the small YAML subset environment.yml uses, without a YAML library.

    Top-level ``key: value`` and ``key:`` followed by a list of ``- item`` lines; a list item
    ``- name:`` opens a nested list (the ``pip:`` section). Comments and blank lines are skipped.
    """
    result: dict = {}
    key = None
    nested: list | None = None
    nested_indent = -1
    for raw in text.splitlines():
        line = raw.split(" #")[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        content = line.strip()
        if indent == 0:
            nested = None
            name, _, value = content.partition(":")
            key = name.strip()
            result[key] = value.strip() if value.strip() else []
            continue
        if not content.startswith("- "):
            raise ValueError(f"environment.yml: cannot read line {raw!r}")
        item = content[2:].strip()
        if nested is not None and indent > nested_indent:
            nested.append(item)
            continue
        nested = None
        if item.endswith(":") and not item.startswith("-"):
            nested, nested_indent = [], indent
            result[key].append({item[:-1]: nested})
        else:
            result[key].append(item)
    return result


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def _bounds(requirement: str) -> set[str]:
    return {str(spec) for spec in Requirement(requirement).specifier}


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def environment() -> dict:
    path = REPO / "environment.yml"
    assert path.is_file(), "environment.yml must sit at the top of the repository (Binder reads it there)"
    return parse_simple_yaml(path.read_text(encoding="utf-8"))


def conda_packages(environment: dict) -> dict[str, str]:
    """PyPI-style requirement of each conda dependency, by normalized PyPI name (python and pip left out)."""
    packages = {}
    for dep in environment["dependencies"]:
        if not isinstance(dep, str):
            continue
        requirement = re.sub(r"\s+", "", dep)
        conda_name = Requirement(requirement).name
        if conda_name in ("python", "pip"):
            continue
        pypi_name = CONDA_TO_PYPI.get(conda_name, conda_name)
        packages[_name(pypi_name)] = pypi_name + requirement[len(conda_name):]
    return packages


def test_the_yaml_reader_reads_nested_pip_sections():
    text = "name: x\nchannels:\n  - conda-forge  # main\ndependencies:\n  - numpy>=1\n  - pip:\n      - -e .\n"
    assert parse_simple_yaml(text) == {
        "name": "x", "channels": ["conda-forge"], "dependencies": ["numpy>=1", {"pip": ["-e ."]}],
    }


def test_environment_uses_conda_forge_and_a_python_bplab_supports(environment, pyproject):
    assert environment["channels"][0] == "conda-forge"
    assert "defaults" not in environment["channels"]
    pythons = [d for d in environment["dependencies"] if isinstance(d, str) and _name(d) == "python"]
    assert len(pythons) == 1, "environment.yml must name python once, with a lower bound"
    lower = [s.version for s in Requirement(pythons[0]).specifier if s.operator == ">="]
    assert lower, f"python needs a lower bound in environment.yml, got {pythons[0]!r}"
    assert lower[0] in SpecifierSet(pyproject["project"]["requires-python"]), (
        f"environment.yml allows python {lower[0]}, pyproject.toml requires "
        f"{pyproject['project']['requires-python']}"
    )


def test_the_package_depends_on_no_front_end_and_the_lab_extra_holds_it(pyproject):
    base = {_name(r) for r in pyproject["project"]["dependencies"]}
    assert not base & FRONT_END, f"front-end packages among the package's dependencies: {sorted(base & FRONT_END)}"
    assert {"numpy", "matplotlib", "ipywidgets", "tqdm", "nbformat"} <= base, sorted(base)
    extras = pyproject["project"]["optional-dependencies"]
    assert {_name(r) for r in extras["lab"]} == LAB_EXTRA
    assert "bplab[lab]" in extras["test"], "the developers' install runs JupyterLab too (make lab's test, the site)"


def test_make_installs_the_lab_extra_for_learners_and_the_hub():
    makefile = (REPO / "Makefile").read_text()
    for target in ("$(STAMP)", "$(HUB_USERS)/.installed"):  # the learner's .venv, the hub's learners' .venv-hub
        recipe = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
        assert recipe, f"no recipe for {target} in the Makefile"
        extras = re.findall(r"pip install .*-e '\.\[([\w,]+)\]'", recipe.group(1))
        assert extras and "lab" in extras[0].split(","), f"{target} must install '.[lab...]', got {recipe.group(1)!r}"


def test_environment_and_pyproject_list_the_same_packages_and_bounds(environment, pyproject):
    """environment.yml = the package's dependencies + the lab extra (conda users and Binder get a front end)."""
    declared = {_name(r): r for r in pyproject["project"]["dependencies"]}
    declared |= {_name(r): r for r in pyproject["project"]["optional-dependencies"]["lab"]}
    conda = conda_packages(environment)
    assert set(conda) == set(declared), (
        f"only in environment.yml: {sorted(set(conda) - set(declared))}; "
        f"only in pyproject.toml: {sorted(set(declared) - set(conda))}"
    )
    for name, requirement in declared.items():
        assert _bounds(conda[name]) == _bounds(requirement), (
            f"{name}: environment.yml says {conda[name]!r}, pyproject.toml says {requirement!r}"
        )


def test_environment_installs_the_course_package_with_pip(environment):
    deps = environment["dependencies"]
    assert "pip" in deps, "list pip itself before the pip: section"
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert pip_sections == [["-e ."]], f"the pip: section must install the course with '-e .', got {pip_sections}"


def test_repo2docker_reads_environment_yml_and_nothing_else():
    """Binder uses binder/ or .binder/ instead of the top level, and ignores requirements.txt
    beside environment.yml: none of those may exist."""
    for name in ("requirements.txt", "binder", ".binder", "Pipfile"):
        assert not (REPO / name).exists(), f"{name} would change or confuse what Binder installs"


def _notebooks():
    return sorted(
        path for folder in NOTEBOOK_DIRS if (REPO / folder).is_dir()
        for path in (REPO / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
    )


def test_there_are_notebooks_to_check():
    assert (REPO / "notebooks" / "00-start-here.ipynb").is_file()


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: str(p.relative_to(REPO)))
def test_notebooks_are_stored_without_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        index for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; strip them before committing"
    assert "widgets" not in notebook.get("metadata", {}), f"{path.name} stores widget state; strip it"


def test_ci_runs_make_test_and_make_test_installs_chromium():
    commands = [
        line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert "make test" in commands, f".ci/run must call `make test`; it runs {commands}"
    makefile = (REPO / "Makefile").read_text()
    target = re.search(r"^test:(.*)$", makefile, re.MULTILINE)
    assert target and "browser-deps" in target.group(1), "make test must depend on browser-deps"


def _estimated_time(path: Path) -> str | None:
    """The "Estimated time: NN min" a notebook states, as "NN min" (None when it states none)."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        match = re.search(r"Estimated time\**\s*:?\**\s*(\d+)\s*min", source, re.IGNORECASE)
        if match:
            return f"{match.group(1)} min"
    return None


def _lessons() -> list[Path]:
    """The lessons, in order: 05-..., then a lesson added after it, 05b-..., then 06-..."""
    return sorted(p for p in (REPO / "notebooks").glob("*.ipynb") if re.match(r"\d\d[a-z]?-", p.name))


def test_instructor_guide_lists_every_notebook_with_its_time():
    guide = (REPO / "docs" / "instructors.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\|\s*(\d\d[a-z]?-[\w-]+)\s*\|\s*([^|]+?)\s*\|", guide, re.MULTILINE))
    notebooks = _lessons()
    assert notebooks
    for path in notebooks:
        assert path.stem in rows, f"docs/instructors.md has no row for {path.stem} in its timing table"
        stated = _estimated_time(path)
        assert stated, f"{path.name} has no 'Estimated time: NN min' line"
        assert rows[path.stem] == stated, (
            f"docs/instructors.md gives {path.stem} {rows[path.stem]!r}, the notebook says {stated!r}"
        )
    extra = set(rows) - {p.stem for p in notebooks}
    assert not extra, f"docs/instructors.md lists notebooks that do not exist: {sorted(extra)}"


def test_readme_table_lists_every_notebook_with_its_time():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    row = r"^\|\s*\d\d[a-z]?\s*\|\s*\[[^]]+\]\(notebooks/([\w-]+)\.ipynb\)\s*\|[^|]*\|\s*(\d+ min)\s*\|"
    rows = dict(re.findall(row, readme, re.MULTILINE))
    notebooks = _lessons()
    assert sorted(rows) == [p.stem for p in notebooks], "README's notebook table must list every notebook, in order"
    for path in notebooks:
        assert rows[path.stem] == _estimated_time(path), f"README gives {path.stem} {rows[path.stem]!r}"
    sets = sorted(p.name.split("-")[0] for p in (REPO / "exercises").glob("[0-9][0-9]*-*.ipynb"))  # 09, 09b
    listed = re.search(r"sets ((?:\d\d[a-z]?(?:, | and ))+\d\d[a-z]?),", readme).group(1)
    assert sorted(re.findall(r"\d\d[a-z]?", listed)) == sets, f"README lists sets {listed}, exercises/ has {sets}"


def test_instructor_guide_links_use_placeholders_and_point_at_notebook_00():
    guide = (REPO / "docs" / "instructors.md").read_text(encoding="utf-8")
    # The links are generated from docs/site/course.toml (tests/site/test_course_links.py checks them exactly).
    assert "labpath=notebooks%2F00-start-here.ipynb" in guide
    assert "/hub/user-redirect/git-pull?repo=https%3A%2F%2F" in guide
    assert "urlpath=lab%2Ftree%2Fbplab%2Fnotebooks%2F00-start-here.ipynb" in guide
    for command in ("bplab exercises build", "bplab grade", "--csv", "git checkout -- notebooks/"):
        assert command in guide
