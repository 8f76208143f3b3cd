"""Benchmark 2: training a 64-64-10 MLP on the shipped digits, bplab against its peers.

Every implementation trains the same network (SGD, momentum 0.9, batch 32, lr 0.05, no weight
decay). bplab, the fused NumPy loop and PyTorch start from the same He-initialized weights and
visit the batches in the same order, so in float64 they reach the same accuracy; scikit-learn
uses its own initialization and shuffling. Seeds run round-robin over the implementations, so a
busy moment on the machine hits all of them alike.
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np

from bench._timing import SKIPPED, optional_import, target
from bplab.data import load_digits, standardize, train_test_split
from bplab.layers import MLP, SoftmaxCrossEntropy
from bplab.optim import SGD, fit

HIDDEN, BATCH, LR, MOMENTUM = 64, 32, 0.05, 0.9


def digits(dtype):
    """Stratified 75/25 split of the shipped digits, standardized with the training statistics."""
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=True, rng=0)
    X_train, X_test = standardize(X_train, X_test)
    return X_train.astype(dtype), X_test.astype(dtype), y_train, y_test


def batches(n, rng):
    """One epoch of shuffled mini-batch indices (the order bplab.optim.fit uses)."""
    order = rng.permutation(n)
    return [order[i : i + BATCH] for i in range(0, n, BATCH)]


def initial_weights(seed, dtype):
    """W1 (64, 64), b1, W2 (64, 10), b2 of bplab's MLP for this seed, copied."""
    model = MLP([64, HIDDEN, 10], rng=seed, dtype=dtype)
    return [p.data.copy() for p in model.parameters()]


def train_bplab(X, y, X_test, seed, num_epochs):
    """bplab.layers + bplab.optim in a plain loop: forward, loss, backward, step."""
    model = MLP([64, HIDDEN, 10], rng=seed, dtype=X.dtype)
    optimizer, criterion = SGD(model.parameters(), lr=LR, momentum=MOMENTUM), SoftmaxCrossEntropy()
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(num_epochs):
        for batch in batches(len(X), rng):
            criterion.forward(model.forward(X[batch]), y[batch])
            model.backward(criterion.backward())
            optimizer.step()
    return time.perf_counter() - start, model.forward(X_test).argmax(axis=1)


def train_bplab_fit(X, y, X_test, seed, num_epochs):
    """bplab.optim.fit, as notebook 08 trains; it also measures the training accuracy after every epoch."""
    model = MLP([64, HIDDEN, 10], rng=seed, dtype=X.dtype)
    optimizer = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    start = time.perf_counter()
    fit(model, X, y, optimizer, num_epochs=num_epochs, batch_size=BATCH, rng=seed)
    return time.perf_counter() - start, model.forward(X_test).argmax(axis=1)


def train_numpy(X, y, X_test, seed, num_epochs):
    """The practical floor: one hand-fused NumPy loop, no checks, updates in place (it computes the loss, as
    every other implementation does, but skips the gradient for the input that a layer would return)."""
    W1, b1, W2, b2 = params = initial_weights(seed, X.dtype)
    velocity = [np.zeros_like(p) for p in params]
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(num_epochs):
        for batch in batches(len(X), rng):
            x, labels, rows = X[batch], y[batch], np.arange(len(batch))
            h = np.maximum(x @ W1 + b1, 0)
            scores = h @ W2 + b2
            shifted = scores - scores.max(axis=1, keepdims=True)
            p = np.exp(shifted)
            total = p.sum(axis=1, keepdims=True)
            loss = np.mean(np.log(total[:, 0]) - shifted[rows, labels])  # noqa: F841 (every peer computes it)
            p /= total
            p[rows, labels] -= 1
            p /= len(batch)  # dscores
            dh = p @ W2.T
            dh *= h > 0
            for param, v, grad in zip(params, velocity, (x.T @ dh, dh.sum(axis=0), h.T @ p, p.sum(axis=0))):
                v *= MOMENTUM
                v -= LR * grad
                param += v
    scores = np.maximum(X_test @ W1 + b1, 0) @ W2 + b2
    return time.perf_counter() - start, scores.argmax(axis=1)


def train_torch(X, y, X_test, seed, num_epochs):
    """PyTorch on the CPU with one thread, the same weights and batch order."""
    import torch

    torch.set_num_threads(1)
    W1, b1, W2, b2 = initial_weights(seed, X.dtype)
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10))
    model = model.to(torch.float64 if X.dtype == np.float64 else torch.float32)
    with torch.no_grad():
        for layer, W, b in ((model[0], W1, b1), (model[2], W2, b2)):
            layer.weight.copy_(torch.from_numpy(W.T.copy()))
            layer.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    Xt, yt, rng = torch.from_numpy(X), torch.from_numpy(y), np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(num_epochs):
        for batch in batches(len(X), rng):
            index = torch.from_numpy(batch)
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[index]), yt[index]).backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        return seconds, model(torch.from_numpy(X_test)).argmax(dim=1).numpy()


