"""Set 12b (the LSTM's backward pass): learner-style submissions, each with the score it deserves.

A slip in question 1 (the step forward) costs question 1 only: question 2 gets the forward values as data, question
3 is checked against the learner's own step functions (error carried forward) and question 4 against the learner's
own `lstm_backward`. A slip in question 2 costs question 2 only, in the same way.
"""

from catalogs import Case

FORWARD = '''
def lstm_step_forward(x_t, h_prev, c_prev, Wx, Wh, b):
    """One LSTM step: (h_t, c_t, gates), gates = (i, f, o, g), each of shape (N, H)."""
    H = h_prev.shape[1]
    a = x_t @ Wx + h_prev @ Wh + b
    i, f, o = {gate}(a[:, :H]), {gate}(a[:, H:2 * H]), {gate}(a[:, {o_block}])
    g = {candidate}(a[:, {g_block}])
    c_t = {cell}
    h_t = {hidden}
    return {ret}
'''


def forward(gate="sigmoid", o_block="2 * H:3 * H", candidate="np.tanh", g_block="3 * H:", cell="f * c_prev + i * g",
            hidden="o * np.tanh(c_t)", ret="h_t, c_t, (i, f, o, g)"):
    return FORWARD.format(gate=gate, o_block=o_block, candidate=candidate, g_block=g_block, cell=cell, hidden=hidden,
                          ret=ret)


BACKWARD = '''
def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, c_t, gates, Wx, Wh):
    """Gradients (dx_t, dh_prev, dc_prev, dWx, dWh, db) of one LSTM step."""
    i, f, o, g = gates
    tanh_c = np.tanh(c_t)
    dc = {dc}
    di, df, do, dg = {di}, {df}, {do}, {dg}
    da = np.concatenate([{order}], axis=1)
    return da @ Wx.T, da @ Wh.T, {dc_prev}, x_t.T @ da, h_prev.T @ da, {db}
'''


def backward(dc="dc_t + dh_t * o * (1 - tanh_c**2)", di="dc * g * i * (1 - i)", df="dc * c_prev * f * (1 - f)",
             do="dh_t * tanh_c * o * (1 - o)", dg="dc * i * (1 - g**2)", order="di, df, do, dg", dc_prev="dc * f",
             db="da.sum(axis=0)"):
    return BACKWARD.format(dc=dc, di=di, df=df, do=do, dg=dg, order=order, dc_prev=dc_prev, db=db)


BPTT = '''
def lstm_forward(x, h0, c0, Wx, Wh, b):
    """All hidden states and all cell states, each of shape (N, T, H)."""
    hs, cs, h, c = [], [], h0, c0
    for t in range(x.shape[1]):
        h, c, _ = lstm_step_forward(x[:, t], {h_start}, {c_start}, Wx, Wh, b)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)


def lstm_backward(dh, x, h0, c0, Wx, Wh, b):
    """Backpropagation through time: (dx, dh0, dc0, dWx, dWh, db)."""
    h, c = lstm_forward(x, h0, c0, Wx, Wh, b)
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in {steps}:
        h_prev, c_prev = {prev}
        _, _, gates = lstm_step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(
            {upstream}, {carried}, x[:, t], h_prev, c_prev, c[:, t], gates, Wx, Wh)
        {accumulate}
    return dx, dh_next, dc_next, dWx, dWh, db
'''


def bptt(h_start="h", c_start="c", steps="reversed(range(x.shape[1]))",
         prev="(h[:, t - 1], c[:, t - 1]) if t > 0 else (h0, c0)", upstream="dh[:, t] + dh_next", carried="dc_next",
         accumulate="dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t"):
    return BPTT.format(h_start=h_start, c_start=c_start, steps=steps, prev=prev, upstream=upstream, carried=carried,
                       accumulate=accumulate)


REACH = '''forget_biases = [-1.0, 0.0, 1.0, 3.0]
long_x = np.random.default_rng(4).normal(size=(N, 30, D))
reach = []
for bias in forget_biases:
    b_bias = b.copy()
    b_bias[{block}] {assign} bias
    last_only = np.zeros((N, 30, H))
    last_only[:, {where}] = 1.0
    grads = lstm_backward(last_only, long_x, h0, c0, Wx, Wh, b_bias)
    reach.append({ratio})
{after}print(dict(zip(forget_biases, reach)))
'''
RATIO = "float(np.linalg.norm(grads[0][:, 0]) / np.linalg.norm(grads[0][:, -1]))"


def reach(block="H:2 * H", assign="=", where="-1", ratio=RATIO, after=""):
    return REACH.format(block=block, assign=assign, where=where, ratio=ratio, after=after)


