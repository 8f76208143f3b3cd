"""The answer keys of the "check yourself" questions, recomputed independently.

`tests/test_checks.py` feeds each stored answer back into `check`, which only proves that the key
agrees with itself. Here every question of ``bplab/course/questions/NN.json`` gets its own recomputation
from the question's text (see the notebook ``notebooks/NN-*.ipynb``): a number from the formula, a
measurement (central differences, the autograd engine, a bplab function), a choice from the fact
that decides it (a measured ratio, a sign, which gradient is exactly zero). A purely conceptual
choice is asserted with one line of reasoning. A wrong key, or a new question with no recomputation
here, fails.
"""

from __future__ import annotations

import itertools
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bplab import Value
from bplab.course import checks
from bplab.course.checks import check
from bplab.data import add_label_noise
from bplab.functions import relu, sigmoid, sigmoid_derivative, softmax_cross_entropy, tanh
from bplab.gradcheck import numerical_gradient
from bplab.layers import MLP, Linear, Parameter, init_weights
from bplab.optim import SGD, clip_gradients, fit
from bplab.plots import confusion_matrix, plot_confusion_matrix
from bplab.rnn import RNN, rnn_backward, rnn_forward

STORED = {
    f"{path.stem}.{key}": spec
    for path in sorted(checks.QUESTIONS.glob("*.json"))
    for key, spec in json.loads(path.read_text()).items()
}
H = 1e-5  # the course's central-difference step


def derivative(f, x: float, h: float = H) -> float:
    """Central difference of a scalar function of one number."""
    return (f(x + h) - f(x - h)) / (2 * h)


def logit(p: float) -> float:
    """The z with sigmoid(z) = p."""
    return math.log(p / (1 - p))


def closest_option(measured: float, values: dict[str, float]) -> str:
    """The option whose value is nearest to `measured` (on a log scale for positive values)."""
    return min(values, key=lambda option: abs(math.log(measured / values[option])))


RECOMPUTE = {}


def recomputes(question_id: str):
    def register(function):
        RECOMPUTE[question_id] = function
        return function

    return register


# --- 00 · Start here ------------------------------------------------------------------------------


@recomputes("00.q1")
def _():
    # Conceptual: the backward pass is the move that applies the chain rule from L back to w and b;
    # the forward pass makes y_hat, the error makes L, the update only uses the gradients.
    return "backward pass"


@recomputes("00.q2")
def _():
    # y_hat = w x + b, L = (y_hat - y)^2 with x = 2, y = 1, w = 0.8, b = 0.2, then one step with lr = 0.02.
    w, b = Value(0.8), Value(0.2)
    ((w * 2.0 + b - 1.0) ** 2).backward()
    return w.data - 0.02 * w.grad


# --- 01 · Derivatives and the chain rule ----------------------------------------------------------


@recomputes("01.q1")
def _():
    return derivative(lambda x: x**3, 2.0)  # f'(2) for f(x) = x^3, measured


@recomputes("01.q2")
def _():
    # Truncation error of the central difference of sin at x = 1, for h and h / 10 (h large enough
    # that rounding is negligible): how much smaller does it get?
    def error(h):
        return abs(derivative(math.sin, 1.0, h) - math.cos(1.0))

    ratio = error(1e-2) / error(1e-3)
    return closest_option(ratio, {"10": 10.0, "100": 100.0, "1000": 1000.0})


@recomputes("01.q3")
def _():
    return derivative(lambda x: math.sin(x**2), 1.5)  # d/dx sin(x^2) at 1.5, without the chain rule


@recomputes("01.q4")
def _():
    return derivative(lambda y: 2.0**2 * y + math.sin(y), 0.0)  # df/dy of x^2 y + sin y at (2, 0)


# --- 02 · Computational graphs --------------------------------------------------------------------


@recomputes("02.q1")
def _():
    a, b = Value(3.0), Value(-4.0)
    (2.0 * (a * b)).backward()  # an upstream gradient of 2 at z = a b
    return a.grad


@recomputes("02.q2")
def _():
    # Gradient of b for m = max(a, b), upstream 3, at a = 1.5, b = 2.5: measured on 3 * max(a, b).
    return derivative(lambda b: 3.0 * max(1.5, b), 2.5)


@recomputes("02.q3")
def _():
    a, b = Value(2.0), Value(5.0)
    (a * b + a).backward()
    return a.grad


@recomputes("02.q4")
def _():
    return derivative(lambda x: x**2 * x**3, 2.0)  # dL/dx of L = u v, u = x^2, v = x^3, at x = 2, measured


# --- 03 · Autograd from scratch -------------------------------------------------------------------


@recomputes("03.q1")
def _():
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    (a * b + c).backward()
    return a.grad


@recomputes("03.q2")
def _():
    return derivative(lambda a: a * a + a, 3.0)  # de/da of e = a a + a at a = 3


@recomputes("03.q3")
def _():
    # Measure: two backward() calls on a loss with intermediate nodes, without zeroing in between.
    w, x = Value(0.7), Value(-1.3)
    loss = ((w * x).tanh() - 0.25) ** 2
    loss.backward()
    once = w.grad
    loss.backward()
    twice = w.grad
    assert once not in (0.0, 1.0, 2.0)  # so that the four outcomes below are all different
    outcomes = {"unchanged": once, "doubled": 2 * once, "reset to zero": 0.0, "squared": once**2}
    (matching,) = [option for option, value in outcomes.items() if math.isclose(twice, value, rel_tol=1e-12)]
    return matching


@recomputes("03.q4")
def _():
    return derivative(math.tanh, math.atanh(0.8))  # do/dn where o = tanh(n) = 0.8


# --- 04 · A single neuron -------------------------------------------------------------------------


@recomputes("04.q1")
def _():
    return derivative(lambda z: float(sigmoid(z)), 0.0)


@recomputes("04.q2")
def _():
    return float(tanh(np.array([1.0, 3.0]) @ np.array([2.0, -1.0]) + 0.5))


@recomputes("04.q3")
def _():
    # Which activation's measured slope is exactly 0 at every negative z?
    z_negative = np.linspace(-6.0, -0.05, 60)
    flat = [
        name for name, f in (("sigmoid", sigmoid), ("tanh", tanh), ("relu", relu))
        if all(derivative(lambda v, f=f: float(f(v)), z) == 0.0 for z in z_negative)
    ]
    (only,) = flat
    return only


@recomputes("04.q4")
def _():
    b = Value(0.0)  # z = w . x + b = 0 (the weights' part is 0), target y = 1
    ((b.sigmoid() - 1.0) ** 2).backward()
    return b.grad


# --- 05 · Loss and gradient descent ---------------------------------------------------------------


@recomputes("05.q1")
def _():
    return sum((p - t) ** 2 for p, t in zip((1, 2, 4), (1, 3, 2))) / 3


@recomputes("05.q2")
def _():
    # A probability output p = sigmoid(z) for a yes/no target: cross-entropy is its negative
    # log-likelihood. Measured: when the model is confidently wrong (z = -6, y = 1), only
    # cross-entropy keeps a gradient of order 1 with respect to z; squared error's vanishes with sigma'.
    def mse_of_z(z):
        return (float(sigmoid(z)) - 1.0) ** 2

    def cross_entropy_of_z(z):
        return -math.log(float(sigmoid(z)))

    slopes = {name: abs(derivative(f, -6.0)) for name, f in
              (("mean squared error", mse_of_z), ("cross-entropy", cross_entropy_of_z))}
    assert slopes["cross-entropy"] > 0.99 and slopes["mean squared error"] < 0.01
    return max(slopes, key=slopes.get)


