"""Generate the exercise notebooks (exercises/) from their solutions (solutions/).

`solutions/NN-*.ipynb` are the single source, in nbgrader's format. Building an exercise:

- in answer cells (``nbgrader.solution``), the lines between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` become ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` (indented like
  the marker; the lines around the region, such as a ``def`` line and its docstring, stay); a written
  (markdown) answer becomes ``YOUR ANSWER HERE``. A solution cell without markers is replaced whole;
- in test cells (``nbgrader.grade``), the lines from ``### BEGIN HIDDEN TESTS`` to
  ``### END HIDDEN TESTS`` are removed;
- outputs and execution counts are cleared; graded cells cannot be deleted and test cells cannot
  be edited in JupyterLab (``deletable`` / ``editable`` metadata, as nbgrader sets them);
- answer and test code cells get the ``raises-exception`` tag, so "Run All" in JupyterLab and
  ``pytest --nbval-lax`` go on past a question that is not answered yet.

The same rules as ``nbgrader generate_assignment`` (ClearSolutions, ClearHiddenTests), so a course
can use either. The output is deterministic: building twice writes the same bytes.

**Built data.** A visible test that needs an earlier question's result gets it as *data*, never as
reference code (a learner's kernel runs visible tests, and one slip must cost one question only). A
test cell holds a region of literal assignments::

    ### BEGIN BUILT DATA
    reference_cache = {"h": np.array([[0.1, -0.2], ...]), ...}
    ### END BUILT DATA

and its metadata says how to compute each name, as a Python expression::

    "metadata": {"bplab": {"built_data": {"reference_cache": "forward(X, y, initial_params(7))[1]"}}}

`build` runs the solution notebook's code cells in order (set-up, answers and ordinary cells; test cells
are skipped) in a separate Python process, evaluates each test cell's expressions just before that test
cell, and rewrites its region as one ``name = <literal>`` per name, in name order: floats with
their exact round-trip repr, arrays as ``np.array([...])`` with their dtype and shape, numpy scalars,
dicts, tuples, lists, strings, bools, None (so the test cell needs ``np``, numpy, as every set-up cell
binds it). Each literal is read back and compared exactly before it is written, lines stay within 120
characters, and the region keeps its markers and indentation. The solution is rewritten in place when a
region changed (``solutions/`` is the source of the literals too: nbgrader and `bplab grade` read them
there), and the exercise gets the same region (the ``bplab.built_data`` metadata stays in solutions/).
The solution code is the instructor's and is trusted; it runs in plain Python (IPython's magics become
``get_ipython()`` calls, which fail if they run), in a temporary working folder, with one BLAS thread and
``PYTHONHASHSEED=0``, so the literals are the same on every build. A region inside
``### BEGIN HIDDEN TESTS`` works too (and leaves with the hidden tests).

``bplab exercises build --check`` computes everything and writes nothing: it exits 1 and names each
stale region (and each exercise that differs from a fresh build). A region without metadata (or the
reverse), a region in a cell that is not a test cell, a name assigned in the region that the metadata
does not declare, an expression that fails or a value that has no literal form is an error naming the
notebook and the cell (`BuildError`).
"""

from __future__ import annotations

import ast
import copy
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
TEXT_STUB = ["YOUR ANSWER HERE"]
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
BEGIN_DATA, END_DATA = "BEGIN BUILT DATA", "END BUILT DATA"
TAG = "raises-exception"
SET_PATTERN = "[0-9][0-9]*-*.ipynb"  # NN-... and a set added after it, NNb-...
LINE_WIDTH = 120  # ruff's line length for the notebooks
DATA_TIMEOUT = 600.0  # seconds for running one solution notebook's cells


class BuildError(ValueError):
    """A solution notebook that cannot be built; the message names the notebook and the cell."""


