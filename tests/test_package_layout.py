"""Package layout: the teaching core imports no course tooling and no widgets; widgets import no course tooling."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bplab"
# __main__.py is no lesson's module: it is `python -m bplab`, the course's command (bplab.course.cli).
CORE = sorted(p for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))


def test_python_m_bplab_is_the_course_command_and_nothing_else():
    assert _imports(PACKAGE / "__main__.py") == {"sys", "bplab.course.cli"}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_teaching_core_imports_no_course_tooling_or_widgets(path):
    bad = {m for m in _imports(path) if m.startswith(("bplab.course", "bplab.widgets", "ipywidgets", "IPython"))}
    assert not bad, f"bplab/{path.name} (teaching core) imports {sorted(bad)}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "widgets").glob("*.py")), ids=lambda p: p.name)
def test_widgets_import_no_course_tooling(path):
    bad = {m for m in _imports(path) if m.startswith("bplab.course")}
    assert not bad, f"bplab/widgets/{path.name} imports {sorted(bad)}"


def test_the_top_level_holds_only_the_teaching_core():
    course_words = ("check", "grad" + "ing", "exercise", "doctor", "environment", "cli")
    assert not [p.name for p in CORE if p.stem.startswith(course_words)]
