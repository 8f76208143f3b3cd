"""Set 09b (the batch-norm backward pass): learner-style submissions, each with the score it deserves.

Questions 1-3 are judged on fixed inputs against built data (visible) and reference formulas (hidden); question 4
against the reference, or the same transposition of the learner's own batchnorm_backward (error carried forward).
"""

from catalogs import Case, edit

FORWARD = '''def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta
'''

BACKWARD = '''def batchnorm_backward(dout, x, gamma, eps=1e-5):
    N = x.shape[0]
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    g = dout * gamma
    dx = inv_std / N * (N * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
'''

NUMERICAL = '''def numerical_gradient_of(f, x, dout, h=1e-5):
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = np.sum(f(x) * dout)
        x[i] = old - h
        minus = np.sum(f(x) * dout)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad
'''

LAYERNORM = '''def layernorm_backward(dout, x, eps=1e-5):
    return batchnorm_backward(dout.T, x.T, np.ones(x.shape[0]), eps)[0].T
'''

# right alternatives -----------------------------------------------------------------------------------------------

FORWARD_OTHER = '''rng = np.random.default_rng(0)


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=0, keepdims=True)
    sigma2 = np.mean((x - mu) ** 2, axis=0, keepdims=True)
    return gamma * ((x - mu) / np.sqrt(sigma2 + eps)) + beta
'''

BACKWARD_STAGED = '''def batchnorm_backward(dout, x, gamma, eps=1e-5):
    N = x.shape[0]
    mu = x.sum(axis=0) / N
    xmu = x - mu
    var = (xmu**2).sum(axis=0) / N
    inv_std = (var + eps) ** -0.5
    x_hat = xmu * inv_std
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dinv_std = (dx_hat * xmu).sum(axis=0)
    dxmu = dx_hat * inv_std
    dvar = dinv_std * -0.5 * (var + eps) ** -1.5
    dxmu += dvar * 2 * xmu / N
    dmu = -dxmu.sum(axis=0)
    dx = dxmu + dmu / N
    return [dx, dgamma, dbeta]
'''

NUMERICAL_OTHER = '''rng = np.random.default_rng(0)


def numerical_gradient_of(f, x, dout, h=1e-5):
    grad = np.zeros(x.shape)
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = h
        step = step.reshape(x.shape)
        grad.flat[i] = (np.sum(f(x + step) * dout) - np.sum(f(x - step) * dout)) / (2 * h)
    return grad
'''

LAYERNORM_FORMULA = '''def layernorm_backward(dout, x, eps=1e-5):
    D = x.shape[1]
    s = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=1, keepdims=True)) * s
    return s / D * (D * dout - dout.sum(axis=1, keepdims=True) - x_hat * (dout * x_hat).sum(axis=1, keepdims=True))
'''


Q1, Q2, Q3, Q4 = "q1_forward", "q2_backward", "q3_numerical", "q4_layernorm"
T1, T2, T3, T4 = (q + "_tests" for q in (Q1, Q2, Q3, Q4))
GRAD = "g = dout * gamma\n    dx = inv_std / N * (N * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))"

CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={T1: "not attempted", T2: "not attempted", T3: "not attempted", T4: "not attempted"}),
    # right alternatives
    Case("right: forward with keepdims and the variance as a mean of squares, rng = np.random.default_rng(0)",
         edits={Q1: FORWARD_OTHER}),
    Case("right: the staged backward of the lesson, returned as a list", edits={Q2: BACKWARD_STAGED}),
    Case("right: central differences with a step array and x + step (x never touched)", edits={Q3: NUMERICAL_OTHER}),
    Case("right: layer norm's backward written from the formula along axis 1", edits={Q4: LAYERNORM_FORMULA}),
    # question 1
    Case("q1: the variance divided by N - 1 (ddof=1)",
         edits={Q1: edit(FORWARD, "var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)")},
         points={T1: 0}, keywords={T1: "N - 1"}, mistakes={T1: "unbiased-variance"}),
    Case("q1: each example standardized over its features (axis 1)",
         edits={Q1: edit(edit(FORWARD, "mean = x.mean(axis=0)", "mean = x.mean(axis=1, keepdims=True)"),
                         "var = x.var(axis=0)", "var = x.var(axis=1, keepdims=True)")},
         points={T1: 0}, keywords={T1: "axis 0"}, mistakes={T1: "wrong-axis"}),
    Case("q1: eps added to the standard deviation",
         edits={Q1: edit(FORWARD, "np.sqrt(var + eps)", "(np.sqrt(var) + eps)")},
         points={T1: 0}, keywords={T1: "inside the square root"}, mistakes={T1: "eps-outside-sqrt"}),
    Case("q1: no eps", edits={Q1: edit(FORWARD, "np.sqrt(var + eps)", "np.sqrt(var)")},
         points={T1: 0}, keywords={T1: "nearly constant"}, mistakes={T1: "no-eps"}),
    Case("q1: gamma and beta swapped", edits={Q1: edit(FORWARD, "gamma * x_hat + beta", "beta * x_hat + gamma")},
         points={T1: 0}, keywords={T1: "swapped"}, mistakes={T1: "swapped-gamma-beta"}),
    Case("q1: gamma and beta left out", edits={Q1: edit(FORWARD, "gamma * x_hat + beta", "x_hat")},
         points={T1: 0}, keywords={T1: "not applied"}, mistakes={T1: "no-scale-shift"}),
    Case("q1: divided by the variance, not its square root",
         edits={Q1: edit(FORWARD, "np.sqrt(var + eps)", "(var + eps)")},
         points={T1: 0}, keywords={T1: "square root"}, mistakes={T1: "no-sqrt"}),
    Case("q1: x standardized in place (x -= mean), the values right",
         edits={Q1: "def batchnorm_forward(x, gamma, beta, eps=1e-5):\n    x -= x.mean(axis=0)\n"
                    "    x /= np.sqrt(x.var(axis=0) + eps)\n    return gamma * x + beta\n"},
         points={T1: 0}, keywords={T1: "in place"}, mistakes={T1: "changed-input"}),
    # question 2
    Case("q2: dx as at test time (mean and variance treated as constants)",
         edits={Q2: edit(BACKWARD, GRAD, "dx = dout * gamma * inv_std")},
         points={T2: 0}, keywords={T2: "constants"}, mistakes={T2: "no-batch-paths"}),
    Case("q2: the path through the mean forgotten; q4 composes it and keeps its points (error carried forward)",
         edits={Q2: edit(BACKWARD, "N * g - g.sum(axis=0) - x_hat", "N * g - x_hat")},
         points={T2: 0}, keywords={T2: "through the mean"}, mistakes={T2: "no-mean-path"}),
    Case("q2: the path through the variance forgotten",
         edits={Q2: edit(BACKWARD, " - x_hat * (g * x_hat).sum(axis=0))", ")")},
         points={T2: 0}, keywords={T2: "through the variance"}, mistakes={T2: "no-variance-path"}),
    Case("q2: the variance path added instead of subtracted",
         edits={Q2: edit(BACKWARD, "- x_hat * (g * x_hat)", "+ x_hat * (g * x_hat)")},
         points={T2: 0}, keywords={T2: "wrong sign"}, mistakes={T2: "variance-path-sign"}),
    Case("q2: dx without gamma; q4 (gamma = 1) is not affected",
         edits={Q2: edit(BACKWARD, "g = dout * gamma", "g = dout")},
         points={T2: 0}, keywords={T2: "gamma"}, mistakes={T2: "no-gamma"}),
    Case("q2: dgamma from x instead of x_hat",
         edits={Q2: edit(BACKWARD, "(dout * x_hat).sum(axis=0), dout.sum", "(dout * x).sum(axis=0), dout.sum")},
         points={T2: 0}, keywords={T2: "x_hat"}, mistakes={T2: "dgamma-from-x"}),
    Case("q2: the variance path summed where the formula averages it (N times too large)",
         edits={Q2: edit(BACKWARD, GRAD, "g = dout * gamma\n"
                         "    dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).sum(axis=0))")},
         points={T2: 0}, keywords={T2: "N times too large"}, mistakes={T2: "variance-path-summed"}),
    Case("q2: the variance divided by N - 1 in the backward pass; q4 composes it and keeps its points",
         edits={Q2: edit(BACKWARD, "np.sqrt(x.var(axis=0) + eps)", "np.sqrt(x.var(axis=0, ddof=1) + eps)")},
         points={T2: 0}, keywords={T2: "N - 1"}, mistakes={T2: "unbiased-variance"}),
    Case("q2: dbeta averaged over the batch",
         edits={Q2: edit(BACKWARD, "dout.sum(axis=0)\n", "dout.mean(axis=0)\n")},
         points={T2: 0}, keywords={T2: "averaged"}, mistakes={T2: "dbeta-mean"}),
    Case("q2: returned in the order (dbeta, dgamma, dx); q4 takes element [0] and keeps its points",
         edits={Q2: edit(BACKWARD, "return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)",
                         "return dout.sum(axis=0), (dout * x_hat).sum(axis=0), dx")},
         points={T2: 0}, keywords={T2: "order"}, mistakes={T2: "wrong-order"}),
    # question 3
    Case("q3: a forward difference",
         edits={Q3: edit(edit(NUMERICAL, "x[i] = old - h\n", "x[i] = old\n"), "(plus - minus) / (2 * h)",
                         "(plus - minus) / h")},
         points={T3: 0}, keywords={T3: "forward difference"}, mistakes={T3: "forward-difference"}),
    Case("q3: divided by h instead of 2h",
         edits={Q3: edit(NUMERICAL, "(plus - minus) / (2 * h)", "(plus - minus) / h")},
         points={T3: 0}, keywords={T3: "2h apart"}, mistakes={T3: "divided-by-h"}),
    Case("q3: the sum of f(x), without dout",
         edits={Q3: edit(edit(NUMERICAL, "plus = np.sum(f(x) * dout)", "plus = np.sum(f(x))"),
                         "minus = np.sum(f(x) * dout)", "minus = np.sum(f(x))")},
         points={T3: 0}, keywords={T3: "weighted by its dout"}, mistakes={T3: "no-dout"}),
    Case("q3: x_plus = x and x_minus = x, two names for x itself: half a one-sided difference",
         edits={Q3: """def numerical_gradient_of(f, x, dout, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x_plus = x
        x_plus[i] += h
        plus = np.sum(f(x_plus) * dout)
        x_minus = x
        x_minus[i] -= h
        minus = np.sum(f(x_minus) * dout)
        grad[i] = (plus - minus) / (2 * h)
    return grad
"""},
         points={T3: 0}, keywords={T3: "second name"}, mistakes={T3: "aliased-copy"}),
    Case("q3: each entry left at x - h (not put back)",
         edits={Q3: edit(NUMERICAL, "        x[i] = old\n", "")},
         points={T3: 0}, keywords={T3: "changed"}, mistakes={T3: "changed-input"}),
    # question 4
    Case("q4: batch norm's backward without transposing",
         edits={Q4: "def layernorm_backward(dout, x, eps=1e-5):\n"
                    "    return batchnorm_backward(dout, x, np.ones(x.shape[1]), eps)[0]\n"},
         points={T4: 0}, keywords={T4: "transpose first"}, mistakes={T4: "batch-not-layer"}),
    Case("q4: gamma with one entry per feature of x, not per feature of the transposed batch: an error",
         edits={Q4: edit(LAYERNORM, "np.ones(x.shape[0])", "np.ones(x.shape[1])")},
         points={T4: 0}, keywords={T4: "as many gammas as rows"}, mistakes={T4: "raised"}),
    Case("q4: not transposed back",
         edits={Q4: edit(LAYERNORM, "eps)[0].T", "eps)[0]")},
         points={T4: 0}, keywords={T4: "transposed"}, mistakes={T4: "transposed"}),
]
