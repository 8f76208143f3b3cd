"""Learner-style submissions of every exercise set, with the score and message each deserves.

One module per set, ``NN.py``, holding ``CASES``: a list of `Case`. A case starts from the set's
solution (or, with ``start="exercise"``, from the fresh exercise) and replaces some answer cells;
`tests/course/test_catalogs.py` grades it and checks, per auto-graded question, the points, a keyword
of the message and the mistake id. So each case states what the issue 20 standard promises: a slip
costs its own question only, a right alternative earns full marks, a message names the likely cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    """One submission of a catalog.

    Parameters
    ----------
    name : str
        What the learner did, e.g. ``"q2: summed the loss instead of averaging it"``.
    edits : dict
        ``{answer grade_id: new cell source}``: the cells the learner wrote differently.
    points : dict
        ``{test grade_id: points}`` for the questions whose points are not the full marks of the start
        (full marks for a solution, 0 for an exercise); every other auto-graded question must keep them.
    keywords : dict
        ``{test grade_id: text}``: a text the failure message of that question must contain.
    mistakes : dict
        ``{test grade_id: mistake id}``: the id its message must carry (``[mistake: id]``).
    start : str
        ``"solution"`` (the default) or ``"exercise"``.
    forbidden : tuple of str
        Texts no message may contain (e.g. an expected value written out).
    """

    name: str
    edits: dict = field(default_factory=dict)
    points: dict = field(default_factory=dict)
    keywords: dict = field(default_factory=dict)
    mistakes: dict = field(default_factory=dict)
    start: str = "solution"
    forbidden: tuple = ()


def slip_case(slips: dict, tests: dict, name: str, *which: str, **changes) -> Case:
    """A case making the named slips of a catalog (at most one per question): each costs its own question, nothing else.

    ``slips`` maps a slip's name to ``(answer grade_id, new source, keyword, mistake id)``; ``tests`` maps an answer
    grade_id to its test's grade_id; ``changes`` (``points``, ``keywords``, ``edits``) adjust what the slips imply.
    """
    edits, points, keywords, mistakes = {}, {}, {}, {}
    for slip in which:
        cell, source, keyword, mistake = slips[slip]
        assert cell not in edits, f"{name}: two slips in {cell}"
        edits[cell], points[tests[cell]] = source, 0
        keywords[tests[cell]], mistakes[tests[cell]] = keyword, mistake
    for field_name, value in changes.items():
        {"points": points, "keywords": keywords, "edits": edits}[field_name].update(value)
    return Case(name, edits=edits, points=points, keywords=keywords, mistakes=mistakes)


def edit(source, old, new):
    """`source` with `old` replaced by `new` (which must occur)."""
    assert old in source, old
    return source.replace(old, new)
