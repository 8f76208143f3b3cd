"""bplab gradebook: one row per student from `bplab grade`'s CSV, overrides, regrades and LMS import files.

No grading here (tests/course/test_class_report.py grades a real batch end to end): the CSV is written by
`bplab.course.grading.report.write_csv` itself from `NotebookResult`s holding every status, so the gradebook
reads exactly what `bplab grade --csv` writes.

The LMS shapes are the ones the LMSs document:

- Canvas's gradebook import takes the columns of its gradebook export, ``Student, ID, SIS User ID, SIS Login ID,
  Section`` in that order, then one column per assignment (Canvas guide "How do I import grades in the
  Gradebook?"; Ohio State's "Import CSV File for Carmen Grades": the name or one of the ids, SIS Login ID, Section,
  then the assignment; City University of Hong Kong's TA guide: Canvas refuses the file unless the five columns
  come first in this order). Canvas's "Download Submissions" names each file
  ``<name>_[LATE_]<user id>_<submission id>_<file>[-N]``.
- Moodle's "Import grades from CSV file" maps a column to the user by "Email address" (useremail) or "ID number"
  (useridnumber), and each other column to a grade item (MoodleDocs, "Grade import"). Its "Download all
  submissions" names ``<Full Name>_<participant id>_assignsubmission_file_`` (a folder, or the file's prefix),
  and its grading worksheet identifies a student as "Participant <id>" (mod/assign's download code).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bplab.course.cli import main
from bplab.course.gradebook import (
    CANVAS_COLUMNS,
    GradebookError,
    apply_overrides,
    lms_rows,
    read_grades,
    read_roster,
    student_of,
    wide_rows,
)
from bplab.course.grading.report import write_csv
from bplab.course.grading.results import NotebookResult, QuestionResult

S06, S12 = "06-xor-backprop-by-hand", "12-bptt-for-a-small-rnn"


def q(question, points, max_points, status, mistake=None, message=""):
    return QuestionResult(question, points, max_points, status, message, mistake)


def set06(path, q1=(2, "passed"), q2=(4, "passed"), q3=(2, "passed"), written="written answer: graded by hand",
          mistakes=(None, None, None)):
    return NotebookResult(Path(path), S06, [
        q("q1_forward_tests", q1[0], 2, q1[1], mistakes[0]), q("q2_backward_tests", q2[0], 4, q2[1], mistakes[1]),
        q("q3_train_tests", q3[0], 2, q3[1], mistakes[2]), q("q4_why_xor", 0, 2, "manual", message=written)])


def set12(path, q1=(3, "passed")):
    return NotebookResult(Path(path), S12, [q("q1_step_tests", q1[0], 3, q1[1]), q("q2_bptt_tests", 4, 4, "passed")])


@pytest.fixture
def grades_csv(tmp_path) -> Path:
    """A class of four, every status once, written by bplab grade's own CSV writer."""
    results = [
        set06("submissions/ada/06-xor-backprop-by-hand.ipynb"),
        set06("submissions/bob/06-xor-backprop-by-hand.ipynb", q1=(0, "failed"), q2=(0, "timeout"),
              q3=(0, "not reached"), mistakes=("summed-not-averaged", None, None)),
        set06("submissions/cy/06-xor-backprop-by-hand.ipynb", q1=(0, "not attempted"), q2=(0, "blocked"),
              q3=(0, "error"), written="not answered yet", mistakes=("not-attempted", None, None)),
        set12("submissions/ada/12-bptt-for-a-small-rnn.ipynb"),
        set12("submissions/dee/12-bptt-for-a-small-rnn.ipynb", q1=(0, "failed")),
    ]
    path = tmp_path / "grades.csv"
    write_csv(results, path)
    return path


def by_student(rows):
    return {row["student"]: row for row in rows}


