"""The learners' repository: everything a learner needs, built from a private copy of the solutions, and nothing of
the solutions, in its whole history.

``bplab publish --solutions private/solutions --out ../bplab-learners`` (run in the course folder) writes, in a git
repository of its own at ``--out``:

- ``notebooks/``, the ``bplab`` package, ``pyproject.toml``, ``environment.yml`` and a LICENSE file if the course
  has one, as they are in the course folder (only the files git tracks there, when it is a git checkout: no
  ``.venv``, no notes of yours);
- ``exercises/``, built from ``--solutions`` (as ``bplab exercises build`` does: solution code and hidden tests
  removed; stale built-data regions are refreshed in ``--solutions`` too);
- a ``README.md`` for learners, a ``Makefile`` with the targets a learner uses (``make lab``, ``make install``,
  ``make doctor``: the course Makefile's own rules, copied) and a ``.gitignore``.

Never ``solutions/``, ``tests/``, ``docs/`` or anything else. The learners' repository is a separate repository,
not a branch of the course: pulling a repository brings every branch and its history, so a branch would bring
the solutions. Its history holds only what ``bplab publish`` wrote: each run replaces the files of the working
tree with the new ones and records **one new commit** (or none when nothing changed); files are copied, never
git objects, so no commit of the course (where ``solutions/`` lives) can reach it. ``--out`` must be a new or
empty folder, or a repository made by ``bplab publish`` (a clone of the learners' repository, for example).

Before the commit, the new files are searched for solution text: the markers (``BEGIN SOLUTION``, ``BEGIN HIDDEN
TESTS``) in a notebook, and every line of a solution or hidden-test region of ``--solutions`` that appears
nowhere in the course's public files; after it, the whole history (``git log --all -p``). Anything found stops
the command (`PublishError`) with the file and the line, and nothing is committed.

Push it yourself: ``git -C ../bplab-learners push``. Used in: `bplab publish` (docs/instructors.md, "A graded
course")
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

COPIED = ("notebooks", "bplab", "pyproject.toml", "environment.yml")
LICENSES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING")
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
TRAILER = "Published-by: bplab publish"
MIN_LINE = 16  # shorter solution lines ("return x") are not told apart from ordinary code
GITIGNORE = ".venv/\n__pycache__/\n.ipynb_checkpoints/\n*.egg-info/\n"
# The course Makefile's rules a learner uses, copied into the learners' Makefile (matched by their first line).
MAKE_VARIABLES = ("PYTHON ?=", "VENV :=", "STAMP :=", "ARGS ?=", "export OPENBLAS_NUM_THREADS", "export OMP_NUM",
                  "export MKL_NUM")
MAKE_RULES = ("$(STAMP): pyproject.toml", "install: $(STAMP)", "lab: install")

README = """# {title}

A Jupyter course on backpropagation: lessons in `notebooks/`, graded exercise sets in `exercises/`, and the `bplab`
package they use. Your instructor publishes this repository (it is generated: changes arrive as new commits).

## Start

- **On your instructor's JupyterHub**: open the link your instructor gave you; the course is copied into your home
  folder and opens in JupyterLab. Click the link again later to get the instructor's updates (your edits stay).
- **On your computer** (Python 3.10 or later): `make lab` installs the course into `.venv` and starts JupyterLab
  (once installed, it starts in seconds). With conda: `conda env create -f environment.yml`, then
  `conda activate bplab` and `jupyter lab notebooks/00-start-here.ipynb`.

Start with `notebooks/00-start-here.ipynb`. Something not working? `make doctor` (or `bplab.doctor()` in a
notebook) checks Python, the packages and the widgets, and prints a fix for each problem.

## Lessons

{lessons}

## Exercise sets

{sets}

Write your code in place of `raise NotImplementedError()` and your written answers in place of *YOUR ANSWER HERE*,
then run the test cell under each answer. For your score, save the notebook and run its last cell (*Your score*),
or in a terminal in this folder `.venv/bin/bplab grade exercises/<the set>.ipynb`. Both show the **visible tests
only**: your instructor grades with hidden tests as well (more inputs and edge cases), which may give fewer points,
and grades written answers by hand. The solutions are not in this repository.
"""


class PublishError(RuntimeError):
    """The learners' repository cannot be written safely; the message says why and what to do."""


@dataclass
class Published:
    """What `publish` did: the repository, its new commit (None when nothing changed) and the files written."""

    out: Path
    commit: str | None
    files: list[str]


