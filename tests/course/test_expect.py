"""bplab.course.expect: the test cells' helpers name a known mistake by its id, never the expected value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bplab.course.expect import (
    Mistake,
    diagnose,
    expect_call,
    expect_close,
    expect_function,
    expect_gradient,
    mistake_of,
)


def fails_with(call, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        call(*args, **kwargs)
    return str(info.value)


RNG = np.random.default_rng(3)
X = RNG.normal(size=(5, 3))
W = RNG.normal(size=(3, 2))


def test_a_catalog_mistake_is_named_by_its_message_and_id_not_the_value():
    right = X @ W
    summed = Mistake("no-mean", right * 5, "summed over the examples instead of averaged?")
    transposed_weights = Mistake("w-transposed", X @ W[::-1], "multiplied by the rows of W in the wrong order?")
    message = fails_with(expect_close, "out", X @ W[::-1], right, "look at W.", mistakes=[summed, transposed_weights])
    assert "wrong order" in message and mistake_of(message) == "w-transposed"
    assert "look at W." not in message  # the hint is for unexplained errors
    assert f"{right[0, 0]:.4g}" not in message


def test_generic_causes_are_recognized_without_a_catalog():
    right = X @ W
    assert mistake_of(fails_with(expect_close, "out", (X @ W).T, right)) == "transposed"
    assert mistake_of(fails_with(expect_close, "out", -right, right)) == "sign"
    scaled = fails_with(expect_close, "out", right / 5, right)
    assert mistake_of(scaled) == "scaled" and "1/5 times" in scaled
    assert mistake_of(fails_with(expect_close, "loss", np.array([1.0]), 2.0)) == "array-not-number"
    assert mistake_of(fails_with(expect_close, "out", right + 0.1, right)) == "wrong-value"
    assert mistake_of(fails_with(expect_close, "loss", 4.0, 2.0)) == "wrong-value"  # one number: no factor guessed


def test_a_list_is_accepted_where_a_tuple_is_expected():
    expect_close("pair", [1.0, np.ones(2)], (1.0, np.ones(2)))
    assert diagnose("pair", (1.0, np.ones(2)), [1.0, np.ones(2)]) is None


def test_expect_function_applies_each_mistake_to_the_case():
    mistake = Mistake("no-square", lambda x: 2 * x, "forgot to square?")
    message = fails_with(expect_function, lambda x: 2 * x, lambda x: x**2, [(np.array([1.0, 3.0]),)],
                         mistakes=[mistake])
    assert mistake_of(message) == "no-square" and "forgot to square" in message


def test_expect_gradient_names_a_catalog_mistake():
    x = RNG.normal(size=4)
    mistake = Mistake("half", x, "lost the factor 2 of the power rule?")
    message = fails_with(expect_gradient, "grad", x, lambda v: float(np.sum(v**2)), x, mistakes=[mistake])
    assert mistake_of(message) == "half"
    assert mistake_of(fails_with(expect_gradient, "grad", 4 * x, lambda v: float(np.sum(v**2)), x)) == "scaled"


def test_mistake_ids_are_checked():
    with pytest.raises(ValueError, match="lower case"):
        Mistake("Summed Not Averaged", 1.0, "?")


def test_expect_call_turns_a_learners_error_into_one_message():
    def not_done(x):
        raise NotImplementedError()

    assert expect_call("double(2.0)", lambda x: 2 * x, 2.0) == 4.0
    message = fails_with(expect_call, "dfdx(x)", lambda x: math.cos(x), np.ones(3))
    assert mistake_of(message) == "math-on-array" and "np.cos" in message
    message = fails_with(expect_call, "dfdx(x)", not_done, 1.0)
    assert mistake_of(message) == "not-attempted" and "not attempted" in message
    assert mistake_of(fails_with(expect_call, "f(0)", lambda x: 1 / x, 0)) == "raised"
    message = fails_with(expect_function, lambda x: math.exp(x), np.exp, [(np.zeros(2),)])
    assert mistake_of(message) == "math-on-array"
