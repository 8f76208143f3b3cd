"""Set 07 (layers, forward and backward): learner-style submissions, each with the score it deserves.

Each case replaces some answer cells of the solution (or of the fresh exercise) and states the points per
question, a keyword of the message and the mistake id. Questions 1-3 are judged on fixed inputs against
built data (visible) and reference formulas (hidden); question 4 against the reference composition or the
same composition of the learner's own functions (error carried forward); question 5's measured loss
against the learner's two_layer and its prediction alone. Most cases make one slip in each of several
questions at once (a grading costs about 2 CPU-seconds): each slip must cost its own question only.
"""

from catalogs import Case, edit, slip_case

LINEAR = '''def linear_forward(x, W, b):
    """x (N, D), W (D, M), b (M,) -> out (N, M)."""
    return x @ W + b


def linear_backward(dout, x, W):
    """dout (N, M) -> dx (N, D), dW (D, M), db (M,)."""
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db
'''

RELU = '''def relu_forward(x):
    """max(x, 0), elementwise."""
    return np.maximum(x, 0.0)


def relu_backward(dout, x):
    """dout (shape of x) -> dx: dout where x > 0, else 0."""
    return dout * (x > 0)
'''

SOFTMAX = '''def softmax_cross_entropy(scores, y):
    """scores (N, C), labels y (N,) -> (mean loss, dscores (N, C))."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    loss = float(-log_probs[rows, y].mean())
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    return loss, dscores / len(y)
'''

TWO_LAYER = '''def two_layer(X, y, params):
    """Loss and gradients of Linear-ReLU-Linear-softmax cross-entropy."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a = linear_forward(X, W1, b1)
    h = relu_forward(a)
    scores = linear_forward(h, W2, b2)
    loss, dscores = softmax_cross_entropy(scores, y)
    dh, dW2, db2 = linear_backward(dscores, h, W2)
    da = relu_backward(dh, a)
    _, dW1, db1 = linear_backward(da, X, W1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def initial_params(scale=1.0, seed=0):
    """Random parameters for the two-layer network (a fresh dict every call)."""
    r = np.random.default_rng(seed)
    return {"W1": r.normal(0, scale, (D, H)), "b1": r.normal(0, scale, H),
            "W2": r.normal(0, scale, (H, C)), "b2": r.normal(0, scale, C)}
'''

INITIAL = '''expected_initial_loss = float(np.log(C))
initial_loss = two_layer(X, y, initial_params(scale=0.001))[0]
'''


LINEAR_OTHER = '''def linear_forward(x, W, b):
    return np.dot(x, W) + b


def linear_backward(dout, x, W):
    return [np.dot(dout, W.T), np.dot(x.T, dout), np.sum(dout, axis=0)]
'''

RELU_OTHER = '''rng = np.random.default_rng(0)


def relu_forward(x):
    return np.where(x > 0, x, 0.0)


def relu_backward(dout, x):
    mask = (x > 0).astype(float)
    return dout * mask
'''

SOFTMAX_OTHER = '''def softmax_cross_entropy(scores, y):
    N, C = scores.shape
    exps = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    probs = exps / np.sum(exps, axis=1, keepdims=True)
    one_hot = np.eye(C)[y]
    loss = -np.sum(one_hot * np.log(probs + 1e-300)) / N
    return [loss, (probs - one_hot) / N]
'''


Q1, Q2, Q3, Q4, Q5 = "q1_linear", "q2_relu", "q3_softmax_ce", "q4_two_layer", "q5_initial_loss"
T1, T2, T3, T4, T5 = (q + "_tests" for q in (Q1, Q2, Q3, Q4, Q5))
TESTS = {Q1: T1, Q2: T2, Q3: T3, Q4: T4, Q5: T5}
SUMMED = edit(edit(SOFTMAX, "float(-log_probs[rows, y].mean())", "float(-log_probs[rows, y].sum())"),
              "return loss, dscores / len(y)", "return loss, dscores")

