"""Set 12 (backpropagation through time): learner-style submissions, each with the score it deserves.

A slip in question 1 (one step) costs question 1 only: question 2 is checked against the learner's own
step (error carried forward) and question 3 against the learner's own `rnn_forward` / `rnn_backward`.
"""

from catalogs import Case

STEP = '''
def rnn_step_forward(x_t, h_prev, Wx, Wh, b):
    """h_t = tanh(x_t @ Wx + h_prev @ Wh + b), shape (N, H)."""
    return np.tanh({forward})


def rnn_step_backward(dh_t, x_t, h_prev, h_t, Wx, Wh):
    """Gradients (dx_t, dh_prev, dWx, dWh, db) of one step."""
    da = {da}
    return {ret}
'''
FORWARD = "x_t @ Wx + h_prev @ Wh + b"
DA = "dh_t * (1.0 - h_t**2)"
RET = "da @ Wx.T, da @ Wh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)"


def step(forward=FORWARD, da=DA, ret=RET):
    return STEP.format(forward=forward, da=da, ret=ret)


BPTT = '''
def rnn_forward(x, h0, Wx, Wh, b):
    """All hidden states, shape (N, T, H)."""
    steps, h_prev = [], h0
    for t in range(x.shape[1]):
        h_prev = rnn_step_forward(x[:, t], {state}, Wx, Wh, b)
        steps.append(h_prev)
    return np.stack(steps, axis=1)


def rnn_backward(dh, x, h0, h, Wx, Wh):
    """Backpropagation through time: (dx, dh0, dWx, dWh, db)."""
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    carry = np.zeros_like(h0)
    for t in {steps}:
        h_prev = {h_prev}
        dx[:, t], carry, dWx_t, dWh_t, db_t = rnn_step_backward({upstream}, x[:, t], h_prev, h[:, t], Wx, Wh)
        {accumulate}
    return dx, carry, dWx, dWh, db
'''


def bptt(state="h_prev", steps="reversed(range(x.shape[1]))", h_prev="h[:, t - 1] if t > 0 else h0",
         upstream="dh[:, t] + carry", accumulate="dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t"):
    return BPTT.format(state=state, steps=steps, h_prev=h_prev, upstream=upstream, accumulate=accumulate)


NORMS = '''lengths = [1, 5, 10, 20, 40]
long_x = np.random.default_rng(1).normal(size=(N, 40, D))
grad_norms = []
{start}for length in lengths:
    xs = long_x[:, :{stop}]
    hs = rnn_forward(xs, {h_start}, Wx, Wh, b)
    last_only = np.zeros_like(hs)
    last_only[:, {where}] = 1.0
    grads = rnn_backward(last_only, xs, {h_start}, hs, Wx, Wh)
    grad_norms.append({norm})
{after}print(" ".join(f"T={{t}}: {{g:.2e}}" for t, g in zip(lengths, grad_norms)))
'''


def norms(start="", stop="length", h_start="h0", where="-1", norm="float(np.linalg.norm(grads[1]))", after=""):
    return NORMS.format(start=start, stop=stop, h_start=h_start, where=where, norm=norm, after=after)


Q1, Q2, Q3 = "q1_step_tests", "q2_bptt_tests", "q3_grad_norms_tests"
NORM_DIGITS = ("2.958", "0.6774", "0.03642", "0.001783", "2.922e-09")  # the right norms: never in a message

