"""Small offline datasets for the course, and helpers to split them and add noise.

Everything here is generated from a seed or read from a file shipped inside the package
(``bplab/datasets/``); nothing is downloaded. The same seed gives the same numbers on every run.

Conventions: inputs ``X`` have shape ``(N, D)`` (rows are examples), float64; class labels ``y``
have shape ``(N,)``, int64, with values ``0 .. C-1``. Every function takes ``rng``: an int seed,
a ``np.random.Generator`` (its state advances), or None (fresh randomness).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from bplab._validate import as_array, as_count, as_labels, as_number, check_same_length

DIGITS_PATH = Path(__file__).parent / "datasets" / "digits.npz"
REGRESSION_KINDS = ("sine", "step", "bumpy")


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return a Generator from a seed, a Generator or None, or raise a TypeError naming `rng`."""
    if isinstance(rng, bool):
        raise TypeError("rng must be an int seed, a np.random.Generator or None, got bool")
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"rng must be an int seed (>= 0), a np.random.Generator or None, got {rng!r} ({error})"
        ) from None


def _noise_level(noise, name: str) -> float:
    """Return a noise standard deviation: a finite number >= 0."""
    return as_number(noise, name, minimum=0.0)


def _shuffled(X: np.ndarray, y: np.ndarray, gen: np.random.Generator):
    """Return X and y in one random order (so the first rows are not all one class)."""
    order = gen.permutation(len(y))
    return X[order], y[order]


