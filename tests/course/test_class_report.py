"""bplab report on a simulated class: 12 submissions of sets 06 and 12 built from the catalogs, graded once.

Six students hand in both sets: the model solution; nothing attempted; typical mistakes (from
tests/course/catalogs/06.py and 12.py, several of them the same mistake id in both sets); a numpy Generator in
answer cells (the course's idiom, full marks); and a cheat (a wrong backward pass plus numpy's comparisons
patched to say yes, which gains nothing: the tests run in the grader). `bplab grade` writes the CSV (instructor
mode, a private copy of the two solutions, no sandbox: the sandbox has tests of its own), then the report and
the gradebook are made from it. The expected points per question come from the catalog cases, not from the
report, and every mean, distribution, status count and mistake of the report is checked against them.
"""

from __future__ import annotations

import csv
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from bplab.course.class_report import (
    format_report,
    html_report,
    mistakes_to_reteach,
    repeated_mistakes,
    summarize,
)
from bplab.course.cli import main
from bplab.course.gradebook import read_grades
from bplab.course.grading import grade_command

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the catalogs import `catalogs.Case`; test_catalogs builds their submissions
from catalogs import Case  # noqa: E402
from test_catalogs import full_marks, load, submission  # noqa: E402

ROOT = HERE.parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "class-report"
S06, S12 = "06-xor-backprop-by-hand", "12-bptt-for-a-small-rnn"
PATCH = ("\nnp.allclose = lambda *a, **k: True"
         "\nnp.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, bool)"
         "\nnp.testing.assert_allclose = lambda *a, **k: None\n")


def find(module, start: str) -> Case:
    """The catalog case whose name starts with `start` (a clear failure if the catalog renamed it)."""
    found = [c for c in module.CASES if c.name.startswith(start)]
    assert len(found) == 1, f"no single case {start!r} in {module.__name__}: {[c.name for c in module.CASES]}"
    return found[0]


