"""Timing helpers shared by the benchmarks: medians of repeated runs, optional peers."""

from __future__ import annotations

import importlib
import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeats: int, number: int = 1) -> float:
    """Median, over `repeats` runs, of the seconds one call of `fn` takes (each run makes `number` calls).

    The garbage collector stays on, as it is for a learner: an engine that leaves reference
    cycles behind pays for collecting them.
    """
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def optional_import(name: str):
    """The module `name`, or None when it is not installed (its rows then say "skipped (not installed)")."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


SKIPPED = "skipped (not installed)"


def target(name: str, goal: str, value: float | None, met: bool | None, reason: str = "") -> dict:
    """One target line for the report: what was aimed at, what was measured, met or not, and why."""
    return {"name": name, "goal": goal, "value": value, "met": met, "reason": reason}
