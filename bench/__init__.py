"""bplab's benchmarks: `make bench` (or `python -m bench`) writes bench/results.md and bench/results.json.

One module per benchmark, each with ``run(quick: bool) -> dict``:

1. scalar_engine: bplab.Value against micrograd and a naive closure-and-set engine.
2. mlp_training: digits MLP training against a fused NumPy loop, PyTorch and scikit-learn.
3. cheap_gradient: backward/forward cost, and finite differences against parameter count.
4. widget_latency: each widget's update time against rendering an empty figure.
5. course_runtime: executing every notebook under nbval.

Peers (micrograd, scikit-learn, PyTorch) are optional: without them their rows say skipped.
This package imports nothing heavy, so `python -m bench` can set thread counts before NumPy loads.
"""