@recomputes("05.q3")
def _():
    # The largest lr for which one step of gradient descent on L(w) = 3 w^2 does not move w away
    # from the minimum, found by bisection on the measured step (no formula for the threshold).
    def grows(lr, w=1.0):
        return abs(w - lr * derivative(lambda v: 3 * v**2, w)) > abs(w)

    low, high = 1e-3, 10.0
    assert not grows(low) and grows(high)
    for _ in range(80):
        middle = (low + high) / 2
        low, high = (low, middle) if grows(middle) else (middle, high)
    return (low + high) / 2


@recomputes("05.q4")
def _():
    # A non-diagonal quadratic L(w) = w^T A w / 2 with eigenvalues 1 and 10, lr = 0.95 * 2 / 10.
    rng = np.random.default_rng(5)
    q, _ = np.linalg.qr(rng.standard_normal((2, 2)))
    A = q @ np.diag([1.0, 10.0]) @ q.T
    lr, w = 0.95 * 2 / 10.0, np.array([1.0, -0.5])
    steep = []  # the component of w along the steepest direction, step by step
    for _ in range(400):
        steep.append(float(q[:, 1] @ w))
        w = w - lr * (A @ w)
    converges = np.linalg.norm(w) < 1e-6
    zigzags = all(s0 * s1 < 0 for s0, s1 in zip(steep[:20], steep[1:21]))
    if not converges:
        return "diverges"
    return "zigzags but converges" if zigzags else "converges without zigzag"


def test_05_numeric_keys_accept_rounded_answers_and_reject_near_misses():
    # 5/3 and 1/3 to four digits are right; to fewer they are close (no concept hint); the tempting wrong
    # answers get the hint: 2.5 divides by N - 1, 1.29 is the root, 5.0 forgets the mean; 1/6 is where the
    # zigzag starts, 2/3 forgets the 2 of L'' = 6, and 0.34 and 0.3334 are learning rates that diverge.
    for question_id, right, close, wrong in (
        ("05.q1", (1.667, 1.6667, 5 / 3), (1.67, 1.7), (2.5, 1.29, 5.0)),
        ("05.q3", (0.3333, 0.33333, 1 / 3, 1 - 2 / 3), (0.33, 0.333, 0.3), (1 / 6, 2 / 3, 0.34, 0.3334)),
    ):
        hint = STORED[question_id]["hint"]
        assert all(check(question_id, answer) for answer in right), question_id
        for answer in close:
            feedback = check(question_id, answer)
            assert not feedback and feedback.message == "close: give 4 significant digits.", (question_id, answer)
        for answer in wrong:
            feedback = check(question_id, answer)
            assert not feedback and hint in feedback.message, (question_id, answer)


# --- 05b · Stochastic gradient descent ----------------------------------------------------------


@recomputes("05b.q1")
def _():
    from bplab.data import minibatches

    return len(minibatches(1000, 64, rng=0))  # the steps of one epoch, counted


@recomputes("05b.q2")
def _():
    # Measure the root-mean-square distance of batch gradients from the full gradient at B = 8 and B = 32
    # (both much smaller than N = 20,000), on per-example gradients of a line fit.
    rng = np.random.default_rng(52)
    x = rng.uniform(-1, 1, 20_000)
    per_example = 2 * (0.5 * x - rng.normal(size=x.size))[:, None] * np.column_stack([x, np.ones_like(x)])
    full = per_example.mean(axis=0)

    def noise(batch_size):
        batches = [per_example[rng.choice(x.size, batch_size, replace=False)].mean(axis=0) for _ in range(4000)]
        return math.sqrt(np.mean(np.sum((np.array(batches) - full) ** 2, axis=1)))

    return closest_option(noise(32) / noise(8), {"4": 4.0, "2": 2.0, "1/2": 0.5, "1/4": 0.25})


@recomputes("05b.q3")
def _():
    # SGD, B = 10, lr 0.1, on a noisy line fit (1,000 points) for 60 epochs: compare the last 20 epochs' loss with the
    # minimum and with the start.
    from bplab.widgets import sgd_data, sgd_run

    x, y = sgd_data()
    run = sgd_run(x, y, batch_size=10, lr=0.1, num_epochs=60)
    excess = run["loss"][-2000:] - run["loss_min"]
    if not np.all(np.isfinite(excess)) or excess.max() > run["loss"][0]:
        return "diverges"
    assert excess.min() > 0  # never exactly at the minimum...
    assert np.mean(excess[-1000:]) > 0.5 * np.mean(excess[:1000])  # ...and not getting closer either
    return "keeps hovering above the minimum" if excess.mean() > 1e-6 else "settles exactly at the minimum"


# --- 05c · Momentum, Adam and standardized inputs ------------------------------------------------


@recomputes("05c.q1")
def _():
    from bplab.optim import SGD

    p = Parameter(np.zeros(1))
    optimizer = SGD([p], lr=0.01, momentum=0.9)
    for _ in range(2000):
        before = p.data[0]
        p.grad[...] = 2.0
        optimizer.step()
    return abs(p.data[0] - before)  # the length of the last step


@recomputes("05c.q2")
def _():
    from bplab.optim import Adam

    p = Parameter(np.zeros(1))
    adam = Adam([p], lr=0.1)
    p.grad[...] = 300.0
    adam.step()
    return abs(p.data[0])


@recomputes("05c.q3")
def _():
    # Scan learning rates: the worse of the two per-step factors |1 - lr * lambda|, smallest where?
    lrs = np.linspace(0.001, 0.25, 249_001)
    worst = np.maximum(np.abs(1 - lrs * 1.0), np.abs(1 - lrs * 9.0))
    return float(lrs[np.argmin(worst)])


# --- 05d · Your engine trains a network -----------------------------------------------------------


@recomputes("05d.q1")
def _():
    return sum(p.data.size for p in MLP([2, 16, 16, 1]).parameters())


@recomputes("05d.q2")
def _():
    # One example's score through 2-8-8-1 tanh neurons built from bplab.Values as notebook 05d's Neuron does.
    rng = np.random.default_rng(53)
    h = [0.3, -1.2]
    for fan_out, last in [(8, False), (8, False), (1, True)]:  # 2 -> 8 -> 8 -> 1
        outputs = []
        for _ in range(fan_out):
            z = Value(rng.normal())
            for x_i in h:
                z = z + Value(rng.normal()) * x_i
            outputs.append(z if last else z.tanh())
        h = outputs
    return sum(node._op == "*" for node in h[0].topological_order())


@recomputes("05d.q3")
def _():
    # Two steps of a tiny training loop whose parameters are never zeroed, against each step's own gradient (measured
    # on a fresh copy of the parameters).
    def loss_of(w, b, x_i, t):  # a fresh graph, as each training step builds
        return ((w * x_i + b) * -t).exp()

    w, b = Value(0.4), Value(-0.2)  # the loop's parameters: the same Values at both steps
    own = []
    for x_i, t in [(1.5, 1.0), (-0.7, -1.0)]:
        w_fresh, b_fresh = Value(w.data), Value(b.data)
        loss_of(w_fresh, b_fresh, x_i, t).backward()
        own.append(w_fresh.grad)  # this step's own gradient
        loss_of(w, b, x_i, t).backward()  # the loop's backward, without zeroing
        held = w.grad
        w.data -= 0.1 * w.grad
        b.data -= 0.1 * b.grad
    outcomes = {"the gradient of step 2's loss": own[1], "the sum of the gradients of steps 1 and 2": own[0] + own[1],
                "twice the gradient of step 2's loss": 2 * own[1]}
    assert min(abs(a - b) for a, b in [(own[0], 0.0), (own[0], own[1])]) > 1e-3  # three different outcomes
    (matching,) = [name for name, value in outcomes.items() if math.isclose(held, value, rel_tol=1e-12)]
    return matching


# --- 06 · Backprop by hand: XOR -------------------------------------------------------------------


