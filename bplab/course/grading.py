"""Grade submitted exercise notebooks without a server: `bplab grade PATH... [--csv F] [--timeout S]`.

For each submission:

1. find its set in solutions/ (same file name, else the same ``NN-`` number, else the most
   shared grade_ids);
2. build the notebook to run: the learner's cells in the learner's order, except that every test
   cell and locked set-up cell is replaced by the canonical one from solutions/ (visible *and*
   hidden tests), matched by grade_id; a deleted one is put back after the cell it followed. Each
   test cell first drops ``bplab.course.checks`` from ``sys.modules`` and imports it afresh, so neither a
   redefined check function nor a patched module changes a score;
3. run it in a fresh kernel, in an empty temporary directory, cell by cell, with a per-cell
   timeout. A cell that times out is interrupted and costs its own question only; a kernel that
   dies (``os._exit``, a segfault) or cannot be interrupted ends that notebook with a clear error
   and the remaining questions score zero;
4. score like ``nbgrader autograde``: a test cell earns its points when it runs without an error
   and writes nothing to stderr. Written answers (markdown) are reported as "manual", with zero
   automatic points: a person grades them.

The submitted file is only read, never written.
"""

from __future__ import annotations

import copy
import csv
import logging
import re
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from bplab.course.exercises import SET_PATTERN, cell_role, exercise_cell, nbgrader_meta

_QUIET = logging.getLogger("bplab.grading.kernel")  # nbclient's timeout chatter: we report it ourselves
_QUIET.setLevel(logging.CRITICAL)
PRELUDE = '__import__("sys").modules.pop("bplab.course.checks", None)  # bplab grade: fresh check helpers\n'
PASSED, FAILED, TIMEOUT, ERROR, MANUAL = "passed", "failed", "timeout", "error", "manual"
CSV_FIELDS = ["notebook", "question", "points", "max_points", "status", "message"]


@dataclass
class QuestionResult:
    """The outcome of one graded cell: a test cell (auto) or a written answer (manual)."""

    question: str
    points: float
    max_points: float
    status: str
    message: str = ""


@dataclass
class NotebookResult:
    """The outcome of grading one submitted notebook.

    `error` is set when the notebook could not be graded completely (malformed file, unknown set,
    a kernel that died); questions not reached then have status "error" and zero points.
    """

    path: Path
    set_name: str | None = None
    questions: list[QuestionResult] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

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


def _first_line(text: str, limit: int = 160) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text)).strip()  # no terminal colours in a table
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def default_solutions_dir() -> Path:
    """./solutions when it exists, else the solutions/ folder of the bplab checkout."""
    here = Path("solutions")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "solutions"


def _find_solution(path: Path, nb, solutions_dir: Path) -> Path | None:
    candidates = sorted(solutions_dir.glob(SET_PATTERN))
    for candidate in candidates:
        if candidate.name == path.name:
            return candidate
    number = re.match(r"(\d\d)-", path.name)
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
    for cell, (role, _) in zip(cells, roles):
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
            if role == "test":
                cell.source = PRELUDE + cell.source
    return nb, roles


def _cell_error(cell) -> str | None:
    """The first line of the error a code cell raised, or of what it wrote to stderr, else None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return _first_line(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": "))
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return "wrote to stderr (a failure for nbgrader too): " + _first_line(output.get("text", ""))
    return None


def _run(nb, roles, timeout: float, workdir: str) -> tuple[dict[int, str], str | None, int]:
    """Execute `nb` in place.

    Returns ({cell index: timeout message}, notebook-level error or None, index of the first cell
    whose result is lost to that error (len(cells) without an error)).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbclient.util import run_sync

    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=False,
        resources={"metadata": {"path": workdir}}, startup_timeout=60, log=_QUIET,
    )
    timeouts: dict[int, str] = {}
    outcome: tuple[str, int] | None = None  # (notebook-level error, first cell whose result is lost)
    index = -1
    try:
        with client.setup_kernel(stderr=subprocess.DEVNULL):  # no kernel start-up chatter
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    timeouts[index] = f"timed out after {timeout:g} s (an endless loop?)"
                    if not _recover(client, run_sync, timeout):
                        outcome = (
                            f"cell {index + 1} {_label(roles[index])}ran longer than {timeout:g} s and could "
                            "not be interrupted; the rest of the notebook was not run",
                            index + 1,
                        )
                        break
    except DeadKernelError:
        where = f"cell {index + 1} {_label(roles[index])}" if index >= 0 else "start-up"
        outcome = outcome or (
            f"the kernel died while running {where}(os._exit, a crash or out of memory); "
            "the rest of the notebook was not run",
            max(index, 0),
        )
    except Exception as error:  # a kernel that does not start; a failed clean-up after the above
        outcome = outcome or (
            f"could not run the notebook: {type(error).__name__}: {_first_line(str(error))}", max(index, 0)
        )
    if outcome:
        return timeouts, outcome[0], outcome[1]
    return timeouts, None, len(nb.cells)


