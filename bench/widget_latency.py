"""Benchmark 4: how quickly each bplab widget answers a control, in the kernel and in a real browser.

In the kernel: each explorer is built in this process (no kernel, so an Explorer draws in the callback) and each
of its controls is moved to new values; a move is timed from setting the value to the new PNG (compute, update of
the artists, Agg draw, PNG encoding). Moves that change nothing (a value already there, a value a
`FloatLogSlider` cannot take) are not timed. Explorers behind a button are timed per click, after a control moved.

In the browser: `bench/browser_latency.py` times slider-to-pixels in JupyterLab and headless Chromium, per control;
its rows and its targets (the user-visible ones) are reported in this section.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import statistics
import time

import numpy as np

from bench._timing import target

FRACTIONS = (0.2, 0.8, 0.35, 0.65, 0.5, 0.1, 0.9)
# In-kernel median update times (ms) before the Explorer redesign: a new pyplot figure per move, rendered by the
# inline backend with bbox_inches="tight" (bench/results.json at commit 13f3d02). "No explorer slower than today."
BEFORE_REDESIGN_MS = {
    "activation_explorer": 282, "approximation_explorer": 449, "chain_rule_explorer": 324, "curve_explorer": 221,
    "finite_difference_explorer": 465, "gradient_cost_explorer": 594, "gradient_descent_explorer": 442,
    "gradient_explorer": 294, "gradient_flow_explorer": 380, "graph_explorer": 182, "init_explorer": 497,
    "layer_shapes_explorer": 236, "loss_explorer": 277, "neuron_explorer": 272, "neuron_graph_explorer": 222,
    "xor_training_explorer": 677, "decision_boundary_explorer": 466, "digits_training_explorer": 543,
    "noise_explorer": 680,
}


def builders() -> dict:
    """Public callables of bplab.widgets (and its submodules' __all__) annotated to return an Explorer."""
    import bplab.widgets as package

    names = {name: package for name in package.__all__}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"bplab.widgets.{info.name}")
            names.update({name: module for name in getattr(module, "__all__", [])})
    found = {}
    for name, module in sorted(names.items()):
        fn = getattr(module, name)
        if inspect.isfunction(fn) and "Explorer" in str(inspect.signature(fn).return_annotation):
            found[name] = fn
    return found


def course_inputs() -> dict:
    """Arguments, by parameter name, for builders that take data (as the notebooks pass them).

    The digits are split as notebook 08 splits them: a stratified test quarter, then a fifth of the rest for
    validation; the XOR history is a stand-in for notebook 06's recorded run (parameters and loss per epoch);
    `gradient_norms` is notebook 16's (the norm of each Linear layer's dW after one pass, plain or residual).
    """
    from bplab.data import load_digits, standardize, train_test_split

    X, y = load_digits()
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.25, stratify=True, rng=0)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.2, stratify=True, rng=0)
    X_train, X_val, X_test = standardize(X_train, X_val, X_test)
    rng = np.random.default_rng(0)
    num_epochs = 2001
    history = {"params": np.cumsum(rng.normal(0.0, 0.05, (num_epochs, 9)), axis=0),
               "loss": 0.7 * np.exp(-np.linspace(0.0, 5.0, num_epochs))}
    return {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val, "X_test": X_test,
            "y_test": y_test, "history": history, "gradient_norms": gradient_norms}


def gradient_norms(depth: int, activation: str, residual: bool) -> np.ndarray:
    """Notebook 16's measure: ||dW|| of each of `depth` Linear layers (width 100, Xavier) after one forward and
    backward pass on random data; with `residual`, every hidden block after the first adds its input back."""
    from bplab.layers import Linear, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((256, 100)), rng.integers(0, 10, size=256)
    layers = [Linear(100, 100, "xavier", rng=rng) for _ in range(depth - 1)] + [Linear(100, 10, "xavier", rng=rng)]
    act = {"sigmoid": Sigmoid, "tanh": Tanh}[activation]
    out, caches = X, []
    for k, layer in enumerate(layers[:-1]):  # h_k = f(W h_{k-1}) (+ h_{k-1} for a residual block)
        block = Sequential(layer, act())
        new = block.forward(out)
        caches.append(block)
        out = new + out if residual and k > 0 else new
    criterion = SoftmaxCrossEntropy()
    criterion.forward(layers[-1].forward(out), y)
    dout = layers[-1].backward(criterion.backward())
    for k in reversed(range(len(caches))):
        dinner = caches[k].backward(dout)
        dout = dinner + dout if residual and k > 0 else dinner
    return np.array([np.linalg.norm(layer.W.grad) for layer in layers])


def build(fn, inputs: dict):
    """Call a builder, passing the `inputs` its required parameters ask for; None if one is unknown."""
    required = [p.name for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]
    if any(name not in inputs for name in required):
        return None
    return fn(**{name: inputs[name] for name in required})


def control_kind(control, has_button: bool) -> str:
    """How a control updates its explorer: continuous, on release, on choice, or "input of the button"."""
    if has_button:
        return "input of the button"
    if hasattr(control, "options"):
        return "on choice"
    if hasattr(control, "max"):
        return "continuous" if getattr(control, "continuous_update", True) else "on release"
    return "other"