def xor_loss(theta, x1, x2, target):
    """The 2-2-1 sigmoid network of notebook 06 with binary cross-entropy; theta in its order
    (w11, w12, w21, w22, b1, b2, v1, v2, c)."""
    w11, w12, w21, w22, b1, b2, v1, v2, c = theta
    h1 = float(sigmoid(w11 * x1 + w21 * x2 + b1))
    h2 = float(sigmoid(w12 * x1 + w22 * x2 + b2))
    y_hat = float(sigmoid(v1 * h1 + v2 * h2 + c))
    return -(target * math.log(y_hat) + (1 - target) * math.log(1 - y_hat))


@recomputes("06.q1")
def _():
    z3 = Value(logit(0.8))  # so that y_hat = 0.8; target y = 0, so L = -log(1 - y_hat)
    (-(1.0 - z3.sigmoid()).log()).backward()
    return z3.grad


@recomputes("06.q2")
def _():
    z1 = Value(logit(0.6))  # h1 = 0.6
    z3 = 2.0 * z1.sigmoid() + 0.3  # v1 = 2; the rest of z3 does not depend on z1
    (-0.5 * z3).backward()  # any loss with dL/dz3 = -0.5
    return z1.grad


@recomputes("06.q3")
def _():
    # Which of the nine gradients are exactly zero at x = (0, 0), for several parameters and targets?
    groups = {"the four w": {0, 1, 2, 3}, "the biases b1, b2 and c": {4, 5, 8}, "all nine": set(range(9))}
    rng = np.random.default_rng(6)
    always_zero = set(range(9))
    for target in (0, 1, 0, 1):
        theta = rng.normal(0.0, 1.5, size=9)
        grad = numerical_gradient(lambda t, target=target: xor_loss(t, 0.0, 0.0, target), theta)
        always_zero &= {i for i in range(9) if grad[i] == 0.0}
    matching = [name for name, indices in groups.items() if indices == always_zero]
    return matching[0] if matching else "none"


# --- 07 · Vectorized backprop ---------------------------------------------------------------------


@recomputes("07.q1")
def _():
    rng = np.random.default_rng(7)
    layer = Linear(100, 10, rng=rng)
    layer.forward(rng.standard_normal((64, 100)))
    layer.backward(rng.standard_normal((64, 10)))
    return layer.W.grad.shape  # a tuple, as a learner would answer


@recomputes("07.q2")
def _():
    # db as the numerical gradient of sum(dY * (X W + b)) with respect to b, for some X, W.
    rng = np.random.default_rng(8)
    dY = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    X, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    return numerical_gradient(lambda b: float(np.sum(dY * (X @ W + b))), np.zeros(2))


@recomputes("07.q3")
def _():
    # Row 0 of d(mean loss)/dS for a batch of 4, where softmax(S[0]) = [0.7, 0.2, 0.1] and y[0] = 0.
    rng = np.random.default_rng(9)
    scores = rng.standard_normal((4, 3))
    scores[0] = np.log([0.7, 0.2, 0.1]) + 1.3  # adding a constant leaves the softmax unchanged
    y = np.array([0, 2, 1, 1])
    return numerical_gradient(lambda s: softmax_cross_entropy(s, y), scores)[0]


@recomputes("07.q4")
def _():
    # The central difference of ReLU at x = 2e-6 with h = 1e-5: the step straddles the kink at 0.
    return float(numerical_gradient(lambda v: float(relu(v).sum()), np.array([2e-6]), h=1e-5)[0])


# --- 08 · An MLP on real data ---------------------------------------------------------------------


@recomputes("08.q1")
def _():
    return sum(p.data.size for p in MLP([64, 128, 10], rng=0).parameters())


@recomputes("08.q2")
def _():
    # Count the optimizer steps `fit` takes in one epoch over the 1,078 training examples with batch_size=32.
    class CountingSGD(SGD):
        steps = 0

        def step(self):
            CountingSGD.steps += 1
            super().step()

    model = MLP([1, 2], rng=0)
    X, y = np.linspace(-1, 1, 1078).reshape(-1, 1), np.arange(1078) % 2
    fit(model, X, y, CountingSGD(model.parameters(), lr=0.01), num_epochs=1, batch_size=32, rng=0)
    return CountingSGD.steps


@recomputes("08.q3")
def _():
    counts = confusion_matrix([3], [5], num_classes=10)  # one true 3, predicted as a 5
    ax = plot_confusion_matrix([3], [5], num_classes=10)
    labels = ax.get_ylabel(), ax.get_xlabel()
    plt.close(ax.figure)
    assert labels == ("true class", "predicted class")  # the plot shows rows as true classes too
    if counts[3, 5] == 1:
        return "3s predicted as 5"
    return "5s predicted as 3" if counts[5, 3] == 1 else "3s and 5s predicted correctly"


# --- 09 · Initialization and vanishing gradients --------------------------------------------------


@recomputes("09.q1")
def _():
    std = math.sqrt(2 / 50)  # He: variance 2 / fan_in
    sample = init_weights((50, 4000), "he", rng=0)
    assert abs(sample.std() / std - 1) < 0.01  # bplab's He init draws with that std
    return std


@recomputes("09.q2")
def _():
    z = np.linspace(-8.0, 8.0, 16001)  # includes z = 0
    largest_slope = max(derivative(lambda v: float(sigmoid(v)), float(v)) for v in z[::100])
    assert abs(largest_slope - float(sigmoid_derivative(z).max())) < 1e-9
    return largest_slope**5


@recomputes("09.q3")
def _():
    # Train a sigmoid MLP that starts from all-zero weights, and compare its hidden units.
    rng = np.random.default_rng(10)
    X, y = rng.standard_normal((60, 3)), rng.integers(0, 3, size=60)
    model = MLP([3, 6, 3], activation="sigmoid", init="zero")
    fit(model, X, y, SGD(model.parameters(), lr=0.5), num_epochs=30, batch_size=20, rng=rng)
    W1, b1 = model.layers[0].W.data, model.layers[0].b.data
    units = np.vstack([W1, b1])  # one column per hidden unit
    if np.allclose(units, 0.0, atol=1e-12):
        return "all still zero"
    if np.allclose(units, units[:, :1], rtol=0, atol=1e-12):
        return "all identical"
    return "all different"


@recomputes("09.q4")
def _():
    g = Parameter(np.zeros(2))
    g.grad = np.array([3.0, 4.0])
    clip_gradients([g], max_norm=1.0)
    return g.grad


# --- 09b · Batch normalization and layer normalization ---------------------------------------------


@recomputes("09b.q1")
def _():
    from bplab.layers import batchnorm_forward

    column = np.array([[1.0], [2.0], [3.0], [6.0]])  # eps = 0 in the question: a tiny eps changes nothing here
    return float(batchnorm_forward(column, np.ones(1), np.zeros(1), eps=1e-300)[0][3, 0])


@recomputes("09b.q2")
def _():
    from bplab.layers import batchnorm_backward, batchnorm_forward

    rng = np.random.default_rng(27)
    x, gamma, beta, dout = rng.normal(2, 3, (9, 5)), rng.normal(1, 1, 5), rng.normal(0, 1, 5), rng.normal(size=(9, 5))
    dx = batchnorm_backward(dout, batchnorm_forward(x, gamma, beta)[1])[0]
    assert np.abs(dx).max() > 0.1  # a real gradient, whose columns...
    return float(np.abs(dx.sum(axis=0)).max())  # ...sum to 0 (round-off)