def nbgrader_meta(cell) -> dict:
    """The cell's ``metadata.nbgrader`` dict ({} for an ordinary cell)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def cell_role(cell) -> str | None:
    """What a cell is for grading.

    Returns
    -------
    "answer" (code the learner writes), "written" (a markdown answer graded by hand),
    "test" (code with points), "locked" (read-only set-up), or None (an ordinary cell).
    """
    meta = nbgrader_meta(cell)
    if not meta.get("grade_id"):
        return None
    if meta.get("solution"):
        return "written" if cell.get("cell_type") == "markdown" else "answer"
    if meta.get("grade"):
        return "test"
    if meta.get("locked"):
        return "locked"
    return None


def _replace_regions(source: str, begin: str, end: str, stub: list[str] | None, where: str) -> tuple[str, bool]:
    """Replace (stub) or drop (stub=None) the lines from a `begin` line to an `end` line."""
    lines, out, inside, found = source.split("\n"), [], False, False
    for line in lines:
        if begin in line:
            if inside:
                raise BuildError(f"{where}: nested '{begin}'")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + s for s in (stub or []))
        elif end in line:
            if not inside:
                raise BuildError(f"{where}: '{end}' without '{begin}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise BuildError(f"{where}: '{begin}' without '{end}'")
    return "\n".join(out), found


def exercise_cell(cell, where: str = "cell"):
    """The exercise version of one solution cell (a new cell; `cell` is not changed)."""
    cell = copy.deepcopy(cell)
    role = cell_role(cell)
    source = cell.source
    data_spec(cell, where)  # a malformed built-data region is an error here too
    if role in ("answer", "written"):
        stub = CODE_STUB if role == "answer" else TEXT_STUB
        source, found = _replace_regions(source, BEGIN_SOLUTION, END_SOLUTION, stub, where)
        if not found:
            source = "\n".join(stub)
    elif BEGIN_SOLUTION in source:
        raise BuildError(f"{where}: a solution region in a cell that is not marked as a solution cell")
    if role == "test":
        source = _replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, None, where)[0].rstrip()
    elif BEGIN_HIDDEN in source:
        raise BuildError(f"{where}: hidden tests in a cell that is not marked as a test (grade) cell")
    cell.source = source
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
        if role in ("answer", "test"):
            tags = set(cell.metadata.get("tags", []))
            cell.metadata["tags"] = sorted(tags | {TAG})
    if role:  # as nbgrader's LockCells: no cell of the grading can be deleted, tests cannot be edited
        cell.metadata["deletable"] = False
        if role in ("test", "locked"):
            cell.metadata["editable"] = False
    cell.metadata.pop("execution", None)
    bplab_meta = cell.metadata.get("bplab")
    if isinstance(bplab_meta, dict):  # how the data was computed is the instructor's business
        bplab_meta.pop("built_data", None)
        if not bplab_meta:
            cell.metadata.pop("bplab")
    return cell


def make_exercise(nb, name: str = "notebook"):
    """The exercise version of a solution notebook (a new notebook; `nb` is not changed)."""
    exercise = copy.deepcopy(nb)
    exercise.cells = [exercise_cell(c, _where(name, i, c)) for i, c in enumerate(nb.cells)]
    return exercise


def _where(name: str, index: int, cell) -> str:
    gid = nbgrader_meta(cell).get("grade_id")
    return f"{name}, cell {index + 1}" + (f" ({gid})" if gid else "")


# ---------------------------------------------------------------------------------------------
# Built data: the regions, and the literals the solution's code gives them.
# ---------------------------------------------------------------------------------------------


def data_spec(cell, where: str = "cell") -> tuple[dict[str, str], list[tuple[int, int, list[str]]]] | None:
    """A cell's built-data declaration, or None: ({name: expression}, [(BEGIN line, END line, names)]).

    Each region gets the names it assigns; a single region also gets the declared names it does not
    assign yet (a new, empty region). Raises BuildError when the regions and the metadata do not go
    together (see the module docstring).
    """
    meta = cell.get("metadata", {}).get("bplab", {})
    spec = meta.get("built_data") if isinstance(meta, dict) else None
    lines = cell.get("source", "").split("\n") if cell.get("cell_type") == "code" else []
    marks = [(i, BEGIN_DATA in line) for i, line in enumerate(lines) if BEGIN_DATA in line or END_DATA in line]
    if not marks:
        if spec is not None:
            raise BuildError(f"{where}: metadata bplab.built_data but no '### {BEGIN_DATA}' region in the cell")
        return None
    pairs = list(zip(marks[::2], marks[1::2]))
    if len(marks) % 2 or not all(a[1] and not b[1] for a, b in pairs):
        raise BuildError(f"{where}: a built-data region is one '### {BEGIN_DATA}' line, then one '### {END_DATA}' "
                         "line (not nested)")
    if cell_role(cell) != "test":
        raise BuildError(f"{where}: a built-data region in a cell that is not a test (grade) cell")
    if not isinstance(spec, dict) or not spec:
        raise BuildError(f"{where}: a built-data region without metadata bplab.built_data {{name: expression}}")
    for name, expression in spec.items():
        if not (isinstance(name, str) and name.isidentifier()) or not isinstance(expression, str):
            raise BuildError(f"{where}: bplab.built_data maps names to expressions (strings), got {name!r}")
        try:
            compile(expression, "<built data>", "eval")
        except SyntaxError as error:
            raise BuildError(f"{where}: the expression of {name} is not a Python expression: {error.msg}") from None
    regions, placed = [], set()
    for (begin, _), (end, _) in pairs:
        try:
            with _PARSE_LOCK:
                tree = ast.parse(_dedent("\n".join(lines[begin + 1 : end])))
        except SyntaxError as error:
            raise BuildError(f"{where}: the built-data region is not Python: {error.msg}") from None
        names = []
        for node in tree.body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                raise BuildError(f"{where}: a built-data region holds only `name = literal` lines (they are rewritten)")
            name = node.targets[0].id
            if name not in spec:
                raise BuildError(f"{where}: the built-data region assigns {name}, which metadata bplab.built_data "
                                 f"does not declare (known: {', '.join(sorted(spec))})")
            if name in placed:
                raise BuildError(f"{where}: {name} is assigned twice in the built-data regions")
            placed.add(name)
            names.append(name)
        regions.append((begin, end, names))
    unplaced = sorted(set(spec) - placed)
    if unplaced and len(regions) > 1:
        raise BuildError(f"{where}: with several built-data regions, write each declared name in the one it belongs "
                         f"to (`name = None` will do); not placed: {', '.join(unplaced)}")
    if unplaced:
        regions[0][2].extend(unplaced)
    return dict(spec), [(begin, end, sorted(names)) for begin, end, names in regions]


def _dedent(text: str) -> str:
    lines = [line for line in text.split("\n") if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
    return "\n".join(line[indent:] for line in text.split("\n"))


def _with_regions(source: str, regions, literals: dict[str, str]) -> str:
    """`source` with the lines inside each region (BEGIN line, END line, names) replaced by the names' literals."""
    lines = source.split("\n")
    for begin, end, names in sorted(regions, reverse=True):  # from the last, so the line numbers still hold
        indent = re.match(r"\s*", lines[begin]).group(0)
        body = [indent + line if line else line for name in names for line in literals[name].split("\n")]
        lines[begin + 1 : end] = body
    return "\n".join(lines)


