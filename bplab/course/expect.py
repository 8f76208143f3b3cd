"""The assertion helpers of the exercise sets' test cells: one line a learner can act on, never the answer.

Each helper raises AssertionError with one message: what was expected in kind and shape, what came, and the
likely cause, in whole sentences, never the expected value itself. A message that names a known mistake ends
with its id, e.g. ``[mistake: summed-not-averaged]``; `bplab grade` reports that id per question (its CSV and
class report), so an instructor sees which mistakes were common.

**Mistake catalogs.** A test names the common wrong answers of a question as `Mistake`s: an id, the value
that mistake gives (computed in the test from reference code with the mistake put in), and its likely cause
as a question to the learner::

    expect_close("loss", loss, reference_loss, mistakes=[
        Mistake("summed-not-averaged", reference_loss * N, "summed over the examples instead of averaged?"),
    ])

When the learner's value is wrong and matches a mistake's value, the message names that cause. Mistakes
every question can make are recognized without a catalog: a shape that is transposed, a single number
wrapped in an array of shape (1,), NaN or inf, a value off by a whole factor (``N`` times) or by its sign.

The test cells import these names from `bplab.course.checks` (kept there for nbgrader's and old notebooks'
sake); they live here so that self-checks and test helpers each have one home.

Used in: the test cells of solutions/ and exercises/.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from bplab.gradcheck import numerical_gradient

MISTAKE = re.compile(r"\[mistake: ([a-z0-9][a-z0-9.-]*)\]\s*$")
_NOT_DONE = "is not attempted yet: it still raises NotImplementedError (write your code in place of it)"
_MATH_ON_ARRAY = "converted to Python scalars"  # math.cos(array): "only 0-dimensional arrays can be converted..."


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer to a question.

    Parameters
    ----------
    id : str
        Stable and short, lower case with dashes: ``"summed-not-averaged"``; shown in the message and in
        the grader's reports.
    value : any
        What a learner who made this mistake gets: a number, array, tuple or dict like the right answer
        (for `expect_function`, a function of the case's arguments that returns it).
    message : str
        The likely cause in the learner's words, without the answer: ``"summed instead of averaged?"``.
    """

    id: str
    value: Any
    message: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", self.id):
            raise ValueError(f"a mistake id is lower case with dashes, like 'summed-not-averaged', got {self.id!r}")


def mistake_of(message: str) -> str | None:
    """The mistake id a failure message ends with (``[mistake: id]``), else None.

    Used in: `bplab grade` (the CSV's mistake column, the class report).
    """
    found = MISTAKE.search(str(message))
    return found.group(1) if found else None


def _fail(message: str, hint: str = "", mistake: str | None = None) -> None:
    hint = hint.strip()
    text = f"{message} Hint: {hint}" if hint else message
    raise AssertionError(f"{text} [mistake: {mistake}]" if mistake else text) from None


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


def _is_numeric_sequence(value) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in value)


