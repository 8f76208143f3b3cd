"""Grade exercise notebooks without a server: ``bplab grade NOTEBOOK... [--solutions DIR] [--csv F] ...``.

Two modes:

- **learner mode** (no ``--solutions``): what a learner runs on their own notebook, in a terminal
  (``.venv/bin/bplab grade exercises/06-xor-backprop-by-hand.ipynb``, or ``python -m bplab grade ...``)
  or from the notebook itself (`learner_score`). It runs the notebook's own visible test cells (any
  hidden-test region taken out), needs no solutions, and its table says plainly that the instructor's
  grading adds hidden tests. The learner's code runs without the sandbox (it is their own), and so do the
  notebook's own set-up and test cells: in the submission's process, as in one kernel, never in the grader's
  (whoever wrote them, they cannot reach the grader or the other notebooks of a batch).
- **instructor mode** (``--solutions DIR``): the test cells of the set's solution notebook in ``DIR``,
  visible *and* hidden, put back by grade_id, whatever the learner did to the test cells. It prints the
  folder it used and refuses one learners can read (the course checkout's own solutions/, one inside the
  submissions, one beside the exercises/ being graded) unless ``--allow-public-solutions``.

For each submission (`scoring.grade`):

1. find its set (instructor mode: in ``DIR``, same file name, else the same ``NN-`` number, else the most
   shared grade_ids) and build the notebook to run (`assemble`): the learner's cells in the learner's order,
   test and locked set-up cells from the reference; a deleted one is put back after the cell it followed;
2. run it in two places (`session`). The learner's cells (answers and their own) run in a separate process, the
   *submission's process* (`bplab.course.submission_worker`), inside a bubblewrap sandbox where it works
   (`bplab.course.sandbox`). The test cells never run there: they run here, in the grader, in a namespace of
   their own (the *judge*), after the set-up cells ran in both. Before each test cell the names the learner's
   cells bound are copied in (`transfer`): data (numbers, strings, arrays, containers, instances of the set-up
   cell's or bplab's classes) by value, through an unpickler that accepts nothing else; everything else
   (functions, classes, a numpy Generator, a Counter, a Path, an open file...) as a `Remote` handle. All the
   names of a sync are read with one memo, so objects they share arrive shared (``w`` is the leaf of ``loss``'s
   graph here too), yet a value the grader refuses falls back to its handle and takes with it only the names that
   share an object with it; names of builtins (``abs``, ``len``...) and of the set-up cells stay the judge's own.
   Calling a handle sends the inputs to the submission's process and brings the output back the same way (and the
   inputs' in-place changes, the warnings and the stderr, as one kernel would show them); a test's own function
   given to a learner's function stays here and is called back. So the comparison with the expected values, the
   expected values themselves and every check function run only in the grader's process: patching numpy,
   builtins, bplab or ``sys.modules``, import hooks, redefined checks, input transformers or forged output in the
   submission change nothing but its own answers;
3. time: each cell has ``--timeout`` seconds (a test cell: for everything it asks of the submission), the
   notebook ``--budget`` seconds in all (default 300). A cell that runs out, and a process that dies
   (``os._exit``, a crash, memory) or breaks the protocol, costs that cell's question, and the message says
   which happened in which cell: the process is killed (its whole sandbox) and a new one re-runs the
   learner's cells before it, then grading goes on. Once the budget is spent, the remaining questions are
   "not reached";
4. score like ``nbgrader autograde`` (`scoring.score`): a test cell earns its points when it runs without
   an error and writes nothing to stderr. Each question gets a status (`results`: passed, failed, not
   attempted, timeout, not reached, blocked, error, manual), a message in whole sentences and the mistake
   id the test named (never one read from the learner's own error messages). A NotImplementedError is
   blamed on the cell that defines the function that raised it (its traceback comes back with the error):
   a question whose own cells are answered but which uses an earlier, unanswered function says so
   ("train could not run: forward (answer cell q1_forward) still raises NotImplementedError"). Written
   answers (markdown) are "manual": a person grades them;
5. report (`report`): a table per notebook, and a CSV (``--csv``) with one row per question.

Replies are read as data only (`transfer.DataUnpickler`): a forged reply cannot call anything here but the
rebuilders of numpy and Python data, with bounded sizes, nor set attributes on an object it did not create.
Operators and comparisons between a test's values and a learner's object (not data, not a function) reach
that object only in sets whose answer cells define a class (set 14's ``Dual``); elsewhere they raise
TypeError, so an object cannot be shown an expected value and answer "equal".

Not protected: a learner's function sees the inputs a test gives it (hidden tests' inputs included);
with ``--sandbox none`` the submission runs as you, reads and writes what you can and reaches the
network (only the resource limits apply). The submitted file is only read, never written.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Where each public name lives. They are imported on first use (PEP 562): each set's last cell imports
# `learner_score`, and in a graded notebook that cell runs in the submission's process, which must not pay
# for nbformat and the grader (about 1.7 CPU-seconds) to print one line.
_HOMES = {
    "learner_score": "learner",
    **dict.fromkeys(["grade", "assemble", "DEFAULT_BUDGET", "DEFAULT_TIMEOUT"], "scoring"),
    **dict.fromkeys(["grade_command", "format_result", "csv_rows", "write_csv", "CSV_FIELDS", "_csv_cell"], "report"),
    **dict.fromkeys(["NotebookResult", "QuestionResult", "STATUSES", "PASSED", "FAILED", "NOT_ATTEMPTED", "TIMEOUT",
                     "NOT_REACHED", "BLOCKED", "ERROR", "MANUAL"], "results"),
    **dict.fromkeys(["DataUnpickler", "_DataUnpickler", "Remote"], "transfer"),
    "Session": "session",
}

if TYPE_CHECKING:
    from bplab.course.grading.learner import learner_score
    from bplab.course.grading.report import CSV_FIELDS, _csv_cell, csv_rows, format_result, grade_command, write_csv
    from bplab.course.grading.results import (
        BLOCKED,
        ERROR,
        FAILED,
        MANUAL,
        NOT_ATTEMPTED,
        NOT_REACHED,
        PASSED,
        STATUSES,
        TIMEOUT,
        NotebookResult,
        QuestionResult,
    )
    from bplab.course.grading.scoring import DEFAULT_BUDGET, DEFAULT_TIMEOUT, assemble, grade
    from bplab.course.grading.session import Session
    from bplab.course.grading.transfer import DataUnpickler, Remote, _DataUnpickler


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOMES))


__all__ = ["grade", "grade_command", "assemble", "format_result", "csv_rows", "write_csv", "learner_score",
           "NotebookResult", "QuestionResult", "STATUSES", "PASSED", "FAILED", "NOT_ATTEMPTED", "TIMEOUT",
           "NOT_REACHED", "BLOCKED", "ERROR", "MANUAL", "CSV_FIELDS", "DEFAULT_TIMEOUT", "DEFAULT_BUDGET", "Session",
           "Remote", "DataUnpickler", "_DataUnpickler", "_csv_cell"]
