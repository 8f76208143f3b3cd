"""The guide's recipe for a private course, run word for word: the learners' repository holds no solution text in
its whole history.

docs/instructors.md's two recipe blocks ("private course" and "update") are read from the guide and run in a shell,
with the two GitHub URLs replaced by local folders: this repository (cloned at its HEAD) and a bare repository
standing for the learners' one. Between the steps the test does what the guide tells the instructor to: it edits
``private/solutions`` (a hidden test and a model answer of its own, with marker strings no public file has). Then
it clones the learners' repository as a learner would and searches ``git log --all -p`` for the solution markers,
the markers it planted, and every line of the solution and hidden-test regions that no public file of the course
has (computed here, independently of `bplab.course.publish`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bplab.course.exercises import SET_PATTERN, cell_role, nbgrader_meta
from bplab.course.publish import TRAILER, PublishError, learner_makefile, publish

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "instructors.md"
PUBLIC_URL = "https://github.com/your-org/bplab"
LEARNERS_URL = "https://github.com/your-org/bplab-learners"
PLANTED = {"hidden": "bplab-private-hidden-7f3a", "solution": "bplab-private-solution-9c1e",
           "written": "bplab-private-written-4d2b", "update": "bplab-private-hidden-2b6d"}
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# The package's tools that strip solutions and look for leaks name the markers; no other published file may.
DEFINES_MARKERS = {"bplab/course/exercises.py", "bplab/course/publish.py"}
EXPECTED = {".gitignore", "Makefile", "README.md", "bplab", "environment.yml", "exercises", "notebooks",
            "pyproject.toml"}

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")


def recipe(name: str) -> list[str]:
    """The command lines of the guide's recipe block `name` (the code block after its HTML comment)."""
    text = GUIDE.read_text(encoding="utf-8")
    found = re.search(rf"<!-- recipe: {name}\b.*?-->\n```\n(.*?)```", text, re.DOTALL)
    assert found, f"docs/instructors.md has no recipe block {name!r}"
    return [line for line in found.group(1).splitlines() if line.strip() and not line.startswith("#")]


def shell(lines: list[str], cwd: Path, env: dict) -> str:
    script = "set -euo pipefail\n" + "\n".join(lines) + "\npwd\n"
    done = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"the guide's commands failed:\n{script}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def plant(solutions: Path, key: str) -> None:
    """Edit the private solutions as the guide says: a hidden test of our own, a model answer and a written one."""
    path = solutions / "06-xor-backprop-by-hand.ipynb"
    nb = nbformat.read(path, as_version=4)
    test = next(c for c in nb.cells if cell_role(c) == "test" and "END HIDDEN TESTS" in c.source)
    test.source = test.source.replace("### END HIDDEN TESTS", f'_private = "{PLANTED[key]}"\n### END HIDDEN TESTS', 1)
    if key == "update":  # and a visible fix, which learners get as a new commit
        intro = next(c for c in nb.cells if c.cell_type == "markdown")
        intro.source += "\n\nUpdated: question 3 now says which learning rate to use."
    else:
        answer = next(c for c in nb.cells if cell_role(c) == "answer" and "### END SOLUTION" in c.source)
        end = "    ### END SOLUTION"
        answer.source = answer.source.replace(end, f"    # {PLANTED['solution']}\n{end}")
        written = next(c for c in nb.cells if cell_role(c) == "written")
        written.source += f"\n\n{PLANTED['written']}: a private model answer."
    nbformat.write(nb, path)


def region_lines(solutions: Path) -> tuple[set[str], set[str]]:
    """(lines inside solution and hidden-test regions and written answers, every other line) of the notebooks."""
    inside, outside = set(), set()
    for path in sorted(solutions.glob(SET_PATTERN)):
        for cell in nbformat.read(path, as_version=4).cells:
            written = cell_role(cell) == "written"
            region = False
            for line in cell.source.split("\n"):
                text = line.strip()
                if "BEGIN SOLUTION" in text or "BEGIN HIDDEN TESTS" in text:
                    region = True
                elif "END SOLUTION" in text or "END HIDDEN TESTS" in text:
                    region = False
                else:
                    (inside if region or written else outside).add(text)
    return inside, outside


