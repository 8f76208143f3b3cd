"""Section 6 of bench/results.md: where a learner's start goes on a JupyterHub, from the workshop rehearsal.

The rehearsal (tests/hub, ``make workshop-rehearsal``: 20 learners through the API and one in Chromium log in at
once on one machine) writes test-artifacts/hub/results.json with the split of each learner's start (CPU and wall
time per part) and the class's CPU by process. This module keeps two such runs, ``before`` and ``after`` a change,
in bench/hub_start.json, and renders them side by side; `python -m bench` keeps the section (bench/report.py). A
third run, ``alone``, is one learner's start on a quiet machine (``BPLAB_HUB_LEARNERS=0``: the browser learner only).

    python -m bench.hub_start record after [test-artifacts/hub/results.json]   # keep a run under a label
    python -m bench.hub_start record alone                                     # (a BPLAB_HUB_LEARNERS=0 run)
    python -m bench.hub_start render                                           # rewrite the section in results.md

A "before" that was not measured with this split (issue 25's figures) is kept as written, with its note.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "hub_start.json"
RESULTS_MD = HERE / "results.md"
TITLE = "## 6. Workshop start on JupyterHub"
KEPT = ("learners_api", "learners_browser", "cores", "class_wall_seconds", "machine_cpu_seconds",
        "load_average_1min", "start_split", "spawn_seconds_hub_log", "class_cpu_seconds",
        "class_cpu_seconds_by_process", "class_cpu_seconds_covers", "cpu_s_per_learner",
        "cpu_s_to_first_slider_api_learner", "cpu_s_to_first_slider_browser_learner", "seconds_to_nb00_done",
        "browser", "cpu_s_server_total", "cpu_s_nb00_kernel", "cpu_s_nb08_kernel")
LABELS = ("before", "after")
ALONE = "alone"
PROCESSES = {"hub": "hub", "proxy": "configurable-http-proxy", "server": "single-user servers",
             "kernel": "kernels", "server-child": "servers' short-lived children (git, kernel shut-downs)",
             "hub-child": "hub's other children"}


def load() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8")) if DATA.exists() else {"runs": {}, "notes": []}


def record(label: str, results_path: Path, note: str = "") -> dict:
    """Keep the rehearsal's results.json under ``label`` ("before" or "after") in bench/hub_start.json."""
    results = json.loads(results_path.read_text(encoding="utf-8"))
    data = load()
    run = {key: results[key] for key in KEPT if key in results}
    stamp = datetime.datetime.fromtimestamp(results_path.stat().st_mtime, datetime.timezone.utc)
    run["date"] = stamp.isoformat(timespec="seconds")
    if note:
        run["note"] = note
    data["runs"][label] = run
    DATA.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return data


