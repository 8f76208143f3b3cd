"""Colab, Binder and JupyterHub (nbgitpuller) links of a notebook, and the course's install address, from the one
config file course.toml.

Used by the website build (the "run this notebook" box on every lesson page), by the JupyterHub rehearsal test
(the same nbgitpuller link, pointed at a local hub and a local clone), by docs/site/install_cell.py (the first cell
of every notebook installs the course from `install_requirement`) and by instructors::

    python docs/site/course_links.py                                  # links for notebook 00
    python docs/site/course_links.py exercises/05-losses-and-gradient-descent.ipynb
    python docs/site/course_links.py --hub https://hub.my-school.edu notebooks/08-mlp-on-real-data.ipynb
    python docs/site/course_links.py --table                          # Colab and Binder of every lesson and set
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: Sphinx's own dependency tomli reads the same files
    import tomli as tomllib

CONFIG = Path(__file__).with_name("course.toml")
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
FIRST_NOTEBOOK = "notebooks/00-start-here.ipynb"
# Where each interface opens a notebook, relative to the single-user server (and so to the learner's home).
APP_PATHS = {"lab": "lab/tree", "notebook": "notebooks"}


@dataclass(frozen=True)
class Course:
    """Where the course lives: its git repository, a BinderHub and a JupyterHub.

    ``release`` is the git ref (a tag or a commit) of the course's current version: the notebooks' first cell
    installs the package from it, and Colab opens the notebooks at it. ``{version}`` in it stands for the
    package's version (pyproject.toml), so ``"v{version}"`` names the tag ``v0.1.0``.
    """

    repo_url: str
    branch: str
    binder_url: str
    hub_url: str
    hub_app: str = "lab"
    release: str = "v{version}"

    @property
    def clone_folder(self) -> str:
        """The folder nbgitpuller makes in the learner's home: the URL's last path part, as it is (with any .git)."""
        return urlsplit(self.repo_url).path.rstrip("/").rsplit("/", 1)[-1]


def load(path: Path | str = CONFIG) -> Course:
    """Read course.toml; raise ValueError naming the missing or malformed key."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    try:
        course = Course(
            repo_url=data["repository"]["url"],
            branch=data["repository"].get("branch", "main"),
            binder_url=data["binder"]["url"],
            hub_url=data["hub"]["url"],
            hub_app=data["hub"].get("app", "lab"),
            release=data["repository"].get("release", "v{version}"),
        )
    except KeyError as missing:
        raise ValueError(f"{path}: expected the key {missing} (see the comments in docs/site/course.toml)") from None
    return validate(course)


def validate(course: Course) -> Course:
    """Check the URLs and the app name; return the course unchanged."""
    for name in ("binder_url", "hub_url"):
        value = getattr(course, name)
        if urlsplit(value).scheme not in ("http", "https") or value.endswith("/"):
            raise ValueError(f"{name} must be an http(s) address without a trailing slash, got {value!r}")
    if course.hub_app not in APP_PATHS:
        raise ValueError(f"hub app must be one of {sorted(APP_PATHS)}, got {course.hub_app!r}")
    if not course.branch:
        raise ValueError("branch must name a branch of the repository, got an empty string")
    if not course.clone_folder:
        raise ValueError(f"repository url must end with the repository's name, got {course.repo_url!r}")
    if not re.fullmatch(r"[A-Za-z0-9._/{}+-]+", course.release or ""):
        raise ValueError(f"release must name a git tag or commit (letters, digits, . _ / + -), got {course.release!r}")
    return course


# The template's addresses in course.toml, until a course sets its own: no link is made to them (the site says so).
PLACEHOLDERS = ("github.com/your-org/", "your-hub.example.org")


def placeholder_addresses(course: Course) -> list[str]:
    """The addresses of `course` that still name the template's placeholders (repository first, then the hub)."""
    return [url for url in (course.repo_url, course.hub_url) if any(mark in url for mark in PLACEHOLDERS)]


