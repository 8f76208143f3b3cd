"""Grade submitted exercise notebooks without a server: `bplab grade PATH... [--csv F] [--timeout S] [--sandbox M]`.

For each submission:

1. find its set in solutions/ (same file name, else the same ``NN-`` number, else the most
   shared grade_ids);
2. build the notebook to run: the learner's cells in the learner's order, except that every test
   cell and locked set-up cell is the canonical one from solutions/ (visible *and* hidden tests),
   matched by grade_id; a deleted one is put back after the cell it followed;
3. run it in two places. The learner's cells (answers and their own) run in a separate process,
   the *submission's process* (`bplab.course.submission_worker`), inside a bubblewrap sandbox where it
   works (`bplab.course.sandbox`). The test cells never run there: they run here, in the grader, in a
   namespace of their own (the *judge*), after the set-up cells ran in both. Before each test cell the
   names the learner's cells bound are copied in: data (numbers, strings, arrays, containers, instances
   of the set-up cell's or bplab's classes) by value, through an unpickler that accepts nothing else;
   functions and other objects as `Remote` handles. Calling a handle sends the inputs to the
   submission's process and brings the output back as data (and the inputs' in-place changes, the
   warnings and the stderr, as one kernel would show them); a test's own function given to a learner's
   function stays here and is called back. So the comparison with the expected values, the expected
   values themselves and every check function run only in the grader's process: patching numpy,
   builtins, bplab or ``sys.modules``, import hooks, redefined checks, input transformers or forged
   output in the submission change nothing but its own answers;
4. time limits: each cell has ``--timeout`` seconds (a test cell: for everything it asks of the
   submission). A cell that runs out, and a process that dies (``os._exit``, a crash, memory) or
   breaks the protocol, costs that cell's question: the process is killed (its whole sandbox) and a
   new one re-runs the learner's cells before it, then grading goes on;
5. score like ``nbgrader autograde``: a test cell earns its points when it runs without an error and
   writes nothing to stderr. Written answers (markdown) are reported as "manual", with zero automatic
   points: a person grades them.

Replies are read as data only (`_DataUnpickler`): a forged reply cannot call anything here but the rebuilders
of numpy and Python data, with bounded sizes, nor set attributes on an object it did not create. Operators
and comparisons between a test's values and a learner's object (not data, not a function) reach that object
only in sets whose answer cells define a class (set 14's ``Dual``); elsewhere they raise TypeError, so an
object cannot be shown an expected value and answer "equal".

Not protected: a learner's function sees the inputs a test gives it (hidden tests' inputs included);
with ``--sandbox none`` the submission runs as you, reads and writes what you can and reaches the
network (only the resource limits apply). The submitted file is only read, never written.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import io
import os
import pickle
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from bplab.course.exercises import SET_PATTERN, cell_role, exercise_cell, nbgrader_meta
from bplab.course.sandbox import Limits, bwrap_command, choose, environment, preexec
from bplab.course.submission_worker import (
    HEADER,
    MAX_FRAME,
    RECONSTRUCTORS,
    builtin_exception,
    mutable_parts,
    write_frame,
)

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


_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """`text` without terminal escape sequences or control characters (a message cannot redraw the table)."""
    return _CONTROLS.sub("?", _ESCAPES.sub("", str(text)))


def _first_line(text: str, limit: int = 160) -> str:
    text = _ESCAPES.sub("", str(text)).strip()
    line = _CONTROLS.sub("?", text.splitlines()[0]) if text else ""
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
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    return nb, roles


def _asks_for_a_class(solution) -> bool:
    """True when an answer cell of the solution defines a class: the tests then use a learner's objects."""
    import ast

    for cell in solution.cells:
        if cell_role(cell) == "answer":
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            if any(isinstance(node, ast.ClassDef) for node in ast.walk(tree)):
                return True
    return False


def _cell_error(cell) -> str | None:
    """The first line of the error a code cell raised, or of what it wrote to stderr, else None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return _first_line(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": "))
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return "wrote to stderr (a failure for nbgrader too): " + _first_line(output.get("text", ""))
    return None


# ---------------------------------------------------------------------------------------------
# Running a notebook: the submission's process (untrusted) and the judge (this process).
# ---------------------------------------------------------------------------------------------


class CellTimeout(BaseException):
    """A cell ran out of time. Not an Exception, so a test's ``except Exception`` does not swallow it."""


