"""docs/instructors.md holds up: its workshop numbers are the measured ones, its sizing rules are computed from
them, its schedule adds up, and its commands for a graded course point at the learners' repository.

The numbers come from tests/course/guide_numbers.json (the JupyterHub rehearsal's results and the open-notebooks
measurement, see tests/course/guide_numbers.py); when the rehearsal has run here (test-artifacts/hub/results.json),
the file must still agree with it.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GUIDE = ROOT / "docs" / "instructors.md"
sys.path.insert(0, str(HERE))
import guide_numbers  # noqa: E402

_spec = importlib.util.spec_from_file_location("bplab_site_course_links_guide",
                                               ROOT / "docs" / "site" / "course_links.py")
course_links = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = course_links
_spec.loader.exec_module(course_links)

LEARNERS_URL = "https://github.com/your-org/bplab-learners"
START_WINDOW_S = 60  # "for everyone to see a first slider within about a minute"


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def numbers() -> dict:
    return guide_numbers.load()


def section(guide: str, heading: str) -> str:
    start = guide.index(heading)
    following = re.search(r"^#{2,3} ", guide[start + len(heading):], re.MULTILINE)
    return guide[start: start + len(heading) + (following.start() if following else len(guide))]


def table(text: str, first_header: str) -> list[list[str]]:
    """The rows (cells stripped) of the markdown table whose header starts with `first_header`."""
    lines = text[text.index(f"| {first_header} |"):].split("\n")
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def mb(value: float) -> str:
    return f"{value:.0f} MB"


def per_learner(numbers: dict) -> dict:
    """The guide's derived figures, computed here from the measurements."""
    r, kernels = numbers["rehearsal"], numbers["open_notebooks"]["kernels"]
    k08, k06 = kernels["08-mlp-on-real-data (data, explorer)"], kernels["exercise set 06 (answered, tests run)"]
    resident = round(r["rss_mb_after_nb00"]["median"]) + round(k08["rss_mb"]) + round(k06["rss_mb"])
    proportional = round(r["pss_mb_after_nb00"]["median"]) + round(k08["uss_mb"]) + round(k06["uss_mb"])
    learners = r["learners_api"] + 1  # and the browser learner
    return {"resident": resident, "proportional": proportional, "gb": math.ceil(resident / 1024 * 10) / 10,
            "machine_cpu": r["machine_cpu_seconds"] / learners, "learners": learners,
            "own_cpu": sum(round(r[k]["median"], 1) for k in ("cpu_s_server_total", "cpu_s_nb00_kernel",
                                                              "cpu_s_nb08_kernel"))}


def test_the_rehearsal_table_is_the_measured_one(guide, numbers):
    r = numbers["rehearsal"]
    rows = {row[0]: row[1] for row in table(section(guide, "### Rehearsed"), "per learner")}
    assert rows["memory, server + kernel, after notebook 00"].startswith(
        f"{mb(r['rss_mb_after_nb00']['median'])} resident ({mb(r['pss_mb_after_nb00']['median'])} proportional")
    assert rows["memory, server + kernel, after training in 08 (notebook 00's kernel closed)"] == (
        f"{mb(r['rss_mb_after_nb08']['median'])} resident ({mb(r['pss_mb_after_nb08']['median'])} proportional)")
    assert rows["CPU, single-user server start and JupyterLab"] == f"{r['cpu_s_server_total']['median']:.1f} s"
    assert rows["CPU, kernel running notebook 00 top to bottom"] == f"{r['cpu_s_nb00_kernel']['median']:.1f} s"
    assert rows["CPU, kernel for notebook 08's data, explorer and one **Train** press"] == (
        f"{r['cpu_s_nb08_kernel']['median']:.1f} s")
    assert rows["time from login to first slider (browser learner, all 21 starting at once)"] == (
        f"{r['browser']['seconds_login_to_first_slider']:.0f} s")
    assert f"Numbers of the rehearsal of {r['date']}" in " ".join(guide.split())


def test_open_notebooks_are_measured_and_give_the_one_gb_figure(guide, numbers):
    text = section(guide, "### Rehearsed")
    kernels = numbers["open_notebooks"]["kernels"]
    rows = table(text, "kernel")
    assert [(row[1], row[2]) for row in rows] == [(mb(k["uss_mb"]), mb(k["rss_mb"])) for k in kernels.values()]
    d = per_learner(numbers)
    r = numbers["rehearsal"]
    flat = " ".join(text.split())
    k08, k06 = list(kernels.values())[1:]
    assert (f"{round(r['rss_mb_after_nb00']['median'])} + {round(k08['rss_mb'])} + {round(k06['rss_mb'])} = "
            f"{d['resident']} MB resident") in flat
    assert f"= {d['proportional']} MB proportional" in flat
    assert f"**{d['gb']:g} GB per learner**" in flat
    # one figure in the whole guide
    figures = set(re.findall(r"(\d+(?:\.\d+)?) GB (?:of RAM )?per (?:concurrent )?learner", " ".join(guide.split())))
    assert figures == {f"{d['gb']:g}"}, figures