def is_log_slider(control) -> bool:
    return hasattr(control, "base") and type(control).__name__.endswith("LogSlider")


def value_at(control, frac: float):
    """The value `frac` of the way along a slider's track, on its steps (a log slider's track is its exponent)."""
    lo, hi, step = control.min, control.max, control.step or 0
    position = lo + frac * (hi - lo)
    if step:
        position = lo + round((position - lo) / step) * step
    position = min(max(position, lo), hi)
    if is_log_slider(control):
        return control.base ** position
    return int(round(position)) if isinstance(control.value, int) else position


def moves(explorer):
    """Endless changes of the explorer's controls, one control after another, each to a new value."""
    controls = [c for c in explorer.controls.values() if hasattr(c, "options") or hasattr(c, "max")]
    step = 0
    while controls:
        control = controls[step % len(controls)]
        frac = FRACTIONS[(step // len(controls)) % len(FRACTIONS)]
        step += 1
        if hasattr(control, "options"):
            new_index = (control.index + 1) % len(control.options)
            yield lambda c=control, i=new_index: setattr(c, "index", i)
        else:
            value = value_at(control, frac)
            if not math.isclose(value, control.value, rel_tol=1e-9, abs_tol=1e-12):
                yield lambda c=control, v=value: setattr(c, "value", v)


def measure(explorer, repeats: int, max_tries: int = 60):
    """Medians (s) of an update, of its compute step and of its drawing, over `repeats` moves that redrew."""
    updates, computes, draws, sizes, discarded = [], [], [], [], 0
    button = hasattr(explorer, "button")
    for change in moves(explorer):
        if len(updates) >= repeats or len(updates) + discarded >= max_tries:
            break
        frames, result = explorer.frames, explorer.result
        start = time.perf_counter()
        change()
        if button:
            explorer.refresh()  # what a click does
        elapsed = time.perf_counter() - start
        if explorer.frames == frames or explorer.result is result:  # nothing recomputed or redrawn
            discarded += 1
            continue
        updates.append(elapsed)
        draws.append(getattr(explorer, "draw_seconds", float("nan")))
        sizes.append(len(explorer.image.value))
        start = time.perf_counter()
        explorer.compute(**explorer.values())
        computes.append(time.perf_counter() - start)
    if not updates:
        return None
    return {"update_ms": 1e3 * statistics.median(updates), "compute_ms": 1e3 * statistics.median(computes),
            "draw_ms": 1e3 * statistics.median(draws), "png_kb": statistics.median(sizes) / 1024,
            "moves": len(updates), "discarded": discarded, "pngs_rendered": sum(size > 0 for size in sizes)}


def in_kernel(quick: bool) -> tuple[list[dict], list[dict], dict]:
    """Rows of continuously updating explorers, rows of button explorers, and every explorer's control kinds."""
    repeats = 3 if quick else 9
    rows, button_rows, kinds = [], [], {}
    found, inputs = builders(), course_inputs()
    for i, (name, builder) in enumerate(found.items()):
        explorer = build(builder, inputs)
        if explorer is None:
            rows.append({"widget": name, "skipped": f"needs arguments: {inspect.signature(builder)}"})
            continue
        button = hasattr(explorer, "button")
        kinds[name] = {c.description: control_kind(c, button) for c in explorer.controls.values()}
        if quick and i >= 2:
            rows.append({"widget": name, "skipped": "not timed in --quick"})
            continue
        timing = measure(explorer, max(3, repeats // 2) if button else repeats)
        if timing is None:
            rows.append({"widget": name, "skipped": "no control to move"})
            continue
        row = {"widget": name, **timing, "before_ms": BEFORE_REDESIGN_MS.get(name)}
        (button_rows if button else rows).append(row)
    return rows, button_rows, kinds


def run(quick: bool = False) -> dict:
    from bench import browser_latency

    rows, button_rows, kinds = in_kernel(quick)
    targets = []
    compared = [r for r in rows + button_rows if r.get("before_ms") and "update_ms" in r]
    slower = [f"{r['widget']} {r['update_ms']:.0f} ms (was {r['before_ms']} ms)" for r in compared
              if r["update_ms"] > r["before_ms"]]
    if compared:
        targets.append(target("in the kernel: explorers slower than before the redesign", "0",
                              len(slower), not slower, "; ".join(slower)))
    browser = browser_latency.run(quick=quick, kinds=kinds, kernel_rows={r["widget"]: r for r in rows + button_rows
                                                                          if "update_ms" in r})
    targets += browser.get("targets", [])
    return {
        "setup": "In the kernel: each explorer built in the bench process and drawn in the callback; median of "
        f"{3 if quick else 9} moves per explorer (each control in turn, to new values on its steps; a log slider "
        "moves along its exponent), or of clicks for explorers behind a button. update = compute + artists + Agg "
        "draw + PNG; 'before' is the median update of the old design (a new pyplot figure per move, inline "
        "backend, bbox_inches='tight').",
        "builders_found": sorted(builders()),
        "rows": rows,
        "button_rows": button_rows,
        "browser": browser,
        "targets": targets,
    }
