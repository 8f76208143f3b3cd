"""Set 14 (forward and reverse mode): learner-style submissions, each with the score it deserves.

A slip in the Dual class (question 1) costs question 1 only: questions 2 and 3 give the learner's functions
test functions that do their own arithmetic (they only read `value` and `deriv`), and `slope` is checked
against what the learner's own `derivative` and `Dual` give (error carried forward).
"""

from catalogs import Case

DUAL = '''
class Dual:
    """a + a' eps with eps^2 = 0: `value` is a, `deriv` is a'."""

    def __init__(self, value, deriv=0.0):
        self.value, self.deriv = float(value), float(deriv)

    def __repr__(self):
        return f"Dual(value={{self.value:.6g}}, deriv={{self.deriv:.6g}})"

    def __add__(self, other):
        other = other if isinstance(other, Dual) else Dual(other)  # a plain number: derivative 0
        {add}

    def __mul__(self, other):
        other = other if isinstance(other, Dual) else Dual(other)
        {mul}

    __radd__ = __add__  # makes 2 + x work
    __rmul__ = __mul__  # makes 2 * x work

    def sin(self):
        {sin}

    def exp(self):
        {exp}
'''
ADD = "return Dual(self.value + other.value, self.deriv + other.deriv)"
MUL = "return Dual(self.value * other.value, self.deriv * other.value + self.value * other.deriv)"
SIN = "return Dual(math.sin(self.value), math.cos(self.value) * self.deriv)"
EXP = "e = math.exp(self.value)\n        return Dual(e, e * self.deriv)"


def dual(add=ADD, mul=MUL, sin=SIN, exp=EXP):
    return DUAL.format(add=add, mul=mul, sin=sin, exp=exp)


DERIVATIVE = '''
def derivative(f, x):
    """f'(x) for a function f of one number, built from Dual's operations, in one forward pass."""
    {body}


def f(x):
    return x * (x.sin() + 2).exp()  # x e^(sin x + 2)


slope = {slope}
'''


def derivative(body="return f(Dual(x, 1.0)).deriv", slope="derivative(f, 1.2)"):
    return DERIVATIVE.format(body=body, slope=slope)


JACOBIAN = '''
def forward_jacobian(f, x):
    """Jacobian (m, n) of f at x by forward mode, and the number of passes (calls of f)."""
    columns = []
    for j in range(len(x)):
        seeded = [{seed} for k, v in enumerate(x)]
        columns.append([out.deriv for out in f(seeded)])
    return {ret}
'''


def jacobian(seed="Dual(v, 1.0 if k == j else 0.0)", ret="np.array(columns).T, len(x)"):
    return JACOBIAN.format(seed=seed, ret=ret)


PASSES = '''
def passes_needed(n, m):
    return {ret}


cheaper_for_training = {mode}
'''


def passes(ret='{"forward": n, "reverse": m}', mode='"reverse mode"'):
    return PASSES.format(ret=ret, mode=mode)


Q1, Q2, Q3, Q4 = "q1_dual_tests", "q2_derivative_tests", "q3_jacobian_tests", "q4_passes_tests"