def test_the_sizing_table_is_computed_from_the_measurements_and_has_30_learners(guide, numbers):
    d = per_learner(numbers)
    text = " ".join(section(guide, "### Rehearsed").split())
    assert f"{d['own_cpu']:.1f} CPU-seconds per learner" in text
    r = numbers["rehearsal"]
    assert f"{r['machine_cpu_seconds']:.0f} CPU-seconds for the class of {d['learners']}" in text
    assert f"{d['machine_cpu']:.1f} per learner" in text and f"learners × {d['machine_cpu']:.1f} CPU-s / 60 s" in text
    assert f"for {r['class_wall_seconds']:.0f} s from the first login" in text
    assert f"{r['peak_extra_memory_gb']:.1f} GB in use at the peak for {d['learners']} learners" in text
    rows = table(section(guide, "### Rehearsed"), "learners")
    assert [row[0] for row in rows][:2] == ["20", "30"]
    for row in rows:
        learners = int(row[0])
        assert row[1] == str(math.ceil(learners * d["machine_cpu"] / START_WINDOW_S)), row
        assert row[2] == f"{learners * d['gb']:g} GB", row


def test_zero_to_jupyterhub_settings_agree_with_the_figures(guide, numbers):
    d = per_learner(numbers)
    tags = set(re.findall(r"bplab:([\w.-]+)", guide)) | set(re.findall(r'tag: "([\w.-]+)"', guide))
    assert len(tags) == 1, f"one image tag everywhere, found {tags}"
    guarantee = re.search(r"guarantee: (\d+)M", guide).group(1)
    assert int(guarantee) == d["gb"] * 1024
    cpu = float(re.search(r"cpu:\n\s+guarantee: ([\d.]+)", guide).group(1))
    per_node = int(8 / cpu)
    assert f"{per_node} learners per 8-core node" in guide
    big = next(row for row in table(section(guide, "### Rehearsed"), "learners") if row[0] == "200")
    assert f"{math.ceil(200 / per_node)} nodes of 8 cores / 32 GB ({per_node} learners per node" in big[3]
    assert per_node * d["gb"] <= 32


def test_the_numbers_file_still_agrees_with_the_last_rehearsal_run_here(numbers):
    if not guide_numbers.RESULTS.exists():
        pytest.skip("the JupyterHub rehearsal has not run here (make workshop-rehearsal)")
    results = json.loads(guide_numbers.RESULTS.read_text())
    if results["learners_api"] != numbers["rehearsal"]["learners_api"]:
        pytest.skip(f"the last rehearsal had {results['learners_api']} learners")
    now, then = guide_numbers.rehearsal_from_results(results), numbers["rehearsal"]
    drift = []
    for key, tolerance in (("rss_mb_after_nb00", 0.2), ("pss_mb_after_nb00", 0.2), ("rss_mb_after_nb08", 0.2),
                           ("cpu_s_nb00_kernel", 0.6), ("cpu_s_server_total", 0.6), ("cpu_s_nb08_kernel", 0.6)):
        if abs(now[key]["median"] - then[key]["median"]) > tolerance * then[key]["median"]:
            drift.append(f"{key}: {then[key]['median']:.1f} in the guide, {now[key]['median']:.1f} now")
    assert not drift, ("the rehearsal measures something else than docs/instructors.md says: " + "; ".join(drift)
                       + ". Copy its numbers (python tests/course/guide_numbers.py --rehearsal) and update the guide.")


# ---------------------------------------------------------------------------------------------------------------
# The schedule


def minutes(text: str) -> int:
    found = re.fullmatch(r"(?:(\d+) h)?\s*(?:(\d+) min)?", text.strip())
    assert found and any(found.groups()), text
    return int(found.group(1) or 0) * 60 + int(found.group(2) or 0)


def stated(path: Path, pattern: str) -> int:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "".join("".join(c["source"]) for c in cells[:3])
    return int(re.search(pattern, text, re.IGNORECASE).group(1))


