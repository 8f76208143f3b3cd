"""bplab.course.checks: self-check questions and the assertion helpers of the exercise sets.

Every message is checked for what it must say (kind, shape, a hint) and for what it must never say
(the expected answer). Number answers are judged by significant digits (see bplab.course.checks): every
stored answer is rounded and truncated to 2-6 digits here, and the feedback checked; none past a stated
limit is ever right.
"""

from __future__ import annotations

import json
import math
import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from pathlib import Path

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
    significant_digits,
)

QUESTION_FILES = sorted(checks.QUESTIONS.glob("*.json"))
STORED = [
    (f"{path.stem}.{key}", spec)
    for path in QUESTION_FILES
    for key, spec in json.loads(path.read_text()).items()
]
NUMBERS = [(q, s) for q, s in STORED if s["kind"] == "number"]
LIMITED = [(q, s) for q, s in NUMBERS if "at_most" in s or "at_least" in s]
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CLOSE = "close: give {} significant digits."
CLOSE_EXACT = "close: the answer is an exact whole number: give all its digits, not a rounded value."


def fails_with(call, *args, **kwargs) -> str:
    """The message of the AssertionError `call` raises (the test fails if it does not raise)."""
    with pytest.raises(AssertionError) as info:
        call(*args, **kwargs)
    return str(info.value)


# --- check(): the "check yourself" questions of the chapter notebooks -------------------------


@pytest.fixture
def questions(tmp_path, monkeypatch):
    """A private questions folder with questions of each kind and option, as notebook "99"."""
    below = "a larger one diverges"
    bank = {
        "q1": {"kind": "number", "answer": 0.734521, "hint": "use the chain rule."},
        "q2": {"kind": "choice", "answer": "tanh", "options": ["sigmoid", "tanh", "relu"], "hint": "zero-centred."},
        "q3": {"kind": "function", "reference": "numpy:tanh", "inputs": [[[0.0, 1.5]], [[-2.0]]], "hint": "tanh."},
        "q4": {"kind": "number", "answer": [1.25, -3.5], "hint": "two numbers."},
        "q5": {"kind": "number", "answer": 0.734521, "digits": 6, "hint": "six digits."},
        "q6": {"kind": "number", "answer": 2 / 3, "at_most": 2 / 3, "limit_note": below, "hint": "a threshold."},
        "q7": {"kind": "number", "answer": 2 / 3, "at_least": 2 / 3, "limit_note": "a smaller one fails",
               "hint": "a threshold from below."},
        "q8": {"kind": "number", "answer": 5120000, "exact": True, "hint": "count them."},
        "q9": {"kind": "number", "answer": 0.0, "hint": "nothing flows."},
        "q10": {"kind": "number", "answer": -1.8845208681682175, "digits": 3, "hint": "three digits."},
        "q11": {"kind": "number", "answer": 1.4611501717344748, "digits": 5, "at_least": 1.4611501717344748,
                "limit_note": "a floor", "hint": "a floor."},  # 09c.q1: at 4 digits it rounds down, to 1.461
    }
    (tmp_path / "99.json").write_text(json.dumps(bank))
    monkeypatch.setattr(checks, "QUESTIONS", tmp_path)
    checks._load.cache_clear()
    yield bank
    checks._load.cache_clear()


def status_and_message(question_id, answer) -> tuple[str, str]:
    feedback = check(question_id, answer)
    return feedback.status, feedback.message


def test_significant_digits_are_those_a_learner_typed():
    assert significant_digits(0.107) == 3
    assert significant_digits(1e-3) == 1
    assert significant_digits(-1.8845) == 5
    assert significant_digits(0.00098) == 2
    assert significant_digits(30) == significant_digits(30.0) == significant_digits(3e1) == 1  # zeros: not told
    assert significant_digits(5.12e6) == significant_digits(5120000) == 3
    assert significant_digits(np.float32(0.107)) == 3  # its own shortest digits, not float64's 0.10700000077...
    assert significant_digits(np.int64(9610)) == 3
    assert significant_digits(0) == 1
    assert significant_digits(2 * 1.5 * math.cos(2.25)) >= 16  # a value computed in code