def public_lines(course: Path) -> set[str]:
    """Every stripped line of the course's learner files: the lessons' cells and the package's sources."""
    lines = set()
    for path in sorted((course / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            lines.update(line.strip() for line in cell.source.split("\n"))
    for path in sorted((course / "bplab").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json"):
            lines.update(line.strip() for line in path.read_text(encoding="utf-8").split("\n"))
    return lines


def history(repo: Path) -> tuple[str, dict[str, set[str]]]:
    """`git log --all -p` of `repo`, and the stripped text of its added lines by file (notebook JSON decoded)."""
    log = subprocess.run(["git", "log", "--all", "-p", "--no-color"], cwd=repo, capture_output=True, text=True,
                         check=True).stdout
    added: dict[str, set[str]] = {}
    name = ""
    for line in log.split("\n"):
        header = re.match(r"diff --git a/(\S+) b/(\S+)", line)
        if header:
            name = header.group(2)
            continue
        if line.startswith("+") and not line.startswith("+++"):
            text = line[1:].strip()
            lines = added.setdefault(name, set())
            lines.add(text)
            if name.endswith(".ipynb") and text.rstrip(",").startswith('"'):
                try:
                    lines.update(part.strip() for part in json.loads(text.rstrip(",")).split("\n"))
                except ValueError:
                    pass
    return log, added


@pytest.fixture(scope="module")
def learners(tmp_path_factory) -> dict:
    """The guide's two recipes run in a fresh folder; the learners' repository cloned as a learner would."""
    work = tmp_path_factory.mktemp("instructor")
    remote = tmp_path_factory.mktemp("remote") / "bplab-learners.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)  # like GitHub's
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "Instructor", "GIT_AUTHOR_EMAIL": "instructor@example.org",
           "GIT_COMMITTER_NAME": "Instructor", "GIT_COMMITTER_EMAIL": "instructor@example.org"}

    def local(line: str) -> str:
        return line.replace(LEARNERS_URL, str(remote)).replace(PUBLIC_URL, str(ROOT))

    first = [local(line) for line in recipe("private course")]
    made = next(i for i, line in enumerate(first) if "private/solutions" in line and "publish" not in line)
    folder = Path(shell(first[: made + 1], work, env).split("\n")[-2])  # the clone, where the guide cds to
    assert (folder / "private" / "solutions").is_dir() and folder.name == "bplab-private"
    plant(folder / "private" / "solutions", "hidden")
    said = shell(first[made + 1:], folder, env)
    plant(folder / "private" / "solutions", "update")
    said += shell([local(line) for line in recipe("update")], folder, env)

    clone = tmp_path_factory.mktemp("learner") / "bplab-learners"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    log, added = history(clone)
    return {"folder": folder, "clone": clone, "log": log, "added": added, "said": said}


def test_the_learners_repository_holds_what_a_learner_needs_and_no_solutions_folder(learners):
    clone, course = learners["clone"], learners["folder"]
    licenses = {p.name for p in course.iterdir() if p.name.startswith(("LICENSE", "COPYING"))}
    assert {p.name for p in clone.iterdir()} - {".git"} == EXPECTED | licenses
    assert sorted(p.name for p in (clone / "exercises").glob(SET_PATTERN)) == sorted(
        p.name for p in (course / "private" / "solutions").glob(SET_PATTERN))
    assert sorted(p.name for p in (clone / "notebooks").iterdir()) == sorted(
        p.name for p in (course / "notebooks").glob("*.ipynb"))
    paths = subprocess.run(["git", "log", "--all", "--name-only", "--format="], cwd=clone, capture_output=True,
                           text=True, check=True).stdout.split()
    assert paths and not [p for p in paths if p.split("/")[0] in ("solutions", "tests", "docs", "private")]
    readme = " ".join((clone / "README.md").read_text().split())
    assert "visible tests only" in readme and "make lab" in readme and course.name not in readme


def test_its_whole_history_holds_no_solution_text(learners):
    log, added = learners["log"], learners["added"]
    for token in PLANTED.values():
        assert token not in log, f"{token} (planted in private/solutions) is in the learners' history"
    for name, lines in added.items():
        if name not in DEFINES_MARKERS:
            leaked = [line for line in lines if any(marker in line for marker in MARKERS)]
            assert not leaked, f"{name}: solution markers in the learners' history: {leaked[:3]}"
    inside, outside = region_lines(learners["folder"] / "private" / "solutions")
    secret = {line for line in inside if len(line) >= 20} - outside - public_lines(learners["folder"])
    assert len(secret) > 500, "the search needs the private solutions' distinctive lines"
    everything = set().union(*added.values())
    leaked = sorted(secret & everything)
    assert not leaked, f"{len(leaked)} lines of the solutions are in the learners' history: {leaked[:5]}"


def test_one_branch_and_one_commit_per_publish_each_made_by_bplab_publish(learners):
    clone = learners["clone"]
    branches = subprocess.run(["git", "branch", "-a", "--format=%(refname:short)"], cwd=clone, capture_output=True,
                              text=True, check=True).stdout.split()
    assert branches == ["main", "origin", "origin/main"] or branches == ["main", "origin/HEAD", "origin/main"]
    messages = subprocess.run(["git", "log", "--all", "--format=%B%x00"], cwd=clone, capture_output=True,
                              text=True, check=True).stdout.split("\0")
    messages = [m for m in messages if m.strip()]
    assert len(messages) == 2 and all(TRAILER in m for m in messages)
    assert "push it: git -C ../bplab-learners push" in learners["said"]


def test_publishing_again_without_a_change_makes_no_commit(learners):
    folder = learners["folder"]
    before = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder.parent / "bplab-learners", capture_output=True,
                            text=True, check=True).stdout
    done = publish(folder / "private" / "solutions", folder.parent / "bplab-learners", folder)
    assert done.commit is None
    assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder.parent / "bplab-learners", capture_output=True,
                          text=True, check=True).stdout == before


