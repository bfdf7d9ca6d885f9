"""Coordinates as counties send them: CGCS2000 and its Gauss-Krüger zones with and
without the zone number, Xian 1980, Beijing 1954, WGS84; zone mismatches reported with
the EPSG code that fits; swapped latitude/longitude; GCJ-02 and BD-09 point tables."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from county_files import write_county
from gis.chinacrs import gcj02_to_wgs84
from layers.checks import Findings
from layers.inputs import load_inputs
from layers.profile import load_profile
from layers.sources import POINTS, _read_source


@pytest.fixture
def county(tmp_path):
    return write_county(tmp_path / "county")


def villages_in(profile, written: str, declared: str | None = None) -> None:
    path = profile.parent / "villages.gpkg"
    frame = gpd.read_file(path, layer="villages").to_crs(written)
    if declared:
        frame = frame.set_crs(declared, allow_override=True)
    path.unlink()
    frame.to_file(path, layer="villages", engine="pyogrio")


def check_json(profile):
    result = CliRunner().invoke(main, ["check", str(profile), "--format", "json"])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


# The hand-drawn villages lie near 105°E: 3-degree zone 35 / CM 105E, 6-degree zone 18 / CM 105E.
@pytest.mark.parametrize("epsg", [4490, 4523, 4544, 4496, 4507, 4610, 2359, 2380, 4214, 21418, 21458, 4326])
def test_every_common_crs_reads_to_the_same_distances(county, epsg):
    villages_in(county, f"EPSG:{epsg}")
    code, report = check_json(county)
    assert code == 0, report["errors"]
    inputs = load_inputs(load_profile(county))
    areas = inputs.villages.geometry.area.to_numpy()[:2]
    np.testing.assert_allclose(areas, [1e6, 1e6], rtol=2e-3)  # datum shifts of ~100 m move, not shrink


@pytest.mark.parametrize("written, declared, hint", [
    (4544, 4523, "EPSG:4544"),      # eastings without zone number, .prj with it
    (4523, 4544, "EPSG:4523"),      # zone number in the eastings, .prj without
    (4522, 4523, "EPSG:4522"),      # wrong zone: written in zone 34 (CM 102E), declared zone 35
    (4496, 4507, "EPSG:4496"),      # 6-degree zone 18
    (2370 + 10, 2349 + 10, "EPSG:2380"),   # Xian 1980
    (21418, 21458, "EPSG:21418"),   # Beijing 1954
    (4523, 4490, "EPSG:4523"),      # projected numbers in a longitude/latitude file
])
def test_coordinates_that_do_not_fit_the_declared_zone(county, written, declared, hint):
    villages_in(county, f"EPSG:{written}", f"EPSG:{declared}")
    code, report = check_json(county)
    assert code == 1
    [error] = [item for item in report["errors"] if "villages.gpkg" in item["text"]]
    assert hint in error["text"], error["text"]
    assert "do not fit" in error["text"] or "not longitude/latitude" in error["text"]


def test_swapped_latitude_and_longitude_columns(county):
    seats = pd.read_csv(county.parent / "seats.csv", dtype={"code": str})
    seats = seats.rename(columns={"lon": "lat", "lat": "lon"})
    seats.to_csv(county.parent / "seats.csv", index=False)
    code, report = check_json(county)
    assert code == 1
    [error] = [item for item in report["errors"] if "seats.csv" in item["text"]]
    assert "x column 'lon' looks like latitude" in error["text"] and "swap seats.x and seats.y" in error["text"]


def _points_profile(tmp_path, assume: str):
    (tmp_path / "pts.csv").write_text(
        "name,lon,lat\nP,116.41024449916938,39.91640428150164\nQ,116.41036949371029,39.92133699351021\n",
        encoding="utf-8")
    (tmp_path / "p.toml").write_text(f"""
