"""Every lesson notebook has the parts the course promises, and is stored clean.

Objectives, prerequisites, a time estimate and a plain-language nutshell before any formula; asserts on the numbers
it teaches; a bplab widget; 2-4 self-check questions; a summary and a pointer onward. Notebooks in notebooks/,
solutions/ and exercises/ carry no outputs and no execution counts.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSON_NAME = re.compile(r"(\d\d)([a-z]?)-")  # 05-..., and a lesson added after it: 05b-..., 05c-...
LESSONS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if LESSON_NAME.match(p.name))
ALL_NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions", "exercises") for p in (ROOT / folder).glob("*.ipynb"))


def _cells(path):
    return [(c["cell_type"], "".join(c["source"])) for c in json.loads(path.read_text())["cells"]]


def _prefix(path) -> str:
    """The lesson's number as its file name and check ids spell it: "05", "05b"."""
    return "".join(LESSON_NAME.match(path.name).groups())


def test_lessons_are_numbered_in_order():
    keys = [LESSON_NAME.match(p.name).groups() for p in LESSONS]
    numbers = [int(number) for number, suffix in keys if not suffix]
    assert numbers == list(range(len(numbers))) and len(numbers) >= 6
    for (number, suffix), (next_number, next_suffix) in zip(keys, keys[1:]):  # 05, 05b, 05c, then 06
        if next_suffix:
            assert next_number == number and next_suffix == (chr(ord(suffix) + 1) if suffix else "b"), next_number


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_has_every_part(path):
    cells = _cells(path)
    markdown = "\n".join(src for kind, src in cells if kind == "markdown")
    code = "\n".join(src for kind, src in cells if kind == "code")
    first = cells[0][1]
    assert first.startswith(f"# {_prefix(path)} "), "first cell is the title '# NN ...' ('# 05b ...')"
    objectives = re.search(r"objectives\**:?\s*\n(.*?)(\n\s*\n|\n\*\*|$)", first, re.IGNORECASE | re.DOTALL)
    assert objectives and 3 <= len(re.findall(r"^[-*] ", objectives.group(1), re.MULTILINE)) <= 5, "3-5 objectives"
    assert re.search(r"prerequisites", first, re.IGNORECASE) and re.search(r"estimated time", first, re.IGNORECASE)
    nutshell = next(i for i, (kind, src) in enumerate(cells) if kind == "markdown" and "nutshell" in src.lower())
    # the plain-language intuition comes before any derivation (a number in $...$ is fine, a displayed formula is not)
    assert not any("$$" in src for kind, src in cells[: nutshell + 1] if kind == "markdown")
    assert len(re.findall(r"^\s*assert ", code, re.MULTILINE)) >= 3, "asserts the numbers it teaches"
    assert "bplab.widgets" in code, "has a bplab widget"
    questions = set(re.findall(r"check\(\s*\"(\d\d[a-z]?\.q\d+)\"", code))
    assert 2 <= len(questions) <= 4 and all(q.startswith(f"{_prefix(path)}.") for q in questions), questions
    assert re.search(r"^#+ .*summary", markdown, re.IGNORECASE | re.MULTILINE), "has a summary"
    assert re.search(r"^#+ .*next", markdown, re.IGNORECASE | re.MULTILINE), "points to what comes next"
    assert "default_rng(" in code or "seed" in code, "seeds its randomness"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    code_cells = [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
    dirty = [i for i, c in code_cells if c["outputs"] or c["execution_count"]]
    assert not dirty, f"cells {dirty} of {path.name} have outputs or execution counts: clear them before committing"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"
