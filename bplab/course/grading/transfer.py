"""Moving values between the submission's process and the grader: data by value, everything else as a handle.

The submission's process (`bplab.course.submission_worker`) sends each value as a *parcel*: its pickle
when it has one of a bounded size, and a handle number when it is not plain data (a function, a class,
an object of the learner's, a numpy Generator, a Counter, a Path, an open file...). The grader reads the
pickle with `DataUnpickler`, which accepts data only; when it refuses (or there is no pickle) it uses
the handle, as a `Remote`: calling it, reading its attributes or items, asks the submission's process.
So an object the grader does not accept never ends the conversation: it stays in the learner's process,
where it works as in one kernel.

`DataUnpickler` is the whole of what a reply can make the grader do: call the rebuilders of numpy and
Python data, with bounded sizes, and fill in objects it created itself. A forged reply (the learner's
code can replace its end of the pipe) that names anything else, claims to be a Counter, a Path, a
partial of ``os.system``, or rebuilds a numpy Generator from something that is not a bit generator, is
refused, and the grader falls back to the handle (or, with none, fails that one test).
"""

from __future__ import annotations

import pickle
import sys
import warnings

from bplab.course.submission_worker import MAX_FRAME, RECONSTRUCTORS

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


class DataUnpickler(pickle._Unpickler):
    """The grader's reader of the submission's replies: data only, built only the ways pickle builds data.

    The C unpickler would let a forged reply call any accepted class with any arguments (``bytearray(2**33)``,
    ``list(range(10**9))``: gigabytes from a 40-byte reply, in the grader) and set attributes on any object
    it can name (BUILD on a class: ``bplab.layers.Layer.forward = None`` in the grader, for every later
    notebook of the batch). Here REDUCE calls only the rebuilders of numpy data and builtin value types
    with bounded arguments, NEWOBJ only creates empty instances, and BUILD, APPEND(S), SETITEM(S) and
    ADDITEMS only fill an object this same reply created (never a test's own argument, nor a handle, which
    would make the grader ask the submission in the middle of reading its reply).

    The pieces of one sync share a memo and the record of what they created (`share`): a later piece may
    name an object of an earlier one, as pickle does within one pickle.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file):
        super().__init__(file)
        self._made: dict[int, object] = {}

    def share(self, other: DataUnpickler) -> None:
        """Read on from where `other` stopped: its memo and the objects it created."""
        self.memo, self._made = other.memo, other._made

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
            if func.__name__ in ("set", "frozenset") and len(args) == 1 and type(args[0]) is list:
                return  # protocol 3's set: from a list the reply already holds (no more items than it)
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

    def _own(self, obj) -> None:
        if self._made.get(id(obj)) is not obj:
            raise pickle.UnpicklingError("a reply may only fill in objects it created")

    def _below_mark(self):
        if not (self.metastack and self.metastack[-1]):
            raise pickle.UnpicklingError("nothing to fill in")
        return self.metastack[-1][-1]

    def load_append(self):
        if len(self.stack) < 2:
            raise pickle.UnpicklingError("nothing to fill in")
        self._own(self.stack[-2])
        super().load_append()

    def load_setitem(self):
        if len(self.stack) < 3:
            raise pickle.UnpicklingError("nothing to fill in")
        self._own(self.stack[-3])
        super().load_setitem()

    def load_appends(self):
        self._own(self._below_mark())
        super().load_appends()

    def load_setitems(self):
        self._own(self._below_mark())
        super().load_setitems()

    def load_additems(self):
        self._own(self._below_mark())
        super().load_additems()

    def load_empty_list(self):
        self.append(self._made_here([]))

    def load_empty_dictionary(self):
        self.append(self._made_here({}))

    def load_empty_set(self):
        self.append(self._made_here(set()))

    def load_list(self):
        super().load_list()
        self._made_here(self.stack[-1])

    def load_dict(self):
        super().load_dict()
        self._made_here(self.stack[-1])

    def load_refused(self):
        raise pickle.UnpicklingError("an old pickle opcode the grader does not accept")

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build
    for _opcode, _load in [(pickle.APPEND, load_append), (pickle.APPENDS, load_appends), (pickle.SETITEM, load_setitem),
                           (pickle.SETITEMS, load_setitems), (pickle.ADDITEMS, load_additems),
                           (pickle.EMPTY_LIST, load_empty_list), (pickle.EMPTY_DICT, load_empty_dictionary),
                           (pickle.EMPTY_SET, load_empty_set), (pickle.LIST, load_list), (pickle.DICT, load_dict)]:
        dispatch[_opcode[0]] = _load
    del _opcode, _load
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


def copy_back(originals: list, after) -> None:
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


def show_output(caught, stderr) -> None:
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


_DataUnpickler = DataUnpickler  # the name issue 13's tests know it by


def refused_value(error: BaseException | None) -> TypeError:
    """The error a test gets for a value of the submission that is neither accepted data nor a handle."""
    why = f" ({error})" if error else ""
    return TypeError("the submission's value could not be read by the grader: it is not data (numbers, strings, "
                     f"arrays and containers of them){why}")
