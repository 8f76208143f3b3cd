"""Widget of notebook 16: the residual explorer wires depth and activation to the notebook's gradient-norm function."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bplab.layers import Layer, Linear, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh  # noqa: E402
from bplab.widgets import residual_explorer  # noqa: E402


class Residual(Layer):
    """out = x + f(x), as notebook 16 builds it."""

    def __init__(self, *layers):
        self.inner = Sequential(*layers)

    def _forward(self, x):
        self.cache = True
        return x + self.inner._forward(x)

    def _backward(self, dout):
        return dout + self.inner._backward(dout)

    def named_parameters(self):
        return self.inner.named_parameters()


def real_gradient_norms(width=20, batch=64):
    """The notebook's measurement on a smaller network: ||dW|| of each Linear layer after one backward pass."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((batch, width)), rng.integers(0, 3, size=batch)
    calls = []

    def gradient_norms(depth, activation, residual):
        calls.append((depth, activation, residual))
        layer_rng = np.random.default_rng(1)
        act = {"sigmoid": Sigmoid, "tanh": Tanh}[activation]
        linears = [Linear(width, width, "xavier", rng=layer_rng) for _ in range(depth - 1)]
        layers = [linears[0], act()]
        for linear in linears[1:]:
            layers.append(Residual(linear, act()) if residual else Sequential(linear, act()))
        last = Linear(width, 3, "xavier", rng=layer_rng)
        model = Sequential(*layers, last)
        criterion = SoftmaxCrossEntropy()
        criterion.forward(model.forward(X), y)
        model.backward(criterion.backward())
        return np.array([np.linalg.norm(layer.W.grad) for layer in [*linears, last]])

    return gradient_norms, calls


def test_result_holds_both_networks_and_their_ratios():
    gradient_norms, calls = real_gradient_norms()
    explorer = residual_explorer(gradient_norms, depth=12, activation="sigmoid")
    result = explorer.result
    assert set(calls) == {(12, "sigmoid", False), (12, "sigmoid", True)}
    assert result["plain"].shape == (12,) and result["residual"].shape == (12,)
    np.testing.assert_allclose(result["plain"], gradient_norms(12, "sigmoid", False))
    assert result["ratio_plain"] == pytest.approx(result["plain"][0] / result["plain"][-1])
    assert result["ratio_residual"] == pytest.approx(result["residual"][0] / result["residual"][-1])
    assert result["ratio_plain"] < 1e-4 < result["ratio_residual"]  # sigmoid vanishes, residual rescues
    assert f"{result['ratio_plain']:.1e} plain" in explorer.readout.value
    assert f"{result['ratio_residual']:.1e} with residual" in explorer.readout.value


def test_controls_recompute_and_redraw():
    gradient_norms, calls = real_gradient_norms()
    explorer = residual_explorer(gradient_norms, depth=5, activation="tanh")
    frames = explorer.frames
    explorer.controls["depth"].value = 20
    assert explorer.result["depth"] == 20 and explorer.result["plain"].shape == (20,)
    explorer.controls["activation"].value = "sigmoid"
    assert explorer.result["activation"] == "sigmoid" and (20, "sigmoid", True) in calls
    assert explorer.result["ratio_plain"] < 1e-8  # 20 sigmoid layers
    line = explorer.artists["residual"]
    np.testing.assert_allclose(line.get_xdata(), np.arange(1, 21))
    np.testing.assert_allclose(line.get_ydata(), explorer.result["residual"])
    assert explorer.frames > frames


def test_bad_arguments_name_what_was_expected():
    with pytest.raises(TypeError, match="gradient_norms must be a function"):
        residual_explorer(None)
    with pytest.raises(ValueError, match="depth must be at most 30"):
        residual_explorer(lambda d, a, r: np.ones(d), depth=31)
    with pytest.raises(ValueError, match="activation must be one of"):
        residual_explorer(lambda d, a, r: np.ones(d), activation="relu")
    with pytest.raises(ValueError, match="must return 10 norms"):
        residual_explorer(lambda d, a, r: np.ones(d + 1), depth=10)
