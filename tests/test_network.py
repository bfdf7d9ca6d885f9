"""Known answers for 4G coverage and fibre on the hand-drawn villages."""

import numpy as np
import pandas as pd
import pytest

from hand_drawn import frame, inputs, point, square
from layers.standards import fibre as fibre_standard
from layers.standards import net4g
from layers.standards import NetworkRules


@pytest.fixture
def coverage():
    cells = frame([{"technology": t} for t in ("4G", "5G", "3G", None)], [
        square(0, 0, 950, 1000),        # 4G: 95% of A, its seat inside
        square(900, 0, 1600, 1000),     # 5G overlaps the 4G cell over 900..950 and covers B's seat
        square(1500, 0, 2500, 1000),    # 3G: not counted
        square(2900, 0, 3100, 200),     # technology unknown, touches D
    ])
    cells["counts"] = pd.Series([True, True, False, pd.NA], dtype="boolean")
    return cells


def test_share_and_seat_known_answers(coverage):
    data = inputs(coverage=coverage)
    mask = coverage["counts"].fillna(False).to_numpy(dtype=bool)
    share = net4g.coverage_share(data, mask)
    # A: 0..1000 (the 4G/5G overlap 900..950 counted once) = 100%; B: 1000..1600 = 60%; C, D: 0.
    np.testing.assert_allclose(share.to_numpy()[:4], [1.0, 0.6, 0.0, 0.0])
    seat = net4g.seat_covered(data, mask)
    assert list(seat[:2]) == [True, True] and seat[2:].isna().all()


def test_4g_verdicts(coverage):
    out = net4g.assess_4g(inputs(coverage=coverage), NetworkRules(min_share=0.9), "en")
    # A: seat covered, 100% -> meets. B: seat inside the 5G cell, 60% -> basic.
    # C: nothing -> fails. D: unknown-technology cell overlaps -> no_data. E: no origin.
    assert list(out["net4g_verdict"]) == ["meets", "basic", "fails", "no_data", "no_data"]
    assert out["net4g_reason"].iloc[1] == "seat inside 4G coverage, but only 60.0% of the area covered (limit 90%)"
    zh = net4g.assess_4g(inputs(coverage=coverage), NetworkRules(min_share=0.9))
    assert zh["net4g_reason"].iloc[1] == "村委会在4G覆盖范围内，但村域只有 60.0% 有覆盖，低于 90%"


def test_4g_share_limit_inclusive(coverage):
    out = net4g.assess_4g(inputs(coverage=coverage), NetworkRules(min_share=0.6))
    assert out["net4g_verdict"].iloc[1] == "meets"


def test_fibre_distances_and_near_misses():
    fibre = frame([{"name": "F1"}, {"name": "F2"}], [point(500, 1450), point(2500, -1001)])
    data = inputs(fibre=fibre)
    out = fibre_standard.assess_fibre(data, NetworkRules(fibre_max_distance_m=1000), "en")
    # A: seat (500,500) to F1 = 950. B: seat (1500,500) to F1 = hypot(1000, 950) = 1379.3.
    # C: polygon bottom (y=2000) to F1 = 550. D: polygon bottom (y=0) to F2 = 1001.
    np.testing.assert_allclose(out["fibre_nearest_m"].to_numpy()[:4], [950, np.hypot(1000, 950), 550, 1001])
    assert list(out["fibre_verdict"]) == ["meets", "fails", "meets", "fails", "no_data"]
    assert out["fibre_reason"].iloc[3] == "nearest fibre access point 1,001 m from the village boundary; limit 1,000 m"
    zh = fibre_standard.assess_fibre(data, NetworkRules(fibre_max_distance_m=1000))
    assert zh["fibre_reason"].iloc[3] == "最近的光纤接入点距村界 1,001 米，超过限值 1,000 米"
