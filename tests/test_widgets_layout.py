"""Every explorer of bplab.widgets is legible: at its default and at each control's extremes, every text of its
picture lies inside the picture, no two texts overlap, and no plot's text lies over another plot.

The explorers are found, not listed: every public builder of bplab.widgets annotated to return an Explorer (as
bench/widget_latency.py finds them), built with the course's inputs. A builder that needs an argument the test does
not know fails the test: give it an input in bench.widget_latency.course_inputs.
"""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from widget_checks import apply_setting, explorer_settings, legibility_problems  # noqa: E402

from bench.widget_latency import build, builders, course_inputs  # noqa: E402

BUILDERS = builders()


@pytest.fixture(scope="module")
def inputs():
    return course_inputs()


def test_every_explorer_is_found():
    assert len(BUILDERS) >= 23 and "curve_explorer" in BUILDERS and "residual_explorer" in BUILDERS


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_text_is_legible_at_every_extreme(name, inputs):
    explorer = build(BUILDERS[name], inputs)
    assert explorer is not None, f"{name} needs an argument the test has no value for: add it to course_inputs()"
    start = {n: ("index", c.index) if hasattr(c, "options") else ("value", c.value)
             for n, c in explorer.controls.items()}
    problems = []
    for setting in explorer_settings(explorer):
        where = apply_setting(explorer, setting, start)
        problems += [f"at {where}: {problem}" for problem in legibility_problems(explorer.fig)]
    if problems:
        pytest.fail(f"{name}:\n" + "\n".join(dict.fromkeys(problems)), pytrace=False)