def test_check_number_right_close_wrong_and_not_attempted(questions):
    for right in (0.734521, 0.7345210000001, 0.7345, 0.73452, 0.734522, np.float64(0.7345), np.float32(0.7345)):
        assert check("99.q1", right).status == "right", right
    for close in (0.735, 0.734, 0.73, 0.7):  # rounded or truncated to fewer than 4 digits
        assert status_and_message("99.q1", close) == ("wrong", CLOSE.format(4)), close
    for wrong in (0.7346, 0.736, 0.8, -0.734521, 7.34521):  # 0.7346 is neither a rounding nor a truncation
        status, message = status_and_message("99.q1", wrong)
        assert status == "wrong" and message == "not quite. use the chain rule.", wrong
    assert check("99.q1", None).status == "not attempted"
    assert check("99.q1", ...).status == "not attempted"
    kind = check("99.q1", "0.734521")
    assert kind.status == "wrong" and "expected a number" in kind.message and "0.7345" not in kind.message
    assert "not a finite number" in check("99.q1", math.nan).message
    assert "not a finite number" in check("99.q1", -math.inf).message
    assert ".item()" not in check("99.q1", [0.734521]).message and "[0]" in check("99.q1", [0.734521]).message
    assert check("99.q1", np.array([0.734521])).status == "wrong"  # shape (1,): one number was asked for


def test_check_number_digits_asked_for(questions):
    assert check("99.q5", 0.734521).status == "right"
    assert check("99.q5", 0.7345213).status == "right"
    for close in (0.73452, 0.7345, 0.735):
        assert status_and_message("99.q5", close) == ("wrong", CLOSE.format(6)), close
    assert check("99.q5", 0.734522).message == "not quite. six digits."
    for right in (-1.88, -1.885, -1.8845, -1.884):  # fewer digits asked for ("three decimals are enough")
        assert check("99.q10", right).status == "right", right
    assert status_and_message("99.q10", -1.9) == ("wrong", CLOSE.format(3))
    assert check("99.q10", -1.89).message == "not quite. three digits."


def test_check_number_never_passes_a_limit(questions):
    # at_most 2/3: rounding up is past it, truncating is not.
    for right in (2 / 3, 1 - 1 / 3, 0.6666, 0.66666, 0.666666):
        assert check("99.q6", right).status == "right", right
    for past in (0.6667, 0.66667, 0.6666667, 2 / 3 * (1 + 1e-8)):
        status, message = status_and_message("99.q6", past)
        assert status == "wrong" and message == "close, but round down, not up: a larger one diverges.", past
    for short_and_past in (0.667, 0.67, 0.7):
        status, message = status_and_message("99.q6", short_and_past)
        assert status == "wrong", short_and_past
        assert message == "close: give 4 significant digits, and round down, not up: a larger one diverges."
    for short in (0.666, 0.66, 0.6):
        assert status_and_message("99.q6", short) == ("wrong", CLOSE.format(4)), short
    for wrong in (0.6668, 0.68, 1.0):
        assert check("99.q6", wrong).message == "not quite. a threshold.", wrong
    # at_least 2/3: the other way round.
    assert check("99.q7", 0.6667).status == "right"
    assert check("99.q7", 0.6666).message == "close, but round up, not down: a smaller one fails."
    assert check("99.q7", 0.666).message == (
        "close: give 4 significant digits, and round up, not down: a smaller one fails.")
    # a floor whose shorter roundings go down (1.46115 -> 1.461): rounded up as asked, fewer digits are close, not wrong
    for short in (1.462, 1.47, 1.5):
        assert status_and_message("99.q11", short) == ("wrong", CLOSE.format(5)), short
    assert check("99.q11", 1.461).message == "close: give 5 significant digits, and round up, not down: a floor."
    assert check("99.q11", 1.4612).status == "right" and check("99.q11", 1.463).message == "not quite. a floor."


def test_check_number_exact_counts(questions):
    for right in (5120000, 5.12e6, 5120000.0, np.int64(5120000), 32 * 50 * 32 * 100):
        assert check("99.q8", right).status == "right", right
    for close in (5.1e6, 5e6, 5100000):
        assert status_and_message("99.q8", close) == ("wrong", CLOSE_EXACT), close
    for wrong in (5120001, 5119999, 5.13e6, 1600):  # one off is a different count, not a rounding
        assert check("99.q8", wrong).message == "not quite. count them.", wrong


