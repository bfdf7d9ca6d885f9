"""Share of each polygon's area inside a cover layer (4G coverage, water service areas),
overlaps counted once, on shapely 2 arrays in a projected CRS (metres).

Pairs by box, a prepared ``contains`` for polygons wholly inside, cover cut to each
polygon's box, and one overlay per remaining pair (or a chain of differences where several
overlapping pieces meet a polygon), the GEOS work split over threads as ``gis.geometry``
does; the 4G and water steps spend most of their time here.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

from gis import geometry, progress

# Cover polygons with more vertices than this are cut to the village's box (grown by 1 m,
# so that the box edges never run through the village's own extreme vertices) before the
# overlay: GEOS's rectangle clipper is linear and leaves a piece of bounded size.
CLIP_MIN_VERTICES = 200


def _clip_to_boxes(geoms: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """``clip_by_rect`` of each geometry by its own box (~30 us a pair against ~250 us for
    a general overlay with the box). shapely's ``clip_by_rect`` takes one box per call,
    but the ufunc under it takes one box per geometry (shapely issue #1331), so the clips
    run in one call per thread (100k villages: 4G share 5.1 -> 4.6-4.7 s, water share
    5.0-5.5 -> 4.9-5.0 s, the same shares); where a shapely release no longer allows that,
    one call a geometry."""
    try:
        return geometry._parallel(_clip_each, geoms, bounds)
    except (AttributeError, TypeError, ValueError):
        clip = shapely.clip_by_rect
        return np.array([clip(g, *b) for g, b in zip(geoms, bounds.tolist())] + [None], dtype=object)[:-1]


def _clip_each(geoms: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    return shapely.lib.clip_by_rect(geoms, bounds[:, 0], bounds[:, 1], bounds[:, 2], bounds[:, 3])


def covered_share(polygons: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """Share of each polygon's area inside the union of ``cover`` (overlaps counted once).

    Large cover is never dissolved as a whole (a national 4G layer's union is one huge
    jagged polygon that every intersection would have to walk). Instead, per polygon:

    1. polygons lying wholly inside one cover polygon are 1 (a prepared ``contains``
       test, no overlay);
    Cover made of small polygons (median vertex count at most ``CLIP_MIN_VERTICES``,
    e.g. buffered service points) is dissolved first into disjoint parts, which is cheap
    for such pieces and leaves fewer pairs; large jagged cover is never dissolved.

    2. every other (polygon, cover) pair that intersects is clipped to the polygon's
       bounding box (cheap, and it bounds the vertex count of the piece);
    3. where one piece meets a polygon (or the cover is disjoint) the area of its
       intersection with the polygon is the answer (summed); where several overlapping
       pieces do, they are cut away from the polygon one after another and the covered
       area is what went, so overlaps count once.

    Polygons without area give NaN.
    """
    polygons = np.asarray(polygons, dtype=object)
    areas = np.where(geometry.usable(polygons), shapely.area(polygons), 0.0)
    share = np.full(len(polygons), np.nan)
    has_area = areas > 0
    share[has_area] = 0.0
    cover = np.asarray(cover, dtype=object)
    cover = cover[geometry.usable(cover)]
    cover = cover[shapely.area(cover) > 0] if len(cover) else cover
    if len(cover) == 0 or not has_area.any():
        return share
    disjoint = np.median(shapely.get_num_coordinates(cover)) <= CLIP_MIN_VERTICES
    if disjoint:  # small pieces (service circles): dissolving first is cheap and leaves fewer pairs
        # GEOS DisjointSubsetUnion unions each group of mutually touching pieces on its own
        # (30k villages' water: 3.6 -> 2.6 s CPU); it orders the overlay differently from
        # union_all, so areas may differ in the last bits (at most ~2.4e-14 in a share); in
        # strips on threads (_dissolve)
        cover = _dissolve(cover)
        cover = cover[shapely.area(cover) > 0]
    rows = np.flatnonzero(has_area)
    # pairs whose boxes meet; which of them intersect is tested below with the cover
    # prepared, on threads (the tree's own test holds Python's lock: for 100k villages,
    # 4G share 5.6-5.9 -> 4.9-5.2 s, water share 5.7-5.9 -> 5.4-5.5 s; the same shares)
    ci, pi = shapely.STRtree(polygons[rows]).query(cover)
    if len(pi) == 0:
        return share
    pi = rows[pi]
    # 1. wholly inside one cover polygon: no overlay at all. By cover polygon (a prepared
    # geometry must not be used by two threads at once, so each thread gets whole runs of
    # pairs of one cover polygon), prepared a block of about _PREPARED_VERTICES at a time:
    # the indexes take ~100 bytes a vertex (4G cover for 490k villages: 1.5 GB all at
    # once), and cover may be the caller's, so none is left prepared
    order = np.argsort(ci, kind="stable")
    pi, ci = pi[order], ci[order]
    found = np.zeros((len(pi), 2), dtype=bool)   # intersects, contains
    load = np.cumsum(shapely.get_num_coordinates(cover))
    ends = np.unique(np.r_[np.searchsorted(load, np.arange(1, load[-1] // _PREPARED_VERTICES + 1)
                                           * _PREPARED_VERTICES), len(cover) - 1]) + 1
    for first, last in zip(np.r_[0, ends[:-1]], ends):
        block = cover[first:last]
        shapely.prepare(block)
        a, b = np.searchsorted(ci, [first, last])
        found[a:b] = geometry._parallel(_meets_within, cover[ci[a:b]], polygons[pi[a:b]], keys=ci[a:b])
        shapely.destroy_prepared(block)
    meets, inside = found[:, 0], found[:, 1]
    pi, ci, inside = pi[meets], ci[meets], inside[meets]
    full = np.zeros(len(polygons), dtype=bool)
    full[pi[inside]] = True
    keep = ~full[pi]
    pi, ci = pi[keep], ci[keep]
    # 2-3 by polygon (stable: each polygon's pieces keep their order), a block of polygons
    # at a time, so that the clipped pieces of a national layer (510k pairs for 490k
    # villages' water) are never all held at once
    order = np.argsort(pi, kind="stable")
    pi, ci = pi[order], ci[order]
    covered = np.zeros(len(polygons))
    cuts = np.unique(np.r_[np.searchsorted(pi, pi[::_SHARE_BLOCK], side="left"), len(pi)]).tolist()
    for a, b in zip(cuts[:-1], cuts[1:]):
        _cover_block(polygons, cover, pi[a:b], ci[a:b], disjoint, covered)
        progress.advance("shares", int(np.searchsorted(rows, pi[b - 1], side="right")), len(rows))
    share[rows] = np.clip(covered[rows] / areas[rows], 0.0, 1.0)
    share[full] = 1.0
    return share


def _meets_within(cover: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Rows of (intersects, contains) of each cover polygon and polygon."""
    found = np.zeros((len(cover), 2), dtype=bool)
    found[:, 0] = shapely.intersects(cover, polygons)
    meets = found[:, 0]
    found[meets, 1] = shapely.contains(cover[meets], polygons[meets])
    return found


def _dissolve(polygons: np.ndarray) -> np.ndarray:
    """The parts of ``disjoint_subset_union_all(polygons)``: disjoint polygons covering
    what they cover. The polygons are split into strips along x, one per thread, each
    strip dissolved on its own; then the parts that meet across strips are unioned (100k
    villages' 50k water areas: 1.35-1.43 -> 0.85-0.94 s). The parts may come in another
    order than one call gives them, and a part unioned in two steps may differ in the last
    bits (100k villages' water shares: 247 differ, by at most 9.4e-15)."""
    polygons = np.asarray(polygons, dtype=object)
    if geometry.THREADS == 1 or len(polygons) < 2 * geometry._MIN_CHUNK:
        return shapely.get_parts(shapely.disjoint_subset_union_all(polygons))
    bounds = shapely.bounds(polygons)
    strips = np.array_split(np.argsort(bounds[:, 0] + bounds[:, 2], kind="stable"),
                            min(geometry.THREADS, len(polygons) // geometry._MIN_CHUNK))
    with ThreadPoolExecutor(len(strips)) as pool:
        unions = list(pool.map(lambda strip: shapely.disjoint_subset_union_all(polygons[strip]), strips))
    parts, strip = shapely.get_parts(np.array(unions, dtype=object), return_index=True)
    a, b = shapely.STRtree(parts).query(parts, predicate="intersects")
    across = strip[a] < strip[b]
    if not across.any():
        return parts
    # parts meeting across a strip edge, in groups of parts that meet (one union each)
    group = np.arange(len(parts))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, j in zip(a[across].tolist(), b[across].tolist()):
        group[max(root(i), root(j))] = min(root(i), root(j))
    joined = np.unique(np.r_[a[across], b[across]])
    roots = np.array([root(i) for i in joined])
    _, merged = geometry.union_by_group(parts[joined], roots)
    rest = np.ones(len(parts), dtype=bool)
    rest[joined] = False
    return np.r_[parts[rest], shapely.get_parts(merged)]


# pairs per block in covered_share (~1.5 kB of clipped piece each)
_SHARE_BLOCK = 100_000
# cover vertices prepared at a time in covered_share
_PREPARED_VERTICES = 1_000_000
# relative difference of two areas below which they are the same area computed twice
_SAME_AREA = 1e-12


def _cover_block(polygons: np.ndarray, cover: np.ndarray, pi: np.ndarray, ci: np.ndarray, disjoint: bool,
                 covered: np.ndarray) -> None:
    """Steps 2-3 of ``covered_share`` for (polygon, cover) pairs sorted by polygon and
    holding all pairs of each of their polygons: their ``covered`` area."""
    # 2. clip each cover polygon to the village's box, then to the village
    pieces = cover[ci]
    big = shapely.get_num_coordinates(pieces) > CLIP_MIN_VERTICES
    if big.any():
        pieces = pieces.copy()
        pieces[big] = _clip_to_boxes(pieces[big], shapely.bounds(polygons[pi[big]]) + [-1.0, -1.0, 1.0, 1.0])
    if disjoint:  # pieces of one cover do not overlap: their areas add up
        pieces = geometry._parallel(shapely.intersection, pieces, polygons[pi])
        covered += np.bincount(pi, weights=shapely.area(pieces), minlength=len(polygons))
        return
    # 3. one piece: the area of its intersection with the polygon. Several (overlapping
    # cover): what is left of the polygon once each piece is cut away in turn, one overlay
    # a piece, where intersecting each and unioning the results took two (100k villages'
    # 4G: 10.1 -> 4.0 s CPU); the covered area is the polygon's less what is left
    counts = np.bincount(pi, minlength=len(polygons))
    single = counts[pi] == 1
    covered[pi[single]] = shapely.area(geometry._parallel(shapely.intersection, pieces[single],
                                                          polygons[pi[single]]))
    multi = ~single
    if multi.any():
        mp, mpieces = pi[multi], pieces[multi]
        groups, start, size = np.unique(mp, return_index=True, return_counts=True)
        left = polygons[groups]
        for k in range(int(size.max())):
            rows = np.flatnonzero(size > k)
            left[rows] = geometry._parallel(shapely.difference, left[rows], mpieces[start[rows] + k])
        whole = shapely.area(polygons[groups])
        cut = whole - shapely.area(left)
        # a polygon the pieces only touch comes back redrawn, its area equal to the last
        # bits (the pieces' own intersection would be empty): nothing is covered
        covered[groups] = np.where(cut > _SAME_AREA * whole, cut, 0.0)
