"""Set 09 (initialization and vanishing gradients): learner-style submissions, each with the score it deserves.

Each case replaces some answer cells of the solution (or of the fresh exercise) and states the points per
question, a keyword of the message and the mistake id. Questions 2 and 3 are tested with weights of their own
(never the learner's init_weights); question 4's factor is measured with the learner's own functions (error
carried forward) or the reference; question 1 accepts any normal draw from rng with the right std. Most
cases make one slip in each of several questions at once (a grading costs about 2 CPU-seconds): each slip must
cost its own question only.
"""

from catalogs import Case, edit, slip_case

INIT = '''def init_weights(fan_in, fan_out, scheme, rng):
    """Weights (fan_in, fan_out) ~ N(0, std^2) with std set by the scheme."""
    stds = {"small": 0.01, "xavier": np.sqrt(2.0 / (fan_in + fan_out)), "he": np.sqrt(2.0 / fan_in)}
    if scheme not in stds:
        raise ValueError(f"scheme must be one of {sorted(stds)}, got {scheme!r}")
    return rng.standard_normal((fan_in, fan_out)) * stds[scheme]
'''

FORWARD = '''def forward_stds(X, weights, activation):
    """Std of the activations after each layer (a list of floats)."""
    f = ACTIVATIONS[activation][0]
    stds, h = [], X
    for W in weights:
        h = f(h @ W)
        stds.append(float(h.std()))
    return stds


def make_weights(scheme, seed=0):
    """num_layers weight matrices of shape (width, width)."""
    r = np.random.default_rng(seed)
    return [init_weights(width, width, scheme, r) for _ in range(num_layers)]


for scheme, activation in [("small", "tanh"), ("xavier", "tanh"), ("he", "relu")]:
    stds = forward_stds(X, make_weights(scheme), activation)
    print(f"{scheme:>6} + {activation}: " + " ".join(f"{s:.2g}" for s in stds))
'''

BACKWARD = '''def backward_norms(X, weights, activation):
    """Norm of dL/dh_{l-1} for l = 1..L (list of floats), with dL/dh_L = ones."""
    f, df = ACTIVATIONS[activation]
    h, inputs, pre = X, [], []
    for W in weights:
        inputs.append(h)
        pre.append(h @ W)
        h = f(pre[-1])
    dh, norms = np.ones_like(h), []
    for W, a in zip(reversed(weights), reversed(pre)):
        dh = (dh * df(a)) @ W.T
        norms.append(float(np.linalg.norm(dh)))
    return norms[::-1]
'''

SHRINK = '''small_stds = np.array(forward_stds(X, make_weights("small"), "tanh"))
shrink_per_layer = float(np.mean(small_stds[1:] / small_stds[:-1]))
'''


INIT_OTHER = '''rng = np.random.default_rng(0)


def init_weights(fan_in, fan_out, scheme, rng):
    if scheme == "small":
        std = 0.01
    elif scheme == "xavier":
        std = (2 / (fan_in + fan_out)) ** 0.5
    elif scheme == "he":
        std = (2 / fan_in) ** 0.5
    else:
        raise ValueError("unknown scheme: " + scheme)
    return rng.normal(0.0, std, size=(fan_in, fan_out))
'''

BACKWARD_OTHER = '''def backward_norms(X, weights, activation):
    f, df = ACTIVATIONS[activation]
    hs, As = [X], []
    for W in weights:
        As.append(hs[-1] @ W)
        hs.append(f(As[-1]))
    grad = np.ones_like(hs[-1])
    norms = []
    for l in range(len(weights) - 1, -1, -1):
        grad = (grad * df(As[l])) @ weights[l].T
        norms.insert(0, np.linalg.norm(grad))
    return norms
'''


Q1, Q2, Q3, Q4 = "q1_init_weights", "q2_forward_stds", "q3_backward_norms", "q4_shrink_per_layer"
T1, T2, T3, T4 = (q + "_tests" for q in (Q1, Q2, Q3, Q4))
TESTS = {Q1: T1, Q2: T2, Q3: T3, Q4: T4}
DRAW = "return rng.standard_normal((fan_in, fan_out)) * stds[scheme]"
STEP = "dh = (dh * df(a)) @ W.T"
MEASURE = 's = forward_stds(X, make_weights("small"), "tanh")\n'

