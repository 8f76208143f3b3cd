"""Gradebook-ready results: one row per student, from the CSV files of `bplab grade`.

``bplab grade submissions/ --solutions private/solutions --csv grades.csv`` writes one row per notebook and
question (`bplab.course.grading.report`). ``bplab gradebook grades.csv`` turns that into what a gradebook takes:

- **one row per student**, the student told from the notebook's path (`STUDENT_PATTERNS`): ``folder`` (the
  default: ``submissions/<student>/06-xor-backprop-by-hand.ipynb``), ``nbgrader``
  (``submitted/<student>/<assignment>/<notebook>``), ``canvas`` (the files of Canvas's "Download Submissions":
  ``smithjohn_12345_67890_06-xor-backprop-by-hand.ipynb``, ``<name>_[late_]<user id>_<submission id>_<file>``; the
  student is the Canvas user ID, the "ID" column of a Canvas gradebook), ``moodle`` (Moodle's "Download all
  submissions": ``John Smith_1234567_assignsubmission_file_/06-....ipynb``; the student is the assignment's
  participant identifier, "Participant 1234567" in its grading worksheet), or any regular expression with a
  ``(?P<student>...)`` group (and optionally ``(?P<name>...)``), searched in the path;
- per question, the points, and the **status** (`bplab.course.grading.results`: passed, failed, not attempted,
  timeout, not reached, blocked, error, manual) in a column of its own; a written answer's points are **blank**
  (not 0) until a person grades it;
- per set and in all, the **total** and the points available; ``to grade by hand`` counts the written answers
  not graded yet, and ``notes`` names what needs a look (a timeout, the sandbox, a grader error, an override);
- **overrides and regrades**: ``--overrides overrides.csv`` (columns ``student, set, question, points, reason``;
  ``set`` may be left blank when the question's id is unique, or be the set's number, ``06``) sets a question's
  points: a written answer graded by hand, or a changed verdict. Each override is checked (a known student, set
  and question, 0 <= points <= max) and its reason goes to ``notes``. A regrade is a second ``bplab grade`` run
  on some notebooks: give its CSV after the first (``bplab gradebook grades.csv regrade.csv``); its rows replace
  that student's rows of the same set.

**LMS import files** (``--lms canvas|moodle --out FILE``): one column per set, the set's total, blank for a
student whose written answers are not all graded (so no partial grade is posted; the command says how many).

- ``canvas``: the columns of a Canvas gradebook export, ``Student, ID, SIS User ID, SIS Login ID, Section``, in
  that order, then one column per set (Canvas's "Import" of the gradebook; a column named like an existing
  assignment, e.g. ``Set 06 (4321)``, fills it; a new name creates an assignment). ``ID`` is the Canvas user ID:
  with ``--students canvas`` it comes from the file names; ``--roster`` (the gradebook exported from Canvas)
  fills the other columns.
- ``moodle``: ``Full name, Email address, ID number``, then one column per set, for Moodle's "Import grades
  from CSV file" (map "Email address" to useremail, or "ID number" to useridnumber, and each set's column to
  its grade item). Email address or ID number comes from ``--roster`` (Moodle's grading worksheet, or a
  gradebook export): a student without one is an error.

``--assignment SET=COLUMN`` names a set's column (default: the set's name). A roster row is matched by
``--roster-key`` (default: ``ID`` for canvas, ``Identifier`` for moodle, where "Participant 1234567" matches
1234567).

Used in: `bplab gradebook` (docs/instructors.md, "Grading a class")
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from bplab.course.grading.report import _csv_cell
from bplab.course.grading.results import BLOCKED, ERROR, MANUAL, NOT_REACHED, TIMEOUT

STUDENT_PATTERNS = {
    "folder": r"(?:^|/)(?P<student>[^/]+)/[^/]+\.ipynb$",
    "nbgrader": r"(?:^|/)(?P<student>[^/]+)/[^/]+/[^/]+\.ipynb$",
    "canvas": r"(?i)(?:^|/)(?P<name>[^/_]+)_(?:late_)?(?P<student>\d+)_\d+_[^/]*\.ipynb$",
    "moodle": r"(?:^|/)(?P<name>[^/_]+)_(?P<student>\d+)_assignsubmission_file_",
}
LOOK_AT = (TIMEOUT, NOT_REACHED, BLOCKED, ERROR)  # statuses an instructor should read before posting grades
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["Full name", "Email address", "ID number"]
ROSTER_KEYS = {"canvas": "ID", "moodle": "Identifier"}
OVERRIDE_COLUMNS = ["student", "set", "question", "points", "reason"]
_SET_NAME = re.compile(r"(\d\d[a-z]?)-[a-z0-9][a-z0-9-]*")


class GradebookError(ValueError):
    """A grades, overrides or roster file that cannot be used; the message names the file and the row."""


@dataclass
class Grade:
    """One question of one student's notebook, as the gradebook sees it.

    Attributes
    ----------
    student, name : str
        The student's id from the path (`STUDENT_PATTERNS`) and a display name when the pattern gives one.
    set_name, question : str
        The exercise set (e.g. ``"06-xor-backprop-by-hand"``) and the question's grade_id.
    points : float or None
        Points earned; None for a written answer nobody has graded yet.
    max_points : float
        Points available.
    status, message, mistake : str
        As `bplab grade` reported them (`bplab.course.grading.results`).
    notebook : str
        The submitted file.
    override : str
        The reason given in the overrides file, when the points come from there.
    """

    student: str
    name: str
    set_name: str
    question: str
    points: float | None
    max_points: float
    status: str
    message: str = ""
    mistake: str = ""
    notebook: str = ""
    override: str = ""


@dataclass
class Student:
    """A gradebook row: one student's grades, by set, in the order `bplab grade` reported them."""

    student: str
    name: str = ""
    grades: dict[str, list[Grade]] = field(default_factory=dict)

    def total(self, set_name: str | None = None) -> float:
        """Points earned (graded written answers and overrides included), in one set or in all."""
        sets = [set_name] if set_name else list(self.grades)
        return sum(g.points or 0.0 for s in sets for g in self.grades.get(s, []))

    def max_points(self, set_name: str | None = None) -> float:
        sets = [set_name] if set_name else list(self.grades)
        return sum(g.max_points for s in sets for g in self.grades.get(s, []))

    def ungraded(self, set_name: str | None = None) -> int:
        """Written answers nobody has graded yet."""
        sets = [set_name] if set_name else list(self.grades)
        return sum(g.points is None for s in sets for g in self.grades.get(s, []))

    def notes(self) -> str:
        """What needs a look: statuses other than a verdict on the answer, and every override with its reason."""
        said = []
        for set_name, grades in self.grades.items():
            number = set_name.split("-")[0]
            for g in grades:
                if g.override:
                    said.append(f"{number} {g.question}: {g.points:g} by override ({g.override})")
                elif g.status in LOOK_AT:
                    said.append(f"{number} {g.question}: {g.status}")
        return "; ".join(said)