def _git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check and done.returncode:
        raise PublishError(f"git {' '.join(args)} failed in {cwd}: {(done.stderr or done.stdout).strip()}")
    return done


def _tracked(course: Path) -> list[str] | None:
    """The files git tracks in `course` (relative, posix), or None when it is not a git checkout."""
    if shutil.which("git") is None:
        return None
    done = _git("ls-files", "-z", cwd=course, check=False)
    if done.returncode:
        return None
    return [name for name in done.stdout.split("\0") if name]


def learner_files(course: Path) -> list[str]:
    """The course's files that go to learners as they are (`COPIED` and a LICENSE), relative paths, sorted."""
    tracked = _tracked(course)
    if tracked is None:
        tracked = [p.relative_to(course).as_posix() for p in course.rglob("*") if p.is_file()]
    wanted = []
    for name in tracked:
        parts = name.split("/")
        if parts[0] not in COPIED and name not in LICENSES:
            continue
        if SKIPPED_PARTS & set(parts) or name.endswith(SKIPPED_SUFFIXES) or not (course / name).is_file():
            continue
        wanted.append(name)
    return sorted(wanted)


def learner_makefile(course_makefile: str) -> str:
    """The learners' Makefile: the course Makefile's variables and its install and lab rules, copied."""
    lines = course_makefile.split("\n")
    kept = ["# The course for learners: `make lab` installs it into .venv (once) and starts JupyterLab on notebook 00;",
            "# `make doctor` checks the installation. Copied from the course's Makefile by `bplab publish`.", ""]
    for prefix in MAKE_VARIABLES:
        found = [line for line in lines if line.startswith(prefix)]
        if not found:
            raise PublishError(f"the course Makefile has no line starting with {prefix!r}")
        kept.append(found[0])
    kept += ["", ".PHONY: install lab doctor", ""]
    for first in MAKE_RULES:
        if first not in lines:
            raise PublishError(f"the course Makefile has no rule {first!r}")
        start = lines.index(first)
        while start > 0 and lines[start - 1].startswith("#"):  # the rule's comment
            start -= 1
        end = lines.index(first) + 1
        while end < len(lines) and lines[end].startswith("\t"):
            end += 1
        kept += lines[start:end] + [""]
    kept += ["doctor: install", "\t@$(VENV)/bin/bplab doctor", ""]
    return "\n".join(kept)


def _cell_text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def solution_lines(solutions: Path, public: set[str]) -> dict[str, str]:
    """Lines of the solution and hidden-test regions of `solutions` that appear nowhere in `public` (stripped
    lines) nor outside those regions: line -> the notebook it comes from. Written answers' model text too."""
    import nbformat

    from bplab.course.exercises import SET_PATTERN, cell_role

    inside: dict[str, str] = {}
    outside: set[str] = set()
    for path in sorted(solutions.glob(SET_PATTERN)):
        for cell in nbformat.read(path, as_version=4).cells:
            region, source, role = None, _cell_text(cell), cell_role(cell)
            whole_answer = role == "written" or (role == "answer" and "BEGIN SOLUTION" not in source)
            for line in source.split("\n"):
                text = line.strip()
                if "BEGIN SOLUTION" in text or "BEGIN HIDDEN TESTS" in text:
                    region = True
                elif "END SOLUTION" in text or "END HIDDEN TESTS" in text:
                    region = None
                elif region or whole_answer:
                    inside.setdefault(text, path.name)
                else:
                    outside.add(text)
    return {line: name for line, name in inside.items()
            if len(line) >= MIN_LINE and line not in outside and line not in public}


def public_lines(course: Path, files: list[str]) -> set[str]:
    """Every stripped line of the course's public learner files (the notebooks' cells, the package's text)."""
    lines: set[str] = set()
    for name in files:
        path = course / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if name.endswith(".ipynb"):
            text = "\n".join(_cell_text(c) for c in json.loads(text).get("cells", []))
        lines.update(line.strip() for line in text.split("\n"))
    return lines


def _unquoted(line: str) -> str:
    """A line of a notebook's JSON (``"    dz = p - y\\n",``) as the text it stands for, stripped; else stripped."""
    text = line.strip().rstrip(",")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return json.loads(text).strip()
        except ValueError:
            pass
    return line.strip()


