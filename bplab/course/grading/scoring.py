"""Judging a submission: which cells run, and what each test cell's outcome is worth.

`grade` reads a submitted notebook, `assemble`s the notebook to run (the learner's cells with the test and
set-up cells of the reference), runs it (`session.run_notebook`) and turns what happened into one
`QuestionResult` per graded cell (`score`). The reference is

- in *instructor mode* (``solutions_dir`` given): the set's solution notebook, so its visible *and*
  hidden tests run, whatever the learner did to the test cells;
- in *learner mode* (no ``solutions_dir``): the notebook itself, with any hidden-test region taken out,
  so exactly the visible tests the learner sees (and could run with "Run All") are run, in any folder,
  with no solutions at hand.

Scoring is ``nbgrader autograde``'s: a test cell earns its points when it runs without an error and
writes nothing to stderr. What did not pass is told apart (`bplab.course.grading.results`): not
attempted, failed, timeout, not reached, blocked by the sandbox, grader error; a written answer is
"manual".
"""

from __future__ import annotations

import ast
import copy
import re
import time
import warnings
from pathlib import Path

import nbformat

from bplab.course.exercises import BEGIN_HIDDEN, END_HIDDEN, SET_PATTERN, cell_role, exercise_cell, nbgrader_meta
from bplab.course.expect import mistake_of
from bplab.course.grading.results import (
    BLOCKED,
    ERROR,
    FAILED,
    INSTRUCTOR,
    LEARNER,
    MANUAL,
    NOT_ATTEMPTED,
    NOT_REACHED,
    PASSED,
    TIMEOUT,
    NotebookResult,
    QuestionResult,
)
from bplab.course.grading.session import Outcome, run_notebook
from bplab.course.sandbox import Limits, choose

DEFAULT_TIMEOUT = 60.0  # seconds per cell
DEFAULT_BUDGET = 300.0  # seconds per notebook: ~40 times the slowest honest set (7 s with the sandbox, loaded)
MESSAGE_LIMIT = 800  # characters of a message in the table and the CSV

_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SENTENCE_END = re.compile(r"[.?!:;)](?=\s)")
_MISTAKE_TAG = re.compile(r"\s*\[mistake: [a-z0-9][a-z0-9.-]*\]\s*$")
# What the sandbox refuses, as Python reports it: no network, a read-only system, no one else's files.
_BLOCKED = re.compile(r"\[Errno (1|13|30|99|101|111|113|-2|-3|-5)\]|Network is unreachable|Read-only file system|"
                      r"Permission denied|Operation not permitted|name resolution|Name or service not known|"
                      r"^PermissionError\b")


# What a test's failure says when the grader, not the learner's code, could not go on (`session`, `transfer`):
# believed only when the session saw it happen (a learner's error message may say the same words).
_GRADER_LIMITS = ("could not send a value to the submission", "before it was restarted")


def printable(text: str) -> str:
    """`text` without terminal escape sequences or control characters (a message cannot redraw the table)."""
    return _CONTROLS.sub("?", _ESCAPES.sub("", str(text)))