def _string(text: str) -> str:
    """repr(text), in double quotes like the course's code."""
    shown = repr(text)
    if shown.startswith("'") and '"' not in text:
        shown = '"' + shown[1:-1].replace("\\'", "'") + '"'
    return shown


class _Atom(str):
    """A literal that is laid out as it is (a number of an array)."""


def _float(x: float) -> str:
    if math.isnan(x):
        return "np.nan"
    if math.isinf(x):
        return "np.inf" if x > 0 else "-np.inf"
    return repr(float(x))


def _scalar(x, kind: str) -> str:
    if kind == "f":
        return _float(float(x))
    if kind == "c":
        return f"complex({_float(float(x.real))}, {_float(float(x.imag))})"
    if kind == "b":
        return repr(bool(x))
    return repr(int(x))


# CPython 3.11 keeps ast.parse's depth count in state its threads share: two threads parsing at once (build's pool)
# can raise "SystemError: AST constructor recursion depth mismatch" (seen here once; CPython issue 106905).
_PARSE_LOCK = threading.Lock()
_DTYPE_KINDS = "fcbiu"


def _literal_tree(value):
    """`value` as a tree of _Atom leaves and ("seq", open, close, items) / ("dict", items) nodes."""
    import numpy as np

    if type(value) is str:
        return _Atom(_string(value))
    if value is None or type(value) in (bool, int, bytes):
        return _Atom(repr(value))
    if type(value) is float:
        return _Atom(_float(value))
    if type(value) is complex:
        return _Atom(_scalar(value, "c"))
    if isinstance(value, np.generic) and value.dtype.kind in _DTYPE_KINDS:
        name = "bool_" if value.dtype.kind == "b" else value.dtype.name
        return _Atom(f"np.{name}({_scalar(value, value.dtype.kind)})")
    if type(value) is np.ndarray:
        kind = value.dtype.kind
        if kind not in _DTYPE_KINDS or value.dtype.byteorder == ">":
            raise TypeError(f"an array of dtype {value.dtype} has no literal form here (numbers and bools only)")
        dtype = "" if value.dtype == np.float64 else f", dtype=np.{'bool_' if kind == 'b' else value.dtype.name}"
        if value.size == 0:
            return _Atom(f"np.empty({value.shape!r}{dtype})")
        if value.ndim == 0:
            return _Atom(f"np.array({_scalar(value[()], kind)}{dtype})")

        def nest(a):
            if a.ndim == 1:
                return ("seq", "[", "]", [_Atom(_scalar(x, kind)) for x in a])
            return ("seq", "[", "]", [nest(row) for row in a])

        inner = nest(value)
        return ("seq", "np.array([", f"]{dtype})", inner[3])
    if type(value) is list:
        return ("seq", "[", "]", [_literal_tree(v) for v in value])
    if type(value) is tuple:
        return ("seq", "(", ",)" if len(value) == 1 else ")", [_literal_tree(v) for v in value])
    if type(value) is dict:
        items = []
        for key, item in value.items():
            items.append((_Atom(_flat(_literal_tree(key))), _literal_tree(item)))
        return ("dict", items)
    raise TypeError(f"a value of type {type(value).__module__}.{type(value).__qualname__} has no literal form here "
                    "(numbers, bools, strings, None, numpy arrays and scalars, and lists, tuples, dicts of them)")


