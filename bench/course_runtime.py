"""Benchmark 5: how long the whole course takes to execute, as `make test` runs it (nbval, 2 workers).

The time per notebook is the sum of its cells' times from pytest's JUnit XML (the first cell
includes starting the kernel). In --quick mode a one-cell notebook stands in for the course.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from bench._timing import target

COURSE_DIRS = ("notebooks", "solutions", "exercises")


def tiny_notebook(folder: Path) -> Path:
    """A one-cell notebook that imports bplab, for the --quick smoke run (nbformat 4, written as JSON)."""
    cell = {"cell_type": "code", "execution_count": None, "id": "tiny", "metadata": {}, "outputs": [],
            "source": ["import bplab"]}
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    path = folder / "tiny.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {"kernelspec": kernel}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return path


def per_notebook(junit: Path) -> dict:
    """Seconds per notebook (sum of its cells) and the counts of passed and failed cells."""
    seconds, counts = collections.Counter(), collections.Counter()
    for case in ET.parse(junit).iter("testcase"):
        name = case.get("classname", "").removesuffix(".ipynb").replace(".", "/") + ".ipynb"  # notebooks/00-x.ipynb
        seconds[name] += float(case.get("time", 0))
        failed = case.find("failure") is not None or case.find("error") is not None
        counts["failed" if failed else "skipped" if case.find("skipped") is not None else "passed"] += 1
    return {"seconds": dict(seconds), "counts": dict(counts)}


def run(quick: bool = False, out: Path = Path("bench")) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    junit = out / "course-junit.xml"
    if quick:
        paths, workers = [str(tiny_notebook(out))], []
    else:
        paths = [d for d in COURSE_DIRS if any(Path(d).glob("*.ipynb"))]
        workers = ["-n", "2", "--dist", "loadscope"]  # loadscope: one notebook stays on one worker
    if not paths:
        return {"skipped": "no notebooks found", "targets": []}
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
               f"--junitxml={junit}", *workers, *paths]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - start
    if not junit.exists():
        return {"skipped": f"pytest wrote no report: {proc.stdout[-500:]}", "targets": []}
    result = per_notebook(junit)
    junit.unlink()
    slowest = sorted(result["seconds"].items(), key=lambda item: -item[1])[:5]
    count = {d: len(list(Path(d).glob("*.ipynb"))) for d in paths} if not quick else {"tiny notebook": 1}
    failed = result["counts"].get("failed", 0)
    return {
        "setup": " ".join(["pytest --nbval-lax", *workers, *(paths if not quick else ["tiny.ipynb"])]),
        "notebooks": count,
        "wall_seconds": wall,
        "cells": result["counts"],
        "slowest": [{"notebook": name, "seconds": s} for name, s in slowest],
        "targets": [target("every notebook cell runs", "0 failed cells", failed, failed == 0,
                           "" if failed == 0 else proc.stdout[-300:])],
    }