def test_check_number_zero_answer(questions):
    assert check("99.q9", 0).status == "right"
    assert check("99.q9", -3e-12).status == "right"  # a numerical derivative of a flat function
    assert check("99.q9", 1e-3).message == "not quite. nothing flows."


def test_check_number_array_answer(questions):
    assert check("99.q4", np.array([1.25, -3.5])).status == "right"
    assert check("99.q4", (1.25, -3.5)).status == "right"
    assert check("99.q4", [1.3, -3.5]).message == CLOSE.format(4)  # one element short: close
    assert check("99.q4", [1.25, 3.5]).status == "wrong"
    assert check("99.q4", [1.3, 3.5]).message == "not quite. two numbers."  # one wrong: the hint
    short = check("99.q4", [1.25])
    assert short.status == "wrong" and "expected 2 numbers" in short.message  # wrong shape is wrong, not a crash
    assert "expected a list of 2 numbers" in check("99.q4", "1.25, -3.5").message


def test_check_number_odd_answers_get_a_message_not_a_crash(questions):
    from bplab import Value

    assert ".data" in check("99.q1", Value(0.734521)).message
    for odd in (True, 1 + 2j, {"a": 1}, [1.0, "x"], print, 10**400):
        feedback = check("99.q1", odd)
        assert feedback.status == "wrong" and "expected" in feedback.message, odd


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
    with pytest.raises(ValueError, match="has no question 'q42'"):
        check("99.q42", 1.0)
    with pytest.raises(ValueError, match="no self-check questions"):
        check("98.q1", 1.0)


def test_question_problems_catches_malformed_questions():
    assert question_problems({"kind": "number", "answer": 1.0, "hint": "h"}) == []
    assert "missing key 'hint'" in question_problems({"kind": "number", "answer": 1.0})
    assert any("unknown key 'tol'" in p for p in question_problems({"kind": "number", "answer": 1, "hint": "h",
                                                                    "tol": 1}))
    assert any("unknown key 'rtol'" in p for p in question_problems({"kind": "number", "answer": 1, "hint": "h",
                                                                     "rtol": 1e-3}))  # numbers: digits instead
    assert any("finite" in p for p in question_problems({"kind": "number", "answer": math.inf, "hint": "h"}))
    assert any("one of the options" in p for p in question_problems(
        {"kind": "choice", "answer": "d", "options": ["a", "b"], "hint": "h"}))
    assert any("reference" in p for p in question_problems(
        {"kind": "function", "reference": "numpy:no_such_function", "inputs": [[1.0]], "hint": "h"}))
    assert any("kind" in p for p in question_problems({"kind": "essay", "hint": "h"}))


@pytest.mark.parametrize(("extra", "problem"), [
    ({"digits": 0}, "digits must be"),
    ({"digits": "4"}, "digits must be"),
    ({"digits": True}, "digits must be"),
    ({"digits": 16}, "digits must be"),
    ({"exact": True, "answer": 1.5}, "whole numbers"),
    ({"exact": True, "digits": 3}, "leave digits out"),
    ({"exact": 1}, "exact must be true"),
    ({"at_most": 2.0}, "needs a limit_note"),
    ({"at_most": 0.5, "limit_note": "n"}, "the answer itself is past at_most"),
    ({"at_least": 1.5, "limit_note": "n"}, "the answer itself is past at_least"),
    ({"at_most": 2.0, "at_least": 0.0, "limit_note": "n"}, "at most one of"),
    ({"at_most": 2.0, "limit_note": "n", "answer": [1.0, 2.0]}, "one number"),
    ({"limit_note": "n"}, "limit_note without"),
])
def test_question_problems_checks_digits_exact_and_limits(extra, problem):
    spec = {"kind": "number", "answer": 1.0, "hint": "h", **extra}
    assert any(problem in p for p in question_problems(spec)), question_problems(spec)


def test_question_problems_accepts_digits_exact_and_limits():
    assert question_problems({"kind": "number", "answer": 1.0, "digits": 6, "hint": "h"}) == []
    assert question_problems({"kind": "number", "answer": [3, 4], "exact": True, "hint": "h"}) == []
    assert question_problems({"kind": "number", "answer": 1.0, "at_most": 1.0, "limit_note": "n", "hint": "h"}) == []


