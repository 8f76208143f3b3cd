"""Widget builders for the notebooks: each function returns a ready-to-display widget.

Every widget is an `Explorer` (see `_core.py`): its compute step is a plain function
that returns numbers, tested without a browser in tests/test_widgets_*.py.
One submodule per part of the course keeps each file short.
"""

from bplab.widgets import calculus, dynamics, fixed_point, modes, networks, neuron, perspective
from bplab.widgets._core import Explorer, dropdown, int_slider, slider
from bplab.widgets.calculus import *  # noqa: F403
from bplab.widgets.dynamics import *  # noqa: F403
from bplab.widgets.fixed_point import *  # noqa: F403
from bplab.widgets.modes import *  # noqa: F403
from bplab.widgets.networks import *  # noqa: F403
from bplab.widgets.neuron import *  # noqa: F403
from bplab.widgets.perspective import *  # noqa: F403

__all__ = ["Explorer", "slider", "int_slider", "dropdown", *calculus.__all__, *neuron.__all__,
           *networks.__all__, *dynamics.__all__, *modes.__all__, *fixed_point.__all__, *perspective.__all__]