def _recover(client, run_sync, timeout: float) -> bool:
    """Interrupt the kernel after a timeout and talk to it on fresh channels; False if it stays busy.

    A new kernel client matters: the old one may still hold a reader for the interrupted cell's
    messages, which would swallow the next cells' output.
    """
    try:
        run_sync(client.km.interrupt_kernel)()
        client.kc.stop_channels()
        client.startup_timeout = max(5.0, timeout)  # how long the interrupted kernel has to answer
        run_sync(client.async_start_new_kernel_client)()
        return True
    except Exception:  # still busy (an uninterruptible loop) or gone
        return False


def _label(role_gid) -> str:
    return f"({role_gid[1]}) " if role_gid[1] else ""


def _score(nb, roles, timeouts: dict[int, str], error: str | None, reached: int) -> list[QuestionResult]:
    results = []
    answer_error: dict[str, str] = {}  # errors of the answer cells since the last test cell
    for index, (cell, (role, gid)) in enumerate(zip(nb.cells, roles)):
        if role == "answer":
            problem = timeouts.get(index) or _cell_error(cell)
            if problem:
                answer_error[gid] = problem
        elif role == "written":
            points = float(nbgrader_meta(cell).get("points", 0))
            text = cell.source.strip()
            message = "not answered yet" if text in ("", "YOUR ANSWER HERE") else "written answer: graded by hand"
            results.append(QuestionResult(gid, 0.0, points, MANUAL, message))
        elif role == "test":
            points = float(nbgrader_meta(cell).get("points", 0))
            if index in timeouts:
                results.append(QuestionResult(gid, 0.0, points, TIMEOUT, timeouts[index]))
            elif error and index >= reached:
                results.append(QuestionResult(gid, 0.0, points, ERROR, "not run: " + error.split(";")[0]))
            else:
                problem = _cell_error(cell)
                if problem is None:
                    results.append(QuestionResult(gid, points, points, PASSED))
                else:
                    if problem.startswith("NotImplementedError"):
                        problem = "not attempted: the function still raises NotImplementedError"
                    elif answer_error:
                        name, cause = next(iter(answer_error.items()))
                        if cause.startswith("NotImplementedError"):
                            problem = f"not attempted: answer cell {name} still raises NotImplementedError"
                        else:
                            problem = f"answer cell {name}: {cause}"
                    results.append(QuestionResult(gid, 0.0, points, FAILED, problem))
            answer_error = {}
    return results


