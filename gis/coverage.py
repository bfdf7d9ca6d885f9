"""Coverage validation of polygons that should tile without gaps or overlaps (villages,
townships): GEOS's ``coverage_invalid_edges``, with the polygons whose every edge is
matched by a neighbour's passed first without GEOS, and the rest split into strips over
threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import shapely

from gis import geometry


def coverage_invalid(polygons: np.ndarray) -> np.ndarray:
    """Mask of the polygons whose edges GEOS coverage validation flags (edges that do not
    match a neighbour's, overlaps): ``~is_empty(coverage_invalid_edges(polygons))``.

    GEOS first pairs each polygon's edges with equal edges of its neighbours and passes a
    polygon whose every edge is so matched, opposite in direction, without further tests
    (CoveragePolygonValidator's short cut for clean coverages). ``edges_matched`` finds
    those polygons in bulk; GEOS validates only the others, each together with the
    polygons whose boxes meet its box, which is all GEOS looks at for it (synthetic
    villages, side by side: 490,000 17.8 s on both cores, 33.5 s CPU -> 5.8 s, 10.3 s CPU;
    100,000 3.4-3.6 s -> 1.7-1.9 s; the same masks)."""
    polygons = np.asarray(polygons, dtype=object)
    invalid = np.zeros(len(polygons), dtype=bool)
    unsure = np.flatnonzero(~_in_strips(edges_matched, polygons, _EDGE_STRIP))
    if len(unsure) == 0:
        return invalid
    # they and their box neighbours (a missing or empty one is in no box, so added by itself)
    near = geometry.distinct(np.r_[unsure, shapely.STRtree(polygons).query(polygons[unsure])[1]])
    invalid[unsure] = _in_strips(_geos_invalid, polygons[near])[np.searchsorted(near, unsure)]
    return invalid


# polygons per strip in edges_matched: its hash tables of vertices and edges then stay
# small enough to be quick, and its arrays small (~90 bytes a vertex while it runs).
# 490k villages on two threads: 25 s in one call, 18 s in two strips; in strips of 2k,
# 5k, 10k, 20k, 50k: 9.9, 5.9, 7.3, 6.5, 9.7 s; peak memory +158 MB in strips of 5k
# (GEOS alone: +103 MB), +360 MB at 100k in strips of 20k
_EDGE_STRIP = 5_000


def _geos_invalid(polygons: np.ndarray) -> np.ndarray:
    return ~shapely.is_empty(shapely.coverage_invalid_edges(polygons))


def _in_strips(check, polygons: np.ndarray, most: int | None = None) -> np.ndarray:
    """``check(polygons)`` for a check whose answer for a polygon depends only on the
    polygons whose boxes meet its box: split into strips along x, one per thread (or of at
    most ``most`` polygons each, the threads taking them in turn), each checked together
    with every polygon whose box meets one of the strip's."""
    n = len(polygons)
    if (geometry.THREADS == 1 and (most is None or n <= most)) or n < 2 * geometry._MIN_CHUNK:
        return check(polygons)
    bounds = shapely.bounds(polygons)
    order = np.argsort(bounds[:, 0] + bounds[:, 2], kind="stable")
    strips = np.array_split(order, max(min(geometry.THREADS, n // geometry._MIN_CHUNK), -(-n // most) if most else 1))
    tree = shapely.STRtree(polygons)

    def one(strip: np.ndarray) -> np.ndarray:
        near = geometry.distinct(tree.query(polygons[strip])[1])   # the strip's polygons and their box neighbours
        return check(polygons[near])[np.searchsorted(near, strip)]

    found = np.zeros(n, dtype=bool)
    with ThreadPoolExecutor(min(geometry.THREADS, len(strips))) as pool:
        for strip, part in zip(strips, pool.map(one, strips)):
            found[strip] = part
    return found


def edges_matched(polygons: np.ndarray) -> np.ndarray:
    """Mask of the polygons every edge of which is also an edge of exactly one other
    polygon, run the other way round (rings taken with the interior on the same side, as
    GEOS takes them): GEOS coverage validation passes these whatever else lies near.

    Edges are pairs of vertex ids (vertices equal in x and y share an id; an edge of a
    repeated point is no edge, as GEOS drops repeated points). Anything else, including a
    polygon with a coordinate that is not finite or with no edge, is not matched."""
    polygons = np.asarray(polygons, dtype=object)
    matched = np.zeros(len(polygons), dtype=bool)
    parts, part_of = shapely.get_parts(polygons, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    if len(rings) == 0:
        return matched
    shell = np.r_[True, ring_part[1:] != ring_part[:-1]]   # each part's rings come shell first
    ccw = shapely.is_ccw(rings)
    interior_right = np.where(shell, ~ccw, ccw)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    odd = np.unique(ring_of[~geometry.finite_rows(coords)])   # GEOS drops such points: left to GEOS
    vertex = pd.factorize(np.ascontiguousarray(coords).view(np.complex128).ravel())[0]
    del coords
    start = np.flatnonzero((ring_of[1:] == ring_of[:-1]) & (vertex[1:] != vertex[:-1]))   # edges start..start + 1
    ring = ring_of[start]
    del ring_of
    a, b = vertex[start], vertex[start + 1]
    size = int(vertex.max(initial=0)) + 1
    del vertex, start
    forward = (a < b) == interior_right[ring]
    group, keys = pd.factorize(np.minimum(a, b).astype(np.int64) * size + np.maximum(a, b))
    del a, b
    poly = part_of[ring_part[ring]]
    # per group of equal edges: two edges, one each way, of two polygons (the group's
    # first and last edge's polygons differ)
    first, last = np.empty(len(keys), dtype=poly.dtype), np.empty(len(keys), dtype=poly.dtype)
    first[group[::-1]] = poly[::-1]
    last[group] = poly
    paired = ((np.bincount(group, minlength=len(keys)) == 2)
              & (np.bincount(group, weights=forward, minlength=len(keys)) == 1) & (first != last))[group]
    matched[poly[paired]] = True
    matched[poly[~paired]] = False
    matched[part_of[ring_part[odd]]] = False
    return matched