def _num(value, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def _median(run: dict | None, part: str, measure: str):
    entry = ((run or {}).get("start_split") or {}).get(part) or {}
    return (entry.get(measure) or {}).get("median")


def markdown(data: dict | None = None) -> list[str]:
    """The section's lines (empty when no run is recorded)."""
    data = load() if data is None else data
    runs = {label: data["runs"].get(label) for label in LABELS}
    alone = data["runs"].get(ALONE)
    if not any(runs.values()):
        return []
    known = [run for run in runs.values() if run]
    lines = [TITLE, ""]
    lines.append(
        "The JupyterHub rehearsal (tests/hub, `make workshop-rehearsal`): "
        f"{known[-1].get('learners_api', 20)} learners through the Jupyter server API and 1 in headless Chromium log "
        f"in at once on this {known[-1].get('cores', 2)}-core machine, follow the nbgitpuller link, run notebook 00 "
        "(the browser learner: Run All, then drags the first slider) and press Train in notebook 08. "
        "Each run: test-artifacts/hub/results.json, kept in bench/hub_start.json.")
    lines.append("")
    for label, run in runs.items():
        if run and "date" not in run:  # not a rehearsal's run: figures kept as written, its note says whence
            lines.append(f"- {label}: {run['note']}.")
        elif run:
            load_avg = run.get("load_average_1min") or {}
            lines.append(f"- {label}: {run['date']}, 1-minute load average {_num(load_avg.get('before'), '.1f')} "
                         f"at the start and {_num(load_avg.get('after'), '.1f')} at the end"
                         + (f"; {run['note']}" if run.get("note") else "") + ".")
    lines += ["", "A learner's start, part by part (median of the API learners; the hub's and proxy's parts: their "
              "CPU over the class divided by the learners):", ""]
    split_labels = [label for label in LABELS if (runs[label] or {}).get("start_split")]  # runs with a split
    lines += ["| part | what it covers | " + " | ".join(f"CPU-s {label}" for label in split_labels) + " | "
              + " | ".join(f"wall s {label}" for label in split_labels) + " |",
              "|---|---|" + "---|" * 2 * len(split_labels)]
    parts = list(dict.fromkeys(p for run in known for p in (run.get("start_split") or {})))
    for part in parts:
        covers = next((run["start_split"][part].get("covers", "") for run in known
                       if part in (run.get("start_split") or {})), "")
        lines.append(f"| {part.replace('_', ' ')} | {covers} | "
                     + " | ".join(_num(_median(runs[label], part, "cpu_s")) for label in split_labels) + " | "
                     + " | ".join(_num(_median(runs[label], part, "wall_s"), ".1f") for label in split_labels) + " |")
    lines += ["", "The class:", "", "| | before | after |", "|---|---|---|"]

    def row(name: str, get, spec: str = ".1f") -> None:
        values = []
        for label in LABELS:
            try:
                values.append(_num(get(runs[label]), spec) if runs[label] else "n/a")
            except (KeyError, TypeError):
                values.append("n/a")
        lines.append(f"| {name} | " + " | ".join(values) + " |")

    row("browser learner: login done (s)", lambda r: r["browser"]["seconds_at"]["login"])
    row("browser learner: JupyterLab shows notebook 00 (s)", lambda r: r["browser"]["seconds_at"]["notebook_shown"])
    row("browser learner: its kernel idle (s)", lambda r: r["browser"]["seconds_at"]["kernel_idle"])
    row("browser learner: login to first slider (s)", lambda r: r["browser"]["seconds_login_to_first_slider"])
    row("browser learner: login to slider moved (s)", lambda r: r["browser"]["seconds_login_to_slider_moved"])
    row("API learners: login to notebook 00 done, median (s)", lambda r: r["seconds_to_nb00_done"]["median"])
    row("class: first login to last learner done (s)", lambda r: r["class_wall_seconds"])
    row("class CPU-seconds on the hub's side", lambda r: r["class_cpu_seconds"])
    for role, name in PROCESSES.items():
        row(f"... {name}", lambda r, role=role: r["class_cpu_seconds_by_process"][role])
    row("CPU-seconds per learner (class / learners)", lambda r: r["cpu_s_per_learner"], ".2f")
    row("the whole machine's CPU-seconds per learner (machine / learners)",
        lambda r: r["machine_cpu_seconds"] / (r["learners_api"] + r.get("learners_browser", 1)), ".2f")
    row("a learner's single-user server, login to done, median (CPU-s)", lambda r: r["cpu_s_server_total"]["median"],
        ".2f")
    row("notebook 00's kernel, start to done, median (CPU-s)", lambda r: r["cpu_s_nb00_kernel"]["median"], ".2f")
    row("CPU-seconds to a first slider, API learner", lambda r: r["cpu_s_to_first_slider_api_learner"], ".2f")
    row("CPU-seconds to a first slider, browser learner (its server and kernel, hub and proxy shares)",
        lambda r: r["cpu_s_to_first_slider_browser_learner"], ".2f")
    row("the rehearsal's stand-ins for laptops: Chromium and Playwright (CPU-s)",
        lambda r: r["class_cpu_seconds_by_process"]["browser"])
    row("the rehearsal's stand-ins for laptops: this test process (CPU-s)",
        lambda r: r["class_cpu_seconds_by_process"]["driver"])
    row("the whole machine's CPU-seconds during the class (other work on it included)",
        lambda r: r["machine_cpu_seconds"])
    lines.append("")
    covers = next((r["class_cpu_seconds_covers"] for r in reversed(known) if r.get("class_cpu_seconds_covers")), "")
    if covers:
        lines.append(f"- Class CPU-seconds: {covers}.")
    lines += [f"- {note}" for note in data.get("notes", [])]
    if alone:
        browser, cpu = alone["browser"], alone["browser"]["cpu_s"]
        hub = sum(_median(alone, f"{role}_per_learner", "cpu_s") or 0.0 for role in ("hub", "proxy"))
        load_avg = alone.get("load_average_1min") or {}
        lines += ["", f"One learner alone ({alone['date']}, `BPLAB_HUB_LEARNERS=0 make workshop-rehearsal`: the "
                  f"browser learner only, 1-minute load average {_num(load_avg.get('before'), '.1f')} at the start): "
                  f"login to first slider {browser['seconds_login_to_first_slider']:.1f} s (JupyterLab showed the "
                  f"notebook at {browser['seconds_at']['notebook_shown']:.1f} s, its kernel idle at "
                  f"{browser['seconds_at']['kernel_idle']:.1f} s); "
                  f"{alone['cpu_s_to_first_slider_browser_learner']:.2f} CPU-s on the hub's side to that slider "
                  f"(its server {cpu['server_at_first_slider']:.2f}, its kernel {cpu['kernel_at_first_slider']:.2f}, "
                  f"the hub and its proxy {hub:.2f}); Chromium, the laptop's part, "
                  f"{cpu['browser_at_first_slider']:.1f} CPU-s."]
    return lines + [""]


def render(path: Path = RESULTS_MD) -> None:
    """Replace (or add) the section in results.md, leaving every other section as it is."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    section = "\n".join(markdown())
    if TITLE in text:
        head, rest = text.split(TITLE, 1)
        following = rest.find("\n## ")  # the next section, if any, stays
        text = head + section + ("\n" + rest[following + 1:] if following >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv[:1] == ["record"] and len(argv) >= 2 and argv[1] in (*LABELS, ALONE):
        results = Path(argv[2]) if len(argv) > 2 else HERE.parent / "test-artifacts" / "hub" / "results.json"
        record(argv[1], results, note=os.environ.get("BPLAB_HUB_NOTE", ""))
        render()
    elif argv[:1] == ["render"]:
        render()
    else:
        print(__doc__)
        return 2
    print(f"wrote {DATA} and the section '{TITLE[3:]}' of {RESULTS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
