"""Claims of notebooks 12b, 12c, 14b, 15b (issue 28) and their links with notebooks 12-16, checked against the text.

The numbers the new lessons teach are asserted in the lessons themselves; this file guards what a lesson cannot
assert about itself: the order of the Next links, and the corrections made to notebook 15's text (docs/errata.md).
"""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if re.match(r"\d\d[a-z]?-", p.name))


def _markdown(prefix: str) -> list[str]:
    path = next(p for p in LESSONS if p.name.startswith(prefix + "-"))
    return ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "markdown"]


def test_the_lessons_from_12_to_16_are_linked_in_order():
    """Each lesson's Next names the one that follows it: 12 -> 12b -> 12c -> 13 -> 14 -> 14b -> 15 -> 15b -> 16."""
    chain = [p for p in LESSONS if "12" <= p.name[:2] <= "16"]
    assert [p.name.split("-")[0] for p in chain] == ["12", "12b", "12c", "13", "14", "14b", "15", "15b", "16"]
    for path, following in zip(chain, chain[1:]):
        text = next(s for s in _markdown(path.name.split("-")[0]) if "## Next" in s)
        assert f"notebooks/{following.name}" in text.split("## Next", 1)[1], (path.name, following.name)


def test_notebook_15_no_longer_says_the_state_never_settles():
    """A run of 1,000 steps cannot show 'never' (issue 21's rule); notebook 15b shows why the state does not settle."""
    text = "\n".join(_markdown("15"))
    assert "never settles" not in text and "however long we wait" not in text
    assert "does not settle in 1,000 steps" in text


def test_the_new_lessons_cite_what_they_state():
    """The references the new lessons lean on are named where their claims are made."""
    twelve_b, twelve_c = "\n".join(_markdown("12b")), "\n".join(_markdown("12c"))
    assert "Pascanu, Mikolov and Bengio (2013)" in twelve_b and "1/\\gamma" in twelve_b
    assert "Hochreiter and Schmidhuber 1997" in twelve_b and "Gers, Schmidhuber and" in twelve_b
    assert "Jaeger (2002)" in twelve_c and "Jaeger 2001" in twelve_c and "Yildiz, Jaeger and Kiebel (2012" in twelve_c
    assert "Pearlmutter 1994" in "\n".join(_markdown("14b")) and "Brouwer" in "\n".join(_markdown("15b"))
