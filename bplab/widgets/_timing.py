"""The one timing helper of the widgets: the best of a few runs, in CPU seconds (as notebook 13 measures).

Notebooks 07 and 13 time code in front of the learner; the explorers that time code (`layer_shapes_explorer`,
`gradient_cost_explorer`) use this helper, so both measure the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(function: Callable[[], object], repeats: int = 3) -> float:
    """The smallest CPU time (`time.process_time`) of `repeats` calls of ``function()``, in seconds.

    The least disturbed run is the best estimate of the cost (as `timeit` recommends); CPU time of this process
    leaves out other programs running on the machine.

    Used in: notebooks/07-vectorized-backprop.ipynb, notebooks/13-why-backprop-is-efficient.ipynb
    """
    if not callable(function):
        raise TypeError(f"function must be callable with no arguments, got {type(function).__name__}")
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive int, got {repeats!r}")
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return max(best, time.get_clock_info("process_time").resolution)  # never 0: speedups divide by it
