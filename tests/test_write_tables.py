"""The tables a run writes are those of the plain way of writing them: every CSV byte for
byte what ``DataFrame.to_csv(index=False, encoding="utf-8-sig")`` writes, and the
GeoPackage, read back, holding the same layers, columns, types, values, geometries,
CRS and spatial indexes as one written layer by layer with ``pyogrio.write_dataframe``."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.make_country import make_country
from county_files import write_county
from gis import child, csvfile, io
from gis.errors import OutputError
from layers import pipeline
from layers.pipeline import _plain, _write_tables, assess
from layers.profile import load_profile

DIVISIONS = Path(__file__).parent / "data" / "divisions"
CSVS = ("villages.csv", "gaps.csv", "no_data.csv", "townships.csv", "consistency.csv")


def _reference_csv(path: Path, frame: pd.DataFrame) -> None:
    if isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def _reference_tables(result, folder: Path) -> None:
    """What a run wrote before the tables were written the fast way."""
    folder.mkdir()
    villages = _plain(result.villages)
    layers = {"villages": villages, "gaps": result.gaps, "no_data": result.no_data,
              "townships": result.townships, "consistency": result.consistency}
    for name, frame in layers.items():
        empty_geo = isinstance(frame, gpd.GeoDataFrame) and len(frame) == 0
        pyogrio.write_dataframe(frame, folder / "coverage.gpkg", layer=name, driver="GPKG",
                                **({"geometry_type": "Unknown"} if empty_geo else {}))
    for name, frame in zip(CSVS, (villages, result.gaps, result.no_data, result.townships, result.consistency)):
        _reference_csv(folder / name, frame)


def _gpkg_catalogue(path: Path) -> dict:
    """The GeoPackage's own tables about its layers (timestamps left out) and its schema."""
    with sqlite3.connect(path) as db:
        return {
            "contents": db.execute("SELECT table_name, data_type, identifier, description, min_x, min_y, "
                                   "max_x, max_y, srs_id FROM gpkg_contents ORDER BY table_name").fetchall(),
            "geometry_columns": db.execute("SELECT * FROM gpkg_geometry_columns ORDER BY table_name").fetchall(),
            "extensions": db.execute("SELECT * FROM gpkg_extensions ORDER BY table_name, extension_name").fetchall(),
            "counts": db.execute("SELECT * FROM gpkg_ogr_contents ORDER BY table_name").fetchall(),
            "schema": db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall(),
            "rtree_rows": {name: db.execute(f'SELECT * FROM "{name}" ORDER BY id').fetchall()
                           for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                     "AND name LIKE 'rtree_%' AND sql LIKE '%VIRTUAL%'")},
        }


def _assert_same_gpkg(got: Path, expected: Path) -> None:
    assert pyogrio.list_layers(got).tolist() == pyogrio.list_layers(expected).tolist()
    assert _gpkg_catalogue(got) == _gpkg_catalogue(expected)
    for layer, _ in pyogrio.list_layers(expected):
        info_got, info_expected = pyogrio.read_info(got, layer=layer), pyogrio.read_info(expected, layer=layer)
        for key in ("crs", "fields", "dtypes", "geometry_type", "features", "total_bounds"):
            assert np.array_equal(np.asarray(info_got[key]), np.asarray(info_expected[key])), (layer, key)
        a = pyogrio.read_dataframe(got, layer=layer)
        b = pyogrio.read_dataframe(expected, layer=layer)
        if isinstance(b, gpd.GeoDataFrame):
            assert a.crs == b.crs
            assert shapely.to_wkb(a.geometry.to_numpy()).tolist() == shapely.to_wkb(b.geometry.to_numpy()).tolist()
            a, b = pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def _results(tmp_path_factory):
    country = tmp_path_factory.mktemp("country")
    make_country(country, 600, seed=3, divisions=DIVISIONS)
    county = write_county(tmp_path_factory.mktemp("county"))
    return {"country": assess(load_profile(country / "profile.toml")), "county": assess(load_profile(county))}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return _results(tmp_path_factory)