# --- the stored questions -------------------------------------------------------------------------


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


def to_digits(value: float, k: int, rounding: str) -> float:
    """`value` written with `k` significant digits, as a learner would type it."""
    if rounding == "format":  # Python's own rounding of the float, e.g. f"{x:.4g}"
        return float(f"{value:.{k}g}")
    d = Decimal(repr(value))
    return float(d.quantize(Decimal(1).scaleb(d.adjusted() - k + 1), rounding=rounding))


ROUNDINGS = {"rounded half up": ROUND_HALF_UP, "rounded by format": "format", "truncated": ROUND_DOWN}


def digits_needed(spec) -> int:
    if spec.get("exact"):
        return max(significant_digits(a) for a in np.ravel(spec["answer"]).tolist())
    return spec.get("digits", 4)


def past_limit(value: float, spec) -> bool:
    return value > spec.get("at_most", math.inf) or value < spec.get("at_least", -math.inf)


@pytest.mark.parametrize("digits", [2, 3, 4, 5, 6])
@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize(("question_id", "spec"), NUMBERS, ids=[q for q, _ in NUMBERS])
def test_stored_number_answers_rounded_to_2_to_6_digits(question_id, spec, rounding, digits):
    """Right at the digits asked for (4 unless the question says), close below, never past a limit."""
    answer = np.asarray(spec["answer"], dtype=float)
    typed = np.array([to_digits(a, digits, ROUNDINGS[rounding]) for a in answer.ravel().tolist()])
    given = float(typed[0]) if answer.ndim == 0 else typed.reshape(answer.shape).tolist()
    status, message = status_and_message(question_id, given)
    need = digits_needed(spec)
    assert spec["hint"] not in message, f"{question_id}: {given!r} is a rounding, not a misconception: {message}"
    if answer.ndim == 0 and past_limit(float(typed[0]), spec):
        assert status == "wrong", f"{question_id}: {given!r} is past the limit and passed"
        side = "round down, not up" if "at_most" in spec else "round up, not down"
        assert message.startswith("close") and side in message and spec["limit_note"] in message, message
        assert (f"give {need} significant digits" in message) == (digits < need), message
        return
    same_to_need = all(f"{t:.{need}g}" == f"{a:.{need}g}" for t, a in zip(typed, answer.ravel()))
    if digits >= need or np.array_equal(typed, answer.ravel()) or same_to_need:
        assert status == "right", f"{question_id}: {given!r} ({rounding} to {digits} digits) got: {message}"
    else:
        assert status == "wrong", f"{question_id}: {given!r} has {digits} digits, {need} are needed"
        assert message == (CLOSE_EXACT if spec.get("exact") else CLOSE.format(need)), message


@pytest.mark.parametrize(("question_id", "spec"), LIMITED, ids=[q for q, _ in LIMITED])
def test_stored_limits_never_pass_a_value_past_them(question_id, spec):
    limit = spec.get("at_most", spec.get("at_least"))
    away = ROUND_UP if ("at_most" in spec) == (limit > 0) else ROUND_DOWN  # away from the right side
    d = Decimal(repr(limit))
    past = [float(d.quantize(Decimal(1).scaleb(d.adjusted() - k + 1), rounding=away)) for k in range(1, 12)]
    past += [limit * (1 + 1e-8) if "at_most" in spec else limit * (1 - 1e-8)]
    past += [limit + math.copysign(1e-6 * abs(limit), 1 if "at_most" in spec else -1)]
    past = [value for value in past if past_limit(value, spec) and not math.isclose(value, limit, rel_tol=1e-9)]
    assert len(past) >= 8
    for value in past:
        status, message = status_and_message(question_id, value)
        assert status == "wrong", f"{question_id}: {value!r} is past the limit {limit!r} and passed"
        if message.startswith("close"):  # right or close to its digits: no concept hint
            assert spec["hint"] not in message and spec["limit_note"] in message, message
    assert check(question_id, limit).status == "right"


