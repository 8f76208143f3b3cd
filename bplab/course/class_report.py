"""What the class got wrong: per question, the mean, the spread of points, the statuses and the common mistakes.

``bplab report grades.csv [--html class-report.html]`` reads the CSV files of `bplab grade` (and an overrides
file, as `bplab gradebook` does) and prints, per exercise set and question:

- how many submissions, the mean points and the points available, and the distribution of points (how many
  submissions earned each score);
- the statuses (passed, failed, not attempted, timeout, not reached, blocked, error; written answers: graded or
  still to grade);
- the most common diagnosed mistakes (the mistake ids the tests named, issue 20's catalogs: ``no-mean``,
  ``transposed``, ...) with the students whose submission made each;

then every mistake of the class, most common first: what to reteach. ``--html FILE`` writes the same as one
self-contained page (inline CSS and SVG bars, no script, nothing fetched), to open offline in any browser. Both
name students by their id: keep them where the grades are kept.

Used in: `bplab report` (docs/instructors.md, "Grading a class")
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field

from bplab.course.gradebook import Grade, GradebookError, apply_overrides, read_grades
from bplab.course.grading.results import (
    BLOCKED,
    ERROR,
    FAILED,
    MANUAL,
    NOT_ATTEMPTED,
    NOT_REACHED,
    PASSED,
    TIMEOUT,
)

STATUS_ORDER = (PASSED, FAILED, NOT_ATTEMPTED, TIMEOUT, NOT_REACHED, BLOCKED, ERROR, "graded", "to grade")
# Colours with a text label beside each (never colour alone): Okabe-Ito's colour-blind-safe palette.
STATUS_COLOURS = {PASSED: "#009E73", FAILED: "#D55E00", NOT_ATTEMPTED: "#999999", TIMEOUT: "#E69F00",
                  NOT_REACHED: "#F0E442", BLOCKED: "#CC79A7", ERROR: "#000000", "graded": "#56B4E9",
                  "to grade": "#FFFFFF"}


@dataclass
class QuestionSummary:
    """One question over the class.

    Attributes
    ----------
    question : str
        The grade_id.
    max_points : float
    points : list of float
        The points of each submission that has them (a written answer not graded yet has none).
    statuses : Counter
        Status -> submissions; written answers count as "graded" or "to grade".
    mistakes : dict
        Mistake id -> the students whose submission made it, most common first.
    """

    question: str
    max_points: float
    points: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    mistakes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def mean(self) -> float | None:
        return sum(self.points) / len(self.points) if self.points else None

    def distribution(self) -> list[tuple[float, int]]:
        """(points, submissions) for each score earned, lowest first."""
        return sorted(Counter(self.points).items())


@dataclass
class SetSummary:
    """One exercise set over the class: its questions and each student's total (ungraded written answers as 0)."""

    set_name: str
    questions: list[QuestionSummary]
    totals: dict[str, float]

    @property
    def students(self) -> list[str]:
        return sorted(self.totals)

    @property
    def max_points(self) -> float:
        return sum(q.max_points for q in self.questions)

    @property
    def mean(self) -> float:
        return sum(self.totals.values()) / len(self.totals) if self.totals else 0.0


def summarize(grades: list[Grade]) -> list[SetSummary]:
    """Per set (in name order), per question (in the grader's order): see `QuestionSummary`."""
    sets: dict[str, dict[str, QuestionSummary]] = {}
    totals: dict[str, dict[str, float]] = {}
    for g in grades:
        question = sets.setdefault(g.set_name, {}).setdefault(g.question, QuestionSummary(g.question, g.max_points))
        per_student = totals.setdefault(g.set_name, {})
        per_student[g.student] = per_student.get(g.student, 0.0) + (g.points or 0.0)
        if g.status == MANUAL:
            question.statuses["to grade" if g.points is None else "graded"] += 1
        else:
            question.statuses[g.status] += 1
        if g.points is not None:
            question.points.append(g.points)
        if g.mistake and g.status == FAILED and g.mistake != "not-attempted":
            question.mistakes.setdefault(g.mistake, []).append(g.student)
    summaries = []
    for set_name in sorted(sets):
        questions = list(sets[set_name].values())
        for q in questions:
            q.mistakes = dict(sorted(q.mistakes.items(), key=lambda item: (-len(item[1]), item[0])))
        summaries.append(SetSummary(set_name, questions, totals[set_name]))
    return summaries


