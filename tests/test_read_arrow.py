"""Layers are read through GDAL's Arrow stream (gis.io.read_vector): the same frame as
geopandas' plain reading (pyogrio, no Arrow) for every format and field type the inputs
come in, with the attributes no longer tied to GDAL's batches."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis import io
from gis.errors import DataError

SAMPLE = Path(io.__file__).resolve().parents[1] / "layers" / "sample"


def _plain(path: Path, **kwargs) -> gpd.GeoDataFrame:
    return gpd.read_file(path, engine="pyogrio", use_arrow=False, **kwargs)


def _assert_same(got: gpd.GeoDataFrame, expected: gpd.GeoDataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert got.crs == expected.crs and got.index.equals(expected.index)
    for column in expected.columns.drop("geometry"):
        a, b = got[column], expected[column]
        if isinstance(b.dtype, pd.StringDtype) or b.dtype == object:
            assert a.astype(object).where(a.notna(), None).tolist() == b.astype(object).where(b.notna(), None).tolist(), column
        else:
            pd.testing.assert_series_equal(a, b, check_dtype=True)
    assert shapely.equals_exact(got.geometry.to_numpy(), expected.geometry.to_numpy(), 0).all() or \
        (got.geometry.isna() == expected.geometry.isna()).all()
    both = expected.geometry.notna().to_numpy()
    assert shapely.equals_exact(got.geometry.to_numpy()[both], expected.geometry.to_numpy()[both], 0).all()
    assert got.geometry.isna().tolist() == expected.geometry.isna().tolist()


@pytest.mark.parametrize("name", ["villages.gpkg", "roads.shp", "coverage.fgb", "water.geojson"])
def test_the_sample_layers_read_as_geopandas_reads_them(name):
    got = io.read_vector(SAMPLE / name)
    _assert_same(got, _plain(SAMPLE / name))
    assert len(got) > 0


def test_every_field_type_and_missing_values_in_many_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "ARROW_BATCH", 7)   # 100 rows: 15 batches
    n = 100
    rng = np.random.default_rng(3)
    frame = gpd.GeoDataFrame({
        "code": [f"5223{i:08d}" if i % 9 else None for i in range(n)],
        "name": [["土路", "水泥", "asphalt", "", None][i % 5] for i in range(n)],
        "count": np.arange(n, dtype=np.int64) * 3,
        "share": np.where(np.arange(n) % 4 == 0, np.nan, rng.random(n)),
    }, geometry=[None if i % 11 == 0 else shapely.Point(100 + i / 10, 25 + i / 20).buffer(0.01, 3)
                 for i in range(n)], crs=4490)
    for suffix, driver in ((".gpkg", "GPKG"), (".fgb", "FlatGeobuf"), (".shp", "ESRI Shapefile")):
        path = tmp_path / f"mixed{suffix}"
        frame.to_file(path, driver=driver, engine="pyogrio", **({"SPATIAL_INDEX": "NO"} if suffix == ".fgb" else {}))
        got = io.read_vector(path)
        _assert_same(got, _plain(path))
        assert got["name"].dtype.storage == "pyarrow" and got.geometry.isna().sum() == 10
        subset = io.read_vector(path, columns=["share", "code", "missing"])
        _assert_same(subset, _plain(path, columns=["share", "code"]))
        # dates and times are parsed by geopandas after reading: such a layer is read as before
        dated = frame.assign(built=[dt.datetime(2020, 1, 1 + i % 28, 12, 30) for i in range(n)])
        if suffix == ".shp":   # a shapefile keeps dates, no times
            dated["built"] = dated["built"].dt.date
        dated.to_file(path, driver=driver, engine="pyogrio", **({"SPATIAL_INDEX": "NO"} if suffix == ".fgb" else {}))
        got = io.read_vector(path)
        _assert_same(got, _plain(path))
        assert got["built"].notna().all() and (got["built"].dtype.kind == "M" or suffix == ".shp")


def test_a_flatgeobuf_feature_without_geometry(tmp_path):
    # GDAL hands it over as zero bytes of WKB, not as a missing value
    frame = gpd.GeoDataFrame({"a": [1, 2, 3]}, geometry=[None, shapely.Point(1, 1), shapely.Point(2, 2)], crs=4490)
    frame.to_file(tmp_path / "n.fgb", engine="pyogrio", SPATIAL_INDEX="NO")
    got = io.read_vector(tmp_path / "n.fgb")
    _assert_same(got, _plain(tmp_path / "n.fgb"))
    assert got.geometry.isna().tolist() == [True, False, False]


def test_an_empty_layer_and_a_text_encoding_given(tmp_path):
    empty = gpd.GeoDataFrame({"name": pd.Series([], dtype=str)}, geometry=[], crs=4490)
    empty.to_file(tmp_path / "empty.gpkg", engine="pyogrio")
    got = io.read_vector(tmp_path / "empty.gpkg")
    assert len(got) == 0 and list(got.columns) == ["name", "geometry"] and got.crs.to_epsg() == 4490
    gbk = gpd.GeoDataFrame({"名称": ["王母村", "坪上村"]}, geometry=[shapely.Point(1, 1), shapely.Point(2, 2)],
                           crs=4490)
    gbk.to_file(tmp_path / "gbk.shp", engine="pyogrio", encoding="GBK")
    (tmp_path / "gbk.cpg").unlink()
    got = io.read_vector(tmp_path / "gbk.shp", encoding="GBK")
    assert got["名称"].tolist() == ["王母村", "坪上村"]
    _assert_same(got, _plain(tmp_path / "gbk.shp", encoding="GBK"))


def test_a_table_without_geometry_is_still_refused_by_name(tmp_path):
    table = gpd.GeoDataFrame({"code": ["1", "2"]}, geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs=4490)
    table.to_file(tmp_path / "t.gpkg", layer="points", engine="pyogrio")
    pd.DataFrame({"code": ["1"]}).pipe(lambda f: gpd.GeoDataFrame(f)).to_file(
        tmp_path / "t.gpkg", layer="ledger", engine="pyogrio")
    with pytest.raises(DataError, match=r"t\.gpkg: has no geometry column"):
        io.read_vector(tmp_path / "t.gpkg", layer="ledger")


def test_a_shapefile_of_undeclared_gbk_text_reads_as_gdal_decodes_it(tmp_path):
    """Without .cpg GDAL passes the GBK bytes through, which Arrow cannot hold as text:
    such a layer is read as before (the pipeline then finds the text garbled and says so)."""
    gbk = gpd.GeoDataFrame({"name": ["王母村", "坪上村"]}, geometry=[shapely.Point(1, 1), shapely.Point(2, 2)],
                           crs=4490)
    gbk.to_file(tmp_path / "gbk.shp", engine="pyogrio", encoding="GBK")
    (tmp_path / "gbk.cpg").unlink()
    got = io.read_vector(tmp_path / "gbk.shp")
    _assert_same(got, _plain(tmp_path / "gbk.shp"))
    assert got["name"].tolist() != ["王母村", "坪上村"]


def test_read_attributes_no_longer_hold_gdal_batches(tmp_path, monkeypatch):
    """The text is copied out of GDAL's batches, so that their WKB is let go once read:
    the Arrow memory held afterwards is that of the text alone."""
    import pyarrow as pa

    monkeypatch.setattr(io, "ARROW_BATCH", 500)
    n = 5000
    frame = gpd.GeoDataFrame({"name": [f"village {i}" for i in range(n)]},
                             geometry=[shapely.Point(i, i).buffer(100, 64) for i in range(n)], crs=3857)
    frame.to_file(tmp_path / "big.gpkg", engine="pyogrio")   # ~1.1 kB of WKB a row, 14 bytes of text
    before = pa.total_allocated_bytes()
    got = io.read_vector(tmp_path / "big.gpkg")
    held = pa.total_allocated_bytes() - before
    text = got["name"].array._pa_array
    assert text.nbytes <= held < 3 * text.nbytes   # GDAL's own batches: over 5 MB