def student_of(notebook: str, pattern: str = "folder") -> tuple[str, str]:
    """The (student id, display name) of a submitted notebook's path, by a named pattern or a regex.

    Characters that are not printable (a line break, a terminal escape in a folder's name) come back escaped
    (``\\n``, ``\\x1b``), so an id cannot redraw a terminal or add lines to a report.

    Raises
    ------
    GradebookError
        The path does not match (the message shows the path and the pattern), or gives "." or "..".
    """
    regex = STUDENT_PATTERNS.get(pattern, pattern)
    found = re.search(regex, PurePath(notebook).as_posix())
    if not found or not found.groupdict().get("student") or found.group("student") in (".", ".."):
        raise GradebookError(f"cannot tell the student of {notebook!r} with the pattern {pattern!r} "
                             f"({regex}): pass --students folder|nbgrader|canvas|moodle or a regex with a "
                             "(?P<student>...) group")
    name = found.groupdict().get("name") or ""
    return _printable(found.group("student")), _printable(name)


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise GradebookError(f"{where}: {text!r} is not a number") from None


def read_grades(paths, pattern: str = "folder") -> list[Grade]:
    """The rows of `bplab grade` CSV files, later files replacing a student's set graded in an earlier one.

    A notebook that could not be graded at all (its one row has no question) is kept as an ``error`` row, so
    its student shows up with a note. Two notebooks of the same student and set in one file is an error (the
    message names both).
    """
    by_key: dict[tuple[str, str], list[Grade]] = {}
    for path in map(Path, paths):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        if rows and not {"notebook", "question", "points", "max_points", "status"} <= set(rows[0]):
            raise GradebookError(f"{path} is not a CSV of `bplab grade --csv` (columns: {', '.join(rows[0])})")
        here: dict[tuple[str, str], list[Grade]] = {}
        source: dict[tuple[str, str], str] = {}
        for line, row in enumerate(rows, start=2):
            notebook = row["notebook"].removeprefix("'")  # _csv_cell's guard against spreadsheet formulas
            student, name = student_of(notebook, pattern)
            set_name = row.get("set") or _set_from_name(notebook)
            key = (student, set_name)
            if key in source and source[key] != notebook:
                raise GradebookError(f"{path}: student {student} has two notebooks of set {set_name}: "
                                     f"{source[key]} and {notebook}; keep one (or give the newer one's grades in "
                                     "a later CSV, which replaces the earlier)")
            source[key] = notebook
            status = row["status"]
            points = None if status == MANUAL else _number(row["points"], f"{path}, line {line}")
            here.setdefault(key, []).append(Grade(
                student, name, set_name, row["question"] or "(notebook)", points,
                _number(row["max_points"], f"{path}, line {line}"), status, row.get("message", "").removeprefix("'"),
                row.get("mistake", ""), notebook))
        by_key.update(here)
    return [g for grades in by_key.values() for g in grades]