@pytest.mark.parametrize(("path", "pattern", "student", "name"), [
    ("submissions/ada/06-xor-backprop-by-hand.ipynb", "folder", "ada", ""),
    ("/srv/course/submitted/ada/ps6/06-xor-backprop-by-hand.ipynb", "nbgrader", "ada", ""),
    ("canvas/smithjohn_12345_67890_06-xor-backprop-by-hand.ipynb", "canvas", "12345", "smithjohn"),
    ("canvas/smithjohn_LATE_12345_67890_06-xor-backprop-by-hand.ipynb", "canvas", "12345", "smithjohn"),
    ("canvas/smithjohn_late_12345_67890_06-xor-backprop-by-hand-1.ipynb", "canvas", "12345", "smithjohn"),
    ("moodle/John Smith_1234567_assignsubmission_file_/06-xor-backprop-by-hand.ipynb", "moodle", "1234567",
     "John Smith"),
    ("moodle/John Smith_1234567_assignsubmission_file_06-xor-backprop-by-hand.ipynb", "moodle", "1234567",
     "John Smith"),
    ("hand-in/s042-06.ipynb", r"(?P<student>s\d+)-\d\d\.ipynb$", "s042", ""),
])
def test_the_student_comes_from_the_path(path, pattern, student, name):
    assert student_of(path, pattern) == (student, name)


def test_a_path_the_pattern_does_not_match_is_an_error_that_names_both():
    with pytest.raises(GradebookError, match="cannot tell the student of 'ada.ipynb' with the pattern 'canvas'"):
        student_of("ada.ipynb", "canvas")


def test_one_row_per_student_with_points_statuses_totals_and_blank_written_answers(grades_csv):
    columns, rows = wide_rows(read_grades([grades_csv]))
    assert columns[:2] == ["student", "name"] and columns[-4:] == ["total", "max", "to grade by hand", "notes"]
    assert f"{S06} q4_why_xor" in columns and f"{S06} q4_why_xor status" in columns
    rows = by_student(rows)
    assert sorted(rows) == ["ada", "bob", "cy", "dee"]  # one row per student, whatever the sets handed in
    ada, bob, cy, dee = rows["ada"], rows["bob"], rows["cy"], rows["dee"]
    assert ada[f"{S06} q1_forward_tests"] == "2" and ada[f"{S06} total"] == "8" and ada[f"{S12} total"] == "7"
    assert ada["total"] == "15" and ada["max"] == "17"  # 10 + 7 available, the written 2 included
    assert ada[f"{S06} q4_why_xor"] == "" and ada[f"{S06} q4_why_xor status"] == "manual"  # blank, not 0
    assert ada["to grade by hand"] == "1"
    # every status told apart, in a column of its own
    statuses = {(s, c): row[f"{S06} {c} status"] for s, row in rows.items() if s in ("bob", "cy")
                for c in ("q1_forward_tests", "q2_backward_tests", "q3_train_tests")}
    assert set(statuses.values()) == {"failed", "timeout", "not reached", "not attempted", "blocked", "error"}
    assert bob[f"{S06} total"] == "0" and bob[f"{S06} q1_forward_tests"] == "0"
    assert "06 q2_backward_tests: timeout" in bob["notes"] and "06 q3_train_tests: not reached" in bob["notes"]
    assert "blocked" in cy["notes"] and "error" in cy["notes"] and "not attempted" not in cy["notes"]
    # a set not handed in: blank total, "no submission" statuses
    assert dee[f"{S06} total"] == "" and dee[f"{S06} q1_forward_tests status"] == "no submission"
    assert dee["total"] == "4" and dee["to grade by hand"] == "0"


