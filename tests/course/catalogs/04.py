"""Set 04 (a neuron and the derivatives of its activation): learner-style submissions, graded.

Each case replaces answer cells of the solution (or starts from the exercise) and states the points each
question deserves, a keyword of its message and the mistake id: a slip costs its own question only
(question 4 is judged with the learner's own sigmoid_derivative: error carried forward), a right alternative
earns full marks.
"""

from catalogs import Case

Q1, Q2, Q3, Q4 = "q1_sigmoid", "q2_tanh_relu", "q3_neuron", "q4_sigmoid_slope"
T1, T2, T3, T4 = (q + "_tests" for q in (Q1, Q2, Q3, Q4))

STABLE = ("    e = np.exp(-np.abs(z))\n"
          "    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n")


def q1(body: str = STABLE, derivative: str = "s = sigmoid(z)\n    return s * (1.0 - s)") -> str:
    return ("def sigmoid(z):\n    z = np.asarray(z, dtype=float)\n" + body
            + f"\n\ndef sigmoid_derivative(z):\n    {derivative}\n")


def q2(tanh: str = "t = np.tanh(z)\n    return 1.0 - t * t", relu: str = "return (np.asarray(z) > 0).astype(float)"):
    return f"def tanh_derivative(z):\n    {tanh}\n\n\ndef relu_derivative(z):\n    {relu}\n"


Q3_LINES = ["a = np.tanh(X @ w + b)", "dz = dout * (1.0 - a**2)", "dX = np.outer(dz, w)", "dw = X.T @ dz",
            "db = float(np.sum(dz))", "return a, dX, dw, db"]


def q3(**replace: str) -> str:
    lines = [replace.get(line.split(" =")[0].split()[0], line) for line in Q3_LINES]
    return "def neuron_forward_backward(X, w, b, dout):\n" + "".join(f"    {line}\n" for line in lines)


def q4(slope: str, factor: str = "max_sigmoid_slope**10") -> str:
    return f"max_sigmoid_slope = {slope}\nten_layer_factor = {factor}\n"


GRID_MAX = "float(np.max(sigmoid_derivative(np.linspace(-5.0, 5.0, 1001))))"

CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={T1: "not attempted", T2: "not attempted", T3: "not attempted", T4: "not attempted"}),
    # question 1
    Case("q1: right, the one-operation 0.5 * (1 + tanh(z / 2)), and the derivative from exp(-|z|)",
         edits={Q1: q1("    return 0.5 * (1.0 + np.tanh(z / 2))\n",
                       "e = np.exp(-np.abs(z))\n    return e / (1.0 + e) ** 2")}),
    Case("q1: the plain formula, which overflows for z = -1000",
         edits={Q1: q1("    return 1.0 / (1.0 + np.exp(-z))\n")},
         points={T1: 0}, keywords={T1: "overflow"}, mistakes={T1: "overflow"}),
    Case("q1: np.where over two formulas, each of which overflows on one side",
         edits={Q1: q1("    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))\n")},
         points={T1: 0}, keywords={T1: "both branches"}, mistakes={T1: "overflow"}),
    Case("q1: derivative s instead of s (1 - s) (q4 then judged with it: error carried forward)",
         edits={Q1: q1(derivative="return sigmoid(z)")},
         points={T1: 0}, keywords={T1: "1 - s"}, mistakes={T1: "sigmoid-derivative"}),
    Case("q1: math.exp on an array (q4 by calculus)",
         edits={Q1: "import math\n\n\n" + q1("    e = math.exp(-abs(z))\n"
                                             "    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n"),
                Q4: q4("0.25")},
         points={T1: 0}, keywords={T1: "np.exp"}, mistakes={T1: "math-on-array"}),
    # question 2
    Case("q2: right, 1 / cosh^2 and a bool comparison",
         edits={Q2: q2("return 1.0 / np.cosh(z) ** 2", "return np.asarray(z) > 0")}),
    Case("q2: tanh' as 1 - tanh (the square forgotten)",
         edits={Q2: q2(tanh="return 1.0 - np.tanh(z)")},
         points={T2: 0}, keywords={T2: "square"}, mistakes={T2: "tanh-derivative"}),
    Case("q2: relu_derivative(0) = 1",
         edits={Q2: q2(relu="return (np.asarray(z) >= 0).astype(float)")},
         points={T2: 0}, keywords={T2: "convention"}, mistakes={T2: "relu-at-zero"}),
    Case("q2: the ReLU itself instead of its derivative",
         edits={Q2: q2(relu="return np.maximum(z, 0.0)")},
         points={T2: 0}, keywords={T2: "ReLU itself"}, mistakes={T2: "value-not-derivative"}),
    # question 3
    Case("q3: right, a list instead of a tuple, dX by broadcasting, db as a numpy float",
         edits={Q3: q3(dX="dX = dz[:, None] * w", db="db = np.sum(dz)", **{"return": "return [a, dX, dw, db]"})}),
    Case("q3: the tanh derivative left out",
         edits={Q3: q3(dz="dz = dout")},
         points={T3: 0}, keywords={T3: "tanh"}, mistakes={T3: "no-tanh-derivative"}),
    Case("q3: tanh' taken at z instead of at a = tanh(z)",
         edits={Q3: q3(dz="dz = dout * (1.0 - (X @ w + b) ** 2)")},
         points={T3: 0}, keywords={T3: "tanh"}, mistakes={T3: "derivative-at-z"}),
    Case("q3: dX transposed",
         edits={Q3: q3(dX="dX = np.outer(w, dz)")},
         points={T3: 0}, keywords={T3: "transposed"}, mistakes={T3: "transposed"}),
    Case("q3: dw averaged over the batch instead of summed",
         edits={Q3: q3(dw="dw = X.T @ dz / len(dz)")},
         points={T3: 0}, keywords={T3: "sum"}, mistakes={T3: "mean-not-sum"}),
    Case("q3: db not summed over the batch",
         edits={Q3: q3(db="db = dz")},
         points={T3: 0}, keywords={T3: "sum"}, mistakes={T3: "db-not-summed"}),
    # question 4
    Case("q4: right, by calculus, 1/4 and (1/4)^10, with the course's rng idiom in the cell",
         edits={Q4: "rng = np.random.default_rng(0)\n" + q4("1 / 4", "(1 / 4) ** 10")}),
    Case("q4: a coarse grid that misses z = 0",
         edits={Q4: q4("float(np.max(sigmoid_derivative(np.linspace(-5.0, 5.0, 100))))")}),
    Case("q4: the largest value of sigma, not of its slope",
         edits={Q4: q4("float(sigmoid(0.0))")},
         points={T4: 0}, keywords={T4: "slope"}, mistakes={T4: "value-not-slope"}, forbidden=("0.25", "9.5367")),
    Case("q4: ten layers multiply by 10 instead of raising to the 10th power",
         edits={Q4: q4(GRID_MAX, "10 * max_sigmoid_slope")},
         points={T4: 0}, keywords={T4: "power"}, mistakes={T4: "times-not-power"}, forbidden=("0.25", "9.5367")),
    Case("q4: nine factors instead of ten",
         edits={Q4: q4(GRID_MAX, "max_sigmoid_slope**9")},
         points={T4: 0}, keywords={T4: "ten"}, mistakes={T4: "off-by-one"}, forbidden=("0.25", "9.5367")),
]
