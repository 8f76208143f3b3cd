"""The `bplab` command: `bplab doctor`, `bplab exercises build`, `bplab grade NOTEBOOK...`, and for a graded class
`bplab publish` (the learners' repository), `bplab gradebook` and `bplab report` (from `bplab grade`'s CSV).

Also `python -m bplab ...` (bplab/__main__.py), for a shell where the venv's bin folder is not on PATH.
"""

from __future__ import annotations

import argparse
import sys

GRADE_DESCRIPTION = (
    "Grade exercise notebooks. Without --solutions (learner mode), each notebook's own visible test cells "
    "are run, as in the notebook: e.g. from the course folder, .venv/bin/bplab grade "
    "exercises/06-xor-backprop-by-hand.ipynb; the table says plainly that your instructor's grading adds hidden "
    "tests. With --solutions DIR (instructor mode), the test cells of the set's solution notebook in DIR, "
    "visible and hidden, replace the submission's; the folder used is printed, and one learners can read (the "
    "course checkout's own solutions/, or one inside the submissions) is refused unless "
    "--allow-public-solutions. The learner's code runs in a process of its own (in instructor mode in a "
    "bubblewrap sandbox where it works: no network, no files but a scratch folder, resource limits); the test "
    "cells run in the grader, on its values. Each question gets points, a status (passed, failed, not "
    "attempted, timeout, not reached, blocked, error, manual), a message and the mistake id a test named. "
    "Exit code 0 when every notebook was graded (whatever the scores), 1 when some notebook could not be "
    "graded completely, 2 when the paths given hold no notebook, 3 when --sandbox bwrap does not work here, 4 "
    "when the solutions folder is missing or refused."
)


