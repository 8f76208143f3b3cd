"""The submission's side of `bplab grade`: a process that runs a learner's cells and calls their functions.

`bplab grade` starts one per notebook (inside the sandbox, see `bplab.course.sandbox`) and talks to it
over two pipes, its standard input and output, in frames (8-byte length, then a pickle). The worker never
sees a test cell, a reference value or a verdict: it only

- runs the learner's own cells and the locked set-up cells (``("run", source)``);
- reports the names the learner's cells (re)defined (``("sync",)``);
- calls a learner's function, or reads an attribute, item or length of a learner's object, on inputs
  the grader sends (``("call", handle, op, args, kwargs, filters)``), and sends back the result, the
  inputs' state after the call (so in-place changes show, as in one kernel), the warnings and stderr.

Each value goes back as a *parcel*, ``("parcel", handle, pickle)``: its pickle when it has one of a bounded
size, and a handle number (the grader can call it, read its attributes...) when it is not plain data
(numbers, strings, arrays, containers of them). The names of a sync always get a handle, and their pickles
are the pieces of one stream with one memo (protocol 3, whose memo indices are explicit): an object two
names share, or that a name shares with one sent before, arrives as one object, as in one kernel (``w``
and the graph of ``loss = f(w)``). A sync sends every name the learner's cells bound, changed or not, so
in-place changes since the last sync show too. So the grader can refuse any value's pickle (a numpy
Generator, a Counter, a Path: not data it accepts) and fall back to the handle, and one value it refuses
never spoils the others or the reply (only the names that share an object with it). Functions the grader
passes (a test's lambda) arrive as `GraderFunction`s: calling one asks the grader to run it.

An error of the learner's code goes back with the names of the functions its traceback passed through
(`frames`), so the grader can tell which answer cell's function still raises NotImplementedError.

Everything here runs in the learner's process, so a submission can change or imitate any of it: the
grader treats all it receives as the learner's answers (see `bplab.course.grading`), never as a verdict.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import pickle
import struct
import sys
import types
import warnings

MAX_FRAME = 64 << 20  # bytes; a larger message ends the conversation
MAX_VALUE = MAX_FRAME // 4  # bytes of one value's pickle; a larger value goes as a handle only
MAX_SYNC = MAX_FRAME // 2  # bytes of all the pickles of one sync
MAX_NAMES = 10_000  # names a sync pickles (a sync sends them all each time); the others go as handles only
SYNC_PROTOCOL = 3  # memo indices written out (protocol 4 counts them): the grader drops a refused piece's,
# and the later pieces still mean what the worker meant
MAX_FRAMES = 30  # traceback entries sent with an error (the innermost ones)
DEEP = 20000  # recursion limit while a sync pickles (pure Python: a chain of 2,000 Values)
CELL_FILE = "<ipython-input-"  # how IPython names the code of a cell it ran
HEADER = struct.Struct(">Q")
ATOMS = (type(None), bool, int, float, complex, str, bytes)
# The functions pickle calls to rebuild arrays, numpy scalars and plain objects: sent by name.
RECONSTRUCTORS = {
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
    ("numpy.random._pickle", "__generator_ctor"), ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__randomstate_ctor"), ("copyreg", "_reconstructor"),
}
_NOTHING = object()
OPERATORS = {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "lt", "le", "gt", "ge", "eq", "ne",
             "neg", "pos", "abs", "invert", "and_", "or_", "xor", "contains"}


def perform(target, op: str, args: tuple, kwargs: dict):
    """What the grader asked of a learner's object `target` (a function, a class, an instance)."""
    import operator

    if op == "call":
        return target(*args, **kwargs)
    if op == "getattr":
        return getattr(target, args[0])
    if op == "setattr":
        return setattr(target, args[0], args[1])
    if op == "getitem":
        return target[args[0]]
    if op == "setitem":
        target[args[0]] = args[1]
        return None
    if op == "len":
        return len(target)
    if op == "iter":
        return list(target)
    if op in ("bool", "float", "int", "complex", "str"):
        return {"bool": bool, "float": float, "int": int, "complex": complex, "str": str}[op](target)
    if op == "index":
        return operator.index(target)
    if op == "isinstance":
        return isinstance(args[0], target)
    if op == "operator" and args[0] in OPERATORS:
        return getattr(operator, args[0])(target, *args[1:])
    if op == "reflected" and args[0] in OPERATORS:
        return getattr(operator, args[0])(args[1], target)
    raise ValueError(f"unknown operation {op!r}")


