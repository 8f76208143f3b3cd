"""Self-checks: friendly feedback on a learner's answer that never reveals the answer.

Each notebook's "check yourself" questions live in ``bplab/course/questions/NN.json``;
``check("01.q1", answer)`` looks up question ``q1`` of notebook 01. A question is one of:

- ``{"kind": "number", "answer": 0.25, "rtol": 1e-6, "atol": 1e-9, "hint": "..."}``
- ``{"kind": "choice", "answer": "b", "options": ["a", "b", "c"], "hint": "..."}``
- ``{"kind": "function", "reference": "bplab.functions:sigmoid", "inputs": [[0.0], [2.0]], "hint": "..."}``
  (the learner's function is called on each input list and compared with the reference)

The second half holds the assertion helpers of the exercise sets' test cells (`expect`,
`expect_close`, `expect_number`, `expect_shape`, `expect_in_range`, `expect_function`,
`expect_gradient`): each raises AssertionError with one line a learner can act on (what kind and
shape of value was expected, a hint), never the expected value itself.

Used in: every notebook's "check yourself" section; the test cells of solutions/ and exercises/.
"""

from __future__ import annotations

import importlib
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from bplab.gradcheck import numerical_gradient

QUESTIONS = Path(__file__).parent / "questions"
RIGHT, WRONG, NOT_ATTEMPTED = "right", "wrong", "not attempted"
_ICONS = {RIGHT: "✅", WRONG: "❌", NOT_ATTEMPTED: "✏️"}


@dataclass(frozen=True)
class Feedback:
    """The outcome of a check: `status` is "right", "wrong" or "not attempted"."""

    question: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == RIGHT

    def __str__(self) -> str:
        return f"{_ICONS[self.status]} {self.question}: {self.message}"

    def _repr_markdown_(self) -> str:
        return str(self)

    __repr__ = __str__


@cache
def _load(notebook: str) -> dict:
    path = QUESTIONS / f"{notebook}.json"
    if not path.exists():
        raise ValueError(f"no self-check questions for notebook {notebook!r} (looked for {path.name})")
    return json.loads(path.read_text())


def question(question_id: str) -> dict:
    """The stored question for an id such as ``"01.q1"``."""
    if not isinstance(question_id, str) or "." not in question_id:
        raise ValueError(f"question_id must look like '01.q1', got {question_id!r}")
    notebook, key = question_id.split(".", 1)
    questions = _load(notebook)
    if key not in questions:
        raise ValueError(f"notebook {notebook} has no question {key!r}; it has {sorted(questions)}")
    return questions[key]


_KEYS = {
    "number": ({"kind", "answer", "hint"}, {"rtol", "atol"}),
    "choice": ({"kind", "answer", "options", "hint"}, set()),
    "function": ({"kind", "reference", "inputs", "hint"}, {"rtol", "atol"}),
}


def _finite_numbers(value) -> bool:
    if isinstance(value, list):
        return len(value) > 0 and all(_finite_numbers(v) for v in value)
    return is_finite_number(value)


def question_problems(spec) -> list[str]:
    """What is wrong with a stored question (see the module docstring); [] when it is well-formed.

    Used in: tests/test_checks.py, which checks every bplab/course/questions/*.json.
    """
    if not isinstance(spec, dict):
        return [f"a question must be a JSON object, got {type(spec).__name__}"]
    kind = spec.get("kind")
    if kind not in _KEYS:
        return [f"kind must be one of {sorted(_KEYS)}, got {kind!r}"]
    required, optional = _KEYS[kind]
    problems = [f"missing key {key!r}" for key in sorted(required - set(spec))]
    problems += [f"unknown key {key!r} (a typo?)" for key in sorted(set(spec) - required - optional)]
    if not isinstance(spec.get("hint", ""), str) or not spec.get("hint", "").strip():
        problems.append("hint must be a non-empty string")
    for key in ("rtol", "atol"):
        if key in spec and not (is_finite_number(spec[key]) and spec[key] >= 0):
            problems.append(f"{key} must be a number >= 0, got {spec[key]!r}")
    if kind == "number" and "answer" in spec and not _finite_numbers(spec["answer"]):
        problems.append(f"answer must be a finite number or a list of them, got {spec['answer']!r}")
    if kind == "choice" and "options" in spec:
        options = spec["options"]
        if not (isinstance(options, list) and len(options) >= 2 and all(isinstance(o, str) for o in options)):
            problems.append("options must be a list of at least two strings")
        elif len(set(options)) != len(options):
            problems.append("options must be different from each other")
        elif spec.get("answer") not in options:
            problems.append("answer must be one of the options")
    if kind == "function":
        reference = spec.get("reference", "")
        try:
            module, name = reference.split(":")
            if not callable(getattr(importlib.import_module(module), name)):
                raise TypeError
        except Exception:
            problems.append(f"reference must name a function as 'package.module:name', got {reference!r}")
        inputs = spec.get("inputs")
        if not (isinstance(inputs, list) and inputs and all(isinstance(i, list) for i in inputs)):
            problems.append("inputs must be a non-empty list of argument lists")
    return problems