def project_version(pyproject: Path | str = PYPROJECT) -> str:
    """The package's version, as pyproject.toml states it."""
    with open(pyproject, "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def release_ref(course: Course, version: str | None = None) -> str:
    """The git ref of this version of the course: ``course.release`` with ``{version}`` filled in."""
    return course.release.replace("{version}", version or project_version())


def install_requirement(course: Course, version: str | None = None) -> str:
    """What the notebooks' first cell gives ``pip install``: the course's own repository at this version's ref.

    A direct git reference (``bplab @ git+https://...@v0.1.0``), never a bare name that a public index could serve
    from someone else's upload.
    """
    if re.search(r"[\s\"'{}]", course.repo_url):
        raise ValueError(f"repository url cannot go into a pip requirement: {course.repo_url!r}")
    return f"bplab @ git+{course.repo_url.removeprefix('git+')}@{release_ref(course, version)}"


def _check_notebook(notebook: str) -> str:
    if notebook.startswith("/") or not notebook.endswith(".ipynb"):
        raise ValueError(f"notebook must be a path inside the repository ending in .ipynb, got {notebook!r}")
    return notebook


def github_repository(course: Course) -> str | None:
    """``org/repo`` when the course lives on github.com, else None."""
    parts = urlsplit(course.repo_url)
    if parts.netloc != "github.com":
        return None
    return parts.path.strip("/").removesuffix(".git")


def colab_link(course: Course, notebook: str = FIRST_NOTEBOOK, version: str | None = None) -> str | None:
    """Google Colab link that opens ``notebook`` from GitHub at this version's release ref (None off GitHub).

    Colab gives a kernel only: the notebook's first cell installs the course from the same ref.
    """
    _check_notebook(notebook)
    org_repo = github_repository(course)
    if org_repo is None:
        return None
    ref = quote(release_ref(course, version), safe="")
    return f"https://colab.research.google.com/github/{org_repo}/blob/{ref}/{quote(notebook)}"


def binder_link(course: Course, notebook: str = FIRST_NOTEBOOK) -> str:
    """mybinder.org link that builds the repository and opens ``notebook`` in JupyterLab."""
    _check_notebook(notebook)
    org_repo = github_repository(course)
    if org_repo is not None:
        spec = f"gh/{org_repo}/{quote(course.branch, safe='')}"
    else:
        spec = f"git/{quote(course.repo_url, safe='')}/{quote(course.branch, safe='')}"
    return f"{course.binder_url}/v2/{spec}?" + urlencode({"labpath": notebook}, quote_via=quote, safe="")


def nbgitpuller_link(course: Course, notebook: str = FIRST_NOTEBOOK) -> str:
    """JupyterHub link: log in, clone (first click) or merge-pull (later clicks) the repository, open ``notebook``.

    ``urlpath`` is relative to the learner's home, so it starts with the clone's folder.
    """
    _check_notebook(notebook)
    query = {
        "repo": course.repo_url,
        "branch": course.branch,
        "urlpath": f"{APP_PATHS[course.hub_app]}/{course.clone_folder}/{notebook}",
    }
    return f"{course.hub_url}/hub/user-redirect/git-pull?" + urlencode(query, quote_via=quote, safe="")


def run_links(course: Course, notebook: str, version: str | None = None) -> str:
    """Markdown ``[Colab](...) · [Binder](...)`` for a table of notebooks (Binder alone off GitHub)."""
    colab = colab_link(course, notebook, version)
    binder = f"[Binder]({binder_link(course, notebook)})"
    return f"[Colab]({colab}) · {binder}" if colab else binder


def course_notebooks(root: Path = PYPROJECT.parent) -> list[str]:
    """Every lesson and exercise set, as paths inside the repository, in order."""
    return [f"{folder}/{path.name}" for folder in ("notebooks", "exercises")
            for path in sorted((Path(root) / folder).glob("[0-9][0-9]*-*.ipynb"))]  # 05-..., 05b-..., 06-...


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?", default=FIRST_NOTEBOOK, help="path inside the repository")
    parser.add_argument("--config", default=CONFIG, help="course.toml to read (default: the repository's)")
    parser.add_argument("--hub", help="JupyterHub address, overriding course.toml")
    parser.add_argument("--repo", help="git repository URL, overriding course.toml")
    parser.add_argument("--table", action="store_true",
                        help="print '| notebook | Colab · Binder |' rows for every lesson and exercise set")
    args = parser.parse_args(argv)
    course = load(args.config)
    course = validate(replace(course, hub_url=args.hub or course.hub_url, repo_url=args.repo or course.repo_url))
    if args.table:
        for notebook in course_notebooks():
            print(f"| {notebook} | {run_links(course, notebook)} |")
        return
    colab = colab_link(course, args.notebook)
    print(f"Colab:      {colab or 'none (Colab opens notebooks from GitHub only)'}")
    print(f"Binder:     {binder_link(course, args.notebook)}")
    print(f"JupyterHub: {nbgitpuller_link(course, args.notebook)}")
    print(f"Install:    pip install \"{install_requirement(course)}\"")


if __name__ == "__main__":
    main()