def _whole_factor(array: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str | None:
    """'-1', 'k' or '1/k' when `array` is a whole multiple (2..1000) of `expected`, or its negative; else None.

    Only for two or more nonzero entries: one number is a whole multiple of another by chance too often.
    """
    nonzero = np.abs(expected) > max(atol, 1e-12)
    if np.count_nonzero(nonzero) < 2:
        return None
    ratios = array[nonzero] / expected[nonzero]
    ratio = float(np.median(ratios))
    if not np.isfinite(ratio) or ratio == 0 or not np.allclose(array, ratio * expected, rtol=max(rtol, 1e-6),
                                                               atol=atol):
        return None
    if abs(ratio + 1) < 1e-6:
        return "-1"
    for value, shown in ((abs(ratio), "{k}"), (1 / abs(ratio), "1/{k}")):
        k = round(value)
        if 2 <= k <= 1000 and abs(value - k) < 1e-6 * k:
            return ("-" if ratio < 0 else "") + shown.format(k=k)
    return None


def _structure(name: str, got, expected) -> tuple[str, str] | None:
    """(message, mistake id) when `got` is not even of the kind and shape of `expected`, else None."""
    if isinstance(expected, (tuple, list)) and not _is_numeric_sequence(expected):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return (f"{name} should be a tuple of {len(expected)} values (a list is fine too), got {_kind(got)}.",
                    "wrong-type")
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{name} should be a dict with keys {sorted(expected)}, got {_kind(got)}.", "wrong-type"
        if sorted(got, key=str) != sorted(expected, key=str):
            return f"{name} should have the keys {sorted(expected)}, got {sorted(got, key=str)}.", "wrong-keys"
        return None
    expected = np.asarray(expected, dtype=float)
    if got is None or got is Ellipsis:
        return f"{name} is still None: replace it with your answer.", "missing"
    if isinstance(got, bool):
        return f"{name} should be a number or an array, got a bool.", "wrong-type"
    array = _as_float_array(got)
    if array is None:
        wanted = "a number" if expected.ndim == 0 else f"an array of shape {expected.shape}"
        return f"{name} should be {wanted}, got {_kind(got)}.", "wrong-type"
    if expected.ndim == 0 and array.ndim != 0:
        if array.size == 1:
            return (f"{name} should be a single number, got {_kind(array)}: use float(...) or .item().",
                    "array-not-number")
        return f"{name} should be a single number, got {_kind(array)}.", "wrong-shape"
    if array.shape != expected.shape:
        if array.ndim == 2 and array.shape == expected.shape[::-1] and array.shape[0] != array.shape[1]:
            return f"{name} should have shape {expected.shape}, got shape {array.shape} (transposed?).", "transposed"
        if array.size == expected.size:
            return (f"{name} should have shape {expected.shape}, got shape {array.shape}: the right number of "
                    "entries in another shape (a reshape or a missing keepdims?).", "wrong-shape")
        return f"{name} should have shape {expected.shape}, got shape {array.shape}.", "wrong-shape"
    if not np.all(np.isfinite(array)):
        return (f"{name} contains NaN or inf: look for an overflow (exp of a large number) or a division by zero.",
                "not-finite")
    return None


def _close(got, expected, rtol: float, atol: float) -> bool:
    """True when `got` has the kind and shape of `expected` and every entry is close."""
    if isinstance(expected, (tuple, list)) and not _is_numeric_sequence(expected):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_close(g, e, rtol, atol) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and sorted(got, key=str) == sorted(expected, key=str)
                and all(_close(got[k], expected[k], rtol, atol) for k in expected))
    if _structure("", got, expected) is not None:
        return False
    return bool(np.all(np.isclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol,
                                  atol=atol)))


def diagnose(name: str, got, expected, rtol: float = 1e-6, atol: float = 1e-9,
             mistakes=()) -> tuple[str, str | None] | None:
    """Why `got` differs from `expected`, as (message, mistake id); None when it is close.

    The message says what kind, shape or cause, never the expected value. Catalog `mistakes` are tried
    before the generic causes (a whole factor, a sign).

    Used in: the helpers below, and test cells that judge a value in their own way.
    """
    if isinstance(expected, (tuple, list)) and not _is_numeric_sequence(expected) or isinstance(expected, dict):
        problem = _structure(name, got, expected)
        if problem:
            return problem
        keys = sorted(expected, key=str) if isinstance(expected, dict) else range(len(expected))
        if not _close(got, expected, rtol, atol):
            for mistake in mistakes:
                if _close(got, mistake.value, rtol, atol):
                    return f"{name} is not right yet: {mistake.message}", mistake.id
        for key in keys:
            label = f"{name}[{key!r}]" if isinstance(expected, dict) else f"{name}[{key}]"
            problem = diagnose(label, got[key], expected[key], rtol, atol)
            if problem:
                return problem
        return None
    problem = _structure(name, got, expected)
    if problem:
        return problem
    array, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    close = np.isclose(array, expected, rtol=rtol, atol=atol)
    if np.all(close):
        return None
    for mistake in mistakes:
        if _close(got, mistake.value, rtol, atol):
            return f"{name} is not right yet: {mistake.message}", mistake.id
    factor = _whole_factor(array, expected, rtol, atol)
    if factor == "-1":
        return f"{name} is not right yet: it has the wrong sign everywhere (a sign of a step or a derivative?).", "sign"
    if factor:
        return (f"{name} is not right yet: it is {factor} times the right value everywhere (a sum where a mean "
                "belongs, or the reverse, or a missing or extra factor?)."), "scaled"
    if array.ndim == 0:
        return f"{name} is not right yet.", "wrong-value"
    return f"{name} is not right yet: {int(close.size - close.sum())} of {close.size} entries differ.", "wrong-value"