def _flat(tree) -> str:
    if isinstance(tree, _Atom):
        return str(tree)
    if tree[0] == "dict":
        return "{" + ", ".join(f"{k}: {_flat(v)}" for k, v in tree[1]) + "}"
    _, open_, close, items = tree
    return open_ + ", ".join(_flat(item) for item in items) + close


def _layout(tree, indent: int, column: int, width: int = LINE_WIDTH) -> str:
    """The literal of `tree` starting at `column`, broken over lines indented from `indent` when too long."""
    flat = _flat(tree)
    if column + len(flat) <= width or isinstance(tree, _Atom):
        return flat
    inner = " " * (indent + 4)
    if tree[0] == "dict":
        lines = ["{"]
        for key, value in tree[1]:
            head = f"{inner}{key}: "
            lines.append(head + _layout(value, indent + 4, len(head), width - 1) + ",")  # room for the comma
        return "\n".join(lines + [" " * indent + "}"])
    _, open_, close, items = tree
    lines = [open_]
    if all(isinstance(item, _Atom) for item in items):  # numbers: as many to a line as fit
        line = inner
        for item in items:
            piece = f"{item},"
            if line.strip() and len(line) + 1 + len(piece) > width:
                lines.append(line)
                line = inner
            line += (" " if line.strip() else "") + piece
        lines.append(line)
    else:
        lines += [inner + _layout(item, indent + 4, len(inner), width - 1) + "," for item in items]
    return "\n".join(lines + [" " * indent + close])


def literal(name: str, value, indent: int = 0, width: int = LINE_WIDTH) -> str:
    """The assignment ``name = <literal of value>``, its lines to be indented by `indent` within `width` columns.

    Raises TypeError when `value` has no literal form, ValueError when its literal does not read back exactly.
    """
    text = f"{name} = " + _layout(_literal_tree(value), 0, len(name) + 3, width - indent)
    import numpy as np

    namespace = {"np": np}
    exec(compile(text, "<built data>", "exec"), namespace)
    if not same_value(namespace[name], value):
        raise ValueError(f"the literal of {name} does not read back as the same value")
    return text