@pytest.mark.parametrize(("which", "block"), [("country", None), ("county", None), ("country", 7)])
def test_tables_are_those_of_the_plain_writers(results, which, block, tmp_path, monkeypatch):
    # block: the GeoPackage layers written a few rows at a time (a national run: 50,000)
    if block:
        monkeypatch.setattr(io, "GPKG_ROWS", block)
    result = results[which]
    assert len(result.gaps) and len(result.no_data)   # the comparison covers every table with rows
    _reference_tables(result, tmp_path / "expected")
    (tmp_path / "got").mkdir()
    _write_tables(result, tmp_path / "got")
    for name in CSVS:
        assert (tmp_path / "got" / name).read_bytes() == (tmp_path / "expected" / name).read_bytes(), name
    _assert_same_gpkg(tmp_path / "got" / "coverage.gpkg", tmp_path / "expected" / "coverage.gpkg")
    with sqlite3.connect(tmp_path / "got" / "coverage.gpkg") as db:   # QGIS finds a spatial index per layer
        indexed = {row[0] for row in db.execute("SELECT table_name FROM gpkg_extensions "
                                                "WHERE extension_name = 'gpkg_rtree_index'")}
    assert indexed == {"villages", "townships", "consistency"}


@pytest.mark.parametrize("how", ["child", "no fork", "too few villages", "more villages, room under the peak",
                                 "more villages, no room under the peak"])
def test_csvs_are_written_by_a_child_while_the_geopackage_is_written_here(results, how, tmp_path, monkeypatch):
    """Two processes where fork is available for runs of FORK_ABOVE to FORK_UP_TO villages
    (the window moved around these 600), and for more where a child keeps within the
    process's peak memory so far; one otherwise: the same files either way."""
    fork = how in ("child", "more villages, room under the peak")
    if fork and not child.fork_available():
        pytest.fail("this test needs Linux and two cores (fork)")   # CI runs there: never skipped silently
    monkeypatch.setattr(pipeline, "FORK_ABOVE", 600 if how == "too few villages" else 0)
    monkeypatch.setattr(pipeline, "FORK_UP_TO", 599 if how.startswith("more villages") else 200_000)
    if how == "no fork":
        monkeypatch.setattr(child, "fork_available", lambda: False)
    if how == "more villages, room under the peak":   # a peak well above what the process holds now
        buffer = bytearray(int(child._resident_mb() * pipeline.CSV_CHILD_SHARE * 2) << 20)
        buffer[::4096] = b"x" * len(range(0, len(buffer), 4096))   # each page touched
        del buffer
    if how == "more villages, no room under the peak":   # a child as large as 50 of these processes
        monkeypatch.setattr(pipeline, "CSV_CHILD_SHARE", 50.0)
    writers = tmp_path / "writers.txt"
    plain_csv, plain_gpkg = csvfile.write_csv, io.write_gpkg_layers

    def noted(kind, plain):
        def write(path, *args):
            with open(writers, "a", encoding="ascii") as fh:   # the child's notes too: a file, not a list
                fh.write(f"{kind} {Path(path).name} {os.getpid()}\n")
            plain(path, *args)
        return write

    monkeypatch.setattr(csvfile, "write_csv", noted("csv", plain_csv))
    monkeypatch.setattr(io, "write_gpkg_layers", noted("gpkg", plain_gpkg))
    result = results["country"]
    _reference_tables(result, tmp_path / "expected")
    (tmp_path / "got").mkdir()
    extra_mb, extra_cpu = _write_tables(result, tmp_path / "got")
    assert (extra_mb >= 0 and extra_cpu > 0) if fork else (extra_mb, extra_cpu) == (0.0, 0.0)
    for name in CSVS:
        assert (tmp_path / "got" / name).read_bytes() == (tmp_path / "expected" / name).read_bytes(), name
    _assert_same_gpkg(tmp_path / "got" / "coverage.gpkg", tmp_path / "expected" / "coverage.gpkg")
    notes = [line.split() for line in writers.read_text(encoding="ascii").splitlines()]
    assert sorted(name for _, name, _ in notes) == sorted([*CSVS, "coverage.gpkg"])
    here = str(os.getpid())
    assert {pid for kind, _, pid in notes if kind == "gpkg"} == {here}
    csv_pids = {pid for kind, _, pid in notes if kind == "csv"}
    assert len(csv_pids) == 1 and (csv_pids != {here}) == fork


def test_a_csv_the_child_cannot_write_is_one_error_naming_it(results, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "FORK_ABOVE", 0)
    (tmp_path / "gaps.csv").mkdir()   # in the way of the file
    with pytest.raises(OutputError, match=r"gaps\.csv: cannot be written"):
        _write_tables(results["county"], tmp_path)