def grade(path: str | Path, solutions_dir: str | Path | None = None, timeout: float = 60.0) -> NotebookResult:
    """Grade one submitted notebook against the canonical tests of its set.

    Parameters
    ----------
    path : str or Path
        The submitted .ipynb (only read).
    solutions_dir : str or Path, optional
        Folder of the solution notebooks; default ./solutions, else the one of this checkout.
    timeout : float
        Seconds allowed per cell.

    Returns
    -------
    NotebookResult
        Per-question points and messages; `error` says why a notebook was not graded completely.

    Used in: `bplab grade` (README, "For instructors")
    """
    path = Path(path)
    started = time.perf_counter()
    result = NotebookResult(path)
    solutions_dir = Path(solutions_dir) if solutions_dir is not None else default_solutions_dir()
    if not solutions_dir.is_dir():
        result.error = f"no solutions folder at {solutions_dir}/: pass --solutions DIR (the instructor's copy)"
        return result
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's warnings about old or odd files: we read what we can
            submission = nbformat.reads(path.read_bytes().decode("utf-8"), as_version=4)
        if not isinstance(submission.get("cells"), list):
            raise ValueError("it has no list of cells")
        solution_path = _find_solution(path, submission, solutions_dir)
        if solution_path is None:
            result.error = f"cannot tell which exercise set this is (no match in {solutions_dir}/)"
            return result
        nb, roles = assemble(submission, nbformat.read(solution_path, as_version=4))
    except Exception as error:
        result.error = f"not a readable notebook ({type(error).__name__}: {_first_line(str(error))})"
        return result
    result.set_name = solution_path.stem
    with tempfile.TemporaryDirectory(prefix="bplab-grade-") as workdir:
        timeouts, error, reached = _run(nb, roles, timeout, workdir)
    result.questions = _score(nb, roles, timeouts, error, reached)
    result.error = error
    result.seconds = time.perf_counter() - started
    return result


def format_result(result: NotebookResult) -> str:
    """A per-question table of one notebook's result, as printed by `bplab grade`."""
    head = f"{result.path}"
    if result.set_name:
        head += f"  [{result.set_name}]"
    lines = [head]
    if result.questions:
        lines[0] += (
            f": {result.points:g} / {result.max_points:g} auto points"
            + (f" (+ {result.manual_points:g} manual points to grade by hand)" if result.manual_points else "")
            + f", {result.seconds:.1f} s"
        )
        width = max(len(q.question) for q in result.questions)
        lines.append(f"  {'question':<{width}}  {'points':>9}  {'status':<7}  message")
        for q in result.questions:
            score = f"- / {q.max_points:g}" if q.status == MANUAL else f"{q.points:g} / {q.max_points:g}"
            lines.append(f"  {q.question:<{width}}  {score:>9}  {q.status:<7}  {q.message}".rstrip())
    if result.error:
        lines.append(f"  ERROR: {result.error}")
    return "\n".join(lines)


def csv_rows(result: NotebookResult) -> list[dict]:
    """One row per question (one row with an empty question when the notebook had none)."""
    if not result.questions:
        return [dict(notebook=str(result.path), question="", points=0, max_points=0, status=ERROR,
                     message=result.error or "")]
    return [
        dict(notebook=str(result.path), question=q.question, points=q.points, max_points=q.max_points,
             status=q.status, message=q.message)
        for q in result.questions
    ]


def _expand(paths) -> list[Path]:
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts))
        else:
            found.append(p)
    return found


def grade_command(paths, csv_path: str | None = None, timeout: float = 60.0, solutions=None) -> int:
    """`bplab grade`: grade each notebook, print tables, optionally write a CSV.

    Returns the exit code: 0 when every notebook was graded (whatever the scores), 1 when some
    notebook could not be graded completely, 2 when there was nothing to grade.
    """
    files = _expand(paths)
    if not files:
        print("bplab grade: no notebooks found in " + " ".join(map(str, paths)))
        return 2
    missing = [p for p in files if not p.exists()]
    results = []
    for path in files:
        if path in missing:
            result = NotebookResult(path, error="no such file")
        else:
            try:
                result = grade(path, solutions, timeout)
            except Exception as error:  # a bug of ours must not stop the batch
                result = NotebookResult(path, error=f"internal error of bplab grade: {type(error).__name__}: {error}")
        results.append(result)
        print(format_result(result), flush=True)
        print()
    if len(results) > 1:
        done = sum(r.error is None for r in results)
        print(f"graded {done} of {len(results)} notebooks completely")
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
            writer.writeheader()
            for result in results:
                writer.writerows(csv_rows(result))
        print(f"wrote {csv_path}")
    return 1 if any(r.error for r in results) else 0


__all__ = ["grade", "grade_command", "assemble", "format_result", "csv_rows", "NotebookResult", "QuestionResult"]
