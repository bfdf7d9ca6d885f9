"""Distinct indices by sorting give what ``np.unique`` gives (numpy 2.3 and later hash
first, several times slower): single integers and pairs, keys that would overflow
included."""

from __future__ import annotations

import numpy as np
import pytest

from gis import geometry


@pytest.mark.parametrize("high", [5, 400_000, 2 ** 40])
def test_distinct_by_sorting_is_numpy_unique(high):
    rng = np.random.default_rng(high)
    a, b = rng.integers(0, high, 50_000), rng.integers(0, high, 50_000)
    assert np.array_equal(geometry.distinct(a), np.unique(a))
    got = geometry.distinct_pairs(a, b)   # at 2**40 the keys would overflow: numpy's own way
    expected = np.unique(np.c_[a, b], axis=0)
    assert np.array_equal(got[0], expected[:, 0]) and np.array_equal(got[1], expected[:, 1])
    assert len(got[0]) < 50_000 if high == 5 else len(got[0]) > 49_000
    empty = geometry.distinct_pairs(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert len(geometry.distinct(np.zeros(0, dtype=np.int64))) == 0 and all(len(x) == 0 for x in empty)
