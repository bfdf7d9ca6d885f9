"""Telecoms of the sample county: 4G/5G coverage polygons with dead zones, fibre access
points, and the network cases."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point, Polygon

from .county import County
from .shapes import METRIC, nearby, polar_blob, polygonal, unit

FIBRE_NEAR = {"fibre_near_meets": 950.0, "fibre_near_fails": 1050.0}


def plan_coverage(rng: np.random.Generator, county: County) -> tuple[list, list]:
    """Dead zones (no signal) and unknown-technology polygons, placed for the 4G cases."""
    roles, polygons, sites = county.roles, county.polygons, county.sites
    dead, unknown = [], []

    def seats_clear(centre, radius, me):
        others = [j for j in range(county.n) if j != me and county.has_seat(j) and polygons[j] is not None]
        return np.hypot(*(sites[others] - centre).T).min() > radius + 400 and not any(
            z.contains(Point(sites[me])) for z in dead)

    for role in ("net4g_fails_seat", "net4g_fails_seat_2", "net4g_no_data_unknown"):
        i = roles.pick(role, lambda i: polygons[i] is not None and seats_clear(sites[i], 1300, i))
        dead.append(polar_blob(rng, sites[i], 1300))
        if role == "net4g_no_data_unknown":
            unknown.append(polar_blob(rng, sites[i], 800))
    for role in ("net4g_basic_seat", "net4g_basic_seat_2"):
        i = roles.pick(role, lambda i: polygons[i] is not None and _far_zone(county, i, dead) is not None)
        dead.append(_far_zone(county, i, dead))

    def swallowed(i):
        others = [j for j in range(county.n) if j != i and county.has_seat(j) and polygons[j] is not None]
        return shapely.distance(shapely.points(sites[others]), polygons[i]).min() > 650 and not any(
            z.intersects(polygons[i]) for z in dead)

    i = roles.pick("net4g_poly_fails", lambda i: polygons[i] is not None and swallowed(i), seat=False)
    dead.append(polygons[i].buffer(250))
    i = roles.pick("net4g_poly_basic", lambda i: polygons[i] is not None and _far_zone(county, i, dead) is not None,
                   seat=False)
    dead.append(_far_zone(county, i, dead))
    roles.pick("net4g_poly_meets", lambda i: polygons[i] is not None and not any(
        z.intersects(polygons[i].buffer(300)) for z in dead), seat=False)
    return dead, unknown


def _far_zone(county: County, i: int, dead: list):
    """A dead zone over a far corner of village i that leaves its seat and every other
    seat covered and takes at least 15% of the village's area."""
    seat, polygon = county.sites[i], county.polygons[i]
    if any(z.distance(Point(seat)) < 300 or z.intersects(polygon) for z in dead):
        return None
    others = shapely.points(county.sites[[j for j in range(county.n) if j != i]])
    corners = shapely.get_coordinates(polygon)
    for corner in corners[np.argsort(-np.hypot(*(corners - seat).T))[:12]]:
        zone = Point(corner).buffer(0.5 * np.hypot(*(corner - seat)), quad_segs=12)
        if shapely.distance(others, zone).min() > 250 and zone.intersection(polygon).area > 0.15 * polygon.area:
            return zone
    return None


def build_coverage(rng: np.random.Generator, county: County) -> gpd.GeoDataFrame:
    """Large 4G blobs around every township seat (each covers its whole township), smaller
    5G blobs, two polygons with no technology recorded; dead zones cut out of all of them."""
    dead, unknown = plan_coverage(rng, county)
    table = county.table
    seats = np.flatnonzero(table["town_seat"])
    rows = []
    for i, cell in zip(seats, county.town_cells):
        reach = np.hypot(*(shapely.get_coordinates(cell) - county.sites[i]).T).max()
        rows.append(dict(tech="4G", geometry=polar_blob(rng, county.sites[i], reach / 0.85 * 1.05, rough=0.15)))
    for i in rng.choice(seats, 7, replace=False):
        rows.append(dict(tech="5G", geometry=polar_blob(rng, county.sites[i], rng.uniform(2000, 4000))))
    holes = shapely.union_all(dead)
    unknown.append(unknown_elsewhere(rng, county, holes))
    rows += [dict(tech=None, geometry=g) for g in unknown]
    for row in rows:
        if row["tech"] is not None:
            row["geometry"] = row["geometry"].difference(holes)
        row["geometry"] = shapely.MultiPolygon(list(shapely.get_parts(polygonal(row["geometry"]))))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)[["tech", "geometry"]]


def unknown_elsewhere(rng: np.random.Generator, county: County, holes) -> Polygon:
    """A polygon with no technology recorded at a township seat, touching only fully
    covered villages (so it changes no verdict; the no_data case has its own)."""
    touched = shapely.union_all([p for p in county.polygons if p is not None and p.intersects(holes)])
    for i in rng.permutation(np.flatnonzero(county.table["town_seat"])):
        blob = polar_blob(rng, county.sites[i], 1500)
        if blob.disjoint(touched):
            return blob
    raise RuntimeError("no place for the second unknown-technology polygon")


def base_fibre(rng: np.random.Generator, county: County) -> dict[int, list[dict]]:
    """A fibre access point near most seats; an OLT room and a cabinet at township seats."""
    table, points = county.table, {}
    for i in range(county.n):
        if county.polygons[i] is None:
            continue
        if table["town_seat"][i]:
            names = [f"{table['town_name'][i]}OLT机房", f"{table['short'][i]}光交箱"]
        elif rng.random() < 0.88:
            names = [f"{table['short'][i]}光交箱"]
        else:
            continue
        points[i] = [dict(name=name, xy=nearby(rng, county.sites[i], county.polygons[i], 30, 200)) for name in names]
    return points


def fibre_distance(points: dict, xy, skip=()) -> float:
    found = [p["xy"] for i, ps in points.items() if i not in skip for p in ps]
    return float(np.hypot(*(np.asarray(found) - xy).T).min())


def build_fibre(rng: np.random.Generator, county: County) -> pd.DataFrame:
    points = base_fibre(rng, county)
    roles, polygons, sites, table = county.roles, county.polygons, county.sites, county.table
    i = roles.pick("fibre_poly_inside", lambda i: polygons[i] is not None, seat=False)
    points[i] = [dict(name=f"{table['short'][i]}光交箱", xy=nearby(rng, sites[i], polygons[i], 300, 900))]
    for role, distance in FIBRE_NEAR.items():
        def fits(i):
            return polygons[i] is not None and _fibre_spot(county, points, i, distance) is not None
        i = roles.pick(role, fits)
        points[i] = [dict(name=f"{table['short'][i]}光交箱", xy=_fibre_spot(county, points, i, distance))]
    for role in ("fibre_fails_none", "fibre_fails_none_2"):
        i = roles.pick(role, lambda i: polygons[i] is not None and fibre_distance(points, sites[i], skip=(i,)) > 1500)
        points.pop(i, None)
    rows = [dict(p, village=i) for i, ps in sorted(points.items()) for p in ps]
    return pd.DataFrame(rows)


def _fibre_spot(county: County, points: dict, i: int, distance: float):
    """A point ``distance`` m from seat i inside the village, with every other fibre point
    more than distance + 100 m away (so the case does not hinge on anything else)."""
    seat = county.sites[i]
    if fibre_distance(points, seat, skip=(i,)) < distance + 100:
        return None
    for angle in np.linspace(0, 2 * np.pi, 24, endpoint=False):
        p = seat + distance * unit(angle)
        if county.polygons[i].contains(Point(p)) and county.polygons[i].boundary.distance(Point(p)) > 30:
            return p
    return None