def leaks_in_text(name: str, text: str, secret: dict[str, str]) -> list[str]:
    """Solution text in the file `name` with content `text`: markers in a notebook, any line of `secret` (a
    notebook's lines may be its cell sources or its JSON)."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = _unquoted(line) if name.endswith(".ipynb") else line.strip()
        if name.endswith(".ipynb") and any(marker in line for marker in MARKERS):
            found.append(f"{name}:{number}: a solution marker: {stripped[:80]}")
        elif stripped in secret:
            found.append(f"{name}:{number}: a line of {secret[stripped]}'s solutions: {stripped[:80]}")
    return found


def _notebook_lines(text: str) -> str:
    """A notebook's cell sources, one line per line (as a learner would read them), or `text` if not JSON."""
    try:
        return "\n".join(_cell_text(c) for c in json.loads(text).get("cells", []))
    except (ValueError, AttributeError):
        return text


def leaks_in_tree(root: Path, secret: dict[str, str]) -> list[str]:
    """Solution text anywhere in the files under `root` (`.git` left out); a solutions/ folder is one too."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative.split("/")[0] == ".git" or not path.is_file():
            continue
        if relative.split("/")[0] == "solutions":
            found.append(f"{relative}: a solutions/ folder")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        found += leaks_in_text(relative, _notebook_lines(text) if relative.endswith(".ipynb") else text, secret)
    return found


def leaks_in_history(repo: Path, secret: dict[str, str]) -> list[str]:
    """Solution text in any commit of `repo` (`git log --all -p`, added lines), or a path under solutions/."""
    log = _git("log", "--all", "-p", "--no-color", "--no-ext-diff", cwd=repo).stdout
    found, name = [], ""
    for line in log.split("\n"):
        header = re.match(r"diff --git a/(\S+) b/(\S+)", line)
        if header:
            name = header.group(2)
            if name.split("/")[0] == "solutions":
                found.append(f"history: {name}: a file under solutions/")
            continue
        if line.startswith("+") and not line.startswith("+++"):
            found += [f"history: {hit}" for hit in leaks_in_text(name, line[1:], secret)]
    return found


def _ready_out(out: Path, course: Path, solutions: Path) -> bool:
    """Check `out` can be written; True when it is already a repository of `bplab publish`."""
    if out == course or course in out.parents:
        raise PublishError(f"--out {out} lies inside the course folder {course}: give a folder beside it, e.g. "
                           f"../{course.name}-learners")
    if out in solutions.parents or out == solutions:
        raise PublishError(f"--out {out} holds the solutions folder {solutions}")
    if not out.exists() or not any(out.iterdir()):
        return False
    if not (out / ".git").exists():
        raise PublishError(f"--out {out} is a folder with files and no git repository: give a new or empty folder, "
                           "or a clone of the learners' repository")
    if _git("rev-parse", "--verify", "-q", "HEAD", cwd=out, check=False).returncode:
        if any(p.name != ".git" for p in out.iterdir()):
            raise PublishError(f"--out {out} is a git repository without commits but with files: give a new or "
                               "empty folder")
        return True
    messages = _git("log", "--all", "--format=%B", cwd=out).stdout
    if TRAILER not in messages:
        raise PublishError(f"--out {out} is a git repository that bplab publish did not make (no commit says "
                           f"'{TRAILER}'): publish into a new folder, or a clone of the learners' repository")
    return True


def _title(course: Path) -> str:
    """The README's title: the project's name in pyproject.toml (never the course folder's name, which is yours)."""
    found = re.search(r'^name = "([^"]+)"', (course / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE)
    return f"{found.group(1) if found else 'The course'}: the course for learners"


def _lessons_and_sets(root: Path) -> tuple[str, str]:
    from bplab.course.exercises import SET_PATTERN

    lessons = sorted(p.name for p in (root / "notebooks").glob("*.ipynb"))
    sets = sorted(p.name for p in (root / "exercises").glob(SET_PATTERN))
    return ("\n".join(f"- `notebooks/{name}`" for name in lessons),
            "\n".join(f"- `exercises/{name}`" for name in sets) or "(none yet)")


def publish(solutions: str | Path, out: str | Path, course: str | Path = ".", message: str | None = None
            ) -> Published:
    """Write the learners' repository `out` from `course` with exercises built from `solutions`; commit.

    Parameters
    ----------
    solutions : str or Path
        The private solutions folder (nbgrader format, like the course's solutions/).
    out : str or Path
        The learners' repository: a new or empty folder, or one `publish` made before (or a clone of it).
    course : str or Path
        The course folder (notebooks/, bplab/, pyproject.toml...), by default the current folder.
    message : str, optional
        The commit's first line (default: "Course update").

    Returns
    -------
    Published

    Raises
    ------
    PublishError
        `out` cannot be written safely, the course folder is incomplete, or solution text was found (in the
        new files: nothing is committed; in the history: the message says what to do).
    """
    from bplab.course.exercises import SET_PATTERN, BuildError, build

    course, out, solutions = Path(course).resolve(), Path(out).resolve(), Path(solutions).resolve()
    missing = [name for name in COPIED if not (course / name).exists()]
    if missing or not (course / "Makefile").is_file():
        raise PublishError(f"{course} is not the course folder (it has no {', '.join(missing or ['Makefile'])}): "
                           "run bplab publish there, or pass --course")
    if not sorted(solutions.glob(SET_PATTERN)):
        raise PublishError(f"no solution notebooks ({SET_PATTERN}) in {solutions}/")
    existing = _ready_out(out, course, solutions)
    files = learner_files(course)
    with tempfile.TemporaryDirectory(prefix="bplab-publish-") as staging_name:
        staging = Path(staging_name)
        for name in files:
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(course / name, staging / name)
        try:
            build(solutions, staging / "exercises")
        except BuildError as error:
            raise PublishError(f"building the exercises from {solutions}: {error}") from None
        (staging / "Makefile").write_text(learner_makefile((course / "Makefile").read_text(encoding="utf-8")))
        (staging / ".gitignore").write_text(GITIGNORE)
        lessons, sets = _lessons_and_sets(staging)
        (staging / "README.md").write_text(README.format(title=_title(course), lessons=lessons, sets=sets))
        secret = solution_lines(solutions, public_lines(course, files))
        leaks = leaks_in_tree(staging, secret)
        if leaks:
            raise PublishError("solution text in the files to publish (nothing was written):\n  "
                               + "\n  ".join(leaks[:20]))
        out.mkdir(parents=True, exist_ok=True)
        if not existing and not (out / ".git").exists():
            _git("init", "-q", "-b", "main", cwd=out)
        for entry in out.iterdir():
            if entry.name == ".git":
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        for entry in staging.iterdir():
            if entry.is_dir():
                shutil.copytree(entry, out / entry.name)
            else:
                shutil.copy2(entry, out / entry.name)
    _git("add", "-A", cwd=out)
    if not _git("status", "--porcelain", cwd=out).stdout.strip():
        commit = None
    else:
        text = f"{message or 'Course update'}\n\n{TRAILER}\n"
        done = _git("commit", "-q", "-m", text, cwd=out, check=False)
        if done.returncode:
            raise PublishError(f"git commit failed in {out}: {(done.stderr or done.stdout).strip()} (set your "
                               "name and email: git config --global user.name ...; user.email ...)")
        commit = _git("rev-parse", "HEAD", cwd=out).stdout.strip()
    leaks = leaks_in_history(out, secret)
    if leaks:
        raise PublishError(f"solution text in the history of {out} (from before this run?): do not push it; start "
                           "a new learners' repository (a new folder) and publish again:\n  " + "\n  ".join(leaks[:20]))
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                     if p.is_file() and ".git" not in p.relative_to(out).parts)
    return Published(out, commit, written)


def publish_command(solutions: str, out: str, course: str = ".", message: str | None = None) -> int:
    """`bplab publish`: print what was published and how to push it; 1 with the reason when it cannot."""
    try:
        done = publish(solutions, out, course, message)
    except PublishError as error:
        print(f"bplab publish: {error}")
        return 1
    sets = sum(name.startswith("exercises/") for name in done.files)
    lessons = sum(name.startswith("notebooks/") and name.endswith(".ipynb") for name in done.files)
    if done.commit is None:
        print(f"bplab publish: {done.out} is up to date (no new commit)")
    else:
        print(f"bplab publish: commit {done.commit[:12]} in {done.out}: {lessons} lessons, {sets} exercise sets "
              f"built from {Path(solutions).resolve()}, {len(done.files)} files; no solution text in its history")
    remote = _git("remote", cwd=done.out, check=False).stdout.strip()
    print(f"push it: git -C {out} push" if remote else
          f"then: git -C {out} remote add origin <the learners' repository URL> && git -C {out} push -u origin main")
    return 0
