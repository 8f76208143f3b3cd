"""`python -m bench [--quick] [--out DIR] [--only NAME ...]`: run the benchmarks, write results.md and results.json.

BLAS and OpenMP get one thread each, set here before NumPy is imported, so every timing
measures one core and peers compete on equal terms.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"


def main(argv=None) -> int:
    import argparse
    import concurrent.futures
    import json
    import sys
    import time
    from pathlib import Path

    from bench import cheap_gradient, course_runtime, machine, mlp_training, report, scalar_engine, widget_latency
    from bench.headline import headline

    benchmarks = {"scalar_engine": scalar_engine, "mlp_training": mlp_training, "cheap_gradient": cheap_gradient,
                  "widget_latency": widget_latency, "course_runtime": course_runtime}
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of every benchmark")
    parser.add_argument("--out", type=Path, help="output folder (default bench/, or test-artifacts/bench-quick "
                        "with --quick)")
    parser.add_argument("--only", nargs="+", choices=list(benchmarks), help="run only these benchmarks; the others "
                        "keep their results from the results.json already in the output folder, if any")
    args = parser.parse_args(argv)
    out = args.out or Path("test-artifacts/bench-quick" if args.quick else "bench")
    out.mkdir(parents=True, exist_ok=True)

    results = {"command": "python -m bench" + (" --quick" if args.quick else ""), "quick": args.quick,
               "machine": machine.info(), "benchmarks": {}}
    selected = [name for name in benchmarks if not args.only or name in args.only]
    previous = {}
    if args.only and (out / "results.json").exists():
        previous = json.loads((out / "results.json").read_text())
        if previous.get("quick") == args.quick:
            when = previous.get("machine", {}).get("date", "an earlier run")
            results["command"] += f" --only {' '.join(args.only)} (other sections from the run of {when})"
        else:
            previous = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    if args.quick and "course_runtime" in selected:  # a smoke run: let its notebook run beside the others
        background = pool.submit(course_runtime.run, quick=True, out=out)
    for name, module in benchmarks.items():
        if name not in selected:
            results["benchmarks"][name] = previous.get("benchmarks", {}).get(name) or {
                "skipped": "not selected (--only)", "targets": []}
            continue
        start = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        if name == "course_runtime":
            result = background.result() if args.quick else module.run(quick=False, out=out)
        else:
            result = module.run(quick=args.quick)
        results["benchmarks"][name] = result
        print(f"[bench] {name} done in {time.perf_counter() - start:.1f} s", flush=True)
    pool.shutdown()
    results["machine"]["blas"] = machine.blas_threads()
    if "torch" in sys.modules:  # the PyTorch rows ran with torch.set_num_threads(1)
        results["machine"]["torch_threads"] = sys.modules["torch"].get_num_threads()
    results["machine"]["load_average_1min_at_end"] = os.getloadavg()[0]
    results["headline"] = headline(results["benchmarks"])
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "results.md").write_text(report.render(results))
    print("\n".join(results["headline"]))
    print(f"[bench] wrote {out / 'results.md'} and {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