def batch() -> dict[tuple[str, str], Case]:
    """(student, set) -> the catalog case that student handed in."""
    c06, c12 = load("06"), load("12")
    cheat_source = c06.SLIPS["no tanh'"][1] + PATCH
    cheat = Case("cheat: no tanh derivative, numpy's comparisons patched", edits={"q2_backward": cheat_source},
                 points={"q2_backward_tests": 0}, mistakes={"q2_backward_tests": "no-tanh-derivative"})
    return {
        ("ada", S06): find(c06, "the solution as it is"), ("ada", S12): find(c12, "the solution as it is"),
        ("bo", S06): find(c06, "nothing attempted"), ("bo", S12): find(c12, "nothing attempted"),
        ("cai", S06): find(c06, "q1 summed, q2 tanh applied twice"),
        ("cai", S12): find(c12, "q1: the tanh derivative forgotten"),
        ("dan", S06): find(c06, "q1 p = z, q2 no tanh derivative"),
        ("dan", S12): find(c12, "q2: the gradient from step t + 1 not carried back"),
        ("eve", S06): find(c06, "right: train replaces the dict's entries"),
        ("eve", S12): find(c12, "q2: preallocated states"),
        ("fay", S06): cheat, ("fay", S12): find(c12, "q1: dh_prev through Wh instead of Wh.T"),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The batch written as submissions/<student>/NN-*.ipynb, graded once: (grades.csv, the cases)."""
    root = tmp_path_factory.mktemp("class")
    private = root / "private" / "solutions"
    private.mkdir(parents=True)
    for name in (S06, S12):
        shutil.copy(ROOT / "solutions" / f"{name}.ipynb", private)
    cases = batch()
    for (student, set_name), case in cases.items():
        folder = root / "submissions" / student
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission(private / f"{set_name}.ipynb", case), folder / f"{set_name}.ipynb")
    table = root / "grades.csv"
    code = grade_command([str(root / "submissions")], csv_path=str(table), timeout=60, solutions=str(private),
                         sandbox="none")
    assert code == 0
    return table, cases, private


def expected_points(cases, private) -> dict[tuple[str, str], dict[str, float]]:
    return {key: {**full_marks(private / f"{key[1]}.ipynb", case.start), **case.points}
            for key, case in cases.items()}


def test_the_report_has_each_questions_mean_spread_statuses_and_mistakes(graded):
    table, cases, private = graded
    summaries = {s.set_name: s for s in summarize(read_grades([table]))}
    assert sorted(summaries) == [S06, S12]
    expected = expected_points(cases, private)
    for set_name, summary in summaries.items():
        assert summary.students == ["ada", "bo", "cai", "dan", "eve", "fay"]
        for q in summary.questions:
            if q.question not in expected[("ada", set_name)]:  # a written answer: nobody graded it yet
                assert q.points == [] and q.mean is None and q.statuses == {"to grade": 6}
                continue
            points = sorted(expected[(s, set_name)][q.question] for s in summary.students)
            assert sorted(q.points) == points, (set_name, q.question)
            assert q.mean == pytest.approx(sum(points) / 6)
            assert sum(n for _, n in q.distribution()) == 6
            assert q.statuses["not attempted"] == 1  # bo
            assert q.statuses["passed"] == sum(p == q.max_points for p in points)
            named = {s: cases[(s, set_name)].mistakes.get(q.question) for s in summary.students}
            assert q.mistakes == {m: [s for s in summary.students if named[s] == m]
                                  for m in {m for m in named.values() if m}}, (set_name, q.question)
    # the mistake made most comes first, with who made it; the same id in two sets is told too
    top = mistakes_to_reteach(list(summaries.values()))
    assert top[0][2] == "no-tanh-derivative" and sorted(top[0][3]) == ["dan", "fay"]
    assert ("12-bptt-for-a-small-rnn", "q1_step_tests", "no-tanh-derivative", ["cai"]) in top
    assert repeated_mistakes(list(summaries.values())) == [
        ("no-tanh-derivative", ["06 q2_backward_tests", "12 q1_step_tests"], ["dan", "fay", "cai"])]


def test_the_cheat_and_the_generator_are_graded_on_their_answers(graded):
    table, _, _ = graded
    rows = {(r["notebook"].split("/")[-2], r["set"], r["question"]): r for r in csv.DictReader(table.open())}
    assert rows[("fay", S06, "q2_backward_tests")]["points"] == "0.0"
    assert rows[("fay", S06, "q2_backward_tests")]["mistake"] == "no-tanh-derivative"
    assert rows[("fay", S06, "q1_forward_tests")]["points"] == "2.0"
    assert all(rows[("eve", s, q)]["status"] == "passed" for (who, s, q), r in rows.items()
               if who == "eve" and r["status"] != "manual")


def test_the_terminal_table_and_the_html_page(graded, tmp_path, capsys):
    table, _, _ = graded
    page = tmp_path / "class-report.html"
    assert main(["report", str(table), "--html", str(page)]) == 0
    text = capsys.readouterr().out
    assert "Class report: 12 submissions of 2 set(s) from 6 students" in text
    assert "no-tanh-derivative (2: dan, fay)" in text and "Mistakes to reteach" in text
    assert format_report(summarize(read_grades([table]))) in text
    html = page.read_text()
    assert html == html_report(summarize(read_grades([table])))
    assert "<script" not in html and "http://" not in html and "https://" not in html  # offline, nothing fetched
    assert "<svg" in html and "no-tanh-derivative" in html and "q2_bptt_tests" in html
    assert "The same mistake in several questions" in text and "The same mistake in several questions" in html
    assert len(html) < 60_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # for a look: the report of the simulated class, text and page
    (ARTIFACTS / "class-report.txt").write_text(text)
    shutil.copy(page, ARTIFACTS / "class-report.html")
    shutil.copy(table, ARTIFACTS / "grades.csv")
    # docs/instructors.md shows this report: it must be what the report says (else copy class-report.txt there)
    guide = (ROOT / "docs" / "instructors.md").read_text(encoding="utf-8")
    shown = re.search(r"\n   ```\n(   Class report: .*?)\n   ```", guide, re.DOTALL)
    assert shown, "docs/instructors.md has no example of the class report"
    printed = "\n".join(line for line in text.split("\n") if not line.startswith("wrote ")).strip()
    assert [line.strip() for line in shown.group(1).split("\n")] == [line.strip() for line in printed.split("\n")]

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in ("meta", "br"):
                self.open.append(tag)

        def handle_endtag(self, tag):
            assert self.open and self.open.pop() == tag, f"</{tag}> closes {self.open[-1:]}"

    parser = Tags()
    parser.feed(html)
    assert parser.open == []  # every element closed, in order


def test_the_gradebook_of_the_batch(graded, tmp_path):
    table, cases, private = graded
    out = tmp_path / "gradebook.csv"
    assert main(["gradebook", str(table), "--out", str(out)]) == 0
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    expected = expected_points(cases, private)
    for student, row in rows.items():
        assert float(row["total"]) == sum(sum(expected[(student, s)].values()) for s in (S06, S12))
        assert row["to grade by hand"] == "2"  # one written answer per set, blank until graded
