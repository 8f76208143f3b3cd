"""Set 08 (an MLP on digits): learner-style submissions, each with the score it deserves.

Each case replaces some answer cells of the solution (or of the fresh exercise) and states the points per
question, a keyword of the message and the mistake id. Question 2 trains the learner's train_digits again
on the same images with shifted labels (it must learn what it is given, and nothing of the validation or
test labels); question 4 is judged on the learner's model, against the true counts or the learner's own
confusion matrix (error carried forward). Most cases make one slip in each of several questions at once
(a grading costs about 2 CPU-seconds): each slip must cost its own question only.
"""

from catalogs import Case, edit, slip_case

COUNT = '''def count_parameters(model):
    """Total number of trainable numbers in a bplab model (an int)."""
    return int(sum(p.data.size for p in model.parameters()))
'''

TRAIN = '''def train_digits(X_train, y_train):
    """A model trained on the data it is given, reaching validation accuracy >= 0.95."""
    model = MLP([64, 64, 10], activation="relu", init="he", rng=0)
    optimizer = Adam(model.parameters(), lr=1e-2)
    fit(model, X_train, y_train, optimizer, num_epochs=15, batch_size=32, rng=0)
    return model


model = train_digits(X_train, y_train)
print(f"validation accuracy: {accuracy(model.forward(X_val), y_val):.3f}")
'''

CONFUSION = '''def confusion_matrix(y_true, y_pred, num_classes):
    """M[i, j] = number of examples of true class i predicted as class j."""
    M = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(M, (y_true, y_pred), 1)
    return M
'''

CONFUSED = '''predictions = model.forward(X_val).argmax(axis=1)
mistakes = confusion_matrix(y_val, predictions, 10)
np.fill_diagonal(mistakes, 0)
most_confused = tuple(int(i) for i in np.unravel_index(np.argmax(mistakes), mistakes.shape))
print("most often, true", most_confused[0], "is predicted as", most_confused[1])
'''


CONFUSION_LOOPS = '''def confusion_matrix(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        M[t, p] += 1
    return M
'''

CONFUSED_LIST = '''predictions = model.forward(X_val).argmax(axis=1)
off = confusion_matrix(y_val, predictions, 10)
off[np.arange(10), np.arange(10)] = 0
most_confused = list(np.unravel_index(off.argmax(), off.shape))
'''

CONFUSION_BINCOUNT = '''def confusion_matrix(y_true, y_pred, num_classes):
    flat = np.asarray(y_true) * num_classes + np.asarray(y_pred)
    return np.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)
'''


Q1, Q2, Q3, Q4 = "q1_count_parameters", "q2_train_digits", "q3_confusion_matrix", "q4_most_confused"
T1, T2, T3, T4 = (q + "_tests" for q in (Q1, Q2, Q3, Q4))
TESTS = {Q1: T1, Q2: T2, Q3: T3, Q4: T4}
RNG = "rng = np.random.default_rng(0)\n\n\n"
COUNT_WITH = "def count_parameters(model):\n    return {}\n".format

# slip: (answer cell, its source, a keyword of the message, the mistake id)
SLIPS = {
    # question 1
    "weights only": (Q1, COUNT_WITH("sum(p.data.size for p in model.parameters() if p.data.ndim == 2)"), "biases",
                     "weights-only"),
    "arrays": (Q1, COUNT_WITH("len(model.parameters())"), "arrays", "arrays-not-numbers"),
    "len": (Q1, COUNT_WITH("sum(len(p.data) for p in model.parameters())"), ".size", "first-axis-only"),
    "float": (Q1, COUNT_WITH("float(sum(p.data.size for p in model.parameters()))"), "int", "wrong-type"),
    # question 2
    "train+val+test": (Q2, edit(TRAIN, "fit(model, X_train, y_train,",
                                "fit(model, np.concatenate([X_train, X_val, X_test]), "
                                "np.concatenate([y_train, y_val, y_test]),"), "validation or test",
                       "trained-on-held-out"),
    "train+val": (Q2, edit(TRAIN, "fit(model, X_train, y_train,",
                           "fit(model, np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val]),"),
                  "validation or test", "trained-on-held-out"),
    "globals": (Q2, edit(TRAIN, "def train_digits(X_train, y_train):", "def train_digits(X, y):"),
                "arrays passed in", "ignores-arguments"),
    "not seeded": (Q2, edit(TRAIN, "num_epochs=15, batch_size=32, rng=0)", "num_epochs=15, batch_size=32)"), "seed",
                   "not-seeded"),
    "too short": (Q2, edit(edit(TRAIN, "num_epochs=15", "num_epochs=1"), "lr=1e-2", "lr=1e-3"), "at least 0.95",
                  "out-of-range"),
    # question 3
    "M transposed": (Q3, edit(CONFUSION, "np.add.at(M, (y_true, y_pred), 1)", "np.add.at(M, (y_pred, y_true), 1)"),
                     "rows are the true", "transposed"),
    "+= 1": (Q3, edit(CONFUSION, "np.add.at(M, (y_true, y_pred), 1)", "M[y_true, y_pred] += 1"), "repeated pair",
             "repeated-pairs"),
    "float counts": (Q3, edit(CONFUSION, "dtype=np.int64", "dtype=float"), "integers", "float-counts"),
    # question 4
    "diagonal": (Q4, edit(CONFUSED, "np.fill_diagonal(mistakes, 0)\n", ""), "diagonal", "diagonal-not-zeroed"),
    "swapped": (Q4, edit(CONFUSED, "most_confused = tuple(int(i) for i in np.unravel_index(np.argmax(mistakes), "
                                   "mistakes.shape))",
                         "i, j = np.unravel_index(np.argmax(mistakes), mistakes.shape)\n"
                         "most_confused = (int(j), int(i))"), "(true, predicted)", "swapped"),
    "training set": (Q4, edit(edit(CONFUSED, "model.forward(X_val)", "model.forward(X_train)"),
                              "confusion_matrix(y_val,", "confusion_matrix(y_train,"), "validation set", "wrong-split"),
    "flat argmax": (Q4, "predictions = model.forward(X_val).argmax(axis=1)\n"
                        "mistakes = confusion_matrix(y_val, predictions, 10)\n"
                        "np.fill_diagonal(mistakes, 0)\n"
                        "most_confused = int(np.argmax(mistakes))\n", "pair", "wrong-type"),
}


