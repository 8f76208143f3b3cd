"""Self-checks: friendly feedback on a learner's answer that never reveals the answer.

Each notebook's "check yourself" questions live in ``bplab/course/questions/NN.json``;
``check("01.q1", answer)`` looks up question ``q1`` of notebook 01. A question is one of:

- ``{"kind": "number", "answer": 0.25, "hint": "..."}``, with optional keys (below): ``"digits"``,
  ``"exact"``, ``"at_most"`` or ``"at_least"`` with ``"limit_note"``. ``"answer"`` may be a list of numbers.
- ``{"kind": "choice", "answer": "b", "options": ["a", "b", "c"], "hint": "..."}``
- ``{"kind": "function", "reference": "bplab.functions:sigmoid", "inputs": [[0.0], [2.0]], "hint": "..."}``
  (the learner's function is called on each input list and compared with the reference, with optional
  ``"rtol"`` and ``"atol"``)

**How a number is judged.** A learner types a number; its *digits* are those of the shortest decimal that
gives back the same float (what Python prints): 0.107 has 3 significant digits, 1e-3 has 1, -1.8845 has 5,
30 and 30.0 have 1 (trailing zeros cannot be told apart from no zeros once typed). A value computed in code
(``2 * 1.5 * math.cos(2.25)``) has up to 17. Write ``round_k(a)`` for the answer rounded to k significant
digits, on its decimal digits, half up or half to even, and ``trunc_k(a)`` for it cut after k digits.

- **right**: the learner's number ``x`` agrees with the answer ``a`` to the question's ``digits`` (default 4):
  ``round_k(x) == round_k(a)`` for either rounding, or ``trunc_k(x) == trunc_k(a)``, with k = digits.
  So 0.1074 and 0.1073 are right for 0.1073741824, and so is any value computed in code that is that close.
  A question asks for more than 4 digits only if its notebook text says so (then ``"digits": 6``); it may ask
  for fewer where the text says so ("three decimals are enough").
- **close** ("close: give 4 significant digits"): not right, but right as far as its digits go: ``x`` equals
  ``round_n(a)`` or ``trunc_n(a)``, n being the number of significant digits ``x`` has. 0.107 and 0.1 are close
  for 0.1073741824; 0.108 is wrong. A close answer is not a misconception: it gets no concept hint, and its
  status stays "wrong".
- **wrong**: anything else, with the question's hint.

``"exact": true`` marks a count or a shape: only the exact integer is right (up to float rounding, a
relative 1e-9), and a rounded count (5.1e6 for 5120000) is close. An answer of 0 is right within 1e-9.

**Limits.** A question whose answer is a limit (the largest learning rate that does not diverge, the largest
factor a chain of layers can multiply by) states it: ``"at_most": x`` (or ``"at_least"``), usually the answer
itself, with ``"limit_note"``, a sentence saying why a value past it is wrong. Then no value past the limit is
right, however many digits agree (float noise aside: a relative 1e-9, ten digits): a right answer always has
the property the question names. A value past it that is right or close to its digits gets "close, but round
down, not up" and the note, never the concept hint.

The assertion helpers of the exercise sets' test cells (`expect`, `expect_close`, `expect_number`,
`expect_shape`, `expect_in_range`, `expect_function`, `expect_gradient`, `Mistake`) live in
`bplab.course.expect` and are imported from here by the test cells.

Used in: every notebook's "check yourself" section; the test cells of solutions/ and exercises/.
"""

from __future__ import annotations

import importlib
import json
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from functools import cache
from pathlib import Path

import numpy as np

# The test cells' helpers, imported from here by every exercise set: their home is bplab.course.expect.
from bplab.course.expect import (  # noqa: F401
    Mistake,
    diagnose,
    expect,
    expect_close,
    expect_function,
    expect_gradient,
    expect_in_range,
    expect_number,
    expect_shape,
    mistake_of,
)

QUESTIONS = Path(__file__).parent / "questions"
RIGHT, WRONG, NOT_ATTEMPTED = "right", "wrong", "not attempted"
_ICONS = {RIGHT: "✅", WRONG: "❌", NOT_ATTEMPTED: "✏️"}
DEFAULT_DIGITS = 4  # significant digits a number answer needs unless its question says otherwise
_LIMIT_NOISE = 1e-9  # relative float noise at a limit: 1 - 2/3 is 1 ulp above 1/3, a bisection lands 1e-12 off
_EXACT_NOISE = 1e-9  # relative float noise allowed on an exact answer, and the absolute one on an answer of 0


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


