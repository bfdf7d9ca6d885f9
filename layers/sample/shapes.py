"""Geometry helpers of the sample generator: jagged blobs, meandering lines, random points,
Voronoi cells and Lloyd relaxation, overlaps and neighbours (EPSG:4544 metres)."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon

METRIC = "EPSG:4544"
GEOGRAPHIC = "EPSG:4490"
WGS84 = "EPSG:4326"


def polar_blob(rng: np.random.Generator, centre, radius: float, rough: float = 0.12, n: int = 48) -> Polygon:
    """A jagged closed shape whose radius stays within radius * (1 +- rough)."""
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    noise = sum(rng.uniform(0, 1) / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi)) for k in range(2, 6))
    noise = noise + 0.3 * rng.standard_normal(n)
    r = radius * (1 + rough * noise / np.abs(noise).max())
    return Polygon(np.c_[centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta)])


def wiggle(rng: np.random.Generator, a, b, share: float, step: float = 400.0) -> LineString:
    """A road from a to b that meanders sideways by up to share * length (ends fixed)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    length = float(np.hypot(*(b - a)))
    n = int(np.clip(length // step, 1, 60))
    t = np.linspace(0, 1, n + 2)
    walk = np.cumsum(rng.standard_normal(n + 2))
    walk -= walk[0] + t * (walk[-1] - walk[0])
    offset = walk / max(np.abs(walk).max(), 1e-9) * share * length * rng.uniform(0.3, 1) * np.sin(np.pi * t)
    normal = np.array([a[1] - b[1], b[0] - a[0]]) / max(length, 1e-9)
    return LineString(a + np.outer(t, b - a) + np.outer(offset, normal))


def sample_inside(rng: np.random.Generator, region, n: int) -> np.ndarray:
    """n uniform random points inside region."""
    minx, miny, maxx, maxy = region.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        xy = rng.uniform([minx, miny], [maxx, maxy], size=(4 * n + 8, 2))
        found = np.vstack([found, xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]])
    return found[:n]


def voronoi_cells(points: np.ndarray, region) -> np.ndarray:
    """Voronoi cells of points (in input order) clipped to region."""
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=region, ordered=True)
    return shapely.intersection(shapely.get_parts(cells), region)


def relax(points: np.ndarray, region, iterations: int, fixed: int = 0) -> np.ndarray:
    """Lloyd relaxation: move each point (but the first ``fixed``) to its cell's centroid."""
    points = points.copy()
    for _ in range(iterations):
        xy = shapely.get_coordinates(shapely.centroid(voronoi_cells(points, region)))
        move = shapely.contains_xy(region, xy[:, 0], xy[:, 1])
        move[:fixed] = False
        points[move] = xy[move]
    return points


def polygonal(geom):
    """The polygon parts of a geometry (clipping can leave stray lines or points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if len(parts) != 1 else parts[0]


def best_overlap(geoms: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each geometry, the index of the target it overlaps most (-1: none)."""
    g, t = shapely.STRtree(targets).query(geoms, predicate="intersects")
    area = shapely.area(shapely.intersection(geoms[g], targets[t]))
    order = np.lexsort((t, -area, g))
    g, t = g[order], t[order]
    first = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, bool)
    best = np.full(len(geoms), -1)
    best[g[first]] = t[first]
    return best


def share_part(polygon, share: float):
    """The western part of polygon (cut by a north-south line) holding ``share`` of its area."""
    minx, miny, maxx, maxy = polygon.bounds
    lo, hi = minx, maxx
    for _ in range(60):
        mid = (lo + hi) / 2
        if polygon.intersection(shapely.box(minx - 1, miny - 1, mid, maxy + 1)).area < share * polygon.area:
            lo = mid
        else:
            hi = mid
    return polygon.intersection(shapely.box(minx - 1, miny - 1, hi, maxy + 1))


def unit(angle: float) -> np.ndarray:
    return np.array([np.cos(angle), np.sin(angle)])


def nearby(rng: np.random.Generator, xy, polygon, low: float, high: float) -> np.ndarray:
    """A random point low..high metres from xy, inside polygon (at least 20 m from its edge)."""
    for _ in range(30):
        p = np.asarray(xy) + rng.uniform(low, high) * unit(rng.uniform(0, 2 * np.pi))
        if polygon.contains(Point(p)) and polygon.boundary.distance(Point(p)) > 20:
            return p
    return np.asarray(xy, float).copy()



def neighbours(polygons: np.ndarray) -> dict[int, set[int]]:
    present = np.flatnonzero([p is not None for p in polygons])
    a, b = shapely.STRtree(polygons[present]).query(polygons[present], predicate="intersects")
    found: dict[int, set[int]] = {int(i): set() for i in present}
    for i, j in zip(present[a], present[b]):
        if i != j:
            found[int(i)].add(int(j))
    return found