_SINGLE = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={Q1: "not attempted", Q2: "not attempted", Q3: "not attempted"}),
    # right alternatives
    Case("q1: a list instead of a tuple", edits={"q1_step": step(ret="[" + RET + "]")}),
    Case("q1: (1 - h)(1 + h), np.sum, dh_t updated in place, einsum",
         edits={"q1_step": step(forward='np.einsum("nd,dh->nh", x_t, Wx) + h_prev @ Wh + b',
                                da="dh_t", ret="...").replace(
             "    da = dh_t\n    return ...",
             "    dh_t *= (1 - h_t) * (1 + h_t)  # in place\n"
             "    return dh_t @ Wx.T, dh_t @ Wh.T, x_t.T @ dh_t, h_prev.T @ dh_t, np.sum(dh_t, axis=0)")}),
    Case("q2: preallocated states, in-place accumulation, a list, rng = default_rng(0) in the cell",
         edits={"q2_bptt": '''rng = np.random.default_rng(0)


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]))
    for t in range(T):
        h[:, t] = rnn_step_forward(x[:, t], h0 if t == 0 else h[:, t - 1], Wx, Wh, b)
    return h


def rnn_backward(dh, x, h0, h, Wx, Wh):
    dh = dh.copy()
    dx, dWx, dWh, db = np.zeros_like(x), 0 * Wx, 0 * Wh, 0.0
    for t in range(x.shape[1] - 1, -1, -1):
        prev = h0 if t == 0 else h[:, t - 1]
        dx_t, dprev, a, c, d = rnn_step_backward(dh[:, t], x[:, t], prev, h[:, t], Wx, Wh)
        dx[:, t] = dx_t
        dWx += a
        dWh += c
        db = db + d
        if t > 0:
            dh[:, t - 1] += dprev
        else:
            dh0 = dprev
    return [dx, dh0, dWx, dWh, db]
'''}),
    Case("q3: grad_norms as an ndarray of np.float64",
         edits={"q3_grad_norms": norms(norm="np.linalg.norm(grads[1])",
                                       after="grad_norms = np.array(grad_norms)\n")}),
    # mistakes in question 1
    Case("q1: the tanh derivative forgotten", edits={"q1_step": step(da="dh_t")}, points={Q1: 0},
         keywords={Q1: "without its derivative"}, mistakes={Q1: "no-tanh-derivative"}),
    Case("q1: dh_prev through Wh instead of Wh.T (the 0/9 of issue 20)",
         edits={"q1_step": step(ret=RET.replace("da @ Wh.T", "da @ Wh"))}, points={Q1: 0},
         keywords={Q1: "transpose of Wh"}, mistakes={Q1: "wh-not-transposed"}),
    Case("q1: dWh transposed (da.T @ h_prev)",
         edits={"q1_step": step(ret=RET.replace("h_prev.T @ da", "da.T @ h_prev"))}, points={Q1: 0},
         keywords={Q1: "dWh is transposed"}, mistakes={Q1: "dwh-transposed"}),
    Case("q1: the bias gradient averaged over the batch",
         edits={"q1_step": step(ret=RET.replace("da.sum(axis=0)", "da.mean(axis=0)"))}, points={Q1: 0},
         keywords={Q1: "averaged"}, mistakes={Q1: "bias-averaged"}),
    Case("q1: the bias left out of the forward step",
         edits={"q1_step": step(forward="x_t @ Wx + h_prev @ Wh")}, points={Q1: 0},
         keywords={Q1: "bias b left out"}, mistakes={Q1: "no-bias"}),
    Case("q1: tanh applied again in the derivative",
         edits={"q1_step": step(da="dh_t * (1.0 - np.tanh(h_t)**2)")}, points={Q1: 0},
         keywords={Q1: "tanh applied to h_t again"}, mistakes={Q1: "tanh-applied-twice"}),
    # mistakes in question 2
    Case("q2: the gradient from step t + 1 not carried back", edits={"q2_bptt": bptt(upstream="dh[:, t]")},
         points={Q2: 0}, keywords={Q2: "carried back"}, mistakes={Q2: "no-carry"}),
    Case("q2: shared weights overwritten instead of summed over time",
         edits={"q2_bptt": bptt(accumulate="dWx, dWh, db = dWx_t, dWh_t, db_t")}, points={Q2: 0},
         keywords={Q2: "summed over time"}, mistakes={Q2: "not-summed-over-time"}),
    Case("q2: h[:, t - 1] at t = 0 too (the last state instead of h0)",
         edits={"q2_bptt": bptt(h_prev="h[:, t - 1]")}, points={Q2: 0},
         keywords={Q2: "the last state"}, mistakes={Q2: "first-step-h-prev"}),
    Case("q2: h[:, t] as the previous state", edits={"q2_bptt": bptt(h_prev="h[:, t]")}, points={Q2: 0},
         keywords={Q2: "index t"}, mistakes={Q2: "wrong-time-index"}),
    Case("q2: the backward loop stops before step 0", edits={"q2_bptt": bptt(steps="reversed(range(1, x.shape[1]))")},
         points={Q2: 0}, keywords={Q2: "before step 0"}, mistakes={Q2: "off-by-one"}),
    Case("q2: every step starts from h0 (no recurrence)", edits={"q2_bptt": bptt(state="h0")}, points={Q2: 0},
         keywords={Q2: "started from h0"}, mistakes={Q2: "no-recurrence"}),
    # mistakes in question 3
    Case("q3: a loss on every state, not the last one", edits={"q3_grad_norms": norms(where=":")},
         points={Q3: 0}, keywords={Q3: "every state"}, mistakes={Q3: "loss-on-all-states"}, forbidden=NORM_DIGITS),
    Case("q3: each length starts from the last state of the previous one",
         edits={"q3_grad_norms": '''lengths = [1, 5, 10, 20, 40]
long_x = np.random.default_rng(1).normal(size=(N, 40, D))
grad_norms, h_start = [], h0
for length in lengths:
    xs = long_x[:, :length]
    hs = rnn_forward(xs, h_start, Wx, Wh, b)
    last_only = np.zeros_like(hs)
    last_only[:, -1] = 1.0
    grad_norms.append(float(np.linalg.norm(rnn_backward(last_only, xs, h_start, hs, Wx, Wh)[1])))
    h_start = hs[:, -1]
'''}, points={Q3: 0}, keywords={Q3: "instead of from h0"}, mistakes={Q3: "not-from-h0"}, forbidden=NORM_DIGITS),
    Case("q3: the norm of dx instead of dh0", edits={"q3_grad_norms": norms(norm="float(np.linalg.norm(grads[0]))")},
         points={Q3: 0}, keywords={Q3: "norm of dx"}, mistakes={Q3: "norm-of-dx"}, forbidden=NORM_DIGITS),
    Case("q3: one step too many (long_x[:, :length + 1])", edits={"q3_grad_norms": norms(stop="length + 1")},
         points={Q3: 0}, keywords={Q3: "one step longer"}, mistakes={Q3: "off-by-one"}, forbidden=NORM_DIGITS),
    Case("q3: the squared norm", edits={"q3_grad_norms": norms(norm="float(np.sum(grads[1] ** 2))")},
         points={Q3: 0}, keywords={Q3: "squared norm"}, mistakes={Q3: "squared-norm"}, forbidden=NORM_DIGITS),
]


def both(first, second):
    """One submission with two independent slips: each must cost its own question only."""
    return Case(f"{first.name}; and {second.name}", {**first.edits, **second.edits}, {**first.points, **second.points},
                {**first.keywords, **second.keywords}, {**first.mistakes, **second.mistakes}, first.start,
                first.forbidden + second.forbidden)


_BY_NAME = {case.name: case for case in _SINGLE}
_PAIRS = [  # slips of question 1 or 2 that leave dh0 alone, with a slip of question 3
    ("q1: dWh transposed (da.T @ h_prev)", "q3: a loss on every state, not the last one"),
    ("q1: the bias gradient averaged over the batch", "q3: the squared norm"),
    ("q2: shared weights overwritten instead of summed over time", "q3: the norm of dx instead of dh0"),
    ("q2: h[:, t] as the previous state", "q3: one step too many (long_x[:, :length + 1])"),
]
_PAIRED = {name for pair in _PAIRS for name in pair}
CASES = [case for case in _SINGLE if case.name not in _PAIRED] + [
    both(_BY_NAME[a], _BY_NAME[b]) for a, b in _PAIRS]
