"""Set 06 (XOR by hand): learner-style submissions, each with the score it deserves.

Each case replaces some answer cells of the solution (or of the fresh exercise) and states the points per
question, a keyword of the message and the mistake id. A slip costs its own question only: question 2's
tests use a reference cache (built data), question 3's judge the loop against the learner's own forward
and backward (error carried forward). Most cases make one slip in each of several questions at once (a
grading costs about 2 CPU-seconds, most of it starting the submission's process): each slip must cost its
own question and nothing else.
"""

from catalogs import Case, edit, slip_case

FORWARD = '''def forward(X, y, params):
    """Loss (float) and cache {"h", "z", "p"} of the 2-2-1 tanh/sigmoid network."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    p = 1.0 / (1.0 + np.exp(-z))
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    return loss, {"h": h, "z": z, "p": p}
'''

BACKWARD = '''def backward(X, y, params, cache):
    """Gradients {"W1", "b1", "W2", "b2"} of the mean loss."""
    h, p = cache["h"], cache["p"]
    dz = (p - y) / len(X)
    dW2 = h.T @ dz
    db2 = dz.sum(axis=0)
    dh = dz @ params["W2"].T
    da = dh * (1.0 - h**2)
    dW1 = X.T @ da
    db1 = da.sum(axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''

TRAIN = '''def train(params, lr, num_epochs):
    """Full-batch gradient descent; updates params in place and returns the losses."""
    losses = []
    for _ in range(num_epochs):
        epoch_loss, cache = forward(X, y, params)
        gradients = backward(X, y, params, cache)
        for name in params:
            params[name] -= lr * gradients[name]
        losses.append(epoch_loss)
    return losses


params = initial_params()
losses = train(params, lr=1.0, num_epochs=1000)
'''


BACKWARD_OTHER = '''def backward(X, y, params, cache):
    a = X @ params["W1"] + params["b1"]
    h = np.tanh(a)
    delta_out = (cache["p"] - y) / y.shape[0]
    grads = {"W2": h.T @ delta_out, "b2": np.sum(delta_out, axis=0)}
    delta_hidden = (delta_out @ params["W2"].T) * (1 - np.tanh(a) ** 2)
    grads["W1"] = X.T @ delta_hidden
    grads["b1"] = np.sum(delta_hidden, axis=0)
    return grads
'''

TRAIN_OTHER = '''rng = np.random.default_rng(0)


def train(params, lr, num_epochs):
    losses = np.zeros(num_epochs)
    for epoch in range(num_epochs):
        losses[epoch], cache = forward(X, y, params)
        grads = backward(X, y, params, cache)
        for name in list(params):
            params[name] = params[name] - lr * grads[name]
    return losses


