"""Coverage validation passes polygons whose every edge is matched by a neighbour's,
run the other way round, without GEOS (gis.coverage.edges_matched), and gives GEOS's own
answer for every polygon: lattices with the ways a coverage goes wrong, odd geometries,
and real village boundaries."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity
from shapely.geometry import box

from gis import coverage, geometry


def _lattice(n_side: int, seed: int) -> list:
    """Cells of a jittered lattice with edges of several vertices, shared exactly with the
    neighbours (as real village boundaries from one survey are), rings in either direction."""
    rng = np.random.default_rng(seed)
    nodes = np.stack(np.meshgrid(np.arange(n_side + 1), np.arange(n_side + 1), indexing="ij"), -1).astype(float)
    nodes += rng.uniform(-0.2, 0.2, nodes.shape)
    inner = 3
    edges = {}

    def edge(p, q):   # the same points for both cells that share it
        key = (min(p, q), max(p, q))
        if key not in edges:
            t = np.linspace(0, 1, inner + 2)[1:-1, None]
            a, b = nodes[key[0]], nodes[key[1]]
            edges[key] = a + t * (b - a) + rng.uniform(-0.05, 0.05, (inner, 2))
        points = edges[key]
        return points if (p, q) == key else points[::-1]

    cells = []
    for i in range(n_side):
        for j in range(n_side):
            corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
            ring = []
            for p, q in zip(corners, corners[1:] + corners[:1]):
                ring += [nodes[p], *edge(p, q)]
            cell = shapely.Polygon(ring)
            cells.append(cell.reverse() if rng.random() < 0.3 else cell)
    return cells


def _defects(cells: list, seed: int) -> np.ndarray:
    """Cells with the ways a coverage goes wrong, or nearly: a vertex moved on one side of
    a shared edge, a vertex added to one side, repeated points, a duplicate, an overlap,
    a hole with an island filling it (clean) and one that does not, a second lattice laid
    across part of the first, a cell covered by a small polygon inside it, a polygon drawn
    twice far from the rest (and another twice, once the other way round)."""
    rng = np.random.default_rng(seed)
    cells = list(cells)
    pick = iter(rng.permutation(len(cells)).tolist())
    k = next(pick)
    coords = shapely.get_coordinates(cells[k])
    coords[2] += 0.01                                          # one side of a shared edge moved
    cells[k] = shapely.Polygon(coords)
    k = next(pick)
    coords = shapely.get_coordinates(cells[k])
    cells[k] = shapely.Polygon(np.r_[coords[:2], [(coords[1] + coords[2]) / 2], coords[2:]])   # T-junction
    k = next(pick)
    coords = shapely.get_coordinates(cells[k])
    cells[k] = shapely.Polygon(np.r_[coords[:3], coords[2:3], coords[2:]])   # a repeated point: still clean
    cells.append(cells[next(pick)])                                          # a duplicate
    cells[next(pick)] = shapely.affinity.translate(cells[k], 0.05, 0.02)     # an overlap
    k = next(pick)
    hole = shapely.Polygon(shapely.get_coordinates(cells[k].centroid.buffer(0.2, 2)))
    cells[k] = shapely.Polygon(cells[k].exterior, [hole.exterior])
    cells.append(hole.reverse())                                             # the island: clean
    k = next(pick)
    hole = shapely.Polygon(shapely.get_coordinates(cells[k].centroid.buffer(0.2, 2)))
    cells[k] = shapely.Polygon(cells[k].exterior, [hole.exterior])
    cells.append(shapely.affinity.scale(hole, 0.9, 0.9))                     # an island short of the hole
    cells.append(cells[next(pick)].centroid.buffer(0.1, 2))                  # inside a clean cell
    alone = shapely.Polygon(shapely.get_coordinates(box(40, 40, 41, 41).segmentize(0.25)))
    cells += [alone, alone, shapely.affinity.translate(alone, 5), shapely.affinity.translate(alone, 5).reverse()]
    layer = _lattice(3, seed + 100)                                          # a second survey across the first
    cells += [shapely.affinity.translate(c, 2.5, 2.5) for c in layer]
    return np.array(cells, dtype=object)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_coverage_invalid_with_matched_edges_first_is_geos_answer(monkeypatch, seed):
    polygons = _defects(_lattice(12, seed), seed)
    expected = ~shapely.is_empty(shapely.coverage_invalid_edges(polygons))
    matched = coverage.edges_matched(polygons)
    assert 0 < expected.sum() < len(polygons) - 50 and matched.sum() > len(polygons) / 2
    assert not (matched & expected).any()   # GEOS passes every polygon found matched
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 20)
    for threads, strip in ((1, 20_000), (2, 20_000), (3, 20_000), (1, 25), (2, 40)):   # strips of 25 or 40 polygons
        monkeypatch.setattr(geometry, "THREADS", threads)
        monkeypatch.setattr(coverage, "_EDGE_STRIP", strip)
        assert np.array_equal(coverage.coverage_invalid(polygons), expected)
        assert np.array_equal(coverage._in_strips(coverage.edges_matched, polygons, strip), matched)
    clean = np.array(_lattice(12, seed), dtype=object)   # a clean coverage: only the outer ring of cells left to GEOS
    assert coverage.edges_matched(clean).sum() == 10 * 10
    assert not coverage.coverage_invalid(clean).any()


@pytest.mark.parametrize("geoms", [
    [box(0, 0, 1, 1), box(1, 0, 2, 1), None, shapely.Polygon()],     # missing and empty ones among them
    [None, None],
    [box(0, 0, 1, 1), box(1, 0, 2, 1), shapely.Point(5, 5)],
    [box(0, 0, 1, 1), box(1, 0, 2, 1), shapely.Polygon([(2, 0, 5), (3, 0, 5), (3, 1, 5), (2, 1, 5)])],
    [shapely.MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)]), box(1, 0, 2, 1), box(6, 5, 7, 6)],
    [box(0, 0, 1, 1), box(1, 0, 2, 1), "a NaN vertex"],
])
def test_coverage_invalid_of_odd_geometries_is_geos_answer(geoms):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # shapely on the NaN vertex
        nan = shapely.Polygon([(3, 3), (4, 3), (np.nan, 4), (3, 4)])
        polygons = np.array([*(nan if isinstance(g, str) else g for g in geoms), None], dtype=object)[:-1]
        expected = ~shapely.is_empty(shapely.coverage_invalid_edges(polygons))
        assert np.array_equal(coverage.coverage_invalid(polygons), expected)


def test_coverage_invalid_on_real_village_boundaries():
    """402 villages of Goa (DataMeet, ODbL 1.0): GEOS's answer, a quarter of them left to it."""
    path = Path(__file__).parent / "data" / "goa_villages.geojson.gz"
    polygons = gpd.read_file(f"/vsigzip/{path}").to_crs(32643).geometry.to_numpy()
    expected = ~shapely.is_empty(shapely.coverage_invalid_edges(polygons))
    matched = coverage.edges_matched(polygons)
    assert 250 < matched.sum() < 350
    assert np.array_equal(coverage.coverage_invalid(polygons), expected)
    moved = polygons.copy()
    coords = shapely.get_coordinates(moved[np.flatnonzero(matched)[0]])
    coords[1] += 5.0                                          # a matched village's vertex moved 5 m
    moved[np.flatnonzero(matched)[0]] = shapely.Polygon(coords)
    expected = ~shapely.is_empty(shapely.coverage_invalid_edges(moved))
    assert expected.sum() >= 2 and np.array_equal(coverage.coverage_invalid(moved), expected)
