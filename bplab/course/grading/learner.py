"""`learner_score`: the learner-mode table of an exercise notebook, from inside that notebook.

This module imports nothing heavy: each set's last cell imports it, and in a graded notebook that cell runs
in the submission's process, where it only says it is not run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GRADING_VARIABLE = "BPLAB_GRADING"  # set in the submission's process: `learner_score` does nothing there
DEFAULT_TIMEOUT = 60.0


def _checkout() -> Path:
    """The folder bplab runs from (its parent holds exercises/ and solutions/ in the course checkout)."""
    import bplab

    return Path(bplab.__file__).resolve().parent.parent


def learner_score(notebook: str | Path, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Print the learner-mode table of `notebook` as last saved: its visible tests, as `bplab grade` runs them.

    Run it in the exercise notebook itself, after saving (Ctrl+S). It grades the saved file in a new
    process (the same command as ``.venv/bin/bplab grade <notebook>`` in a terminal), so the kernel is
    left as it was. Inside the grader (`bplab grade`, nbgrader) it does nothing but say so; under pytest
    (``make test`` runs every notebook with nbval) neither.

    Parameters
    ----------
    notebook : str or Path
        The notebook file, relative to the current folder (the notebook's own folder in Jupyter) or to
        the course's exercises/ folder.
    timeout : float
        Seconds per cell.

    Used in: the last cell of each set in exercises/
    """
    if os.environ.get(GRADING_VARIABLE) or os.environ.get("NBGRADER_EXECUTION"):
        print("learner_score: not run here (this notebook is being graded; the grader runs the tests itself).")
        return None
    if os.environ.get("PYTEST_CURRENT_TEST"):  # nbval runs every notebook in `make test`: 5 CPU-seconds each
        print("learner_score: not run under pytest (tests/course test the grading itself).")
        return None
    path = Path(notebook)
    if not path.is_file():
        for folder in (Path.cwd() / "exercises", _checkout() / "exercises"):
            if (folder / path.name).is_file():
                path = folder / path.name
                break
        else:
            print(f"learner_score: no notebook {notebook} here ({Path.cwd()}): give its file name, as saved.")
            return None
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run([sys.executable, "-m", "bplab", "grade", str(path), "--timeout", f"{timeout:g}"],
                          capture_output=True, text=True, env=env)
    lines = done.stdout.splitlines()
    print("\n".join(lines[2:] if lines[:1] and lines[0].startswith("bplab grade, learner mode") else lines).strip())
    if done.returncode not in (0, 1) or (done.stderr.strip() and done.returncode):
        print(done.stderr.strip())
    return None