@recomputes("09b.q3")
def _():
    from bplab.layers import batchnorm_forward, layernorm_forward

    rng = np.random.default_rng(28)
    x, gamma, beta = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=3)
    first_in_batch = {"layer norm": layernorm_forward(x, gamma, beta)[0][0],
                      "batch norm": batchnorm_forward(x, gamma, beta)[0][0]}
    same = {  # one example alone for layer norm; two examples (batch norm refuses one) against four for batch norm
        "layer norm": np.allclose(layernorm_forward(x[:1], gamma, beta)[0][0], first_in_batch["layer norm"]),
        "batch norm": np.allclose(batchnorm_forward(x[:2], gamma, beta)[0][0], first_in_batch["batch norm"]),
    }
    return {(True, False): "layer norm", (False, True): "batch norm", (True, True): "both"}.get(
        (same["layer norm"], same["batch norm"]), "neither")


@recomputes("09b.q4")
def _():
    # g^2 E[tanh(z)^2] = 1 for z ~ N(0, 1); the expectation by the trapezoid rule on a fine grid (not the quadrature
    # the notebook uses)
    z = np.linspace(-12, 12, 200_001)
    density = np.exp(-(z**2) / 2) / math.sqrt(2 * math.pi)
    integrand = np.tanh(z) ** 2 * density
    second_moment = float(np.sum(integrand[:-1] + integrand[1:]) / 2 * (z[1] - z[0]))
    return 1 / math.sqrt(second_moment)


# --- 09c · Watching training --------------------------------------------------------------------------


@recomputes("09c.q1")
def _():
    # The loss of scores that are probabilities p (a point of the simplex): its value at p = one-hot of the right
    # class, and no point of 20,000 random ones (Dirichlet) below it.
    best = softmax_cross_entropy(np.eye(10)[:1], np.array([0]))
    p = np.random.default_rng(0).dirichlet(np.full(10, 0.3), size=20_000)
    losses = np.log(np.exp(p).sum(axis=1)) - p[:, 0]
    assert losses.min() >= best
    return best


@recomputes("09c.q2")
def _():
    return math.log10(0.003 / 1.5)


@recomputes("09c.q3")
def _():
    # Overfit 32 digits with each bug: the check catches a bug when the loss cannot get near 0.
    from bplab.functions import softmax
    from bplab.layers import Layer, Sequential
    from bplab.widgets import digits_splits

    class Softmax(Layer):
        def _forward(self, x):
            self.cache = softmax(x)
            return self.cache

        def _backward(self, dout):
            return self.cache * (dout - (dout * self.cache).sum(axis=1, keepdims=True))

    X_train, _, _, y_train, _, _ = digits_splits()
    X, y = X_train[:32], y_train[:32]

    def final_loss(model, labels):
        optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
        return fit(model, X, labels, optimizer, 200, batch_size=32, rng=0)["loss"][-1]

    caught = {
        "labels shuffled relative to the images":
            final_loss(MLP([64, 64, 64, 10], rng=1), np.random.default_rng(1).permutation(y)) > 0.1,
        "a softmax too many before the loss": final_loss(Sequential(MLP([64, 64, 64, 10], rng=1), Softmax()), y) > 0.1,
    }
    assert sum(caught.values()) <= 1
    return next((bug for bug, found in caught.items() if found), "neither")


# --- 10 · Noise and generalization ----------------------------------------------------------------


@recomputes("10.q1")
def _():
    train_error, test_error = 1 - 0.99, 1 - 0.75
    return test_error - train_error


@recomputes("10.q2")
def _():
    # A perfect reader of the true digits, scored against labels of which 30% were changed.
    y_true = np.random.default_rng(11).integers(0, 10, size=5000)
    y_noisy = add_label_noise(y_true, 0.3, num_classes=10, rng=12)
    accuracy = float(np.mean(y_true == y_noisy))
    return closest_option(accuracy, {"30%": 0.3, "70%": 0.7, "100%": 1.0})


@recomputes("10.q3")
def _():
    # One SGD step with weight_decay=0.01, lr = 1 and a zero loss gradient: the change of w = 2.0.
    w = Parameter(np.array([2.0]))
    SGD([w], lr=1.0, weight_decay=0.01).step()
    added = 2.0 - float(w.data[0])
    assert abs(added - derivative(lambda v: 0.01 / 2 * v**2, 2.0)) < 1e-9  # d/dw of (lambda / 2) w^2
    return added


@recomputes("10.q4")
def _():
    # Conceptual: training accuracy keeps rising while the model memorizes, and the test set must
    # not choose anything or it stops being a fair estimate; a held-out validation set chooses the epoch.
    return "validation"


# --- 10b · Dropout and data augmentation ----------------------------------------------------------------


@recomputes("10b.q1")
def _():
    from bplab.layers import dropout_forward

    return float(dropout_forward(np.array([2.0]), 0.25, mask=np.array([True]))[0][0])  # a kept entry


@recomputes("10b.q2")
def _():
    # The original dropout keeps an activation with probability 1 - p = 0.5 and does not divide: its mean over many
    # masks is 0.5 times the activation; at test time the activation itself comes through.
    a = np.random.default_rng(0).normal(size=50)
    kept = np.random.default_rng(1).random((200_000, 50)) >= 0.5
    training_mean = (kept * a).mean(axis=0)
    factor = float(np.median(training_mean / a))
    assert abs(factor - 0.5) < 0.01
    return round(factor, 2)


@recomputes("10b.q3")
def _():
    # Notebook 10b, section 5: the accuracy on noisy test images of each training, against clean training.
    from bplab.data import add_input_noise
    from bplab.layers import accuracy
    from bplab.optim import Adam
    from bplab.widgets import noisy_digits

    X, _, y, _, _, X_test, y_test = noisy_digits()
    X_test_noisy = add_input_noise(X_test, 0.5, rng=1)

    def noisy_accuracy(X_fit, y_fit, num_epochs):
        model = MLP([64, 256, 10], rng=0)
        fit(model, X_fit, y_fit, Adam(model.parameters(), lr=0.01), num_epochs, batch_size=100, rng=0)
        return accuracy(model.forward(X_test_noisy), y_test)

    clean = noisy_accuracy(X, y, 40)
    lowered = {
        "one noisy copy of each image": noisy_accuracy(add_input_noise(X, 0.5, rng=0), y, 40) > clean + 0.02,
        "ten copies with fresh noise": noisy_accuracy(
            np.vstack([add_input_noise(X, 0.5, rng=10 + k) for k in range(10)]), np.tile(y, 10), 4) > clean + 0.02,
    }
    assert sum(lowered.values()) <= 1
    return next((option for option, better in lowered.items() if better), "neither")


# --- 11 · Universal approximation -----------------------------------------------------------------


def relu_net_pieces(w, b, v) -> int:
    """Linear pieces of x -> sum_j v_j relu(w_j x + b_j), counted from measured slopes between kinks."""
    kinks = np.sort(-b / w)
    edges = np.concatenate([[kinks[0] - 1.0], (kinks[:-1] + kinks[1:]) / 2, [kinks[-1] + 1.0]])

    def net(x):
        return float(v @ np.maximum(w * x + b, 0.0))

    slopes = [derivative(net, float(x), 1e-7) for x in edges]
    return 1 + sum(not math.isclose(s0, s1, rel_tol=1e-6, abs_tol=1e-9) for s0, s1 in zip(slopes, slopes[1:]))


@recomputes("11.q1")
def _():
    rng = np.random.default_rng(13)
    pieces = [relu_net_pieces(rng.standard_normal(7), rng.standard_normal(7), rng.standard_normal(7))
              for _ in range(20)]
    return max(pieces)  # with 7 distinct kinks, each changing the slope: 8 pieces, never more


@recomputes("11.q2")
def _():
    # Bisection on where relu(2 x - 1) switches on.
    low, high = -10.0, 10.0
    for _ in range(80):
        middle = (low + high) / 2
        low, high = (low, middle) if relu(2.0 * middle - 1.0) > 0 else (middle, high)
    return (low + high) / 2