def _attempted(answer) -> bool:
    return answer is not None and answer is not Ellipsis


def _close(got, expected, rtol: float, atol: float) -> bool:
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=float)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def check(question_id: str, answer) -> Feedback:
    """Check `answer` to a notebook question; print-friendly, never reveals the expected answer.

    Parameters
    ----------
    question_id : str
        Notebook number and question key, e.g. ``"01.q1"``.
    answer : number, str, array or callable
        Your answer; ``None`` or ``...`` means "not attempted yet".

    Returns
    -------
    Feedback
        Truthy when right; shows as a one-line message in a notebook.
    """
    spec = question(question_id)
    hint = spec.get("hint", "")
    if not _attempted(answer):
        return Feedback(question_id, NOT_ATTEMPTED, "replace None with your answer and run the cell again.")
    kind = spec["kind"]
    if kind == "number":
        if isinstance(answer, (str, bytes)) or callable(answer):
            return Feedback(question_id, WRONG, f"expected a number, got {_describe(answer)}. {hint}")
        ok = _close(answer, spec["answer"], spec.get("rtol", 1e-6), spec.get("atol", 1e-9))
    elif kind == "choice":
        options = spec["options"]
        if answer not in options:
            return Feedback(question_id, WRONG, f"answer with one of {options}, got {answer!r}.")
        ok = answer == spec["answer"]
    elif kind == "function":
        if not callable(answer):
            return Feedback(question_id, WRONG, f"expected a function, got {_describe(answer)}.")
        module, name = spec["reference"].split(":")
        reference = getattr(importlib.import_module(module), name)
        ok = True
        for args in spec["inputs"]:
            try:
                got = answer(*[np.asarray(a, dtype=float) if isinstance(a, list) else a for a in args])
            except NotImplementedError:
                return Feedback(question_id, NOT_ATTEMPTED, "the function still raises NotImplementedError.")
            except Exception as error:  # a learner's bug: report it, do not crash the notebook
                return Feedback(question_id, WRONG, f"your function raised {type(error).__name__}: {error}. {hint}")
            expected = reference(*[np.asarray(a, dtype=float) if isinstance(a, list) else a for a in args])
            if not _close(got, expected, spec.get("rtol", 1e-6), spec.get("atol", 1e-9)):
                ok = False
                break
    else:
        raise ValueError(f"question {question_id} has unknown kind {kind!r}")
    if ok:
        return Feedback(question_id, RIGHT, "right!")
    return Feedback(question_id, WRONG, f"not quite. {hint}".strip())


def is_finite_number(x) -> bool:
    """True for a real, finite number (not a bool, not a string)."""
    return isinstance(x, (int, float, np.number)) and not isinstance(x, bool) and math.isfinite(float(x))


# ---------------------------------------------------------------------------
# Assertion helpers for the test cells of the exercise sets (solutions/, exercises/).
# Each raises AssertionError with one friendly line: what was expected in kind and
# shape, what came, and a hint; never the expected value itself.
# ---------------------------------------------------------------------------

_NOT_DONE = "still raises NotImplementedError: replace `raise NotImplementedError()` with your code"


def _fail(message: str, hint: str = "") -> None:
    hint = hint.strip()
    raise AssertionError(f"{message} Hint: {hint}" if hint else message) from None


