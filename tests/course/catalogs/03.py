"""Set 03 (Value operations and their backward): learner-style submissions, graded.

Each case replaces answer cells of the solution (or starts from the exercise) and states the points each
question deserves, a keyword of its message and the mistake id: a slip costs its own question only
(question 4's loss is judged with the learner's own exp, log and sigmoid: error carried forward), a right
alternative earns full marks.
"""

from catalogs import Case

Q1, Q2, Q3, Q4 = "q1_power", "q2_exp_log", "q3_sigmoid", "q4_neuron_gradients"
T1, T2, T3, T4 = (q + "_tests" for q in (Q1, Q2, Q3, Q4))


def power(local: str, value: str = "a.data**n", inputs: str = "(a,)") -> str:
    return f"def power(a, n):\n    return Scalar({value}, {inputs}, ({local},))\n"


EXP = "def exp(a):\n    out = math.exp(a.data)\n    return Scalar(out, (a,), ({exp_local},))\n\n\n"
LOG = ("def log(a):\n    if a.data {test}:\n        raise {error}\n"
       "    return Scalar(math.log(a.data), (a,), ({log_local},))\n")


def exp_log(exp_local="out", test="<= 0", error='ValueError(f"log needs a positive input, got {a.data}")',
            log_local="1.0 / a.data") -> str:
    return EXP.format(exp_local=exp_local) + LOG.format(test=test, error=error, log_local=log_local)


STABLE = ("    if a.data >= 0:\n        s = 1.0 / (1.0 + math.exp(-a.data))\n    else:\n"
          "        e = math.exp(a.data)\n        s = e / (1.0 + e)\n")


def sigmoid(body: str = STABLE, local: str = "s * (1.0 - s)") -> str:
    return f"def sigmoid(a):\n{body}    return Scalar(s, (a,), ({local},))\n"


def q4(*lines: str) -> str:
    return "x, w, b = Scalar(2.0), Scalar(-0.5), Scalar(0.3)\n" + "\n".join(lines) + "\n"


Q4_RIGHT = ("loss = -log(sigmoid(w * x + b))", "loss.backward()", "grad_w, grad_b = w.grad, b.grad")

CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={T1: "not attempted", T2: "not attempted", T3: "not attempted", T4: "not attempted"}),
    # question 1
    Case("q1: the exponent not lowered: n a^n",
         edits={Q1: power("n * a.data**n")},
         points={T1: 0}, keywords={T1: "exponent"}, mistakes={T1: "power-rule-exponent"}),
    Case("q1: the factor n left out: a^(n-1)",
         edits={Q1: power("a.data ** (n - 1)")},
         points={T1: 0}, keywords={T1: "factor n"}, mistakes={T1: "power-rule-factor"}),
    Case("q1: a new Scalar without its input",
         edits={Q1: "def power(a, n):\n    return Scalar(a.data**n)\n"},
         points={T1: 0}, keywords={T1: "input"}, mistakes={T1: "no-inputs"}),
    # question 2
    Case("q2: (ln a)' taken as a",
         edits={Q2: exp_log(log_local="a.data")},
         points={T2: 0}, keywords={T2: "ln"}, mistakes={T2: "log-derivative"}),
    Case("q2: (e^a)' taken as 1",
         edits={Q2: exp_log(exp_local="1.0")},
         points={T2: 0}, keywords={T2: "e^a"}, mistakes={T2: "exp-derivative"}),
    Case("q2: a ValueError that does not say which value came",
         edits={Q2: exp_log(error='ValueError("log needs a positive input")')},
         points={T2: 0}, keywords={T2: "which value"}, mistakes={T2: "error-without-value"}),
    Case("q2: the check lets 0 through to math.log",
         edits={Q2: exp_log(test="< 0")},
         points={T2: 0}, keywords={T2: "0"}, mistakes={T2: "log-zero"}),
    Case("q2: log of a negative number gives nan instead of an error",
         edits={Q2: exp_log(error="Exception")
                .replace('        raise Exception\n', '        return Scalar(float("nan"))\n')},
         points={T2: 0}, keywords={T2: "ValueError"}, mistakes={T2: "no-error"}),
    # question 3
    Case("q1 and q3 right: q1 with math.pow, a list of inputs and n a^n / a; q3 the one-operation "
         "0.5 * (1 + tanh(a / 2)) (its slope at a = -40 is 0, within float64's 1e-16 of the true 4e-18)",
         edits={Q1: power("n * math.pow(a.data, n) / a.data", value="math.pow(a.data, n)", inputs="[a]"),
                Q3: sigmoid("    s = 0.5 * (1.0 + math.tanh(a.data / 2))\n")}),
    Case("q3: the plain formula, which overflows for a = -1000",
         edits={Q3: sigmoid("    s = 1.0 / (1.0 + math.exp(-a.data))\n")},
         points={T3: 0}, keywords={T3: "overflow"}, mistakes={T3: "overflow"}),
    Case("q3: built from exp and power: several operations",
         edits={Q3: "def sigmoid(a):\n    return power(exp(-a) + 1.0, -1)\n"},
         points={T3: 0}, keywords={T3: "one operation"}, mistakes={T3: "not-one-operation"}),
    Case("q3: local derivative s instead of s (1 - s) (q4 then judged with it: error carried forward)",
         edits={Q3: sigmoid(local="s")},
         points={T3: 0}, keywords={T3: "1 - s"}, mistakes={T3: "sigmoid-derivative"}),
    Case("q3: the two branches swapped",
         edits={Q3: sigmoid("    e = math.exp(-abs(a.data))\n"
                            "    s = e / (1.0 + e) if a.data >= 0 else 1.0 / (1.0 + e)\n")},
         points={T3: 0}, keywords={T3: "branch"}, mistakes={T3: "branches-swapped"}),
    # question 4
    Case("q4: right, the loss written as log(1 + e^-z) with the learner's operations, and the rng idiom",
         edits={Q4: "rng = np.random.default_rng(0)\n"
                    + q4("loss = log(exp(-(w * x + b)) + 1.0)", "loss.backward()", "grad_w, grad_b = w.grad, b.grad")}),
    Case("q4: the minus sign of the loss left out",
         edits={Q4: q4("loss = log(sigmoid(w * x + b))", *Q4_RIGHT[1:])},
         points={T4: 0}, keywords={T4: "sign"}, mistakes={T4: "sign"}, forbidden=("1.10", "0.668", "1.33")),
    Case("q4: the gradients read before loss.backward()",
         edits={Q4: q4(Q4_RIGHT[0], Q4_RIGHT[2], Q4_RIGHT[1])},
         points={T4: 0}, keywords={T4: "backward"}, mistakes={T4: "no-backward"}),
    Case("q4: loss.backward() never called",
         edits={Q4: q4(Q4_RIGHT[0], Q4_RIGHT[2])},
         points={T4: 0}, keywords={T4: "backward"}, mistakes={T4: "no-backward"}),
    Case("q4: the bias left out of z",
         edits={Q4: q4("loss = -log(sigmoid(w * x))", *Q4_RIGHT[1:])},
         points={T4: 0}, keywords={T4: "b"}, mistakes={T4: "no-bias"}),
    Case("q4: grad_w and grad_b swapped",
         edits={Q4: q4(*Q4_RIGHT[:2], "grad_w, grad_b = b.grad, w.grad")},
         points={T4: 0}, keywords={T4: "swapped"}, mistakes={T4: "swapped"}, forbidden=("0.668", "1.33")),
    Case("q4: the Scalars themselves instead of their gradients",
         edits={Q4: q4(*Q4_RIGHT[:2], "grad_w, grad_b = w, b")},
         points={T4: 0}, keywords={T4: ".grad"}, mistakes={T4: "wrong-type"}),
    Case("q2: (ln a)' wrong, so q4's gradients follow it: q4 judged with the learner's log",
         edits={Q2: exp_log(log_local="-1.0 / a.data")},
         points={T2: 0}, keywords={T2: "ln"}, mistakes={T2: "sign"}),
]
