"""Set 05 (losses and gradient descent): learner-style submissions, graded.

Each case replaces answer cells of the solution (or starts from the exercise) and states the points each
question deserves, a keyword of its message and the mistake id: a slip costs its own question only, a right
alternative earns full marks.
"""

from catalogs import Case

Q1, Q2, Q3, Q4 = "q1_mse", "q2_bce", "q3_gradient_descent", "q4_largest_lr"
T1, T2, T3, T4 = (q + "_tests" for q in (Q1, Q2, Q3, Q4))


def q1(loss: str = "return float(np.mean((y_hat - y) ** 2))",
       grad: str = "return 2.0 * (y_hat - y) / np.size(y_hat)") -> str:
    return f"def mse(y_hat, y):\n    {loss}\n\n\ndef mse_grad(y_hat, y):\n    {grad}\n"


STABLE_LOSS = "return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))"
STABLE_GRAD = ("e = np.exp(-np.abs(z))\n    s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n"
               "    return (s - y) / np.size(z)")


def q2(loss: str = STABLE_LOSS, grad: str = STABLE_GRAD) -> str:
    return f"def bce_with_logits(z, y):\n    {loss}\n\n\ndef bce_with_logits_grad(z, y):\n    {grad}\n"


def q3(*body: str) -> str:
    return "def gradient_descent(grad, w0, lr, num_steps):\n" + "".join(f"    {line}\n" for line in body)


Q3_RIGHT = ["w = np.array(w0, dtype=float)", "path = [w.copy()]", "for _ in range(num_steps):",
            "    w = w - lr * grad(w)", "    path.append(w.copy())", "return np.array(path)"]

CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={T1: "not attempted", T2: "not attempted", T3: "not attempted", T4: "not attempted"}),
    # question 1
    Case("q1: right, a numpy float and the mean's own size",
         edits={Q1: q1("return np.mean(np.square(y_hat - y))", "return 2 * (y_hat - y) / y_hat.size")}),
    Case("q1: the loss summed instead of averaged",
         edits={Q1: q1("return float(np.sum((y_hat - y) ** 2))", "return 2.0 * (y_hat - y)")},
         points={T1: 0}, keywords={T1: "summed"}, mistakes={T1: "summed-not-averaged"}, forbidden=("7.5",)),
    Case("q1: the gradient without the factor 2",
         edits={Q1: q1(grad="return (y_hat - y) / np.size(y_hat)")},
         points={T1: 0}, keywords={T1: "square"}, mistakes={T1: "no-factor-2"}),
    Case("q1: the gradient divided by the number of rows, not of entries",
         edits={Q1: q1(grad="return 2.0 * (y_hat - y) / len(y_hat)")},
         points={T1: 0}, keywords={T1: "entries"}, mistakes={T1: "divided-by-rows"}),
    Case("q1: the gradient with the wrong sign",
         edits={Q1: q1(grad="return 2.0 * (y - y_hat) / np.size(y_hat)")},
         points={T1: 0}, keywords={T1: "sign"}, mistakes={T1: "sign"}),
    # question 2
    Case("q2: right, np.logaddexp and a sigmoid through tanh",
         edits={Q2: q2("return float(np.mean(np.logaddexp(0.0, z) - y * z))",
                       "return (0.5 * (1 + np.tanh(z / 2)) - y) / len(z)")}),
    Case("q2: sigma first, then its log: fails at |z| = 1000",
         edits={Q2: q2("p = 1 / (1 + np.exp(-z))\n    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))",
                       "return (1 / (1 + np.exp(-z)) - y) / len(z)")},
         points={T2: 0}, keywords={T2: "overflow"}, mistakes={T2: "overflow"}),
    Case("q2: the gradient not divided by N",
         edits={Q2: q2(grad=STABLE_GRAD.replace(" / np.size(z)", ""))},
         points={T2: 0}, keywords={T2: "mean"}, mistakes={T2: "summed-not-averaged"}),
    Case("q2: the gradient y - sigma(z)",
         edits={Q2: q2(grad=STABLE_GRAD.replace("(s - y)", "(y - s)"))},
         points={T2: 0}, keywords={T2: "sign"}, mistakes={T2: "sign"}),
    Case("q2: the label term with the wrong sign: max(z, 0) + z y + log(1 + e^-|z|)",
         edits={Q2: q2(STABLE_LOSS.replace("- z * y", "+ z * y"))},
         points={T2: 0}, keywords={T2: "z y"}, mistakes={T2: "label-term-sign"}),
    # question 3
    Case("q3: right, a preallocated array, with the course's rng idiom in the cell",
         edits={Q3: "rng = np.random.default_rng(0)\n\n\n"
                    + q3("path = np.zeros((num_steps + 1,) + np.shape(w0))", "path[0] = w0",
                         "for k in range(num_steps):", "    path[k + 1] = path[k] - lr * grad(path[k])",
                         "return path")}),
    Case("q3: right, a list of arrays",
         edits={Q3: q3(*Q3_RIGHT[:-1], "return path")}),
    Case("q3: the starting point left out of the path",
         edits={Q3: q3(Q3_RIGHT[0], "path = []", *Q3_RIGHT[2:])},
         points={T3: 0}, keywords={T3: "row 0"}, mistakes={T3: "no-start-row"}),
    Case("q3: a step up the gradient",
         edits={Q3: q3(*Q3_RIGHT[:3], "    w = w + lr * grad(w)", *Q3_RIGHT[4:])},
         points={T3: 0}, keywords={T3: "up the gradient"}, mistakes={T3: "ascent"}),
    Case("q3: w0 changed in place",
         edits={Q3: q3("w = w0", "path = [np.copy(w)]", "for _ in range(num_steps):", "    w -= lr * grad(w)",
                       "    path.append(np.copy(w))", "return np.array(path)")},
         points={T3: 0}, keywords={T3: "copy"}, mistakes={T3: "changed-input"}),
    Case("q3: the same array appended at every step",
         edits={Q3: q3("w = np.array(w0, dtype=float)", "path = [w]", "for _ in range(num_steps):",
                       "    w -= lr * grad(w)", "    path.append(w)", "return np.array(path)")},
         points={T3: 0}, keywords={T3: "same array"}, mistakes={T3: "same-array"}),
    # question 4
    Case("q4: the rate of the fastest convergence (one step to 0)",
         edits={Q4: "lr_where_convergence_stops = 0.25\n"},
         points={T4: 0}, keywords={T4: "fastest"}, mistakes={T4: "fastest-rate"}, forbidden=("0.5",)),
    Case("q4: found by trying rates: 0.49",
         edits={Q4: "lr_where_convergence_stops = 0.49\n"},
         points={T4: 0}, keywords={T4: "exact"}, mistakes={T4: "close"}, forbidden=("0.5",)),
    Case("q4: an array of shape (1,)",
         edits={Q4: "lr_where_convergence_stops = np.array([0.5])\n"},
         points={T4: 0}, keywords={T4: "float("}, mistakes={T4: "array-not-number"}),
]