def _set_from_name(notebook: str) -> str:
    found = _SET_NAME.search(PurePath(notebook).name)
    return found.group(0).rstrip("-") if found else PurePath(notebook).stem


def _set_matches(given: str, set_name: str) -> bool:
    return given in (set_name, set_name.split("-")[0])


def apply_overrides(grades: list[Grade], path) -> list[Grade]:
    """Set the points of the questions named in the overrides CSV `path` (see the module docstring).

    Raises
    ------
    GradebookError
        A row naming an unknown student, set or question, an ambiguous question, points that are not a number
        or outside [0, max], a question overridden twice, or a missing reason.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not set(OVERRIDE_COLUMNS) <= set(rows[0]):
        raise GradebookError(f"{path}: an overrides file needs the columns {', '.join(OVERRIDE_COLUMNS)}")
    done = set()
    for line, row in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        student, given_set, question = row["student"].strip(), row["set"].strip(), row["question"].strip()
        mine = [g for g in grades if g.student == student]
        if not mine:
            raise GradebookError(f"{where}: no graded notebook of student {student!r}")
        matches = [g for g in mine if g.question == question and (not given_set or _set_matches(given_set,
                                                                                             g.set_name))]
        if not matches:
            raise GradebookError(f"{where}: student {student!r} has no question {question!r}"
                                 + (f" in set {given_set!r}" if given_set else ""))
        if len(matches) > 1:
            raise GradebookError(f"{where}: question {question!r} is in several sets of {student!r}: give its set")
        grade = matches[0]
        points = _number(row["points"].strip(), where)
        if not 0 <= points <= grade.max_points:
            raise GradebookError(f"{where}: {points:g} points for {question}, which is worth {grade.max_points:g}")
        if not row["reason"].strip():
            raise GradebookError(f"{where}: say why (the reason column), e.g. 'written answer graded'")
        if id(grade) in done:
            raise GradebookError(f"{where}: {student} {grade.set_name} {question} is overridden twice")
        done.add(id(grade))
        was = "ungraded" if grade.points is None else f"{grade.points:g}, {grade.status}"
        grade.points = points
        grade.override = f"was {was}: {row['reason'].strip()}"
    return grades


def students(grades: list[Grade]) -> list[Student]:
    """One `Student` per student id, sorted by id, sets in name order."""
    table: dict[str, Student] = {}
    for g in grades:
        row = table.setdefault(g.student, Student(g.student, g.name))
        row.name = row.name or g.name
        row.grades.setdefault(g.set_name, []).append(g)
    for row in table.values():
        row.grades = dict(sorted(row.grades.items()))
    return [table[key] for key in sorted(table)]


def questions_by_set(grades: list[Grade]) -> dict[str, list[tuple[str, float]]]:
    """Each set's questions with their points available, in the order the grader reported them."""
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for g in grades:
        found[g.set_name].setdefault(g.question, g.max_points)
    return {s: list(found[s].items()) for s in sorted(found)}