def test_known_complaints_are_fixed():
    # issue 20: rounding was treated as a misconception
    assert check("01.q3", -1.8845).status == "right"  # was rejected with the chain-rule hint
    assert check("01.q3", -1.88452).status == "right"
    assert status_and_message("12.q2", 0.107) == ("wrong", CLOSE.format(4))  # was the concept hint
    assert check("12.q2", 0.1074).status == "right"
    status, message = status_and_message("15.q1", 0.00098)  # was the concept hint; 0.00098 is also past the bound
    assert status == "wrong" and message.startswith("close: give 4 significant digits, and round down")
    assert check("15.q1", 0.0009765).status == "right" and check("15.q1", 0.5**10).status == "right"
    # issue 21: a tolerance on the wrong side of a threshold (0.34 diverges on L = 3 w^2)
    for diverging in (0.34, 0.335, 0.3334, 0.33334):
        assert check("05.q3", diverging).status == "wrong", diverging
    assert check("05.q3", 0.3333).status == "right"


def question_text(question_id: str) -> str:
    """The markdown of the notebook cell just before the cell that checks `question_id`."""
    (path,) = NOTEBOOKS.glob(f"{question_id.split('.')[0]}-*.ipynb")  # "05b.q1" -> 05b-*.ipynb
    cells = json.loads(path.read_text())["cells"]
    for before, cell in zip(cells, cells[1:]):
        if cell["cell_type"] == "code" and f'check("{question_id}"' in "".join(cell["source"]):
            return "".join(before["source"])
    raise AssertionError(f"{path.name} has no cell that checks {question_id}")


WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


@pytest.mark.parametrize(("question_id", "spec"), [(q, s) for q, s in NUMBERS if "digits" in s],
                         ids=[q for q, s in NUMBERS if "digits" in s])
def test_a_question_that_asks_for_other_digits_says_so(question_id, spec):
    digits = spec["digits"]
    said = rf"\b({digits}|{WORDS.get(digits, digits)})\s+(significant\s+)?(digits|decimals)\b"
    assert re.search(said, question_text(question_id), re.IGNORECASE), (
        f"{question_id} asks for {digits} significant digits: its notebook text must say so")


LIMIT_WORDS = r"\b(largest|smallest|at most|at least|above which|below which|threshold|maximum|minimum)\b"


@pytest.mark.parametrize(("question_id", "spec"), NUMBERS, ids=[q for q, _ in NUMBERS])
def test_a_question_about_a_limit_states_it(question_id, spec):
    """A number question whose text asks for a limit has at_most or at_least, unless its answer is exact."""
    if re.search(LIMIT_WORDS, question_text(question_id), re.IGNORECASE):
        assert spec.get("exact") or "at_most" in spec or "at_least" in spec, (
            f"{question_id} asks for a limit: state its side with at_most or at_least")


def renderings(answer) -> set[str]:
    """How an answer could show up in a message: repr, %g, and rounded to 2-6 digits (3 characters or more)."""
    shown = set()
    for a in np.ravel(np.asarray(answer, dtype=float)).tolist():
        shown |= {repr(a), f"{a:g}"} | {f"{a:.{k}g}" for k in range(2, 7)}
    return {s for s in shown if len(s.lstrip("-")) >= 3}


@pytest.mark.parametrize(("question_id", "spec"), NUMBERS, ids=[q for q, _ in NUMBERS])
def test_stored_number_questions_never_reveal_the_answer(question_id, spec):
    answer = np.asarray(spec["answer"], dtype=float)
    off = answer + 1.0 + 0.5 * np.abs(answer)  # never equal to the answer
    messages = [check(question_id, off if answer.ndim else float(off))]
    assert messages[0].status == "wrong"
    for k in range(1, 7):  # close and past-the-limit messages, too
        for rounding in (ROUND_HALF_UP, ROUND_DOWN, ROUND_UP):
            typed = [to_digits(a, k, rounding) for a in answer.ravel().tolist()]
            messages.append(check(question_id, typed[0] if answer.ndim == 0 else typed))
    texts = [str(feedback) for feedback in messages if feedback.status != "right"]
    texts += [spec["hint"], spec.get("limit_note", "")]
    for shown in renderings(answer):
        for text in texts:
            assert shown not in text, f"{question_id} feedback shows the answer {shown}: {text}"


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