def lesson_times() -> dict[str, int]:
    return {p.stem.split("-")[0]: stated(p, r"Estimated time\**\s*:?\**\s*(\d+)\s*min")
            for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb"))}


def set_times() -> dict[str, int]:
    return {p.stem.split("-")[0]: stated(p, r"About (\d+) minutes")
            for p in sorted((ROOT / "exercises").glob("[0-9][0-9]*-*.ipynb"))}


def test_the_schedule_adds_up_and_gives_every_lesson_and_set_a_day(guide):
    text = section(guide, "### A schedule with the exercise sets")
    lessons, sets = lesson_times(), set_times()
    order = list(lessons)
    seen_lessons, seen_sets = [], []
    for day, span, time, in_class, homework in table(text, "Day"):
        first, last = span.split("–")
        days_lessons = order[order.index(first): order.index(last) + 1]
        seen_lessons += days_lessons
        assert minutes(time) == sum(lessons[n] for n in days_lessons), f"day {day}: {span} is not {time}"
        number, own = re.fullmatch(r"(\w+) \((.+)\)", in_class).groups()
        assert minutes(own) == sets[number], f"day {day}: set {number} takes {sets[number]} min"
        seen_sets.append(number)
        if homework != "none":
            names, total = re.fullmatch(r"(.+) \((.+)\)", homework).groups()
            names = [n.strip() for n in names.split(",")]
            assert minutes(total) == sum(sets[n] for n in names), f"day {day}: homework {homework}"
            seen_sets += names
    assert seen_lessons == order, "every lesson once, in order"
    assert sorted(seen_sets) == sorted(sets), "every exercise set once"
    total_lessons, total_sets = sum(lessons.values()), sum(sets.values())
    assert (f"In all {total_lessons // 60} h {total_lessons % 60} min of lessons and {total_sets // 60} h "
            f"{total_sets % 60} min of exercise sets") in " ".join(text.split())


# ---------------------------------------------------------------------------------------------------------------
# A graded course: the learners' repository everywhere learners get the course


def test_hub_instructions_point_at_the_learners_repository(guide):
    tljh = section(guide, "### The Littlest JupyterHub")
    assert f"'bplab @ git+{LEARNERS_URL}'" in tljh
    assert "git+https://github.com/your-org/bplab'" not in guide
    z2jh = section(guide, "### Zero to JupyterHub")
    build = next(line for line in z2jh.split("\n") if line.startswith("jupyter-repo2docker"))
    assert build.endswith(LEARNERS_URL)
    target = re.search(r"--target-repo-dir (\S+)", build).group(1)
    assert not target.startswith("/home"), "the persistent home would hide the install"
    learners = course_links.Course(**{**course_links.load().__dict__, "repo_url": LEARNERS_URL})
    link = course_links.nbgitpuller_link(learners)
    assert link in section(guide, "### The nbgitpuller link")


def test_grading_uses_the_private_solutions_in_instructor_mode(guide):
    grading = section(guide, "## Grading a class")
    commands = [line.strip() for line in grading.split("\n") if line.strip().startswith("bplab grade ")]
    assert commands and all("--solutions " in c for c in commands), commands  # instructor mode, every time
    assert "--solutions private/solutions" in commands[0]
    assert "instructor mode: visible and hidden tests from" in grading


def test_the_guide_never_says_grading_runs_in_fresh_kernels(guide):
    assert "fresh kernel" not in guide


def test_the_tljh_collection_block_takes_a_snapshot_per_learner(guide, tmp_path):
    """The block of "Collect" run on a fake hub: homes under tmp_path, no sudo."""
    block = re.search(r"take a snapshot.*?```\n(.*?)```", guide, re.DOTALL).group(1)
    homes = tmp_path / "home"
    for learner, has in (("ada", True), ("bob", True), ("cy", False)):
        folder = homes / f"jupyter-{learner}" / "bplab-learners" / "exercises"
        folder.mkdir(parents=True)
        if has:
            (folder / "06-xor-backprop-by-hand.ipynb").write_text(f'{{"learner": "{learner}"}}')
            os.utime(folder / "06-xor-backprop-by-hand.ipynb", (1_700_000_000, 1_700_000_000))
    script = textwrap.dedent(block).replace("/home/jupyter-", f"{homes}/jupyter-").replace("sudo ", "")
    work = tmp_path / "instructor"
    work.mkdir()
    done = subprocess.run(["bash", "-euc", script], cwd=work, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [snapshot] = list(work.iterdir())
    assert snapshot.name.startswith("submissions-06-xor-backprop-by-hand-")
    copies = sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*.ipynb"))
    assert copies == ["ada/06-xor-backprop-by-hand.ipynb", "bob/06-xor-backprop-by-hand.ipynb"]
    assert (snapshot / "ada" / "06-xor-backprop-by-hand.ipynb").stat().st_mtime == 1_700_000_000  # its last save
    from bplab.course.gradebook import student_of

    assert student_of(str(snapshot / copies[0])) == ("ada", "")