def same_value(a, b) -> bool:
    """True when `a` and `b` are the same data: types, dtypes, shapes, every bit of every number but NaN's payload."""
    import numpy as np

    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray:
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a.real), np.signbit(b.real))
                        and np.array_equal(np.signbit(np.imag(a)), np.signbit(np.imag(b))))
        return bool(np.array_equal(a, b))
    if isinstance(a, (float, np.floating)):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (complex, np.complexfloating)):
        return same_value(float(a.real), float(b.real)) and same_value(float(a.imag), float(b.imag))
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    return a == b


def _evaluate_job(job_path: str, out_path: str) -> None:
    """In the child process: run the cells of a job, evaluate the expressions, write the literals (JSON)."""
    import contextlib
    import io
    import traceback

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    namespace = sys.modules["__main__"].__dict__  # classes the cells define belong to __main__, as in a kernel
    out: dict = {"literals": {}}

    def fail(step: dict, what: str) -> None:
        out["error"] = {"cell": step["index"], "what": what}
        Path(out_path).write_text(json.dumps(out), encoding="utf-8")
        sys.exit(0)

    for step in job["steps"]:
        if step["kind"] == "run":
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(step["source"], f"<cell {step['index'] + 1}>", "exec"), namespace)
            except BaseException as error:  # the solution's code failed: say where
                last = traceback.format_exception_only(type(error), error)[-1].strip()
                fail(step, f"the solution's code raised {last}")
            continue
        literals = {}
        for name, expression in sorted(step["spec"].items()):
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    value = eval(compile(expression, f"<built data {name}>", "eval"), namespace)
            except BaseException as error:
                last = traceback.format_exception_only(type(error), error)[-1].strip()
                fail(step, f"the expression of {name} ({expression}) raised {last}")
            try:
                literals[name] = literal(name, value, step["indents"][name])
            except (TypeError, ValueError) as error:
                fail(step, f"{name} ({expression}): {error}")
        out["literals"][str(step["index"])] = literals
    Path(out_path).write_text(json.dumps(out), encoding="utf-8")


