"""Numba kernels: the multi-window passes equal the single-window kernels bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from rdq.factors import _kernels as K


def _values(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = np.array([1, 2, 7, 40, 130, 3])
    x = rng.normal(0, 50, lengths.sum()) + 1000.0
    x[rng.random(x.size) < 0.1] = np.nan
    x[rng.random(x.size) < 0.1] = 1000.0  # runs of identical values (std exactly 0)
    x[5:9] = np.nan  # a window with no valid value
    return x, K.group_starts(lengths)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rolling_sums_equal_single_window_sums(seed: int) -> None:
    x, starts = _values(seed)
    windows = np.array([0, 1, 3, 5, 20, 60, 500], dtype=np.int64)
    for mean in (False, True):
        together = K.rolling_sums(x, starts, windows, mean)
        assert together.shape == (windows.size, x.size)
        for row, w in zip(together, windows, strict=True):
            assert np.array_equal(row, K.rolling_sum(x, starts, int(w), mean), equal_nan=True), (w, mean)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rolling_stds_equal_single_window_stds(seed: int) -> None:
    x, starts = _values(seed)
    windows = np.array([0, 2, 5, 20, 60], dtype=np.int64)
    for squared in (False, True):
        together = K.rolling_stds(x, starts, windows, 1, squared)
        for row, w in zip(together, windows, strict=True):
            assert np.array_equal(row, K.rolling_std(x, starts, int(w), 1, squared), equal_nan=True), (w, squared)


def test_rolling_sum_and_std_hand_checked() -> None:
    x = np.array([1.0, 2.0, np.nan, 4.0, 4.0, 4.0])
    starts = np.array([0, 6])
    sums = K.rolling_sums(x, starts, np.array([2, 3], dtype=np.int64), False)
    np.testing.assert_array_equal(sums[0], [1.0, 3.0, 2.0, 4.0, 8.0, 8.0])
    np.testing.assert_array_equal(sums[1], [1.0, 3.0, 3.0, 6.0, 8.0, 12.0])
    stds = K.rolling_stds(x, starts, np.array([3], dtype=np.int64), 1, False)[0]
    np.testing.assert_allclose(stds, [np.nan, np.sqrt(0.5), np.sqrt(0.5), np.sqrt(2.0), 0.0, 0.0])