def _kind(value) -> str:
    """A short description of a value that never prints the value of an array."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"the number {float(value):.6g}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if callable(value):
        return f"the function {getattr(value, '__name__', type(value).__name__)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def _as_float_array(value):
    """`value` as a float array, or None when it is not numeric (None, str, dict, function...)."""
    if value is None or value is Ellipsis or isinstance(value, (str, bytes, dict)) or callable(value):
        return None
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def _compare(name: str, got, expected, rtol: float, atol: float, values: bool = True) -> str | None:
    """The reason `got` differs from `expected` (kind, shape, NaN, value), or None when close.

    With ``values=False`` only kind, shape and finiteness are compared.
    """
    if isinstance(expected, (tuple, list)) and not _is_numeric_sequence(expected):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{name} should be a tuple of {len(expected)} values, got {_kind(got)}."
        for index, (g, e) in enumerate(zip(got, expected)):
            problem = _compare(f"{name}[{index}]", g, e, rtol, atol, values)
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{name} should be a dict with keys {sorted(expected)}, got {_kind(got)}."
        if sorted(got) != sorted(expected):
            return f"{name} should have the keys {sorted(expected)}, got {sorted(got)}."
        for key in sorted(expected):
            problem = _compare(f"{name}[{key!r}]", got[key], expected[key], rtol, atol, values)
            if problem:
                return problem
        return None
    expected = np.asarray(expected, dtype=float)
    if got is None or got is Ellipsis:
        return f"{name} is still None: replace it with your answer."
    if isinstance(got, bool):
        return f"{name} should be a number or an array, got a bool."
    array = _as_float_array(got)
    if array is None:
        wanted = "a number" if expected.ndim == 0 else f"an array of shape {expected.shape}"
        return f"{name} should be {wanted}, got {_kind(got)}."
    if expected.ndim == 0 and array.ndim != 0:
        if array.size == 1:
            return f"{name} should be a single number, got {_kind(array)}: use float(...) or .item()."
        return f"{name} should be a single number, got {_kind(array)}."
    if array.shape != expected.shape:
        transposed = array.ndim == 2 and array.shape == expected.shape[::-1]
        return (
            f"{name} should have shape {expected.shape}, got shape {array.shape}"
            + (" (transposed?)." if transposed else ".")
        )
    if not np.all(np.isfinite(array)):
        return f"{name} contains NaN or inf: look for an overflow (exp of a large number) or a division by zero."
    if not values:
        return None
    close = np.isclose(array, expected, rtol=rtol, atol=atol)
    if not np.all(close):
        if array.ndim == 0:
            return f"{name} is not right yet."
        return f"{name} is not right yet: {int(close.size - close.sum())} of {close.size} entries differ."
    return None


def _is_numeric_sequence(value) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in value)


def expect(condition, message: str, hint: str = "") -> None:
    """Raise AssertionError(`message` + hint) unless `condition` is true.

    Parameters
    ----------
    condition : bool
        What must hold.
    message : str
        What went wrong, in the learner's words, e.g. ``"losses should go down during training."``.
    hint : str, optional
        A pointer towards a fix.
    """
    if not condition:
        _fail(message, hint)


def expect_close(name: str, got, expected, hint: str = "", rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Check that `got` is close to `expected`; the message tells kind and shape, never the value.

    Parameters
    ----------
    name : str
        How the learner calls the value, e.g. ``"dW"`` or ``"sigmoid_derivative(z)"``.
    got : number, array, tuple or dict
        The learner's value. Tuples and dicts are compared element by element.
    expected : number, array, tuple or dict
        The right value (never shown).
    hint : str, optional
        Added to the message when the value is wrong.
    rtol, atol : float
        Tolerances of ``np.isclose``.

    Raises
    ------
    AssertionError
        E.g. ``"dW should have shape (3, 2), got shape (2, 3) (transposed?)."``.
    """
    problem = _compare(name, got, expected, rtol, atol)
    if problem:
        _fail(problem, hint)


def expect_shape(name: str, got, shape: tuple) -> None:
    """Check that `got` is an array of `shape`; ``None`` in `shape` accepts any size on that axis.

    Parameters
    ----------
    name : str
        How the learner calls the array.
    got : array
        The learner's array.
    shape : tuple of int or None
        The expected shape, e.g. ``(None, 10)``.
    """
    array = _as_float_array(got)
    shown = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    if array is None:
        _fail(f"{name} should be an array of shape {shown}, got {_kind(got)}.")
    if array.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, array.shape)):
        _fail(f"{name} should have shape {shown}, got shape {array.shape}.")


def expect_number(name: str, got, hint: str = "") -> None:
    """Check that `got` is a single finite real number (int, float or numpy scalar, not a bool)."""
    problem = _compare(name, got, 0.0, rtol=0.0, atol=0.0, values=False)
    if problem:
        _fail(problem, hint)


def expect_in_range(name: str, got, low: float | None = None, high: float | None = None, hint: str = "") -> None:
    """Check that the number `got` lies in ``[low, high]`` (a target, such as an accuracy to reach).

    The bounds are targets, not answers, so the message shows them and the learner's value.
    """
    if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
        array = _as_float_array(got)
        if array is None or array.ndim != 0:
            _fail(f"{name} should be a single number, got {_kind(got)}.", hint)
        got = float(array)
    if not math.isfinite(float(got)):
        _fail(f"{name} is {float(got)}: it should be a finite number.", hint)
    if low is not None and got < low:
        _fail(f"{name} is {float(got):.4g}; it should be at least {low:g}.", hint)
    if high is not None and got > high:
        _fail(f"{name} is {float(got):.4g}; it should be at most {high:g}.", hint)


