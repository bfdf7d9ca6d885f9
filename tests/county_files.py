"""The hand-drawn villages written to real files in the formats counties send:
GeoPackage (CGCS2000), CSV points, a GBK Shapefile without .cpg, GeoJSON, FlatGeobuf
and XLSX, with a profile that reads them all."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

import hand_drawn as hd

# seats.csv: a point (lon, lat; CGCS2000) a village, by its code; tests/plugin_county.py's too
SEATS = """[seats]
path = "seats.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[seats.columns]
code = "code"
"""

PROFILE = """\
[project]
name = "hand-drawn"

[villages]
path = "villages.gpkg"
layer = "villages"
[villages.columns]
code = "村代码"
name = "村名"
township_code = "乡镇代码"
township_name = "乡镇"
population = "人口"
poor_population = "贫困人口"

""" + SEATS + """
[roads]
path = "roads.shp"
encoding = "GBK"
[roads.columns]
surface = "路面"
width = "width"
name = "name"

[water]
path = "water.geojson"
[water.columns]
name = "name"
served_codes = "served"
lpcd = "lpcd"
reliability_pct = "rel"
quality_ok = "quality"

[clinics]
path = "clinics.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[clinics.columns]
name = "name"
type = "类型"
standardized = "标准化"
doctors = "医生"

[network.coverage]
path = "coverage.fgb"
[network.coverage.columns]
technology = "tech"
[network.fibre]
path = "fibre.xlsx"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"

[standards.roads]
max_distance_m = 500
[standards.clinics]
share_max_population = 500
share_max_distance_m = 600
"""

GEO = "EPSG:4490"


def _lonlat(geoms) -> pd.DataFrame:
    points = gpd.GeoSeries(geoms, crs=hd.CRS_M).to_crs(GEO)
    return pd.DataFrame({"lon": points.x.round(9), "lat": points.y.round(9)})


def write_county(folder: Path, profile_text: str = PROFILE) -> Path:
    """Write every layer and the profile into ``folder``; returns the profile's path."""
    folder.mkdir(parents=True, exist_ok=True)
    v = hd.villages().rename(columns={"code": "村代码", "name": "村名", "township_code": "乡镇代码",
                                      "township_name": "乡镇", "population": "人口", "poor_population": "贫困人口"})
    v.to_crs(GEO).to_file(folder / "villages.gpkg", layer="villages", engine="pyogrio")
    seats = _lonlat([hd.point(500, 500), hd.point(1500, 500)])
    seats.insert(0, "code", [hd.CODES["A"], hd.CODES["B"]])
    seats.to_csv(folder / "seats.csv", index=False)
    roads = gpd.GeoDataFrame({"name": ["R1", "R2", "R3", "R4", "R5"],
                              "路面": ["沥青", "水泥", "混凝土", None, "砂石"],
                              "width": [6.0, 5.0, 3.0, None, 4.0]},
                             geometry=[hd.line((500, -1000), (500, 100)), hd.line((1000, 3000), (2000, 4000)),
                                       hd.line((2500, -500), (2500, 500)), hd.line((1500, 800), (1500, 1800)),
                                       hd.line((0, 500), (400, 500))], crs=hd.CRS_M)
    pyogrio.write_dataframe(roads, folder / "roads.shp", encoding="GBK")
    (folder / "roads.cpg").unlink(missing_ok=True)
    water = gpd.GeoDataFrame({"name": ["P1", "P2"], "served": ["", hd.CODES["B"]], "lpcd": [40.0, 25.0],
                              "rel": [96.0, 99.0], "quality": ["是", "是"]},
                             geometry=[hd.square(0, 0, 600, 1000), hd.square(5000, 5000, 5100, 5100)], crs=hd.CRS_M)
    water.to_crs("EPSG:4326").to_file(folder / "water.geojson", engine="pyogrio")
    clinics = _lonlat([hd.point(1000, 300), hd.point(2600, 600)])
    clinics.insert(0, "name", ["K1", "K4"])
    clinics["类型"] = ["村卫生室", "村卫生室"]
    clinics["标准化"] = ["是", "否"]
    clinics["医生"] = [1, 2]
    clinics.to_csv(folder / "clinics.csv", index=False, encoding="utf-8")
    coverage = gpd.GeoDataFrame({"tech": ["4G", "5G", "3G"]},
                                geometry=[hd.square(0, 0, 950, 1000), hd.square(900, 0, 1600, 1000),
                                          hd.square(1500, 0, 2500, 1000)], crs=hd.CRS_M)
    coverage.to_crs("EPSG:4326").to_file(folder / "coverage.fgb", engine="pyogrio")
    fibre = _lonlat([hd.point(500, 1450)])
    fibre.insert(0, "name", ["F1"])
    pyogrio.write_dataframe(fibre, folder / "fibre.xlsx", driver="XLSX")
    profile = folder / "profile.toml"
    profile.write_text(profile_text, encoding="utf-8")
    return profile