def train_sklearn(X, y, X_test, seed, num_epochs):
    """scikit-learn's MLPClassifier with the same sizes and optimizer (its own initialization)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="sgd", learning_rate_init=LR,
                        momentum=MOMENTUM, nesterovs_momentum=False, batch_size=BATCH, max_iter=num_epochs,
                        alpha=0.0, n_iter_no_change=num_epochs + 1, shuffle=True, random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it stops at max_iter, as asked
        clf.fit(X, y)
    return time.perf_counter() - start, clf.predict(X_test)


FLOOR_REASON = (
    "a batch of 32 is so little arithmetic that Python-level work decides: the model checks its input once per "
    "call, the loss validates scores and labels, and the first Linear layer returns dx, a matmul the fused loop "
    "skips; on this shared machine the float64 ratio ranged from 1.2x to 2.0x over ten runs of 2026-11-29 "
    "(median 1.5x)"
)

IMPLEMENTATIONS = {
    "bplab (layers + optim)": (train_bplab, None),
    "bplab.optim.fit": (train_bplab_fit, None),
    "fused NumPy loop": (train_numpy, None),
    "PyTorch CPU, 1 thread": (train_torch, "torch"),
    "scikit-learn MLPClassifier": (train_sklearn, "sklearn"),
}


def run(quick: bool = False) -> dict:
    num_epochs, seeds = (1, [0]) if quick else (50, [0, 1, 2, 3, 4])
    available = {name: (fn, mod) for name, (fn, mod) in IMPLEMENTATIONS.items() if mod is None or optional_import(mod)}
    data = {dtype: digits(dtype) for dtype in (np.float64, np.float32)}
    seconds = {(name, d): [] for name in available for d in data}
    accuracy = {(name, d): [] for name in available for d in data}
    names = list(available)
    for seed in seeds:
        for dtype, (X, X_test, y, y_test) in data.items():
            for name in names[seed % len(names) :] + names[: seed % len(names)]:  # rotate who goes first
                train = available[name][0]
                elapsed, predictions = train(X, y, X_test, seed, num_epochs)
                seconds[name, dtype].append(elapsed / num_epochs)
                accuracy[name, dtype].append(float(np.mean(predictions == y_test)))

    rows, targets = [], []
    for dtype in data:
        dname = np.dtype(dtype).name
        floor = statistics.median(seconds["fused NumPy loop", dtype])
        for name in IMPLEMENTATIONS:
            if name not in available:
                rows.append({"dtype": dname, "implementation": name, "skipped": SKIPPED})
                continue
            per_epoch = statistics.median(seconds[name, dtype])
            rows.append({"dtype": dname, "implementation": name, "ms_per_epoch": 1e3 * per_epoch,
                         "vs_numpy_floor": per_epoch / floor, "test_accuracy": statistics.mean(accuracy[name, dtype]),
                         "accuracy_std": statistics.pstdev(accuracy[name, dtype])})
        targets += _targets(rows, dname, num_test=len(data[dtype][1]))
    X, X_test = data[np.float64][:2]
    return {
        "setup": f"digits {len(X)} train / {len(X_test)} test, MLP 64-{HIDDEN}-10 ReLU, batch {BATCH}, SGD lr {LR} "
        f"momentum {MOMENTUM}, {num_epochs} epochs; time per epoch = median over seeds {seeds}, accuracy = their mean. "
        "bplab, NumPy and PyTorch share initial weights and batch order.",
        "rows": rows,
        "targets": targets,
        "notes": ["bplab.optim.fit also computes the training accuracy on the whole training set after every epoch.",
                  "PyTorch does the same arithmetic as NumPy here, so its extra time is its fixed cost per "
                  "operation (dispatch, autograd bookkeeping), large next to a 32 x 64 batch."],
    }


def _targets(rows, dname, num_test):
    by_name = {r["implementation"]: r for r in rows if r["dtype"] == dname}
    ours, torch_row, sk = by_name["bplab (layers + optim)"], by_name["PyTorch CPU, 1 thread"], by_name[
        "scikit-learn MLPClassifier"]
    out = [target(f"bplab training time vs fused NumPy ({dname})", "<= 1.5x", ours["vs_numpy_floor"],
                  ours["vs_numpy_floor"] <= 1.5, FLOOR_REASON)]
    if "skipped" in torch_row:
        out.append(target(f"bplab faster than PyTorch ({dname})", "ratio < 1", None, None, "PyTorch " + SKIPPED))
    else:
        ratio = ours["ms_per_epoch"] / torch_row["ms_per_epoch"]
        out.append(target(f"bplab time / PyTorch time ({dname})", "< 1", ratio, ratio < 1))
    if "skipped" in sk:
        out.append(target(f"bplab accuracy >= scikit-learn ({dname})", ">= 0", None, None, "scikit-learn " + SKIPPED))
    else:
        gap = ours["test_accuracy"] - sk["test_accuracy"]
        spread = max(ours["accuracy_std"], sk["accuracy_std"])
        out.append(target(f"bplab accuracy - scikit-learn accuracy ({dname})", ">= 0", gap, gap >= 0,
                          f"{gap * num_test:+.1f} of {num_test} test digits on average, "
                          f"{'within' if abs(gap) <= spread else 'beyond'} the seed-to-seed spread (std "
                          f"{spread:.2%}); scikit-learn starts from its own (Glorot uniform) weights and batch order"))
    return [t if not t["met"] else {**t, "reason": ""} for t in out]
