"""The numbers of docs/instructors.md's workshop section: where they come from, and how to measure them again.

``guide_numbers.json`` (beside this file) holds them; tests/course/test_instructor_guide.py checks that the guide
says what the file says, and that the sizing rules are computed from it.

- ``rehearsal``: copied from ``test-artifacts/hub/results.json`` of a run of the JupyterHub rehearsal
  (tests/hub, ``make workshop-rehearsal``; 20 learners, 2 cores), with its date. Refresh:
  ``python tests/course/guide_numbers.py --rehearsal`` after a rehearsal.
- ``open_notebooks``: what more notebooks open at once cost a learner. The rehearsal opens one notebook at a time
  (it closes notebook 00's kernel before 08's), so this measures it: with the learners' environment
  (``.venv-hub``, make test's), three kernels at once, one per notebook a learner typically keeps open (notebook
  00 run top to bottom, notebook 08's data and digits explorer, exercise set 06 with its answers and tests), and
  each kernel's unique memory (USS: what it alone adds; the libraries it shares with the other kernels count
  once, in the rehearsal's per-learner figure). Refresh: ``.venv-hub/bin/python tests/course/guide_numbers.py
  --kernels`` (about 10 CPU-seconds).
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NUMBERS = HERE / "guide_numbers.json"
RESULTS = ROOT / "test-artifacts" / "hub" / "results.json"
KEPT = ("learners_api", "cores", "class_wall_seconds", "machine_cpu_seconds", "peak_extra_memory_gb",
        "cpu_s_server_total", "cpu_s_nb00_kernel", "cpu_s_nb08_kernel", "pss_mb_after_nb00", "rss_mb_after_nb00",
        "pss_mb_after_nb08", "rss_mb_after_nb08", "browser")


def load() -> dict:
    return json.loads(NUMBERS.read_text(encoding="utf-8"))


def save(numbers: dict) -> None:
    NUMBERS.write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def rehearsal_from_results(results: dict) -> dict:
    """The rehearsal's numbers the guide uses, from its results.json."""
    kept = {key: results[key] for key in KEPT}
    kept["browser"] = {"seconds_login_to_first_slider": results["browser"]["seconds_login_to_first_slider"]}
    return kept


def _code(path: Path, keep=lambda source: True) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code" and keep("".join(c["source"]))]


def measure_open_notebooks() -> dict:
    """Three kernels at once (notebook 00, notebook 08's explorer, set 06 answered): each one's USS, RSS and PSS."""
    import psutil
    from jupyter_client.manager import start_new_kernel

    def nb08(source: str) -> bool:  # the rehearsal's cells of notebook 08 (tests/hub/test_hub_workshop.py)
        keys = ("import ", "load_digits()", "train_test_split(", "digits_training_explorer(")
        return any(key in source for key in keys)

    def set06(source: str) -> bool:
        return "learner_score(" not in source

    solution06 = ROOT / "solutions" / "06-xor-backprop-by-hand.ipynb"
    plan = {"00-start-here": _code(ROOT / "notebooks" / "00-start-here.ipynb"),
            "08-mlp-on-real-data (data, explorer)": _code(ROOT / "notebooks" / "08-mlp-on-real-data.ipynb", nb08),
            "exercise set 06 (answered, tests run)": _code(solution06, set06)}
    kernels = []
    try:
        for name, cells in plan.items():
            manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT / "notebooks"),
                                               env={**os.environ, "OPENBLAS_NUM_THREADS": "1",
                                                    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                                                    "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"})
            kernels.append((name, manager, client))
            for code in cells:
                reply = client.execute_interactive(code, timeout=300, output_hook=lambda message: None)
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"{name}: a cell failed: {reply['content'].get('evalue')}\n{code[:200]}")
        measured = {}
        for name, manager, _ in kernels:
            info = psutil.Process(manager.provisioner.process.pid).memory_full_info()
            measured[name] = {"uss_mb": info.uss / 2**20, "pss_mb": info.pss / 2**20, "rss_mb": info.rss / 2**20}
        return {"date": datetime.date.today().isoformat(), "python": sys.executable, "kernels": measured}
    finally:
        for _, manager, client in kernels:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    numbers = load() if NUMBERS.exists() else {}
    if "--rehearsal" in sys.argv:
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
        numbers["rehearsal"] = rehearsal_from_results(results)
        numbers["rehearsal"]["date"] = datetime.date.fromtimestamp(RESULTS.stat().st_mtime).isoformat()
    if "--kernels" in sys.argv:
        numbers["open_notebooks"] = measure_open_notebooks()
    save(numbers)
    print(json.dumps(numbers, indent=1, sort_keys=True))
