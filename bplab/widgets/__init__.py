"""Widget builders for the notebooks: each function returns a ready-to-display widget.

Every widget is an `Explorer` (see `_core.py`): its compute step is a plain function
that returns numbers, tested without a browser in tests/test_widgets*.py.
One submodule per part of the course keeps each file short.
"""

from bplab.widgets._core import Explorer, dropdown, int_slider, slider

__all__ = ["Explorer", "slider", "int_slider", "dropdown"]
# Each part of the course adds its builders below with one line each, e.g.
# from bplab.widgets.part1 import *  # noqa: F403
