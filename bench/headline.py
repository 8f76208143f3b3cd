"""One sentence per benchmark with its key ratio, for the top of results.md and for README."""

from __future__ import annotations

import statistics


def _faster(ratio: float) -> str:
    return f"{ratio:.1f}x faster than" if ratio >= 1 else f"{1 / ratio:.1f}x slower than"


def scalar_engine(s: dict) -> str:
    speed = {r["engine"]: r for r in s["rows"] if "ms" in r}

    def versus(name):
        row = speed[name]
        return (f"{_faster(row['bplab_speedup'])} {name} ({row['bplab_speedup_gc_off']:.1f}x with the garbage "
                "collector off)")

    chains = {c["engine"]: c for c in s["chains"]}
    parts = [f"bplab.Value is {versus('naive closure-and-set')}"]
    if "micrograd" in speed:
        parts.insert(0, f"bplab.Value is {versus('micrograd')}")
    ours = chains["bplab.Value"]
    chain = f"it backpropagates a {ours['depth']:,}-node chain in {ours['seconds']:.1f} s"
    if "max_depth" in chains["micrograd"]:
        chain += f" (micrograd: RecursionError beyond {chains['micrograd']['max_depth']:,} nodes)"
    return f"Scalar engine: {'; '.join(parts)} (MLP(2, [16, 16, 1]) forward+backward); {chain}."


def mlp_training(t: dict) -> str:
    rows = {(r["dtype"], r["implementation"]): r for r in t["rows"]}
    ours, floor = rows["float64", "bplab (layers + optim)"], rows["float64", "fused NumPy loop"]
    text = f"MLP training (digits, float64): bplab takes {ours['vs_numpy_floor']:.2f}x the fused NumPy floor"
    torch_row = rows["float64", "PyTorch CPU, 1 thread"]
    if "ms_per_epoch" in torch_row:
        text += f", {_faster(torch_row['ms_per_epoch'] / ours['ms_per_epoch'])} PyTorch CPU (1 thread)"
    sk = rows["float64", "scikit-learn MLPClassifier"]
    if "ms_per_epoch" in sk:
        text += (f", {_faster(sk['ms_per_epoch'] / ours['ms_per_epoch'])} scikit-learn; test accuracy "
                 f"{ours['test_accuracy']:.1%} (scikit-learn {sk['test_accuracy']:.1%})")
    return text + f"; {ours['ms_per_epoch']:.1f} ms per epoch vs {floor['ms_per_epoch']:.1f} ms."


def cheap_gradient(c: dict) -> str:
    ratios = ", ".join(f"{r['ratio']:.1f}x (batch {r['batch_size']})" for r in c["ratios"])
    big = c["finite_differences"][-1]
    return (f"Cheap gradients: one backward pass costs {ratios} a forward pass; finite differences grow "
            f"with parameter count at log-log slope {c['fd_loglog_slope']:.2f} and cost "
            f"{big['fd_over_backprop']:,.0f}x backprop at {big['num_params']:,} parameters.")


def widget_latency(w: dict) -> str:
    timed = [r for r in w["rows"] + w.get("button_rows", []) if "update_ms" in r]
    median = statistics.median(r["update_ms"] for r in timed) if timed else None
    text = "Widgets: " + (f"in the kernel a move takes a median {median:.0f} ms over {len(timed)} explorers"
                          if timed else "none timed in the kernel")
    before = [r for r in timed if r.get("before_ms")]
    if before:
        text += f" (was {statistics.median(r['before_ms'] for r in before):.0f} ms before the redesign)"
    browser = w.get("browser", {})
    rows = [r for r in browser.get("rows", []) if "p50_ms" in r]
    continuous = [r for r in rows if r["kind"] == "continuous"]
    if continuous:
        met = sum(bool(r.get("met")) for r in rows)
        text += (f"; in JupyterLab, slider to pixels: continuous controls p50 "
                 f"{statistics.median(r['p50_ms'] for r in continuous):.0f} ms, worst p95 "
                 f"{max(r['p95_ms'] for r in continuous):.0f} ms; {met} of {len(rows)} controls meet their target")
    elif "skipped" in browser:
        text += f"; browser: {browser['skipped']}"
    return text + "."


def course_runtime(c: dict) -> str:
    if "wall_seconds" not in c:
        return f"Course run: {c.get('skipped', 'not run')}."
    slowest = c["slowest"][0] if c["slowest"] else None
    text = f"Course: {c['setup']} runs in {c['wall_seconds']:.0f} s"
    return text + (f" (slowest: {slowest['notebook']}, {slowest['seconds']:.0f} s)." if slowest else ".")


def headline(benchmarks: dict) -> list[str]:
    lines = []
    for name, fn in (("scalar_engine", scalar_engine), ("mlp_training", mlp_training),
                     ("cheap_gradient", cheap_gradient), ("widget_latency", widget_latency),
                     ("course_runtime", course_runtime)):
        data = benchmarks[name]
        lines.append(fn(data) if "skipped" not in data else f"{name}: {data['skipped']}")
    return lines
