"""bplab.data.shift_images: each image moves by whole pixels, the edge fills with 0, X is untouched."""

import numpy as np
import pytest

from bplab.data import load_digits, shift_images


def test_each_image_moves_by_at_most_max_shift_pixels_and_keeps_what_stays_inside():
    X = np.random.default_rng(0).uniform(0.1, 1.0, (200, 20))  # 4 x 5 images without zeros
    original = X.copy()
    shifted = shift_images(X, (4, 5), max_shift=1, rng=1)
    np.testing.assert_array_equal(X, original)
    moves = set()
    for image, moved in zip(X.reshape(-1, 4, 5), shifted.reshape(-1, 4, 5)):
        found = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                 if np.array_equal(moved[max(0, dy):4 + min(0, dy), max(0, dx):5 + min(0, dx)],
                                   image[max(0, -dy):4 - max(0, dy), max(0, -dx):5 - max(0, dx)])]
        assert len(found) == 1
        dy, dx = found[0]
        moves.add((dy, dx))
        assert np.count_nonzero(moved == 0) == 20 - (4 - abs(dy)) * (5 - abs(dx))  # the uncovered edge is 0
    assert len(moves) == 9  # every move in -1..1 x -1..1 happens, staying put included


def test_digits_keep_most_of_their_ink_when_moved_by_one_pixel():
    X, _ = load_digits()
    kept = shift_images(X, (8, 8), rng=0).sum(axis=1) / X.sum(axis=1)
    # the digits nearly fill their 8 x 8 box: a one-pixel move loses some ink at the edge (notebook 10b says so)
    assert 0.9 < kept.mean() < 0.95 and kept.min() > 0.6
    np.testing.assert_array_equal(shift_images(X[:5], (8, 8), max_shift=0), X[:5])


@pytest.mark.parametrize("call, error, match", [
    (lambda: shift_images(np.ones((2, 10)), (3, 3)), ValueError, r"3 x 3 = 9 pixels per row, got shape \(2, 10\)"),
    (lambda: shift_images(np.ones((2, 9)), (3, 3), max_shift=3), ValueError, "smaller than the image"),
    (lambda: shift_images(np.ones((2, 9)), 9), TypeError, r"pair of positive integers \(H, W\)"),
    (lambda: shift_images(np.ones(9), (3, 3)), ValueError, "2-D array"),
])
def test_bad_input_raises_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
