"""Set 01 (the chain rule and numerical derivatives): learner-style submissions, graded.

Each case replaces answer cells of the solution (or starts from the exercise) and states the points each
question deserves, a keyword of its message and the mistake id: a slip costs its own question only (a later
question that uses an earlier wrong function is judged against what that function gives), a right
alternative earns full marks.
"""

from catalogs import Case

Q1, Q2, Q3, Q4 = "q1_numerical_derivative", "q2_dfdx", "q3_chain", "q4_best_step"
T1, T2, T3, T4 = (q + "_tests" for q in (Q1, Q2, Q3, Q4))


def q1(body: str) -> str:
    return f"def numerical_derivative(f, x, h=1e-5):\n    {body}\n"


def q2(body: str) -> str:
    return f"def dfdx(x):\n    {body}\n"


def q3(*lines: str) -> str:
    return "x = 0.5\n" + "\n".join(lines) + "\n"


LOCALS = ("u = 3 * x + 1", "v = u**2")
Q4_RIGHT = ("errors = np.array([abs(numerical_derivative(np.exp, 1.0, h) - math.e) for h in hs])\n"
            "best_h = float(hs[np.argmin(errors)])\n")

CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={T1: "not attempted", T2: "not attempted", T3: "not attempted", T4: "not attempted"}),
    # question 1
    Case("q1: the forward difference (q4 then judged with it: error carried forward)",
         edits={Q1: q1("return (f(x + h) - f(x)) / h")},
         points={T1: 0}, keywords={T1: "forward"}, mistakes={T1: "forward-difference"}),
    Case("q1: divided by h instead of 2h",
         edits={Q1: q1("return (f(x + h) - f(x - h)) / h")},
         points={T1: 0}, keywords={T1: "2h"}, mistakes={T1: "divided-by-h"}),
    Case("q1: a fixed step instead of the argument h",
         edits={Q1: q1("return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5")},
         points={T1: 0}, keywords={T1: "h"}, mistakes={T1: "ignores-h"}),
    Case("q1: the difference the wrong way round",
         edits={Q1: q1("return (f(x - h) - f(x + h)) / (2 * h)")},
         points={T1: 0}, keywords={T1: "sign"}, mistakes={T1: "sign"}),
    # question 2
    Case("q2: math.cos / math.sin / math.exp, fine on floats but not on arrays",
         edits={Q2: q2("return (2 * x * math.cos(x**2) - math.sin(x**2)) * math.exp(-x)")},
         points={T2: 0}, keywords={T2: "np.cos"}, mistakes={T2: "math-on-array"}),
    Case("q2: the chain rule's inner factor 2x forgotten",
         edits={Q2: q2("return (np.cos(x**2) - np.sin(x**2)) * np.exp(-x)")},
         points={T2: 0}, keywords={T2: "inner"}, mistakes={T2: "no-inner-derivative"}),
    Case("q2: (e^-x)' taken as +e^-x",
         edits={Q2: q2("return (2 * x * np.cos(x**2) + np.sin(x**2)) * np.exp(-x)")},
         points={T2: 0}, keywords={T2: "e^-x"}, mistakes={T2: "exp-derivative-sign"}),
    Case("q2: only one term of the product rule",
         edits={Q2: q2("return 2 * x * np.cos(x**2) * np.exp(-x)")},
         points={T2: 0}, keywords={T2: "product rule"}, mistakes={T2: "product-rule"}),
    Case("q2: right, expanded into two terms, with the course's rng idiom in the cell",
         edits={Q2: "rng = np.random.default_rng(0)\n\n\n"
                    + q2("return 2 * x * np.cos(x * x) * np.exp(-x) - np.sin(x * x) * np.exp(-x)")}),
    Case("q2: central differences instead of the formula",
         edits={Q2: q2("return numerical_derivative(f, x)")},
         points={T2: 0}, keywords={T2: "numerical"}, mistakes={T2: "numerical-not-exact"}),
    # question 3
    Case("q1 and q3 right: q1 with two names and a factor 0.5, q3 typed by hand as numbers (du_dx an int)",
         edits={Q1: q1("fp, fm = f(x + h), f(x - h)\n    return 0.5 * (fp - fm) / h"),
                Q3: q3("dy_dv = 0.16", "dv_du = 5.0", "du_dx = 3", "dy_dx = 2.4")}),
    Case("q3: dv_du evaluated at x instead of u",
         edits={Q3: q3(*LOCALS, "dy_dv = 1 / v", "dv_du = 2 * x", "du_dx = 3.0", "dy_dx = dy_dv * dv_du * du_dx")},
         points={T3: 0}, keywords={T3: "u"}, mistakes={T3: "local-at-wrong-point"}, forbidden=("2.5", "6.25")),
    Case("q3: the local derivatives added instead of multiplied",
         edits={Q3: q3(*LOCALS, "dy_dv = 1 / v", "dv_du = 2 * u", "du_dx = 3.0", "dy_dx = dy_dv + dv_du + du_dx")},
         points={T3: 0}, keywords={T3: "multipl"}, mistakes={T3: "sum-not-product"}),
    Case("q3: arrays of shape (1,) instead of floats",
         edits={Q3: q3("u = 3 * np.array([x]) + 1", "v = u**2", "dy_dv = 1 / v", "dv_du = 2 * u",
                       "du_dx = 3.0", "dy_dx = dy_dv * dv_du * du_dx")},
         points={T3: 0}, keywords={T3: "float("}, mistakes={T3: "array-not-number"}),
    # question 4
    Case("q4: right, a list and min with a key, with the course's rng idiom in the cell",
         edits={Q4: "rng = np.random.default_rng(0)\n"
                    "errors = [abs(numerical_derivative(np.exp, 1, h) - np.exp(1)) for h in hs]\n"
                    "best_h = min(hs, key=lambda h: errors[list(hs).index(h)])\n"}),
    Case("q4: signed errors (no abs)",
         edits={Q4: Q4_RIGHT.replace("abs(numerical_derivative(np.exp, 1.0, h) - math.e)",
                                     "numerical_derivative(np.exp, 1.0, h) - math.e")},
         points={T4: 0}, keywords={T4: "abs"}, mistakes={T4: "signed-error"}),
    Case("q4: the position of the smallest error instead of the step",
         edits={Q4: Q4_RIGHT.replace("float(hs[np.argmin(errors)])", "int(np.argmin(errors))")},
         points={T4: 0}, keywords={T4: "position"}, mistakes={T4: "index-not-step"}),
    Case("q4: the smallest error instead of its step",
         edits={Q4: Q4_RIGHT.replace("float(hs[np.argmin(errors)])", "float(np.min(errors))")},
         points={T4: 0}, keywords={T4: "error itself"}, mistakes={T4: "error-not-step"}),
    Case("q4: relative errors |estimate - e| / e",
         edits={Q4: Q4_RIGHT.replace("- math.e) for", "- math.e) / math.e for")},
         points={T4: 0}, keywords={T4: "relative"}, mistakes={T4: "relative-error"}),
    Case("q4: a forward difference typed inline while q1 is right",
         edits={Q4: "errors = np.array([abs((np.exp(1 + h) - np.exp(1)) / h - math.e) for h in hs])\n"
                    "best_h = float(hs[np.argmin(errors)])\n"},
         points={T4: 0}, keywords={T4: "central"}, mistakes={T4: "forward-difference"}),
]