_SINGLE = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={Q1: "not attempted", Q2: "not attempted", Q3: "not attempted", Q4: "not attempted"}),
    # right alternatives
    Case("q1: numpy's sin, cos and exp, and type(self)",
         edits={"q1_dual": dual(add="return type(self)(self.value + other.value, self.deriv + other.deriv)",
                                sin="return Dual(np.sin(self.value), np.cos(self.value) * self.deriv)",
                                exp="return Dual(np.exp(self.value), np.exp(self.value) * self.deriv)")}),
    Case("q3: plain floats for the inputs that are not seeded (a number is a Dual with derivative 0)",
         edits={"q3_jacobian": jacobian(seed="Dual(v, 1.0) if k == j else v")}),
    Case("q3: a list of lists for J, a list for the pair",
         edits={"q3_jacobian": jacobian(ret="[[list(c) for c in zip(*columns)], len(columns)]")}),
    Case("q2: derivative through a seeded Dual made beforehand, rng = default_rng(0) in the cell",
         edits={"q2_derivative": "rng = np.random.default_rng(0)\n" + derivative(
             body="seeded = Dual(x, deriv=1.0)\n    result = f(seeded)\n    return float(result.deriv)")}),
    Case("q4: a dict built in steps",
         edits={"q4_passes": passes(ret='dict(forward=n * 1, reverse=m)', mode="'reverse mode'")}),
    # mistakes in question 1
    Case("q1: the product of the derivatives instead of the product rule",
         edits={"q1_dual": dual(mul="return Dual(self.value * other.value, self.deriv * other.deriv)")},
         points={Q1: 0}, keywords={Q1: "derivatives multiplied"}, mistakes={Q1: "product-of-derivatives"}),
    Case("q1: one term of the product rule", edits={"q1_dual": dual(
        mul="return Dual(self.value * other.value, self.deriv * other.value)")}, points={Q1: 0},
        keywords={Q1: "two terms of the product rule"}, mistakes={Q1: "product-rule-half"}),
    Case("q1: sin's derivative without the chain rule factor", edits={"q1_dual": dual(
        sin="return Dual(math.sin(self.value), math.cos(self.value))")}, points={Q1: 0},
        keywords={Q1: "slope of sin"}, mistakes={Q1: "chain-rule-factor"}),
    Case("q1: exp's derivative without the chain rule factor", edits={"q1_dual": dual(
        exp="return Dual(math.exp(self.value), math.exp(self.value))")}, points={Q1: 0},
        keywords={Q1: "slope of exp"}, mistakes={Q1: "chain-rule-factor"}),
    Case("q1: -cos as the slope of sin", edits={"q1_dual": dual(
        sin="return Dual(math.sin(self.value), -math.cos(self.value) * self.deriv)")}, points={Q1: 0},
        keywords={Q1: "minus sign"}, mistakes={Q1: "sin-slope-sign"}),
    Case("q1: + changes self in place", edits={"q1_dual": dual(
        add="self.value += other.value\n        self.deriv += other.deriv\n        return self")}, points={Q1: 0},
        keywords={Q1: "changed a or b"}, mistakes={Q1: "changed-input"}),
    # mistakes in question 2
    Case("q2: central differences on Duals (two passes, approximate)", edits={"q2_derivative": derivative(
        body="h = 1e-5\n    return (f(Dual(x + h)).value - f(Dual(x - h)).value) / (2 * h)")}, points={Q2: 0},
        keywords={Q2: "finite differences"}, mistakes={Q2: "central-difference"}),
    Case("q2: the forward difference on Duals", edits={"q2_derivative": derivative(
        body="h = 1e-5\n    return (f(Dual(x + h)).value - f(Dual(x)).value) / h")}, points={Q2: 0},
        keywords={Q2: "finite differences"}, mistakes={Q2: "forward-difference"}),
    Case("q2: the input not seeded (derivative 0)", edits={"q2_derivative": derivative(
        body="return f(Dual(x)).deriv")}, points={Q2: 0},
        keywords={Q2: "left at 0"}, mistakes={Q2: "unseeded"}),
    Case("q2: returns the value, not the derivative", edits={"q2_derivative": derivative(
        body="return f(Dual(x, 1.0)).value")}, points={Q2: 0},
        keywords={Q2: "value of f"}, mistakes={Q2: "returned-value"}, forbidden=("26.92", "12.0")),
    Case("q2: returns the Dual itself", edits={"q2_derivative": derivative(body="return f(Dual(x, 1.0))")},
         points={Q2: 0}, keywords={Q2: "got a Dual"}, mistakes={Q2: "wrong-type"}),
    # mistakes in question 3
    Case("q3: J transposed (one row per input)", edits={"q3_jacobian": jacobian(ret="np.array(columns), len(x)")},
         points={Q3: 0}, keywords={Q3: "transposed"}, mistakes={Q3: "transposed"}),
    Case("q3: every input seeded with 1 in every pass", edits={"q3_jacobian": jacobian(seed="Dual(v, 1.0)")},
         points={Q3: 0}, keywords={Q3: "every input seeded"}, mistakes={Q3: "seeded-all-inputs"}),
    Case("q3: passes counted per output", edits={"q3_jacobian": jacobian(ret="np.array(columns).T, len(columns[0])")},
         points={Q3: 0}, keywords={Q3: "f was called 3 times"}, mistakes={Q3: "miscounted-passes"}),
    # mistakes in question 4
    Case("q4: the two counts swapped", edits={"q4_passes": passes(ret='{"forward": m, "reverse": n}')},
         points={Q4: 0}, keywords={Q4: "swapped"}, mistakes={Q4: "swapped"}),
    Case("q4: the recording forward pass counted for reverse mode", edits={"q4_passes": passes(
        ret='{"forward": n, "reverse": m + 1}')}, points={Q4: 0},
        keywords={Q4: "recording forward pass"}, mistakes={Q4: "counted-recording-pass"}),
    Case("q4: forward mode for training", edits={"q4_passes": passes(mode='"forward mode"')}, points={Q4: 0},
         keywords={Q4: "fewer passes"}, mistakes={Q4: "wrong-mode"}),
]


def both(first, second):
    """One submission with two independent slips (or alternatives): each question keeps its own score."""
    return Case(f"{first.name}; and {second.name}", {**first.edits, **second.edits}, {**first.points, **second.points},
                {**first.keywords, **second.keywords}, {**first.mistakes, **second.mistakes}, first.start,
                first.forbidden + second.forbidden)


_BY_NAME = {case.name: case for case in _SINGLE}
_PAIRS = [
    ("q1: numpy's sin, cos and exp, and type(self)", "q4: a dict built in steps"),
    ("q1: one term of the product rule", "q4: the two counts swapped"),
    ("q1: exp's derivative without the chain rule factor", "q4: the recording forward pass counted for reverse mode"),
    ("q1: -cos as the slope of sin", "q3: J transposed (one row per input)"),
    ("q2: returns the value, not the derivative", "q3: every input seeded with 1 in every pass"),
]
_PAIRED = {name for pair in _PAIRS for name in pair}
CASES = [case for case in _SINGLE if case.name not in _PAIRED] + [
    both(_BY_NAME[a], _BY_NAME[b]) for a, b in _PAIRS]