# slip: (answer cell, its source, a keyword of the message, the mistake id)
SLIPS = {
    # question 1
    "dW transposed": (Q1, edit(LINEAR, "dW = x.T @ dout", "dW = dout.T @ x"), "transposed", "transposed"),
    "db mean": (Q1, edit(LINEAR, "db = dout.sum(axis=0)", "db = dout.mean(axis=0)"), "averaged", "bias-mean"),
    "db axis 1": (Q1, edit(LINEAR, "db = dout.sum(axis=0)", "db = dout.sum(axis=1)"), "axis", "bias-axis"),
    "order": (Q1, edit(LINEAR, "return dx, dW, db", "return dW, dx, db"), "order", "wrong-order"),
    "no bias": (Q1, edit(LINEAR, "return x @ W + b", "return x @ W"), "b added", "no-bias"),
    # question 2
    "in place": (Q2, edit(RELU, "return dout * (x > 0)", "dout[x <= 0] = 0\n    return dout"), "in place",
                 "changed-input"),
    "mask from dout": (Q2, edit(RELU, "return dout * (x > 0)", "return dout * (dout > 0)"), "from x",
                       "mask-from-dout"),
    "mask alone": (Q2, edit(RELU, "return dout * (x > 0)", "return (x > 0).astype(float)"), "mask alone", "no-dout"),
    "x >= 0": (Q2, edit(RELU, "return dout * (x > 0)", "return dout * (x >= 0)"), "x > 0", "kink"),
    # question 3
    "summed": (Q3, SUMMED, "divided by N", "no-mean"),
    "dscores not /N": (Q3, edit(SOFTMAX, "return loss, dscores / len(y)", "return loss, dscores"), "dscores",
                       "dscores-not-averaged"),
    "no max": (Q3, edit(SOFTMAX, "shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores"),
               "maximum", "overflow"),
    "[:, y]": (Q3, edit(SOFTMAX, "dscores[rows, y] -= 1.0", "dscores[:, y] -= 1.0"), "[n, y[n]]", "wrong-index"),
    "per example": (Q3, edit(SOFTMAX, "loss = float(-log_probs[rows, y].mean())", "loss = -log_probs[rows, y]"),
                    "mean", "per-example"),
    # question 4
    "no relu_backward": (Q4, edit(TWO_LAYER, "da = relu_backward(dh, a)", "da = dh"), "ReLU", "no-relu-backward"),
    "a for h": (Q4, edit(TWO_LAYER, "dh, dW2, db2 = linear_backward(dscores, h, W2)",
                         "dh, dW2, db2 = linear_backward(dscores, a, W2)"), "own input h", "a-for-h"),
    # question 5
    "copied prediction": (Q5, "expected_initial_loss = float(np.log(C))\ninitial_loss = expected_initial_loss\n",
                          "measure it", "not-measured"),
    "copied measure": (Q5, "initial_loss = two_layer(X, y, initial_params(scale=0.001))[0]\n"
                           "expected_initial_loss = initial_loss\n", "predict", "measured-not-predicted"),
    "log(1/C)": (Q5, edit(INITIAL, "float(np.log(C))", "float(np.log(1 / C))"), "positive", "sign"),
    "log10": (Q5, edit(INITIAL, "float(np.log(C))", "float(np.log10(C))"), "natural log", "log10"),
}


def slips(name, *which, **changes):
    """A case making the named slips (at most one per question): each costs its own question, nothing else."""
    return slip_case(SLIPS, TESTS, name, *which, **changes)


CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={T1: "not attempted", T2: "not attempted", T3: "not attempted", T4: "not attempted",
                   T5: "not attempted"}),
    # issue 20: "a list instead of a tuple (07 linear_backward)" was rejected
    Case("right: linear_backward returns a list; softmax through probabilities, returned as a list; relu_backward "
         "on the ReLU's output h; expected_initial_loss typed as 1.0986",
         edits={Q1: LINEAR_OTHER, Q3: SOFTMAX_OTHER, Q4: edit(TWO_LAYER, "da = relu_backward(dh, a)",
                                                              "da = relu_backward(dh, h)"),
                Q5: edit(INITIAL, "float(np.log(C))", "1.0986")}),
    # issue 20: a Generator in an answer cell killed the grading of the later cells
    Case("right: relu with np.where and a float mask, rng = np.random.default_rng(0) in the cell",
         edits={Q2: RELU_OTHER}),
    # issue 20: "07 Q5 initial_loss = expected_initial_loss passes (true by construction)"
    slips("q5: initial_loss = expected_initial_loss", "copied prediction"),
    slips("q3: loss and gradient summed over the rows; q4 and q5 follow it (error carried forward)", "summed"),
    slips("q1 dW transposed, q2 dout changed in place, q3 dscores not divided by N, q4 no relu_backward, "
          "q5 expected_initial_loss = the measured loss", "dW transposed", "in place", "dscores not /N",
          "no relu_backward", "copied measure"),
    slips("q1 db averaged, q2 the mask from dout, q3 the one-hot at [:, y], q4 a for h, q5 log(1/C)", "db mean",
          "mask from dout", "[:, y]", "a for h", "log(1/C)"),
    slips("q1 db over axis 1, q2 the mask alone, q3 no max subtraction, q5 log base 10", "db axis 1", "mask alone",
          "no max", "log10"),
    slips("q1 forgot the bias, q2 x >= 0 at the kink, q3 per-example losses: q4 and q5 follow them", "no bias",
          "x >= 0", "per example"),
    slips("q1: the order (dW, dx, db), and two_layer unpacks it that way too", "order",
          edits={Q4: edit(edit(TWO_LAYER, "dh, dW2, db2 = linear_backward(dscores, h, W2)",
                                "dW2, dh, db2 = linear_backward(dscores, h, W2)"),
                          "_, dW1, db1 = linear_backward(da, X, W1)", "dW1, _, db1 = linear_backward(da, X, W1)")}),
    # A known limit: two_layer (right by the spec) unpacks (dx, dW, db) and crashes on this order, so questions 4
    # and 5 cannot be judged and cost their points too; their messages name the crash.
    slips("q1: the order (dW, dx, db), two_layer as the spec says", "order", points={T4: 0, T5: 0},
          keywords={T4: "linear_backward (question 1)", T5: "ValueError"}),
]
