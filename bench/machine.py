"""What the benchmarks ran on: CPU, cores, load, Python, library versions and BLAS threads."""

from __future__ import annotations

import datetime
import os
import platform
from importlib import metadata

import numpy as np

import bplab
from bench._timing import optional_import

PEERS = ("micrograd", "scikit-learn", "torch", "matplotlib", "ipywidgets", "nbval")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def blas_threads() -> list[dict]:
    """Each BLAS/OpenMP library loaded in this process with its thread count (threadpoolctl, if present)."""
    threadpoolctl = optional_import("threadpoolctl")
    if threadpoolctl is None:
        return [{"library": "unknown (threadpoolctl not installed)", "OPENBLAS_NUM_THREADS":
                 os.environ.get("OPENBLAS_NUM_THREADS"), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")}]
    return [{"library": f"{i['internal_api']} {i.get('version') or ''}".strip(), "num_threads": i["num_threads"]}
            for i in threadpoolctl.threadpool_info()]


def info() -> dict:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "numpy": np.__version__,
        "bplab": bplab.__version__,
        **{name: version(name) for name in PEERS},
        "thread_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    }
