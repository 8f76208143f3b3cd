"""Every bplab name used in a notebook resolves, so renaming a helper cannot silently break a lesson.

Dive into Deep Learning's notebooks broke when helpers were renamed; this test reads the code cells of
notebooks/, solutions/ and exercises/ and imports every `from bplab... import name` and `bplab.a.b` they use.
"""

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for folder in ("notebooks", "solutions", "exercises") for p in (ROOT / folder).glob("*.ipynb"))


def _code(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            # IPython magics and shell escapes are not Python
            lines += [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def bplab_names(code: str) -> set[str]:
    """Dotted bplab names a piece of code imports or reads as attributes."""
    tree = ast.parse(code)
    names, aliases = set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "bplab":
            for alias in node.names:
                names.add(f"{node.module}.{alias.name}")
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "bplab":
                    names.add(alias.name)
                    aliases[alias.asname or "bplab"] = alias.name if alias.asname else "bplab"
    modules = {local: dotted for local, dotted in aliases.items() if _is_module(dotted)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):  # bplab.functions.sigmoid, F.sigmoid, ...
            parts, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in modules:
                names.add(".".join([modules[inner.id], *reversed(parts)]))
    return names


def _is_module(dotted: str) -> bool:
    try:
        importlib.import_module(dotted)
        return True
    except ImportError:
        return False


def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_the_name_finder_finds_imports_and_attributes():
    code = "import bplab\nfrom bplab.layers import Linear\nfrom bplab import functions as F\n"
    code += "bplab.doctor()\nF.sigmoid(1)\n"
    expected = {"bplab", "bplab.layers.Linear", "bplab.functions", "bplab.doctor", "bplab.functions.sigmoid"}
    assert expected <= bplab_names(code)
    assert not resolves("bplab.layers.NoSuchLayer") and resolves("bplab.layers.Linear")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_bplab_name_a_notebook_uses_exists(path):
    missing = sorted(name for name in bplab_names(_code(path)) if not resolves(name))
    assert not missing, f"{path.name} uses bplab names that do not exist: {missing}"


LESSONS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if re.match(r"\d\d[a-z]?-", p.name))
TEACHING_CORE = ("bplab.engine", "bplab.graph", "bplab.functions", "bplab.layers", "bplab.optim", "bplab.gradcheck",
                 "bplab.data", "bplab.rnn", "bplab.plots", "bplab.fixed_point", "bplab.forward_mode")


def _used_in(obj) -> str:
    """The "Used in:" text of obj's docstring, else of its module's (where one line covers every name)."""
    import inspect

    doc = inspect.getdoc(obj) or ""
    if "Used in:" not in doc:
        doc = inspect.getdoc(importlib.import_module(obj.__module__)) or ""
    return doc.split("Used in:", 1)[1] if "Used in:" in doc else ""


def test_used_in_lines_name_every_lesson_that_uses_a_teaching_core_name():
    import inspect

    missing = []
    for path in LESSONS:
        for dotted in bplab_names(_code(path)):
            module_name, _, attribute = dotted.rpartition(".")
            if not module_name:
                continue
            obj = getattr(importlib.import_module(module_name), attribute, None)
            if obj is None or inspect.ismodule(obj) or not getattr(obj, "__module__", "").startswith(TEACHING_CORE):
                continue
            if f"notebooks/{path.name}" not in _used_in(obj):
                missing.append(f"{dotted} (used in {path.name})")
    assert not missing, "add these notebooks to the 'Used in:' lines: " + "; ".join(sorted(missing))
