"""bplab.course.expect's helpers for tuples of results and for error carried forward (sets 12, 14, 15)."""

from __future__ import annotations

import numpy as np
import pytest

from bplab.course.expect import Mistake, agrees, expect_no_mistake, expect_tuple, mistake_of

RNG = np.random.default_rng(5)
GRADS = (RNG.normal(size=(2, 3)), RNG.normal(size=(3, 3)), RNG.normal(size=3))


def fails_with(call, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        call(*args, **kwargs)
    return str(info.value)


def test_expect_tuple_accepts_a_list_and_names_the_value_of_the_wrong_shape():
    expect_tuple("step_backward", list(GRADS), ["dx", "dW", "db"], [(2, 3), (3, 3), (3,)])
    message = fails_with(expect_tuple, "step_backward", GRADS[:2], ["dx", "dW", "db"])
    assert "3 values (dx, dW, db)" in message and "a tuple of length 2" in message
    assert mistake_of(message) == "wrong-type"
    message = fails_with(expect_tuple, "step_backward", (GRADS[0], GRADS[1], GRADS[2][:2]), ["dx", "dW", "db"],
                         [(2, 3), (3, 3), (3,)])
    assert message.startswith("db should have shape (3,)") and mistake_of(message) == "wrong-shape"


def test_expect_no_mistake_names_a_whole_tuple_mistake_and_lets_anything_else_through():
    dw_transposed = (GRADS[0], GRADS[1].T, GRADS[2])
    mistakes = [Mistake("dw-transposed", dw_transposed, "dW is transposed?")]
    message = fails_with(expect_no_mistake, "step_backward", dw_transposed, GRADS, mistakes)
    assert message == "step_backward is not right yet: dW is transposed? [mistake: dw-transposed]"
    expect_no_mistake("step_backward", GRADS, GRADS, mistakes)  # right
    expect_no_mistake("step_backward", (GRADS[0], GRADS[1] + 1, GRADS[2]), GRADS, mistakes)  # unknown: left to the rest
    expect_no_mistake("step_backward", "not even a tuple", GRADS, mistakes)


def test_agrees_is_false_for_an_error_a_wrong_kind_or_a_wrong_value():
    assert agrees(lambda: list(GRADS), GRADS)
    assert not agrees(lambda: GRADS[:2], GRADS)
    assert not agrees(lambda: (GRADS[0], GRADS[1] * (1 + 1e-6), GRADS[2]), GRADS, rtol=1e-9, atol=0)

    def not_done():
        raise NotImplementedError()

    assert not agrees(not_done, GRADS)
