"""bplab.layers' batch norm, layer norm and dropout: every backward against finite differences, train versus test
mode, the running averages, and clear errors (notebooks 09b and 10b)."""

import numpy as np
import pytest

from bplab import layers as L
from bplab.gradcheck import check_layer, numerical_gradient, rel_error


def _inputs(seed, N=6, D=4):
    """Random non-symmetric inputs: nonzero mean, unequal spreads, gamma away from 1, beta away from 0."""
    r = np.random.default_rng(seed)
    x = r.normal(1.5, 2.0, (N, D)) * r.uniform(0.5, 3.0, D)
    return x, r.normal(1.0, 0.5, D), r.normal(0.0, 1.0, D), r.normal(size=(N, D))


def _fd(forward, arrays, which, dout):
    """Central differences of sum(forward(*arrays) * dout) with respect to arrays[which]."""
    arrays = [a.copy() for a in arrays]

    def f(v):
        args = list(arrays)
        args[which] = v
        return float(np.sum(forward(*args) * dout))

    return numerical_gradient(f, arrays[which].copy())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_batchnorm_backward_matches_finite_differences_in_train_mode(seed):
    x, gamma, beta, dout = _inputs(seed)
    out, cache = L.batchnorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    forward = lambda x_, g_, b_: L.batchnorm_forward(x_, g_, b_)[0]  # noqa: E731
    for got, which in ((dx, 0), (dgamma, 1), (dbeta, 2)):
        assert rel_error(got, _fd(forward, [x, gamma, beta], which, dout)) < 1e-7


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batchnorm_backward_matches_finite_differences_in_test_mode(seed):
    x, gamma, beta, dout = _inputs(seed)
    r = np.random.default_rng(seed + 10)
    mean, var = r.normal(size=4), r.uniform(0.5, 2.0, 4)
    forward = lambda x_, g_, b_: L.batchnorm_forward(x_, g_, b_, mode="test", running_mean=mean,  # noqa: E731
                                                     running_var=var)[0]
    dx, dgamma, dbeta = L.batchnorm_backward(dout, L.batchnorm_forward(x, gamma, beta, mode="test",
                                                                      running_mean=mean, running_var=var)[1])
    for got, which in ((dx, 0), (dgamma, 1), (dbeta, 2)):
        assert rel_error(got, _fd(forward, [x, gamma, beta], which, dout)) < 1e-7
    np.testing.assert_allclose(dx, dout * gamma / np.sqrt(var + 1e-5))  # an affine map per feature


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_layernorm_backward_matches_finite_differences(seed):
    x, gamma, beta, dout = _inputs(seed)
    out, cache = L.layernorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = L.layernorm_backward(dout, cache)
    forward = lambda x_, g_, b_: L.layernorm_forward(x_, g_, b_)[0]  # noqa: E731
    for got, which in ((dx, 0), (dgamma, 1), (dbeta, 2)):
        assert rel_error(got, _fd(forward, [x, gamma, beta], which, dout)) < 1e-7


def test_batchnorm_forward_standardizes_each_feature_and_gamma_beta_can_undo_it():
    x, gamma, beta, _ = _inputs(5, N=50)
    out, (x_hat, *_rest) = L.batchnorm_forward(x, np.ones(4), np.zeros(4), eps=1e-12)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-9)
    undo, _ = L.batchnorm_forward(x, np.sqrt(x.var(axis=0) + 1e-5), x.mean(axis=0))
    np.testing.assert_allclose(undo, x, rtol=1e-12, atol=1e-12)  # the identity: nothing is lost