params = initial_params()
losses = train(params, lr=1.0, num_epochs=1000)
'''


Q1, Q2, Q3 = "q1_forward", "q2_backward", "q3_train"
T1, T2, T3 = "q1_forward_tests", "q2_backward_tests", "q3_train_tests"

Q1, Q2, Q3 = "q1_forward", "q2_backward", "q3_train"
T1, T2, T3 = "q1_forward_tests", "q2_backward_tests", "q3_train_tests"
TESTS = {Q1: T1, Q2: T2, Q3: T3}

# slip: (answer cell, its source, a keyword of the message, the mistake id)
SLIPS = {
    # question 1
    "summed": (Q1, edit(FORWARD, "float(np.mean(np.logaddexp(0.0, z) - y * z))",
                        "float(np.sum(np.logaddexp(0.0, z) - y * z))"), "summed", "summed-not-averaged"),
    "loss (1,)": (Q1, edit(FORWARD, "float(np.mean(np.logaddexp(0.0, z) - y * z))",
                           "np.mean(np.logaddexp(0.0, z) - y * z, axis=0)"), "single number", "array-not-number"),
    "no minus": (Q1, edit(FORWARD, "loss = float(np.mean(np.logaddexp(0.0, z) - y * z))",
                          "loss = float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))"), "minus sign", "sign"),
    "sigmoid hidden": (Q1, edit(FORWARD, "h = np.tanh(X @ W1 + b1)", "h = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))"),
                       "tanh", "sigmoid-hidden"),
    "no biases": (Q1, edit(edit(FORWARD, "np.tanh(X @ W1 + b1)", "np.tanh(X @ W1)"), "z = h @ W2 + b2", "z = h @ W2"),
                  "b1 and b2", "no-bias"),
    "p = z": (Q1, edit(FORWARD, "p = 1.0 / (1.0 + np.exp(-z))", "p = z"), "sigmoid", "p-not-sigmoid"),
    # question 2
    "no mean": (Q2, edit(BACKWARD, "dz = (p - y) / len(X)", "dz = p - y"), "divided by N", "no-mean"),
    "no tanh'": (Q2, edit(BACKWARD, "da = dh * (1.0 - h**2)", "da = dh"), "tanh's derivative", "no-tanh-derivative"),
    "sigmoid'": (Q2, edit(BACKWARD, "da = dh * (1.0 - h**2)", "da = dh * h * (1.0 - h)"), "sigmoid's derivative",
                 "sigmoid-derivative"),
    "tanh twice": (Q2, edit(BACKWARD, "da = dh * (1.0 - h**2)", "da = dh * (1.0 - np.tanh(h) ** 2)"), "twice",
                   "tanh-twice"),
    "dW1 transposed": (Q2, edit(BACKWARD, "dW1 = X.T @ da", "dW1 = da.T @ X"), "transposed", "transposed"),
    "y - p": (Q2, edit(BACKWARD, "dz = (p - y) / len(X)", "dz = (y - p) / len(X)"), "sign", "sign"),
    "bias mean": (Q2, edit(edit(BACKWARD, "db2 = dz.sum(axis=0)", "db2 = dz.mean(axis=0)"),
                           "db1 = da.sum(axis=0)", "db1 = da.mean(axis=0)"), "averaged", "bias-mean"),
    "keepdims": (Q2, edit(edit(BACKWARD, "db2 = dz.sum(axis=0)", "db2 = dz.sum(axis=0, keepdims=True)"),
                          "db1 = da.sum(axis=0)", "db1 = da.sum(axis=0, keepdims=True)"), "keepdims", "keepdims"),
    # question 3
    "loss after": (Q3, edit(edit(TRAIN, "        epoch_loss, cache = forward(X, y, params)\n",
                                 "        cache = forward(X, y, params)[1]\n"),
                            "        losses.append(epoch_loss)", "        losses.append(forward(X, y, params)[0])"),
                   "before", "loss-after-update"),
    "new dict": (Q3, edit(TRAIN, "        for name in params:\n            params[name] -= lr * gradients[name]",
                          "        params = {name: params[name] - lr * gradients[name] for name in params}"),
                 "unchanged", "not-in-place"),
    "no lr": (Q3, edit(TRAIN, "params[name] -= lr * gradients[name]", "params[name] -= gradients[name]"), "lr",
              "ignores-lr"),
    "weights only": (Q3, edit(TRAIN, "for name in params:", 'for name in ["W1", "W2"]:'), "every parameter",
                     "weights-only"),
    "ascent": (Q3, edit(TRAIN, "params[name] -= lr * gradients[name]", "params[name] += lr * gradients[name]"),
               "up the gradient", "ascent"),
}


def slips(name, *which, **changes):
    """A case making the named slips (at most one per question): each costs its own question, nothing else."""
    return slip_case(SLIPS, TESTS, name, *which, **changes)


CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={T1: "not attempted", T2: "not attempted", T3: "not attempted"}),
    Case("right: the loss from the probabilities as np.float64; backward recomputes tanh, np.sum, y.shape[0]",
         edits={Q1: edit(FORWARD, "loss = float(np.mean(np.logaddexp(0.0, z) - y * z))",
                         "loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))"),
                Q2: BACKWARD_OTHER}),
    # issue 20: a Generator in an answer cell killed the grading of the later cells
    Case("right: train replaces the dict's entries, losses as an ndarray, rng = np.random.default_rng(0) in the cell",
         edits={Q3: TRAIN_OTHER}),
    # issue 20: "a loss of shape (1,) costs 8/8 with a bare TypeError in Q2 and a wrong hint in Q3"
    slips("q1: a loss of shape (1,) (mean over axis 0): costs question 1 only", "loss (1,)"),
    # issue 20: "a forward-pass mistake in set 06 zeroes a correct backward"
    slips("q1: a sigmoid hidden layer (the lesson's) instead of tanh: costs question 1 only", "sigmoid hidden"),
    slips("q1 summed, q2 tanh applied twice, q3 loss recorded after the update", "summed", "tanh twice", "loss after"),
    slips("q1 no minus sign, q2 the sigmoid's derivative, q3 ignores lr", "no minus", "sigmoid'", "no lr"),
    slips("q1 forgot the biases (0 in initial_params), q2 y - p, q3 gradient ascent", "no biases", "y - p", "ascent"),
    slips("q1 p = z, q2 no tanh derivative, q3 a new dict (the caller's params stay untrained)", "p = z", "no tanh'",
          "new dict"),
    slips("q2 dW1 transposed (the same shape: W1 is square), q3 only the weights updated", "dW1 transposed",
          "weights only"),
    slips("q2: the bias gradients averaged over the batch; q3 trains with them (its loop is right)", "bias mean"),
    slips("q1 summed and q2 consistent with that sum (no 1/N): both wrong, q3's loop right", "summed", "no mean"),
    # A known limit: the learner's own train (right) crashes on gradients of shape (1, 2) in its answer cell, so
    # question 3 cannot be judged and costs its points too; its message names the broadcast error.
    slips("q2: bias gradients kept as rows (keepdims=True)", "keepdims", points={T3: 0}, keywords={T3: "broadcast"}),
    # train calls forward, which still raises: question 3 cannot run (0 points, not a slip of question 3)
    Case("q1 not attempted, q2 and q3 written", start="exercise", edits={Q2: BACKWARD, Q3: TRAIN},
         points={T2: 4}, keywords={T1: "not attempted", T3: "NotImplementedError"}),
]