@recomputes("11.q3")
def _():
    # Conceptual: the theorem is an existence statement (some weights of a wide enough one-hidden-layer
    # network approximate a continuous function on a bounded interval); it says nothing about training
    # finding them or about behaviour outside the interval.
    return "a wide enough network can approximate any continuous function on a closed interval as closely as you like"


# --- 11b · Depth versus width -------------------------------------------------------------------------


def _pieces_of_sawtooth(k: int) -> int:
    """The linear pieces of the tent map applied k times, counted on a grid that holds every kink."""
    x = np.linspace(0, 1, 2**12 + 1)
    y = x.copy()
    for _ in range(k):
        y = np.where(y < 0.5, 2 * y, 2 - 2 * y)  # the tent, written without ReLUs
    slopes = np.diff(y) / np.diff(x)
    return 1 + int(np.sum(np.abs(np.diff(slopes)) > 1e-6))


@recomputes("11b.q1")
def _():
    return _pieces_of_sawtooth(5)


@recomputes("11b.q2")
def _():
    # one hidden layer of H units has at most H + 1 pieces (counted on random networks), so H >= pieces - 1
    rng = np.random.default_rng(0)
    x = np.linspace(-3, 3, 20_001)
    for H in (3, 7, 12):
        w, b, v = rng.normal(size=H), rng.normal(size=H), rng.normal(size=H)
        y = np.maximum(np.outer(x, w) + b, 0) @ v
        slopes = np.diff(y) / np.diff(x)
        assert 1 + np.sum(np.abs(np.diff(slopes)) > 1e-6) <= 2 * (H + 1)  # a kink may straddle two grid intervals
    at_least = _pieces_of_sawtooth(5) - 1  # a kink per corner; notebook 11b: the first slope needs one unit more
    x = np.linspace(0, 1, 2**8 + 1)  # for k = 3, every choice of unit directions at the 7 corners misses s_3
    target = x.copy()
    for _ in range(3):
        target = np.where(target < 0.5, 2 * target, 2 - 2 * target)
    corners = np.arange(1, 8) / 8
    for signs in itertools.product((1.0, -1.0), repeat=7):
        units = np.maximum(np.array(signs) * (x[:, None] - corners), 0)
        features = np.column_stack([units, np.ones_like(x)])
        coef = np.linalg.lstsq(features, target, rcond=None)[0]
        assert np.abs(features @ coef - target).max() > 0.01  # not exact (an exact fit: below 1e-9)
    with_zero = np.column_stack([np.maximum(x[:, None] - np.arange(8) / 8, 0), np.ones_like(x)])  # 8 kinks, one at 0
    assert np.abs(with_zero @ np.linalg.lstsq(with_zero, target, rcond=None)[0] - target).max() < 1e-9
    return at_least + 1


@recomputes("11b.q3")
def _():
    k, H = 5, 8
    teeth, width = 2 ** (k - 1), 2.0 ** (1 - k)
    u = np.linspace(-1, 1, 100_001)  # a tooth of width 2; the best line for it: the constant 1/2 (the median)
    gap = np.abs(1 - np.abs(u) - 0.5)  # piecewise linear with kinks on the grid: the trapezoid rule is exact
    per_width = float(np.sum(gap[:-1] + gap[1:]) / 2 * (u[1] - u[0])) / 2  # mean absolute error per unit width
    return (teeth - H) * width * per_width


# --- 12 · Backprop through time -------------------------------------------------------------------


@recomputes("12.q1")
def _():
    model = RNN(input_size=3, hidden_size=5, output_size=2, rng=0)
    count = sum(p.data.size for p in model.parameters())
    model.forward(np.zeros((1, 50, 3)))  # sequences of length 50 use the same parameters
    assert sum(p.data.size for p in model.parameters()) == count
    return count


@recomputes("12.q2")
def _():
    # Linear regime: zero inputs, state and bias keep h = 0, so tanh' = 1 exactly. W_h = 0.8 Q with
    # a random (non-symmetric) orthogonal Q; a gradient enters at the last step and goes 10 steps back.
    rng = np.random.default_rng(14)
    q, r = np.linalg.qr(rng.standard_normal((6, 6)))
    Wh = 0.8 * q * np.sign(np.diag(r))
    x = np.zeros((1, 11, 2))
    _, cache = rnn_forward(x, np.zeros((1, 6)), rng.standard_normal((2, 6)), Wh, np.zeros(6))
    dh = np.zeros((1, 11, 6))
    dh[0, 10] = rng.standard_normal(6)
    total = rnn_backward(dh, cache)["h"]
    return float(np.linalg.norm(total[0, 0]) / np.linalg.norm(total[0, 10]))


@recomputes("12.q3")
def _():
    # With truncate=k, which delays t - s between an input x_s and a loss at step t get any gradient?
    k, T = 4, 13
    rng = np.random.default_rng(15)
    model = RNN(input_size=2, hidden_size=5, output_size=2, rng=rng)
    model.forward(rng.standard_normal((1, T, 2)))
    reached = set()
    for t in range(T):
        dscores = np.zeros((1, T, 2))
        dscores[0, t] = rng.standard_normal(2)
        dx = model.backward(dscores, truncate=k)
        reached |= {t - s for s in range(t + 1) if np.any(dx[0, s] != 0)}
    if not reached:
        return "none"
    if max(reached) == T - 1:
        return "any distance, since the forward pass carries the state"
    assert max(reached) < k, f"delays {sorted(reached)} reached: no option says that"
    return "fewer than k steps apart"


# --- 12b · Gated recurrence (LSTM) and gradient clipping -----------------------------------------------------------


@recomputes("12b.q1")
def _():
    from bplab.rnn import LSTM

    model = LSTM(input_size=3, hidden_size=10, output_size=2, rng=0)
    return sum(p.data.size for p in (model.Wx, model.Wh, model.b))  # the recurrence only, not the output layer


@recomputes("12b.q2")
def _():
    # Measured: an LSTM with Wh = 0 whose forget gates are all 0.9 (their weights 0, their bias the logit of 0.9); a
    # loss on the last cell state; the norm of dL/dc 10 steps back against the last one.
    from bplab.rnn import lstm_backward, lstm_forward

    rng = np.random.default_rng(20)
    H, T = 5, 12
    Wx = rng.standard_normal((2, 4 * H))
    Wx[:, H:2 * H] = 0.0
    b = rng.standard_normal(4 * H)
    b[H:2 * H] = logit(0.9)
    h, cache = lstm_forward(rng.standard_normal((3, T, 2)), np.zeros((3, H)), np.zeros((3, H)), Wx,
                            np.zeros((H, 4 * H)), b)
    assert np.allclose(cache["f"], 0.9, rtol=1e-12)
    last = np.zeros_like(h)
    last[:, -1] = rng.standard_normal((3, H))
    dc = lstm_backward(last, cache)["c"]
    return float(np.linalg.norm(dc[:, T - 11]) / np.linalg.norm(dc[:, T - 1]))