class WorkerGone(Exception):
    """The submission's process died, or broke the protocol (it is then killed)."""


class GradingAborted(Exception):
    """The submission's process cannot be brought back: the rest of the notebook is not graded."""


_SAFE_BUILTINS = {"complex", "set", "frozenset", "slice", "range", "bytearray", "object", "int", "float", "str",
                  "bytes", "bool", "list", "dict", "tuple"}
_NUMPY_RANDOM = ("numpy.random",)


def _allowed_class(module: str, name: str):
    """What a reply from the submission may name: rebuilders of arrays and of data objects, nothing that acts."""
    import builtins

    import numpy as np

    if (module, name) in RECONSTRUCTORS:
        return getattr(sys.modules[module], name) if module in sys.modules else None
    if module == "builtins" and name in _SAFE_BUILTINS:
        return getattr(builtins, name)
    if module not in sys.modules:  # never import a module because a submission named it
        return None
    obj = getattr(sys.modules[module], name, None)
    if module.startswith(_NUMPY_RANDOM) and name.startswith("__pyx_unpickle_"):
        return obj  # Cython's rebuilders of numpy.random's state objects
    if not isinstance(obj, type):
        return None
    if module in ("numpy", "numpy.dtypes") and (obj is np.ndarray or issubclass(obj, (np.generic, np.dtype))):
        return obj
    if module.startswith(_NUMPY_RANDOM) and issubclass(obj, (np.random.Generator, np.random.BitGenerator,
                                                            np.random.SeedSequence)):
        return obj
    if module.startswith("bplab.") and not module.startswith("bplab.course") and obj.__module__ == module:
        return obj  # a class defined there (not one it imported, such as pathlib.Path or tqdm)
    return None


def _small(value) -> bool:
    """An argument that cannot make a constructor allocate more than a frame's worth (no counts, no ranges)."""
    if isinstance(value, (str, bytes, bytearray)) or value is None or type(value) in (bool, float, complex):
        return True
    if type(value) is int:
        return abs(value) <= MAX_FRAME
    return type(value) in (list, tuple, dict, set, frozenset)


def _array_bytes(shape, dtype) -> int:
    import numpy as np

    if not (type(shape) is tuple and all(type(n) is int and n >= 0 for n in shape)):
        raise pickle.UnpicklingError("an array shape must be a tuple of ints >= 0")
    size = 1
    for n in shape:
        size *= n
    return size * max(1, np.dtype(dtype).itemsize)