def mistakes_to_reteach(summaries: list[SetSummary]) -> list[tuple[str, str, str, list[str]]]:
    """Every (set, question, mistake id, students) of the class, most submissions first."""
    found = [(s.set_name, q.question, mistake, students) for s in summaries for q in s.questions
             for mistake, students in q.mistakes.items()]
    return sorted(found, key=lambda item: (-len(item[3]), item[0], item[1], item[2]))


def repeated_mistakes(summaries: list[SetSummary]) -> list[tuple[str, list[str], list[str]]]:
    """Mistake ids made in more than one question (the same misconception in two places): (id, where, students)."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for s in summaries:
        for q in s.questions:
            for mistake, students in q.mistakes.items():
                where, who = found.setdefault(mistake, ([], []))
                where.append(f"{s.set_name.split('-')[0]} {q.question}")
                who += [w for w in students if w not in who]
    return sorted(((m, where, who) for m, (where, who) in found.items() if len(where) > 1),
                  key=lambda item: (-len(item[2]), item[0]))


def _statuses(q: QuestionSummary) -> str:
    return ", ".join(f"{status} {q.statuses[status]}" for status in STATUS_ORDER if q.statuses[status])


def _names(students: list[str], limit: int = 6) -> str:
    shown = ", ".join(students[:limit])
    return shown + (f" and {len(students) - limit} more" if len(students) > limit else "")


def format_report(summaries: list[SetSummary], top: int = 3) -> str:
    """The class report as a terminal table (plain text, one line per question)."""
    students = sorted({s for summary in summaries for s in summary.students})
    lines = [f"Class report: {sum(len(s.students) for s in summaries)} submissions of {len(summaries)} set(s) "
             f"from {len(students)} students"]
    for summary in summaries:
        lines += ["", f"{summary.set_name}: {len(summary.students)} submissions, mean {summary.mean:.1f} of "
                  f"{summary.max_points:g} points (written answers not graded yet count 0)"]
        width = max(8, *(len(q.question) for q in summary.questions))
        rows = [(q.question, "-" if q.mean is None else f"{q.mean:.1f} / {q.max_points:g}",
                 ", ".join(f"{p:g}: {n}" for p, n in q.distribution()) or "-", _statuses(q),
                 "; ".join(f"{m} ({len(who)}: {_names(who, 3)})" for m, who in list(q.mistakes.items())[:top]) or "-")
                for q in summary.questions]
        heads = ("question", "mean", "points: submissions", "statuses", "most common mistakes")
        widths = [max(len(heads[i]), *(len(r[i]) for r in rows)) for i in range(4)]
        widths[0] = max(widths[0], width)
        lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(heads, widths)) + "  " + heads[4])
        for row in rows:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[4])
    reteach = mistakes_to_reteach(summaries)
    lines += ["", "Mistakes to reteach (submissions that made each, most first):"]
    if not reteach:
        lines.append("  none diagnosed")
    for set_name, question, mistake, who in reteach:
        lines.append(f"  {len(who):>3}  {set_name.split('-')[0]} {question}  {mistake}: {_names(who)}")
    repeated = repeated_mistakes(summaries)
    if repeated:
        lines += ["", "The same mistake in several questions:"]
        for mistake, where, who in repeated:
            lines.append(f"  {mistake}: {len(who)} students ({_names(who)}) in {', '.join(where)}")
    return "\n".join(lines)


def _bar(q: QuestionSummary, width: int = 220, height: int = 18) -> str:
    """An SVG bar of the question's statuses (one segment per status, each labelled by its title)."""
    total = sum(q.statuses.values()) or 1
    x, parts = 0.0, []
    for status in STATUS_ORDER:
        n = q.statuses[status]
        if not n:
            continue
        w = width * n / total
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{STATUS_COLOURS[status]}" '
                     f'stroke="#333" stroke-width="0.5"><title>{html.escape(status)}: {n}</title></rect>')
        x += w
    label = html.escape(_statuses(q))
    return (f'<svg role="img" aria-label="statuses: {label}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{"".join(parts)}</svg>')