@recomputes("12b.q3")
def _():
    # A sigmoid RNN with sigma_max(Wh) = 3: every step back shrinks the gradient by at least 3/4, measured where the
    # bound is attained (orthogonal Wh, units at a = 0) and with random Wh and inputs of several sizes.
    def last_over_first(W, inputs, bias, h0, seed):
        h, hs = h0, []
        for t in range(inputs.shape[1]):
            h = sigmoid(inputs[:, t] @ np.ones((inputs.shape[2], W.shape[0])) + h @ W + bias)
            hs.append(h)
        delta = np.random.default_rng(seed).standard_normal(h.shape)
        first = np.linalg.norm(delta)
        for t in reversed(range(inputs.shape[1])):
            delta = (delta * hs[t] * (1 - hs[t])) @ W.T
        return np.linalg.norm(delta) / first

    rng = np.random.default_rng(21)
    q, r = np.linalg.qr(rng.standard_normal((6, 6)))
    W = 3.0 * q * np.sign(np.diag(r))
    ratios = [last_over_first(W, np.zeros((1, 20, 1)), -0.5 * W.sum(axis=0), np.full((1, 6), 0.5), 0)]
    for scale in (0.1, 1.0, 10.0):
        W = rng.standard_normal((6, 6))
        W *= 3.0 / np.linalg.norm(W, 2)
        ratios.append(last_over_first(W, scale * rng.standard_normal((2, 20, 3)), 0.0, np.zeros((2, 6)), 1))
    assert abs(ratios[0] - 0.75**20) < 1e-9 * 0.75**20 and max(ratios) <= 0.75**20 * (1 + 1e-9)
    return "no: sigma_max < 1/gamma, so they vanish whatever the inputs"


@recomputes("12b.q4")
def _():
    g = Parameter(np.zeros(4))
    g.grad = np.array([12.0, -16.0, 0.0, 0.0])  # norm 20
    start = g.data.copy()
    clip_gradients([g], max_norm=5.0)
    SGD([g], lr=0.1).step()
    return float(np.linalg.norm(g.data - start))


# --- 12c · The echo-state view --------------------------------------------------------------------------------------


@recomputes("12c.q1")
def _():
    # Conceptual with a measurement beside it: Jaeger (2002) bounds the memory capacity by the number of units for
    # independent inputs; a near-linear reservoir of 50 units comes close to it and stays below.
    from bplab.rnn import recurrent_weights, rnn_forward

    rng = np.random.default_rng(22)
    H = 50
    u = rng.uniform(-1, 1, size=(1, 4000, 1))
    states, _ = rnn_forward(u, np.zeros((1, H)), 0.05 * rng.standard_normal((1, H)), recurrent_weights(H, 0.95, rng),
                            np.zeros(H))
    X = np.hstack([states[0], np.ones((4000, 1))])
    capacity = 0.0
    A = X[200:3000]
    for k in range(1, 2 * H + 1):
        w = np.linalg.solve(A.T @ A + 1e-8 * np.eye(H + 1), A.T @ u[0, 200 - k:3000 - k, 0])
        capacity += np.corrcoef(X[3000:] @ w, u[0, 3000 - k:4000 - k, 0])[0, 1] ** 2
    assert 0.6 * H < capacity <= H
    return H


@recomputes("12c.q2")
def _():
    # Two runs of an orthogonal-times-0.8 reservoir kept in tanh's linear part (no input, tiny states): the distance
    # shrinks by exactly 0.8 per step, the most the bound allows.
    from bplab.rnn import recurrent_weights, rnn_forward

    rng = np.random.default_rng(23)
    Wh = recurrent_weights(8, 0.8, rng)
    start = 1e-7 * rng.standard_normal((1, 8))
    a, _ = rnn_forward(np.zeros((1, 10, 1)), start, np.zeros((1, 8)), Wh, np.zeros(8))
    b, _ = rnn_forward(np.zeros((1, 10, 1)), -start, np.zeros((1, 8)), Wh, np.zeros(8))
    return float(2.0 * np.linalg.norm(a[0, -1] - b[0, -1]) / np.linalg.norm(2 * start))


@recomputes("12c.q3")
def _():
    # Conceptual: an echo-state network keeps its recurrent and input weights as drawn and fits only the readout.
    return "only the readout"


# --- 13 · Why backprop is efficient ---------------------------------------------------------------


@recomputes("13.q1")
def _():
    # Count the loss evaluations of bplab's central-difference gradient over 10,000 parameters.
    calls = 0

    def loss(theta):
        nonlocal calls
        calls += 1
        return float(theta[0])

    numerical_gradient(loss, np.zeros(10_000))
    return calls


@recomputes("13.q2")
def _():
    # Full Jacobian of f: R^3 -> R^1000. Forward mode: one pass per input direction; reverse mode:
    # one pass per output. Both rebuild the same Jacobian of a linear f(x) = A x, column by column or
    # row by row; the passes are counted.
    A = np.random.default_rng(16).standard_normal((1000, 3))
    forward_columns = [A @ e for e in np.eye(3)]  # one forward pass each
    reverse_rows = [e @ A for e in np.eye(1000)]  # one backward pass each
    assert np.allclose(np.column_stack(forward_columns), np.vstack(reverse_rows))
    passes = {"forward mode": len(forward_columns), "reverse mode": len(reverse_rows)}
    return min(passes, key=passes.get)


@recomputes("13.q3")
def _():
    forward_ms = 2.0
    backward_ms = 2 * forward_ms
    return forward_ms + backward_ms


@recomputes("13.q4")
def _():
    # Count multiply-adds of central differences on MLP([16, w, w, 4]): 2P forward passes of N * (sum of
    # fan_in * fan_out) each. Fit the log-log slope over wide nets; doubling P multiplies the cost by 2**slope.
    def count(width, batch=32):
        sizes = [16, width, width, 4]
        num_params = sum(p.data.size for p in MLP(sizes, rng=0).parameters())
        per_pass = batch * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        return num_params, 2 * num_params * per_pass

    P, cost = np.array([count(w) for w in (256, 512, 1024, 2048)], dtype=float).T
    slope = np.polyfit(np.log(P), np.log(cost), 1)[0]
    assert abs(2**slope - 4) < 0.01  # 4.004 at these widths: the bias terms fade as the net widens
    return float(np.round(2**slope, 1))


# --- 14 · Jacobians and the two modes ------------------------------------------------------------


@recomputes("14.q1")
def _():
    # Jacobian of Linear(100, 50) on N = 32: one row per output number, one column per input number
    x = np.zeros((32, 100))
    out = Linear(100, 50, rng=0).forward(x)
    return out.size * x.size


@recomputes("14.q2")
def _():
    # the derivative part of (2 + eps)^3 is d(x^3)/dx at 2: measured by reverse mode
    x = Value(2.0)
    (x * x * x).backward()
    return x.grad


@recomputes("14.q3")
def _():
    # enumerate the paths: one node chosen in each of 4 hidden layers of 3
    import itertools

    return sum(1 for _ in itertools.product(range(3), repeat=4))


@recomputes("14.q4")
def _():
    # the gradient a Linear layer from 4 to 3 features stores for W, on a batch of 10 (not the formula a^T delta)
    rng = np.random.default_rng(0)
    layer = Linear(4, 3, rng=0)
    layer.forward(rng.standard_normal((10, 4)))
    layer.backward(rng.standard_normal((10, 3)))
    return str(layer.W.grad.shape)


# --- 14b · JVP, VJP and Hessian-vector products --------------------------------------------------------------------


@recomputes("14b.q1")
def _():
    # Measured with bplab.forward_mode.jvp on f: R^3 -> R^2: what comes back has the output's size and equals J v
    from bplab.forward_mode import jacobian_forward, jvp

    def f(x):
        return [x[0] * x[1], x[2].exp() + x[0]]

    x, v = np.array([0.3, -1.1, 0.5]), np.array([1.0, 2.0, -3.0])
    _, tangent = jvp(f, x, v)
    J, _ = jacobian_forward(f, x)
    assert tangent.shape == (2,) and np.allclose(tangent, J @ v, rtol=1e-14)
    return "J v"


@recomputes("14b.q2")
def _():
    def f(x1, x2):
        return x1**2 * x2

    h = 1e-3  # the second difference along v = (1, 0); exact here up to rounding, f being quadratic in x1
    return (f(1 + h, 2.0) - 2 * f(1.0, 2.0) + f(1 - h, 2.0)) / h**2


