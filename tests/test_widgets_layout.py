"""Every explorer of bplab.widgets is legible: at its default and at each control's extremes, every text of its
picture lies inside the picture, no two texts overlap, and no plot's text lies over another plot.

The explorers are found, not listed: every public builder of bplab.widgets annotated to return an Explorer (as
bench/widget_latency.py finds them), built with the course's inputs. A builder that needs an argument the test does
not know fails the test: give it an input in bench.widget_latency.course_inputs.

The static figures the lessons draw with bplab.plots and bplab.graph are checked in tests/test_plots.py and
tests/test_graph.py; those the lessons draw themselves, by `test_lesson_figures_are_legible` below (on request).
"""

import os
from pathlib import Path

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


# The lessons' own figures (matplotlib in their cells) are checked as the inline backend prints them, by running each
# notebook with a hook (widget_checks.lesson_figure_problems): a whole run of the course, so only when asked, e.g.
# BPLAB_LESSON_FIGURES=1 .venv-dev/bin/python -m pytest -p no:xdist tests/test_widgets_layout.py -k lesson
LESSONS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]*-*.ipynb"))


@pytest.mark.skipif(os.environ.get("BPLAB_LESSON_FIGURES") != "1", reason="runs every lesson: BPLAB_LESSON_FIGURES=1")
@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_lesson_figures_are_legible(notebook):
    from widget_checks import lesson_figure_problems

    found = lesson_figure_problems(notebook)
    if found:
        pytest.fail("\n".join(f"cell {f['cell']} ({f['source']}), {f['size'][0]:g} x {f['size'][1]:g} in: "
                              + "; ".join(f["problems"][:4]) for f in found), pytrace=False)
