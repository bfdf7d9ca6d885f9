"""gis/chinacrs against the values published by the wandergis/coordtransform project for
(116.404, 39.915), and the invariants of the iterative inverse."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.chinacrs import bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, out_of_china, wgs84_to_gcj02

POINT = (116.404, 39.915)


def test_wgs84_to_gcj02_published_value():
    lon, lat = wgs84_to_gcj02(*POINT)
    assert (float(lon), float(lat)) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-12)


def test_gcj02_to_bd09_published_value():
    lon, lat = gcj02_to_bd09(*POINT)
    assert (float(lon), float(lat)) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-12)


def test_bd09_to_gcj02_published_value():
    lon, lat = bd09_to_gcj02(*POINT)
    assert (float(lon), float(lat)) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-12)


def test_gcj02_to_wgs84_is_close_to_the_published_one_step_value_and_exact_on_round_trip():
    lon, lat = gcj02_to_wgs84(*POINT)
    assert (float(lon), float(lat)) == pytest.approx((116.39775550083061, 39.91359571849836), abs=1e-5)
    # ... but it is the better inverse: the one-step value does not go back to the input this well
    back = wgs84_to_gcj02(lon, lat)
    assert np.abs(np.array(back) - np.array(POINT)).max() < 1e-8
    one_step = wgs84_to_gcj02(116.39775550083061, 39.91359571849836)
    assert np.abs(np.array(one_step) - np.array(POINT)).max() > 1e-7


def test_vectorised_and_identity_outside_china():
    lon = np.array([116.404, 2.35, 106.08])
    lat = np.array([39.915, 48.85, 25.19])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert glon.shape == (3,)
    assert (glon[1], glat[1]) == (2.35, 48.85)  # Paris: out of China, unchanged
    assert out_of_china(lon, lat).tolist() == [False, True, False]
    assert glon[0] == pytest.approx(116.41024449916938, abs=1e-12)
    assert 100 < (glon[2] - lon[2]) * 111_000 < 1000  # a few hundred metres in Guizhou
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < 1e-8 and np.abs(wlat - lat).max() < 1e-8


@settings(max_examples=200, deadline=None)
@given(st.floats(74.0, 135.0), st.floats(4.0, 53.5))
def test_round_trips(lon, lat):
    wlon, wlat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert abs(float(wlon) - lon) < 1e-8 and abs(float(wlat) - lat) < 1e-8
    glon, glat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert abs(float(glon) - lon) < 1e-5 and abs(float(glat) - lat) < 1e-5