@pytest.mark.parametrize("geoms", [
    ["POLYGON ((0 0, 1 0, 1 1, 0 0))", "POLYGON ((2 0, 3 0, 3 1, 2 0))", None, "POLYGON EMPTY",
     "MULTIPOLYGON (((5 5, 6 5, 6 6, 5 5)), ((7 7, 8 7, 8 8, 7 7)))", "POLYGON ((9 9, 10 9, 10 10, 9 9))"],
    ["POINT (0 0)", "POINT (1 1)", "LINESTRING (0 0, 1 1)", None, "POINT (2 2)"],
    ["POINT Z (0 0 1)", "POINT Z (1 1 2)", None, "POINT Z (2 2 3)"],
    ["LINESTRING (0 0, 1 1)", "LINESTRING (1 1, 2 2)", "GEOMETRYCOLLECTION EMPTY", "MULTILINESTRING ((3 3, 4 4))"],
])
@pytest.mark.parametrize("arrow", [True, False])
def test_layers_written_in_blocks_are_one_plain_write(geoms, arrow, tmp_path, monkeypatch):
    # the first block may hold only single polygons (or points) while a later one holds a
    # multi or another kind: the layer's type is the whole frame's, as one write makes it;
    # through GDAL's Arrow writer or not (the vertices allowed per text cell moved)
    monkeypatch.setattr(io, "GPKG_ROWS", 2)
    monkeypatch.setattr(io, "ARROW_VERTICES_PER_TEXT", 10**9 if arrow else 0)
    frame = gpd.GeoDataFrame({"n": range(len(geoms)), "name": [f"v{i}" for i in range(len(geoms))]},
                             geometry=gpd.GeoSeries.from_wkt(geoms), crs="EPSG:4490")
    assert io.through_arrow(frame) == arrow
    io.write_gpkg_layers(tmp_path / "got.gpkg", {"villages": frame, "gaps": pd.DataFrame({"a": range(5)})})
    for name, table in {"villages": frame, "gaps": pd.DataFrame({"a": range(5)})}.items():
        pyogrio.write_dataframe(table, tmp_path / "expected.gpkg", layer=name, driver="GPKG")
    _assert_same_gpkg(tmp_path / "got.gpkg", tmp_path / "expected.gpkg")


EDGE_FLOATS = [0.0, -0.0, 0.1, 1 / 3, 1e16, 1e16 - 2, 9999999999999998.0, 1e-4, 9.999999999999999e-05,
               1e-5, 5e-324, 1.7976931348623157e308, np.inf, -np.inf, np.nan, 736.007275, 1e15, 2.5e-7, -12.5]


def _edge_frame() -> pd.DataFrame:
    n = len(EDGE_FLOATS)
    text = ["plain", "", "a,b", 'say "hi"', "two\nlines", "carriage\rreturn", "both\r\n", " padded ",
            "上车牛沟村民委员会", "1,045 m; limit 500 m", '"', ",", "tab\there", "semi;colon", "'single'",
            "nul\x00byte", "\u2028sep", "x", "end,"]
    return pd.DataFrame({
        "float": EDGE_FLOATS,
        "float32": np.array([v if abs(v) < 1e38 else np.copysign(np.inf, v) for v in EDGE_FLOATS], dtype=np.float32),
        "int": np.arange(n, dtype=np.int64) * -(10 ** 15),
        "uint": np.arange(n, dtype=np.uint64) * np.uint64(2 ** 62),
        "bool": np.arange(n) % 3 == 0,
        "str": pd.array([None if i % 5 == 4 else t for i, t in enumerate(text)], dtype="str"),
        "string": pd.array([None if i % 4 == 1 else t for i, t in enumerate(text)], dtype="string"),
        "object": pd.Series([None if i % 6 == 2 else (np.nan if i % 6 == 3 else t) for i, t in enumerate(text)],
                            dtype=object),
        "all_missing": pd.Series([None] * n, dtype=object),
        "yes_no": pd.Series([["yes", "no", None][i % 3] for i in range(n)], dtype=object),
        "a, label": text,
    })