def expect(condition, message: str, hint: str = "", mistake: str | None = None) -> None:
    """Raise AssertionError(`message` + hint) unless `condition` is true.

    Parameters
    ----------
    condition : bool
        What must hold.
    message : str
        What went wrong, in the learner's words, e.g. ``"losses should go down during training."``.
    hint : str, optional
        A pointer towards a fix.
    mistake : str, optional
        The id of the mistake this failure means, shown as ``[mistake: id]``.
    """
    if not condition:
        _fail(message, hint, mistake)


def expect_close(name: str, got, expected, hint: str = "", rtol: float = 1e-6, atol: float = 1e-9,
                 mistakes=()) -> None:
    """Check that `got` is close to `expected`; the message tells kind, shape and likely cause, never the value.

    Parameters
    ----------
    name : str
        How the learner calls the value, e.g. ``"dW"`` or ``"sigmoid_derivative(z)"``.
    got : number, array, tuple, list or dict
        The learner's value. Tuples, lists and dicts are compared element by element (a list is accepted
        where a tuple is expected).
    expected : number, array, tuple or dict
        The right value (never shown).
    hint : str, optional
        Added to the message when the value is wrong and no known mistake explains it.
    rtol, atol : float
        Tolerances of ``np.isclose``.
    mistakes : list of Mistake, optional
        Common wrong answers of this question (see the module docstring).

    Raises
    ------
    AssertionError
        E.g. ``"dW should have shape (3, 2), got shape (2, 3) (transposed?). [mistake: transposed]"``.
    """
    problem = diagnose(name, got, expected, rtol, atol, mistakes)
    if problem:
        message, mistake = problem
        known = mistake in {m.id for m in mistakes}
        _fail(message, "" if known else hint, mistake)


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
        _fail(f"{name} should be an array of shape {shown}, got {_kind(got)}.", mistake="wrong-type")
    if array.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, array.shape)):
        transposed = array.ndim == 2 == len(shape) and all(
            s is None or s == a for s, a in zip(shape, array.shape[::-1])) and array.shape[0] != array.shape[1]
        _fail(f"{name} should have shape {shown}, got shape {array.shape}" + (" (transposed?)." if transposed else "."),
              mistake="transposed" if transposed else "wrong-shape")


def expect_number(name: str, got, hint: str = "") -> None:
    """Check that `got` is a single finite real number (int, float or numpy scalar, not a bool)."""
    problem = _structure(name, got, 0.0)
    if problem:
        _fail(problem[0], hint, problem[1])


def expect_in_range(name: str, got, low: float | None = None, high: float | None = None, hint: str = "",
                    mistake: str = "out-of-range") -> None:
    """Check that the number `got` lies in ``[low, high]`` (a target, such as an accuracy to reach).

    The bounds are targets, not answers, so the message shows them and the learner's value.
    """
    if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
        array = _as_float_array(got)
        if array is None or array.ndim != 0:
            kind = "array-not-number" if array is not None and array.size == 1 else "wrong-type"
            extra = ": use float(...) or .item()" if kind == "array-not-number" else ""
            _fail(f"{name} should be a single number, got {_kind(got)}{extra}.", hint, kind)
        got = float(array)
    if not math.isfinite(float(got)):
        _fail(f"{name} is {float(got)}: it should be a finite number.", hint, "not-finite")
    if low is not None and got < low:
        _fail(f"{name} is {float(got):.4g}; it should be at least {low:g}.", hint, mistake)
    if high is not None and got > high:
        _fail(f"{name} is {float(got):.4g}; it should be at most {high:g}.", hint, mistake)


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


