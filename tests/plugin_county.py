"""Hand-built villages near Guiyang (106.7E, 26.6N) for the optional standards' known-answer
tests: each village 30 km from the next, a 2 km square around its seat, with features put
at exact ground distances from the seat along the GRS80 ellipsoid (pyproj.Geod), so that the
answers are the distances the tests give."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import Geod
from shapely.geometry import box

from county_files import SEATS   # tests/ is on the path, as for every test

GEOD = Geod(ellps="GRS80")   # CGCS2000's ellipsoid, as near as metres go
LON0, LAT0 = 106.7, 26.6


def seat(k: int) -> tuple[float, float]:
    """The seat of village k: 30 km east of village k - 1."""
    lon, lat, _ = GEOD.fwd(LON0, LAT0, 90.0, 30_000.0 * k)
    return lon, lat


def away(k: int, metres: float, azimuth: float = 0.0) -> tuple[float, float]:
    """The point ``metres`` from village k's seat along ``azimuth`` (degrees from north)."""
    lon, lat = seat(k)
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return lon2, lat2


def code(k: int) -> str:
    return f"5201130010{k + 1:02d}"


def write_villages(folder: Path, n: int, no_seat: tuple[int, ...] = (), no_shape: tuple[int, ...] = ()) -> None:
    """villages.gpkg (EPSG:4490) and seats.csv for villages 0..n-1; ``no_seat`` without a
    seat (the polygon stands in), ``no_shape`` without a boundary."""
    shapes = []
    for k in range(n):
        lon, lat = seat(k)
        shapes.append(None if k in no_shape else box(lon - 0.01, lat - 0.009, lon + 0.01, lat + 0.009))
    frame = gpd.GeoDataFrame({"code": [code(k) for k in range(n)], "name": [f"{k}号村" for k in range(n)],
                              "town_code": "520113001", "town_name": "示例镇",
                              "pop": [1000 + k for k in range(n)]}, geometry=shapes, crs="EPSG:4490")
    frame.to_file(folder / "villages.gpkg", layer="villages")
    seats = [(code(k), *seat(k)) for k in range(n) if k not in no_seat and k not in no_shape]
    pd.DataFrame(seats, columns=["code", "lon", "lat"]).to_csv(folder / "seats.csv", index=False)


VILLAGES = """[project]
name = "示例"
as_of = "2026-06-30"

[villages]
path = "villages.gpkg"
[villages.columns]
code = "code"
name = "name"
township_code = "town_code"
township_name = "town_name"
population = "pop"

[checks]
far_outside_m = 100000     # the villages lie 30 km apart

""" + SEATS


def write_profile(folder: Path, extra: str) -> Path:
    path = folder / "profile.toml"
    path.write_text(VILLAGES + "\n" + extra, encoding="utf-8")
    return path
