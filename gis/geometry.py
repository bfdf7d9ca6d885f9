"""Geometry checks and metric primitives on shapely 2 arrays (projected CRS, metres).

Every function takes arrays of geometries and returns arrays aligned to its first
argument; missing or empty geometries give NaN (or -1 for indices), never a dropped row.
"""

from __future__ import annotations

import numpy as np
import shapely


def repair(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``make_valid`` on the invalid ones; returns the geometries and a mask of repaired rows."""
    geoms = np.asarray(geoms, dtype=object)
    present = ~shapely.is_missing(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    return geoms, invalid


def usable(geoms: np.ndarray) -> np.ndarray:
    """Mask of geometries that are present and not empty."""
    geoms = np.asarray(geoms, dtype=object)
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def nearest(sources: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each source, the index of the nearest target and the distance to it.

    Ties go to the lowest target index, so the answer does not depend on tree order.
    With no usable source or target: index -1 and distance NaN.
    """
    sources = np.asarray(sources, dtype=object)
    targets = np.asarray(targets, dtype=object)
    index = np.full(len(sources), -1, dtype=np.int64)
    distance = np.full(len(sources), np.nan)
    ok_targets = np.flatnonzero(usable(targets))
    ok_sources = np.flatnonzero(usable(sources))
    if len(ok_targets) == 0 or len(ok_sources) == 0:
        return index, distance
    tree = shapely.STRtree(targets[ok_targets])
    (src, tgt), dist = tree.query_nearest(sources[ok_sources], return_distance=True, all_matches=True)
    tgt = ok_targets[tgt]
    order = np.lexsort((tgt, src))  # first hit per source = lowest target index
    src, tgt, dist = src[order], tgt[order], dist[order]
    first = np.r_[True, src[1:] != src[:-1]]
    index[ok_sources[src[first]]] = tgt[first]
    distance[ok_sources[src[first]]] = dist[first]
    return index, distance


def pairs_intersecting(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (left index, right index) pairs whose geometries intersect (boundaries included)."""
    left = np.asarray(left, dtype=object)
    right = np.asarray(right, dtype=object)
    ok_right = np.flatnonzero(usable(right))
    ok_left = np.flatnonzero(usable(left))
    if len(ok_right) == 0 or len(ok_left) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    tree = shapely.STRtree(right[ok_right])
    li, ri = tree.query(left[ok_left], predicate="intersects")
    return ok_left[li], ok_right[ri]


def pairs_within_distance(left: np.ndarray, right: np.ndarray, distance: float) -> tuple[np.ndarray, np.ndarray]:
    """All (left index, right index) pairs no more than ``distance`` apart."""
    left = np.asarray(left, dtype=object)
    right = np.asarray(right, dtype=object)
    ok_right = np.flatnonzero(usable(right))
    ok_left = np.flatnonzero(usable(left))
    if len(ok_right) == 0 or len(ok_left) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    tree = shapely.STRtree(right[ok_right])
    li, ri = tree.query(left[ok_left], predicate="dwithin", distance=distance)
    return ok_left[li], ok_right[ri]


def covered_share(polygons: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """Share of each polygon's area inside the union of ``cover`` (overlaps counted once).

    The cover is dissolved once and split into its disjoint parts, then areas of the
    pairwise intersections are summed per polygon. Polygons without area give NaN.
    """
    polygons = np.asarray(polygons, dtype=object)
    areas = np.where(usable(polygons), shapely.area(polygons), 0.0)
    share = np.full(len(polygons), np.nan)
    has_area = areas > 0
    share[has_area] = 0.0
    cover = np.asarray(cover, dtype=object)
    cover = cover[usable(cover)]
    if len(cover) == 0 or not has_area.any():
        return share
    parts = shapely.get_parts(shapely.union_all(cover))
    parts = parts[shapely.area(parts) > 0]
    poly_idx, part_idx = pairs_intersecting(np.where(has_area, polygons, None), parts)
    if len(poly_idx):
        inter = shapely.area(shapely.intersection(polygons[poly_idx], parts[part_idx]))
        covered = np.bincount(poly_idx, weights=inter, minlength=len(polygons))
        share[has_area] = np.clip(covered[has_area] / areas[has_area], 0.0, 1.0)
    return share