def whole_message(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` as one printable line of at most `limit` characters, never cut inside a word.

    Whitespace (newlines included) becomes single spaces. A longer text is cut after the last sentence (or
    clause) that fits, else after the last whole word, and ends with "..."; a trailing ``[mistake: id]`` is
    kept.
    """
    text = " ".join(_CONTROLS.sub(" ", _ESCAPES.sub("", str(text))).split())
    if len(text) <= limit:
        return text
    tag = _MISTAKE_TAG.search(text)
    suffix = " " + tag.group(0).strip() if tag else ""
    room = limit - len(suffix) - 4  # " ..."
    head = text[: tag.start()] if tag else text
    ends = [m.end() for m in _SENTENCE_END.finditer(head, 0, room + 1)]
    cut = ends[-1] if ends and ends[-1] > room // 2 else head.rfind(" ", 0, room + 1)
    if cut <= 0:
        cut = room
    return head[:cut].rstrip() + " ..." + suffix


def _find_solution(path: Path, nb, solutions_dir: Path) -> Path | None:
    candidates = sorted(solutions_dir.glob(SET_PATTERN))
    for candidate in candidates:
        if candidate.name == path.name:
            return candidate
    number = re.match(r"(\d\d[a-z]?)-", path.name)  # 09b- too: a set added after its lesson
    matches = [c for c in candidates if number and c.name.startswith(number.group(0))]
    if len(matches) == 1:
        return matches[0]
    ids = {nbgrader_meta(c).get("grade_id") for c in nb.cells} - {None, "setup"}
    best, best_shared = None, 0
    for candidate in candidates:
        theirs = {nbgrader_meta(c).get("grade_id") for c in nbformat.read(candidate, as_version=4).cells}
        shared = len(ids & theirs)
        if shared > best_shared:
            best, best_shared = candidate, shared
    return best


def assemble(submission, solution):
    """The notebook to run: the learner's cells with canonical test and set-up cells.

    Returns
    -------
    nb : NotebookNode
        A new notebook; neither input is changed.
    roles : list of (role, grade_id)
        One entry per cell of `nb`; role as in `bplab.exercises.cell_role`, or None for the
        learner's own cells.
    """
    canonical = [(cell_role(c), nbgrader_meta(c).get("grade_id"), c) for c in solution.cells]
    by_id = {gid: (role, cell) for role, gid, cell in canonical if role}
    cells, roles, seen = [], [], set()
    for cell in submission.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        role = by_id.get(gid, (None, None))[0]
        if role in ("test", "locked"):
            if gid in seen:
                continue  # a duplicated test cell runs once
            cell = copy.deepcopy(by_id[gid][1])
        elif role in ("answer", "written") and gid not in seen and cell.get("cell_type") == by_id[gid][1].cell_type:
            cell = copy.deepcopy(cell)
            cell.metadata["nbgrader"] = copy.deepcopy(by_id[gid][1].metadata["nbgrader"])
        else:
            role, gid = None, None
            cell = copy.deepcopy(cell)
            cell.get("metadata", {}).pop("nbgrader", None)  # a learner's cell cannot carry points
        seen.add(gid)
        cells.append(cell)
        roles.append((role, gid))
    # put back what was deleted, after the canonical cell it followed
    for index, (role, gid, cell) in enumerate(canonical):
        if not role or gid in seen:
            continue
        previous = [g for r, g, _ in canonical[:index] if r and g in seen]
        at = max(i for i, (_, g) in enumerate(roles) if g == previous[-1]) + 1 if previous else 0
        cells.insert(at, exercise_cell(cell) if role in ("answer", "written") else copy.deepcopy(cell))
        roles.insert(at, (role, gid))
        seen.add(gid)
    nb = copy.deepcopy(solution)
    nb.cells = cells
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    return nb, roles


def visible_reference(nb):
    """Learner mode's reference: the notebook itself, every test cell without its hidden-test region."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell_role(cell) == "test" and BEGIN_HIDDEN in cell.source:
            lines, kept, inside = cell.source.split("\n"), [], False
            for line in lines:
                if BEGIN_HIDDEN in line:
                    inside = True
                elif END_HIDDEN in line:
                    inside = False
                elif not inside:
                    kept.append(line)
            cell.source = "\n".join(kept).rstrip()
    return nb


def _asks_for_a_class(solution) -> bool:
    """True when an answer cell of the solution defines a class: the tests then use a learner's objects."""
    for cell in solution.cells:
        if cell_role(cell) == "answer":
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            if any(isinstance(node, ast.ClassDef) for node in ast.walk(tree)):
                return True
    return False


def _defines(source: str, name: str) -> bool:
    """True when the cell `source` defines `name` at its top level (a def or a class)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name
               for node in tree.body)


def _stub_origin(nb, roles, frames, cell: int | None, before: int) -> tuple[str | None, int] | None:
    """Where a NotImplementedError came from: (function name, index of the cell that defines it).

    `frames` is the traceback's [(qualified name, in a cell?)], outermost first; `cell` the learner cell whose
    own code ran (None for a test cell's call). The raising function is looked up in the code cells before
    `before`, the last definition winning (as in one kernel); a cell's own top-level ``raise`` is that cell
    (name None). None when it cannot be told: raised in a library, a lambda, a name no cell defines.
    """
    if not frames or not frames[-1][1]:
        return None
    qualname = frames[-1][0]
    if qualname == "<module>":
        return (None, cell) if cell is not None else None
    top = qualname.split(".")[0]
    for index in range(before - 1, -1, -1):
        candidate = nb.cells[index]
        if candidate.cell_type == "code" and roles[index][0] != "test" and _defines(candidate.source, top):
            return qualname.replace(".<locals>", ""), index
    return None


def _cell_name(roles, index: int) -> str:
    role, gid = roles[index]
    if role == "answer":
        return f"answer cell {gid}"
    if role == "locked":
        return f"set-up cell {gid or index + 1}"
    return f"cell {index + 1}"


def _test_message(verdict: tuple[str, ...]) -> str:
    name, text = verdict[:2]
    if name == "stderr":
        return "the test wrote to stderr (a failure for nbgrader too): " + text
    if name == "AssertionError":
        return text or "a check of the test failed."
    return f"{name}: {text}".rstrip(": ")


def _question(index: int, nb, roles, answers: list[int], outcome: Outcome, sandbox: str, budget) -> QuestionResult:
    """The result of the test cell at `index`, whose question's answer cells are `answers`."""
    gid = roles[index][1]
    points = float(nbgrader_meta(nb.cells[index]).get("points", 0))

    def result(status, message="", mistake=None, earned=0.0):
        message = whole_message(message)
        return QuestionResult(gid, earned, points, status, message,
                              mistake or (mistake_of(message) if status == FAILED and trusted else None))

    trusted = True
    own = outcome.problems.get(index)
    if own is not None:  # the test cell itself timed out, or the process died or broke the protocol in it
        kind, text = own
        return result(TIMEOUT if kind in ("timeout", "budget") else FAILED, text)
    if index not in outcome.verdicts:
        if outcome.budget_spent_at is not None and index >= outcome.budget_spent_at:
            earlier = [outcome.problems[i][1] for i in answers if outcome.problems.get(i, ("",))[0] == "budget"]
            why = earlier[0] if earlier else f"the notebook's time budget of {budget:g} s was spent before it."
            return result(NOT_REACHED, f"not reached: {why}")
        reason = (outcome.error or "the notebook was not run").split(";")[0]
        return result(ERROR, f"not run: {reason}.")
    verdict = outcome.verdicts[index]
    if verdict is None:
        return result(PASSED, earned=points)
    trusted = verdict[2:] != ("submission",)  # a learner's own error message could end with a forged [mistake: id]
    message = _test_message(verdict)
    if index in outcome.grader_limits and any(limit in verdict[1] for limit in _GRADER_LIMITS):
        return result(ERROR, f"the grader could not run this test on your code: {message} (not a mistake of yours "
                      "as far as the grader can tell: ask your instructor)")
    problems = [(i, outcome.problems[i]) for i in answers if i in outcome.problems]
    stub_left = any("raise NotImplementedError" in nb.cells[i].source for i in answers)
    answer_nie = [i for i, (kind, text) in problems if kind == "error" and text.startswith("NotImplementedError")]
    verdict_nie = verdict[0] == "NotImplementedError" or "still raises NotImplementedError" in verdict[1]
    # Which function raised it, and which cell defines that function: a question answered (no stub left in its
    # cells) that uses an earlier one's unanswered function must not be told its own cell is the stub.
    if answer_nie:
        origin = _stub_origin(nb, roles, outcome.frames.get(answer_nie[0]), answer_nie[0], answer_nie[0])
        caller = _cell_name(roles, answer_nie[0])
    elif verdict_nie:
        frames = outcome.frames.get(index)
        origin = _stub_origin(nb, roles, frames, None, index)
        caller = next((name for name, in_cell in frames or [] if in_cell), None)
    else:
        origin = caller = None
    if origin is not None and not stub_left and origin[1] not in answers and roles[origin[1]][0] in ("answer", None):
        raiser, where = origin[0] or "it", _cell_name(roles, origin[1])
        head = f"{caller} could not run: " if caller and caller != raiser else ""
        return result(FAILED, f"{head}{raiser} ({where}) still raises NotImplementedError: this question uses it, "
                      "so answer that one first.", "not-attempted")
    if answer_nie or (verdict_nie and origin is not None and origin[1] in answers) or (
            stub_left and (verdict_nie or verdict[0] == "NameError")):
        stubs = [i for i in answers if "raise NotImplementedError" in nb.cells[i].source]
        cell = origin[1] if origin is not None and origin[1] in answers else (stubs or answers)[0]
        return result(NOT_ATTEMPTED, f"not attempted: answer cell {roles[cell][1]} still raises NotImplementedError: "
                      "replace `raise NotImplementedError()` with your code.", "not-attempted")
    if problems:
        i, (kind, text) = problems[0]
        where = f"answer cell {roles[i][1]} (cell {i + 1})"
        if kind == "error":
            said = f"{where} raised {text}" + ("" if text.endswith((".", "?", "!")) else ".")
            status = BLOCKED if sandbox == "bwrap" and _BLOCKED.search(text) else FAILED
            if status == BLOCKED:
                said += (" Grading runs your code in a sandbox without network and with no files but a scratch "
                         "folder.")
        else:  # timed out, died, broke the protocol: the text names the cell
            said, status = text[0].upper() + text[1:], TIMEOUT if kind == "timeout" else FAILED
        return result(status, f"{said} Then the test said: {message}")
    if sandbox == "bwrap" and _BLOCKED.search(message):
        return result(BLOCKED, message + " (grading runs your code in a sandbox without network and with no files "
                      "but a scratch folder)")
    return result(FAILED, message)


def score(nb, roles, outcome: Outcome, sandbox: str = "none", budget: float | None = None) -> list[QuestionResult]:
    """One QuestionResult per test cell and written answer of the run notebook, in order."""
    results, answers = [], []
    for index, (cell, (role, gid)) in enumerate(zip(nb.cells, roles)):
        if role == "answer":
            answers.append(index)
        elif role == "written":
            points = float(nbgrader_meta(cell).get("points", 0))
            text = cell.source.strip()
            message = "not answered yet" if text in ("", "YOUR ANSWER HERE") else "written answer: graded by hand"
            results.append(QuestionResult(gid, 0.0, points, MANUAL, message))
        elif role == "test":
            results.append(_question(index, nb, roles, answers, outcome, sandbox, budget))
            answers = []
    return results


def grade(path: str | Path, solutions_dir: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT,
          sandbox: str = "auto", limits: Limits | None = None, budget: float | None = DEFAULT_BUDGET
          ) -> NotebookResult:
    """Grade one submitted notebook: with its set's hidden tests (instructor mode) or its own visible tests.

    Parameters
    ----------
    path : str or Path
        The submitted .ipynb (only read).
    solutions_dir : str or Path, optional
        Instructor mode: the folder of solution notebooks whose test cells (visible and hidden) are run.
        None (the default): learner mode, the notebook's own visible test cells.
    timeout : float
        Seconds allowed per cell.
    sandbox : {"auto", "bwrap", "none"}
        Where the submission's code runs (see `bplab.course.sandbox`); "auto" is bwrap where it works,
        else none (`grade_command` prints the warning).
    limits : Limits, optional
        Resource limits of the submission's process; the default allows 3 GB, 10 CPU-minutes.
    budget : float or None
        Seconds for the whole notebook (default 300); questions after it is spent are "not reached".
        None: no budget.

    Returns
    -------
    NotebookResult
        Per-question points, statuses and messages; `error` says why a notebook was not graded completely.

    Used in: `bplab grade` (README), `learner_score` (the exercise sets)
    """
    sandbox = choose(sandbox)[0]
    limits = limits or Limits(cpu_seconds=int(max(600, 10 * timeout)))
    path = Path(path)
    started = time.perf_counter()
    learner = solutions_dir is None
    result = NotebookResult(path, mode=LEARNER if learner else INSTRUCTOR, sandbox=sandbox, budget=budget)
    if not learner:
        solutions_dir = Path(solutions_dir)
        result.solutions = solutions_dir.resolve()
        if not solutions_dir.is_dir():
            result.error = f"no solutions folder at {solutions_dir}/: pass --solutions DIR (the instructor's copy)"
            return result
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's warnings about old or odd files: we read what we can
            submission = nbformat.reads(path.read_bytes().decode("utf-8"), as_version=4)
        if not isinstance(submission.get("cells"), list):
            raise ValueError("it has no list of cells")
        if learner:
            reference, set_name = visible_reference(submission), path.stem
        else:
            solution_path = _find_solution(path, submission, solutions_dir)
            if solution_path is None:
                result.error = f"cannot tell which exercise set this is (no match in {solutions_dir}/)"
                return result
            reference, set_name = nbformat.read(solution_path, as_version=4), solution_path.stem
        nb, roles = assemble(submission, reference)
    except Exception as error:
        result.error = f"not a readable notebook ({type(error).__name__}: {whole_message(str(error), 160)})"
        return result
    result.set_name = set_name
    if not any(role in ("test", "written") for role, _ in roles):
        result.error = "no graded cells in this notebook (is it an exercise set, from exercises/?)"
        return result
    # learner mode: the set-up and test cells are the notebook's own, so they run where the learner's code runs
    outcome = run_notebook(nb, roles, timeout, sandbox, limits, _asks_for_a_class(reference), budget, judge=not learner)
    result.questions = score(nb, roles, outcome, sandbox, budget)
    result.error = outcome.error
    result.seconds = time.perf_counter() - started
    return result
