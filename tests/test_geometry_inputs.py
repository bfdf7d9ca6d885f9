"""Geometries that once crashed ``run`` after ``check`` passed: an empty collection, a
polygon-and-point collection, XYZM, NaN vertices, a ring of two points. One such village
is kept (measured from its seat, else no_data) with a warning naming its row; the
answers of the others do not move."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely import wkt

sys.path.insert(0, str(Path(__file__).parent / "bad_inputs"))

import build_geometry as bg  # noqa: E402
from build import villages  # noqa: E402
from county_files import write_county  # noqa: E402

from cli import main  # noqa: E402
from gis import geometry, io  # noqa: E402
from layers.pipeline import assess  # noqa: E402
from layers.profile import load_profile  # noqa: E402

CODES = ["522326100201", "522326100202", "522326100203", "522326100204", "522326100205"]
ROAD = ["meets", "no_data", "fails", "meets", "no_data"]          # as tests/test_pipeline.py
SEATS = ["seat", "seat", "polygon", "polygon", "none"]


def _set(p: Path, row: int, geom) -> None:
    def change(v):
        geoms = v.geometry.to_numpy().copy()
        geoms[row] = geom(geoms[row]) if callable(geom) else geom
        return v.set_geometry(gpd.GeoSeries(geoms, crs=v.crs))
    villages(p, change)


def _assess(p: Path):
    result = assess(load_profile(p))
    v = result.villages
    assert list(v["village_code"]) == CODES        # every village, once, in order
    return v.set_index("village_code"), result.inputs.findings


def _only(findings, check: str):
    found = [f for f in findings if f.check == check]
    assert len(found) == 1, [str(f) for f in findings]
    return found[0]


def test_polygon_and_point_collection_keeps_the_polygon(tmp_path):
    p = write_county(tmp_path)
    _set(p, 0, lambda polygon: shapely.GeometryCollection([polygon, shapely.Point(104.0, 25.0)]))
    v, findings = _assess(p)
    warning = _only(findings, "geometry_collection")
    assert warning.row == 1 and "(row 1)" in str(warning) and "only the polygon parts are kept" in str(warning)
    assert list(v["road_verdict"]) == ROAD and list(v["seat_source"]) == SEATS
    assert v.loc[CODES[0], "water_share"] == pytest.approx(0.6, abs=1e-6)   # the polygon, not the point, measured
    result = CliRunner().invoke(main, ["-qq", "run", str(p), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_empty_collection_is_a_village_without_boundary(tmp_path):
    p = write_county(tmp_path)
    _set(p, 3, wkt.loads("GEOMETRYCOLLECTION EMPTY"))   # D, no seat: what PostGIS ST_Intersection gives
    v, findings = _assess(p)
    assert v.loc[CODES[3], "seat_source"] == "none"
    assert set(v.loc[CODES[3], ["road_verdict", "net4g_verdict", "fibre_verdict"]]) == {"no_data"}
    assert list(v["road_verdict"][:3]) == ROAD[:3]
    assert CODES[3] in str(_only(findings, "empty_geometry"))


def test_xyzm_villages_measure_as_flat_ones(tmp_path):
    base = _assess(write_county(tmp_path / "flat"))[0]
    p = write_county(tmp_path / "zm")
    zm = [None if g is None else wkt.loads(wkt.dumps(shapely.force_3d(g, 250.0)).replace(" Z ", " ZM ")
                                           .replace(" 250", " 250 7")) for g in
          gpd.read_file(p.parent / "villages.gpkg").geometry]
    bg.villages_wkb(p, lambda frame, wkb: [None if g is None else shapely.to_wkb(g, flavor="iso", output_dimension=4)
                                           for g in zm])
    assert shapely.has_m(io.read_vector(p.parent / "villages.gpkg").geometry.dropna()).all()   # M is in the file
    v, _ = _assess(p)
    for column in ("road_verdict", "water_verdict", "clinic_verdict", "net4g_verdict", "fibre_verdict", "seat_source"):
        assert list(v[column]) == list(base[column]), column
    np.testing.assert_allclose(v["water_share"].to_numpy(dtype=float), base["water_share"].to_numpy(dtype=float))


def test_nan_vertex_village_is_measured_from_its_seat(tmp_path):
    p = write_county(tmp_path)
    _set(p, 0, bg.with_nan)
    v, findings = _assess(p)
    warning = _only(findings, "non_finite")
    assert warning.row == 1 and "1 village has a coordinate that is not a number" in str(warning)
    assert "kept without a boundary" in str(warning)
    # A keeps its seat: its road (400 m away) still meets; its share of water has no polygon to measure
    assert v.loc[CODES[0], "seat_source"] == "seat" and v.loc[CODES[0], "road_verdict"] == "meets"
    assert v.loc[CODES[0], "road_hardened_m"] == pytest.approx(400, abs=0.01)
    assert np.isnan(v.loc[CODES[0], "water_share"])
    assert list(v["road_verdict"][1:]) == ROAD[1:]


def test_two_point_ring_names_its_row_and_the_file_is_read(tmp_path):
    p = write_county(tmp_path)
    bg.villages_wkb(p, lambda frame, wkb: [*wkb[:3], bg.two_point_ring(frame.geometry[3]), wkb[4]])
    v, findings = _assess(p)
    warning = _only(findings, "malformed_geometry")
    assert warning.row == 4 and "(row 4)" in str(warning) and "a ring of fewer than 4 points" in str(warning)
    assert v.loc[CODES[3], "seat_source"] == "none" and v.loc[CODES[3], "road_verdict"] == "no_data"
    assert list(v["road_verdict"][:3]) == ROAD[:3]


def test_broken_hole_keeps_the_outer_ring(tmp_path):
    p = write_county(tmp_path)

    def with_broken_hole(frame, wkb):
        x0, y0, x1, y1 = shapely.bounds(frame.geometry[0])
        outer = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        hole = [(x0 + (x1 - x0) / 4, y0 + (y1 - y0) / 4), (x0 + (x1 - x0) / 2, y0 + (y1 - y0) / 2)]
        return [bg.polygon_wkb(outer, hole), *wkb[1:]]
    bg.villages_wkb(p, with_broken_hole)
    v, findings = _assess(p)
    assert _only(findings, "malformed_geometry").row == 1
    assert v.loc[CODES[0], "water_share"] == pytest.approx(0.6, abs=1e-3)   # the whole square, measured


def test_bow_tie_is_repaired_and_named(tmp_path):
    p = write_county(tmp_path)
    _set(p, 1, lambda square: shapely.Polygon(shapely.get_coordinates(square)[[0, 2, 1, 3, 0]]))
    v, findings = _assess(p)
    assert _only(findings, "invalid_geometry").row == 2
    assert list(v["seat_source"]) == SEATS


def test_one_road_cut_off_is_a_warning_naming_it(tmp_path):
    p = write_county(tmp_path)
    shx = np.frombuffer((tmp_path / "roads.shx").read_bytes()[100:], dtype=">i4").reshape(-1, 2)
    shp = tmp_path / "roads.shp"
    shp.write_bytes(shp.read_bytes()[:int(shx[4, 0]) * 2])   # R5 (not hardened) lost
    v, findings = _assess(p)
    warning = _only(findings, "truncated_file")
    assert warning.row == 5 and "beyond the end of the .shp file" in str(warning)
    assert list(v["road_verdict"]) == ROAD


def test_check_reports_each_geometry_by_row(tmp_path):
    p = write_county(tmp_path)
    _set(p, 0, lambda polygon: shapely.GeometryCollection([polygon, shapely.Point(104.0, 25.0)]))
    result = CliRunner().invoke(main, ["check", str(p)])
    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if "geometry collection" in line)
    assert line.startswith("warning: ") and "villages.gpkg layer 'villages': 1 village is a geometry" in line
    assert "(row 1)" in line


# --- the parts on their own -------------------------------------------------------------

def test_clean_sorts_each_kind_of_trouble():
    geoms = np.array([wkt.loads(t) for t in [
        "GEOMETRYCOLLECTION EMPTY",
        "GEOMETRYCOLLECTION (POLYGON ((0 0, 1 0, 1 1, 0 0)), POINT (5 5))",
        "POLYGON ZM ((0 0 1 2, 1 0 1 2, 1 1 1 2, 0 0 1 2))",
        "POLYGON ((0 0, 2 2, 2 0, 0 2, 0 0))",
        "GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 0, 1 1))",
        "POLYGON ((0 0, 1 1, 0 0))",
        "POLYGON ((0 0, 1 0, 1 1, 0 0))",
    ]] + [shapely.Polygon([(0, 0), (1, 0), (1, 1), (0, 0)]), None], dtype=object)
    geoms[7] = shapely.set_coordinates(geoms[7], np.array([[0, 0], [np.nan, 0], [1, 1], [0, 0]], dtype=float))
    c = geometry.clean(geoms, {2})
    assert c.geoms[0] is None and c.geoms[8] is None
    assert c.geoms[1].equals(wkt.loads("POLYGON ((0 0, 1 0, 1 1, 0 0))"))
    assert not shapely.has_z(c.geoms[2]) and not shapely.has_m(c.geoms[2])
    assert c.geoms[3].geom_type == "MultiPolygon" and c.geoms[3].area == pytest.approx(2.0)
    assert list(np.flatnonzero(c.mixed)) == [1]
    assert list(np.flatnonzero(c.lacking)) == [4]
    assert list(np.flatnonzero(c.repaired)) == [3]
    assert list(np.flatnonzero(c.collapsed)) == [5]
    assert list(np.flatnonzero(c.non_finite)) == [7]
    assert list(np.flatnonzero(c.broken)) == [4, 5, 7]
    assert c.geoms[6].equals(geoms[6])   # a sound one is left as it is


def test_water_collection_keeps_the_higher_dimension():
    geoms = np.array([wkt.loads("GEOMETRYCOLLECTION (POINT (9 9), POLYGON ((0 0, 1 0, 1 1, 0 0)))"),
                      wkt.loads("GEOMETRYCOLLECTION (POINT (9 9), LINESTRING (0 0, 1 1))")], dtype=object)
    c = geometry.clean(geoms, {0, 2})
    assert c.geoms[0].geom_type == "Polygon" and c.geoms[1].equals(shapely.Point(9, 9))
    assert list(c.mixed) == [True, True]


@pytest.mark.parametrize("driver,suffix", [("GPKG", "gpkg"), ("GeoJSON", "geojson"), ("FlatGeobuf", "fgb"),
                                           ("ESRI Shapefile", "shp")])
def test_one_broken_ring_leaves_the_file_readable(tmp_path, driver, suffix):
    frame = gpd.GeoDataFrame({"code": ["a", "b", "c"]}, geometry=[None] * 3, crs="EPSG:4490")
    good = bg.polygon_wkb([(0, 0), (1, 0), (1, 1), (0, 0)])
    bg.write_wkb(tmp_path / f"v.{suffix}", frame, [good, bg.polygon_wkb([(0, 0), (1, 1)]), good], driver=driver)
    read = io.read_vector(tmp_path / f"v.{suffix}")
    assert list(read["code"]) == ["a", "b", "c"]
    assert list(io.malformed_rows(read)) == [1]
    assert io.MALFORMED not in read.attrs
    assert read.geometry[0].area == pytest.approx(0.5) and read.geometry[2].area == pytest.approx(0.5)
