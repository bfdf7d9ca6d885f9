"""The gap list ordered from its sort keys alone (gaps.gap_list) is the table pandas'
sort gives: per standard, the most registered-poor first, then the larger population,
then the lower code, a missing figure last."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def _gap_list_by_sorting(villages: pd.DataFrame) -> pd.DataFrame:
    """The gap list as pandas sorts it (what gaps.gap_list did before it sorted the keys alone)."""
    from layers.gaps import GAP_COLUMNS, VILLAGE_KEYS
    from layers.verdicts import STANDARDS
    parts = []
    for s in STANDARDS:
        hit = villages[villages[f"{s.key}_verdict"] == "fails"]
        parts.append(pd.DataFrame({**{key: hit[key].to_numpy() for key in VILLAGE_KEYS}, "standard": s.key,
                                   "bureau": s.bureau, "verdict": "fails", "value": hit[s.value_column].to_numpy(float),
                                   "value_column": s.value_column, "reason": hit[f"{s.key}_reason"].to_numpy(),
                                   "poor_population": hit["poor_population"].to_numpy(float),
                                   "population": hit["population"].to_numpy(float)}))
    gaps = pd.concat(parts, ignore_index=True).sort_values(
        ["standard", "poor_population", "population", "village_code"], ascending=[True, False, False, True],
        na_position="last", kind="mergesort")
    gaps["priority"] = gaps.groupby("standard").cumcount() + 1
    order = {s.key: i for i, s in enumerate(STANDARDS)}
    gaps = gaps.sort_values(["standard", "priority"], key=lambda c: c.map(order) if c.name == "standard" else c,
                            kind="mergesort")
    return gaps[GAP_COLUMNS].reset_index(drop=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gap_list_ordered_on_its_keys_alone_is_the_sorted_table(seed):
    from layers import gaps
    from layers.verdicts import STANDARDS
    rng = np.random.default_rng(seed)
    n = 3000
    villages = pd.DataFrame({
        "village_code": pd.array([f"5223{i:08d}" for i in rng.permutation(n)], dtype="string"),
        "village_name": pd.array([None if i % 17 == 0 else f"村{i % 50}" for i in range(n)], dtype="string"),
        "township_code": pd.array([f"522326{i % 9:03d}" for i in range(n)], dtype="string"),
        "township_name": pd.array([f"镇{i % 9}" for i in range(n)], dtype="string"),
        # ties and missing figures, so that every key decides somewhere
        "poor_population": np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 30, n).astype(float)),
        "population": np.where(rng.random(n) < 0.1, np.nan, rng.integers(100, 130, n).astype(float))})
    for s in STANDARDS:
        villages[f"{s.key}_verdict"] = rng.choice(["fails", "meets", "no_data", "basic"], n)
        villages[s.value_column] = np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 1000)
        villages[f"{s.key}_reason"] = pd.array([f"reason {i}, {s.key}" for i in range(n)], dtype="string")
    got = gaps.gap_list(villages)
    pd.testing.assert_frame_equal(got, _gap_list_by_sorting(villages), check_dtype=False)
    assert got["priority"].max() > 400 and got["poor_population"].isna().any()