def wide_rows(grades: list[Grade]) -> tuple[list[str], list[dict]]:
    """The gradebook: (columns, rows), one row per student.

    Columns: ``student, name``, then per set ``<set> <question>`` (points; blank for a written answer not
    graded yet, and for a set the student did not hand in) and ``<set> <question> status``, then ``<set>
    total`` and ``<set> max``; then ``total, max, to grade by hand, notes``.
    """
    layout = questions_by_set(grades)
    columns = ["student", "name"]
    for set_name, questions in layout.items():
        for question, _ in questions:
            columns += [f"{set_name} {question}", f"{set_name} {question} status"]
        columns += [f"{set_name} total", f"{set_name} max"]
    columns += ["total", "max", "to grade by hand", "notes"]
    rows = []
    for person in students(grades):
        row = {"student": person.student, "name": person.name}
        for set_name, questions in layout.items():
            mine = {g.question: g for g in person.grades.get(set_name, [])}
            for question, _ in questions:
                g = mine.get(question)
                row[f"{set_name} {question}"] = "" if g is None or g.points is None else f"{g.points:g}"
                row[f"{set_name} {question} status"] = "no submission" if g is None else g.status
            handed_in = set_name in person.grades
            row[f"{set_name} total"] = f"{person.total(set_name):g}" if handed_in else ""
            row[f"{set_name} max"] = f"{sum(p for _, p in questions):g}"
        row.update({"total": f"{person.total():g}", "max": f"{sum(p for qs in layout.values() for _, p in qs):g}",
                    "to grade by hand": str(person.ungraded()), "notes": person.notes()})
        rows.append(row)
    return columns, rows


