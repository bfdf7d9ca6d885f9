"""Builders of the geometry cases (cases_geometry.toml): broken rings, NaN vertices,
collections, files cut short, formulas without values, a mislabelled Gauss-Krüger zone.

The broken geometries are written as WKB through ``pyogrio.raw.write`` (shapely will
not build a ring of two points) or as GeoJSON text, as a bureau's export holds them.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from build import builder, csv, edit, villages

import hand_drawn as hd

NAN = float("nan")


def polygon_wkb(*rings) -> bytes:
    """WKB of a polygon with the rings as given, however few their points."""
    out = struct.pack("<BII", 1, 3, len(rings))
    for ring in rings:
        out += struct.pack("<I", len(ring)) + b"".join(struct.pack("<dd", x, y) for x, y in ring)
    return out


def line_wkb(*points) -> bytes:
    return struct.pack("<BII", 1, 2, len(points)) + b"".join(struct.pack("<dd", x, y) for x, y in points)


def two_point_ring(geom) -> bytes:
    """A polygon whose only ring is two of ``geom``'s corners: GEOS refuses it."""
    x0, y0, x1, y1 = shapely.bounds(geom)
    return polygon_wkb([(x0, y0), (x1, y1)])


def write_wkb(path: Path, frame: gpd.GeoDataFrame, wkb: list, layer: str | None = None, driver: str | None = None,
              encoding: str | None = None) -> None:
    """Write ``frame``'s columns with the geometries given as WKB (None: no geometry)."""
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if path.exists():
        path.unlink()
    kwargs = {"layer": layer} if layer else {}
    if encoding:
        kwargs["encoding"] = encoding
    pyogrio.raw.write(path, geometry=np.array(wkb, dtype=object),
                      field_data=[frame[c].to_numpy() for c in columns], fields=columns,
                      crs=frame.crs.to_string(), geometry_type="Unknown", driver=driver, **kwargs)


def villages_wkb(p: Path, change) -> None:
    """Rewrite villages.gpkg with ``change(frame, wkb list)`` deciding each geometry's WKB."""
    path = p.parent / "villages.gpkg"
    frame = gpd.read_file(path, layer="villages")
    wkb = [None if g is None else shapely.to_wkb(g) for g in frame.geometry]
    write_wkb(path, frame, change(frame, wkb), layer="villages", driver="GPKG")


def with_nan(geom):
    """The polygon with its second vertex's x made NaN."""
    coords = shapely.get_coordinates(geom)
    coords[1, 0] = NAN
    return shapely.set_coordinates(geom, coords)


# --- villages -------------------------------------------------------------------------

@builder("villages_two_point_rings")
def _(p):
    villages_wkb(p, lambda v, wkb: [two_point_ring(v.geometry[0]), two_point_ring(v.geometry[1]), *wkb[2:]])


@builder("villages_two_point_rings_check")
def _(p):
    BUILD["villages_two_point_rings"](p)


@builder("villages_nan_vertices")
def _(p):
    villages(p, lambda v: v.set_geometry([with_nan(v.geometry[0]), with_nan(v.geometry[1]), *v.geometry[2:]],
                                         crs=v.crs))


@builder("villages_nan_vertices_check")
def _(p):
    BUILD["villages_nan_vertices"](p)


@builder("villages_collections_of_lines")
def _(p):
    villages(p, lambda v: v.set_geometry(
        [shapely.GeometryCollection([g.boundary]) if g is not None else None for g in v.geometry], crs=v.crs))


@builder("villages_shapefile_cut_short")
def _(p):
    v = gpd.read_file(p.parent / "villages.gpkg", layer="villages")
    pyogrio.write_dataframe(v, p.parent / "villages.shp", encoding="GBK")   # the names fit in 10 bytes
    shp = p.parent / "villages.shp"
    second = int(np.frombuffer((p.parent / "villages.shx").read_bytes()[108:112], dtype=">i4")[0]) * 2
    shp.write_bytes(shp.read_bytes()[:second])   # the header and the first village only
    edit(p, 'path = "villages.gpkg"\nlayer = "villages"\n', 'path = "villages.shp"\nencoding = "GBK"\n')


def _mislabel(actual: str, declared: str):
    return lambda p: villages(p, lambda v: v.to_crs(actual).set_crs(declared, allow_override=True))


builder("villages_gk_neighbour_zone_east")(_mislabel("EPSG:4544", "EPSG:4545"))
builder("villages_gk_neighbour_zone_east_check")(_mislabel("EPSG:4544", "EPSG:4545"))
builder("villages_gk_neighbour_zone_west")(_mislabel("EPSG:4544", "EPSG:4543"))
builder("villages_gk_xian_neighbour_zone")(_mislabel("EPSG:2380", "EPSG:2381"))   # Xian 1980: CM 105E as 108E


