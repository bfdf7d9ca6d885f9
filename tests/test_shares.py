"""gis.shares gives the same shares however its work is split: villages a block at a
time and cover prepared a block at a time, thread chunks that keep each prepared cover
polygon to one thread, small cover dissolved in strips, cover cut to each village's box
in one call per thread or one call a geometry."""

from __future__ import annotations


import geopandas as gpd
import numpy as np
import pytest
import shapely

from gis import geometry, shares


def test_covered_share_in_blocks_of_villages_is_one_pass(monkeypatch, country):
    # blocks of a few pairs (cut only between villages), and cover prepared a few vertices
    # at a time, give the very same shares as one block, for both kinds of cover; the
    # caller's cover is not left prepared
    monkeypatch.setattr(geometry, "THREADS", 2)
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 50)
    villages = gpd.read_file(country / "villages.fgb").geometry.to_numpy()
    default = shares._PREPARED_VERTICES
    for name in ("coverage", "water"):
        cover = gpd.read_file(country / f"{name}.fgb").geometry.to_numpy()
        monkeypatch.setattr(shares, "_SHARE_BLOCK", 10**9)
        whole = shares.covered_share(villages, cover)
        assert not shapely.is_prepared(cover).any()
        for block, prepared in ((1, 1), (7, 500), (100, 10**9)):
            monkeypatch.setattr(shares, "_SHARE_BLOCK", block)
            monkeypatch.setattr(shares, "_PREPARED_VERTICES", prepared)
            assert np.array_equal(shares.covered_share(villages, cover), whole, equal_nan=True)
            assert not shapely.is_prepared(cover).any()
        monkeypatch.setattr(shares, "_PREPARED_VERTICES", default)
        assert (whole == 0).any() and ((whole > 0) & (whole < 1)).any()


@pytest.mark.parametrize(("keys", "chunks"), [(np.repeat(np.arange(40), 30)[:1000], 4), (np.arange(1000), 4),
                                              (np.repeat([0, 1, 2], [10, 970, 20]), 2), (np.zeros(1000, int), 1)])
def test_parallel_chunks_keep_runs_of_keys_together(monkeypatch, keys, chunks):
    # covered_share tests each cover polygon prepared: all its pairs in one thread's chunk
    monkeypatch.setattr(geometry, "THREADS", 4)
    calls = []

    def func(k: np.ndarray, x: np.ndarray) -> np.ndarray:
        calls.append(np.unique(k))
        return x * 2

    x = np.arange(len(keys), dtype=float)
    assert np.array_equal(geometry._parallel(func, keys, x, min_chunk=100, keys=keys), x * 2)
    seen = np.concatenate(calls)
    assert len(seen) == len(np.unique(keys))   # no key in two chunks
    assert len(calls) == chunks


@pytest.mark.parametrize("threads", [2, 3])
def test_dissolve_in_strips_gives_the_parts_of_one_disjoint_subset_union(monkeypatch, country, threads):
    # the synthetic water areas, plus chains of circles running across every strip edge and
    # pairs touching in a single point (they stay two parts)
    monkeypatch.setattr(geometry, "THREADS", threads)
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 50)
    water = gpd.read_file(country / "water.fgb").to_crs(32649).geometry.to_numpy()
    x0, y0, x1, y1 = shapely.total_bounds(water)
    centres = shapely.points(np.linspace(x0, x1, 400), np.full(400, y1 + 5000.0))
    chain = shapely.buffer(centres, 0.75 * (x1 - x0) / 399)     # each overlaps the next
    corners = np.r_[shapely.box(np.linspace(x0, x1, 50), y1 + 9000, np.linspace(x0, x1, 50) + 40, y1 + 9040),
                    shapely.box(np.linspace(x0, x1, 50) + 40, y1 + 9040, np.linspace(x0, x1, 50) + 80, y1 + 9080)]
    polygons = np.r_[water, chain, corners]
    ours = shares._dissolve(polygons)
    one = shapely.get_parts(shapely.disjoint_subset_union_all(polygons))
    assert len(ours) == len(one)
    whole = ours[shapely.intersects(ours, centres[0])]
    assert len(whole) == 1 and shapely.contains(whole[0], centres).all()     # the chain is one part
    # part by part: the same shapes (matched by a point inside), areas to the last bits
    inside = shapely.STRtree(one).query(shapely.point_on_surface(ours), predicate="within")
    assert np.array_equal(np.sort(inside[1]), np.arange(len(one)))
    assert np.allclose(shapely.area(ours[inside[0]]), shapely.area(one[inside[1]]), rtol=1e-12, atol=0)
    assert shapely.area(shapely.symmetric_difference(shapely.union_all(ours), shapely.union_all(one))) < 1e-6


@pytest.mark.parametrize("ufunc", [True, False])
def test_clips_by_each_own_box_are_those_of_one_call_a_geometry(monkeypatch, ufunc):
    # covered_share cuts cover polygons to each village's box: in one call per thread where
    # shapely's ufunc takes a box per geometry, else one call a geometry; the same pieces
    monkeypatch.setattr(geometry, "THREADS", 2)
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 50)
    if not ufunc:
        def scalar_only(*args):
            raise TypeError("xmin/ymin/xmax/ymax only accepts scalar values")
        monkeypatch.setattr(shares, "_clip_each", scalar_only)
    rng = np.random.default_rng(2)
    centres = rng.uniform(0, 1000, (300, 2))
    geoms = shapely.buffer(shapely.points(centres), rng.uniform(20, 200, 300), quad_segs=64).astype(object)
    geoms[::17] = shapely.multipolygons([[g, shapely.affinity.translate(g, 500, 0)] for g in geoms[::17]])
    geoms[5::41] = shapely.Polygon()
    lows = centres + rng.uniform(-150, 50, (300, 2))
    bounds = np.c_[lows, lows + rng.uniform(10, 300, (300, 2))]
    bounds[7::29] += 5000.0                                   # boxes far from their geometry
    got = shares._clip_to_boxes(geoms, bounds)
    expected = [shapely.clip_by_rect(g, *b) for g, b in zip(geoms, bounds.tolist())]
    assert shapely.to_wkb(got).tolist() == shapely.to_wkb(np.array(expected, dtype=object)).tolist()
    assert shapely.is_empty(got[7::29]).all() and (shapely.area(got) > 0).sum() > 200
