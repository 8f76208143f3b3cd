"""bplab.optim.fit's learning-rate schedule, its per-step callback, and training versus evaluation mode."""

import math

import numpy as np
import pytest

from bplab.data import moons
from bplab.layers import MLP, Dropout, Linear, ReLU, Sequential
from bplab.optim import SGD, fit

X, y = moons(n=100, noise=0.1, rng=0)


def test_the_schedule_sets_the_learning_rate_of_each_epoch_and_history_records_it():
    model = MLP([2, 8, 2], rng=0)
    optimizer = SGD(model.parameters(), lr=0.5)
    seen = []
    history = fit(model, X, y, optimizer, num_epochs=4, batch_size=50, rng=0, schedule=lambda epoch: 0.1 / (1 + epoch),
                  callback=lambda step, loss: seen.append(optimizer.lr))
    assert history["lr"] == [0.1, 0.05, 0.1 / 3, 0.025]
    assert seen == [lr for lr in history["lr"] for _ in range(2)]  # two steps per epoch, each at its epoch's rate
    assert fit(model, X, y, SGD(model.parameters(), lr=0.3), num_epochs=2, rng=0)["lr"] == [0.3, 0.3]


def test_the_callback_runs_after_every_step_with_the_step_number_and_the_batch_loss():
    model = MLP([2, 8, 2], rng=0)
    calls = []
    before = model.layers[0].W.data.copy()

    def record(step, loss):
        calls.append((step, loss, model.layers[0].W.data.copy()))

    fit(model, X, y, SGD(model.parameters(), lr=0.1), num_epochs=3, batch_size=32, rng=0, callback=record)
    assert [step for step, _, _ in calls] == list(range(3 * math.ceil(100 / 32)))
    assert all(np.isfinite(loss) and loss > 0 for _, loss, _ in calls)
    assert not np.allclose(calls[0][2], before)  # called after the step: the weights have moved


def test_a_bad_schedule_is_a_clear_error():
    model = MLP([2, 4, 2], rng=0)
    with pytest.raises(ValueError, match=r"schedule\(0\) must be positive, got -0.1"):
        fit(model, X, y, SGD(model.parameters(), lr=0.1), num_epochs=1, schedule=lambda epoch: -0.1)


def test_fit_trains_in_training_mode_and_measures_and_returns_in_evaluation_mode():
    model = Sequential(Linear(2, 64, rng=0), ReLU(), Dropout(0.5, rng=1), Linear(64, 2, rng=2))
    modes = []
    history = fit(model, X, y, SGD(model.parameters(), lr=0.1), num_epochs=2, rng=0,
                  callback=lambda step, loss: modes.append(model.layers[2].training))
    assert all(modes) and not model.training and not model.layers[2].training
    # the recorded accuracy is the evaluation-mode one: repeatable, without dropout
    scores = model.forward(X)
    assert history["train_accuracy"][-1] == np.mean(scores.argmax(axis=1) == y)
    np.testing.assert_array_equal(scores, model.forward(X))
