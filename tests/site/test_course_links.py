"""Colab, Binder and nbgitpuller links and the install address from docs/site/course.toml: encoded so that every
value comes back exactly; the site's run box and README carry them."""

from __future__ import annotations

import html
import importlib.util
import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from packaging.requirements import Requirement

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
    lines = {line.split(":", 1)[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["Binder"].startswith("Binder:     https://") and "labpath=exercises%2F05-losses" in lines["Binder"]
    assert lines["JupyterHub"].startswith("JupyterHub: http://127.0.0.1:8000/hub/user-redirect/git-pull?repo=")


def test_instructor_guide_shows_the_links_of_course_toml():
    """The guide's Binder and nbgitpuller links are the generated ones (regenerate them after editing course.toml)."""
    course = links.load()
    guide = (REPO / "docs" / "instructors.md").read_text(encoding="utf-8")
    assert links.binder_link(course) in guide
    assert links.nbgitpuller_link(course) in guide
    assert "<your-org>" not in guide and "<your-hub>" not in guide


# ------------------------------------------------------------------------------------------------------------------
# Colab links and the install address: the notebooks' first cell and Colab use the same release ref.


def test_colab_link_opens_the_notebook_at_the_release_ref():
    course = links.Course(repo_url="https://github.com/o/bplab.git", branch="main", binder_url="https://mybinder.org",
                          hub_url="https://hub.example.org", release="v{version}")
    assert links.colab_link(course, "exercises/05-losses-and-gradient-descent.ipynb", "1.2.0") == (
        "https://colab.research.google.com/github/o/bplab/blob/v1.2.0/exercises/05-losses-and-gradient-descent.ipynb")
    pinned = links.Course(**{**course.__dict__, "release": "3f2a9c1"})
    assert "/blob/3f2a9c1/notebooks/" in links.colab_link(pinned, "notebooks/00-start-here.ipynb", "1.2.0")
    elsewhere = links.Course(**{**course.__dict__, "repo_url": "https://git.example.edu/teach/bplab.git"})
    assert links.colab_link(elsewhere, "notebooks/00-start-here.ipynb") is None, "Colab opens GitHub notebooks only"


def test_install_requirement_is_a_git_reference_of_the_course_never_a_bare_name():
    course = links.load()
    requirement = links.install_requirement(course)
    version = links.project_version()
    assert requirement == f"bplab @ git+{course.repo_url}@{course.release.replace('{version}', version)}"
    parsed = Requirement(requirement)
    assert parsed.name == "bplab" and parsed.url.startswith("git+") and not parsed.specifier
    odd = links.Course(repo_url="https://git.example.edu/teach/bplab.git", branch="main",
                       binder_url="https://mybinder.org", hub_url="https://hub.example.org", release="spring-{version}")
    assert links.install_requirement(odd, "2.0") == "bplab @ git+https://git.example.edu/teach/bplab.git@spring-2.0"


def test_the_version_in_the_links_is_the_package_version():
    import bplab

    assert links.project_version() == bplab.__version__


@pytest.mark.parametrize("release", ["", "v 1", "v1;rm", "v1\"", "a@b"])
def test_a_bad_release_ref_is_named(release):
    good = dict(repo_url="https://github.com/o/bplab", branch="main", binder_url="https://mybinder.org",
                hub_url="https://hub.example.org")
    with pytest.raises(ValueError, match="release"):
        links.validate(links.Course(**good, release=release))


def test_a_repository_url_that_cannot_go_into_a_requirement_is_named():
    course = links.Course(repo_url="file:///tmp/a course/bplab", branch="main", binder_url="https://mybinder.org",
                          hub_url="https://hub.example.org")
    with pytest.raises(ValueError, match="pip requirement"):
        links.install_requirement(course, "0.1.0")


def test_command_line_prints_colab_and_the_install_command(capsys):
    links.main(["notebooks/08-mlp-on-real-data.ipynb"])
    out = capsys.readouterr().out
    course = links.load()
    assert f"Colab:      {links.colab_link(course, 'notebooks/08-mlp-on-real-data.ipynb')}" in out
    assert f'Install:    pip install "{links.install_requirement(course)}"' in out


def test_the_table_gives_colab_and_binder_for_every_lesson_and_set(capsys):
    links.main(["--table"])
    rows = capsys.readouterr().out.splitlines()
    notebooks = links.course_notebooks()
    assert len(rows) == len(notebooks) and any(n.startswith("exercises/") for n in notebooks)
    course = links.load()
    for row, notebook in zip(rows, notebooks):
        assert row == f"| {notebook} | {links.run_links(course, notebook)} |"
        assert f"[Binder]({links.binder_link(course, notebook)})" in row
        if links.colab_link(course, notebook):
            assert f"[Colab]({links.colab_link(course, notebook)})" in row


def _site_extension():
    sys.path.insert(0, str(REPO / "docs" / "site"))
    try:
        spec = importlib.util.spec_from_file_location("bplab_site_ext", REPO / "docs/site/_ext/bplab_site.py")
        ext = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ext)
    finally:
        sys.path.remove(str(REPO / "docs" / "site"))
    return ext


def test_the_site_run_box_links_colab_binder_hub_and_the_download():
    ext = _site_extension()
    course = links.Course(repo_url="https://github.com/teach-ml/bplab", branch="main", binder_url="https://mybinder.org",
                          hub_url="https://hub.teach-ml.example.edu")
    box = ext.run_box(course, "notebooks/04-a-single-neuron")
    found = dict(re.findall(r'<a class="bplab-run-(\w+)" href="([^"]+)"', box))
    notebook = "notebooks/04-a-single-neuron.ipynb"
    assert found == {
        "colab": html.escape(links.colab_link(course, notebook)),
        "binder": html.escape(links.binder_link(course, notebook)),
        "hub": html.escape(links.nbgitpuller_link(course, notebook)),
        "download": "04-a-single-neuron.ipynb",
    }
    assert list(found) == ["colab", "binder", "hub", "download"]
    assert "not configured" not in box
    off_github = links.Course(**{**course.__dict__, "repo_url": "https://git.example.edu/teach/bplab.git"})
    assert "bplab-run-colab" not in ext.run_box(off_github, "notebooks/04-a-single-neuron")


ALL = "Colab, Binder or a JupyterHub"


@pytest.mark.parametrize(
    ("repo_url", "hub_url", "linked", "missing"),
    [
        ("https://github.com/your-org/bplab", "https://your-hub.example.org", ["download"], ALL),
        ("https://github.com/your-org/bplab", "https://hub.school.edu", ["download"], ALL),
        ("https://github.com/teach-ml/bplab", "https://your-hub.example.org", ["colab", "binder", "download"],
         "a JupyterHub"),
    ],
)
def test_the_run_box_links_no_placeholder_address_and_says_so(repo_url, hub_url, linked, missing):
    ext = _site_extension()
    course = links.Course(repo_url=repo_url, branch="main", binder_url="https://mybinder.org", hub_url=hub_url)
    assert links.placeholder_addresses(course) == [u for u in (repo_url, hub_url) if "your-" in u]
    box = ext.run_box(course, "exercises/05-losses-and-gradient-descent")
    assert re.findall(r'<a class="bplab-run-(\w+)"', box) == linked
    assert "your-org" not in box and "your-hub" not in box
    assert f"This course is not configured for {missing} yet" in box
    assert "slider" not in box.lower(), "an exercise set has no sliders"


# PENDING until the coordinator puts the generated links into README.md (python docs/site/course_links.py --table).
def test_readme_links_every_lesson_to_colab_and_binder():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    course = links.load()
    missing = [notebook for notebook in links.course_notebooks() if notebook.startswith("notebooks/")
               and links.run_links(course, notebook) not in readme]
    assert not missing, f"README's table lacks the Colab and Binder links of {missing} (course_links.py --table)"


def test_notebook_00s_map_links_every_lesson_to_colab_and_binder():
    cells = json.loads((REPO / "notebooks" / "00-start-here.ipynb").read_text(encoding="utf-8"))["cells"]
    text = next("".join(c["source"]) for c in cells
                if c["cell_type"] == "markdown" and "## The map of the course" in "".join(c["source"]))
    course = links.load()
    missing = []
    for notebook in links.course_notebooks():
        number, run = notebook.removeprefix("notebooks/").split("-")[0], re.escape(links.run_links(course, notebook))
        if notebook.startswith("notebooks/") and not re.search(rf"^\| {number} \|.*\| {run} \|$", text, re.M):
            missing.append(notebook)
    assert not missing, f"notebook 00's map lacks the Colab and Binder links of {missing} (course_links.py --table)"