def read_frame(fd: int) -> bytes:
    """One frame's payload from `fd`; EOFError when the other side is gone."""
    header = _read_exactly(fd, HEADER.size)
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise ValueError(f"a message of {size} bytes is larger than the limit of {MAX_FRAME}")
    return _read_exactly(fd, size)


def _read_exactly(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, payload: bytes) -> None:
    data = HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def data_class(cls, setup_classes: dict) -> bool:
    """True for a class whose instances travel by value: the set-up cell's classes and bplab's."""
    module = getattr(cls, "__module__", "") or ""
    if module == "__main__":
        return setup_classes.get(getattr(cls, "__qualname__", None)) is cls
    return module.startswith("bplab.") and not module.startswith("bplab.course")


def mutable_parts(value, setup_classes: dict) -> list:
    """The mutable objects inside `value` (arrays, lists, dicts, data-class instances), depth first.

    Grader and worker walk their own copy of the same arguments in the same order, so the i-th object
    of one is the i-th of the other: how results that return an argument keep its identity.
    """
    import numpy as np

    found, seen, stack = [], set(), [value]
    while stack:
        item = stack.pop()
        if isinstance(item, ATOMS) or id(item) in seen:
            continue
        seen.add(id(item))
        kind = type(item)
        if kind is np.ndarray:
            found.append(item)
        elif kind in (list, tuple):
            if kind is list:
                found.append(item)
            stack.extend(reversed(item))
        elif kind is dict:
            found.append(item)
            stack.extend(reversed(list(item.values())))
        elif data_class(kind, setup_classes) and hasattr(item, "__dict__"):
            found.append(item)
            stack.extend(reversed(list(vars(item).values())))
    return found


def state_of(item):
    """A by-value snapshot of a mutable object's contents (the object itself is not included)."""
    import numpy as np

    if type(item) is np.ndarray:
        return ("array", item.copy())
    if type(item) is list:
        return ("list", list(item))
    if type(item) is dict:
        return ("dict", dict(item))
    return ("vars", dict(vars(item)))


def plain(value, depth: int = 0) -> bool:
    """True for data the grader always accepts: numbers, strings, bytes, None, arrays and numpy scalars of
    numbers, and lists, tuples, dicts, sets of them (anything else also goes with a handle)."""
    import numpy as np

    kind = type(value)
    if kind in ATOMS:
        return True
    if kind is np.ndarray or isinstance(value, np.generic):
        return not value.dtype.hasobject
    if depth > 20:
        return False
    if kind in (list, tuple, set, frozenset):
        return all(plain(item, depth + 1) for item in value)
    if kind is dict:
        return all(plain(key, depth + 1) and plain(item, depth + 1) for key, item in value.items())
    return False