def test_edge_values_are_written_as_pandas_writes_them(tmp_path):
    frame = _edge_frame()
    assert csvfile._csv_columns(frame, "\n") is not None   # every column above takes the fast way
    csvfile.write_csv(tmp_path / "got.csv", frame)
    _reference_csv(tmp_path / "expected.csv", frame)
    assert (tmp_path / "got.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()


def test_rows_in_several_blocks_and_a_geometry_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "_CSV_ROWS", 4)
    frame = gpd.GeoDataFrame(_edge_frame(), geometry=shapely.points(np.arange(len(EDGE_FLOATS)), 0),
                             crs="EPSG:4490")
    csvfile.write_csv(tmp_path / "got.csv", frame)
    _reference_csv(tmp_path / "expected.csv", frame)
    assert (tmp_path / "got.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"only": ["", "a", None]}),                                 # a lone empty cell is quoted
    pd.DataFrame({"when": pd.to_datetime(["2026-01-01", None]), "n": [1, 2]}),
    pd.DataFrame({"kind": pd.Categorical(["a", None]), "n": [1, 2]}),
    pd.DataFrame({"mixed": ["a", 1.5], "n": [1, 2]}),
    pd.DataFrame({"nullable": pd.array([1, None], dtype="Int64"), "n": [1, 2]}),
    pd.DataFrame({"maybe": pd.array([True, None], dtype="boolean"), "n": [1, 2]}),
    pd.DataFrame({1: ["a", "b"], "n": [1, 2]}),
    pd.DataFrame({"empty": pd.Series([], dtype="str"), "n": pd.Series([], dtype=float)}),
    pd.DataFrame(),
])
def test_other_tables_as_pandas_writes_them(frame, tmp_path):
    csvfile.write_csv(tmp_path / "got.csv", frame)
    _reference_csv(tmp_path / "expected.csv", frame)
    assert (tmp_path / "got.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=st.sampled_from(list(',"\r\n ;\'x村\t')), max_size=6) | st.none(),
                          st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(min_value=-2 ** 63, max_value=2 ** 63 - 1)), max_size=30))
def test_random_tables_as_pandas_writes_them(tmp_path_factory, rows):
    frame = pd.DataFrame(rows, columns=["text", "number", "count"]).astype(
        {"text": "str", "number": float, "count": np.int64})
    folder = tmp_path_factory.mktemp("random")
    csvfile.write_csv(folder / "got.csv", frame)
    _reference_csv(folder / "expected.csv", frame)
    assert (folder / "got.csv").read_bytes() == (folder / "expected.csv").read_bytes()


def test_a_csv_that_cannot_be_written_is_one_error_naming_it(tmp_path):
    target = tmp_path / "missing" / "villages.csv"
    with pytest.raises(OutputError, match=r"missing/villages\.csv: cannot be written"):
        csvfile.write_csv(target, _edge_frame())


def test_a_geopackage_that_cannot_be_written_is_one_error_naming_it_and_gdal_is_left_as_it_was(tmp_path):
    before = {key: pyogrio.get_gdal_config_option(key) for key in io.GPKG_WRITE_CONFIG}
    frame = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4490")
    with pytest.raises(OutputError, match=r"missing/coverage\.gpkg layer 'villages': cannot be written \("):
        io.write_gpkg_layers(tmp_path / "missing" / "coverage.gpkg", {"villages": frame})
    assert {key: pyogrio.get_gdal_config_option(key) for key in io.GPKG_WRITE_CONFIG} == before
    io.write_gpkg_layers(tmp_path / "coverage.gpkg", {"villages": frame})
    assert {key: pyogrio.get_gdal_config_option(key) for key in io.GPKG_WRITE_CONFIG} == before
    with sqlite3.connect(tmp_path / "coverage.gpkg") as db:   # the larger pages were used
        assert db.execute("PRAGMA page_size").fetchone() == (16384,)


def test_windows_line_ends_as_pandas_writes_them(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "linesep", "\r\n")   # pandas ends rows with os.linesep, read when it writes
    frame = _edge_frame()
    csvfile.write_csv(tmp_path / "got.csv", frame)
    _reference_csv(tmp_path / "expected.csv", frame)
    assert b"\r\n" in (tmp_path / "expected.csv").read_bytes()
    assert (tmp_path / "got.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()


def test_text_heavy_layers_go_through_arrow_and_vertex_heavy_ones_not():
    ring = shapely.Point(0, 0).buffer(10, 120)   # 481 vertices
    text = {f"t{i}": ["x"] * 3 for i in range(2)}
    assert io.through_arrow(pd.DataFrame(text))                                       # a table: no vertices
    assert io.through_arrow(gpd.GeoDataFrame({f"t{i}": ["x"] * 3 for i in range(30)}, geometry=[ring] * 3))
    assert not io.through_arrow(gpd.GeoDataFrame(text, geometry=[ring] * 3))          # 240 vertices a text cell
    assert not io.through_arrow(gpd.GeoDataFrame({"n": [1, 2, 3]}, geometry=[shapely.Point(0, 0)] * 3))