@recomputes("14b.q3")
def _():
    # Build the Hessian of a loss of 26 parameters from Hessian-vector products, counting them, and check it.
    from bplab.forward_mode import hessian_vector_product

    def grad(x):  # the gradient of L(x) = sum_i x_i^2 x_(i+1) (cyclic), written to run on Duals
        shifted, back = np.roll(x, -1), np.roll(x, 1)
        return 2 * x * shifted + back * back

    x, calls, columns = np.random.default_rng(25).standard_normal(26), 0, []
    exact = np.diag(2 * np.roll(x, -1)) + np.diag(2 * x[:-1], 1) + np.diag(2 * x[:-1], -1)
    exact[0, -1] = exact[-1, 0] = 2 * x[-1]
    while len(columns) < 26 or np.linalg.matrix_rank(np.column_stack(columns)) < len(columns):
        e = np.zeros(26)
        e[len(columns)] = 1.0
        columns.append(hessian_vector_product(grad, x, e))
        calls += 1
    assert np.allclose(np.column_stack(columns), exact, rtol=1e-12, atol=1e-14)
    return calls


# --- 15 · Recurrent backprop to a fixed point ----------------------------------------------------


@recomputes("15.q1")
def _():
    # The contraction bound 0.5^10 is attained: W = 0.5 Q (Q orthogonal, non-symmetric), x = b = 0 and tiny
    # states keep tanh linear, so every change is exactly half the one before. Measured with relax.
    from bplab.fixed_point import relax

    rng = np.random.default_rng(17)
    q, r = np.linalg.qr(rng.standard_normal((6, 6)))
    W = 0.5 * q * np.sign(np.diag(r))
    assert not np.allclose(W, W.T)
    _, cache = relax(np.zeros((3, 2)), W, np.zeros((2, 6)), np.zeros(6), h0=1e-6 * rng.standard_normal((3, 6)),
                     tol=1e-300, max_iter=11)
    residuals = cache["residuals"]  # ||h_k - h_(k-1)|| for k = 1..11
    assert np.all(residuals[1:] <= 0.5 * residuals[:-1] * (1 + 1e-9))  # never more than the bound
    return float(residuals[10] / residuals[0])  # ||h_11 - h_10|| for ||h_1 - h_0|| = 1


@recomputes("15.q2")
def _():
    # Count the states BPTT through 60 relaxation steps keeps (and uses).
    from bplab.fixed_point import relax, unrolled_backward

    rng = np.random.default_rng(18)
    W = 0.9 * rng.standard_normal((4, 4)) / 4
    _, cache = relax(rng.standard_normal((2, 3)), W, rng.standard_normal((3, 4)), np.zeros(4), tol=1e-300,
                     max_iter=60, keep_states=True)
    assert cache["iterations"] == 60
    unrolled_backward(np.ones((2, 4)), cache)
    return len(cache["states"])


@recomputes("15.q3")
def _():
    # Measure: the adjoint converges exactly when the spectral radius of J at h* is below 1.
    from bplab.fixed_point import fixed_point_backward, relax

    rng = np.random.default_rng(19)
    outcomes = []
    for norm, scale, symmetric in ((0.9, 1.0, False), (1.5, 2.0, False), (1.5, 0.0, False), (1.5, 0.0, True)):
        W = rng.standard_normal((8, 8))
        W = (W + W.T) if symmetric else W
        W *= norm / np.linalg.norm(W, 2)
        x = scale * rng.standard_normal((5, 2))  # scale 0: h* = 0 is a fixed point with J = W^T
        h, cache = relax(x, W, rng.standard_normal((2, 8)), np.zeros(8), max_iter=500)
        assert cache["converged"]
        _, info = fixed_point_backward(rng.standard_normal(h.shape), cache, max_iter=500)
        rho = max(np.abs(np.linalg.eigvals(np.diag(1 - row**2) @ W.T)).max() for row in h)
        outcomes.append((symmetric, rho < 1, info["converged"]))
    assert all(below == converged for _, below, converged in outcomes)
    assert any(not converged for _, _, converged in outcomes)  # not "always"
    assert any(converged and not symmetric for symmetric, _, converged in outcomes)  # not "only symmetric"
    return ("when the spectral radius of J = diag(1 - h*^2) W^T is below 1, "
            "the rate at which the forward relaxation settles")


# --- 15b · Fixed points: existence, stability and solvers ----------------------------------------------------------


@recomputes("15b.q1")
def _():
    # Newton's method from 201 starts in [-1, 1] (bplab.fixed_point, one start per row): the distinct roots it finds
    from bplab.fixed_point import newton_fixed_point

    starts = np.linspace(-1, 1, 201)[:, None]
    h, _ = newton_fixed_point(np.zeros((201, 1)), [[2.0]], np.zeros((1, 1)), [0.0], h0=starts, tol=1e-14)
    assert np.abs(h - np.tanh(2 * h)).max() < 1e-12  # every start reached a fixed point
    return len(np.unique(np.round(h[:, 0], 8)))


@recomputes("15b.q2")
def _():
    return derivative(lambda h: math.tanh(2 * h), 0.0)  # the slope of the map at its fixed point 0, measured


@recomputes("15b.q3")
def _():
    # One unit, h = tanh(1.2 h + c) at c = 0: its fixed point 0 has rho(J) = 1.2. Almeida-Pineda's relaxation
    # diverges there; one linear solve gives dL/dc for L = 3 h*, matching central differences along the branch.
    from bplab.fixed_point import fixed_point_backward, implicit_backward, newton_fixed_point

    def fixed_point(c):
        h, cache = newton_fixed_point(np.zeros((1, 1)), [[1.2]], np.zeros((1, 1)), [c], h0=np.zeros((1, 1)),
                                      tol=1e-15)
        return h, cache

    h, cache = fixed_point(0.0)
    assert abs(h[0, 0]) < 1e-15
    _, info = fixed_point_backward(np.array([[3.0]]), cache, max_iter=500)
    solved = implicit_backward(np.array([[3.0]]), cache)["b"][0]
    numeric = derivative(lambda c: 3 * fixed_point(c)[0][0, 0], 0.0)
    options = {"one linear solve, delta (I - J) = G": abs(solved - numeric) < 1e-7 * abs(numeric),
               "the Almeida-Pineda relaxation": info["converged"]}
    assert options["one linear solve, delta (I - J) = G"] and not options["the Almeida-Pineda relaxation"]
    return "one linear solve, delta (I - J) = G"


# --- 16 · Backpropagation in perspective --------------------------------------------------------


@recomputes("16.q1")
def _():
    # Count the loss evaluations numerical_gradient makes for 50,000 parameters (on a cheap counting loss).
    calls = [0]

    def counted(theta):
        calls[0] += 1
        return float(np.sum(theta))

    numerical_gradient(counted, np.zeros(50_000))
    return calls[0]


@recomputes("16.q2")
def _():
    # Simulate checkpointed backprop on a chain of 64 layers, k = 8: track which activations are alive at once.
    num_layers, k = 64, 8
    alive_checkpoints = {layer for layer in range(num_layers) if layer % k == 0}  # inputs of layers 0, 8, ..., 56
    peak = 0
    for start in reversed(range(0, num_layers, k)):
        segment_outputs = set(range(start + 1, start + k + 1))  # outputs of layers start..start+k-1, recomputed
        peak = max(peak, len(alive_checkpoints | segment_outputs))
        alive_checkpoints.discard(start)  # done with this segment
    return peak


@recomputes("16.q3")
def _():
    return "the network"  # a statement about which functions the network family can represent (notebook 11)


