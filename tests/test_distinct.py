"""numpy's answers by quicker ways: distinct indices by sorting give what ``np.unique``
gives (numpy 2.3 and later hash first, several times slower), single integers and pairs,
keys that would overflow included; finite rows a column at a time what
``all(axis=1)`` gives."""

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


def test_finite_rows_is_numpys_all_over_each_row():
    rng = np.random.default_rng(21)
    for columns in (2, 4):
        values = rng.uniform(-1e6, 1e6, (5000, columns))
        spots = rng.integers(0, 5000, 300), rng.integers(0, columns, 300)
        values[spots] = rng.choice([np.nan, np.inf, -np.inf], 300)
        expected = np.isfinite(values).all(axis=1)
        assert np.array_equal(geometry.finite_rows(values), expected)
        assert 0 < (~expected).sum() < 300 + 1 and set(np.flatnonzero(~expected)) == set(spots[0])