def write_csv(columns: list[str], rows: list[dict], path) -> None:
    """Write `rows` with `columns`, each text cell guarded against spreadsheet formulas."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_cell(row.get(k, "")) for k in columns})


def read_roster(path, key: str) -> dict[str, dict]:
    """The roster CSV `path` (an LMS's gradebook export or grading worksheet) by the values of column `key`.

    A Canvas export's second row ("Points Possible") and Moodle's "Participant " prefix are skipped.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if rows and key not in rows[0]:
        raise GradebookError(f"{path} has no column {key!r} (columns: {', '.join(rows[0])}); pass --roster-key")
    roster = {}
    for row in rows:
        value = (row.get(key) or "").strip().removeprefix("Participant ").strip()
        if value and "Points Possible" not in (row.get("Student") or ""):
            roster[value] = row
    return roster


def lms_rows(grades: list[Grade], lms: str, assignments: dict[str, str] | None = None,
             roster: dict[str, dict] | None = None) -> tuple[list[str], list[dict], list[str]]:
    """The LMS import file: (columns, rows, warnings); see the module docstring.

    Parameters
    ----------
    grades : list of Grade
        After `apply_overrides`.
    lms : {"canvas", "moodle"}
    assignments : dict, optional
        Set name (or number) -> the column to write its totals in; default the set's name.
    roster : dict, optional
        `read_roster`'s result: identity columns of each student.

    Raises
    ------
    GradebookError
        Moodle without an email address or ID number for some student; an unknown set in `assignments`.
    """
    if lms not in ROSTER_KEYS:
        raise GradebookError(f"unknown LMS {lms!r}: canvas or moodle")
    layout = questions_by_set(grades)
    assignments = dict(assignments or {})
    for given in assignments:
        if not any(_set_matches(given, s) for s in layout):
            raise GradebookError(f"--assignment {given}=...: no set {given!r} among {', '.join(layout)}")
    names = {s: next((c for g, c in assignments.items() if _set_matches(g, s)), s) for s in layout}
    identity = CANVAS_COLUMNS if lms == "canvas" else MOODLE_COLUMNS
    columns = identity + list(names.values())
    rows, warnings, incomplete, unknown = [], [], 0, []
    for person in students(grades):
        known = (roster or {}).get(person.student, {})
        if roster is not None and not known:
            unknown.append(person.student)
        if lms == "canvas":
            row = {c: known.get(c, "") for c in CANVAS_COLUMNS}
            row["Student"] = row["Student"] or person.name or person.student
            row["ID"] = row["ID"] or person.student
        else:
            full = known.get("Full name") or " ".join(filter(None, (known.get("First name"), known.get("Last name"))))
            row = {"Full name": full or person.name, "Email address": known.get("Email address", ""),
                   "ID number": known.get("ID number", "")}
            if not (row["Email address"] or row["ID number"]):
                raise GradebookError(f"student {person.student} ({person.name or 'no name'}) has no Email address "
                                     "or ID number: give a roster (--roster, Moodle's grading worksheet or "
                                     "gradebook export) that has them")
        for set_name, column in names.items():
            if set_name not in person.grades:
                row[column] = ""
            elif person.ungraded(set_name):
                row[column] = ""
                incomplete += 1
            else:
                row[column] = f"{person.total(set_name):g}"
        rows.append(row)
    if incomplete:
        warnings.append(f"{incomplete} set total(s) left blank: written answers not graded yet (add them to "
                        "--overrides, then export again)")
    if unknown:
        warnings.append(f"not in the roster: {', '.join(unknown)} (their identity columns come from the file "
                        "names only)")
    return columns, rows, warnings


def gradebook_command(paths, out: str = "gradebook.csv", students_pattern: str = "folder",
                      overrides: str | None = None, lms: str | None = None, roster: str | None = None,
                      roster_key: str | None = None, assignments: list[str] | None = None) -> int:
    """`bplab gradebook`: read `bplab grade` CSVs, apply overrides, write the gradebook or an LMS import file.

    Returns 0 when written, 1 when a file could not be used (the message says why).
    """
    try:
        grades = read_grades(paths, students_pattern)
        if overrides:
            apply_overrides(grades, overrides)
        if lms:
            mapping = {}
            for item in assignments or []:
                if "=" not in item:
                    raise GradebookError(f"--assignment {item!r}: write SET=COLUMN, e.g. 06='Set 06 (4321)'")
                set_name, column = item.split("=", 1)
                mapping[set_name.strip()] = column.strip()
            table = read_roster(roster, roster_key or ROSTER_KEYS.get(lms, "ID")) if roster else None
            columns, rows, warnings = lms_rows(grades, lms, mapping, table)
        else:
            (columns, rows), warnings = wide_rows(grades), []
    except (GradebookError, OSError, KeyError) as error:
        print(f"bplab gradebook: {error}")
        return 1
    write_csv(columns, rows, out)
    people = students(grades)
    print(f"wrote {out}: {len(rows)} students, {len(questions_by_set(grades))} set(s)"
          + (f", in {lms.capitalize()}'s import columns" if lms else ""))
    pending = sum(p.ungraded() for p in people)
    if pending and not lms:
        print(f"{pending} written answer(s) to grade by hand: their cells are blank; put the points in an "
              "overrides file (student, set, question, points, reason) and pass --overrides")
    for warning in warnings:
        print("note: " + warning)
    return 0
