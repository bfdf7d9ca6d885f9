"""`covermap info`: every format `run` reads described the same way (layers, geometry
type, CRS, feature count, fields, three example rows), and one-line errors."""

from contextlib import nullcontext

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, Polygon

from cli import main
from gis.describe import describe
from gis.errors import DataError

VILLAGES = gpd.GeoDataFrame(
    {"村代码": [f"5223261002{i:02d}" for i in range(4)], "村名": ["甲村", "乙村", "丙村", "丁村"], "人口": [10, 20, 30, 40]},
    geometry=[Polygon([(106 + i * 0.01, 25), (106.01 + i * 0.01, 25), (106.01 + i * 0.01, 25.01)]) for i in range(4)],
    crs="EPSG:4490")


def info(path):
    result = CliRunner().invoke(main, ["info", str(path)])
    return result


@pytest.mark.parametrize("name, driver", [("v.gpkg", "GPKG"), ("v.shp", "ESRI Shapefile"), ("v.geojson", "GeoJSON"),
                                          ("v.fgb", "FlatGeobuf"), ("v.gdb", "OpenFileGDB")])
def test_vector_formats(tmp_path, name, driver):
    path = tmp_path / name
    with pytest.warns() if driver == "OpenFileGDB" else nullcontext():   # Integer64 written as Float64
        VILLAGES.to_file(path, driver=driver, **({"layer": "villages"} if driver in ("GPKG", "OpenFileGDB") else {}))
    (layer,) = describe(path)
    assert layer["features"] == 4 and "Polygon" in layer["geometry"]
    assert layer["crs"].startswith("EPSG:4490")
    assert list(layer["fields"]) == ["村代码", "村名", "人口"]
    assert layer["fields"]["人口"] == ("number" if driver == "OpenFileGDB" else "whole number")   # FileGDB: Float64
    names = [row["村名"] for row in layer["examples"]]   # FlatGeobuf keeps them in its spatial index's order
    assert len(set(names)) == 3 and set(names) < set(VILLAGES["村名"])
    result = info(path)
    assert result.exit_code == 0, result.output
    assert "4 features" in result.output and "EPSG:4490" in result.output
    row = VILLAGES.iloc[int(layer["examples"][2]["村代码"][-1])]
    assert f"row 3: 村代码={row['村代码']}; 村名={row['村名']}; 人口={row['人口']}" in result.output
    assert "row 4" not in result.output


def test_xlsx_sheets_are_layers(tmp_path):
    path = tmp_path / "clinics.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"名称": ["卫生室一", "卫生室二", "卫生室三", "卫生室四"], "经度": [106.1, 106.2, 106.3, 106.4],
                      "纬度": [25.1, 25.2, 25.3, 25.4]}).to_excel(book, sheet_name="卫生室", index=False)
        pd.DataFrame({"代码": ["1", "2"]}).to_excel(book, sheet_name="说明", index=False)
    layers = describe(path)
    assert [layer["layer"] for layer in layers] == ["卫生室", "说明"]
    assert layers[0]["features"] == 4 and layers[0]["geometry"] is None
    assert list(layers[0]["fields"]) == ["名称", "经度", "纬度"] and len(layers[0]["examples"]) == 3
    result = info(path)
    assert result.exit_code == 0, result.output
    assert "layer '卫生室': no geometry" in result.output and "row 1: 名称=卫生室一; 经度=106.1; 纬度=25.1" in result.output
    assert "2 layers" in result.output


@pytest.mark.parametrize("codec, shown", [("gbk", "GB18030 (detected"), ("utf-16", "UTF-16 (detected from its byte-order")])
def test_csv_reports_its_detected_encoding(tmp_path, codec, shown):
    path = tmp_path / "seats.csv"
    rows = "\n".join(f"52232610020{i},{106 + i / 10},25.1,第{i}村委会" for i in range(5))
    path.write_bytes(f"code,lon,lat,名称\n{rows}\n".encode(codec))
    (layer,) = describe(path)
    assert layer["encoding"].startswith(shown)
    assert layer["features"] == 5 and layer["examples"][2]["名称"] == "第2村委会"
    result = info(path)
    assert result.exit_code == 0, result.output
    assert f"text: {shown}" in result.output and "第1村委会" in result.output


OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="covermap test">
  <node id="1" version="1" lat="25.10" lon="106.10"><tag k="amenity" v="clinic"/><tag k="name" v="河东卫生室"/></node>
  <node id="2" version="1" lat="25.11" lon="106.10"/>
  <node id="3" version="1" lat="25.11" lon="106.11"/>
  <node id="4" version="1" lat="25.10" lon="106.11"><tag k="place" v="village"/><tag k="name" v="乙村"/></node>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="track"/><tag k="surface" v="concrete"/></way>
  <way id="11" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="landuse" v="farmland"/></way>
</osm>
"""


def test_osm_layers(tmp_path):
    """GDAL's OSM driver reads .osm XML as it reads .osm.pbf: the same layers."""
    path = tmp_path / "extract.osm"
    path.write_text(OSM, encoding="utf-8")
    layers = {layer["layer"]: layer for layer in describe(path)}
    assert {"points", "lines", "multipolygons"} <= set(layers)
    assert layers["points"]["features"] == 2 and layers["points"]["geometry"] == "Point"
    assert layers["lines"]["features"] == 1 and layers["lines"]["examples"][0]["highway"] == "track"
    assert layers["multipolygons"]["features"] == 1
    assert layers["points"]["crs"].startswith("EPSG:4326")
    result = info(path)
    assert result.exit_code == 0, result.output
    assert "layer 'lines': LineString, 1 features" in result.output and "name=河东卫生室" in result.output


def test_errors_are_one_line_naming_the_file(tmp_path):
    for path, words in [(tmp_path / "nope.gpkg", "file not found"), (tmp_path / "notes.gpkg", "cannot be opened")]:
        if path.name == "notes.gpkg":
            path.write_text("not a geopackage", encoding="utf-8")
        result = info(path)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and words in lines[0], result.output
        with pytest.raises(DataError):
            describe(path)