def test_overrides_grade_written_answers_and_change_a_verdict_with_a_reason(grades_csv, tmp_path):
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("student,set,question,points,reason\n"
                         "ada,06,q4_why_xor,1.5,written answer graded\n"
                         "bob,,q2_backward_tests,4,timeout on a loaded machine: regraded alone\n"
                         f"cy,{S06},q4_why_xor,0,not answered\n")
    grades = apply_overrides(read_grades([grades_csv]), overrides)
    rows = by_student(wide_rows(grades)[1])
    assert rows["ada"][f"{S06} q4_why_xor"] == "1.5" and rows["ada"]["total"] == "16.5"
    assert rows["ada"]["to grade by hand"] == "0"
    assert rows["bob"][f"{S06} q2_backward_tests"] == "4" and rows["bob"][f"{S06} total"] == "4"
    assert "q2_backward_tests: 4 by override (was 0, timeout: timeout on a loaded machine" in rows["bob"]["notes"]
    assert rows["cy"][f"{S06} q4_why_xor"] == "0" and "(was ungraded: not answered)" in rows["cy"]["notes"]


@pytest.mark.parametrize(("line", "error"), [
    ("zed,06,q1_forward_tests,1,x", "no graded notebook of student 'zed'"),
    ("ada,06,q9_nothing,1,x", "student 'ada' has no question 'q9_nothing' in set '06'"),
    ("ada,12,q1_forward_tests,1,x", "has no question 'q1_forward_tests' in set '12'"),
    ("ada,06,q1_forward_tests,3,x", "3 points for q1_forward_tests, which is worth 2"),
    ("ada,06,q1_forward_tests,-1,x", "-1 points"),
    ("ada,06,q1_forward_tests,two,x", "'two' is not a number"),
    ("ada,06,q1_forward_tests,1,", "say why"),
])
def test_a_wrong_override_is_refused_with_its_line(grades_csv, tmp_path, line, error):
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("student,set,question,points,reason\n" + line + "\n")
    with pytest.raises(GradebookError, match="line 2") as caught:
        apply_overrides(read_grades([grades_csv]), overrides)
    assert error in str(caught.value)


def test_a_question_overridden_twice_is_refused(grades_csv, tmp_path):
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("student,set,question,points,reason\nada,06,q4_why_xor,1,a\nada,06,q4_why_xor,2,b\n")
    with pytest.raises(GradebookError, match="line 3: ada 06-xor-backprop-by-hand q4_why_xor is overridden twice"):
        apply_overrides(read_grades([grades_csv]), overrides)


def test_a_regrade_csv_replaces_that_students_set_and_nothing_else(grades_csv, tmp_path):
    regrade = tmp_path / "regrade.csv"
    write_csv([set06("submissions/bob/06-xor-backprop-by-hand.ipynb", q1=(2, "passed"), q2=(4, "passed"),
                     q3=(0, "failed"))], regrade)
    rows = by_student(wide_rows(read_grades([grades_csv, regrade]))[1])
    assert rows["bob"][f"{S06} total"] == "6" and rows["bob"][f"{S06} q3_train_tests status"] == "failed"
    assert "timeout" not in rows["bob"]["notes"]
    assert rows["ada"][f"{S06} total"] == "8" and rows["cy"][f"{S06} q2_backward_tests status"] == "blocked"


def test_two_notebooks_of_one_set_for_one_student_is_an_error_naming_both(tmp_path):
    path = tmp_path / "grades.csv"
    write_csv([set06("submissions/ada/06-xor-backprop-by-hand.ipynb"),
               set06("submissions/ada/06-xor-backprop-by-hand (1).ipynb")], path)
    with pytest.raises(GradebookError, match=r"two notebooks of set 06-xor.*\(1\)\.ipynb"):
        read_grades([path])


