"""Tests for bplab.rnn: every BPTT gradient against central differences, truncation, training."""

import numpy as np
import pytest

from bplab.gradcheck import numerical_gradient, rel_error
from bplab.optim import Adam
from bplab.rnn import (
    RNN,
    delayed_echo,
    recurrent_weights,
    rnn_backward,
    rnn_forward,
    sequence_cross_entropy,
)

N, T, D, H = 3, 5, 4, 6


def _setup(seed=0, T=T):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H)) * 0.5
    Wx = rng.standard_normal((D, H)) * 0.5
    Wh = rng.standard_normal((H, H)) * 0.4
    b = rng.standard_normal(H) * 0.1
    dh = rng.standard_normal((N, T, H))
    return x, h0, Wx, Wh, b, dh


def test_forward_matches_the_recurrence_step_by_step():
    x, h0, Wx, Wh, b, _ = _setup()
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    assert h.shape == (N, T, H)
    h1 = np.tanh(x[:, 0] @ Wx + h0 @ Wh + b)
    h2 = np.tanh(x[:, 1] @ Wx + h1 @ Wh + b)
    np.testing.assert_allclose(h[:, 0], h1, rtol=1e-14)
    np.testing.assert_allclose(h[:, 1], h2, rtol=1e-14)


@pytest.mark.parametrize("name", ["x", "h0", "Wx", "Wh", "b"])
def test_full_bptt_matches_numerical_gradient(name):
    x, h0, Wx, Wh, b, dh = _setup()
    arrays = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}

    def loss(_):
        h, _ = rnn_forward(arrays["x"], arrays["h0"], arrays["Wx"], arrays["Wh"], arrays["b"])
        return float(np.sum(h * dh))

    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    analytic = rnn_backward(dh, cache)[name]
    numeric = numerical_gradient(loss, arrays[name])
    assert analytic.shape == arrays[name].shape
    assert rel_error(analytic, numeric) < 1e-7


def test_total_hidden_gradient_matches_numerical_gradient_at_every_step():
    x, h0, Wx, Wh, b, dh = _setup()
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    total = rnn_backward(dh, cache)["h"]
    for t in range(T):
        h_t = h[:, t].copy()

        def loss_from_step(state, t=t):
            # the loss as a function of h_t alone: its own output term plus every later step
            later, _ = rnn_forward(x[:, t + 1 :], state, Wx, Wh, b)
            return float(np.sum(dh[:, t] * state) + np.sum(dh[:, t + 1 :] * later))

        assert rel_error(total[:, t], numerical_gradient(loss_from_step, h_t)) < 1e-7


@pytest.mark.parametrize("k", [T, T + 3, 100])
def test_truncation_at_least_the_length_is_full_bptt(k):
    x, h0, Wx, Wh, b, dh = _setup()
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    full, truncated = rnn_backward(dh, cache), rnn_backward(dh, cache, truncate=k)
    for name in full:
        np.testing.assert_array_equal(full[name], truncated[name])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_truncated_bptt_is_the_gradient_of_the_chunked_loss(k):
    """Truncated BPTT = exact gradient when the state entering each chunk of k steps is a constant."""
    x, h0, Wx, Wh, b, dh = _setup(seed=1, T=7)
    h_base, cache = rnn_forward(x, h0, Wx, Wh, b)
    arrays = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}

    def chunked_loss(_):
        total = 0.0
        for start in range(0, x.shape[1], k):
            # the first chunk starts from h0 (a real input); later ones from a frozen copy of the state
            state = arrays["h0"] if start == 0 else h_base[:, start - 1]
            h, _ = rnn_forward(arrays["x"][:, start : start + k], state, arrays["Wx"], arrays["Wh"], arrays["b"])
            total += float(np.sum(h * dh[:, start : start + k]))
        return total

    grads = rnn_backward(dh, cache, truncate=k)
    full = rnn_backward(dh, cache)
    for name in arrays:
        assert rel_error(grads[name], numerical_gradient(chunked_loss, arrays[name])) < 1e-7
    assert rel_error(grads["Wh"], full["Wh"]) > 1e-3  # truncation really changes the gradient