# --- numbers as typed: significant digits, rounding, agreement ------------------------------------

_MODES = (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN)  # the two roundings a learner may use, and truncation


def _decimal(x) -> Decimal:
    """`x` as a learner typed it: the shortest decimal that gives back the same number."""
    if isinstance(x, (int, np.integer)):
        return Decimal(int(x))
    if isinstance(x, np.floating):
        return Decimal(str(x))  # a float32 shows its own shortest digits, not those of its float64 value
    return Decimal(repr(float(x)))


def significant_digits(x) -> int:
    """How many significant digits `x` has as typed: 0.107 -> 3, 1e-3 -> 1, -1.8845 -> 5, 30 -> 1, 0 -> 1.

    Used in: `check`, whose number questions accept an answer right to 4 significant digits.
    """
    d = _decimal(x)
    return 1 if d == 0 else len(d.normalize().as_tuple().digits)


def _round(d: Decimal, k: int, mode: str) -> Decimal:
    """`d` rounded (or cut, for ROUND_DOWN) to `k` significant digits."""
    if d == 0:
        return d
    with localcontext() as context:
        context.prec = 60
        return d.quantize(Decimal(1).scaleb(d.adjusted() - k + 1), rounding=mode)


def _agrees(x: Decimal, a: Decimal, k: int) -> bool:
    """`x` and `a` are the same to `k` significant digits, rounded either way or truncated."""
    return any(_round(x, k, mode) == _round(a, k, mode) for mode in _MODES)


def _right_to_its_digits(x: Decimal, a: Decimal, typed: int, spec: dict) -> bool:
    """`x`, with `typed` significant digits, is the answer rounded or truncated to that many digits (or, for an
    answer that is a bound, rounded the way the bound asks: up for at_least, down for at_most)."""
    modes = _MODES + (ROUND_CEILING,) * ("at_least" in spec) + (ROUND_FLOOR,) * ("at_most" in spec)
    return any(x == _round(a, typed, mode) for mode in modes)


def _past_limit(x: float, spec: dict) -> str | None:
    """"above" or "below" when `x` is past the question's stated limit, else None."""
    if "at_most" in spec and x > spec["at_most"] + _LIMIT_NOISE * abs(spec["at_most"]):
        return "above"
    if "at_least" in spec and x < spec["at_least"] - _LIMIT_NOISE * abs(spec["at_least"]):
        return "below"
    return None


def _judge_number(x, a, spec: dict) -> tuple[str, str | None]:
    """One number against its answer: ("right" | "close" | "wrong", the side of the limit it is past or None)."""
    if not math.isfinite(float(x)):
        return WRONG, None
    xd, ad = _decimal(x), _decimal(a)
    if spec.get("exact"):
        ok = abs(float(x) - float(a)) <= _EXACT_NOISE * abs(float(a))
    elif a == 0:
        ok = abs(float(x)) <= _EXACT_NOISE
    else:
        ok = _agrees(xd, ad, spec.get("digits", DEFAULT_DIGITS))
    verdict = RIGHT if ok else "close" if _right_to_its_digits(xd, ad, significant_digits(x), spec) else WRONG
    return verdict, (_past_limit(float(x), spec) if verdict != WRONG else None)