@recomputes("16.q4")
def _():
    # h = x + tanh(x W): compare the numerical dx with dh + g and dh * g, g the path through tanh(x W).
    rng = np.random.default_rng(16)
    x, W, dh = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    numeric = numerical_gradient(lambda x_: float(np.sum((x_ + np.tanh(x_ @ W)) * dh)), x.copy())
    g = (dh * (1 - np.tanh(x @ W) ** 2)) @ W.T
    errors = {"dh + g": np.abs(numeric - (dh + g)).max(), "dh * g": np.abs(numeric - dh * g).max(),
              "g": np.abs(numeric - g).max()}
    assert min(errors.values()) < 1e-8
    return min(errors, key=errors.get)


# --- limits: where the answer is a limit, the side a right answer must stay on ---------------------
# A question whose answer is "the largest X such that P" states it with "at_most" (bplab.course.checks): no
# value past it is accepted. Each such question gets P measured here, so that the limit is shown to be the
# edge of P: P holds at the limit and just inside it, and fails just past it.

HOLDS = {}


def property_of(question_id: str):
    def register(function):
        HOLDS[question_id] = function
        return function

    return register


@property_of("05.q3")
def _(lr: float) -> bool:
    # gradient descent on L(w) = 3 w^2 does not diverge at this learning rate (|w| stays bounded)
    w = 1.0
    for _ in range(20_000):
        w -= lr * derivative(lambda v: 3 * v**2, w, 1e-3)  # exact for a quadratic, up to rounding
        if abs(w) > 10.0:
            return False
    return True


@property_of("09.q2")
def _(factor: float) -> bool:
    # some 5 sigmoid layers multiply a gradient by this factor or more (weights ignored: the z_l are free)
    rng = np.random.default_rng(9)
    z = np.vstack([np.zeros((1, 5)), rng.standard_normal((20_000, 5)), 0.01 * rng.standard_normal((20_000, 5))])
    products = np.prod(sigmoid_derivative(z), axis=1)
    assert products.max() == products[0]  # the largest at z = 0, nowhere else larger
    return factor <= products.max()


@property_of("09c.q1")
def _(loss: float) -> bool:
    # a model with one softmax too many (scores that are probabilities p, 10 classes) can bring its loss this low:
    # the lowest loss is at p = one-hot of the right class, and 20,000 random p (Dirichlet) all stay above it
    p = np.vstack([np.eye(10)[:1], np.random.default_rng(1).dirichlet(np.full(10, 0.3), size=20_000)])
    losses = np.log(np.exp(p).sum(axis=1)) - p[:, 0]
    assert losses.argmin() == 0
    return loss >= losses.min() * (1 - 1e-12)


@property_of("15.q1")
def _(change: float) -> bool:
    # a relaxation with ||W||_2 = 0.5 and ||h_1 - h_0|| = 1 can make a change ||h_11 - h_10|| this large
    from bplab.fixed_point import relax

    rng = np.random.default_rng(15)
    largest = 0.0
    for trial in range(40):
        W = rng.standard_normal((6, 6))
        if trial % 2:  # half of them orthogonal times 0.5 in the linear regime, where the bound is reached
            q, r = np.linalg.qr(W)
            W, x, scale = q * np.sign(np.diag(r)), np.zeros((3, 2)), 1e-6
        else:
            x, scale = rng.standard_normal((3, 2)), 1.0
        W *= 0.5 / np.linalg.norm(W, 2)
        _, cache = relax(x, W, rng.standard_normal((2, 6)), rng.standard_normal(6) * (trial % 2 == 0),
                         h0=scale * rng.standard_normal((3, 6)), tol=1e-300, max_iter=11)
        residuals = cache["residuals"]
        largest = max(largest, float(residuals[10] / residuals[0]))
    assert largest <= 0.5**10 * (1 + 1e-9)  # never more than the bound...
    return change <= largest * (1 + 1e-9)  # ...and reached



@property_of("12c.q2")
def _(distance: float) -> bool:
    # two runs of a tanh RNN with sigma_max(Wh) = 0.8, 2.0 apart at the start, can be this far apart after 10 steps
    from bplab.rnn import rnn_forward

    rng = np.random.default_rng(24)
    largest = 0.0
    for trial in range(40):
        W = rng.standard_normal((6, 6))
        if trial % 2:  # half of them orthogonal times 0.8, no input, tiny states: the bound is reached
            q, r = np.linalg.qr(W)
            W, inputs, scale = q * np.sign(np.diag(r)), np.zeros((1, 10, 1)), 1e-7
        else:
            inputs, scale = rng.standard_normal((1, 10, 1)), 1.0
        W *= 0.8 / np.linalg.norm(W, 2)
        start, other = scale * rng.standard_normal((1, 6)), scale * rng.standard_normal((1, 6))
        Wx = rng.standard_normal((1, 6))
        a, _ = rnn_forward(inputs, start, Wx, W, np.zeros(6))
        b, _ = rnn_forward(inputs, other, Wx, W, np.zeros(6))
        largest = max(largest, 2.0 * float(np.linalg.norm(a[0, -1] - b[0, -1]) / np.linalg.norm(start - other)))
    assert largest <= 2.0 * 0.8**10 * (1 + 1e-9)  # never more than the bound...
    return distance <= largest * (1 + 1e-9)  # ...and reached

@pytest.mark.parametrize("question_id", sorted(q for q, s in STORED.items() if "at_most" in s or "at_least" in s))
def test_a_stated_limit_is_the_edge_of_what_the_question_names(question_id):
    spec = STORED[question_id]
    assert question_id in HOLDS, f"{question_id} states a limit: measure its property here"
    holds = HOLDS[question_id]
    limit = spec.get("at_most", spec.get("at_least"))
    inward = -1 if "at_most" in spec else 1
    assert holds(limit), f"{question_id}: the property fails at the limit {limit!r} itself"
    assert holds(limit * (1 + inward * 1e-3)), f"{question_id}: the property fails just inside the limit"
    assert not holds(limit * (1 - inward * 1e-3)), f"{question_id}: the property still holds past the limit"


# --- the tests ------------------------------------------------------------------------------------


def test_every_stored_question_has_an_independent_recomputation():
    assert set(RECOMPUTE) == set(STORED), (
        f"no recomputation for {sorted(set(STORED) - set(RECOMPUTE))}; "
        f"recomputed but not stored: {sorted(set(RECOMPUTE) - set(STORED))}"
    )


@pytest.mark.parametrize("question_id", sorted(set(STORED) | set(RECOMPUTE)))
def test_stored_key_matches_the_recomputation(question_id):
    assert question_id in STORED, f"{question_id} is recomputed here but not stored"
    assert question_id in RECOMPUTE, f"{question_id} has no independent recomputation in this file"
    spec, recomputed = STORED[question_id], RECOMPUTE[question_id]()
    if spec["kind"] == "choice":
        assert isinstance(recomputed, str), f"{question_id} is stored as a choice, recomputed as {recomputed!r}"
        assert recomputed in spec["options"], f"{recomputed!r} is not among the options {spec['options']}"
        assert spec["answer"] in spec["options"]
        assert spec["answer"] == recomputed, f"stored {spec['answer']!r}, recomputed {recomputed!r}"
    elif spec["kind"] == "number" and spec.get("exact"):  # a count or a shape: exactly
        assert np.array_equal(np.asarray(spec["answer"]), np.asarray(recomputed)), (
            f"{question_id}: stored {spec['answer']!r}, recomputed {recomputed!r}")
    elif spec["kind"] == "number":
        np.testing.assert_allclose(np.asarray(spec["answer"], dtype=float), np.asarray(recomputed, dtype=float),
                                   rtol=1e-6, atol=1e-9, err_msg=f"{question_id}: stored key vs recomputation")
    else:
        pytest.fail(f"{question_id}: no recomputation written for kind {spec['kind']!r}")
    # A learner who gives the recomputed answer (in its natural form: a tuple, an array...) is right.
    assert check(question_id, recomputed).status == "right"
    assert check(question_id, spec["answer"]).status == "right"
