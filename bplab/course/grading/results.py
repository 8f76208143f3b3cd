"""What `bplab grade` finds: one `NotebookResult` per submitted notebook, one `QuestionResult` per graded cell.

These two dataclasses are the grader's whole output: the table (`report.format_result`), the CSV
(`report.csv_rows`) and any gradebook or class report are made from them alone.

A question's ``status`` is one of (each with zero points but "passed"):

==================  =================================================================================
``passed``          the test cell ran without an error and wrote nothing to stderr (full points)
``failed``          the test found the answer wrong (its message says how, never the answer)
``not attempted``   the question's answer cell still raises NotImplementedError (the handed-out stub)
``timeout``         the test cell, or the learner's code it called, ran out of ``--timeout`` seconds
``not reached``     the notebook's time budget (``--budget``) was spent before this question
``blocked``         the learner's code was refused by the sandbox (no network, no files but its scratch
                    folder) and the question failed with that error
``error``           the grader could not judge it (the submission's process could not be restarted,
                    a malformed notebook); not the learner's mistake as far as the grader can tell
``manual``          a written answer: a person grades it (``points`` stays 0 until then)
==================  =================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PASSED, FAILED, NOT_ATTEMPTED, TIMEOUT = "passed", "failed", "not attempted", "timeout"
NOT_REACHED, BLOCKED, ERROR, MANUAL = "not reached", "blocked", "error", "manual"
STATUSES = (PASSED, FAILED, NOT_ATTEMPTED, TIMEOUT, NOT_REACHED, BLOCKED, ERROR, MANUAL)
LEARNER, INSTRUCTOR = "learner", "instructor"


@dataclass
class QuestionResult:
    """The outcome of one graded cell: a test cell (auto) or a written answer (manual).

    Attributes
    ----------
    question : str
        The cell's nbgrader grade_id, e.g. ``"q2_backward_tests"`` (a written answer: its own grade_id).
    points, max_points : float
        Points earned (0 unless ``status`` is "passed") and available.
    status : str
        One of `STATUSES` (see the module docstring).
    message : str
        Why it did not pass, in whole sentences (empty when it passed); for a test's own failure the
        message ends with ``[mistake: id]`` when the test named the mistake.
    mistake : str or None
        The mistake id (``bplab.course.expect.mistake_of(message)``, or "not-attempted"), for class reports.
    """

    question: str
    points: float
    max_points: float
    status: str
    message: str = ""
    mistake: str | None = None


@dataclass
class NotebookResult:
    """The outcome of grading one submitted notebook.

    Attributes
    ----------
    path : Path
        The submitted file, as given.
    set_name : str or None
        The exercise set it was graded as (a solution notebook's stem in instructor mode, the file's
        stem in learner mode); None when it could not be told.
    questions : list of QuestionResult
        In the notebook's order.
    error : str or None
        Why the notebook was not graded completely (malformed file, unknown set, a process that could
        not be restarted); questions not run then have status "error" or "not reached".
    seconds : float
        Wall-clock time spent on it.
    mode : {"learner", "instructor"}
        "learner": the notebook's own visible tests only; "instructor": the tests of `solutions`,
        hidden ones included.
    solutions : Path or None
        The solutions folder whose tests were used (instructor mode), resolved.
    sandbox : str or None
        Where the learner's code ran: "bwrap" or "none".
    budget : float or None
        The notebook's wall-clock budget in seconds.
    """

    path: Path
    set_name: str | None = None
    questions: list[QuestionResult] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    mode: str = INSTRUCTOR
    solutions: Path | None = None
    sandbox: str | None = None
    budget: float | None = None

    @property
    def points(self) -> float:
        """Automatic points earned."""
        return sum(q.points for q in self.questions if q.status != MANUAL)

    @property
    def max_points(self) -> float:
        """Automatic points available."""
        return sum(q.max_points for q in self.questions if q.status != MANUAL)

    @property
    def manual_points(self) -> float:
        """Points of the written answers, left to a person."""
        return sum(q.max_points for q in self.questions if q.status == MANUAL)