# --- the other layers -------------------------------------------------------------------

@builder("roads_shapefile_cut_short")
def _(p):
    shp = p.parent / "roads.shp"
    shp.write_bytes(shp.read_bytes()[:len(shp.read_bytes()) * 4 // 10])


@builder("roads_shapefile_cut_short_check")
def _(p):
    BUILD["roads_shapefile_cut_short"](p)


@builder("roads_one_point_lines")
def _(p):
    roads = gpd.read_file(p.parent / "roads.shp", encoding="GBK")
    wkb = [shapely.to_wkb(g) for g in roads.geometry]
    for i in (1, 2):
        x, y = shapely.get_coordinates(roads.geometry[i])[0]
        wkb[i] = line_wkb((x, y))
    write_wkb(p.parent / "roads.geojson", roads, wkb, driver="GeoJSON")
    edit(p, 'path = "roads.shp"\nencoding = "GBK"\n', 'path = "roads.geojson"\n')


@builder("roads_collections_of_points")
def _(p):
    roads = gpd.read_file(p.parent / "roads.shp", encoding="GBK")
    roads = roads.set_geometry([shapely.GeometryCollection([shapely.get_point(g, 0)]) for g in roads.geometry],
                               crs=roads.crs)
    roads.to_file(p.parent / "roads.gpkg", engine="pyogrio")
    edit(p, 'path = "roads.shp"\nencoding = "GBK"\n', 'path = "roads.gpkg"\n')


@builder("water_two_point_rings")
def _(p):
    path = p.parent / "water.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        ring = feature["geometry"]["coordinates"][0]
        feature["geometry"]["coordinates"] = [[ring[0], ring[2]]]
    path.write_text(json.dumps(data), encoding="utf-8")


@builder("water_infinite_vertices")
def _(p):
    """GeoJSON cannot hold infinity; a GeoPackage can."""
    water = gpd.read_file(p.parent / "water.geojson")
    water = water.set_geometry([shapely.set_coordinates(g, np.where(np.arange(len(shapely.get_coordinates(g)))[:, None]
                                                                    == 1, np.inf, shapely.get_coordinates(g)))
                                for g in water.geometry], crs=water.crs)
    water.to_file(p.parent / "water.gpkg", engine="pyogrio")
    edit(p, 'path = "water.geojson"', 'path = "water.gpkg"')


@builder("coverage_nan_vertices")
def _(p):
    path = p.parent / "coverage.fgb"
    cov = gpd.read_file(path)
    cov = cov.set_geometry([with_nan(g) for g in cov.geometry], crs=cov.crs)
    path.unlink()
    cov.to_file(path, engine="pyogrio")


@builder("clinics_infinite_coordinates")
def _(p):
    csv(p, "clinics.csv", lambda t: t.assign(lon=["inf", "-inf"]))


@builder("clinics_empty_coordinates")
def _(p):
    csv(p, "clinics.csv", lambda t: t.assign(lon=["", ""], lat=["", ""]))


@builder("fibre_xlsx_formulas_without_values")
def _(p):
    """Coordinates as formulas with no value stored (openpyxl and scripts write them so):
    GDAL reads such cells as empty."""
    path = p.parent / "fibre.xlsx"
    folder = p.parent / "xlsx"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    sheet = next((folder / "xl" / "worksheets").glob("sheet*.xml"))
    text = sheet.read_text(encoding="utf-8")
    text = re.sub(r'(<c r="[BC]2")>\s*<v>([^<]*)</v>', r"\1>\n<f>\2+0</f>", text)
    assert "<f>" in text
    sheet.write_text(text, encoding="utf-8")
    path.unlink()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder).as_posix())
    shutil.rmtree(folder)


@builder("fibre_xlsx_formulas_check")
def _(p):
    BUILD["fibre_xlsx_formulas_without_values"](p)


# --- the profile ---------------------------------------------------------------------------

@builder("profile_arrays_nested_deep")
def _(p):
    edit(p, 'name = "hand-drawn"', 'name = "hand-drawn"\nlevels = ' + "[" * 5000 + "]" * 5000)


@builder("profile_inline_tables_nested_deep")
def _(p):
    edit(p, 'name = "hand-drawn"', "name = " + "{a = " * 5000 + "1" + "}" * 5000)


@builder("profile_table_headers_nested_deep")
def _(p):
    p.write_text(p.read_text(encoding="utf-8") + "[map.basemap" + ".a" * 5000 + "]\n", encoding="utf-8")


from build import BUILDERS as BUILD  # noqa: E402  (the registry, to build one case as another)
