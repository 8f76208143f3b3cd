"""Tests for the LSTM of bplab.rnn: every gradient against float64 central differences, the cell path, the class."""

import numpy as np
import pytest

from bplab.gradcheck import check_layer, numerical_gradient, rel_error
from bplab.optim import Adam
from bplab.rnn import (
    LSTM,
    delayed_echo,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    lstm_weights,
    sequence_cross_entropy,
)

N, T, D, H = 3, 5, 4, 6


def _setup(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0, c0 = 0.5 * rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh = 0.4 * rng.standard_normal((D, 4 * H)), 0.4 * rng.standard_normal((H, 4 * H))  # random, not symmetric
    b = 0.3 * rng.standard_normal(4 * H)
    return x, h0, c0, Wx, Wh, b, rng.standard_normal((N, T, H))


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_one_step_follows_the_equations():
    x, h0, c0, Wx, Wh, b, _ = _setup(0)
    h, c, cache = lstm_step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    a = x[:, 0] @ Wx + h0 @ Wh + b
    i, f, o, g = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    np.testing.assert_allclose(c, f * c0 + i * g, rtol=1e-13)
    np.testing.assert_allclose(h, o * np.tanh(f * c0 + i * g), rtol=1e-13)
    assert all(np.allclose(cache[k], v, rtol=1e-13) for k, v in dict(i=i, f=f, o=o, g=g).items())


@pytest.mark.parametrize("seed", range(3))
def test_step_backward_matches_central_differences(seed):
    x, h0, c0, Wx, Wh, b, _ = _setup(seed)
    rng = np.random.default_rng(seed + 10)
    gh, gc = rng.standard_normal((N, H)), rng.standard_normal((N, H))  # a loss of both outputs
    arrays = {"x_t": x[:, 0], "h_prev": h0, "c_prev": c0, "Wx": Wx, "Wh": Wh, "b": b}

    def loss(_):
        h, c, _ = lstm_step_forward(*arrays.values())
        return float(np.sum(h * gh) + np.sum(c * gc))

    _, _, cache = lstm_step_forward(*arrays.values())
    grads = dict(zip(["x_t", "h_prev", "c_prev", "Wx", "Wh", "b"], lstm_step_backward(gh, gc, cache)))
    for name, array in arrays.items():
        assert rel_error(grads[name], numerical_gradient(loss, array)) < 1e-7, name


@pytest.mark.parametrize("seed", range(3))
def test_backward_through_time_matches_central_differences(seed):
    x, h0, c0, Wx, Wh, b, dh = _setup(seed)
    arrays = {"x": x, "h0": h0, "c0": c0, "Wx": Wx, "Wh": Wh, "b": b}

    def loss(_):
        h, _ = lstm_forward(*arrays.values())
        return float(np.sum(h * dh))

    _, cache = lstm_forward(*arrays.values())
    grads = lstm_backward(dh, cache)
    for name, array in arrays.items():
        numeric = numerical_gradient(loss, array)
        assert grads[name].shape == array.shape
        assert np.abs(grads[name] - numeric).max() <= 1e-8 * np.abs(numeric).max(), name


def test_total_state_gradients_match_central_differences_at_every_step():
    x, h0, c0, Wx, Wh, b, dh = _setup(1)
    h, cache = lstm_forward(x, h0, c0, Wx, Wh, b)
    grads = lstm_backward(dh, cache)
    for t in range(T):  # L as a function of the states at step t: run the rest of the sequence from there
        def rest(h_t, c_t, t=t):
            later, _ = lstm_forward(x[:, t + 1:], h_t, c_t, Wx, Wh, b) if t + 1 < T else (np.zeros((N, 0, H)), None)
            return float(np.sum(h_t * dh[:, t]) + np.sum(later * dh[:, t + 1:]))

        c_t = cache["c"][:, t].copy()
        h_t = h[:, t].copy()
        assert rel_error(grads["h"][:, t], numerical_gradient(lambda v, c_t=c_t: rest(v, c_t), h_t)) < 1e-7
        o_t = cache["steps"][t]["o"]  # c_t reaches the loss through h_t = o_t tanh(c_t) too (o_t does not use c_t)
        assert rel_error(grads["c"][:, t], numerical_gradient(lambda v, o_t=o_t: rest(o_t * np.tanh(v), v), c_t)) < 1e-7


def test_without_recurrent_weights_the_cell_gradient_is_the_product_of_forget_gates():
    x, h0, c0, Wx, Wh, b, _ = _setup(2)
    h, cache = lstm_forward(x, h0, c0, Wx, np.zeros_like(Wh), b)  # Wh = 0: h_{t-1} no longer feeds step t
    last = np.zeros_like(h)
    last[:, -1] = np.random.default_rng(5).standard_normal((N, H))
    grads = lstm_backward(last, cache)
    f = cache["f"]
    for t in range(T - 1):
        expected = grads["c"][:, -1] * np.prod(f[:, t + 1:], axis=1)  # dc_t = dc_T * f_T * ... * f_{t+1}
        np.testing.assert_allclose(grads["c"][:, t], expected, rtol=1e-12)
    np.testing.assert_allclose(grads["c0"], grads["c"][:, 0] * f[:, 0], rtol=1e-12)


def test_the_forget_bias_sets_how_far_back_the_gradient_reaches():
    x = np.random.default_rng(0).integers(0, 2, (20, 40, 1)).astype(float)
    reach = {}
    for bias in (-1.0, 1.0, 3.0):
        model = LSTM(1, 8, 2, forget_bias=bias, rng=0)
        scores = model.forward(x)
        dscores = np.zeros_like(scores)
        dscores[:, -1] = 1.0
        dx = model.backward(dscores)
        reach[bias] = np.linalg.norm(dx[:, 0]) / np.linalg.norm(dx[:, -1])
    assert reach[-1.0] < 1e-8 < reach[1.0] < reach[3.0]


def test_lstm_weights_and_the_class():
    Wx, Wh, b = lstm_weights(3, 5, forget_bias=2.0, rng=0)
    assert Wx.shape == (3, 20) and Wh.shape == (5, 20) and b.shape == (20,)
    assert np.all(b[5:10] == 2.0) and np.all(b[:5] == 0) and np.all(b[10:] == 0)
    model = LSTM(2, 4, 3, rng=1)
    x = np.random.default_rng(2).standard_normal((3, 4, 2))
    assert model.forward(x).shape == (3, 4, 3)
    assert [p.data.shape for p in model.parameters()] == [(2, 16), (4, 16), (16,), (4, 3), (3,)]


def test_the_class_is_a_layer_that_check_layer_can_check():
    model = LSTM(2, 3, 2, rng=0)
    errors = check_layer(model, np.random.default_rng(1).standard_normal((2, 4, 2)), rng=0)
    assert max(errors.values()) < 1e-6, errors


def test_the_class_learns_the_delayed_echo():
    x, y = delayed_echo(num_sequences=100, seq_len=8, delay=2, rng=0)
    model = LSTM(1, 8, 2, rng=0)
    optimizer = Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        loss, dscores = sequence_cross_entropy(model.forward(x), y)
        model.backward(dscores)
        optimizer.step()
    assert loss < 0.05


def test_clear_errors():
    Wx, Wh, b = lstm_weights(2, 3, rng=0)
    with pytest.raises(ValueError, match="multiple of 4"):
        lstm_forward(np.zeros((1, 2, 2)), np.zeros((1, 3)), np.zeros((1, 3)), np.zeros((2, 5)), Wh, b)
    with pytest.raises(ValueError, match="Wh must have shape"):
        lstm_forward(np.zeros((1, 2, 2)), np.zeros((1, 3)), np.zeros((1, 3)), Wx, Wh.T, b)
    with pytest.raises(ValueError, match="c0 must have shape"):
        lstm_forward(np.zeros((1, 2, 2)), np.zeros((1, 3)), np.zeros((2, 3)), Wx, Wh, b)
    with pytest.raises(ValueError, match="x must have shape"):
        lstm_forward(np.zeros((1, 2, 3)), np.zeros((1, 3)), np.zeros((1, 3)), Wx, Wh, b)
    _, cache = lstm_forward(np.zeros((1, 2, 2)), np.zeros((1, 3)), np.zeros((1, 3)), Wx, Wh, b)
    with pytest.raises(ValueError, match="dh must have"):
        lstm_backward(np.zeros((1, 3, 3)), cache)
    with pytest.raises(RuntimeError, match="before forward"):
        LSTM(1, 2, 2).backward(np.zeros((1, 1, 2)))
