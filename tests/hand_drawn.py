"""Hand-drawn villages whose answers can be worked out on paper.

All coordinates are metres in the CGCS2000 3-degree Gauss-Kruger zone 105E (EPSG:4544,
the zone "auto" measures this county in), offset from (500000, 2800000).
Villages are 1 km squares:

    y
 3000 +------+              +--+ C's exclave (3000..3200, 2000..2200)
      |  C   |
 2000 +------+
 1000 +------+------+------+
      |  A   |  B   |  D   |
    0 +------+------+------+
      0    1000   2000   3000  x

A seat (500, 500); B seat (1500, 500); C and D have no seat (the polygon stands in);
E is a village with no boundary and no seat.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from layers.inputs import Inputs

CRS_M = CRS.from_epsg(4544)
X0, Y0 = 500000.0, 2800000.0


def at(x: float, y: float) -> tuple[float, float]:
    return X0 + x, Y0 + y


def square(x0, y0, x1, y1) -> Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def line(*points) -> LineString:
    return LineString([at(x, y) for x, y in points])


def point(x, y) -> Point:
    return Point(at(x, y))


CODES = {"A": "522326100201", "B": "522326100202", "C": "522326100203", "D": "522326100204", "E": "522326100205"}


def villages() -> gpd.GeoDataFrame:
    geoms = [square(0, 0, 1000, 1000), square(1000, 0, 2000, 1000),
             MultiPolygon([square(0, 2000, 1000, 3000), square(3000, 2000, 3200, 2200)]),
             square(2000, 0, 3000, 1000), None]
    return gpd.GeoDataFrame({
        "code": list(CODES.values()), "name": ["甲村", "乙村", "丙村", "丁村", "戊村"],
        "township_code": ["522326100"] * 4 + ["522326101"], "township_name": ["乐元镇"] * 4 + ["打易镇"],
        "population": [1200.0, 450.0, 800.0, 300.0, np.nan], "poor_population": [100.0, 30.0, np.nan, 50.0, 5.0],
    }, geometry=geoms, crs=CRS_M)


def seats() -> gpd.GeoSeries:
    return gpd.GeoSeries([point(500, 500), point(1500, 500), None, None, None], crs=CRS_M)


def inputs(**layers) -> Inputs:
    """The hand-drawn villages with the input layers given by key (roads=…, water=…)."""
    return Inputs(crs=CRS_M, villages_crs=CRS_M, villages=villages(), seats=seats(), layers=layers)


def frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=CRS_M)