def builtin_exception(name: str, message: str) -> BaseException:
    """An exception of the builtin class `name` (RuntimeError when there is none)."""
    cls = getattr(builtins, str(name), None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except Exception:
            pass
    return RuntimeError(f"{name}: {message}")


class Bounded(io.BytesIO):
    """A buffer that refuses to grow past `end` (OverflowError)."""

    end = MAX_FRAME

    def write(self, data) -> int:
        if self.tell() + len(data) > self.end:
            raise OverflowError("larger than a value may be")
        return super().write(data)


class GraderFunction:
    """A function of the grader (e.g. a test's lambda) that a learner's function was given."""

    def __init__(self, worker: Worker, handle: int, name: str):
        self._worker, self._handle, self.__name__ = worker, handle, name

    def __call__(self, *args, **kwargs):
        return self._worker.callback(self._handle, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"


class Worker:
    """Runs cells in an IPython shell and serves the grader's requests on two file descriptors."""

    def __init__(self, rfd: int, wfd: int):
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        self.rfd, self.wfd, self.pid = rfd, wfd, os.getpid()
        self.main = types.ModuleType("__main__")
        sys.modules["__main__"] = self.main
        config = Config()
        config.HistoryManager.enabled = False
        self.shell = InteractiveShell.instance(config=config, user_module=self.main)
        if hasattr(self.shell, "_tee"):  # IPython 9 keeps every printed byte for its history: print nowhere
            self.shell._tee = lambda channel: contextlib.nullcontext()
        self.ns = self.shell.user_ns
        self.baseline = set(self.ns)
        self.setup_values: dict[str, object] = {}
        self.last_sync: dict[str, object] = {}
        self.handles: dict[int, object] = {}
        self.handle_of: dict[int, int] = {}
        self.proxies: dict[int, GraderFunction] = {}
        self.setup_classes: dict[str, type] = {}
        self.tags: dict[int, int] = {}
        self.seq = 0
        self.keep: list = []

    # -- serialization -------------------------------------------------------------------------
    def pack(self, value, handle: str = "auto", limit: int = MAX_VALUE):
        """``("parcel", handle or None, pickle or None)``; `handle`: "auto" (when not plain data), "always", "never"."""
        import numpy as np

        payload = None
        if not (type(value) is np.ndarray and value.nbytes > limit):  # do not even try to pickle 800 MB
            try:
                payload = self.dumps(value)
            except BaseException:  # not picklable (a generator, an open file, a __reduce__ that exits...): a handle
                payload = None
            if payload is not None and len(payload) > limit:
                payload = None
        number = None
        if handle == "always" or (handle == "auto" and (payload is None or not plain(value))):
            number = self.handle(value)
        return ("parcel", number, payload)

    def handle(self, obj) -> int:
        key = id(obj)
        if key not in self.handle_of:
            self.handle_of[key] = len(self.handles)
            self.handles[len(self.handles)] = obj
        return self.handle_of[key]

    def pickler(self, buffer) -> pickle.Pickler:
        worker = self

        class Out(pickle.Pickler):
            def persistent_id(self, obj):
                return worker.persistent_id(obj)

        return Out(buffer, protocol=4)

    def sync_pickler(self, buffer) -> pickle._Pickler:
        """The pickler of a sync's stream: its memo holds only objects names can share (lists, dicts, arrays,
        instances...), never a class, a function or a string, so a piece the grader refuses takes with it only
        the objects it shares with later pieces, not the names of numpy's rebuilders they all use."""
        import numpy as np

        worker = self
        atoms = (str, bytes, tuple, frozenset, type, types.FunctionType, types.BuiltinFunctionType, np.dtype,
                 np.generic)

        class Out(pickle._Pickler):
            def persistent_id(self, obj):
                return worker.persistent_id(obj)

            def memoize(self, obj):
                if not isinstance(obj, atoms):
                    super().memoize(obj)

        return Out(buffer, protocol=SYNC_PROTOCOL)

    def dumps(self, value) -> bytes:
        buffer = io.BytesIO()
        self.pickler(buffer).dump(value)
        return buffer.getvalue()

    def dump_piece(self, pickler, buffer: Bounded, value, limit: int) -> bytes | None:
        """`value`'s piece of a stream whose memo `pickler` keeps; None (nothing written) when it cannot be."""
        import numpy as np

        if type(value) is np.ndarray and value.nbytes > limit:
            return None
        buffer.end = buffer.tell() + limit  # a larger value stops there, not after pickling all of it
        start, known, depth = buffer.tell(), len(pickler.memo), sys.getrecursionlimit()
        sys.setrecursionlimit(max(depth, DEEP))  # a graph of Values; Python calls Python here without the C stack
        try:
            pickler.dump(value)
            if buffer.tell() - start <= limit:
                with buffer.getbuffer() as view:
                    return bytes(view[start:])
        except BaseException:  # not picklable (a generator, an open file, a __reduce__ that raises...): a handle
            pass
        finally:
            sys.setrecursionlimit(depth)
        buffer.seek(start)
        buffer.truncate()
        for key in [key for key, (index, _) in pickler.memo.items() if index >= known]:
            del pickler.memo[key]  # as if it had not been tried: the next piece's memo indices follow the last one's
        return None

    def persistent_id(self, obj):
        import numpy as np

        kind = type(obj)
        if kind in ATOMS:
            return None
        if id(obj) in self.tags:
            return ("tag", self.tags[id(obj)])
        if kind is GraderFunction:
            return ("grader", obj._handle)
        if kind in (list, tuple, dict, set, frozenset, slice, range, np.ndarray, np.dtype):
            return None
        if isinstance(obj, (np.generic, np.dtype)):
            return None
        if isinstance(obj, type):
            if obj.__module__ == "__main__":
                if data_class(obj, self.setup_classes):
                    return ("main", obj.__qualname__)
                return ("handle", self.handle(obj))
            return None  # by name: the grader accepts only the classes it knows
        if (getattr(obj, "__module__", None), getattr(obj, "__name__", None)) in RECONSTRUCTORS:
            return None
        module = getattr(kind, "__module__", "") or ""
        if data_class(kind, self.setup_classes) or (module.startswith("numpy.random") and not callable(obj)):
            return None
        return ("handle", self.handle(obj))

    def loads(self, payload: bytes):
        worker = self

        class In(pickle.Unpickler):
            def persistent_load(self, pid):
                kind, key = pid[0], pid[1]
                if kind == "handle":
                    return worker.handles[key]
                if kind == "main":
                    return getattr(worker.main, key)
                if kind == "grader":
                    if key not in worker.proxies:
                        worker.proxies[key] = GraderFunction(worker, key, pid[2] if len(pid) > 2 else "f")
                    return worker.proxies[key]
                raise pickle.UnpicklingError(f"unknown reference {pid!r}")

            def find_class(self, module, name):
                if module == "__main__":
                    return getattr(worker.main, name)
                return super().find_class(module, name)

        return In(io.BytesIO(payload)).load()

    def send(self, message) -> None:
        """Send `message` as the reply to (or a callback within) the current request."""
        try:
            payload = self.dumps((self.seq, message))
        except Exception as error:  # a value that cannot travel: say so instead of the value
            payload = self.dumps((self.seq, ("raise", "TypeError",
                                             f"the result could not be sent to the grader: {error}", [], "")))
        write_frame(self.wfd, payload)

    def receive(self):
        return self.loads(read_frame(self.rfd))

    # -- requests ------------------------------------------------------------------------------
    def serve(self):
        """Answer requests; return the grader's reply when it ends a callback (nested call)."""
        while True:
            if os.getpid() != self.pid:
                os._exit(0)  # a forked copy of the worker (a fork bomb's child) must not answer
            try:
                self.seq, message = self.receive()
            except KeyboardInterrupt:
                continue
            if message[0] in ("return", "raise"):
                return message
            try:
                reply = self.answer(message)
            except BaseException as error:  # SystemExit and KeyboardInterrupt included
                reply = ("raise", type(error).__name__, _text(error), [], "")
            if os.getpid() != self.pid:
                os._exit(0)
            self.send(reply)
            self.tags, self.keep = {}, []

    def answer(self, message):
        kind = message[0]
        if kind == "run":
            result = self.shell.run_cell(message[1], store_history=False)
            getattr(self.shell.history_manager, "outputs", {}).clear()
            error = result.error_before_exec or result.error_in_exec
            return ("ran", None if error is None else (type(error).__name__, _text(error), frames(error)))
        if kind == "setup":  # the names the set-up cells bound: the grader keeps its own
            self.setup_classes = {name: self.ns[name] for name in message[1] if isinstance(self.ns.get(name), type)}
            self.setup_values.update({name: self.ns[name] for name in message[2] if name in self.ns})
            return ("ok",)
        if kind == "sync":
            return ("synced", self.learner_names())
        if kind == "test":  # learner mode: the notebook's own test cells run here, beside the learner's code
            return ("tested", *self.run_test(message[1]))
        if kind == "call":
            return self.call(*message[1:])
        raise ValueError(f"unknown request {kind!r}")

    def run_test(self, source: str) -> tuple:
        """Run a test cell as the grader's judge would: (error or None, what it wrote to stderr, warnings included).

        The error is (name, message, frames of the NotImplementedError it came from, if any).
        """
        err = io.StringIO()

        def show(message, category, filename, lineno, file=None, line=None):
            err.write(warnings.formatwarning(message, category, filename, lineno, line))

        saved = sys.stderr
        with warnings.catch_warnings():
            warnings.resetwarnings()
            warnings.simplefilter("default")
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.simplefilter("ignore", category)
            warnings.showwarning = show
            sys.stderr = err
            try:
                result = self.shell.run_cell(source, store_history=False)
            finally:
                sys.stderr = saved
        getattr(self.shell.history_manager, "outputs", {}).clear()
        error = result.error_before_exec or result.error_in_exec
        if error is None:
            return None, err.getvalue()[:10000]
        cause, seen = error, 0
        while cause is not None and not isinstance(cause, NotImplementedError) and seen < 10:
            cause, seen = cause.__context__, seen + 1  # expect_call turns it into an AssertionError "from None"
        return (type(error).__name__, _text(error), frames(cause) if cause is not None else []), ""

    def learner_names(self) -> dict:
        """{name: parcel} for every name the learner's cells bound (each with a handle; the same object, the
        same handle), the pickles pieces of one stream with one memo (see the module docstring)."""
        names, room, buffer = {}, MAX_SYNC, Bounded()
        pickler = self.sync_pickler(buffer)
        bound = [(name, value) for name, value in list(self.ns.items())
                 if not (name in self.baseline or name.startswith("_") or isinstance(value, types.ModuleType)
                         or (name in self.setup_values and self.setup_values[name] is value))]  # set-up: the grader's
        # names bound since the last sync first: beyond MAX_NAMES or MAX_SYNC the others go as handles, and the
        # grader keeps the copies it has of those
        bound.sort(key=lambda item: self.last_sync.get(item[0], _NOTHING) is item[1])
        for name, value in bound:
            piece = self.dump_piece(pickler, buffer, value, min(MAX_VALUE, room)) if len(names) < MAX_NAMES else None
            room -= len(piece or b"")
            names[name] = ("parcel", self.handle(value), piece)
        self.last_sync = dict(bound)
        return names

    def call(self, handle, op, args, kwargs, filters):
        target = self.handles[handle]
        inputs = mutable_parts((args, kwargs), self.setup_classes)
        caught, stderr = [], io.StringIO()
        saved_stderr = sys.stderr
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.filters[:] = [_filter(*f) for f in filters]
                sys.stderr = stderr
                result = perform(target, op, args, kwargs)
        except BaseException as error:
            sys.stderr = saved_stderr
            return ("raise", type(error).__name__, _text(error), _warnings(caught), stderr.getvalue()[:10000],
                    frames(error))
        sys.stderr = saved_stderr
        self.tags = {id(item): index for index, item in enumerate(inputs)}  # cleared once the reply is sent
        self.keep = inputs
        after = self.pack([state_of(item) for item in inputs], "never")
        return ("result", self.pack(result), after, _warnings(caught), stderr.getvalue()[:10000])

    def callback(self, handle, args, kwargs):
        seq = self.seq
        self.send(("callback", handle, self.pack((args, kwargs), "never")))
        reply = self.serve()
        self.seq = seq
        if reply[0] == "return":
            return reply[1]
        raise builtin_exception(reply[1], reply[2])


def frames(error: BaseException) -> list:
    """[(function name, in a cell?)] of the traceback of `error`, outermost first (the innermost `MAX_FRAMES`).

    The name is the code's qualified name (``forward``, ``MLP.forward``, ``<module>`` for a cell's own code);
    "in a cell" tells the learner's and set-up cells' code from the libraries'.
    """
    found, tb = [], error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        found.append((str(getattr(code, "co_qualname", code.co_name))[:200], code.co_filename.startswith(CELL_FILE)))
        tb = tb.tb_next
    return found[-MAX_FRAMES:]


def _text(error: BaseException) -> str:
    try:
        text = str(error)
    except BaseException:  # an exception whose __str__ raises: the process must still answer
        return f"(a {type(error).__name__} whose message cannot be shown)"
    if type(text) is not str:
        return ""
    return text if len(text) <= 2000 else text[:2000] + "..."


def _filter(action, message, category, module, lineno):
    import re

    cls = getattr(builtins, str(category), Warning)
    if not (isinstance(cls, type) and issubclass(cls, Warning)):
        cls = Warning
    return (action, re.compile(message, re.I) if message else None, cls, re.compile(module) if module else None,
            lineno)


def _warnings(caught) -> list:
    return [(type(w.message).__name__ if isinstance(w.message, Warning) else w.category.__name__,
             _text(w.message) if isinstance(w.message, BaseException) else str(w.message)[:2000])
            for w in caught[:20]]


def main() -> None:
    rfd, wfd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)  # the learner's prints, from Python or C, go nowhere
    sys.stdout = sys.stderr = open(os.devnull, "w")
    worker = Worker(rfd, wfd)
    write_frame(wfd, worker.dumps(("ready",)))
    try:
        worker.serve()
    except EOFError:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
