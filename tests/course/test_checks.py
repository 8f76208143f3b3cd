"""bplab.course.checks: self-check questions and the assertion helpers of the exercise sets.

Every message is checked for what it must say (kind, shape, a hint) and for what it must never say
(the expected answer).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bplab.course import checks
from bplab.course.checks import (
    check,
    expect,
    expect_close,
    expect_function,
    expect_gradient,
    expect_in_range,
    expect_number,
    expect_shape,
    question_problems,
)

QUESTION_FILES = sorted(checks.QUESTIONS.glob("*.json"))
STORED = [
    (f"{path.stem}.{key}", spec)
    for path in QUESTION_FILES
    for key, spec in json.loads(path.read_text()).items()
]


def fails_with(call, *args, **kwargs) -> str:
    """The message of the AssertionError `call` raises (the test fails if it does not raise)."""
    with pytest.raises(AssertionError) as info:
        call(*args, **kwargs)
    return str(info.value)


# --- check(): the "check yourself" questions of the chapter notebooks -------------------------


@pytest.fixture
def questions(tmp_path, monkeypatch):
    """A private questions folder with one question of each kind, as notebook "99"."""
    bank = {
        "q1": {"kind": "number", "answer": 0.734521, "rtol": 1e-6, "atol": 1e-9, "hint": "use the chain rule."},
        "q2": {"kind": "choice", "answer": "tanh", "options": ["sigmoid", "tanh", "relu"], "hint": "zero-centred."},
        "q3": {"kind": "function", "reference": "numpy:tanh", "inputs": [[[0.0, 1.5]], [[-2.0]]], "hint": "tanh."},
        "q4": {"kind": "number", "answer": [1.25, -3.5], "hint": "two numbers."},
    }
    (tmp_path / "99.json").write_text(json.dumps(bank))
    monkeypatch.setattr(checks, "QUESTIONS", tmp_path)
    checks._load.cache_clear()
    yield bank
    checks._load.cache_clear()


def test_check_number_right_wrong_and_not_attempted(questions):
    assert check("99.q1", 0.734521).status == "right"
    assert bool(check("99.q1", 0.7345210000001))
    wrong = check("99.q1", 0.7)
    assert wrong.status == "wrong" and not wrong
    assert "0.7345" not in str(wrong) and "use the chain rule." in str(wrong)
    assert check("99.q1", None).status == "not attempted"
    assert check("99.q1", ...).status == "not attempted"
    kind = check("99.q1", "0.734521")
    assert kind.status == "wrong" and "expected a number" in kind.message and "0.7345" not in kind.message


def test_check_number_array_answer(questions):
    assert check("99.q4", np.array([1.25, -3.5])).status == "right"
    assert check("99.q4", [1.25, 3.5]).status == "wrong"
    assert check("99.q4", [1.25]).status == "wrong"  # wrong shape is wrong, not a crash


def test_check_choice(questions):
    assert check("99.q2", "tanh").status == "right"
    wrong = check("99.q2", "relu")
    assert wrong.status == "wrong" and "tanh" not in wrong.message
    outside = check("99.q2", "softmax")
    assert outside.status == "wrong" and "one of" in outside.message  # lists the options, says nothing more


def test_check_function(questions):
    assert check("99.q3", np.tanh).status == "right"
    assert check("99.q3", np.sin).status == "wrong"
    assert check("99.q3", 3.0).status == "wrong"

    def todo(x):
        raise NotImplementedError

    assert check("99.q3", todo).status == "not attempted"

    def broken(x):
        return x / "a"

    feedback = check("99.q3", broken)
    assert feedback.status == "wrong" and "TypeError" in feedback.message


def test_check_rejects_unknown_ids(questions):
    with pytest.raises(ValueError, match="looks like|look like"):
        check("q1", 1.0)
    with pytest.raises(ValueError, match="has no question 'q9'"):
        check("99.q9", 1.0)
    with pytest.raises(ValueError, match="no self-check questions"):
        check("98.q1", 1.0)


def test_question_problems_catches_malformed_questions():
    assert question_problems({"kind": "number", "answer": 1.0, "hint": "h"}) == []
    assert "missing key 'hint'" in question_problems({"kind": "number", "answer": 1.0})
    assert any("unknown key 'tol'" in p for p in question_problems({"kind": "number", "answer": 1, "hint": "h",
                                                                    "tol": 1}))
    assert any("finite" in p for p in question_problems({"kind": "number", "answer": math.inf, "hint": "h"}))
    assert any("one of the options" in p for p in question_problems(
        {"kind": "choice", "answer": "d", "options": ["a", "b"], "hint": "h"}))
    assert any("reference" in p for p in question_problems(
        {"kind": "function", "reference": "numpy:no_such_function", "inputs": [[1.0]], "hint": "h"}))
    assert any("kind" in p for p in question_problems({"kind": "essay", "hint": "h"}))


@pytest.mark.parametrize(("question_id", "spec"), STORED, ids=[qid for qid, _ in STORED])
def test_every_stored_question_is_well_formed_and_its_answer_checks_right(question_id, spec):
    assert question_problems(spec) == [], question_id
    if spec["kind"] == "function":
        module, name = spec["reference"].split(":")
        answer = getattr(__import__(module, fromlist=[name]), name)
    else:
        answer = spec["answer"]
    assert check(question_id, answer).status == "right"
    assert check(question_id, None).status == "not attempted"


@pytest.mark.parametrize(("question_id", "spec"), [(q, s) for q, s in STORED if s["kind"] == "number"],
                         ids=[q for q, s in STORED if s["kind"] == "number"])
def test_stored_number_questions_never_reveal_the_answer(question_id, spec):
    answer = np.asarray(spec["answer"], dtype=float)
    off = answer + 1.0 + 0.5 * np.abs(answer)  # never equal to the answer
    wrong = check(question_id, off if answer.ndim else float(off))
    assert wrong.status == "wrong"
    for shown in {repr(float(a)) for a in answer.ravel()} | {f"{float(a):g}" for a in answer.ravel()}:
        if len(shown.lstrip("-")) >= 3:  # "0.5" and longer; a lone digit occurs in any sentence
            assert shown not in str(wrong), f"{question_id} feedback shows the answer {shown}"


@pytest.mark.parametrize(("question_id", "spec"), [(q, s) for q, s in STORED if s["kind"] == "choice"],
                         ids=[q for q, s in STORED if s["kind"] == "choice"])
def test_stored_choice_questions_never_reveal_the_answer(question_id, spec):
    other = next(o for o in spec["options"] if o != spec["answer"])
    wrong = check(question_id, other)
    assert wrong.status == "wrong"
    assert repr(spec["answer"]) not in wrong.message and f'"{spec["answer"]}"' not in wrong.message


# --- expect_* helpers of the exercise sets ------------------------------------------------------


def test_expect_close_passes_and_explains_kind_shape_and_nan():
    expect_close("x", 0.5000000001, 0.5)
    expect_close("out", (1.0, np.ones(3)), (1.0, np.ones(3)))
    expect_close("grads", {"W": np.zeros((2, 2))}, {"W": np.zeros((2, 2))})
    assert "should be a number, got a str" in fails_with(expect_close, "slope", "2.4", 2.4)
    assert "is still None" in fails_with(expect_close, "slope", None, 2.4)
    message = fails_with(expect_close, "dW", np.zeros((2, 3)), np.ones((3, 2)), "x.T @ dout")
    assert "shape (3, 2)" in message and "(2, 3)" in message and "transposed" in message and "x.T @ dout" in message
    assert "NaN or inf" in fails_with(expect_close, "loss", math.nan, 1.0)
    assert ".item()" in fails_with(expect_close, "loss", np.array([1.0]), 1.0)
    assert "keys" in fails_with(expect_close, "grads", {"W": 1.0}, {"W": 1.0, "b": 2.0})
    assert "tuple of 2" in fails_with(expect_close, "out", 1.0, (1.0, np.zeros(2)))


@pytest.mark.parametrize("expected", [0.7345219, np.array([[0.123456, 7.654321]])])
def test_expect_close_never_shows_the_expected_value(expected):
    message = fails_with(expect_close, "answer", expected * 2, expected, hint="look again.")
    assert "not right yet" in message and "look again." in message
    for value in np.ravel(expected):
        assert f"{value:.4f}"[:5] not in message and f"{value:g}" not in message


def test_expect_number_and_shape():
    expect_number("n", 3)
    expect_number("n", np.float64(2.5))
    assert "got a bool" in fails_with(expect_number, "n", True)
    assert "got the function" in fails_with(expect_number, "n", print)
    expect_shape("h", np.zeros((4, 3)), (None, 3))
    assert "shape (N, 5)" in fails_with(expect_shape, "h", np.zeros((4, 3)), (None, 5))
    assert "shape (3,)" in fails_with(expect_shape, "b", None, (3,))


def test_expect_in_range_shows_the_target_not_an_answer():
    expect_in_range("accuracy", 0.97, 0.95, 1.0)
    message = fails_with(expect_in_range, "accuracy", 0.9, 0.95, hint="train longer.")
    assert "at least 0.95" in message and "0.9" in message and "train longer." in message
    assert "at most 1" in fails_with(expect_in_range, "p", 1.5, 0.0, 1.0)
    assert "finite" in fails_with(expect_in_range, "loss", math.inf, 0.0)


def test_expect_function_reports_the_input_not_the_output():
    expect_function(lambda x: 2 * x, lambda x: x + x, [(np.arange(3.0),), (1.5,)])
    message = fails_with(expect_function, lambda x: x**2, lambda x: x**3, [(1.0,), (2.0,)], hint="cube it.")
    assert "(2)" in message and "not right yet" in message and "cube it." in message and "8" not in message

    def todo(x):
        raise NotImplementedError()

    assert "NotImplementedError" in fails_with(expect_function, todo, np.sin, [(1.0,)])
    assert "ZeroDivisionError" in fails_with(expect_function, lambda x: 1 / 0, np.sin, [(1.0,)])
    assert "should be a function" in fails_with(expect_function, 3.0, np.sin, [(1.0,)])

    def in_place(x):
        x[0] = 0.0
        return x

    assert "in place" in fails_with(expect_function, in_place, lambda x: x, [(np.ones(2),)])


def test_expect_gradient_against_central_differences():
    x = np.array([1.0, -2.0, 0.5])
    expect_gradient("grad", 2 * x, lambda v: float(np.sum(v**2)), x)
    expect_gradient("dfdx(0)", 0.0, lambda v: math.sin(v**2) * math.exp(-v), 0.0)  # 0 vs ~1e-10: passes
    message = fails_with(expect_gradient, "grad", x, lambda v: float(np.sum(v**2)), x, "power rule.")
    assert "relative error" in message and "power rule." in message
    assert "shape (3,)" in fails_with(expect_gradient, "grad", np.zeros(2), lambda v: float(np.sum(v)), x)
    assert np.array_equal(x, [1.0, -2.0, 0.5])  # the point is not modified


def test_expect_raises_with_hint():
    expect(True, "never shown")
    assert fails_with(expect, False, "losses should go down.", "lower lr.") == "losses should go down. Hint: lower lr."

