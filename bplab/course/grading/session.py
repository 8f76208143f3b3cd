"""Running one submission: the learner's cells in the submission's process, the tests here in the *judge*.

`Session` owns the submission's process (`bplab.course.submission_worker`, in the sandbox where it works)
and the judge's namespace. `run_notebook` walks the assembled notebook: set-up cells run in both, the
learner's cells (answers and their own) only in the submission's process, test cells only in the judge,
after the names the learner's cells bound were synced in (`bplab.course.grading.transfer`).

Time: each cell has ``timeout`` seconds (a test cell: for everything it asks of the submission), and the
notebook has ``budget`` seconds in all. A cell that runs out of its own time costs that cell's question: the
process is killed (its whole sandbox) and a new one re-runs the learner's cells before it. Once the budget
is spent nothing more runs; the questions after it are "not reached".

What can go wrong in the submission's process is told apart: it *died* (its pipe closed: ``os._exit``, a
crash, a signal, out of memory), it *broke the protocol* (a reply that is not one, or too large), or a
cell ran out of time. Each is reported with the cell it happened in; in each case the process is started
again and grading goes on (up to 3 restarts).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import pickle
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

from bplab.course.grading.transfer import DataUnpickler, Remote, copy_back, refused_value, show_output
from bplab.course.sandbox import Limits, bwrap_command, environment, preexec
from bplab.course.submission_worker import (
    HEADER,
    MAX_FRAME,
    RECONSTRUCTORS,
    builtin_exception,
    mutable_parts,
    write_frame,
)

MAX_RESTARTS = 3
_BUILTIN_NAMES = frozenset(vars(__import__("builtins")))  # the judge's abs, len, isinstance... stay Python's


class CellTimeout(BaseException):
    """A cell ran out of time. Not an Exception, so a test's ``except Exception`` does not swallow it."""


class WorkerGone(Exception):
    """The submission's process cannot go on with this cell (it is then killed and started again)."""


class ProcessDied(WorkerGone):
    """The submission's process ended (its pipe closed)."""


class ProtocolError(WorkerGone):
    """The submission's process sent something that is not a reply of the grading protocol."""


class GradingAborted(Exception):
    """The submission's process cannot be brought back: the rest of the notebook is not graded."""


class BudgetSpent(Exception):
    """The notebook's wall-clock budget is spent: nothing more runs."""


class _Memo(dict):
    """The memo a sync's pieces share; it remembers the keys the current piece set (`added`), to take back."""

    added: list

    def __setitem__(self, key, value):
        self.added.append(key)
        super().__setitem__(key, value)


def frames_of(sent) -> list[tuple[str, bool]] | None:
    """The traceback a worker sent with an error, checked: [(function name, in a cell?)], outermost first."""
    if type(sent) is not list:
        return None
    found = [(item[0][:200], item[1]) for item in sent[-40:]
             if type(item) is tuple and len(item) == 2 and type(item[0]) is str and type(item[1]) is bool]
    return found or None


def _why(error: BaseException) -> str:
    return str(error) or type(error).__name__


_MISSING = object()


