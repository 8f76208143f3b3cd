"""Self-checks: friendly feedback on a learner's answer that never reveals the answer.

Each notebook's "check yourself" questions live in ``bplab/course/questions/NN.json``;
``check("01.q1", answer)`` looks up question ``q1`` of notebook 01. A question is one of:

- ``{"kind": "number", "answer": 0.25, "rtol": 1e-6, "atol": 1e-9, "hint": "..."}``
- ``{"kind": "choice", "answer": "b", "options": ["a", "b", "c"], "hint": "..."}``
- ``{"kind": "function", "reference": "bplab.functions:sigmoid", "inputs": [[0.0], [2.0]], "hint": "..."}``
  (the learner's function is called on each input list and compared with the reference)

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