def test_rnn_model_gradients_match_numerical_gradients():
    rng = np.random.default_rng(2)
    model = RNN(D, H, 3, rng=2)
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H)) * 0.3
    dscores = rng.standard_normal((N, T, 3))

    def loss(_=None):
        return float(np.sum(model.forward(x, h0) * dscores))

    model.forward(x, h0)
    model.zero_grad()
    dx = model.backward(dscores)
    for name in ("Wx", "Wh", "b", "Wy", "by"):
        p = getattr(model, name)
        analytic = p.grad.copy()
        assert rel_error(analytic, numerical_gradient(loss, p.data)) < 1e-7, name
    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert rel_error(model.dh0, numerical_gradient(loss, h0)) < 1e-7


def test_rnn_model_trained_with_cross_entropy_gets_its_gradient():
    rng = np.random.default_rng(4)
    model = RNN(D, H, 3, rng=4)
    x = rng.standard_normal((N, T, D))
    y = rng.integers(0, 3, size=(N, T))
    _, dscores = sequence_cross_entropy(model.forward(x), y)
    model.backward(dscores, truncate=2)
    analytic = model.Wy.grad.copy()  # the output layer is not affected by truncation
    numeric = numerical_gradient(lambda _: sequence_cross_entropy(model.forward(x), y)[0], model.Wy.data)
    assert rel_error(analytic, numeric) < 1e-7


def test_sequence_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((2, 4, 3))
    y = rng.integers(0, 3, size=(2, 4))
    loss, dscores = sequence_cross_entropy(scores, y)
    log_p = scores - np.log(np.exp(scores).sum(axis=-1, keepdims=True))
    expected = -np.mean(np.take_along_axis(log_p, y[..., None], axis=-1))
    assert loss == pytest.approx(expected, rel=1e-12)
    numeric = numerical_gradient(lambda s: sequence_cross_entropy(s, y)[0], scores)
    assert rel_error(dscores, numeric) < 1e-7


def test_recurrent_weights_have_the_requested_spectral_radius():
    Wh = recurrent_weights(16, 1.3, rng=0)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(Wh)), 1.3, rtol=1e-10)
    np.testing.assert_allclose(np.linalg.svd(Wh, compute_uv=False), 1.3, rtol=1e-10)


@pytest.mark.parametrize("radius", [0.5, 1.5])
def test_gradient_through_time_scales_as_radius_power_in_the_linear_regime(radius):
    """With zero inputs the state stays 0, tanh' = 1, and each step back multiplies the norm by radius."""
    seq_len, hidden = 30, 8
    Wh = recurrent_weights(hidden, radius, rng=0)
    x = np.zeros((1, seq_len, 2))
    h, cache = rnn_forward(x, np.zeros((1, hidden)), np.ones((2, hidden)), Wh, np.zeros(hidden))
    dh = np.zeros_like(h)
    dh[0, -1] = np.arange(1.0, hidden + 1)
    norms = np.linalg.norm(rnn_backward(dh, cache)["h"][0], axis=1)
    steps_back = np.arange(seq_len)[::-1]
    np.testing.assert_allclose(norms, np.linalg.norm(dh[0, -1]) * radius**steps_back, rtol=1e-10)


def test_delayed_echo_targets_are_the_delayed_inputs():
    x, y = delayed_echo(num_sequences=7, seq_len=9, delay=3, rng=1)
    assert x.shape == (7, 9, 1) and y.shape == (7, 9)
    np.testing.assert_array_equal(y[:, 3:], x[:, :-3, 0])
    np.testing.assert_array_equal(y[:, :3], 0)
    assert set(np.unique(x)) == {0.0, 1.0}


def test_training_learns_the_delayed_echo_task():
    x, y = delayed_echo(num_sequences=100, seq_len=8, delay=2, rng=0)
    x_test, y_test = delayed_echo(num_sequences=200, seq_len=8, delay=2, rng=1)
    model = RNN(1, 12, 2, rng=0)
    optimizer = Adam(model.parameters(), lr=0.03)
    first_loss = None
    for _ in range(150):
        loss, dscores = sequence_cross_entropy(model.forward(x), y)
        first_loss = loss if first_loss is None else first_loss
        model.backward(dscores)
        optimizer.step()
    assert first_loss > 0.6  # starts near chance, log 2 = 0.69
    assert loss < 0.05
    assert np.mean(model.forward(x_test).argmax(axis=-1) == y_test) > 0.98


def test_truncated_training_still_learns_a_short_delay():
    x, y = delayed_echo(num_sequences=100, seq_len=12, delay=1, rng=0)
    model = RNN(1, 12, 2, rng=0)
    optimizer = Adam(model.parameters(), lr=0.03)
    for _ in range(150):
        loss, dscores = sequence_cross_entropy(model.forward(x), y)
        model.backward(dscores, truncate=4)
        optimizer.step()
    assert np.mean(model.forward(x).argmax(axis=-1) == y) > 0.95