Q1, Q2, Q3, Q4 = "q1_forward_tests", "q2_step_backward_tests", "q3_bptt_tests", "q4_reach_tests"
REACH_DIGITS = ("1.018e-11", "1.887e-07", "0.0001925", "1.393")  # the right ratios: never in a message

_SINGLE = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={Q1: "not attempted", Q2: "not attempted", Q3: "not attempted", Q4: "not attempted"}),
    # right alternatives
    Case("q1: lists instead of tuples, np.split, its own sigmoid 1 / (1 + exp(-a))",
         edits={"q1_forward": '''def lstm_step_forward(x_t, h_prev, c_prev, Wx, Wh, b):
    def logistic(z):
        return 1 / (1 + np.exp(-z))

    blocks = np.split(x_t @ Wx + h_prev @ Wh + b, 4, axis=1)
    i, f, o = (logistic(block) for block in blocks[:3])
    g = np.tanh(blocks[3])
    c_t = f * c_prev + i * g
    return [o * np.tanh(c_t), c_t, [i, f, o, g]]
'''}),
    Case("q2: (1 - t)(1 + t), a list, dh_t changed in place, np.sum, rng = default_rng(0) in the cell",
         edits={"q2_step_backward": '''rng = np.random.default_rng(0)


def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, c_t, gates, Wx, Wh):
    i, f, o, g = gates
    t = np.tanh(c_t)
    dc = dc_t + dh_t * o * (1 - t) * (1 + t)
    dh_t *= t  # in place: the output gate's upstream
    da = np.hstack([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dh_t * o * (1 - o), dc * i * (1 - g) * (1 + g)])
    return [da @ Wx.T, da @ Wh.T, dc * f, x_t.T @ da, h_prev.T @ da, np.sum(da, axis=0)]
'''}),
    Case("q3: preallocated arrays, a forward pass that keeps the gates, a list",
         edits={"q3_bptt": '''def lstm_forward(x, h0, c0, Wx, Wh, b):
    N, T, _ = x.shape
    h, c = np.zeros((N, T, h0.shape[1])), np.zeros((N, T, h0.shape[1]))
    for t in range(T):
        h[:, t], c[:, t], _ = lstm_step_forward(x[:, t], h0 if t == 0 else h[:, t - 1], c0 if t == 0 else c[:, t - 1],
                                                Wx, Wh, b)
    return h, c


def lstm_backward(dh, x, h0, c0, Wx, Wh, b):
    T = x.shape[1]
    states, h, c = [], h0, c0
    for t in range(T):
        h_new, c_new, gates = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        states.append((h, c, c_new, gates))
        h, c = h_new, c_new
    dx, dWx, dWh, db = np.zeros(x.shape), 0 * Wx, 0 * Wh, 0 * b
    carry_h, carry_c = 0 * h0, 0 * c0
    for t in range(T - 1, -1, -1):
        h_prev, c_prev, c_t, gates = states[t]
        g = lstm_step_backward(dh[:, t] + carry_h, carry_c, x[:, t], h_prev, c_prev, c_t, gates, Wx, Wh)
        dx[:, t], carry_h, carry_c = g[0], g[1], g[2]
        dWx += g[3]
        dWh += g[4]
        db = db + g[5]
    return [dx, carry_h, carry_c, dWx, dWh, db]
'''}),
    Case("q4: reach as an ndarray", edits={"q4_reach": reach(after="reach = np.array(reach)\n")}),
    # mistakes in question 1
    Case("q1: PyTorch's block order i, f, g, o", edits={"q1_forward": forward(o_block="3 * H:", g_block="2 * H:3 * H")},
         points={Q1: 0}, keywords={Q1: "i, f, g, o"}, mistakes={Q1: "gate-order"}),
    Case("q1: no input gate", edits={"q1_forward": forward(cell="f * c_prev + g")}, points={Q1: 0},
         keywords={Q1: "without the input gate"}, mistakes={Q1: "no-input-gate"}),
    Case("q1: no forget gate", edits={"q1_forward": forward(cell="c_prev + i * g")}, points={Q1: 0},
         keywords={Q1: "without the forget gate"}, mistakes={Q1: "no-forget-gate"}),
    Case("q1: h_t = o * c_t", edits={"q1_forward": forward(hidden="o * c_t")}, points={Q1: 0},
         keywords={Q1: "without the tanh of the cell"}, mistakes={Q1: "no-cell-tanh"}),
    Case("q1: a sigmoid candidate", edits={"q1_forward": forward(candidate="sigmoid")}, points={Q1: 0},
         keywords={Q1: "instead of tanh"}, mistakes={Q1: "sigmoid-candidate"}),
    Case("q1: tanh gates", edits={"q1_forward": forward(gate="np.tanh")}, points={Q1: 0},
         keywords={Q1: "instead of a sigmoid"}, mistakes={Q1: "tanh-gates"}),
    Case("q1: h_t and c_t returned in the other order", edits={"q1_forward": forward(ret="c_t, h_t, (i, f, o, g)")},
         points={Q1: 0}, keywords={Q1: "other order"}, mistakes={Q1: "swapped-returns"}),
    # mistakes in question 2
    Case("q2: no tanh derivative on the path through h", edits={"q2_step_backward": backward(dc="dc_t + dh_t * o")},
         points={Q2: 0}, keywords={Q2: "without tanh's derivative 1 - tanh"}, mistakes={Q2: "no-tanh-derivative"}),
    Case("q2: dc_t not added", edits={"q2_step_backward": backward(dc="dh_t * o * (1 - tanh_c**2)")}, points={Q2: 0},
         keywords={Q2: "not added"}, mistakes={Q2: "no-carried-cell-gradient"}),
    Case("q2: the path through h_t left out", edits={"q2_step_backward": backward(dc="dc_t")}, points={Q2: 0},
         keywords={Q2: "left out"}, mistakes={Q2: "no-path-through-h"}),
    Case("q2: dc_prev without the forget gate", edits={"q2_step_backward": backward(dc_prev="dc")}, points={Q2: 0},
         keywords={Q2: "forget gate"}, mistakes={Q2: "no-forget-factor"}),
    Case("q2: tanh's slope for the gates",
         edits={"q2_step_backward": backward(di="dc * g * (1 - i**2)", df="dc * c_prev * (1 - f**2)",
                                             do="dh_t * tanh_c * (1 - o**2)")},
         points={Q2: 0}, keywords={Q2: "s (1 - s)"}, mistakes={Q2: "sigmoid-derivative"}),
    Case("q2: the candidate without its derivative", edits={"q2_step_backward": backward(dg="dc * i")},
         points={Q2: 0}, keywords={Q2: "1 - g**2"}, mistakes={Q2: "no-candidate-derivative"}),
    Case("q2: the output gate with c_t for tanh(c_t)",
         edits={"q2_step_backward": backward(do="dh_t * c_t * o * (1 - o)")}, points={Q2: 0},
         keywords={Q2: "with c_t"}, mistakes={Q2: "output-gate-c"}),
    Case("q2: the blocks in the order i, f, g, o", edits={"q2_step_backward": backward(order="di, df, dg, do")},
         points={Q2: 0}, keywords={Q2: "another order"}, mistakes={Q2: "gate-order"}),
    Case("q2: db averaged", edits={"q2_step_backward": backward(db="da.mean(axis=0)")}, points={Q2: 0},
         keywords={Q2: "averaged"}, mistakes={Q2: "bias-averaged"}),
    Case("q2: dc_prev from dc_t alone", edits={"q2_step_backward": backward(dc_prev="dc_t * f")}, points={Q2: 0},
         keywords={Q2: "dc_t alone"}, mistakes={Q2: "carried-only"}),
    Case("q2: the forget gate's gradient with c_t", edits={"q2_step_backward": backward(df="dc * c_t * f * (1 - f)")},
         points={Q2: 0}, keywords={Q2: "forget gate's gradient taken with c_t"}, mistakes={Q2: "forget-gate-c"}),
    # a known limit: a shape slip in question 2 makes the learner's own lstm_backward raise, so question 3 cannot be
    # judged (it calls lstm_step_backward by its name in the submission's process) and question 4 has no reach; the
    # message of question 3 names question 2's shape as the cause
    Case("q2: dWh transposed (h_prev.T @ da written da.T @ h_prev)",
         edits={"q2_step_backward": backward().replace("h_prev.T @ da", "da.T @ h_prev")},
         points={Q2: 0, Q3: 0, Q4: 0}, keywords={Q2: "transposed", Q3: "dWh of shape (12, 3)"},
         mistakes={Q2: "transposed", Q3: "step-shapes"}),
    # mistakes in question 3
    Case("q3: every step from h0 and c0", edits={"q3_bptt": bptt(h_start="h0", c_start="c0")}, points={Q3: 0},
         keywords={Q3: "started from h0 and c0"}, mistakes={Q3: "no-recurrence"}),
    Case("q3: the cell not carried forward", edits={"q3_bptt": bptt(c_start="c0")}, points={Q3: 0},
         keywords={Q3: "cell c0"}, mistakes={Q3: "cell-not-carried"}),
    Case("q3: the h gradient from step t + 1 not carried", edits={"q3_bptt": bptt(upstream="dh[:, t]")},
         points={Q3: 0}, keywords={Q3: "carried back to h_t"}, mistakes={Q3: "no-carry"}),
    Case("q3: the cell's gradient not carried", edits={"q3_bptt": bptt(carried="np.zeros_like(c0)")}, points={Q3: 0},
         keywords={Q3: "passed on"}, mistakes={Q3: "no-cell-carry"}),
    Case("q3: shared weights overwritten", edits={"q3_bptt": bptt(accumulate="dWx, dWh, db = dWx_t, dWh_t, db_t")},
         points={Q3: 0}, keywords={Q3: "summed over time"}, mistakes={Q3: "not-summed-over-time"}),
    Case("q3: h[:, t - 1] at t = 0 too", edits={"q3_bptt": bptt(prev="h[:, t - 1], c[:, t - 1]")}, points={Q3: 0},
         keywords={Q3: "the last state"}, mistakes={Q3: "first-step-prev"}),
    Case("q3: the states at index t as the previous ones", edits={"q3_bptt": bptt(prev="h[:, t], c[:, t]")},
         points={Q3: 0}, keywords={Q3: "index t"}, mistakes={Q3: "wrong-time-index"}),
    Case("q3: the loop stops before step 0", edits={"q3_bptt": bptt(steps="reversed(range(1, x.shape[1]))")},
         points={Q3: 0}, keywords={Q3: "before step 0"}, mistakes={Q3: "off-by-one"}),
    Case("q3: dh0 and dc0 returned in the other order",
         edits={"q3_bptt": bptt().replace("return dx, dh_next, dc_next,", "return dx, dc_next, dh_next,")},
         points={Q3: 0}, keywords={Q3: "other order"}, mistakes={Q3: "swapped-returns"}),
    # mistakes in question 4
    Case("q4: the input gates' block", edits={"q4_reach": reach(block=":H")}, points={Q4: 0},
         keywords={Q4: "input gates' block"}, mistakes={Q4: "wrong-block"}, forbidden=REACH_DIGITS),
    Case("q4: the bias added", edits={"q4_reach": reach(assign="+=")}, points={Q4: 0}, keywords={Q4: "added"},
         mistakes={Q4: "bias-added"}, forbidden=REACH_DIGITS),
    Case("q4: the ratio turned over",
         edits={"q4_reach": reach(ratio="float(np.linalg.norm(grads[0][:, -1]) / np.linalg.norm(grads[0][:, 0]))")},
         points={Q4: 0}, keywords={Q4: "turned over"}, mistakes={Q4: "inverted-ratio"}, forbidden=REACH_DIGITS),
    Case("q4: a loss on every state", edits={"q4_reach": reach(where=":")}, points={Q4: 0},
         keywords={Q4: "every hidden state"}, mistakes={Q4: "loss-on-all-states"}, forbidden=REACH_DIGITS),
    Case("q4: dh0 instead of dx[:, 0]",
         edits={"q4_reach": reach(ratio="float(np.linalg.norm(grads[1]) / np.linalg.norm(grads[0][:, -1]))")},
         points={Q4: 0}, keywords={Q4: "norm of dh0"}, mistakes={Q4: "dh0-not-dx"}, forbidden=REACH_DIGITS),
    Case("q4: squared norms", edits={"q4_reach": reach(ratio=f"{RATIO} ** 2")}, points={Q4: 0},
         keywords={Q4: "squared norms"}, mistakes={Q4: "squared-norm"}, forbidden=REACH_DIGITS),
]


def both(first, second):
    """One submission with two independent slips: each must cost its own question only."""
    return Case(f"{first.name}; and {second.name}", {**first.edits, **second.edits}, {**first.points, **second.points},
                {**first.keywords, **second.keywords}, {**first.mistakes, **second.mistakes}, first.start,
                first.forbidden + second.forbidden)


_BY_NAME = {case.name: case for case in _SINGLE}
_PAIRS = [  # a slip of the step functions with a slip of a later question: each costs its own question only
    ("q1: h_t = o * c_t", "q3: the cell's gradient not carried"),
    ("q1: PyTorch's block order i, f, g, o", "q4: the ratio turned over"),
    ("q2: dc_t not added", "q4: the input gates' block"),
    ("q2: the blocks in the order i, f, g, o", "q3: shared weights overwritten"),
]
_PAIRED = {name for pair in _PAIRS for name in pair}
CASES = [case for case in _SINGLE if case.name not in _PAIRED] + [both(_BY_NAME[a], _BY_NAME[b]) for a, b in _PAIRS]