def slips(name, *which, **changes):
    """A case making the named slips (at most one per question): each costs its own question, nothing else."""
    return slip_case(SLIPS, TESTS, name, *which, **changes)


CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={T1: "not attempted", T2: "not attempted", T3: "not attempted", T4: "not attempted"}),
    # issue 20: "a correct set 08 with rng = np.random.default_rng(0) in answer cells scores 0/8" (a grader bug)
    Case("right: rng = np.random.default_rng(0) at the top of every answer cell",
         edits={Q1: RNG + COUNT, Q2: RNG + TRAIN, Q3: RNG + CONFUSION, Q4: RNG + CONFUSED}),
    # issue 20: "08 Q4's pair as a list" was rejected
    Case("right: np.prod count (an np.int64); a generator made inside train_digits, SGD with momentum; a confusion "
         "matrix with loops; most_confused as a list of numpy ints",
         edits={Q1: COUNT_WITH("np.sum([np.prod(p.data.shape) for p in model.parameters()])"),
                Q2: edit(edit(edit(TRAIN, '    model = MLP([64, 64, 10], activation="relu", init="he", rng=0)\n',
                                   '    g = np.random.default_rng(0)\n'
                                   '    model = MLP([64, 64, 10], activation="relu", init="he", rng=g)\n'),
                              "fit(model, X_train, y_train, optimizer, num_epochs=15, batch_size=32, rng=0)",
                              "fit(model, X_train, y_train, optimizer, num_epochs=20, batch_size=32, rng=g)"),
                         "optimizer = Adam(model.parameters(), lr=1e-2)",
                         "from bplab.optim import SGD\n"
                         "    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)"),
                Q3: CONFUSION_LOOPS, Q4: CONFUSED_LIST}),
    Case("right: the validation data passed to fit to watch the accuracy (fit does not train on it); np.bincount",
         edits={Q2: edit(TRAIN, "batch_size=32, rng=0)", "batch_size=32, X_val=X_val, y_val=y_val, rng=0)"),
                Q3: CONFUSION_BINCOUNT}),
    # issue 20: "08 Q2 training on train + validation + test earns 4/4"
    slips("q2 trains on train + validation + test; q3 transposed (q4 computed with it is right)", "train+val+test",
          "M transposed"),
    slips("q2 trains on train + validation: q4 then finds no confusion on the validation set, (0, 0) by the rule",
          "train+val"),
    slips("q1 counts the weights only, q2 not seeded, q4 the diagonal left in", "weights only", "not seeded",
          "diagonal"),
    slips("q1 counts the arrays, q2 ignores its arguments (the global X_train, y_train), q4 the pair swapped",
          "arrays", "globals", "swapped"),
    slips("q1 counts len(p.data), q3 float counts, q4 on the training set", "len", "float counts", "training set"),
    slips("q1 returns a float, q3 M[y_true, y_pred] += 1 (q4 computed with it is right)", "float", "+= 1"),
    slips("q2 too short a training (1 epoch, lr 1e-3), q4 the flat argmax", "too short", "flat argmax"),
]