def _describe_args(args: tuple) -> str:
    parts = []
    for arg in args:
        if isinstance(arg, (int, float, np.integer, np.floating)) and not isinstance(arg, bool):
            parts.append(f"{arg!r}" if isinstance(arg, (int, np.integer)) else f"{float(arg):.6g}")
        elif isinstance(arg, str):
            parts.append(repr(arg))
        else:
            parts.append(_kind(arg).replace("the function ", "").replace("the number ", ""))
    return ", ".join(parts)


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _unchanged(before, after) -> bool:
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(before, after)
    if isinstance(before, (list, tuple)):
        return len(before) == len(after) and all(_unchanged(b, a) for b, a in zip(before, after))
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_unchanged(before[k], after[k]) for k in before)
    return True


def expect_function(fn, reference, cases, hint: str = "", name: str | None = None,
                    rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Call `fn` and `reference` on each case and compare; tell which input failed, never the output.

    Parameters
    ----------
    fn : callable
        The learner's function.
    reference : callable
        A correct implementation (never shown).
    cases : list of tuple
        Argument tuples, e.g. ``[(np.array([0.0, 2.0]),), (np.zeros((2, 3)),)]``; a non-tuple
        case is a single argument.
    hint : str, optional
        Added to the message when an output is wrong.
    name : str, optional
        Shown in messages; defaults to ``fn.__name__``.
    rtol, atol : float
        Tolerances of ``np.isclose``.

    Raises
    ------
    AssertionError
        When `fn` is not a function, still raises NotImplementedError, raises another error,
        modifies its inputs in place, or returns a value of the wrong kind, shape or value.
    """
    name = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        _fail(f"{name} should be a function, got {_kind(fn)}.")
    for case in cases:
        args = case if isinstance(case, tuple) else (case,)
        call = f"{name}({_describe_args(args)})"
        mine = _copy(args)
        try:
            got = fn(*mine)
        except NotImplementedError:
            _fail(f"{name} {_NOT_DONE}.")
        except Exception as error:  # a learner's bug: report it in one line
            first = str(error).splitlines()[0] if str(error) else ""
            _fail(f"{call} raised {type(error).__name__}: {first}".rstrip(": ") + ".", hint)
        if not _unchanged(args, mine):
            _fail(f"{call} changed its input arrays in place: work on a copy (e.g. x.copy()) instead.")
        expected = reference(*_copy(args))
        problem = _compare(call, got, expected, rtol, atol)
        if problem:
            _fail(problem, hint)


def _numerical_gradient(f, x, h: float) -> np.ndarray | float:
    """Central differences of the scalar function `f` at `x` (a float or an array, float64)."""
    if np.ndim(x) == 0:
        return float(numerical_gradient(lambda v: f(float(v[0])), np.array([float(x)]), h)[0])
    return numerical_gradient(f, np.array(x, dtype=float), h)


def expect_gradient(name: str, got, f, x, hint: str = "", h: float = 1e-5, tol: float = 1e-6,
                    atol: float = 1e-8) -> None:
    """Check an analytic gradient against central differences of `f` at `x`.

    Parameters
    ----------
    name : str
        How the learner calls the gradient, e.g. ``"dW"``.
    got : float or array
        The learner's gradient, same shape as `x`.
    f : callable
        ``f(x) -> float``: the function whose gradient `got` should be.
    x : float or array
        The point; not modified.
    hint : str, optional
        Added to the message when the gradient is wrong.
    h : float
        Step of the central differences.
    tol : float
        Largest accepted relative error ``|a-b| / max(1e-8, |a|+|b|)`` of an entry ...
    atol : float
        ... unless ``|a-b| <= atol`` (a gradient of exactly 0 against a numerical one of 1e-10).
    """
    numeric = _numerical_gradient(f, x, h)
    problem = _compare(name, got, numeric, rtol=0.0, atol=0.0, values=False)
    if problem:
        _fail(problem, hint)
    got = np.asarray(got, dtype=float)
    diff = np.abs(got - numeric)
    relative = diff / np.maximum(1e-8, np.abs(got) + np.abs(numeric))
    error = float(np.max(np.where(diff <= atol, 0.0, relative)))
    if error > tol:
        _fail(
            f"{name} does not match the numerical gradient (relative error {error:.1e}; below {tol:.0e} passes).",
            hint,
        )
