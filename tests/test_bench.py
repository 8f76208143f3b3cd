"""The benchmark harness: `python -m bench --quick` runs every benchmark and writes complete results.

No timing is asserted (timings depend on the machine); the tests check that every benchmark
reports numbers or says why it skipped, that peers are never faked, and that the compared
implementations compute the same thing.
"""

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("scalar_engine", "mlp_training", "cheap_gradient", "widget_latency", "course_runtime")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads((out / "results.json").read_text()), (out / "results.md").read_text()


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def test_every_section_reports_targets_with_numbers_or_reasons(results):
    data, _ = results
    assert set(data["benchmarks"]) == set(SECTIONS)
    for name in SECTIONS:
        section = data["benchmarks"][name]
        assert "skipped" not in section, f"{name} did not run: {section.get('skipped')}"
        assert section["targets"], name
        for t in section["targets"]:
            if t["met"] is None:
                assert t["reason"].endswith("skipped (not installed)"), t
            else:
                assert is_number(t["value"]) and isinstance(t["met"], bool), t


def test_machine_info_and_one_blas_thread(results):
    machine = results[0]["machine"]
    assert machine["cores"] >= 1 and machine["cpu"] and machine["python"].startswith("CPython")
    assert machine["numpy"][0].isdigit() and machine["bplab"][0].isdigit()
    assert set(machine["thread_env"].values()) == {"1"}
    threads = [lib["num_threads"] for lib in machine["blas"] if "num_threads" in lib]
    assert all(n == 1 for n in threads), machine["blas"]


def test_peers_are_measured_when_installed_and_skipped_otherwise(results):
    bench = results[0]["benchmarks"]
    engines = {r["engine"]: r for r in bench["scalar_engine"]["rows"]}
    training = {r["implementation"]: r for r in bench["mlp_training"]["rows"] if r["dtype"] == "float64"}
    for row, module in ((engines["micrograd"], "micrograd"), (training["PyTorch CPU, 1 thread"], "torch"),
                        (training["scikit-learn MLPClassifier"], "sklearn")):
        if installed(module):
            assert "skipped" not in row and all(is_number(v) for k, v in row.items() if k.endswith(("ms", "epoch")))
        else:
            assert row.get("skipped") == "skipped (not installed)" and "ms" not in row


def test_compared_implementations_compute_the_same_thing(results):
    bench = results[0]["benchmarks"]
    engine = bench["scalar_engine"]
    assert engine["max_grad_diff"] < 1e-9  # same weights: every engine's gradients agree
    assert len(set(round(v, 9) for v in engine["losses"].values())) == 1
    rows = {r["implementation"]: r for r in bench["mlp_training"]["rows"] if r["dtype"] == "float64"}
    # same initial weights and batch order: the fused floor trains exactly bplab's model
    assert rows["fused NumPy loop"]["test_accuracy"] == rows["bplab (layers + optim)"]["test_accuracy"]
    for row in bench["cheap_gradient"]["finite_differences"]:
        assert row["max_rel_error"] < 1e-4  # finite differences and backprop agree (ReLU kinks allowed)


def test_longest_chains(results):
    chains = {c["engine"]: c for c in results[0]["benchmarks"]["scalar_engine"]["chains"]}
    assert chains["bplab.Value"]["backpropagates"] and chains["bplab.Value"]["depth"] >= 1000
    recursion_limit = sys.getrecursionlimit()
    assert 100 < chains["naive closure-and-set"]["max_depth"] < recursion_limit


def test_widgets_are_discovered_and_rendered_as_png(results):
    widgets = results[0]["benchmarks"]["widget_latency"]
    assert "curve_explorer" in widgets["builders_found"]
    timed = [r for r in widgets["rows"] + widgets["button_rows"] if "update_ms" in r]
    assert timed and all(r["pngs_rendered"] >= 1 for r in timed)


def test_course_run_times_a_notebook(results):
    course = results[0]["benchmarks"]["course_runtime"]
    assert course["cells"] == {"passed": 1} and is_number(course["wall_seconds"])


def test_markdown_has_headline_targets_and_a_table_per_benchmark(results):
    _, markdown = results
    for heading in ("## Headline", "## Targets", "## Machine", "## 1. Scalar engine", "## 2. MLP training",
                    "## 3. Cheap gradients", "## 4. Widget responsiveness", "## 5. Course run time"):
        assert heading in markdown
    assert markdown.count("|---") >= 8
