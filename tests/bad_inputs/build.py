"""Builds each bad-input case of cases.toml into a folder: the hand-drawn county
(tests/county_files.py) with one thing broken. ``python tests/bad_inputs/build.py DIR``
writes every case under DIR for a look by hand; the test runner builds them in a
temporary folder.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

import hand_drawn as hd  # noqa: E402
from county_files import write_county  # noqa: E402

# cases.toml, then every cases_*.toml (one per theme), in name order
CASES = [case for path in [HERE / "cases.toml", *sorted(HERE.glob("cases_*.toml"))]
         for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]]
BUILDERS = {}


def builder(name):
    def register(function):
        BUILDERS[name] = function
        return function
    return register


def edit(profile: Path, old: str, new: str) -> None:
    text = profile.read_text(encoding="utf-8")
    assert old in text, old
    profile.write_text(text.replace(old, new, 1), encoding="utf-8")


def villages(profile: Path, change) -> None:
    path = profile.parent / "villages.gpkg"
    frame = change(gpd.read_file(path, layer="villages"))
    path.unlink()
    frame.to_file(path, layer="villages", engine="pyogrio")


def csv(profile: Path, name: str, change) -> None:
    path = profile.parent / name
    change(pd.read_csv(path, dtype=str)).to_csv(path, index=False)


def build(case: dict, folder: Path) -> dict[str, str]:
    """Write the case into ``folder``; returns the placeholders for its command line."""
    profile = write_county(folder)
    out = folder / "out"
    edits = case.get("edit")
    if edits:
        for old, new in edits:
            edit(profile, old, new)
    if case["name"] in BUILDERS:
        BUILDERS[case["name"]](profile)
    return {"profile": str(profile), "out": str(out), "folder": str(folder)}


# --- cases that change files (the profile-only ones are plain edits in cases.toml) ---

@builder("profile_not_toml")
def _(p):
    p.write_text("[villages\npath = 'x'\n", encoding="utf-8")


@builder("profile_not_utf8")
def _(p):
    p.write_bytes(p.read_text(encoding="utf-8").encode("gbk"))


@builder("villages_file_not_gis")
def _(p):
    (p.parent / "villages.gpkg").write_bytes(b"this is a spreadsheet export, not a GeoPackage\n" * 20)


@builder("villages_two_layers_no_layer_key")
def _(p):
    v = gpd.read_file(p.parent / "villages.gpkg", layer="villages")
    v.to_file(p.parent / "villages.gpkg", layer="villages_old", engine="pyogrio")
    edit(p, 'layer = "villages"\n', "")


@builder("shapefile_without_prj")
def _(p):
    (p.parent / "roads.prj").unlink()


@builder("csv_coordinate_text")
def _(p):
    csv(p, "clinics.csv", lambda t: t.assign(lon=["106.0", "東経106度"]))


@builder("csv_lat_lon_swapped")
def _(p):
    csv(p, "seats.csv", lambda t: t.rename(columns={"lon": "lat", "lat": "lon"}))


@builder("gk_zone_number_missing")
def _(p):
    villages(p, lambda v: v.to_crs("EPSG:4544").set_crs("EPSG:4523", allow_override=True))


@builder("gk_wrong_zone")
def _(p):
    villages(p, lambda v: v.to_crs("EPSG:4522").set_crs("EPSG:4523", allow_override=True))


@builder("projected_numbers_declared_degrees")
def _(p):
    villages(p, lambda v: v.to_crs("EPSG:4523").set_crs("EPSG:4490", allow_override=True))


@builder("layer_in_the_wrong_place")
def _(p):
    water = gpd.read_file(p.parent / "water.geojson").set_crs("EPSG:3857", allow_override=True)
    (p.parent / "water.geojson").unlink()
    water.to_file(p.parent / "water.fgb", engine="pyogrio")
    edit(p, "water.geojson", "water.fgb")


@builder("wrong_geometry_type")
def _(p):
    lines = gpd.GeoDataFrame({"name": ["F1"]}, geometry=[hd.line((0, 0), (10, 10))], crs=hd.CRS_M)
    pyogrio.write_dataframe(lines, p.parent / "fibre.gpkg", layer="fibre")
    edit(p, 'path = "fibre.xlsx"\nx = "lon"\ny = "lat"\nassume_crs = "EPSG:4490"', 'path = "fibre.gpkg"')


@builder("duplicate_village_codes")
def _(p):
    villages(p, lambda v: v.assign(村代码=[hd.CODES["A"], hd.CODES["A"], *v["村代码"][2:]]))


@builder("missing_village_code")
def _(p):
    villages(p, lambda v: v.assign(村代码=[None, *v["村代码"][1:]]))


@builder("duplicate_seats")
def _(p):
    csv(p, "seats.csv", lambda t: t.assign(code=[hd.CODES["A"], hd.CODES["A"]]))


@builder("assume_crs_disagrees_with_file")
def _(p):
    edit(p, 'path = "water.geojson"', 'path = "water.geojson"\nassume_crs = "EPSG:4490"')


@builder("water_points_without_radius")
def _(p):
    water = gpd.GeoDataFrame({"name": ["P1"]}, geometry=[hd.point(500, 500)], crs=hd.CRS_M)
    water.to_crs("EPSG:4326").to_file(p.parent / "wells.geojson", engine="pyogrio")
    text = p.read_text(encoding="utf-8")
    start, end = text.index("[water]"), text.index("[clinics]")
    p.write_text(text[:start] + '[water]\npath = "wells.geojson"\n\n' + text[end:], encoding="utf-8")


def _roads_text(p, encoding, cpg):
    roads = gpd.read_file(p.parent / "roads.shp", encoding="GBK")
    for suffix in (".shp", ".shx", ".dbf", ".cpg"):
        (p.parent / f"roads{suffix}").unlink(missing_ok=True)
    pyogrio.write_dataframe(roads, p.parent / "roads.shp", encoding=encoding)
    (p.parent / "roads.cpg").write_text(cpg, encoding="ascii")
    edit(p, 'encoding = "GBK"\n', "")


@builder("gbk_shapefile_with_utf8_cpg")
def _(p):
    _roads_text(p, "GBK", "UTF-8")


@builder("garbled_column_names")
def _(p):
    _roads_text(p, "UTF-8", "ISO-8859-1")


@builder("output_exists")
def _(p):
    (p.parent / "out").mkdir()
    (p.parent / "out" / "villages.csv").write_text("earlier results\n", encoding="utf-8")


@builder("output_is_a_file")
def _(p):
    (p.parent / "out").write_text("not a folder\n", encoding="utf-8")


@builder("no_village_has_geometry")
def _(p):
    villages(p, lambda v: v.assign(geometry=None))
    for name in ("seats.csv",):
        (p.parent / name).unlink()
    text = p.read_text(encoding="utf-8")
    start, end = text.index("[seats]"), text.index("[roads]")
    p.write_text(text[:start] + text[end:], encoding="utf-8")


@builder("empty_villages_layer")
def _(p):
    villages(p, lambda v: v.iloc[:0])


@builder("dbf_text_neither_utf8_nor_gbk")
def _(p):
    roads = gpd.read_file(p.parent / "roads.shp", encoding="GBK")
    roads["name"] = ["R1", "R2", "R3", "R4", "R5"]
    for suffix in (".shp", ".shx", ".dbf", ".cpg"):
        (p.parent / f"roads{suffix}").unlink(missing_ok=True)
    pyogrio.write_dataframe(roads, p.parent / "roads.shp", encoding="UTF-8")
    (p.parent / "roads.cpg").unlink(missing_ok=True)
    dbf = bytearray((p.parent / "roads.dbf").read_bytes())
    at = dbf.index(b"R1")
    dbf[at:at + 2] = b"\xff\xfe"   # bytes that no Chinese encoding accepts
    (p.parent / "roads.dbf").write_bytes(bytes(dbf))
    edit(p, 'encoding = "GBK"\n', "")


@builder("seats_outside_county_crs_mislabel")
def _(p):
    csv(p, "seats.csv", lambda t: t.assign(lon=["500500", "501500"], lat=["2800500", "2800500"]))


# builders of the themed cases live beside this file, in build_*.py (each imports
# ``builder`` and the helpers from here)
sys.modules.setdefault("build", sys.modules[__name__])   # one registry when run as a script too
for _module in sorted(HERE.glob("build_*.py")):
    __import__(_module.stem)


if __name__ == "__main__":
    target = Path(sys.argv[1])
    for case in CASES:
        build(case, target / case["name"])
        print(case["name"])