def test_clear_errors():
    x, h0, Wx, Wh, b, dh = _setup()
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, 4\), got \(3, 5\)"):
        rnn_forward(x[:, :, 0], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="Wh must have shape"):
        rnn_forward(x, h0, Wx, Wh[:3], b)
    with pytest.raises(ValueError, match=r"h0 must have shape \(N, H\) = \(3, 6\), got \(2, 6\)"):
        rnn_forward(x, h0[:2], Wx, Wh, b)
    with pytest.raises(ValueError, match="b must have shape"):
        rnn_forward(x, h0, Wx, Wh, b[:2])
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="dh must have the shape"):
        rnn_backward(dh[:, :2], cache)
    with pytest.raises(ValueError, match="truncate must be at least 1"):
        rnn_backward(dh, cache, truncate=0)
    with pytest.raises(TypeError, match="truncate must be an integer"):
        rnn_backward(dh, cache, truncate=2.5)
    model = RNN(2, 3, 2, rng=0)
    with pytest.raises(RuntimeError, match="before forward"):
        model.backward(np.zeros((1, 1, 2)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, 2\)"):
        model.forward(np.zeros((4, 5, 3)))
    model.forward(np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match="dscores must have shape"):
        model.backward(np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match="delay must be smaller than seq_len"):
        delayed_echo(seq_len=3, delay=3)
    with pytest.raises(ValueError, match=r"y must have shape \(N, T\)"):
        sequence_cross_entropy(np.zeros((2, 3, 4)), np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match="spectral_radius must be at least 0"):
        recurrent_weights(4, -1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_product_of_step_jacobians_is_bptt_vector_for_vector(seed):
    """dL/dh_t = dL/dh_T J_T J_{T-1} ... J_{t+1}, J_s = diag(1 - h_s^2) Wh^T (rows are examples).

    On a general Wh (neither symmetric nor orthogonal) the transposed factors J_s^T give another vector.
    """
    x, h0, Wx, Wh, b, _ = _setup(seed)
    assert not np.allclose(Wh, Wh.T)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    dh = np.zeros_like(h)
    dh[:, -1] = np.random.default_rng(seed + 100).standard_normal((N, H))
    through_time = rnn_backward(dh, cache)["h"]
    for n in range(N):
        product = transposed = dh[n, -1]
        for s in range(T - 1, 0, -1):
            J_s = np.diag(1 - h[n, s] ** 2) @ Wh.T
            product, transposed = product @ J_s, transposed @ J_s.T
            np.testing.assert_allclose(product, through_time[n, s - 1], rtol=1e-12, atol=1e-15)
        assert not np.allclose(transposed, through_time[n, 0], rtol=1e-2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_each_step_back_shrinks_the_norm_by_at_most_the_largest_singular_value(seed):
    rng = np.random.default_rng(seed)
    Wh = rng.standard_normal((H, H)) * 0.6  # largest singular value above 1, spectral radius different
    sigma = np.linalg.svd(Wh, compute_uv=False)[0]
    x = rng.standard_normal((N, 20, D))
    h, cache = rnn_forward(x, np.zeros((N, H)), rng.standard_normal((D, H)), Wh, np.zeros(H))
    dh = np.zeros_like(h)
    dh[:, -1] = rng.standard_normal((N, H))
    norms = np.linalg.norm(rnn_backward(dh, cache)["h"], axis=2)
    assert np.all(norms[:, :-1] <= sigma * norms[:, 1:] * (1 + 1e-12))


def test_rnn_is_a_layer_that_check_layer_can_check():
    from bplab.gradcheck import check_layer
    from bplab.layers import Layer

    model = RNN(3, 4, 2, rng=0)
    assert isinstance(model, Layer)
    assert [name for name, _ in model.named_parameters()] == ["Wx", "Wh", "b", "Wy", "by"]
    x = np.random.default_rng(1).standard_normal((2, 5, 3))
    errors = check_layer(model, x, rng=2)
    assert set(errors) == {"x", "Wx", "Wh", "b", "Wy", "by"} and max(errors.values()) < 1e-7, errors
    model.zero_grad()
    assert not any(np.any(p.grad) for p in model.parameters())