def test_layernorm_is_batchnorm_of_the_transpose():
    x, _, _, dout = _inputs(6, N=5, D=7)
    ones, zeros = np.ones(7), np.zeros(7)
    ln, ln_cache = L.layernorm_forward(x, ones, zeros)
    bn, bn_cache = L.batchnorm_forward(x.T, np.ones(5), np.zeros(5))
    np.testing.assert_allclose(ln, bn.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(L.layernorm_backward(dout, ln_cache)[0], L.batchnorm_backward(dout.T, bn_cache)[0].T,
                               rtol=1e-10, atol=1e-12)


def test_batchnorm_dx_sums_to_zero_over_the_batch():
    # adding a constant to a feature's column changes nothing after normalization: no gradient along it
    x, gamma, beta, dout = _inputs(7)
    dx = L.batchnorm_backward(dout, L.batchnorm_forward(x, gamma, beta)[1])[0]
    np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-12 * np.abs(dx).max())
    assert np.abs(dx).max() > 0.1


def test_running_averages_move_by_momentum_and_test_mode_uses_them():
    x, gamma, beta, _ = _inputs(8)
    mean, var = np.zeros(4), np.ones(4)
    L.batchnorm_forward(x, gamma, beta, running_mean=mean, running_var=var, momentum=0.25)
    np.testing.assert_allclose(mean, 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(var, 0.75 + 0.25 * x.var(axis=0))
    out = L.batchnorm_forward(x, gamma, beta, mode="test", running_mean=mean, running_var=var)[0]
    np.testing.assert_allclose(out, gamma * (x - mean) / np.sqrt(var + 1e-5) + beta)
    one = L.batchnorm_forward(x[:1], gamma, beta, mode="test", running_mean=mean, running_var=var)[0]
    np.testing.assert_allclose(one, out[:1])  # in test mode an example's output depends on that example alone


def test_in_train_mode_an_examples_output_depends_on_its_batchmates():
    x, gamma, beta, _ = _inputs(9)
    first = L.batchnorm_forward(x[:3], gamma, beta)[0][0]
    other = L.batchnorm_forward(np.vstack([x[:1], x[3:5]]), gamma, beta)[0][0]
    assert np.abs(first - other).max() > 0.1


def test_batchnorm_layer_trains_with_batch_statistics_and_evaluates_with_running_averages():
    layer = L.BatchNorm(4, momentum=0.5)
    x, *_ = _inputs(10)
    layer(x)
    np.testing.assert_allclose(layer.running_mean, 0.5 * x.mean(axis=0))
    before = layer.running_mean.copy()
    layer.eval()
    out = layer(x[:1])  # one example is fine in evaluation mode
    np.testing.assert_allclose(layer.running_mean, before)  # and does not move the averages
    np.testing.assert_allclose(out, (x[:1] - before) / np.sqrt(layer.running_var + 1e-5))
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]


@pytest.mark.parametrize("make", [lambda: L.BatchNorm(4), lambda: L.BatchNorm(4).eval(), lambda: L.LayerNorm(4)],
                         ids=["BatchNorm train", "BatchNorm eval", "LayerNorm"])
def test_normalization_layers_pass_check_layer(make):
    x, *_ = _inputs(11)
    errors = check_layer(make(), x, rng=3)
    assert max(errors.values()) < 1e-7, errors


def test_an_mlp_with_batch_norm_between_linear_and_activation():
    model = L.MLP([4, 8, 8, 3], activation="tanh", norm="batch", rng=0)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Linear", "BatchNorm", "Tanh", "Linear", "BatchNorm", "Tanh", "Linear"]
    x = np.random.default_rng(12).normal(0.5, 1.0, (10, 4))
    errors = check_layer(model, x, rng=1)
    # a bias before batch norm is subtracted again with the mean: its gradient is 0 (up to round-off)
    assert max(v for k, v in errors.items() if k not in ("0.b", "3.b")) < 1e-7
    model.backward(np.ones((10, 3)))
    assert np.abs(model.layers[0].b.grad).max() < 1e-12
    assert [type(layer).__name__ for layer in L.MLP([4, 8, 3], norm="layer").layers] == ["Linear", "LayerNorm",
                                                                                          "ReLU", "Linear"]


def test_train_and_eval_reach_every_layer_inside():
    inner = L.Sequential(L.Linear(3, 3), L.Dropout(0.5))
    model = L.Sequential(L.Linear(3, 3), L.BatchNorm(3), inner)
    assert model.eval() is model
    assert not any(layer.training for layer in (model, *model.layers, *inner.layers))
    model.train()
    assert all(layer.training for layer in (model, *model.layers, *inner.layers))


