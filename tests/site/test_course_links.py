"""Binder and nbgitpuller links from docs/site/course.toml: encoded so that every value comes back exactly."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bplab_site_course_links", REPO / "docs" / "site" / "course_links.py")
links = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = links  # dataclasses look their module up there
_spec.loader.exec_module(links)
NOTEBOOKS = ["notebooks/00-start-here.ipynb", "exercises/05-losses-and-gradient-descent.ipynb"]


def _query(url: str) -> dict[str, str]:
    values = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in values.values()), f"a parameter is repeated in {url}"
    return {key: v[0] for key, v in values.items()}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_nbgitpuller_link_round_trips(notebook):
    course = links.Course(
        repo_url="https://git.example.edu/teach/bplab.git", branch="spring-2026", binder_url="https://mybinder.org",
        hub_url="https://hub.example.edu/prefix", hub_app="lab",
    )
    url = links.nbgitpuller_link(course, notebook)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://hub.example.edu/prefix/hub/user-redirect/git-pull"
    assert _query(url) == {
        "repo": "https://git.example.edu/teach/bplab.git",
        "branch": "spring-2026",
        "urlpath": f"lab/tree/bplab.git/{notebook}",  # nbgitpuller keeps the .git in the folder's name
    }
    # Every reserved character inside a value is percent-encoded (a raw "/" or ":" would be read by some hubs).
    for value in parts.query.split("&"):
        assert re.fullmatch(r"[a-z]+=[A-Za-z0-9%._~-]+", value), value


def test_links_keep_odd_characters_intact():
    course = links.Course(
        repo_url="file:///tmp/a course/bplab&co.git", branch="feature/x+y", binder_url="https://binder.example.org",
        hub_url="http://127.0.0.1:8000", hub_app="notebook",
    )
    assert course.clone_folder == "bplab&co.git"
    query = _query(links.nbgitpuller_link(course, "notebooks/00-start-here.ipynb"))
    urlpath = "notebooks/bplab&co.git/notebooks/00-start-here.ipynb"
    assert query == {"repo": course.repo_url, "branch": "feature/x+y", "urlpath": urlpath}
    binder = links.binder_link(course, "notebooks/00-start-here.ipynb")
    encoded_repo = "file%3A%2F%2F%2Ftmp%2Fa%20course%2Fbplab%26co.git"
    assert binder.startswith(f"https://binder.example.org/v2/git/{encoded_repo}/feature%2Fx%2By?")
    assert _query(binder) == {"labpath": "notebooks/00-start-here.ipynb"}


def test_binder_link_for_a_github_repository():
    course = links.load()
    if urlsplit(course.repo_url).netloc != "github.com":
        pytest.skip("course.toml names a repository outside GitHub")  # the git/ form is tested above
    url = links.binder_link(course, "notebooks/08-mlp-on-real-data.ipynb")
    org_repo = urlsplit(course.repo_url).path.strip("/").removesuffix(".git")
    assert url.startswith(f"{course.binder_url}/v2/gh/{org_repo}/{course.branch}?")
    assert _query(url) == {"labpath": "notebooks/08-mlp-on-real-data.ipynb"}
    assert "labpath=notebooks%2F08-mlp-on-real-data.ipynb" in url


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hub_url": "https://hub.example.org/"}, "hub_url"),
        ({"hub_url": "hub.example.org"}, "hub_url"),
        ({"binder_url": "ftp://binder"}, "binder_url"),
        ({"hub_app": "classic"}, "hub app"),
        ({"repo_url": "https://github.com/o/bplab", "branch": ""}, "branch"),
        ({"repo_url": "https://github.com/"}, "repository url"),
    ],
)
def test_bad_configuration_is_named(change, message):
    good = dict(repo_url="https://github.com/o/bplab", branch="main", binder_url="https://mybinder.org",
                hub_url="https://hub.example.org")
    with pytest.raises(ValueError, match=message):
        links.validate(links.Course(**{**good, **change}))


def test_bad_notebook_path_is_named():
    course = links.load()
    for notebook in ("/etc/passwd", "notebooks/00-start-here.py"):
        with pytest.raises(ValueError, match="notebook must be a path inside the repository"):
            links.nbgitpuller_link(course, notebook)


def test_missing_key_is_named(tmp_path):
    config = tmp_path / "course.toml"
    config.write_text('[repository]\nurl = "https://github.com/o/bplab"\n[binder]\nurl = "https://mybinder.org"\n')
    with pytest.raises(ValueError, match="expected the key 'hub'"):
        links.load(config)


def test_command_line_prints_both_links(capsys):
    links.main(["--hub", "http://127.0.0.1:8000", "exercises/05-losses-and-gradient-descent.ipynb"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Binder:     https://") and "labpath=exercises%2F05-losses" in lines[0]
    assert lines[1].startswith("JupyterHub: http://127.0.0.1:8000/hub/user-redirect/git-pull?repo=")


def test_instructor_guide_shows_the_links_of_course_toml():
    """The guide's Binder and nbgitpuller links are the generated ones (regenerate them after editing course.toml)."""
    course = links.load()
    guide = (REPO / "docs" / "instructors.md").read_text(encoding="utf-8")
    assert links.binder_link(course) in guide
    assert links.nbgitpuller_link(course) in guide
    assert "<your-org>" not in guide and "<your-hub>" not in guide