def _histogram(q: QuestionSummary, width: int = 160, height: int = 50) -> str:
    """An SVG histogram of the points earned: a bar per score (labelled below), its count above it."""
    dist = q.distribution()
    if not dist:
        return "-"
    most = max(n for _, n in dist)
    step = width / len(dist)
    parts = []
    for i, (points, n) in enumerate(dist):
        h = (height - 26) * n / most
        middle = i * step + step / 2
        parts.append(f'<rect x="{i * step + 2:.1f}" y="{height - 12 - h:.1f}" width="{step - 4:.1f}" '
                     f'height="{h:.1f}" fill="#0072B2"/><text x="{middle:.1f}" y="{height - 14 - h:.1f}" '
                     f'font-size="10" text-anchor="middle">{n}</text><text x="{middle:.1f}" y="{height - 1}" '
                     f'font-size="10" text-anchor="middle">{points:g} pt</text>')
    label = html.escape(", ".join(f"{p:g} points: {n}" for p, n in dist))
    return (f'<svg role="img" aria-label="{label}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{"".join(parts)}</svg>')


CSS = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:70em}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;
vertical-align:top}th{background:#eee}td.num{text-align:right}.key span{display:inline-block;margin-right:1em}
.swatch{display:inline-block;width:.9em;height:.9em;border:1px solid #333;vertical-align:middle;margin-right:.3em}
p.note{color:#555}"""


def html_report(summaries: list[SetSummary], title: str = "Class report") -> str:
    """The class report as one self-contained HTML page (no script, no external file)."""
    e = html.escape
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>"
           f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>",
           "<p class='note'>Made by <code>bplab report</code> from the CSV of <code>bplab grade</code>. It names "
           "students by their id: keep it where the grades are kept.</p>",
           "<p class='key'>" + "".join(f"<span><span class='swatch' style='background:{STATUS_COLOURS[s]}'>"
                                      f"</span>{e(s)}</span>" for s in STATUS_ORDER) + "</p>"]
    for summary in summaries:
        out.append(f"<h2>{e(summary.set_name)}</h2><p>{len(summary.students)} submissions, mean {summary.mean:.1f} of "
                   f"{summary.max_points:g} points.</p><table><tr><th>question</th><th>mean / max</th>"
                   "<th>points earned (submissions)</th><th>statuses</th><th>most common mistakes</th></tr>")
        for q in summary.questions:
            mean_q = "-" if q.mean is None else f"{q.mean:.1f} / {q.max_points:g}"
            mistakes = "<br>".join(f"<code>{e(m)}</code>: {len(who)} ({e(_names(who, 4))})"
                                   for m, who in q.mistakes.items()) or "-"
            out.append(f"<tr><td><code>{e(q.question)}</code></td><td class='num'>{mean_q}</td>"
                       f"<td>{_histogram(q)}</td><td>{_bar(q)}<br>{e(_statuses(q))}</td><td>{mistakes}</td></tr>")
        out.append("</table>")
    out.append("<h2>Mistakes to reteach</h2><table><tr><th>submissions</th><th>set</th><th>question</th>"
               "<th>mistake</th><th>students</th></tr>")
    for set_name, question, mistake, who in mistakes_to_reteach(summaries):
        out.append(f"<tr><td class='num'>{len(who)}</td><td>{e(set_name)}</td><td><code>{e(question)}</code></td>"
                   f"<td><code>{e(mistake)}</code></td><td>{e(', '.join(who))}</td></tr>")
    out.append("</table>")
    repeated = repeated_mistakes(summaries)
    if repeated:
        out.append("<h2>The same mistake in several questions</h2><ul>")
        out += [f"<li><code>{e(m)}</code>: {len(who)} students ({e(', '.join(who))}) in {e(', '.join(where))}</li>"
                for m, where, who in repeated]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def report_command(paths, students_pattern: str = "folder", overrides: str | None = None,
                   html_path: str | None = None, top: int = 3) -> int:
    """`bplab report`: print the class report of `bplab grade` CSVs; write it as HTML too with `html_path`."""
    try:
        grades = read_grades(paths, students_pattern)
        if overrides:
            apply_overrides(grades, overrides)
    except (GradebookError, OSError, KeyError) as error:
        print(f"bplab report: {error}")
        return 1
    summaries = summarize(grades)
    print(format_report(summaries, top))
    if html_path:
        with open(html_path, "w", encoding="utf-8") as handle:
            handle.write(html_report(summaries))
        print(f"\nwrote {html_path}")
    return 0