def test_dropout_drops_a_fraction_p_and_scales_the_rest_so_the_mean_is_kept():
    x = np.random.default_rng(0).normal(2.0, 1.0, (400, 50))
    out, mask = L.dropout_forward(x, 0.3, rng=1)
    kept = out != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01
    np.testing.assert_allclose(out[kept], x[kept] / 0.7)
    np.testing.assert_allclose(mask[kept], 1 / 0.7)
    means = np.mean([L.dropout_forward(x[:5, :5], 0.3, rng=s)[0] for s in range(20_000)], axis=0)
    np.testing.assert_allclose(means, x[:5, :5], rtol=0.03)  # inverted dropout: E[out] = x
    same, cache = L.dropout_forward(x, 0.3, mode="test")
    assert same is x and cache is None


def test_dropout_backward_matches_finite_differences_with_the_same_mask():
    r = np.random.default_rng(2)
    x, dout = r.normal(size=(5, 6)), r.normal(size=(5, 6))
    mask = r.random((5, 6)) >= 0.4
    out, cache = L.dropout_forward(x, 0.4, mask=mask)
    dx = L.dropout_backward(dout, cache)
    numeric = numerical_gradient(lambda v: float(np.sum(L.dropout_forward(v, 0.4, mask=mask)[0] * dout)), x.copy())
    assert rel_error(dx, numeric) < 1e-7
    assert np.all(dx[~mask] == 0)
    np.testing.assert_array_equal(L.dropout_backward(dout, None), dout)


def test_dropout_layer_is_the_identity_in_evaluation_mode():
    layer = L.Dropout(0.5, rng=0)
    x = np.ones((4, 10))
    assert np.any(layer(x) == 0)
    layer.eval()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(2 * x), 2 * x)


@pytest.mark.parametrize("call, error, match", [
    (lambda: L.batchnorm_forward(np.ones(3), np.ones(3), np.zeros(3)), ValueError, r"x of shape \(N, D\), got shape"),
    (lambda: L.batchnorm_forward(np.ones((4, 3)), np.ones(2), np.zeros(3)), ValueError,
     r"gamma of shape \(3,\), one per feature of x \(4, 3\), got \(2,\)"),
    (lambda: L.batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros((3, 1))), ValueError, r"beta of shape \(3,\)"),
    (lambda: L.batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3)), ValueError, "at least 2 examples"),
    (lambda: L.batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros(3), mode="eval"), ValueError,
     "mode must be 'train' or 'test'"),
    (lambda: L.batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros(3), mode="test"), ValueError,
     "needs running_mean and running_var"),
    (lambda: L.batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros(3), running_mean=np.zeros(2)), ValueError,
     r"running_mean of shape \(3,\), got \(2,\)"),
    (lambda: L.layernorm_forward(np.ones((4, 1)), np.ones(1), np.zeros(1)), ValueError, "at least 2 features"),
    (lambda: L.dropout_forward(np.ones(3), 1.0), ValueError, r"in \[0, 1\)"),
    (lambda: L.dropout_forward(np.ones(3), 0.5, mask=np.ones(2, bool)), ValueError, "mask of the shape of x"),
    (lambda: L.BatchNorm(3)(np.ones((1, 3))), ValueError, r"call \.eval\(\) first"),
    (lambda: L.BatchNorm(3)(np.ones((4, 2))), ValueError, r"BatchNorm\(3\) expects x of shape \(N, 3\), got \(4, 2\)"),
    (lambda: L.LayerNorm(3)(np.ones((4, 2))), ValueError, r"LayerNorm\(3\) expects x of shape \(N, 3\)"),
    (lambda: L.Dropout(1.5), ValueError, "probability of dropping"),
    (lambda: L.MLP([3, 2], norm="group"), ValueError, "norm must be None, 'batch' or 'layer'"),
])
def test_bad_input_raises_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
