"""Input checks shared by bplab's public functions.

Each helper raises a ValueError or TypeError whose message names the argument,
what was expected and what came, so a learner never sees a numpy broadcasting
traceback from inside bplab.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def as_array(x, name: str, ndim: int | None = None, dtype=None, nonempty: bool = False) -> np.ndarray:
    """Return `x` as a real floating numpy array, or raise a clear TypeError/ValueError.

    Integer and boolean inputs become float64; float32 stays float32 unless `dtype` says otherwise.
    Complex numbers are refused (their imaginary part would be dropped); `nonempty` refuses an empty array.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        array = np.asarray(x)
    except Exception as error:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}: {error}") from None
    if array.dtype.kind not in "biuf":  # bool, int, uint, float (dtype.kind is fast: this runs per batch)
        kind = "real numbers (the imaginary part would be lost)" if array.dtype.kind == "c" else "numbers"
        raise TypeError(f"{name} must hold {kind}, got an array of dtype {array.dtype}")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    elif array.dtype.kind != "f":
        array = array.astype(np.float64)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {array.shape}")
    if nonempty and array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}): it needs at least one example")
    return array


def as_labels(y, name: str, num_classes: int | None = None, length: int | None = None) -> np.ndarray:
    """Return integer class labels of shape (N,), checked against `num_classes` and `length`."""
    array = np.asarray(y)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integer labels, shape (N,), got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        whole = array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array))
        if whole and np.abs(array).max() < 2**31:
            array = array.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels, got dtype {array.dtype}")
    if length is not None and array.shape[0] != length:
        raise ValueError(f"{name} must have one label per example ({length}), got {array.shape[0]}")
    if num_classes is not None and array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(
            f"{name} must hold labels in 0..{num_classes - 1}, got values from {array.min()} to {array.max()}"
        )
    return array.astype(np.int64, copy=False)


def check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ValueError unless `a` and `b` have the same number of rows."""
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} must have the same length, got {len(a)} and {len(b)}")


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ValueError unless `a` and `b` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}")


def as_number(x, name: str, positive: bool = False, minimum: float | None = None) -> float:
    """Return `x` as a finite float; `positive` requires x > 0, `minimum` requires x >= minimum."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def as_count(x, name: str, minimum: int = 1) -> int:
    """Return `x` as an int >= `minimum` (a size, a number of epochs, ...)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(x).__name__}")
    if x < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {x}")
    return int(x)