def _two_classes(points_0: np.ndarray, points_1: np.ndarray, noise: float, gen: np.random.Generator):
    """Label two point sets 0 and 1, add Gaussian noise of std `noise`, shuffle the rows."""
    X = np.vstack([points_0, points_1])
    X = X + gen.normal(0.0, noise, size=X.shape)
    y = np.concatenate([np.zeros(len(points_0), dtype=np.int64), np.ones(len(points_1), dtype=np.int64)])
    return _shuffled(X, y, gen)


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four points of the XOR problem, which no single neuron can separate.

    Returns
    -------
    X : np.ndarray, shape (4, 2), float64
        The corners (0, 0), (0, 1), (1, 0), (1, 1).
    y : np.ndarray, shape (4,), int64
        ``x1 XOR x2``: 0, 1, 1, 0.

    Used in: notebooks/06-backprop-by-hand-xor.ipynb, notebooks/16-backprop-in-perspective.ipynb
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def moons(
    n: int = 200, noise: float = 0.1, rng: np.random.Generator | int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, a classic not-linearly-separable problem.

    Parameters
    ----------
    n : int
        Number of points in total, at least 2 (class 0 gets ``n // 2``, class 1 the rest).
    noise : float
        Standard deviation of Gaussian noise added to each coordinate, >= 0.
    rng : int, np.random.Generator or None
        Seed or generator.

    Returns
    -------
    X : np.ndarray, shape (n, 2), float64
        Points, roughly inside [-1, 2] x [-0.5, 1], in random order.
    y : np.ndarray, shape (n,), int64
        0 for the upper moon, 1 for the lower one.

    Used in: notebooks/04-a-single-neuron.ipynb, notebooks/05d-your-engine-trains-a-network.ipynb,
    notebooks/09-initialization-and-vanishing-gradients.ipynb,
    notebooks/16-backprop-in-perspective.ipynb
    """
    n = as_count(n, "n", minimum=2)
    noise = _noise_level(noise, "noise")
    gen = _generator(rng)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    return _two_classes(upper, lower, noise, gen)


def circles(
    n: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    rng: np.random.Generator | int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one: separable only by a curved boundary.

    Parameters
    ----------
    n : int
        Number of points in total, at least 2 (outer circle ``n // 2``, inner circle the rest).
    noise : float
        Standard deviation of Gaussian noise added to each coordinate, >= 0.
    factor : float
        Radius of the inner circle relative to the outer one (radius 1), strictly between 0 and 1.
    rng : int, np.random.Generator or None
        Seed or generator.

    Returns
    -------
    X : np.ndarray, shape (n, 2), float64
        Points in random order.
    y : np.ndarray, shape (n,), int64
        0 for the outer circle, 1 for the inner one.

    Used in: notebooks/04-a-single-neuron.ipynb, notebooks/08-mlp-on-real-data.ipynb
    """
    n = as_count(n, "n", minimum=2)
    noise = _noise_level(noise, "noise")
    factor = as_number(factor, "factor")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be strictly between 0 and 1, got {factor}")
    gen = _generator(rng)
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = np.linspace(0.0, 2.0 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * np.pi, n_inner, endpoint=False)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = factor * np.column_stack([np.cos(t_inner), np.sin(t_inner)])
    return _two_classes(outer, inner, noise, gen)


def spiral(
    n_per_class: int = 100,
    num_classes: int = 3,
    noise: float = 0.2,
    rng: np.random.Generator | int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n spiral).

    Arm ``k`` runs from the origin (radius 0) to radius 1 while its angle turns through
    4 radians starting at ``4 k``; the noise jitters the angle.

    Parameters
    ----------
    n_per_class : int
        Points on each arm, at least 1.
    num_classes : int
        Number of arms (classes), at least 2.
    noise : float
        Standard deviation of Gaussian noise added to each point's angle, in radians, >= 0.
    rng : int, np.random.Generator or None
        Seed or generator.

    Returns
    -------
    X : np.ndarray, shape (n_per_class * num_classes, 2), float64
        Points inside the unit disc, in random order.
    y : np.ndarray, shape (n_per_class * num_classes,), int64
        The arm of each point, 0 .. num_classes - 1.

    Used in: notebooks/08-mlp-on-real-data.ipynb, notebooks/09-initialization-and-vanishing-gradients.ipynb,
    notebooks/15-recurrent-backprop-to-a-fixed-point.ipynb
    """
    n_per_class = as_count(n_per_class, "n_per_class", minimum=1)
    num_classes = as_count(num_classes, "num_classes", minimum=2)
    noise = _noise_level(noise, "noise")
    gen = _generator(rng)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), num_classes)
    start = 4.0 * np.repeat(np.arange(num_classes), n_per_class)
    angle = start + np.tile(np.linspace(0.0, 4.0, n_per_class), num_classes)
    angle = angle + gen.normal(0.0, noise, size=angle.shape)
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    y = np.repeat(np.arange(num_classes, dtype=np.int64), n_per_class)
    return _shuffled(X, y, gen)


def _bumps(x: np.ndarray) -> np.ndarray:
    """Five Gaussian bumps of different heights and signs (width 0.12)."""
    centers = np.array([-0.7, -0.3, 0.1, 0.5, 0.8])
    heights = np.array([0.8, -0.5, 1.0, -0.7, 0.4])
    return np.sum(heights * np.exp(-(((x - centers) / 0.12) ** 2)), axis=1, keepdims=True)


def regression_1d(
    kind: str = "sine", n: int = 200, noise: float = 0.0, rng: np.random.Generator | int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A one-dimensional target function sampled on an even grid over [-1, 1].

    Kinds:

    - ``"sine"``: ``y = sin(pi x)``, one smooth period.
    - ``"step"``: ``y = 0`` for ``x < 0`` and ``1`` for ``x >= 0``, a jump to approximate.
    - ``"bumpy"``: a sum of five narrow Gaussian bumps, which needs many hidden units.

    Parameters
    ----------
    kind : str
        One of ``"sine"``, ``"step"``, ``"bumpy"``.
    n : int
        Number of points, at least 1.
    noise : float
        Standard deviation of Gaussian noise added to ``y``, >= 0 (0 gives the exact function).
    rng : int, np.random.Generator or None
        Seed or generator for the noise.

    Returns
    -------
    x : np.ndarray, shape (n, 1), float64
        Inputs, sorted from -1 to 1 (so ``plt.plot(x, y)`` draws the curve).
    y : np.ndarray, shape (n, 1), float64
        Targets.

    Used in: notebooks/11-universal-approximation.ipynb
    """
    if not isinstance(kind, str) or kind not in REGRESSION_KINDS:
        valid = ", ".join(repr(k) for k in REGRESSION_KINDS)
        raise ValueError(f"kind must be one of {valid}, got {kind!r}")
    n = as_count(n, "n", minimum=1)
    noise = _noise_level(noise, "noise")
    gen = _generator(rng)
    x = np.linspace(-1.0, 1.0, n).reshape(n, 1)
    if kind == "sine":
        y = np.sin(np.pi * x)
    elif kind == "step":
        y = (x >= 0.0).astype(np.float64)
    else:
        y = _bumps(x)
    return x, y + gen.normal(0.0, noise, size=y.shape)


@functools.cache
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Read the shipped digits file once; the arrays are read-only so the cache stays intact."""
    if not DIGITS_PATH.exists():
        raise FileNotFoundError(
            f"bplab's digits file is missing ({DIGITS_PATH}); reinstall bplab (pip install -e .)"
        )
    with np.load(DIGITS_PATH) as archive:
        X = archive["images"].astype(np.float64) / 16.0
        y = archive["labels"].astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits (1,797 images, 10 classes), read from a file shipped with bplab.

    Each row is one 8x8 grayscale image flattened row by row; ``X[i].reshape(8, 8)`` shows it.
    Pixels were counts 0..16 and are divided by 16. Source: UCI "Optical Recognition of
    Handwritten Digits" (E. Alpaydin, C. Kaynak, CC BY 4.0); see ``bplab/datasets/README.md``.

    Returns
    -------
    X : np.ndarray, shape (1797, 64), float64
        Pixel intensities in [0, 1]. A fresh copy on every call: changing it is safe.
    y : np.ndarray, shape (1797,), int64
        The digit shown, 0 .. 9.

    Used in: notebooks/08-mlp-on-real-data.ipynb, notebooks/09b-batch-normalization.ipynb,
    notebooks/10-noise-and-generalization.ipynb, notebooks/10b-dropout-and-data-augmentation.ipynb
    """
    X, y = _digits_arrays()
    return X.copy(), y.copy()


def train_test_split(
    X, y, test_size: float = 0.25, stratify: bool = True, rng: np.random.Generator | int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split examples at random into a training set and a test set.

    With ``stratify=True`` each class is split separately, so both parts keep the class
    proportions of ``y`` (each class within one example of its exact share).

    Parameters
    ----------
    X : array_like, shape (N, ...)
        Inputs, one row per example (usually (N, D)).
    y : array_like, shape (N,) or (N, ...)
        Targets; integer class labels of shape (N,) when ``stratify=True``.
    test_size : float
        Fraction of examples in the test set, strictly between 0 and 1 (rounded to a whole
        number of examples, at least one in each part).
    stratify : bool
        Keep class proportions (classification) or not (e.g. regression targets).
    rng : int, np.random.Generator or None
        Seed or generator.

    Returns
    -------
    X_train : np.ndarray, shape (N - N_test, ...)
    X_test : np.ndarray, shape (N_test, ...)
    y_train : np.ndarray, shape (N - N_test, ...)
    y_test : np.ndarray, shape (N_test, ...)
        Rows in random order.

    Used in: notebooks/08-mlp-on-real-data.ipynb, notebooks/09b-batch-normalization.ipynb,
    notebooks/10-noise-and-generalization.ipynb, notebooks/10b-dropout-and-data-augmentation.ipynb
    """
    X = as_array(X, "X")
    if X.ndim == 0:
        raise ValueError(f"X must have one row per example, shape (N, D), got shape {X.shape}")
    if not isinstance(stratify, (bool, np.bool_)):
        raise TypeError(
            "stratify must be True or False (bplab stratifies by y itself), "
            f"got {type(stratify).__name__}"
        )
    if stratify:
        y = as_labels(y, "y")
    else:
        y = np.asarray(y)
        if y.ndim == 0:
            raise ValueError(f"y must have one entry per example, got shape {y.shape}")
    check_same_length(X, y, "X", "y")
    test_size = as_number(test_size, "test_size")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be strictly between 0 and 1, got {test_size}")
    num_examples = len(y)
    if num_examples < 2:
        raise ValueError(f"X and y need at least 2 examples to split, got {num_examples}")
    gen = _generator(rng)
    num_test = min(max(round(test_size * num_examples), 1), num_examples - 1)

    if stratify:
        classes = np.unique(y)
        members = [gen.permutation(np.flatnonzero(y == c)) for c in classes]
        share = np.array([test_size * len(m) for m in members])
        counts = np.floor(share).astype(int)
        # Largest remainder: the classes with the biggest leftover fractions get one more test
        # example each until the total is num_test (ties in random order).
        order = gen.permutation(len(classes))
        order = order[np.argsort(-(share - counts)[order], kind="stable")]
        counts[order[: num_test - counts.sum()]] += 1
        test_idx = np.concatenate([m[:k] for m, k in zip(members, counts)])
        train_idx = np.concatenate([m[k:] for m, k in zip(members, counts)])
        test_idx = gen.permutation(test_idx)
        train_idx = gen.permutation(train_idx)
    else:
        order = gen.permutation(num_examples)
        test_idx, train_idx = order[:num_test], order[num_test:]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def add_label_noise(
    y, fraction: float, num_classes: int | None = None, rng: np.random.Generator | int | None = 0
) -> np.ndarray:
    """Return a copy of ``y`` in which a given fraction of labels is changed to a wrong class.

    Exactly ``round(fraction * N)`` examples, chosen at random, get a different label, drawn
    uniformly from the other classes. ``y`` itself is not changed.

    Parameters
    ----------
    y : array_like, shape (N,)
        Integer class labels.
    fraction : float
        Fraction of labels to corrupt, between 0 and 1.
    num_classes : int or None
        Number of classes C (at least 2); None means ``y.max() + 1``.
    rng : int, np.random.Generator or None
        Seed or generator.

    Returns
    -------
    y_noisy : np.ndarray, shape (N,), int64
        Labels in 0 .. C-1.

    Used in: notebooks/10-noise-and-generalization.ipynb, notebooks/10b-dropout-and-data-augmentation.ipynb
    """
    y = as_labels(y, "y")
    if y.size == 0:
        raise ValueError("y must hold at least one label, got an empty array")
    fraction = as_number(fraction, "fraction", minimum=0.0)
    if fraction > 1.0:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    if num_classes is None:
        num_classes = int(y.max()) + 1
        if num_classes < 2:
            raise ValueError(
                "num_classes must be at least 2 to flip labels; "
                f"y only holds 0..{num_classes - 1}, so pass num_classes"
            )
    else:
        num_classes = as_count(num_classes, "num_classes", minimum=2)
    y = as_labels(y, "y", num_classes=num_classes)
    gen = _generator(rng)
    num_flips = round(fraction * len(y))
    flip = gen.choice(len(y), size=num_flips, replace=False)
    y_noisy = y.copy()
    # Adding 1 .. C-1 modulo C always lands on another class, each equally likely.
    y_noisy[flip] = (y[flip] + gen.integers(1, num_classes, size=num_flips)) % num_classes
    return y_noisy


def add_input_noise(X, std: float, rng: np.random.Generator | int | None = 0) -> np.ndarray:
    """Return a copy of ``X`` with independent Gaussian noise added to every entry.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Inputs (any shape works; the noise has the same shape).
    std : float
        Standard deviation of the noise, >= 0.
    rng : int, np.random.Generator or None
        Seed or generator.

    Returns
    -------
    X_noisy : np.ndarray, same shape as X, float
        ``X + noise``; ``X`` itself is not changed.

    Used in: notebooks/10-noise-and-generalization.ipynb, notebooks/10b-dropout-and-data-augmentation.ipynb
    """
    X = as_array(X, "X")
    std = _noise_level(std, "std")
    gen = _generator(rng)
    noise = gen.normal(0.0, std, size=X.shape)
    return X + noise.astype(X.dtype, copy=False)


def minibatches(num_examples: int, batch_size: int, rng: np.random.Generator | int | None = 0) -> list[np.ndarray]:
    """The mini-batches of one epoch: a random order of the examples, cut into batches of `batch_size`.

    Every example is in exactly one batch; the last batch is smaller when `batch_size` does not divide
    `num_examples`, so an epoch takes ``ceil(num_examples / batch_size)`` steps. `bplab.optim.fit` walks
    through its data this way, one epoch after another (a new order each time).

    Parameters
    ----------
    num_examples : int
        N, the number of examples (at least 1).
    batch_size : int
        B, the number of examples per batch (at least 1; B >= N gives one batch, the whole set).
    rng : int, np.random.Generator or None
        Seed or generator; a generator's state advances, so calling again gives the next epoch's order.

    Returns
    -------
    list of np.ndarray, each of shape (B,) (the last one possibly shorter), int
        The indices of the examples of each batch, in the order the steps take them.

    Examples
    --------
    >>> [batch.tolist() for batch in minibatches(5, 2, rng=0)]
    [[2, 4], [3, 0], [1]]

    Used in: notebooks/05b-stochastic-gradient-descent.ipynb, notebooks/05d-your-engine-trains-a-network.ipynb
    """
    num_examples = as_count(num_examples, "num_examples")
    batch_size = as_count(batch_size, "batch_size")
    order = _generator(rng).permutation(num_examples)
    return [order[start : start + batch_size] for start in range(0, num_examples, batch_size)]


def standardize(X_train, *others, eps: float = 1e-2) -> tuple[np.ndarray, ...]:
    """Scale features to zero mean and unit spread, using statistics of the training set only.

    Parameters
    ----------
    X_train : array_like, shape (N, D)
        The data the mean and standard deviation come from.
    *others : array_like, shape (M, D)
        More sets (test, validation) scaled with the same statistics.
    eps : float
        Added to each standard deviation, so constant features (blank pixel corners) stay finite.

    Returns
    -------
    tuple of np.ndarray
        ``(X_train_scaled, *others_scaled)``, shapes unchanged.

    Used in: notebooks/05-loss-and-gradient-descent.ipynb,
    notebooks/05c-momentum-adam-and-standardized-inputs.ipynb, notebooks/05d-your-engine-trains-a-network.ipynb,
    notebooks/16-backprop-in-perspective.ipynb
    """
    X_train = as_array(X_train, "X_train", ndim=2)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + eps
    scaled = [(X_train - mean) / std]
    for i, X in enumerate(others):
        X = as_array(X, f"others[{i}]", ndim=2)
        if X.shape[1] != X_train.shape[1]:
            raise ValueError(f"others[{i}] must have {X_train.shape[1]} features like X_train, got {X.shape[1]}")
        scaled.append((X - mean) / std)
    return tuple(scaled)


def shift_images(X, image_shape: tuple[int, int], max_shift: int = 1,
                 rng: np.random.Generator | int | None = 0) -> np.ndarray:
    """Return a copy of ``X`` in which every image is moved by a random whole number of pixels (data augmentation).

    Each image moves by ``(dy, dx)``, each drawn uniformly from ``-max_shift .. max_shift`` (so it may also stay
    where it is); pixels pushed over the edge are lost and the uncovered edge is filled with 0 (the background of the
    digits). A digit moved by a pixel is still the same digit: the label stays.

    Parameters
    ----------
    X : array_like, shape (N, H * W)
        Images flattened row by row, as `load_digits` gives them.
    image_shape : (int, int)
        (H, W), e.g. (8, 8).
    max_shift : int
        Largest move in each direction, at least 0 and less than the image's size.
    rng : int, np.random.Generator or None
        Seed or generator.

    Returns
    -------
    X_shifted : np.ndarray, shape (N, H * W), float
        ``X`` itself is not changed.

    Used in: notebooks/10b-dropout-and-data-augmentation.ipynb
    """
    X = as_array(X, "X", ndim=2)
    if (not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2
            or not all(isinstance(s, (int, np.integer)) and s > 0 for s in image_shape)):
        raise TypeError(f"image_shape must be a pair of positive integers (H, W), got {image_shape!r}")
    H, W = int(image_shape[0]), int(image_shape[1])
    if X.shape[1] != H * W:
        raise ValueError(f"X must hold images of {H} x {W} = {H * W} pixels per row, got shape {X.shape}")
    max_shift = as_count(max_shift, "max_shift", minimum=0)
    if max_shift >= min(H, W):
        raise ValueError(f"max_shift must be smaller than the image ({H} x {W}), got {max_shift}")
    gen = _generator(rng)
    images = X.reshape(-1, H, W)
    shifted = np.zeros_like(images)
    moves = gen.integers(-max_shift, max_shift + 1, size=(len(X), 2))
    for i, (dy, dx) in enumerate(moves):
        source = images[i, max(0, -dy) : H - max(0, dy), max(0, -dx) : W - max(0, dx)]
        shifted[i, max(0, dy) : max(0, dy) + source.shape[0], max(0, dx) : max(0, dx) + source.shape[1]] = source
    return shifted.reshape(len(X), H * W)