[villages]
path = "none.gpkg"
[villages.columns]
code = "c"
name = "n"
township_code = "t"
township_name = "tn"
[network.fibre]
path = "pts.csv"
x = "lon"
y = "lat"
assume_crs = "{assume}"
""", encoding="utf-8")
    return load_profile(tmp_path / "p.toml").layer("fibre").source


def test_gcj02_points_become_wgs84_before_any_measurement(tmp_path):
    frame = _read_source(_points_profile(tmp_path, "GCJ-02"), POINTS, [], Findings())
    assert frame.crs.to_epsg() == 4326
    # P is the published wgs84togcj02(116.404, 39.915) of wandergis/coordtransform
    assert frame.geometry.x.iloc[0] == pytest.approx(116.404, abs=1e-8)
    assert frame.geometry.y.iloc[0] == pytest.approx(39.915, abs=1e-8)


def test_bd09_points_become_wgs84(tmp_path):
    frame = _read_source(_points_profile(tmp_path, "BD-09"), POINTS, [], Findings())
    # Q is the published gcj02tobd09(116.404, 39.915): back to GCJ-02 (116.404, 39.915), then to WGS84
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    # (the BD-09 inverse is the published approximate one: within 1e-6 degrees, a tenth of a metre)
    assert frame.geometry.x.iloc[1] == pytest.approx(float(lon), abs=2e-6)
    assert frame.geometry.y.iloc[1] == pytest.approx(float(lat), abs=2e-6)
    assert abs(frame.geometry.x.iloc[1] - 116.41036949371029) > 0.01  # really moved (about 1 km)


def test_wgs84_points_are_not_shifted(tmp_path):
    frame = _read_source(_points_profile(tmp_path, "EPSG:4326"), POINTS, [], Findings())
    assert frame.geometry.x.iloc[0] == pytest.approx(116.41024449916938, abs=1e-12)


def test_a_layer_in_the_wrong_zone_without_zone_number_gets_the_zone_that_fits(county):
    # roads written in CM 105E (EPSG:4544) but labelled CM 108E (EPSG:4545): 300 km east of the villages
    roads = gpd.read_file(county.parent / "roads.shp", encoding="GBK").to_crs("EPSG:4544")
    roads = roads.set_crs("EPSG:4545", allow_override=True)
    roads.to_file(county.parent / "roads.gpkg", engine="pyogrio")
    text = county.read_text(encoding="utf-8").replace('path = "roads.shp"\nencoding = "GBK"', 'path = "roads.gpkg"')
    county.write_text(text, encoding="utf-8")
    code, report = check_json(county)
    assert code == 1
    [error] = [item for item in report["errors"] if "roads.gpkg" in item["text"]]
    assert "does not overlap the villages" in error["text"]
    assert "its coordinates fit EPSG:4544 (CGCS2000 / 3-degree Gauss-Kruger CM 105E)" in error["text"]


@pytest.mark.parametrize("target", ["EPSG:4490", "EPSG:4326", "EPSG:3857", "EPSG:4547"])
def test_reprojecting_on_threads_gives_the_coordinates_of_to_crs(monkeypatch, target):
    """gis.crs.reproject, used for every input, the result table and the maps: the same
    frame as ``to_crs`` (coordinates bit for bit, columns, index, None and empty rows),
    one transformer per thread."""
    import pyproj
    import shapely
    from shapely.geometry import Point, Polygon

    from gis import crs, geometry

    if geometry.THREADS == 1:
        pytest.fail("this test needs two cores")   # CI runs there: never skipped silently
    rng = np.random.default_rng(3)
    x, y = rng.uniform(400_000, 600_000, 3000), rng.uniform(2_900_000, 3_100_000, 3000)
    shapes = list(shapely.buffer(shapely.points(x, y), rng.uniform(50, 500, 3000), quad_segs=24))
    shapes[7], shapes[11], shapes[12] = None, Polygon(), Point(500_000, 3_000_000)
    frame = gpd.GeoDataFrame({"code": [f"v{i}" for i in range(3000)]}, geometry=shapes, crs="EPSG:32649",
                             index=pd.RangeIndex(3000) * 2)
    assert shapely.get_num_coordinates(frame.geometry.values).sum() > crs._THREADED_FROM
    made = []
    monkeypatch.setattr(crs, "Transformer", type("Spy", (), {"from_crs": staticmethod(
        lambda *a, **k: made.append(a) or pyproj.Transformer.from_crs(*a, **k))}))
    monkeypatch.setattr(crs, "_SLICE", 20_000)   # about 15 slices of rows, taken by both threads
    for given in (frame, frame.geometry):
        ours, theirs = crs.reproject(given, target), given.to_crs(target)
        assert type(ours) is type(theirs) and ours.crs == theirs.crs and ours.index.equals(theirs.index)
        assert np.array_equal(shapely.get_coordinates(ours.geometry.values),
                              shapely.get_coordinates(theirs.geometry.values))
        assert list(shapely.get_type_id(ours.geometry.values)) == list(shapely.get_type_id(theirs.geometry.values))
        assert ours.geometry.iloc[7] is None and ours.geometry.iloc[11].is_empty
    assert len(made) == 2 * geometry.THREADS   # the threaded path, both times, a transformer a thread
    assert ours.name == frame.geometry.name and list(crs.reproject(frame, target).columns) == ["code", "geometry"]
    # consume: the same answer, and the frame given is left without its geometries (let go as moved)
    given = frame.copy()
    given[given.geometry.name] = gpd.GeoSeries(frame.geometry.to_numpy().copy(), index=frame.index, crs=frame.crs)
    eaten = crs.reproject(given, target, consume=True)
    assert np.array_equal(shapely.get_coordinates(eaten.geometry.values), shapely.get_coordinates(theirs.geometry.values))
    assert eaten.geometry.isna().sum() == 1 and given.geometry.isna().all() and frame.geometry.notna().sum() == 2999
