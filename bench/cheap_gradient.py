"""Benchmark 3: the cheap-gradient principle.

Reverse mode gets every derivative for a small constant times the cost of one forward pass,
about 3 N P multiply-adds for a dense network with P parameters and N examples: O(P). Finite
differences need two forward passes per parameter, each of about N P multiply-adds, so
2 N P^2 in all: O(P^2), and the ratio grows like P. On small networks a forward pass costs mostly
Python's fixed overhead, so the measured slope there is about 1; the quadratic shows on wide
networks, where the matrix products dominate (there the full run would take minutes to hours, so
central differences are timed on a few weights and scaled by P).
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


def finite_differences_wide(X, y, num_hidden, repeats, num_sampled):
    """Like `finite_differences` on MLP 64-h-h-10, wide enough for the arithmetic to dominate.

    Central differences run on `num_sampled` weights of the middle layer (each parameter costs the
    same two forward passes) and the time is scaled by P / num_sampled; the error compares those entries.
    """
    model, criterion = MLP([64, num_hidden, num_hidden, 10], rng=0), SoftmaxCrossEntropy()
    params = model.parameters()
    some = model.layers[2].W.data[0, :num_sampled]  # a view: perturbing it perturbs the model
    num_params = sum(p.data.size for p in params)

    def numerical():
        return numerical_gradient(lambda _: criterion.forward(model.forward(X), y), some)

    def backprop():
        criterion.forward(model.forward(X), y)
        model.backward(criterion.backward())
        return model.layers[2].W.grad[0, :num_sampled].copy()

    error = rel_error(numerical(), backprop())
    return {"num_hidden": num_hidden, "num_params": num_params,
            "finite_diff_s": median_time(numerical, repeats) * num_params / len(some),
            "backprop_s": median_time(backprop, repeats, 5), "max_rel_error": error,
            "counted_ratio": 2 * num_params / 3}  # multiply-adds: 2P passes of ~NP against ~3NP


def run(quick: bool = False) -> dict:
    X, _, y, _ = digits(np.float64)
    repeats = 3 if quick else 9
    ratios = [forward_backward_ratio(X, y, n, repeats, 1_000 if quick else 20_000) for n in (32, len(X))]
    hidden = (1, 2, 3, 4) if quick else (2, 4, 8, 16, 32)
    fd_batch = 4 if quick else 32
    small = [finite_differences(X[:fd_batch], y[:fd_batch], h, 1 if quick else 3) for h in hidden]
    hidden_wide = (64, 128, 256) if quick else (128, 256, 512, 1024)
    wide = [finite_differences_wide(X[:32], y[:32], h, 1 if quick else 3, 4 if quick else 20) for h in hidden_wide]
    for row in small + wide:
        row["fd_over_backprop"] = row["finite_diff_s"] / row["backprop_s"]

    def slope(rows):
        params, seconds = [r["num_params"] for r in rows], [r["finite_diff_s"] for r in rows]
        return float(np.polyfit(np.log(params), np.log(seconds), 1)[0])

    slope_small, slope_wide = slope(small), slope(wide)
    targets = [target(f"backward / forward time, batch {r['batch_size']}", "<= 3", r["ratio"], r["ratio"] <= 3)
               for r in ratios]
    too_small = "quick run: widths too small for the arithmetic to dominate" if quick and slope_wide < 1.5 else ""
    targets.append(target("finite differences, wide nets (arithmetic dominates): log-log slope of time vs P",
                          ">= 1.5 (O(P^2): 2P passes of ~NP multiply-adds)", slope_wide, slope_wide >= 1.5, too_small))
    targets.append(target("finite differences, small nets (Python overhead per pass dominates): log-log slope",
                          "about 1 (a pass costs a constant)", slope_small, 0.8 <= slope_small <= 1.2))
    return {
        "setup": f"MLP 64-64-10 on digits (float64), median of {repeats} runs; finite differences (central, 2 forward "
        f"passes per parameter), 32 examples, MLP 64-h-h-10 for h in {list(hidden_wide)} (timed on a few weights of "
        f"the middle layer, scaled by P); small nets MLP 64-h-10, h in {list(hidden)}, {fd_batch} examples, full runs",
        "ratios": ratios,
        "finite_differences": wide,
        "fd_loglog_slope": slope_wide,
        "finite_differences_small": small,
        "fd_loglog_slope_small": slope_small,
        "targets": targets,
    }
