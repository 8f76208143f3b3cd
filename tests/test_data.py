"""Tests for bplab.data: shapes, seeding, stratified splits, the shipped digits, noise, input checks."""

import numpy as np
import pytest

from bplab import data

CLASSIFICATION = {
    "moons": (data.moons, {"n": 51}, 51, 2),
    "circles": (data.circles, {"n": 51}, 51, 2),
    "spiral": (data.spiral, {"n_per_class": 17, "num_classes": 4}, 68, 4),
}


# --- generators -----------------------------------------------------------------------------


def test_xor_is_the_truth_table():
    X, y = data.xor()
    assert X.shape == (4, 2) and X.dtype == np.float64
    assert y.shape == (4,) and y.dtype == np.int64
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(np.int64))


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_shapes_dtypes_and_balance(name):
    make, kwargs, n, num_classes = CLASSIFICATION[name]
    X, y = make(**kwargs)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=num_classes)
    assert len(counts) == num_classes
    assert counts.max() - counts.min() <= 1
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_is_shuffled(name):
    make, kwargs, _, _ = CLASSIFICATION[name]
    _, y = make(**kwargs)
    # The first fifth of the rows must not all come from one class.
    assert len(np.unique(y[: len(y) // 5])) > 1


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_seeding(name):
    make, kwargs, _, _ = CLASSIFICATION[name]
    X1, y1 = make(**kwargs, rng=3)
    X2, y2 = make(**kwargs, rng=3)
    X3, _ = make(**kwargs, rng=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)


def test_generator_rng_is_used_and_advances():
    gen = np.random.default_rng(7)
    X1, _ = data.moons(rng=gen)
    X2, _ = data.moons(rng=gen)
    X3, _ = data.moons(rng=np.random.default_rng(7))
    np.testing.assert_array_equal(X1, X3)
    assert not np.allclose(X1, X2)


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, y = data.moons(n=40, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(upper[:, 1] >= -1e-12) and np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_circles_without_noise_have_the_two_radii():
    X, y = data.circles(n=30, noise=0.0, factor=0.3)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_spiral_points_stay_in_the_unit_disc():
    X, _ = data.spiral(noise=0.5)
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-12)


@pytest.mark.parametrize("kind", ["sine", "step", "bumpy"])
def test_regression_1d_shapes_and_grid(kind):
    x, y = data.regression_1d(kind, n=33)
    assert x.shape == (33, 1) and y.shape == (33, 1)
    assert x.dtype == np.float64 and y.dtype == np.float64
    np.testing.assert_allclose(x[:, 0], np.linspace(-1.0, 1.0, 33))
    assert np.ptp(y) > 0.5  # a real curve, not a constant


def test_regression_1d_values():
    x, y = data.regression_1d("sine", n=21)
    np.testing.assert_allclose(y, np.sin(np.pi * x))
    x, y = data.regression_1d("step", n=21)
    np.testing.assert_array_equal(y, (x >= 0).astype(float))


def test_regression_1d_noise_is_seeded_and_has_the_right_size():
    x, clean = data.regression_1d("bumpy", n=2000)
    _, noisy1 = data.regression_1d("bumpy", n=2000, noise=0.2, rng=1)
    _, noisy2 = data.regression_1d("bumpy", n=2000, noise=0.2, rng=1)
    _, noisy3 = data.regression_1d("bumpy", n=2000, noise=0.2, rng=2)
    np.testing.assert_array_equal(noisy1, noisy2)
    assert not np.allclose(noisy1, noisy3)
    assert abs(np.std(noisy1 - clean) - 0.2) < 0.02


# --- digits ---------------------------------------------------------------------------------


def test_digits_shape_range_and_classes():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    # Pixels were counts 0..16, divided by 16.
    np.testing.assert_array_equal(X * 16, np.round(X * 16))
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.sum() == 1797
    assert counts.min() >= 170


def test_digits_returns_copies_so_the_cache_stays_intact():
    X, y = data.load_digits()
    X[:] = -1.0
    y[:] = 99
    X2, y2 = data.load_digits()
    assert X2.min() == 0.0 and X2.max() == 1.0
    assert y2.max() == 9


def test_nearest_centroid_reads_the_digits():
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, rng=0)
    centroids = np.stack([X_train[y_train == k].mean(axis=0) for k in range(10)])
    distances = ((X_test[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    accuracy = np.mean(distances.argmin(axis=1) == y_test)
    assert accuracy > 0.85
    # Shuffled labels must fail: the accuracy comes from images matching their labels.
    y_shuffled = np.random.default_rng(0).permutation(y_train)
    centroids = np.stack([X_train[y_shuffled == k].mean(axis=0) for k in range(10)])
    distances = ((X_test[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    assert np.mean(distances.argmin(axis=1) == y_test) < 0.3


# --- train_test_split -----------------------------------------------------------------------


def _imbalanced(n_per_class=(50, 30, 7, 13)):
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    X = np.arange(len(y) * 3, dtype=float).reshape(len(y), 3)
    return X, y


@pytest.mark.parametrize("test_size", [0.1, 0.25, 0.33, 0.5, 0.9])
def test_split_is_stratified(test_size):
    X, y = _imbalanced()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=test_size, rng=5)
    assert len(y_test) == round(test_size * len(y))
    for c, n_c in enumerate(np.bincount(y)):
        assert abs(np.sum(y_test == c) - test_size * n_c) <= 1
        assert np.sum(y_train == c) + np.sum(y_test == c) == n_c


def test_split_partitions_the_rows_and_keeps_pairs():
    X, y = _imbalanced()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, rng=1)
    rows = np.vstack([X_train, X_test])
    # Every row appears exactly once.
    np.testing.assert_array_equal(np.sort(rows[:, 0]), X[:, 0])
    # Each row keeps its own label.
    index = (np.concatenate([X_train[:, 0], X_test[:, 0]]) / 3).astype(int)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), y[index])


def test_split_seeding():
    X, y = _imbalanced()
    first = data.train_test_split(X, y, rng=2)
    second = data.train_test_split(X, y, rng=2)
    other = data.train_test_split(X, y, rng=3)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], other[1])


def test_split_unstratified_works_for_regression_targets():
    x, t = data.regression_1d("sine", n=40)
    x_train, x_test, t_train, t_test = data.train_test_split(x, t, test_size=0.25, stratify=False)
    assert x_train.shape == (30, 1) and x_test.shape == (10, 1)
    assert t_train.shape == (30, 1) and t_test.shape == (10, 1)
    np.testing.assert_allclose(t_test, np.sin(np.pi * x_test))


def test_split_keeps_both_parts_non_empty():
    X, y = np.zeros((3, 2)), np.array([0, 1, 0])
    X_train, X_test, _, _ = data.train_test_split(X, y, test_size=0.01)
    assert len(X_test) == 1 and len(X_train) == 2


# --- noise ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.37, 1.0])
def test_label_noise_flips_the_requested_fraction(fraction):
    _, y = data.spiral(n_per_class=100, num_classes=3)
    y_noisy = data.add_label_noise(y, fraction, rng=4)
    assert y_noisy.shape == y.shape and y_noisy.dtype == np.int64
    assert np.sum(y_noisy != y) == round(fraction * len(y))
    assert y_noisy.min() >= 0 and y_noisy.max() <= 2


def test_label_noise_leaves_input_alone_and_is_seeded():
    y = np.repeat(np.arange(5), 40)
    before = y.copy()
    a = data.add_label_noise(y, 0.5, rng=1)
    b = data.add_label_noise(y, 0.5, rng=1)
    c = data.add_label_noise(y, 0.5, rng=2)
    np.testing.assert_array_equal(y, before)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_label_noise_reaches_every_other_class():
    y = np.zeros(3000, dtype=np.int64)
    y_noisy = data.add_label_noise(y, 1.0, num_classes=4, rng=0)
    counts = np.bincount(y_noisy, minlength=4)
    assert counts[0] == 0
    assert np.all(np.abs(counts[1:] - 1000) < 100)


def test_input_noise_size_seeding_and_copy():
    X = np.ones((500, 4))
    noisy = data.add_input_noise(X, 0.3, rng=0)
    again = data.add_input_noise(X, 0.3, rng=0)
    other = data.add_input_noise(X, 0.3, rng=1)
    assert noisy.shape == X.shape and noisy.dtype == np.float64
    np.testing.assert_array_equal(X, 1.0)
    np.testing.assert_array_equal(noisy, again)
    assert not np.allclose(noisy, other)
    assert abs(np.std(noisy - X) - 0.3) < 0.02
    np.testing.assert_array_equal(data.add_input_noise(X, 0.0), X)


# --- input checks ---------------------------------------------------------------------------

X4, Y4 = np.zeros((4, 2)), np.array([0, 1, 0, 1])

BAD_INPUTS = [
    (lambda: data.moons(n=0), ValueError, "n must be at least 2"),
    (lambda: data.moons(n=2.5), TypeError, "n must be an integer"),
    (lambda: data.moons(noise=-0.1), ValueError, "noise must be at least 0"),
    (lambda: data.moons(noise=float("nan")), ValueError, "noise must be finite"),
    (lambda: data.moons(rng="seed"), TypeError, "rng must be"),
    (lambda: data.circles(n=-3), ValueError, "n must be at least 2"),
    (lambda: data.circles(noise=float("inf")), ValueError, "noise must be finite"),
    (lambda: data.circles(factor=1.0), ValueError, "factor must be strictly between 0 and 1"),
    (lambda: data.circles(factor=0), ValueError, "factor must be strictly between 0 and 1"),
    (lambda: data.spiral(n_per_class=0), ValueError, "n_per_class must be at least 1"),
    (lambda: data.spiral(num_classes=1), ValueError, "num_classes must be at least 2"),
    (lambda: data.spiral(num_classes=True), TypeError, "num_classes must be an integer"),
    (lambda: data.spiral(noise=-1), ValueError, "noise must be at least 0"),
    (lambda: data.regression_1d("cosine"), ValueError, "kind must be one of 'sine', 'step', 'bumpy'"),
    (lambda: data.regression_1d(n=0), ValueError, "n must be at least 1"),
    (lambda: data.regression_1d(noise=-0.5), ValueError, "noise must be at least 0"),
    (lambda: data.train_test_split(X4, Y4[:3]), ValueError, "X and y must have the same length"),
    (lambda: data.train_test_split(X4, Y4, test_size=0), ValueError, "test_size must be strictly"),
    (lambda: data.train_test_split(X4, Y4, test_size=1.0), ValueError, "test_size must be strictly"),
    (lambda: data.train_test_split(X4, Y4, test_size=-0.2), ValueError, "test_size must be strictly"),
    (lambda: data.train_test_split(X4, Y4, test_size="0.2"), TypeError, "test_size must be a real"),
    (lambda: data.train_test_split(X4, Y4, stratify=Y4), TypeError, "stratify must be True or False"),
    (lambda: data.train_test_split(X4, Y4 + 0.5), TypeError, "y must hold integer class labels"),
    (lambda: data.train_test_split("abc", Y4), TypeError, "X must be an array of numbers"),
    (lambda: data.train_test_split(X4[:1], Y4[:1]), ValueError, "need at least 2 examples"),
    (lambda: data.add_label_noise(Y4, -0.1), ValueError, "fraction must be at least 0"),
    (lambda: data.add_label_noise(Y4, 1.5), ValueError, "fraction must be between 0 and 1"),
    (lambda: data.add_label_noise(Y4, float("nan")), ValueError, "fraction must be finite"),
    (lambda: data.add_label_noise(Y4, 0.5, num_classes=1), ValueError, "num_classes must be at least 2"),
    (lambda: data.add_label_noise(np.zeros(4, int), 0.5), ValueError, "num_classes must be at least 2"),
    (lambda: data.add_label_noise(Y4, 0.5, num_classes=2.0), TypeError, "num_classes must be an integer"),
    (lambda: data.add_label_noise(Y4 + 3, 0.5, num_classes=2), ValueError, "y must hold labels in 0..1"),
    (lambda: data.add_label_noise(Y4.reshape(2, 2), 0.5), ValueError, "y must be a 1-D array"),
    (lambda: data.add_label_noise([], 0.5), ValueError, "y must hold at least one label"),
    (lambda: data.add_input_noise(X4, -1.0), ValueError, "std must be at least 0"),
    (lambda: data.add_input_noise(X4, float("inf")), ValueError, "std must be finite"),
    (lambda: data.add_input_noise(X4, None), TypeError, "std must be a real number"),
    (lambda: data.add_input_noise(None, 0.1), TypeError, "X must be an array of numbers"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_INPUTS, ids=[m for _, _, m in BAD_INPUTS])
def test_bad_inputs_raise_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_standardize_uses_training_statistics_only():
    from bplab.data import standardize

    rng = np.random.default_rng(0)
    X_train, X_test = rng.normal(5.0, 3.0, (200, 3)), rng.normal(5.0, 3.0, (50, 3))
    train_scaled, test_scaled = standardize(X_train, X_test, eps=0.0)
    np.testing.assert_allclose(train_scaled.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(train_scaled.std(axis=0), 1.0)
    np.testing.assert_allclose(test_scaled, (X_test - X_train.mean(axis=0)) / X_train.std(axis=0))
    constant = np.ones((10, 2))
    assert np.all(np.isfinite(standardize(constant)[0]))
    with pytest.raises(ValueError, match=r"others\[0\] must have 3 features like X_train, got 2"):
        standardize(X_train, np.ones((4, 2)))