def _data_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "BPLAB_GRAD"))}
    env.update({"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def _plain_python(source: str) -> str:
    """A cell's code as Python: IPython's magics become get_ipython() calls (the first cell's `%pip`, which runs
    only where bplab is missing, so never here)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def compute_built_data(nb, name: str = "notebook") -> dict[int, dict[str, str]]:
    """Run the solution's cells in a new Python process; {test cell index: {name: its assignment's text}}.

    Only the cells up to the last test cell with built data run (test cells never do). Raises BuildError
    naming the notebook and cell when a cell or an expression fails.
    """
    specs = {i: data_spec(c, _where(name, i, c)) for i, c in enumerate(nb.cells)}
    specs = {i: s for i, s in specs.items() if s}
    if not specs:
        return {}
    steps = []
    for index, cell in enumerate(nb.cells[: max(specs) + 1]):
        if cell.cell_type != "code":
            continue
        if index in specs:
            spec, regions = specs[index]
            lines = cell.source.split("\n")
            indents = {name: len(lines[begin]) - len(lines[begin].lstrip()) for begin, _, names in regions
                       for name in names}
            steps.append({"kind": "data", "index": index, "spec": spec, "indents": indents})
        elif cell_role(cell) != "test":
            steps.append({"kind": "run", "index": index, "source": _plain_python(cell.source)})
    with tempfile.TemporaryDirectory(prefix="bplab-build-") as folder:
        job, out = Path(folder) / "job.json", Path(folder) / "out.json"
        job.write_text(json.dumps({"steps": steps}), encoding="utf-8")
        work = Path(folder) / "work"
        work.mkdir()
        code = f"from bplab.course.exercises import _evaluate_job; _evaluate_job({str(job)!r}, {str(out)!r})"
        try:
            done = subprocess.run([sys.executable, "-c", code], cwd=work, env=_data_environment(),
                                  capture_output=True, text=True, timeout=DATA_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise BuildError(f"{name}: running the solution's cells took more than {DATA_TIMEOUT:g} s") from None
        if not out.exists():
            tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            raise BuildError(f"{name}: the process computing the built data failed: {tail}")
        result = json.loads(out.read_text(encoding="utf-8"))
    if "error" in result:
        index = result["error"]["cell"]
        raise BuildError(f"{_where(name, index, nb.cells[index])}: {result['error']['what']}")
    return {int(k): v for k, v in result["literals"].items()}


def refresh_built_data(nb, name: str = "notebook"):
    """(a copy of `nb` with every built-data region rewritten, [where each stale region is]); `nb` is not changed."""
    literals = compute_built_data(nb, name)
    nb = copy.deepcopy(nb)
    stale = []
    for index, texts in sorted(literals.items()):
        cell = nb.cells[index]
        source = _with_regions(cell.source, data_spec(cell)[1], texts)
        if source != cell.source:
            stale.append(_where(name, index, cell))
            cell.source = source
    return nb, stale


def _notebook_bytes(nb) -> bytes:
    import nbformat

    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def _plan(solutions_dir: Path, out_dir: Path, data: str):
    """[(solution path, new solution bytes or None, exercise path, exercise bytes, stale regions)] for each set."""
    sources = sorted(solutions_dir.glob(SET_PATTERN))
    if not sources:
        raise BuildError(f"no solution notebooks ({SET_PATTERN}) in {solutions_dir}/")

    import nbformat

    def one(path: Path):
        nb = nbformat.read(path, as_version=4)
        stale: list[str] = []
        if data != "keep":
            nb, stale = refresh_built_data(nb, str(path))
        exercise = _notebook_bytes(make_exercise(nb, str(path)))
        return path, (_notebook_bytes(nb) if stale else None), out_dir / path.name, exercise, stale

    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        return list(pool.map(one, sources))


def build(solutions_dir: str | Path = "solutions", out_dir: str | Path = "exercises", data: str = "update"
          ) -> list[Path]:
    """Write ``out_dir/NN-*.ipynb`` for every ``solutions_dir/NN-*.ipynb``.

    Parameters
    ----------
    solutions_dir : str or Path
        Folder of solution notebooks in nbgrader format.
    out_dir : str or Path
        Folder to write (created if needed); files of the same names are overwritten.
    data : {"update", "keep"}
        "update" (default): compute the built-data regions (see the module docstring) and rewrite the
        stale ones in `solutions_dir` too; "keep": take the regions as they stand, running no code.

    Returns
    -------
    list of Path
        The exercise notebooks written, in name order.

    Raises
    ------
    BuildError
        A notebook that cannot be built; nothing is written then.

    Used in: `bplab exercises build` (README, "For instructors")
    """
    if data not in ("update", "keep"):
        raise ValueError(f"data must be 'update' or 'keep', got {data!r}")
    solutions_dir, out_dir = Path(solutions_dir), Path(out_dir)
    plan = _plan(solutions_dir, out_dir, data)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for solution, solution_bytes, target, exercise_bytes, _ in plan:
        if solution_bytes is not None:
            solution.write_bytes(solution_bytes)
        if not target.exists() or target.read_bytes() != exercise_bytes:
            target.write_bytes(exercise_bytes)
        written.append(target)
    return written


def check(solutions_dir: str | Path = "solutions", out_dir: str | Path = "exercises") -> list[str]:
    """What `build` would change, writing nothing: stale built-data regions, then exercises out of date.

    Used in: `bplab exercises build --check`.
    """
    problems = []
    plan = _plan(Path(solutions_dir), Path(out_dir), "update")
    for _, _, _, _, stale in plan:
        problems += [f"stale built data: {where}" for where in stale]
    for _, _, target, exercise_bytes, _ in plan:
        if not target.exists() or target.read_bytes() != exercise_bytes:
            problems.append(f"out of date: {target}")
    return problems
