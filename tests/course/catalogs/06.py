"""Set 06 (XOR by hand): learner-style submissions (a first case; the catalog grows with issue 20)."""

from catalogs import Case

CASES = [
    Case("the solution as it is"),
    Case("nothing attempted", start="exercise",
         keywords={"q1_forward_tests": "not attempted", "q2_backward_tests": "not attempted",
                   "q3_train_tests": "not attempted"}),
]
