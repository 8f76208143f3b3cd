"""Turn the results dict into bench/results.md: a headline, the machine, one table per benchmark, the targets."""

from __future__ import annotations

from bench import hub_start


def fmt(value, spec: str = ".3g") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return format(value, ",")
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def machine_value(value) -> str:
    if isinstance(value, dict):  # thread environment variables
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):  # BLAS / OpenMP libraries
        return "; ".join(f"{lib['library']}: {lib.get('num_threads', '?')} thread(s)" for lib in value)
    return fmt(value, ".2f")


def table(rows: list[dict], columns: list[tuple[str, str, str]], labels: int = 1) -> list[str]:
    """Markdown table; columns are (key, header, format), the first `labels` of them name the row.

    A skipped row shows its reason after its labels.
    """
    lines = ["| " + " | ".join(h for _, h, _ in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [fmt(row.get(key), spec) for key, _, spec in columns]
        if "skipped" in row:
            cells = [*cells[:labels], row["skipped"], *[""] * (len(columns) - labels - 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def targets_table(results: dict) -> list[str]:
    lines = ["| benchmark | target | goal | measured | result | reason when missed |", "|---|---|---|---|---|---|"]
    for section, data in results["benchmarks"].items():
        for t in data.get("targets", []):
            verdict = "skipped" if t["met"] is None else "met" if t["met"] else "**MISSED**"
            lines.append(f"| {section} | {t['name']} | {t['goal']} | {fmt(t['value'])} | {verdict} | {t['reason']} |")
    return lines + [""]


def section(title: str, data: dict, tables: list[tuple[str, list[tuple[str, str, str]]]]) -> list[str]:
    lines = [f"## {title}", ""]
    if "skipped" in data and "setup" not in data:
        return lines + [f"Skipped: {data['skipped']}", ""]
    lines += [data["setup"], ""]
    for key, columns in tables:
        if data.get(key):
            lines += table(data[key], columns, labels=2 if columns[0][0] == "dtype" else 1)
    return lines + [f"- {note}" for note in data.get("notes", [])] + ([""] if data.get("notes") else [])


def browser_section(browser: dict | None) -> list[str]:
    """Slider-to-pixels in JupyterLab: one row per control of every explorer."""
    if not browser:
        return []
    lines = ["### Slider to pixels in the browser", ""]
    if "skipped" in browser:
        return lines + [f"Skipped: {browser['skipped']}", ""]
    lines += [browser["setup"], ""]
    rows = [{**row, "notebook": row.get("notebook", "")[:2],
             "target": "" if "met" not in row else "met" if row["met"] else "**MISSED**"} for row in browser["rows"]]
    columns = [("notebook", "nb", ""), ("explorer", "explorer", ""), ("control", "control", ""),
               ("kind", "updates", ""), ("moves", "moves timed", ""), ("p50_ms", "p50 (ms)", ".0f"),
               ("p95_ms", "p95 (ms)", ".0f"),
               ("max_ms", "max (ms)", ".0f"), ("drag_lag_ms", "drag: release to final picture, median (ms)", ".0f"),
               ("drag_lag_max_ms", "drag lag max (ms)", ".0f"), ("drag_frames", "pictures per drag", ".0f"),
               ("working_shown", "'working...' shown when > 1 s", ""), ("target", "target", "")]
    lines += table(rows, columns, labels=3)
    lines += [f"- {note}" for note in browser.get("notes", [])]
    return lines + ([""] if browser.get("notes") else [])


def render(results: dict) -> str:
    m, b = results["machine"], results["benchmarks"]
    lines = ["# bplab benchmarks", "", f"Produced by `{results['command']}` on {m['date']}.", "", "## Headline", ""]
    lines += [f"- {h}" for h in results["headline"]] + ["", "## Targets", ""] + targets_table(results)
    lines += ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {machine_value(v)} |" for k, v in m.items()] + [""]
    lines += section("1. Scalar engine", b["scalar_engine"], [
        ("rows", [("engine", "engine", ""), ("ms", "forward+backward (ms)", ".1f"),
                  ("bplab_speedup", "time / bplab's time", ".2f"), ("ms_gc_off", "gc off (ms)", ".1f"),
                  ("bplab_speedup_gc_off", "gc off: time / bplab's", ".2f")]),
        ("chains", [("engine", "engine", ""), ("depth", "chain backpropagated", ","),
                    ("seconds", "seconds (build + backward)", ".2f"), ("max_depth", "longest chain before "
                                                                        "RecursionError", ",")]),
    ])
    lines += section("2. MLP training on digits", b["mlp_training"], [
        ("rows", [("dtype", "dtype", ""), ("implementation", "implementation", ""),
                  ("ms_per_epoch", "ms per epoch", ".2f"), ("vs_numpy_floor", "time / fused NumPy", ".2f"),
                  ("test_accuracy", "test accuracy (mean)", ".4f"), ("accuracy_std", "std over seeds", ".4f")]),
    ])
    lines += section("3. Cheap gradients", b["cheap_gradient"], [
        ("ratios", [("batch_size", "batch", ""), ("forward_us", "forward (us)", ".1f"),
                    ("backward_us", "backward (us)", ".1f"), ("ratio", "backward / forward", ".2f")]),
        ("finite_differences", [("num_hidden", "hidden units", ""), ("num_params", "parameters", ""),
                                ("finite_diff_s", "finite differences (s)", ".3g"),
                                ("backprop_s", "backprop (s)", ".3g"), ("fd_over_backprop", "ratio", ".0f"),
                                ("max_rel_error", "rel. error FD vs backprop", ".1e")]),
    ])
    widget_cols = [("widget", "widget", ""), ("update_ms", "update (ms)", ".0f"), ("compute_ms", "compute (ms)", ".1f"),
                   ("draw_ms", "draw + PNG (ms)", ".0f"), ("png_kb", "PNG (KB)", ".0f"),
                   ("before_ms", "before the redesign (ms)", ""), ("discarded", "moves discarded", "")]
    lines += section("4. Widget responsiveness", b["widget_latency"], [("rows", widget_cols)])
    if b["widget_latency"].get("button_rows"):
        lines += ["Explorers that update on a button click (training), one click after a control moved:", ""]
        lines += table(b["widget_latency"]["button_rows"], widget_cols)
    lines += browser_section(b["widget_latency"].get("browser"))
    lines += section("5. Course run time", b["course_runtime"], [
        ("slowest", [("notebook", "slowest notebooks", ""), ("seconds", "seconds (sum of cells)", ".1f")]),
    ])
    if "wall_seconds" in b["course_runtime"]:
        c = b["course_runtime"]
        counts = ", ".join(f"{n} in {folder}" for folder, n in c["notebooks"].items())
        cells = ", ".join(f"{n} {outcome}" for outcome, n in c["cells"].items())
        lines += [f"Whole run: {c['wall_seconds']:.0f} s wall clock for the notebooks ({counts}); cells: {cells}.", ""]
    lines += hub_start.markdown()  # section 6: the JupyterHub rehearsal's runs, kept in bench/hub_start.json
    return "\n".join(lines) + "\n"
