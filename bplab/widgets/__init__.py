"""Widget builders for the notebooks: each function returns a ready-to-display widget.

Every widget is an `Explorer` (see `_core.py`): its compute step is a plain function
that returns numbers, tested without a browser in tests/test_widgets_*.py.
One submodule per part of the course keeps each file short.

Imports are lazy: ``from bplab.widgets import curve_explorer`` loads the calculus part only (and matplotlib and
ipywidgets once an explorer is built), so a lesson pays for the widgets it uses, not for the whole course's.
"""

import importlib

# Where each public name lives (tests/test_widgets_core.py checks this table against each submodule's __all__).
_PARTS = {
    "_core": ("Explorer", "slider", "int_slider", "dropdown"),
    "calculus": ("curve_explorer", "one_neuron_step", "draw_backprop_picture", "finite_difference_errors",
                 "finite_difference_explorer", "CHAINS", "chain_rule", "chain_rule_explorer", "gradient_explorer",
                 "graph_explorer"),
    "neuron": ("neuron_graph_explorer", "activation_explorer", "neuron_explorer", "loss_explorer",
               "gradient_descent_path", "gradient_descent_explorer"),
    "networks": ("XOR_PARAMETER_NAMES", "xor_network", "xor_training_explorer", "layer_shapes_explorer",
                 "digits_training_explorer", "decision_boundary_explorer", "layer_statistics", "init_explorer"),
    "dynamics": ("noise_explorer", "approximation_explorer", "gradient_flow_explorer", "gradient_cost_explorer"),
    "modes": ("modes_explorer",),
    "fixed_point": ("fixed_point_residuals", "fixed_point_explorer"),
    "perspective": ("residual_explorer",),
    "training": ("normalized_statistics", "normalization_explorer", "SCHEDULES", "digits_splits", "watch_training",
                 "training_monitor_explorer", "AUGMENTATIONS", "noisy_digits", "regularization_run",
                 "regularization_explorer", "tent", "sawtooth", "sawtooth_network", "linear_pieces", "shallow_fit",
                 "depth_explorer"),
    "further": ("gradient_reach", "gate_reach_explorer", "memory_curve", "memory_explorer", "fixed_point_map",
                "fixed_point_map_explorer", "CURVE_DATA", "curve_loss", "curve_gradient", "hvp_errors",
                "hvp_explorer"),
    "foundations": ("PATH_CHOICES", "path_contributions", "paths_explorer", "CURVATURE_LOSSES", "descent_1d",
                    "local_curvature_explorer", "sgd_data", "sgd_run", "sgd_explorer", "network_training_run",
                    "network_training_explorer"),
}
_HOME = {name: part for part, names in _PARTS.items() for name in names}

__all__ = list(_HOME)


def __getattr__(name: str):
    """Import the part of the course that defines `name` on first use."""
    if name not in _HOME:
        raise AttributeError(f"module 'bplab.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"bplab.widgets.{_HOME[name]}"), name)
    globals()[name] = value  # the next lookup is an ordinary one
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