class Session:
    """One notebook: the submission's process, and the judge that runs the set-up and test cells here.

    The judge's namespace starts empty; locked set-up cells run in both processes; test cells run only
    here, on the learner's values: names the learner's cells bound arrive by value (data) or as `Remote`
    (functions, other objects), synced before each test cell. Set-up names stay the judge's own.

    A sync brings every learner name as it is in the submission's process at that moment, read with one
    memo, so objects names share are shared here too (``w`` is a leaf of ``loss``'s graph, two names of one
    array are one array), and in-place changes since the last sync show. A name the learner rebound since
    the last sync replaces the judge's; one they did not replaces it only if no test cell rebound it here.
    Set-up names and the names of builtins (``abs``, ``len``, ``isinstance``...) are never taken from the
    learner: a test cell's own ``abs(got - expected)`` is Python's, whatever the learner's cells defined.

    Parameters
    ----------
    sandbox : {"bwrap", "none"}
        Where the submission's process runs.
    timeout : float
        Seconds per cell.
    limits : Limits
        Resource limits of the submission's process.
    objects : bool
        True in sets whose answer cells define a class (see `Remote`'s operators).
    budget : float or None
        Seconds for the whole notebook (None: no budget), counted from `start`.
    """

    def __init__(self, sandbox: str, timeout: float, limits: Limits, objects: bool = False,
                 budget: float | None = None, judge: bool = True):
        self.sandbox, self.timeout, self.limits = sandbox, timeout, limits
        # False in learner mode: the notebook's own set-up and test cells are the learner's code, so they run in
        # the submission's process too (as in one kernel), never here
        self.judge = judge
        # Operators and comparisons between the tests' values and a learner's object go to that object only
        # in sets whose exercises ask for a class (e.g. Dual): elsewhere they would show it the expected value
        # (`count_got - count_ref`, `got == expected`) and let it answer "equal".
        self.objects = objects
        self.budget = budget
        self.budget_deadline = float("inf")
        self.ns: dict = {"__name__": "__main__", "__builtins__": __import__("builtins")}
        self.setup_names: set[str] = set()
        self.setup_classes: dict[str, type] = {}
        self.from_sync: dict[str, object] = {}
        self.sync_handles: dict[str, tuple[int, int]] = {}  # name -> (generation, handle) at the last sync
        self.remotes: dict[int, Remote] = {}  # this generation's handles: one Remote per object
        self.not_implemented: list | None = None  # frames of the last NotImplementedError of a call in a test
        self.cell_frames: list | None = None  # frames of the last learner cell's error
        self._reader = None
        self.grader_limit = False
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

    # -- time --------------------------------------------------------------------------------------
    def allow(self, seconds: float) -> None:
        """The current step may take `seconds`, and never beyond the notebook's budget."""
        self.deadline = min(time.monotonic() + seconds, self.budget_deadline)

    def budget_spent(self) -> bool:
        return time.monotonic() >= self.budget_deadline

    # -- the submission's process ----------------------------------------------------------------
    def start(self) -> None:
        if self.budget is not None and self.budget_deadline == float("inf"):
            self.budget_deadline = time.monotonic() + self.budget
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
        self.remotes = {}
        self.allow(max(60.0, self.timeout))
        message = self._read_message(None)
        if message != ("ready",):
            raise ProtocolError("the submission's process did not start")

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
        if self.restarts > MAX_RESTARTS:
            raise GradingAborted(f"the submission's process had to be restarted more than {MAX_RESTARTS} times")
        try:
            self.start()
            for source in self.replay:
                self.allow(self.timeout)
                self._plain(("run", source))
            self._plain(("setup", sorted(self.setup_classes), sorted(self.setup_names)))
        except (CellTimeout, WorkerGone) as error:
            if self.budget_spent():
                raise BudgetSpent() from None
            raise GradingAborted(f"could not restart the submission's process ({_why(error)})") from None
        self.from_sync_after_restart = True

    def _died(self) -> ProcessDied:
        """What became of a process whose pipe closed."""
        detail = ""
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            if code is not None and code < 0:
                name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
                detail = f": it was killed by {name}" + (" (out of memory, or a kill)" if name == "SIGKILL" else "")
            elif code is not None:
                detail = f": it exited with code {code} (os._exit, or a crash)"
        return ProcessDied("the submission's process died" + detail)

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
            self.grader_limit = True
            raise TypeError(f"could not send a value to the submission: {error}") from None
        try:
            write_frame(self.proc.stdin.fileno(), buffer.getvalue())
        except OSError:
            raise self._died() from None

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
                raise self._died()
            self.buffer += chunk
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def _read_message(self, tagged):
        """The next frame of the current request (stale or forged frames of other requests are dropped)."""
        while True:
            (size,) = HEADER.unpack(self._read_bytes(HEADER.size))
            if size > MAX_FRAME:
                raise ProtocolError(f"it sent a message of {size} bytes (the limit is {MAX_FRAME})")
            payload = self._read_bytes(size)
            try:
                frame = self._loads(payload, tagged)
            except Exception as error:
                raise ProtocolError(f"a reply the grader cannot read ({type(error).__name__}: {error})") from None
            if type(frame) is tuple and len(frame) == 1 and frame[0] == "ready":
                return frame
            if not (type(frame) is tuple and len(frame) == 2 and type(frame[1]) is tuple and frame[1]):
                raise ProtocolError("a frame that is not a reply")
            if frame[0] == self.seq:
                return frame[1]

    def remote(self, handle: int) -> Remote:
        """The `Remote` of a handle of this process (the same one each time: identity holds here too)."""
        if handle not in self.remotes:
            self.remotes[handle] = Remote(self, handle)
        return self.remotes[handle]

    def _loads(self, payload: bytes, tagged, shared: DataUnpickler | None = None):
        """Read a reply's pickle as data; with `shared`, as the next piece of the stream `shared` read (one memo).

        A refused piece leaves no trace in the shared memo: a later piece that names its objects is refused too.
        """
        if self._reader is None:
            self._reader = self._reader_class()
        reader = self._reader(io.BytesIO(payload))
        reader.tagged = tagged
        if shared is None:
            return reader.load()
        reader.share(shared)
        memo = reader.memo
        memo.added = []
        try:
            return reader.load()
        except BaseException:
            for key in memo.added:
                memo.pop(key, None)
            raise

    def _reader_class(self):
        """The unpickler of this session's replies: `DataUnpickler`, with the references a reply may hold."""
        session = self

        class In(DataUnpickler):
            tagged = None

            def persistent_load(self, pid):
                if not (type(pid) is tuple and len(pid) >= 2 and type(pid[0]) is str):
                    raise pickle.UnpicklingError("bad reference")
                kind, key = pid[0], pid[1]
                if kind == "handle" and type(key) is int and key >= 0:
                    return session.remote(key)
                tagged = self.tagged
                if kind == "tag" and type(key) is int and tagged is not None and 0 <= key < len(tagged):
                    return tagged[key]
                if kind == "grader" and type(key) is int and key in session.grader_objects:
                    return session.grader_objects[key]
                if kind == "main" and type(key) is str and key in session.setup_classes:
                    return session.setup_classes[key]
                raise pickle.UnpicklingError(f"unknown reference {pid!r}")

        return In

    def unpack(self, parcel, tagged=None, shared: DataUnpickler | None = None):
        """The value of a parcel: its pickle when the grader accepts it, else its handle as a `Remote`.

        `shared`: the parcel's pickle is the next piece of a stream with one memo (a sync's names).
        Raises TypeError (`refused_value`) when neither is there; ProtocolError when it is not a parcel.
        """
        if not (type(parcel) is tuple and len(parcel) == 3 and parcel[0] == "parcel"):
            raise ProtocolError("a value that is not a parcel")
        _, handle, payload = parcel
        refusal = None
        if type(payload) is bytes:
            try:
                return self._loads(payload, tagged, shared)
            except Exception as error:  # not data: the grader keeps to the handle
                refusal = error
        if type(handle) is int and handle >= 0:
            return self.remote(handle)
        raise refused_value(refusal)

    # -- requests ----------------------------------------------------------------------------------
    def _plain(self, message):
        """Send a request that has no callbacks; the reply (a tuple)."""
        self.seq += 1
        self._send(message)
        return self._read_message(None)

    def run_learner_cell(self, source: str):
        """Run a cell in the submission's process; (error name, message) or None.

        The functions the error's traceback passed through are kept in `cell_frames` (see `frames_of`).
        """
        self.allow(self.timeout)
        reply = self._plain(("run", source))
        if reply[0] != "ran":
            raise ProtocolError("an answer to another request")
        error = reply[1] if len(reply) > 1 else None
        self.replay.append(source)
        self.cell_frames = None
        if error is None:
            return None
        if not (type(error) is tuple and len(error) in (2, 3)):
            return ("Error", "")
        self.cell_frames = frames_of(error[2]) if len(error) == 3 else None
        return str(error[0]), str(error[1])

    def sync(self) -> None:
        """Bring the names the learner's cells bound into the judge's namespace (see the class docstring)."""
        reply = self._plain(("sync",))
        if reply[0] != "synced" or type(reply[1]) is not dict:
            raise ProtocolError("an answer to another request")
        after_restart = self.from_sync_after_restart
        stream = DataUnpickler(io.BytesIO(b""))  # the memo the sync's pieces share
        stream.memo = _Memo()
        for name, parcel in reply[1].items():
            if time.monotonic() >= self.deadline:
                raise CellTimeout()  # a reply of a million names must not hold the grader beyond the cell's time
            if (type(name) is not str or not name.isidentifier() or name in self.setup_names or name.startswith("_")
                    or name in _BUILTIN_NAMES):
                continue  # a learner's `abs` or `len` would answer for the test cells' own calls (abs(got - ref))
            if not (type(parcel) is tuple and len(parcel) == 3 and parcel[0] == "parcel"):
                continue  # a forged parcel: the name stays as it was here
            _, number, payload = parcel
            handle = (self.generation, number)
            rebound = not after_restart and self.sync_handles.get(name) != handle  # another object there
            value = _MISSING
            if type(payload) is bytes:
                with contextlib.suppress(Exception):  # not data (or forged): the handle instead
                    value = self._loads(payload, None, stream)
            if value is _MISSING:
                if not rebound and type(self.from_sync.get(name, Remote)) is not Remote:
                    continue  # the same object, this time sent as a handle only (beyond MAX_NAMES): keep its copy
                if not (type(number) is int and number >= 0):
                    continue
                value = self.remote(number)
            self.sync_handles[name] = handle
            if not rebound and name in self.ns and self.ns[name] is not self.from_sync.get(name):
                continue  # a test cell rebound it since, the learner did not: keep the judge's (as in one kernel)
            self.ns[name] = self.from_sync[name] = value
        self.from_sync_after_restart = False

    def request(self, remote: Remote, op: str, args: tuple, kwargs: dict):
        """Use a learner's function or object; the result, with in-place changes to the inputs copied back."""
        if remote._generation != self.generation:
            self.grader_limit = True
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
            if kind == "callback" and len(message) == 3:
                self._callback(message[1], message[2])
                self.seq = seq
                continue
            if kind == "result" and len(message) == 5:
                _, result, after, caught, stderr = message
                with contextlib.suppress(TypeError, ProtocolError):  # in-place changes that are not data: skipped
                    copy_back(originals, self.unpack(after, originals))
                show_output(caught, stderr)
                return self.unpack(result, originals)
            if kind == "raise" and len(message) in (5, 6):
                _, name, text, caught, stderr = message[:5]
                show_output(caught, stderr)
                name = str(name)
                if name == "NotImplementedError":
                    self.not_implemented = frames_of(message[5] if len(message) == 6 else None)
                if name in ("KeyboardInterrupt", "SystemExit", "GeneratorExit", "StopIteration", "StopAsyncIteration"):
                    raise RuntimeError(f"the submission's code raised {name}")
                error = builtin_exception(name, str(text))
                error.bplab_submission = True  # its message is the learner's: no mistake id is read from it
                raise error
            raise ProtocolError("an answer to another request")

    def _callback(self, handle, parcel) -> None:
        """Run a function of the grader that the learner's code called (e.g. a test's lambda)."""
        seq = self.seq
        function = self.grader_objects.get(handle) if type(handle) is int else None
        try:
            if function is None:
                raise TypeError("not a function the grader passed")
            arguments = self.unpack(parcel)
            if not (type(arguments) is tuple and len(arguments) == 2 and type(arguments[0]) is tuple
                    and type(arguments[1]) is dict):
                raise TypeError("the arguments of a call back are not a tuple and a dict")
            result = function(*arguments[0], **arguments[1])
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
        if not self.judge:
            return error
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

    def run_test(self, source: str, index: int) -> tuple[str, ...] | None:
        """Run a test cell in the judge; None when it passed, else (error name, message) of why not, with a third
        item "submission" when the error is one the learner's code raised (through the test, uncaught).

        `not_implemented` keeps the frames of the last NotImplementedError a learner's function raised in it.
        """
        self.allow(self.timeout)
        self.not_implemented = None
        self.grader_limit = False  # set when the grader, not the learner's code, could not go on (`_GRADER_LIMITS`)
        if not self.judge:
            return self._test_there(source)
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
        except (CellTimeout, WorkerGone, GradingAborted, BudgetSpent):
            raise
        except Exception as error:
            if getattr(error, "bplab_submission", False) is True:
                return type(error).__name__, str(error), "submission"
            return type(error).__name__, str(error)
        if err.getvalue():
            return "stderr", err.getvalue()
        return None


    def _test_there(self, source: str) -> tuple[str, str] | None:
        """Learner mode: the test cell runs in the submission's process (it is the learner's own notebook's)."""
        reply = self._plain(("test", source))
        if not (reply[0] == "tested" and len(reply) == 3):
            raise ProtocolError("an answer to another request")
        self.replay.append(source)  # a test cell's names are the kernel's too: a restart runs it again
        error, stderr = reply[1], reply[2]
        if type(error) is tuple and len(error) == 3:
            found = frames_of(error[2]) or []
            while found and (not found[0][1] or found[0][0] == "<module>"):
                found.pop(0)  # IPython's, expect_call's, the test cell's own: from the learner's function on
            self.not_implemented = found or None
            return str(error[0]), str(error[1])
        if error is not None:
            return "Error", ""
        if type(stderr) is str and stderr:
            return "stderr", stderr
        return None


