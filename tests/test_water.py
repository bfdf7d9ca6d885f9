"""Known answers for the drinking-water standard on the hand-drawn villages."""

import numpy as np
import pytest

from hand_drawn import CODES, frame, inputs, square
from layers.standards import water
from layers.standards.water import WaterRules


def projects(rows):
    geoms = [r.pop("geometry") for r in rows]
    out = frame(rows, geoms)
    out["served_codes"] = out["served_codes"].map(frozenset)
    out["quality_ok"] = out["quality_ok"].astype("boolean")
    return out


@pytest.fixture
def layer():
    return projects([
        # P1 covers A's seat and 60% of A (x 0..600); all four indicators meet.
        dict(name="P1", served_codes=[], lpcd=40.0, reliability_pct=96.0, quality_ok=True, access_min=5.0,
             geometry=square(0, 0, 600, 1000)),
        # P2 lists B by code; 25 lpcd is only "basic".
        dict(name="P2", served_codes=[CODES["B"]], lpcd=25.0, reliability_pct=99.0, quality_ok=True,
             access_min=np.nan, geometry=square(5000, 5000, 5100, 5100)),
        # P3 and P4 overlap over D (no seat): together they cover 2000..2800 (80%) but the
        # overlap 2300..2500 must be counted once. P3 fails quality.
        dict(name="P3", served_codes=[], lpcd=50.0, reliability_pct=99.0, quality_ok=False, access_min=5.0,
             geometry=square(2000, 0, 2500, 1000)),
        dict(name="P4", served_codes=[], lpcd=np.nan, reliability_pct=np.nan, quality_ok=None, access_min=np.nan,
             geometry=square(2300, 0, 2800, 1000)),
        # P5 covers 30% of C's main square, below the 50% share.
        dict(name="P5", served_codes=[], lpcd=40.0, reliability_pct=99.0, quality_ok=True, access_min=5.0,
             geometry=square(0, 2000, 300, 3000)),
    ])


def test_share_counts_overlaps_once(layer):
    share = water.service_share(inputs(water=layer))
    # A: 600 x 1000 of 1e6. B: 0. C: 300 x 1000 of (1e6 + 200 x 200). D: 800 x 1000 (not 1000 x 1000).
    np.testing.assert_allclose(share.to_numpy()[:4], [0.6, 0.0, 300_000 / 1_040_000, 0.8])
    assert np.isnan(share.iloc[4])


def test_project_grades_four_indicator_rule(layer):
    grades = water.project_grades(layer, WaterRules())
    assert list(grades) == ["meets", "basic", "fails", "no_data", "meets"]


def test_verdicts_known_answers(layer):
    out = water.assess(inputs(water=layer), WaterRules(min_share=0.5), "en")
    # A: seat covered by P1 -> meets. B: listed by P2 -> basic. C: 29% < 50% -> fails.
    # D: 80% -> served by P3 (fails) and P4 (no_data): best recorded grade is fails. E: nothing.
    assert list(out["water_verdict"]) == ["meets", "basic", "fails", "fails", "no_data"]
    assert list(out["water_project"][:2]) == ["P1", "P2"]
    assert out["water_reason"].iloc[2] == ("no water-supply project serves the village; 28.8% of its area in "
                                           "service areas, limit 50%, and no project lists it")
    zh = water.assess(inputs(water=layer), WaterRules(min_share=0.5))   # Chinese by default
    assert list(zh["water_verdict"]) == list(out["water_verdict"])
    assert zh["water_reason"].iloc[2] == "没有供水工程服务本村：村域只有 28.8% 在供水范围内，低于 50%，也没有工程把本村列为受益村"


def test_only_unrecorded_project_gives_no_data(layer):
    out = water.assess(inputs(water=layer.iloc[[3]].reset_index(drop=True)), WaterRules(min_share=0.5), "en")
    # P4 alone covers D 2300..2800 = 50%: served, but nothing recorded -> no_data.
    assert out["water_verdict"].iloc[3] == "no_data"
    assert "not recorded" in out["water_reason"].iloc[3]


def test_without_status_columns_served_means_meets(layer):
    bare = layer[["name", "served_codes", "geometry"]]
    out = water.assess(inputs(water=bare), WaterRules(min_share=0.5))
    assert list(out["water_verdict"][:4]) == ["meets", "meets", "fails", "meets"]


def test_raising_min_share_never_turns_fail_into_pass(layer):
    low = water.assess(inputs(water=layer), WaterRules(min_share=0.2))
    high = water.assess(inputs(water=layer), WaterRules(min_share=0.9))
    assert low["water_verdict"].iloc[2] == "meets"   # 29% >= 20%: served by P5
    assert high["water_verdict"].iloc[3] == "fails"  # 80% < 90%: D not served
    assert (high["water_verdict"] != "meets").sum() >= (low["water_verdict"] != "meets").sum()
