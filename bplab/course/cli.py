"""The `bplab` command: `bplab doctor`, `bplab exercises build`, `bplab grade PATH...`."""

from __future__ import annotations

import argparse
import sys


def _instructor_tools_present() -> bool:
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("nbformat", "IPython"))


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

    grade = commands.add_parser(
        "grade",
        help="grade submitted notebooks in fresh kernels",
        description="Grade submitted exercise notebooks against the tests in solutions/ (visible and hidden), "
        "each in a fresh kernel. Exit code 0 when every notebook was graded (whatever the scores), 1 when "
        "some notebook could not be graded completely (malformed, missing, a process that could not be "
        "restarted), 2 when the folders given hold no notebook, 3 when --sandbox bwrap does not work here. "
        "Test cells run in the grader; the submission's code runs in its own process, in a bubblewrap "
        "sandbox (no network, no files but its scratch folder, resource limits) where it works.",
    )
    grade.add_argument("paths", nargs="+", help="submitted .ipynb files or folders of them (searched recursively)")
    grade.add_argument("--csv", help="write one row per notebook and question to this file")
    grade.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per cell (default 60)")
    grade.add_argument("--solutions", default=None, help="folder of canonical solutions (default: ./solutions)")
    grade.add_argument("--sandbox", choices=["auto", "bwrap", "none"], default="auto",
                       help="where submitted code runs: bwrap (bubblewrap: no network, read-only system, only a "
                       "scratch folder writable, resource limits), none (as you; resource limits only), auto "
                       "(bwrap where it works, else none with a warning; default)")

    args = parser.parse_args(argv)
    if args.command in ("exercises", "grade") and not _instructor_tools_present():
        print("bplab: this command is for instructors and needs their tools: pip install -e '.[instructor]'",
              file=sys.stderr)
        return 2
    if args.command == "doctor":
        from bplab.course.doctor import run

        return 0 if run() else 1
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
                         sandbox=args.sandbox)


if __name__ == "__main__":
    sys.exit(main())