def test_canvas_import_has_canvas_columns_ids_from_file_names_and_no_partial_totals(tmp_path):
    grades = tmp_path / "grades.csv"
    write_csv([set06("dl/smithjohn_12345_67890_06-xor-backprop-by-hand.ipynb"),
               set06("dl/doejane_LATE_23456_78901_06-xor-backprop-by-hand.ipynb", q2=(1, "failed"))], grades)
    found = read_grades([grades], "canvas")
    roster = tmp_path / "canvas-export.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Set 06 (4321)\n"
                      "    Points Possible,,,,,10\n"
                      '"Smith, John",12345,S001,jsmith,Morning,\n')
    apply_overrides(found, _override(tmp_path, "12345,06,q4_why_xor,2,graded"))
    columns, rows, warnings = lms_rows(found, "canvas", {"06": "Set 06 (4321)"}, read_roster(roster, "ID"))
    assert columns == CANVAS_COLUMNS + ["Set 06 (4321)"] == ["Student", "ID", "SIS User ID", "SIS Login ID",
                                                             "Section", "Set 06 (4321)"]
    rows = {row["ID"]: row for row in rows}
    assert rows["12345"] == {"Student": "Smith, John", "ID": "12345", "SIS User ID": "S001", "SIS Login ID": "jsmith",
                             "Section": "Morning", "Set 06 (4321)": "10"}
    assert rows["23456"]["Student"] == "doejane" and rows["23456"]["Set 06 (4321)"] == ""  # written answer ungraded
    assert any("1 set total(s) left blank" in w for w in warnings)
    assert any("not in the roster: 23456" in w for w in warnings)


def _override(tmp_path, line: str) -> Path:
    path = tmp_path / "overrides.csv"
    path.write_text("student,set,question,points,reason\n" + line + "\n")
    return path


def test_moodle_import_identifies_students_by_email_or_id_number_from_the_grading_worksheet(tmp_path):
    grades = tmp_path / "grades.csv"
    write_csv([set06("dl/John Smith_1234567_assignsubmission_file_/06-xor-backprop-by-hand.ipynb"),
               set06("dl/Jane Doe_7654321_assignsubmission_file_/06-xor-backprop-by-hand.ipynb")], grades)
    found = read_grades([grades], "moodle")
    with pytest.raises(GradebookError, match="1234567 .John Smith. has no Email address or ID number"):
        lms_rows(found, "moodle")
    worksheet = tmp_path / "worksheet.csv"
    worksheet.write_text("Identifier,Full name,Email address,Status,Grade\n"
                         "Participant 1234567,John Smith,john@example.edu,Submitted,\n"
                         "Participant 7654321,Jane Doe,jane@example.edu,Submitted,\n")
    apply_overrides(found, _override(tmp_path, "1234567,,q4_why_xor,2,graded"))
    columns, rows, _ = lms_rows(found, "moodle", None, read_roster(worksheet, "Identifier"))
    assert columns == ["Full name", "Email address", "ID number", S06]
    assert rows[0] == {"Full name": "John Smith", "Email address": "john@example.edu", "ID number": "",
                       S06: "10"}
    assert rows[1]["Email address"] == "jane@example.edu" and rows[1][S06] == ""


def test_the_command_writes_the_gradebook_and_says_what_is_left_to_grade(grades_csv, tmp_path, capsys):
    out = tmp_path / "gradebook.csv"
    assert main(["gradebook", str(grades_csv), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {out}: 4 students, 2 set(s)" in said and "3 written answer(s) to grade by hand" in said
    rows = by_student(csv.DictReader(out.open()))
    assert rows["ada"]["total"] == "15"
    canvas = tmp_path / "canvas.csv"
    assert main(["gradebook", str(grades_csv), "--lms", "canvas", "--assignment", "06=Set 06", "--out",
                 str(canvas)]) == 0
    assert next(csv.reader(canvas.open())) == CANVAS_COLUMNS + ["Set 06", S12]
    assert main(["gradebook", str(grades_csv), "--students", "canvas", "--out", str(out)]) == 1
    assert "cannot tell the student of" in capsys.readouterr().out


def test_a_name_that_looks_like_a_formula_is_written_as_text(tmp_path):
    grades = tmp_path / "grades.csv"
    write_csv([set12("submissions/=HYPERLINK(x)/12-bptt-for-a-small-rnn.ipynb")], grades)
    out = tmp_path / "gradebook.csv"
    assert main(["gradebook", str(grades), "--out", str(out)]) == 0
    assert next(csv.DictReader(out.open()))["student"] == "'=HYPERLINK(x)"