def _numbers(answer):
    """The learner's answer as an array of numbers (keeping float32 digits), or None if it is not numbers."""
    if isinstance(answer, (str, bytes, bool, np.bool_)) or callable(answer):
        return None
    try:
        values = np.asarray(answer)
        if values.dtype.kind == "O":  # e.g. a Fraction or a Decimal, which convert with float()
            values = np.asarray(answer, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return None
    return values if values.dtype.kind in "iuf" else None


def _check_number(question_id: str, spec: dict, answer) -> Feedback:
    hint = spec["hint"]
    expected = np.asarray(spec["answer"])
    values = _numbers(answer)
    if values is None:
        wanted = "a number" if expected.ndim == 0 else f"a list of {expected.size} numbers"
        if is_finite_number(getattr(answer, "data", None)):  # a bplab Value: its number is .data
            return Feedback(question_id, WRONG, f"expected {wanted}, got {_describe(answer)}: give its "
                                                "number, .data.")
        return Feedback(question_id, WRONG, f"expected {wanted}, got {_describe(answer)}. {hint}")
    if values.shape != expected.shape:
        if expected.ndim == 0 and values.size == 1:
            return Feedback(question_id, WRONG, f"expected one number, got {_describe(answer)}: take the number "
                                                "out of it, e.g. with [0].")
        wanted = "one number" if expected.ndim == 0 else f"{expected.size} numbers"
        return Feedback(question_id, WRONG, f"expected {wanted}, got {_describe(answer)}.")
    if not np.all(np.isfinite(values.astype(float))):
        return Feedback(question_id, WRONG, f"your answer is not a finite number (NaN or inf). {hint}")
    judged = [_judge_number(x, a, spec) for x, a in zip(values.ravel(), expected.ravel().tolist())]
    verdicts = {verdict for verdict, _ in judged}
    if WRONG in verdicts:
        return Feedback(question_id, WRONG, f"not quite. {hint}".strip())
    short = "close" in verdicts
    past = next((side for _, side in judged if side), None)
    if past is None:
        if not short:
            return Feedback(question_id, RIGHT, "right!")
        return Feedback(question_id, WRONG, f"close: {_more_digits(spec)}.")
    direction = "round down, not up" if past == "above" else "round up, not down"
    if short:
        return Feedback(question_id, WRONG, f"close: {_more_digits(spec)}, and {direction}: {spec['limit_note']}.")
    return Feedback(question_id, WRONG, f"close, but {direction}: {spec['limit_note']}.")


def _more_digits(spec: dict) -> str:
    if spec.get("exact"):
        return "the answer is an exact whole number: give all its digits, not a rounded value"
    return f"give {spec.get('digits', DEFAULT_DIGITS)} significant digits"


# --- the stored questions --------------------------------------------------------------------------

_KEYS = {
    "number": ({"kind", "answer", "hint"}, {"digits", "exact", "at_most", "at_least", "limit_note"}),
    "choice": ({"kind", "answer", "options", "hint"}, set()),
    "function": ({"kind", "reference", "inputs", "hint"}, {"rtol", "atol"}),
}


def _finite_numbers(value) -> bool:
    if isinstance(value, list):
        return len(value) > 0 and all(_finite_numbers(v) for v in value)
    return is_finite_number(value)


def _number_problems(spec: dict) -> list[str]:
    problems = []
    answer = spec.get("answer")
    if not _finite_numbers(answer):
        return [f"answer must be a finite number or a list of them, got {answer!r}"]
    values = np.ravel(np.asarray(answer, dtype=float))
    if "digits" in spec and not (isinstance(spec["digits"], int) and not isinstance(spec["digits"], bool)
                                 and 1 <= spec["digits"] <= 15):
        problems.append(f"digits must be a whole number from 1 to 15, got {spec['digits']!r}")
    if "exact" in spec:
        if spec["exact"] is not True:
            problems.append(f"exact must be true when given, got {spec['exact']!r}")
        elif not np.all(values == np.round(values)):
            problems.append("exact answers must be whole numbers")
        elif "digits" in spec:
            problems.append("an exact answer needs all its digits: leave digits out")
    limits = [key for key in ("at_most", "at_least") if key in spec]
    if limits:
        if len(limits) == 2:
            problems.append("give at most one of at_most and at_least")
        if not (isinstance(spec.get("limit_note"), str) and spec["limit_note"].strip()):
            problems.append("a question with a limit needs a limit_note saying why a value past it is wrong")
        if values.size != 1:
            problems.append("a limit is for an answer that is one number")
        for key in limits:
            if not is_finite_number(spec[key]):
                problems.append(f"{key} must be a finite number, got {spec[key]!r}")
            elif _past_limit(float(values[0]), {key: spec[key]}):
                problems.append(f"the answer itself is past {key}")
    elif "limit_note" in spec:
        problems.append("limit_note without at_most or at_least")
    return problems


def question_problems(spec) -> list[str]:
    """What is wrong with a stored question (see the module docstring); [] when it is well-formed.

    Used in: tests/course/test_checks.py, which checks every bplab/course/questions/*.json.
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
    if kind == "number" and "answer" in spec:
        problems += _number_problems(spec)
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
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item{'' if len(value) == 1 else 's'}"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def check(question_id: str, answer) -> Feedback:
    """Check `answer` to a notebook question; print-friendly, never reveals the expected answer.

    A number is right when it agrees with the answer to 4 significant digits (or the digits the question
    asks for); one right as far as its digits go, with fewer, gets "close: give 4 significant digits"; none
    past a limit the question states is right (see the module docstring).

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
        return _check_number(question_id, spec, answer)
    if kind == "choice":
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
