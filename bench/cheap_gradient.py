"""Benchmark 3: the cheap-gradient principle.

Reverse mode gets every derivative for a small constant times the cost of one forward pass;
finite differences need two forward passes per parameter, so their cost grows linearly with
the number of parameters.
"""

from __future__ import annotations

import numpy as np

from bench._timing import median_time, target
from bench.mlp_training import digits
from bplab.gradcheck import numerical_gradient, rel_error
from bplab.layers import MLP, SoftmaxCrossEntropy


def forward_backward_ratio(X, y, batch_size, repeats, work=20_000):
    """Median times of one forward pass (model + loss) and one backward pass (loss + model)."""
    model, criterion = MLP([64, 64, 10], rng=0), SoftmaxCrossEntropy()
    xb, yb = X[:batch_size], y[:batch_size]
    number = max(3, work // batch_size)  # runs of a few milliseconds at least

    def forward():
        criterion.forward(model.forward(xb), yb)

    def backward():
        model.backward(criterion.backward())

    forward()
    t_forward, t_backward = median_time(forward, repeats, number), median_time(backward, repeats, number)
    return {"batch_size": batch_size, "forward_us": 1e6 * t_forward, "backward_us": 1e6 * t_backward,
            "ratio": t_backward / t_forward}


def finite_differences(X, y, num_hidden, repeats):
    """Seconds for the full gradient by central differences and by backprop; their agreement."""
    model, criterion = MLP([64, num_hidden, 10], rng=0), SoftmaxCrossEntropy()
    params = model.parameters()

    def numerical():
        return [numerical_gradient(lambda _: criterion.forward(model.forward(X), y), p.data) for p in params]

    def backprop():
        criterion.forward(model.forward(X), y)
        model.backward(criterion.backward())
        return [p.grad for p in params]

    error = max(rel_error(a, b) for a, b in zip(numerical(), backprop()))
    return {"num_hidden": num_hidden, "num_params": sum(p.data.size for p in params),
            "finite_diff_s": median_time(numerical, repeats), "backprop_s": median_time(backprop, repeats, 20),
            "max_rel_error": error}


def run(quick: bool = False) -> dict:
    X, _, y, _ = digits(np.float64)
    repeats = 3 if quick else 9
    ratios = [forward_backward_ratio(X, y, n, repeats, 1_000 if quick else 20_000) for n in (32, len(X))]
    hidden = (1, 2, 3, 4) if quick else (2, 4, 8, 16, 32)
    fd_batch = 4 if quick else 32
    sizes = [finite_differences(X[:fd_batch], y[:fd_batch], h, 1 if quick else 3) for h in hidden]
    for row in sizes:
        row["fd_over_backprop"] = row["finite_diff_s"] / row["backprop_s"]
    params, seconds = [r["num_params"] for r in sizes], [r["finite_diff_s"] for r in sizes]
    slope = float(np.polyfit(np.log(params), np.log(seconds), 1)[0])
    targets = [target(f"backward / forward time, batch {r['batch_size']}", "<= 3", r["ratio"], r["ratio"] <= 3)
               for r in ratios]
    targets.append(target("finite differences: log-log slope of time vs parameter count", "about 1 (linear)",
                          slope, 0.8 <= slope <= 1.2))
    return {
        "setup": f"MLP 64-64-10 on digits (float64), median of {repeats} runs; finite differences: MLP 64-h-10, "
        f"h in {list(hidden)}, {fd_batch} examples, central differences (2 forward passes per parameter)",
        "ratios": ratios,
        "finite_differences": sizes,
        "fd_loglog_slope": slope,
        "targets": targets,
    }