# slip: (answer cell, its source, a keyword of the message, the mistake id)
SLIPS = {
    # question 1
    "lecun": (Q1, edit(INIT, '"he": np.sqrt(2.0 / fan_in)', '"he": np.sqrt(1.0 / fan_in)'), "a 2", "lecun-for-he"),
    "variance": (Q1, edit(edit(INIT, "np.sqrt(2.0 / (fan_in + fan_out))", "2.0 / (fan_in + fan_out)"),
                          "np.sqrt(2.0 / fan_in)", "2.0 / fan_in"), "sqrt", "variance-not-std"),
    "precedence": (Q1, edit(INIT, "np.sqrt(2.0 / (fan_in + fan_out))", "np.sqrt(2.0 / fan_in + fan_out)"),
                   "after the division", "precedence"),
    "own generator": (Q1, edit(INIT, DRAW, DRAW.replace("rng.", "np.random.default_rng(0).")), "rng argument",
                      "not-from-rng"),
    "randn": (Q1, edit(INIT, DRAW, "return np.random.randn(fan_in, fan_out) * stds[scheme]"), "rng argument",
              "not-from-rng"),
    "uniform": (Q1, edit(INIT, DRAW, "return rng.uniform(-1, 1, (fan_in, fan_out)) * np.sqrt(3) * stds[scheme]"),
                "normally distributed", "not-normal"),
    "KeyError": (Q1, edit(INIT, '    if scheme not in stds:\n        raise ValueError(f"scheme must be one of '
                                '{sorted(stds)}, got {scheme!r}")\n', ""), "ValueError", "wrong-error"),
    "shape": (Q1, edit(INIT, "rng.standard_normal((fan_in, fan_out))", "rng.standard_normal((fan_out, fan_in))"),
              "transposed", "transposed"),
    "0.02": (Q1, edit(INIT, '"small": 0.01', '"small": 0.02'), "each scheme's std", "wrong-value"),
    # question 2
    "with X": (Q2, edit(FORWARD, "stds, h = [], X", "stds, h = [float(X.std())], X"), "one std per layer",
               "includes-input"),
    "pre-activation": (Q2, edit(FORWARD, "h = f(h @ W)\n        stds.append(float(h.std()))",
                                "a = h @ W\n        stds.append(float(a.std()))\n        h = f(a)"),
                       "before the activation", "pre-activation"),
    "f first": (Q2, edit(FORWARD, "h = f(h @ W)", "h = f(h) @ W"), "before the product", "activation-first"),
    "always tanh": (Q2, edit(FORWARD, "f = ACTIVATIONS[activation][0]", "f = np.tanh"), "other activation",
                    "wrong-activation"),
    # question 3
    "not reversed": (Q3, edit(BACKWARD, "return norms[::-1]", "return norms"), "reversed", "reversed"),
    "no f'": (Q3, edit(BACKWARD, STEP, "dh = dh @ W.T"), "derivative", "no-derivative"),
    "W not W.T": (Q3, edit(BACKWARD, STEP, "dh = (dh * df(a)) @ W"), "W.T", "transposed"),
    "f' at h": (Q3, edit(BACKWARD, STEP, "dh = (dh * df(f(a))) @ W.T"), "pre-activation", "at-output"),
    "f' after": (Q3, edit(BACKWARD, STEP, "dh = (dh @ W.T) * df(a)"), "after W.T", "derivative-after"),
    "norm before step": (Q3, edit(BACKWARD, f"        {STEP}\n        norms.append(float(np.linalg.norm(dh)))",
                                  f"        norms.append(float(np.linalg.norm(dh)))\n        {STEP}"),
                         "shifted by one", "off-by-one"),
    # question 4
    "inverted": (Q4, edit(SHRINK, "small_stds[1:] / small_stds[:-1]", "small_stds[:-1] / small_stds[1:]"),
                 "later over the earlier", "inverted"),
    "overall": (Q4, MEASURE + "shrink_per_layer = s[-1] / s[0]\n", "all the layers", "overall"),
    "xavier": (Q4, edit(SHRINK, 'make_weights("small")', 'make_weights("xavier")'), "Xavier", "wrong-weights"),
    "0.01 * width": (Q4, "shrink_per_layer = 0.01 * width\n", "sqrt(width)", "no-sqrt"),
}


def slips(name, *which, **changes):
    """A case making the named slips (at most one per question): each costs its own question, nothing else."""
    return slip_case(SLIPS, TESTS, name, *which, **changes)


CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={T1: "not attempted", T2: "not attempted", T3: "not attempted", T4: "not attempted"}),
    # issue 20: a Generator in an answer cell killed the grading of the later cells
    Case("right: rng.normal(0, std, size) with if/elif and rng = np.random.default_rng(0) in the cell; forward_stds "
         "returns an ndarray; backward_norms with insert(0, ...); shrink as (last / first) ** (1 / (L - 1))",
         edits={Q1: INIT_OTHER, Q2: edit(edit(FORWARD, "stds.append(float(h.std()))", "stds.append(np.std(h))"),
                                         "    return stds\n", "    return np.array(stds)\n"),
                Q3: BACKWARD_OTHER, Q4: MEASURE + "shrink_per_layer = (s[-1] / s[0]) ** (1 / (len(s) - 1))\n"}),
    Case("right: drawn as (fan_out, fan_in) and transposed (other numbers, the same distribution); the shrink from "
         "one pair of layers",
         edits={Q1: edit(INIT, DRAW, "return (rng.standard_normal((fan_out, fan_in)) * stds[scheme]).T"),
                Q4: MEASURE + "shrink_per_layer = s[5] / s[4]\n"}),
    Case("right: the shrink typed from the prediction, 0.01 * sqrt(128)", edits={Q4: "shrink_per_layer = 0.113\n"}),
    slips("q1 'small' std 0.02 (a typo): q4 measured with it is right (error carried forward)", "0.02"),
    slips("q1 He as sqrt(1 / fan_in), q2 the input's std included, q3 top-down order, q4 the inverse ratio", "lecun",
          "with X", "not reversed", "inverted"),
    slips("q1 the variance as the std, q2 the std before the activation, q3 no derivative, q4 last / first",
          "variance", "pre-activation", "no f'", "overall"),
    slips("q1 sqrt(2 / fan_in + fan_out), q2 f before the product, q3 W instead of W.T, q4 measured with Xavier",
          "precedence", "f first", "W not W.T", "xavier"),
    slips("q1 a generator of its own (ignores rng), q2 always tanh, q3 f' at h, q4 0.01 * width", "own generator",
          "always tanh", "f' at h", "0.01 * width"),
    slips("q1 np.random.randn (the global generator), q3 f' after W.T", "randn", "f' after"),
    slips("q1 uniform with the right std, q3 each norm recorded before its step (off by one)", "uniform",
          "norm before step"),
    slips("q1 a KeyError for an unknown scheme", "KeyError"),
    slips("q1 shape (fan_out, fan_in)", "shape"),
]