def _tools_present(names) -> list[str]:
    from importlib.util import find_spec

    return [name for name in names if find_spec(name) is None]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bplab` command; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="bplab", description="Tools of the bplab backpropagation course.")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("doctor", help="check Python, packages and widget set-up, with a fix for each problem")

    exercises = commands.add_parser("exercises", help="generate exercises/ from solutions/")
    exercises.add_argument("action", choices=["build"])
    exercises.add_argument("--solutions", default="solutions", help="folder of source notebooks")
    exercises.add_argument("--out", default="exercises", help="folder to write")
    exercises.add_argument("--check", action="store_true",
                           help="write nothing; exit 1 naming each stale BUILT DATA region and out-of-date exercise")

    grade = commands.add_parser("grade", help="grade exercise notebooks (yours: visible tests; --solutions: all)",
                                description=GRADE_DESCRIPTION)
    grade.add_argument("paths", nargs="+", metavar="NOTEBOOK",
                       help="exercise notebooks (.ipynb) or folders of them (searched recursively)")
    grade.add_argument("--solutions", default=None, metavar="DIR",
                       help="instructor mode: the folder of solution notebooks whose tests (visible and hidden) "
                       "are run; keep it where learners cannot read it")
    grade.add_argument("--allow-public-solutions", action="store_true",
                       help="use --solutions even when learners can read it (the course checkout's own "
                       "solutions/, or one inside the submissions): its hidden tests are then not secret")
    grade.add_argument("--csv", help="write one row per notebook and question to this file")
    grade.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per cell (default 60)")
    grade.add_argument("--budget", type=float, default=300.0,
                       help="seconds allowed per notebook in all (default 300); the questions after it is spent "
                       "are 'not reached' (0 points)")
    grade.add_argument("--sandbox", choices=["auto", "bwrap", "none"], default=None,
                       help="where submitted code runs: bwrap (bubblewrap: no network, read-only system, only a "
                       "scratch folder writable, resource limits), none (as you; resource limits only), auto "
                       "(bwrap where it works, else none with a warning). Default: auto with --solutions, none "
                       "without (a learner's own code)")

    _class_commands(commands)
    args = parser.parse_args(argv)
    if args.command in ("publish", "gradebook", "report"):
        return _run_class_command(args)
    if args.command == "doctor":
        from bplab.course.doctor import run

        return 0 if run() else 1
    missing = _tools_present(["nbformat"] + (["IPython"] if args.command == "grade" else []))
    if missing:
        print(f"bplab {args.command}: needs {', '.join(missing)}, which the course's install has: run `make install` "
              "(or pip install -e .) in the course folder", file=sys.stderr)
        return 2
    if args.command == "exercises":
        from bplab.course.exercises import BuildError, build, check

        try:
            if args.check:
                problems = check(args.solutions, args.out)
                for problem in problems:
                    print(problem)
                print(f"{len(problems)} problem(s): run `bplab exercises build`" if problems
                      else f"built data and {args.out}/ are up to date")
                return 1 if problems else 0
            written = build(args.solutions, args.out)
        except BuildError as error:
            print(f"bplab exercises build: {error}", file=sys.stderr)
            return 1
        print(f"wrote {len(written)} exercise notebooks to {args.out}/")
        return 0
    from bplab.course.grading import grade_command

    return grade_command(args.paths, csv_path=args.csv, timeout=args.timeout, solutions=args.solutions,
                         sandbox=args.sandbox, budget=args.budget if args.budget > 0 else None,
                         allow_public_solutions=args.allow_public_solutions)


STUDENTS_HELP = ("how to tell the student from a notebook's path: folder (submissions/<student>/NN-*.ipynb, the "
                 "default), nbgrader (submitted/<student>/<assignment>/...), canvas (Canvas's download: "
                 "name_<user id>_<submission id>_<file>), moodle (Moodle's download: Full Name_<participant "
                 "id>_assignsubmission_file_...), or a regular expression with a (?P<student>...) group")


def _class_commands(commands) -> None:
    """The subcommands of a graded class: publish, gradebook, report (bplab.course.publish, gradebook,
    class_report)."""
    publish = commands.add_parser(
        "publish", help="write the learners' repository: the course with exercises from your private solutions",
        description="Write the learners' repository at --out (a git repository of its own, one new commit per run): "
        "notebooks/, the bplab package, pyproject.toml, environment.yml, a LICENSE if any, exercises/ built from "
        "--solutions, a README and a Makefile for learners; never solutions/. The new files and then the whole "
        "history are searched for solution text before it says done. Push it yourself (git -C OUT push).")
    publish.add_argument("--solutions", required=True, metavar="DIR", help="your private solutions folder")
    publish.add_argument("--out", required=True, metavar="DIR",
                         help="the learners' repository: a new or empty folder, or one bplab publish made")
    publish.add_argument("--course", default=".", metavar="DIR", help="the course folder (default: here)")
    publish.add_argument("--message", help="the commit's first line (default: Course update)")

    for name, text in (("gradebook", "one row per student from bplab grade's CSV: per-question points and "
                        "statuses, totals, overrides; or an LMS import file (--lms canvas|moodle)"),
                       ("report", "the class report of bplab grade's CSV: per question the mean, the points "
                        "earned, the statuses and the common mistakes (--html for a page)")):
        sub = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        sub.add_argument("csv", nargs="+", metavar="GRADES_CSV",
                         help="CSV files of bplab grade --csv (a later one replaces a student's set: a regrade)")
        sub.add_argument("--students", default="folder", metavar="PATTERN", help=STUDENTS_HELP)
        sub.add_argument("--overrides", metavar="CSV",
                         help="points set by hand: columns student, set, question, points, reason")
        if name == "gradebook":
            sub.add_argument("--out", default="gradebook.csv", help="file to write (default gradebook.csv)")
            sub.add_argument("--lms", choices=["canvas", "moodle"], help="write the LMS's import columns instead")
            sub.add_argument("--roster", metavar="CSV",
                             help="the LMS's gradebook export or grading worksheet, for the identity columns")
            sub.add_argument("--roster-key", metavar="COLUMN",
                             help="the roster column that holds the student ids (default: ID for canvas, "
                             "Identifier for moodle)")
            sub.add_argument("--assignment", action="append", metavar="SET=COLUMN",
                             help="the LMS column of a set's totals, e.g. 06='Set 06 (4321)' (default: the set)")
        else:
            sub.add_argument("--html", metavar="FILE", help="also write the report as a self-contained HTML page")
            sub.add_argument("--top", type=int, default=3, help="mistakes shown per question (default 3)")


def _run_class_command(args) -> int:
    if args.command == "publish":
        from bplab.course.publish import publish_command

        return publish_command(args.solutions, args.out, args.course, args.message)
    if args.command == "gradebook":
        from bplab.course.gradebook import gradebook_command

        return gradebook_command(args.csv, args.out, args.students, args.overrides, args.lms, args.roster,
                                 args.roster_key, args.assignment)
    from bplab.course.class_report import report_command

    return report_command(args.csv, args.students, args.overrides, args.html, args.top)


if __name__ == "__main__":
    sys.exit(main())