class _DataUnpickler(pickle._Unpickler):
    """The grader's reader of the submission's replies: data only, built only the ways pickle builds data.

    The C unpickler would let a forged reply call any accepted class with any arguments (``bytearray(2**33)``,
    ``list(range(10**9))``: gigabytes from a 40-byte reply, in the grader) and set attributes on any object
    it can name (BUILD on a class: ``bplab.layers.Layer.forward = None`` in the grader, for every later
    notebook of the batch). Here REDUCE calls only the rebuilders of numpy data and builtin value types
    with bounded arguments, NEWOBJ only creates empty instances, and BUILD only fills an object this same
    reply created.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file):
        super().__init__(file)
        self._made: dict[int, object] = {}

    def find_class(self, module, name):
        found = _allowed_class(str(module), str(name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not accepted from a submission")
        return found

    def _check_reduce(self, func, args) -> None:
        import numpy as np

        if type(args) is not tuple:
            raise pickle.UnpicklingError("bad arguments")
        if isinstance(func, type) and func.__module__ == "builtins" and func.__name__ in _SAFE_BUILTINS:
            if func.__name__ in ("object", "set", "frozenset", "list", "dict", "tuple") and args:
                raise pickle.UnpicklingError(f"{func.__name__}(...) is not how data is sent")
            if not all(_small(a) for a in args):
                raise pickle.UnpicklingError(f"{func.__name__}() with arguments that are not data")
            return
        if isinstance(func, type) and issubclass(func, np.dtype) and all(_small(a) for a in args):
            return
        key = (getattr(func, "__module__", None), getattr(func, "__name__", None))
        if key in RECONSTRUCTORS or key[0] in {m for m, _ in RECONSTRUCTORS}:
            name = key[1]
            if name == "_reconstruct" and len(args) == 3 and args[0] is np.ndarray:
                if _array_bytes(args[1], args[2]) <= MAX_FRAME:
                    return
            elif name == "scalar" and args and isinstance(args[0], np.dtype) and args[0].itemsize <= MAX_FRAME:
                return
            elif name == "_reconstructor" and len(args) == 3 and args[1] is object:
                return
            elif name.startswith("__") and len(args) == 1 and (
                isinstance(args[0], (str, np.random.BitGenerator))
                or (isinstance(args[0], type) and issubclass(args[0], np.random.BitGenerator))
            ):
                return  # numpy.random's rebuilders, given a bit generator or its name (not a constructor)
            raise pickle.UnpicklingError(f"{name}{args!r:.80} is not accepted from a submission")
        if getattr(func, "__name__", "").startswith("__pyx_unpickle_") and key[0].startswith(_NUMPY_RANDOM):
            return
        raise pickle.UnpicklingError(f"calling {func!r:.80} is not accepted from a submission")

    def _made_here(self, obj):
        self._made[id(obj)] = obj
        return obj

    def load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        self._check_reduce(func, args)
        self.stack[-1] = self._made_here(func(*args))

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        if not isinstance(cls, type) or args != ():
            raise pickle.UnpicklingError("NEWOBJ with arguments is not accepted from a submission")
        self.append(self._made_here(cls.__new__(cls)))

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        if not isinstance(cls, type) or args != () or kwargs != {}:
            raise pickle.UnpicklingError("NEWOBJ_EX with arguments is not accepted from a submission")
        self.append(self._made_here(cls.__new__(cls)))

    def load_build(self):
        inst = self.stack[-2]
        if isinstance(inst, type) or self._made.get(id(inst)) is not inst:
            raise pickle.UnpicklingError("a reply may only fill in objects it created")
        super().load_build()

    def load_refused(self):
        raise pickle.UnpicklingError("an old pickle opcode the grader does not accept")

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.INST[0]] = load_refused
    dispatch[pickle.OBJ[0]] = load_refused


class Remote:
    """A learner's function or object that stays in the submission's process: using it asks that process."""

    __slots__ = ("_session", "_handle", "_generation")

    def __init__(self, session, handle: int):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_generation", session.generation)

    def _ask(self, op, *args, **kwargs):
        return self._session.request(self, op, args, kwargs)

    def __call__(self, *args, **kwargs):
        return self._ask("call", *args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name not in ("__name__", "__qualname__", "__doc__"):
            raise AttributeError(name)  # numpy's and copy's probes stay local
        return self._ask("getattr", name)

    def __getitem__(self, key):
        return self._ask("getitem", key)

    def __len__(self):
        n = self._ask("len")
        if type(n) is not int or n < 0:
            raise TypeError("len() of a submitted object did not return an int >= 0")
        return n

    def __iter__(self):
        items = self._ask("iter")
        if type(items) is not list:
            raise TypeError("iterating over a submitted object did not give a list")
        return iter(items)

    def __bool__(self):
        value = self._ask("bool")
        if type(value) is not bool:
            raise TypeError("bool() of a submitted object did not give a bool")
        return value

    def __repr__(self):
        return f"<submitted object #{self._handle}>"

    def __setattr__(self, name, value):
        self._ask("setattr", name, value)

    def __setitem__(self, key, value):
        self._ask("setitem", key, value)

    def __instancecheck__(self, obj):  # isinstance(x, LearnersClass)
        return type(obj) is Remote and self._session.objects and self._ask("isinstance", obj) is True

    def __contains__(self, item):
        if not self._session.objects:
            raise TypeError("`in` on a submitted object that is neither data nor a function")
        return self._ask("operator", "contains", item) is True

    def __hash__(self):
        return hash((id(self._session), self._generation, self._handle))

    def _converted(self, op, kind):
        value = self._ask(op)
        if type(value) is not kind:
            raise TypeError(f"{op}() of a submitted object did not give a {kind.__name__}")
        return value

    def __float__(self):
        return self._converted("float", float)

    def __int__(self):
        return self._converted("int", int)

    def __index__(self):
        return self._converted("index", int)

    def __complex__(self):
        return self._converted("complex", complex)

    def __str__(self):
        return self._converted("str", str)


def _forward(name: str, reflected: bool = False):
    if reflected:
        return lambda self, other: self._ask("reflected", name, other) if self._session.objects else NotImplemented
    if name in ("neg", "pos", "abs", "invert"):
        return lambda self: self._ask("operator", name)
    return lambda self, other: self._ask("operator", name, other) if self._session.objects else NotImplemented


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor"):
    _op = _name + "_" if _name in ("and", "or") else _name
    setattr(Remote, f"__{_name}__", _forward(_op))
    setattr(Remote, f"__r{_name}__", _forward(_op, reflected=True))
for _name in ("lt", "le", "gt", "ge", "eq", "ne", "neg", "pos", "abs", "invert"):
    setattr(Remote, f"__{_name}__", _forward(_name))


class Session:
    """One notebook: the submission's process, and the judge that runs the set-up and test cells here.

    The judge's namespace starts empty; locked set-up cells run in both processes; test cells run only
    here, on the learner's values: names the learner's cells bound arrive by value (data) or as `Remote`
    (functions, other objects), synced before each test cell. Set-up names stay the judge's own.
    """

    def __init__(self, sandbox: str, timeout: float, limits: Limits, objects: bool = False):
        self.sandbox, self.timeout, self.limits = sandbox, timeout, limits
        # Operators and comparisons between the tests' values and a learner's object go to that object only
        # in sets whose exercises ask for a class (e.g. Dual): elsewhere they would show it the expected value
        # (`count_got - count_ref`, `got == expected`) and let it answer "equal".
        self.objects = objects
        self.ns: dict = {"__name__": "__main__", "__builtins__": __import__("builtins")}
        self.setup_names: set[str] = set()
        self.setup_classes: dict[str, type] = {}
        self.from_sync: dict[str, object] = {}
        self.grader_objects: dict[int, object] = {}
        self.grader_handle_of: dict[int, int] = {}
        self.replay: list[str] = []
        self.generation = 0
        self.restarts = 0
        self.proc = None
        self.scratch = None
        self.seq = 0
        self.buffer = bytearray()
        self.deadline = float("inf")
        self.from_sync_after_restart = False

    # -- the submission's process ----------------------------------------------------------------
    def start(self) -> None:
        self.scratch = tempfile.mkdtemp(prefix="bplab-scratch-")
        os.chmod(self.scratch, 0o777)  # writable by the sandbox's user
        worker = [sys.executable, "-m", "bplab.course.submission_worker"]
        if self.sandbox == "bwrap":
            argv, env = bwrap_command(self.scratch) + worker, environment("/scratch")
        else:
            argv, env = worker, environment(self.scratch)
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            cwd=self.scratch, preexec_fn=preexec(self.limits, self.sandbox == "bwrap"), start_new_session=True,
        )
        self.buffer = bytearray()
        self.generation += 1
        self.deadline = time.monotonic() + max(60.0, self.timeout)
        message = self._read_message(None)
        if message != ("ready",):
            raise WorkerGone("the submission's process did not start")

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # bwrap's PID namespace dies with it
            except (ProcessLookupError, PermissionError):
                pass
            for pipe in (self.proc.stdin, self.proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass
            self.proc.wait()
            self.proc = None
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def restart(self) -> None:
        """A new submission process with the learner's cells run so far (not the one that broke it)."""
        self.stop()
        self.restarts += 1
        if self.restarts > 3:
            raise GradingAborted("the submission's process had to be restarted more than 3 times")
        try:
            self.start()
            for source in self.replay:
                self.deadline = time.monotonic() + self.timeout
                self._plain(("run", source))
            self._plain(("setup", sorted(self.setup_classes), sorted(self.setup_names)))
        except (CellTimeout, WorkerGone) as error:
            raise GradingAborted(f"could not restart the submission's process ({_why(error)})") from None
        self.from_sync_after_restart = True

    # -- frames ------------------------------------------------------------------------------------
    def _send(self, message) -> None:
        session = self

        class Out(pickle.Pickler):
            def persistent_id(self, obj):
                return session._persistent_id(obj)

        buffer = io.BytesIO()
        try:
            Out(buffer, protocol=4).dump((self.seq, message))
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise TypeError(f"could not send a value to the submission: {error}") from None
        try:
            write_frame(self.proc.stdin.fileno(), buffer.getvalue())
        except OSError:
            raise WorkerGone("the submission's process is gone") from None

    def _persistent_id(self, obj):
        if type(obj) is Remote:
            if obj._generation != self.generation:
                raise TypeError("an object of the submission's process before it was restarted")
            return ("handle", obj._handle)
        if isinstance(obj, type):
            name = getattr(obj, "__qualname__", "")
            return ("main", name) if self.setup_classes.get(name) is obj else None
        if isinstance(obj, (types.FunctionType, types.MethodType, functools.partial)) or (
            callable(obj) and type(obj).__module__ == "__main__"
        ):
            if (getattr(obj, "__module__", None), getattr(obj, "__name__", None)) in RECONSTRUCTORS:
                return None
            key = id(obj)
            if key not in self.grader_handle_of:
                self.grader_handle_of[key] = len(self.grader_objects)
                self.grader_objects[len(self.grader_objects)] = obj
            return ("grader", self.grader_handle_of[key], str(getattr(obj, "__name__", "f")))
        return None

    def _read_bytes(self, size: int) -> bytes:
        fd = self.proc.stdout.fileno()
        while len(self.buffer) < size:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise CellTimeout()
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise WorkerGone("the submission's process died")
            self.buffer += chunk
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def _read_message(self, tagged):
        """The next frame of the current request (stale or forged frames of other requests are dropped)."""
        while True:
            (size,) = HEADER.unpack(self._read_bytes(HEADER.size))
            if size > MAX_FRAME:
                raise WorkerGone(f"the submission sent a message of {size} bytes (limit {MAX_FRAME})")
            payload = self._read_bytes(size)
            try:
                frame = self._loads(payload, tagged)
            except Exception as error:
                raise WorkerGone(f"a reply the grader does not accept ({_why(error)})") from None
            if type(frame) is tuple and len(frame) == 1 and frame[0] == "ready":
                return frame
            if not (type(frame) is tuple and len(frame) == 2 and type(frame[1]) is tuple and frame[1]):
                raise WorkerGone("the submission broke the grading protocol")
            if frame[0] == self.seq:
                return frame[1]

    def _loads(self, payload: bytes, tagged):
        session = self

        class In(_DataUnpickler):
            def persistent_load(self, pid):
                if not (type(pid) is tuple and len(pid) >= 2 and type(pid[0]) is str):
                    raise pickle.UnpicklingError("bad reference")
                kind, key = pid[0], pid[1]
                if kind == "handle" and type(key) is int:
                    return Remote(session, key)
                if kind == "tag" and type(key) is int and tagged is not None and 0 <= key < len(tagged):
                    return tagged[key]
                if kind == "grader" and type(key) is int and key in session.grader_objects:
                    return session.grader_objects[key]
                if kind == "main" and type(key) is str and key in session.setup_classes:
                    return session.setup_classes[key]
                raise pickle.UnpicklingError(f"unknown reference {pid!r}")

        return In(io.BytesIO(payload)).load()

    # -- requests ----------------------------------------------------------------------------------
    def _plain(self, message):
        """Send a request that has no callbacks; the reply (a tuple)."""
        self.seq += 1
        self._send(message)
        return self._read_message(None)

    def run_learner_cell(self, source: str):
        """Run a cell in the submission's process; (error name, message) or None."""
        self.deadline = time.monotonic() + self.timeout
        reply = self._plain(("run", source))
        if reply[0] != "ran":
            raise WorkerGone("the submission broke the grading protocol")
        error = reply[1] if len(reply) > 1 else None
        self.replay.append(source)
        if error is None:
            return None
        return (str(error[0]), str(error[1])) if type(error) is tuple and len(error) == 2 else ("Error", "")

    def sync(self) -> None:
        reply = self._plain(("sync",))
        if reply[0] != "synced" or type(reply[1]) is not dict:
            raise WorkerGone("the submission broke the grading protocol")
        after_restart = self.from_sync_after_restart
        for name, item in reply[1].items():
            if type(name) is not str or not name.isidentifier() or name in self.setup_names or name.startswith("_"):
                continue
            if not (type(item) is tuple and len(item) == 2):
                continue
            how, value = item
            if how == "handle" and type(value) is int:
                value = Remote(self, value)
            elif how != "value":
                continue
            if after_restart and name in self.ns and self.ns[name] is not self.from_sync.get(name):
                continue  # a test cell rebound it since: keep the judge's
            self.ns[name] = self.from_sync[name] = value
        self.from_sync_after_restart = False

    def request(self, remote: Remote, op: str, args: tuple, kwargs: dict):
        """Use a learner's function or object; the result, with in-place changes to the inputs copied back."""
        if remote._generation != self.generation:
            raise RuntimeError("this object belonged to the submission's process before it was restarted")
        originals = mutable_parts((args, kwargs), self.setup_classes)
        filters = [(a, m.pattern if m else None, c.__name__, mod.pattern if mod else None, n)
                   for a, m, c, mod, n in warnings.filters]
        self.seq += 1
        seq = self.seq
        self._send(("call", remote._handle, op, args, kwargs, filters))
        while True:
            message = self._read_message(originals)
            kind = message[0]
            if kind == "callback" and len(message) == 4:
                self._callback(*message[1:])
                self.seq = seq
                continue
            if kind == "result" and len(message) == 5:
                _, result, after, caught, stderr = message
                _copy_back(originals, after)
                _report(caught, stderr)
                return result
            if kind == "raise" and len(message) == 5:
                _, name, text, caught, stderr = message
                _report(caught, stderr)
                name = str(name)
                if name in ("KeyboardInterrupt", "SystemExit", "GeneratorExit", "StopIteration", "StopAsyncIteration"):
                    raise RuntimeError(f"the submission's code raised {name}")
                raise builtin_exception(name, str(text))
            raise WorkerGone("the submission broke the grading protocol")

    def _callback(self, handle, args, kwargs) -> None:
        """Run a function of the grader that the learner's code called (e.g. a test's lambda)."""
        seq = self.seq
        function = self.grader_objects.get(handle) if type(handle) is int else None
        try:
            if function is None or type(args) is not tuple or type(kwargs) is not dict:
                raise TypeError("not a function the grader passed")
            result = function(*args, **kwargs)
            reply = ("return", result)
        except Exception as error:
            reply = ("raise", type(error).__name__, str(error))
        self.seq = seq
        try:
            self._send(reply)
        except TypeError as error:
            self._send(("raise", "TypeError", str(error)))

    # -- the judge -------------------------------------------------------------------------------
    def run_setup(self, source: str, index: int):
        """A locked set-up cell: in the submission's process and in the judge."""
        error = self.run_learner_cell(source)
        before = {k: v for k, v in self.ns.items()}
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, f"<set-up cell {index + 1}>", "exec"), self.ns)
        for name, value in self.ns.items():
            if before.get(name, _MISSING) is not value:
                self.setup_names.add(name)
                if isinstance(value, type):
                    self.setup_classes[name] = value
        self._plain(("setup", sorted(self.setup_classes), sorted(self.setup_names)))
        return error

    def run_test(self, source: str, index: int) -> str | None:
        """Run a test cell in the judge; None when it passed, else the first line of why not."""
        self.deadline = time.monotonic() + self.timeout
        self.sync()
        out, err = io.StringIO(), io.StringIO()

        def show(message, category, filename, lineno, file=None, line=None):
            err.write(warnings.formatwarning(message, category, filename, lineno, line))

        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
                warnings.resetwarnings()
                warnings.simplefilter("default")
                for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                    warnings.simplefilter("ignore", category)
                warnings.showwarning = show
                exec(compile(source, f"<test cell {index + 1}>", "exec"), self.ns)
        except (CellTimeout, WorkerGone, GradingAborted):
            raise
        except Exception as error:
            return _first_line(f"{type(error).__name__}: {error}".rstrip(": "))
        if err.getvalue():
            return "wrote to stderr (a failure for nbgrader too): " + _first_line(err.getvalue())
        return None


