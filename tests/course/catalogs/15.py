"""Set 15 (recurrent backpropagation to a fixed point): learner-style submissions, each with the score it deserves.

A slip in `relax` (question 1) costs question 1 only: question 3 gets the fixed point as data and
question 4 is checked against the learner's own `relax`; a slip in `adjoint` (question 2) costs
question 2 only: question 3 is checked against the learner's own `adjoint` (error carried forward).
"""

from catalogs import Case

RELAX = '''
def relax(x, W, U, b, tol=1e-12, max_iter=1000):
    """The fixed point h* (N, H) and the number of updates it took."""
    drive = x @ U + b
    h, num_iterations = np.zeros((x.shape[0], W.shape[0])), {count}
    while num_iterations < max_iter:
        h_new = {update}
        num_iterations += 1
        change = np.linalg.norm(h_new - h)
        h = h_new
        if change < tol:
            break
    return h, num_iterations
'''


def relax(count="0", update="np.tanh(h @ W + drive)"):
    return RELAX.format(count=count, update=update)


ADJOINT = '''
def adjoint(G, h, W, tol=1e-12, max_iter=1000):
    """The fixed point delta (N, H) of the adjoint dynamics."""
    slope = 1 - h**2
    delta = {start}
    for _ in range({steps}):
        delta_new = {update}
        change = np.linalg.norm(delta_new - delta)
        delta = delta_new
        if change < tol:
            break
    return delta
'''


def adjoint(start="G", steps="max_iter", update="G + (delta * slope) @ W.T"):
    return ADJOINT.format(start=start, steps=steps, update=update)


GRADIENTS = '''
def fixed_point_gradients(G, x, h, W, U):
    """Almeida-Pineda: (dx, dW, dU, db) from the fixed point h alone."""
    da = {da}
    return {ret}
'''
RET = "da @ U.T, h.T @ da, x.T @ da, da.sum(axis=0)"


def gradients(da="adjoint(G, h, W) * (1 - h**2)", ret=RET):
    return GRADIENTS.format(da=da, ret=ret)


ITERATIONS = '''norms = [0.3, 0.6, 0.9, 0.99]
iterations = {value}
print(dict(zip(norms, iterations)))
'''


def iterations(value="[relax(x, W * norm / np.linalg.norm(W, 2), U, b)[1] for norm in norms]"):
    return ITERATIONS.format(value=value)


Q1, Q2, Q3, Q4 = "q1_relax_tests", "q2_adjoint_tests", "q3_gradients_tests", "q4_iterations_tests"

CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={Q1: "not attempted", Q2: "not attempted", Q3: "not attempted", Q4: "not attempted"}),
    # right alternatives
    Case("q1: a for loop over the updates, rng = default_rng(0) in the cell",
         edits={"q1_relax": '''rng = np.random.default_rng(0)


def relax(x, W, U, b, tol=1e-12, max_iter=1000):
    h = np.zeros((len(x), len(W)))
    for k in range(1, max_iter + 1):
        h_next = np.tanh(h @ W + x @ U + b)
        if np.linalg.norm(h_next - h) < tol:
            return h_next, k
        h = h_next
    return h, max_iter
'''}),
    Case("q2: the adjoint from delta = 0", edits={"q2_adjoint": adjoint(start="np.zeros_like(G)")}),
    Case("q2: the linear equation solved directly, example by example", edits={"q2_adjoint": '''
def adjoint(G, h, W, tol=1e-12, max_iter=1000):
    rows = []
    for g, s in zip(G, 1 - h**2):
        J = np.diag(s) @ W.T
        rows.append(np.linalg.solve((np.eye(len(g)) - J).T, g))
    return np.array(rows)
'''}),
    Case("q3: a list, and np.sum for the bias", edits={"q3_gradients": gradients(
        ret="[da @ U.T, h.T @ da, x.T @ da, np.sum(da, axis=0)]")}),
    Case("q4: iterations as an ndarray", edits={"q4_iterations": iterations(
        value="np.array([relax(x, W * norm / np.linalg.norm(W, 2), U, b)[1] for norm in norms])")}),
    # mistakes in question 1
    Case("q1: the count starts at 1 (one update too many)", edits={"q1_relax": relax(count="1")}, points={Q1: 0},
         keywords={Q1: "should report 2"}, mistakes={Q1: "off-by-one"}),
    Case("q1: W transposed in the update", edits={"q1_relax": relax(update="np.tanh(h @ W.T + drive)")},
         points={Q1: 0}, keywords={Q1: "W.T instead of W"}, mistakes={Q1: "w-transposed"}),
    Case("q1: no tanh (a linear relaxation)", edits={"q1_relax": relax(update="np.tanh(h @ W) + drive")},
         points={Q1: 0}, keywords={Q1: "whole sum"}, mistakes={Q1: "tanh-misplaced"}),
    # mistakes in question 2
    Case("q2: W instead of W.T", edits={"q2_adjoint": adjoint(update="G + (delta * slope) @ W")}, points={Q2: 0},
         keywords={Q2: "instead of W.T"}, mistakes={Q2: "w-not-transposed"}),
    Case("q2: the tanh slope left out", edits={"q2_adjoint": adjoint(update="G + delta @ W.T")}, points={Q2: 0},
         keywords={Q2: "left out"}, mistakes={Q2: "no-tanh-derivative"}),
    Case("q2: the slope applied after W.T", edits={"q2_adjoint": adjoint(update="G + (delta @ W.T) * slope")},
         points={Q2: 0}, keywords={Q2: "after W.T"}, mistakes={Q2: "slope-after-w"}),
    Case("q2: a single trip around the loop", edits={"q2_adjoint": adjoint(steps="1")}, points={Q2: 0},
         keywords={Q2: "one trip"}, mistakes={Q2: "one-step"}),
    # mistakes in question 3
    Case("q3: the tanh derivative forgotten", edits={"q3_gradients": gradients(da="adjoint(G, h, W)")},
         points={Q3: 0}, keywords={Q3: "slope 1 - h**2"}, mistakes={Q3: "no-tanh-derivative"}),
    Case("q3: G instead of the adjoint delta", edits={"q3_gradients": gradients(da="G * (1 - h**2)")},
         points={Q3: 0}, keywords={Q3: "G used"}, mistakes={Q3: "no-adjoint"}),
    Case("q3: dW transposed", edits={"q3_gradients": gradients(ret=RET.replace("h.T @ da", "da.T @ h"))},
         points={Q3: 0}, keywords={Q3: "dW is transposed"}, mistakes={Q3: "dw-transposed"}),
    Case("q3: the bias gradient averaged", edits={"q3_gradients": gradients(
        ret=RET.replace("da.sum(axis=0)", "da.mean(axis=0)"))}, points={Q3: 0},
        keywords={Q3: "averaged"}, mistakes={Q3: "bias-averaged"}),
    # mistakes in question 4
    Case("q4: W scaled by the norm without dividing by its own", edits={"q4_iterations": iterations(
        value="[relax(x, W * norm, U, b)[1] for norm in norms]")}, points={Q4: 0},
        keywords={Q4: "without dividing"}, mistakes={Q4: "not-rescaled"}),
    Case("q4: the fixed points instead of the counts", edits={"q4_iterations": iterations(
        value="[relax(x, W * norm / np.linalg.norm(W, 2), U, b)[0] for norm in norms]")}, points={Q4: 0},
        keywords={Q4: "shape (4,)"}, mistakes={Q4: "wrong-shape"}),
]