@dataclass
class Outcome:
    """What running a notebook gave, by cell index (see `run_notebook`)."""

    problems: dict[int, tuple[str, str]] = field(default_factory=dict)  # learner / set-up cells: (kind, text)
    verdicts: dict[int, tuple[str, ...] | None] = field(default_factory=dict)  # test cells (`Session.run_test`)
    # the traceback's functions (`frames_of`): of a cell's error; of a test's last NotImplementedError
    frames: dict[int, list[tuple[str, bool]]] = field(default_factory=dict)
    grader_limits: set[int] = field(default_factory=set)  # test cells where the grader could not pass a value
    error: str | None = None  # why the rest of the notebook was not run
    budget_spent_at: int | None = None  # the cell running when the budget ran out


def _label(role_gid) -> str:
    return f" ({role_gid[1]})" if role_gid[1] else ""


def run_notebook(nb, roles, timeout: float, sandbox: str, limits: Limits, objects: bool = False,
                 budget: float | None = None, judge: bool = True) -> Outcome:
    """Run `nb`: learner cells in the submission's process, set-up and test cells in the judge.

    A problem is (kind, text) with kind one of "error" (the cell raised: text is "Name: message"),
    "timeout", "died", "protocol", "budget"; a verdict is None (passed) or (error name, message).
    """
    outcome = Outcome()
    session = Session(sandbox, timeout, limits, objects, budget, judge)
    index = -1
    try:
        try:
            session.start()
        except (CellTimeout, WorkerGone, OSError) as error:
            raise GradingAborted(f"could not start the submission's process ({_why(error)})") from None
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if session.budget_spent():
                raise BudgetSpent()
            role = roles[index][0]
            where = f"cell {index + 1}{_label(roles[index])}"
            try:
                if role == "locked":
                    error = session.run_setup(cell.source, index)
                    if error:
                        outcome.problems[index] = ("error", f"{error[0]}: {error[1]}")
                elif role == "test":
                    outcome.verdicts[index] = session.run_test(cell.source, index)
                    if session.not_implemented:
                        outcome.frames[index] = session.not_implemented
                    if session.grader_limit:
                        outcome.grader_limits.add(index)
                else:
                    error = session.run_learner_cell(cell.source)
                    if error:
                        outcome.problems[index] = ("error", f"{error[0]}: {error[1]}".rstrip(": "))
                        if session.cell_frames:
                            outcome.frames[index] = session.cell_frames
            except CellTimeout:
                if session.budget_spent():
                    outcome.problems[index] = ("budget", f"the notebook's time budget of {budget:g} s was spent "
                                               f"while running {where}.")
                    raise BudgetSpent() from None
                outcome.problems[index] = ("timeout", f"{where} timed out after {timeout:g} s (an endless loop?).")
                session.restart()
            except ProcessDied as error:
                outcome.problems[index] = ("died", f"{_why(error)} while running {where}; it was started again "
                                           "with the cells before it.")
                session.restart()
            except ProtocolError as error:
                outcome.problems[index] = ("protocol", f"the submission's process broke the grading protocol while "
                                           f"running {where}: {_why(error)}; it was started again with the cells "
                                           "before it.")
                session.restart()
        return outcome
    except BudgetSpent:
        outcome.budget_spent_at = index
        outcome.error = f"the notebook's time budget of {budget:g} s was spent at cell {index + 1}"
        return outcome
    except GradingAborted as error:
        outcome.error = f"{_why(error)}; the rest of the notebook was not run"
        return outcome
    finally:
        session.stop()