_MISSING = object()


def _why(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _copy_back(originals: list, after) -> None:
    """Apply the learner's in-place changes of the inputs to the grader's objects (as in one kernel)."""
    import numpy as np

    if type(after) is not list or len(after) != len(originals):
        return
    for original, state in zip(originals, after):
        if not (type(state) is tuple and len(state) == 2):
            continue
        kind, value = state
        try:
            if kind == "array" and type(original) is np.ndarray and type(value) is np.ndarray:
                if value.shape == original.shape and not np.array_equal(value, original, equal_nan=True):
                    original[...] = value
            elif kind == "list" and type(original) is list and type(value) is list:
                original[:] = value
            elif kind == "dict" and type(original) is dict and type(value) is dict:
                if value.keys() != original.keys() or any(value[k] is not original[k] for k in value):
                    original.clear()
                    original.update(value)
            elif kind == "vars" and type(value) is dict and hasattr(original, "__dict__"):
                vars(original).update({k: v for k, v in value.items() if type(k) is str})
        except Exception:  # a read-only array, a learner's odd value: leave the grader's as it was
            pass


def _report(caught, stderr) -> None:
    """Warnings and stderr of the learner's code, shown here as a kernel would (a failure, as for nbgrader)."""
    import builtins

    if type(caught) is list:
        for item in caught[:20]:
            if type(item) is tuple and len(item) == 2:
                category = getattr(builtins, str(item[0]), None)
                if not (isinstance(category, type) and issubclass(category, Warning)):
                    category = UserWarning
                warnings.warn(str(item[1]), category, stacklevel=2)
    if type(stderr) is str and stderr:
        sys.stderr.write(stderr[:10000])


def _run(nb, roles, timeout: float, sandbox: str, limits: Limits, objects: bool = False):
    """Run `nb`: learner cells in the submission's process, set-up and test cells in the judge.

    Returns ({cell index: problem}, {cell index: test failure or None}, notebook-level error or None,
    index of the first cell not reached).
    """
    problems: dict[int, str] = {}
    verdicts: dict[int, str | None] = {}
    session = Session(sandbox, timeout, limits, objects)
    index = -1
    try:
        try:
            session.start()
        except (CellTimeout, WorkerGone, OSError) as error:
            raise GradingAborted(f"could not start the submission's process ({_why(error)})") from None
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            role = roles[index][0]
            try:
                if role == "locked":
                    error = session.run_setup(cell.source, index)
                    if error:
                        problems[index] = f"{error[0]}: {error[1]}"
                elif role == "test":
                    verdicts[index] = session.run_test(cell.source, index)
                else:
                    error = session.run_learner_cell(cell.source)
                    if error:
                        problems[index] = _first_line(f"{error[0]}: {error[1]}".rstrip(": "))
            except CellTimeout:
                problems[index] = f"timed out after {timeout:g} s (an endless loop?)"
                session.restart()
            except WorkerGone as error:
                problems[index] = (f"the submission's process died while running cell {index + 1} "
                                   f"{_label(roles[index])}(os._exit, a crash, out of memory): {_why(error)}")
                session.restart()
        return problems, verdicts, None, len(nb.cells)
    except GradingAborted as error:
        return problems, verdicts, f"{_why(error)}; the rest of the notebook was not run", max(index, 0) + 1
    finally:
        session.stop()


def _label(role_gid) -> str:
    return f"({role_gid[1]}) " if role_gid[1] else ""


def _score(nb, roles, problems: dict[int, str], verdicts: dict, error: str | None, reached: int):
    results = []
    answer_error: dict[str, str] = {}  # errors of the answer cells since the last test cell
    for index, (cell, (role, gid)) in enumerate(zip(nb.cells, roles)):
        if role == "answer":
            if index in problems:
                answer_error[gid] = problems[index]
        elif role == "written":
            points = float(nbgrader_meta(cell).get("points", 0))
            text = cell.source.strip()
            message = "not answered yet" if text in ("", "YOUR ANSWER HERE") else "written answer: graded by hand"
            results.append(QuestionResult(gid, 0.0, points, MANUAL, message))
        elif role == "test":
            points = float(nbgrader_meta(cell).get("points", 0))
            if index in problems and problems[index].startswith("timed out"):
                results.append(QuestionResult(gid, 0.0, points, TIMEOUT, problems[index]))
            elif index in problems:
                results.append(QuestionResult(gid, 0.0, points, FAILED, _first_line(problems[index])))
            elif index not in verdicts:
                reason = error.split(";")[0] if error else "not run"
                results.append(QuestionResult(gid, 0.0, points, ERROR, "not run: " + reason))
            elif verdicts[index] is None:
                results.append(QuestionResult(gid, points, points, PASSED))
            else:
                problem = verdicts[index]
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


def grade(path: str | Path, solutions_dir: str | Path | None = None, timeout: float = 60.0,
          sandbox: str = "auto", limits: Limits | None = None) -> NotebookResult:
    """Grade one submitted notebook against the canonical tests of its set.

    Parameters
    ----------
    path : str or Path
        The submitted .ipynb (only read).
    solutions_dir : str or Path, optional
        Folder of the solution notebooks; default ./solutions, else the one of this checkout.
    timeout : float
        Seconds allowed per cell.
    sandbox : {"auto", "bwrap", "none"}
        Where the submission's code runs (see `bplab.course.sandbox`); "auto" is bwrap where it works,
        else none (`grade_command` prints the warning).
    limits : Limits, optional
        Resource limits of the submission's process; the default allows 3 GB, 10 CPU-minutes.

    Returns
    -------
    NotebookResult
        Per-question points and messages; `error` says why a notebook was not graded completely.

    Used in: `bplab grade` (README, "For instructors")
    """
    sandbox = choose(sandbox)[0]
    limits = limits or Limits(cpu_seconds=int(max(600, 10 * timeout)))
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
        solution = nbformat.read(solution_path, as_version=4)
        nb, roles = assemble(submission, solution)
    except Exception as error:
        result.error = f"not a readable notebook ({type(error).__name__}: {_first_line(str(error))})"
        return result
    result.set_name = solution_path.stem
    problems, verdicts, error, reached = _run(nb, roles, timeout, sandbox, limits, _asks_for_a_class(solution))
    result.questions = _score(nb, roles, problems, verdicts, error, reached)
    result.error = error
    result.seconds = time.perf_counter() - started
    return result


def format_result(result: NotebookResult) -> str:
    """A per-question table of one notebook's result, as printed by `bplab grade`."""
    head = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(result.path))  # a name cannot redraw
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
            lines.append(f"  {q.question:<{width}}  {score:>9}  {q.status:<7}  {_printable(q.message)}".rstrip())
    if result.error:
        lines.append(f"  ERROR: {_printable(result.error)}")
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