def test_the_learners_makefile_is_the_courses_own_install_and_lab_rules():
    course = (ROOT / "Makefile").read_text()
    made = learner_makefile(course)
    for rule in ("$(STAMP): pyproject.toml", "lab: install"):
        block = course[course.index(rule):].split("\n\n")[0]
        assert block in made
    assert "doctor: install" in made and "solutions" not in made and "pytest" not in made


def test_the_learners_makefile_runs(learners):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-n", "lab"], cwd=learners["clone"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pip install" in done.stdout and "-m bplab.course.lab" in done.stdout


def test_every_set_tells_learners_their_score_is_the_visible_tests_only():
    for path in sorted((ROOT / "exercises").glob(SET_PATTERN)):
        opening = " ".join(" ".join(c.source.split()) for c in nbformat.read(path, as_version=4).cells[:3]
                           if c.cell_type == "markdown")
        assert "visible tests only" in opening, f"{path.name}: its opening does not say 'visible tests only'"
        assert "the way an instructor sees" not in opening, path.name
        assert "hidden tests" in opening, path.name


@pytest.fixture
def one_set(tmp_path) -> Path:
    solutions = tmp_path / "private" / "solutions"
    solutions.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "01-chain-rule-and-numerical-derivatives.ipynb", solutions)
    return solutions


def test_publish_refuses_an_out_folder_it_did_not_make(one_set, tmp_path):
    with pytest.raises(PublishError, match="lies inside the course folder"):
        publish(one_set, ROOT / "build" / "learners", ROOT)
    full = tmp_path / "full"
    (full / "notes").mkdir(parents=True)
    with pytest.raises(PublishError, match="a folder with files and no git repository"):
        publish(one_set, full, ROOT)
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    (other / "x").write_text("x")
    subprocess.run(["git", "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-q", "--allow-empty", "-m", "mine"],
                   cwd=other, check=True)
    with pytest.raises(PublishError, match="bplab publish did not make"):
        publish(one_set, other, ROOT)
    assert (other / "x").read_text() == "x"  # untouched


def test_publish_stops_before_committing_solution_text(one_set, tmp_path, monkeypatch):
    """A build that leaked (here: the solutions copied as the exercises) is caught and nothing is written."""
    import bplab.course.exercises as exercises

    def leaky_build(solutions, out, data="update"):
        out.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy(p, out)) for p in sorted(Path(solutions).glob(SET_PATTERN))]

    monkeypatch.setattr(exercises, "build", leaky_build)
    out = tmp_path / "learners"
    with pytest.raises(PublishError, match=r"(?s)solution text in the files to publish.*exercises/01-.*marker"):
        publish(one_set, out, ROOT)
    assert not out.exists()


def test_publish_refuses_a_history_that_already_holds_solutions(one_set, tmp_path, monkeypatch):
    out = tmp_path / "learners"
    out.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@b"}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=out, check=True)
    (out / "solutions").mkdir()
    shutil.copy(one_set / "01-chain-rule-and-numerical-derivatives.ipynb", out / "solutions")
    subprocess.run(["git", "add", "-A"], cwd=out, check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"an old mistake\n\n{TRAILER}"], cwd=out, check=True, env=env)
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, env[key])
    with pytest.raises(PublishError, match="(?s)solution text in the history.*solutions/01-"):
        publish(one_set, out, ROOT)
    grade_ids = {nbgrader_meta(c).get("grade_id") for c in nbformat.read(
        out / "exercises" / "01-chain-rule-and-numerical-derivatives.ipynb", as_version=4).cells}
    assert "q1_numerical_derivative" in grade_ids  # the new tree is there, committed, but the history is refused