def _first_sentence(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def _raised(call: str, error: BaseException, hint: str = "") -> None:
    """Fail with one line for an error a learner's function raised (never a bare traceback)."""
    if isinstance(error, TypeError) and _MATH_ON_ARRAY in str(error):
        _fail(f"{call} raised TypeError: math.cos, math.exp... take one number; np.cos, np.exp... work on arrays.",
              mistake="math-on-array")
    _fail(f"{call} raised {type(error).__name__}: {_first_sentence(error)}".rstrip(": ") + ".", hint, "raised")


def expect_call(call: str, fn, *args, hint: str = "", **kwargs):
    """The learner's ``fn(*args, **kwargs)``, called by a test: an error it raises becomes one message.

    Parameters
    ----------
    call : str
        How the call reads in messages, e.g. ``"dfdx(x)"``.
    fn : callable
        The learner's function.
    *args, **kwargs
        Its arguments.
    hint : str, optional
        Added to the message when the error it raised is not a recognized one.

    Returns
    -------
    any
        What `fn` returned.

    Raises
    ------
    AssertionError
        When `fn` is not a function, still raises NotImplementedError (``[mistake: not-attempted]``) or raises
        another error: one line naming the call and the error; a function of the math module given an array
        is recognized (``[mistake: math-on-array]``).
    """
    if not callable(fn):
        _fail(f"{call.split('(')[0]} should be a function, got {_kind(fn)}.", mistake="wrong-type")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        _fail(f"{call.split('(')[0]} {_NOT_DONE}.", mistake="not-attempted")
    except Exception as error:  # a learner's bug: report it in one line
        _raised(call, error, hint)


def expect_function(fn, reference, cases, hint: str = "", name: str | None = None,
                    rtol: float = 1e-6, atol: float = 1e-9, mistakes=()) -> None:
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
        Added to the message when an output is wrong and no known mistake explains it.
    name : str, optional
        Shown in messages; defaults to ``fn.__name__``.
    rtol, atol : float
        Tolerances of ``np.isclose``.
    mistakes : list of Mistake, optional
        Common wrong versions: each `value` is a function of the case's arguments.

    Raises
    ------
    AssertionError
        When `fn` is not a function, still raises NotImplementedError, raises another error,
        modifies its inputs in place, or returns a value of the wrong kind, shape or value.
    """
    name = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        _fail(f"{name} should be a function, got {_kind(fn)}.", mistake="wrong-type")
    for case in cases:
        args = case if isinstance(case, tuple) else (case,)
        call = f"{name}({_describe_args(args)})"
        mine = _copy(args)
        try:
            got = fn(*mine)
        except NotImplementedError:
            _fail(f"{name} {_NOT_DONE}.", mistake="not-attempted")
        except Exception as error:  # a learner's bug: report it in one line
            _raised(call, error, hint)
        if not _unchanged(args, mine):
            _fail(f"{call} changed its input arrays in place: work on a copy (e.g. x.copy()) instead.",
                  mistake="changed-input")
        expected = reference(*_copy(args))
        cased = [Mistake(m.id, m.value(*_copy(args)), m.message) for m in mistakes]
        expect_close(call, got, expected, hint, rtol, atol, cased)


def _numerical_gradient(f, x, h: float) -> np.ndarray | float:
    """Central differences of the scalar function `f` at `x` (a float or an array, float64)."""
    if np.ndim(x) == 0:
        return float(numerical_gradient(lambda v: f(float(v[0])), np.array([float(x)]), h)[0])
    return numerical_gradient(f, np.array(x, dtype=float), h)


def _gradient_error(got, numeric, atol: float) -> float:
    got = np.asarray(got, dtype=float)
    diff = np.abs(got - numeric)
    relative = diff / np.maximum(1e-8, np.abs(got) + np.abs(numeric))
    return float(np.max(np.where(diff <= atol, 0.0, relative)))


def expect_gradient(name: str, got, f, x, hint: str = "", h: float = 1e-5, tol: float = 1e-6,
                    atol: float = 1e-8, mistakes=()) -> None:
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
        Added to the message when the gradient is wrong and no known mistake explains it.
    h : float
        Step of the central differences.
    tol : float
        Largest accepted relative error ``|a-b| / max(1e-8, |a|+|b|)`` of an entry ...
    atol : float
        ... unless ``|a-b| <= atol`` (a gradient of exactly 0 against a numerical one of 1e-10).
    mistakes : list of Mistake, optional
        Common wrong gradients at `x` (arrays of the shape of `x`), tried when `got` does not match.
    """
    numeric = _numerical_gradient(f, x, h)
    problem = _structure(name, got, numeric)
    if problem:
        _fail(problem[0], hint, problem[1])
    error = _gradient_error(got, numeric, atol)
    if error <= tol:
        return
    for mistake in mistakes:
        if _structure("", got, mistake.value) is None and _gradient_error(got, mistake.value, atol) <= max(tol, 1e-6):
            _fail(f"{name} is not right yet: {mistake.message}", mistake=mistake.id)
    factor = _whole_factor(np.asarray(got, dtype=float), np.asarray(numeric, dtype=float), 1e-4, atol)
    if factor == "-1":
        _fail(f"{name} does not match the numerical gradient (relative error {error:.1e}): it has the wrong sign "
              "everywhere (the sign of a derivative?).", hint, "sign")
    if factor:
        _fail(f"{name} does not match the numerical gradient (relative error {error:.1e}): it is {factor} times it "
              "everywhere (a sum where a mean belongs, or the reverse, or a missing or extra factor?).", hint, "scaled")
    _fail(f"{name} does not match the numerical gradient (relative error {error:.1e}; below {tol:.0e} passes).",
          hint, "wrong-gradient")


def expect_tuple(name: str, got, names, shapes=None) -> None:
    """Check that `got` is a tuple (a list is fine too) of ``len(names)`` values, each of its shape.

    Parameters
    ----------
    name : str
        What returned it, e.g. ``"rnn_step_backward"``.
    got : any
        The learner's result.
    names : list of str
        The name of each value, e.g. ``["dx", "dW", "db"]``, used in the messages.
    shapes : list of tuple, optional
        The shape of each value (``None`` in a shape accepts any size on that axis; see `expect_shape`).
    """
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        _fail(f"{name} should return a tuple of {len(names)} values ({', '.join(names)}); a list is fine too. "
              f"Got {_kind(got)}.", mistake="wrong-type")
    for value_name, value, shape in zip(names, got, shapes or ()):
        expect_shape(value_name, value, shape)


def expect_no_mistake(name: str, got, expected, mistakes, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Fail with a catalog mistake's message when `got` is not `expected` but is that mistake's value; else pass.

    For a test that matches a whole result (a tuple of gradients) against its catalog first, then checks it
    piece by piece with `expect_close` and a name for each piece.

    Parameters
    ----------
    name : str
        How the learner calls the value.
    got, expected : number, array, tuple, list or dict
        The learner's value and the right one (never shown).
    mistakes : list of Mistake
        Common wrong values of the same kind as `expected`.
    rtol, atol : float
        Tolerances of ``np.isclose``.
    """
    if _close(got, expected, rtol, atol):
        return
    for mistake in mistakes:
        if _close(got, mistake.value, rtol, atol):
            _fail(f"{name} is not right yet: {mistake.message}", mistake=mistake.id)


def agrees(call, expected, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """True when ``call()`` runs without an error and gives a value close to `expected` (kind, shape, values).

    For a visible test that checks a later question only where the learner's earlier function is right
    (the grader's hidden tests judge the later one with the learner's own earlier function):
    ``if agrees(lambda: step(x0), expected_step): expect_close(...)``.
    """
    try:
        got = call()
    except Exception:  # a learner's bug, or a question not attempted yet
        return False
    return _close(got, expected, rtol, atol)


__all__ = ["Mistake", "mistake_of", "diagnose", "expect", "expect_close", "expect_shape", "expect_number",
           "expect_in_range", "expect_function", "expect_gradient", "expect_tuple", "expect_no_mistake", "agrees",
           "expect_call"]