def _csv_cell(value):
    """A CSV cell a spreadsheet shows as text: a leading = + - @ (a file name, a message) would be a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _expand(paths) -> list[Path]:
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts))
        else:
            found.append(p)
    return found


def grade_command(paths, csv_path: str | None = None, timeout: float = 60.0, solutions=None,
                  sandbox: str = "auto") -> int:
    """`bplab grade`: grade each notebook, print tables, optionally write a CSV.

    Returns the exit code: 0 when every notebook was graded (whatever the scores), 1 when some
    notebook could not be graded completely, 2 when there was nothing to grade, 3 when the sandbox
    asked for does not work here.
    """
    files = _expand(paths)
    if not files:
        print("bplab grade: no notebooks found in " + " ".join(map(str, paths)))
        return 2
    try:
        sandbox, warning = choose(sandbox)
    except RuntimeError as error:
        print(f"bplab grade: {error}", file=sys.stderr)
        return 3
    if warning:
        print(warning, file=sys.stderr, flush=True)
    missing = [p for p in files if not p.exists()]
    results = []
    for path in files:
        if path in missing:
            result = NotebookResult(path, error="no such file")
        else:
            try:
                result = grade(path, solutions, timeout, sandbox=sandbox)
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
                writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in csv_rows(result))
        print(f"wrote {csv_path}")
    return 1 if any(r.error for r in results) else 0


__all__ = ["grade", "grade_command", "assemble", "format_result", "csv_rows", "NotebookResult", "QuestionResult"]
