"""Shared test set-up: one BLAS thread, and a non-interactive matplotlib backend for every unit test.

The thread limits must be set before numpy is first imported (matplotlib imports it): OpenBLAS reads them once,
when it loads. `make test` exports them too; a bare ``pytest`` gets them here. On a busy 2-core machine a
multi-threaded BLAS spins on small matrix products: grading set 09's solution cost the grader's process 0.6-0.7
CPU-seconds with OpenBLAS's default threads against 0.34 with one (load 12; 2.7 against 0.12 was seen under pytest).
"""

import os
import sys

BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
NUMPY_BEFORE_CONFTEST = "numpy" in sys.modules  # tests/course/test_grading.py checks it stays False
for _variable in BLAS_THREADS:
    os.environ.setdefault(_variable, "1")

import matplotlib  # noqa: E402 (after the thread limits)
import pytest  # noqa: E402

matplotlib.use("Agg")


@pytest.fixture
def numpy_before_conftest() -> bool:
    """Whether numpy was imported before this file set the thread limits (a fixture: pytest drops a conftest module
    from sys.modules when it loads another conftest.py, e.g. tests/site/'s, so a test cannot look it up there)."""
    return NUMPY_BEFORE_CONFTEST
