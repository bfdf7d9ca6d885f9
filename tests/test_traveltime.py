"""Travel times along the road graph (gis/traveltime.py): known answers on hand-built roads,
and against networkx's quickest paths on the perturbed Guizhou grid with a speed a road."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString

from gis import roadgraph, traveltime
from test_roadgraph import CRS, guizhou_network, lines, points


def test_quickest_is_not_the_shortest():
    """From (0, 0) to (1000, 0): straight along a 20 km/h village road (180 s), or round by a
    60 km/h road through (500, 400) (1,281 m: 76.8 s)."""
    roads = lines({"xy": [(0, 0), (1000, 0)]}, {"xy": [(0, 0), (500, 400), (1000, 0)]})
    graph = roadgraph.build(roads)
    net = traveltime.timed(graph, np.array([20, 60]) / 3.6, 4 / 3.6)
    out = traveltime.nearest_time(net, points((0, -10)), points((1000, 0)))
    round_m = 2 * np.hypot(500, 400)
    assert out["seconds"].iloc[0] == pytest.approx(10 / (4 / 3.6) + round_m / (60 / 3.6))   # the 10 m leg walked
    assert graph.nearest_target(points((0, -10)), points((1000, 0)))["network_m"].iloc[0] == pytest.approx(1000)


def test_one_way_and_one_edge():
    roads = lines({"xy": [(0, 0), (100, 0)], "oneway": "yes"}, {"xy": [(100, 0), (100, 100)], "oneway": "yes"},
                  {"xy": [(0, 100), (100, 100)], "oneway": "-1"}, {"xy": [(0, 100), (0, 0)], "oneway": "yes"})
    net = traveltime.timed(roadgraph.build(roads), np.full(4, 10.0), 1.0)
    p, q = points((20, 0)), points((70, 0))
    assert traveltime.nearest_time(net, p, q)["seconds"].iloc[0] == pytest.approx(5.0)
    assert traveltime.nearest_time(net, q, p)["seconds"].iloc[0] == pytest.approx(35.0)
    assert traveltime.own_time(net, q, p, [0]).iloc[0] == pytest.approx(35.0)
    assert np.isnan(traveltime.own_time(net, q, p, [-1]).iloc[0])


def test_unreachable_is_nan_and_bad_speeds_are_errors():
    roads = lines({"xy": [(0, 0), (100, 0)]}, {"xy": [(500, 0), (600, 0)]})
    graph = roadgraph.build(roads)
    net = traveltime.timed(graph, np.full(2, 10.0), 1.0)
    out = traveltime.nearest_time(net, points((0, 5)), points((600, 0)))
    assert out["target"].iloc[0] == -1 and np.isnan(out["seconds"].iloc[0])
    with pytest.raises(ValueError, match="above 0"):
        traveltime.timed(graph, np.array([10.0, 0.0]), 1.0)


@pytest.mark.parametrize("seed", [1, 2])
def test_equal_speeds_give_the_road_graph_distances(seed):
    frame, _, _ = guizhou_network(seed)
    graph = roadgraph.build(frame, snap_m=3.0)
    rng = np.random.default_rng(300 + seed)
    x0, y0, x1, y1 = frame.total_bounds
    sources = gpd.GeoSeries(shapely.points(rng.uniform(x0, x1, 80), rng.uniform(y0, y1, 80)), crs=CRS)
    targets = gpd.GeoSeries(shapely.points(rng.uniform(x0, x1, 6), rng.uniform(y0, y1, 6)), crs=CRS)
    ours = traveltime.nearest_time(traveltime.timed(graph, np.ones(len(frame)), 1.0), sources, targets)
    theirs = graph.nearest_target(sources, targets)
    metres = (theirs["network_m"] + theirs["walk_m"] + theirs["target_walk_m"]).to_numpy()
    np.testing.assert_allclose(ours["seconds"].to_numpy(), metres, atol=1e-6)


def reference_times(frame, truth, gaps, pace, walk_pace, sources, targets, stub_of):
    """Each source's quickest time to the nearest target with networkx: every line split
    where a point joins it (found by brute force), weighted by its length times its pace;
    a snapped gap at its dangling line's pace; the legs at walking pace."""
    polylines = [LineString(xy) for xy, *_ in truth]
    g = nx.DiGraph()

    def add(u, v, w):
        if not g.has_edge(u, v) or g[u][v]["w"] > w:
            g.add_edge(u, v, w=w)
    on_line, legs = {}, {}
    for kind, pts in (("s", sources), ("t", targets)):
        for k, p in enumerate(pts):
            d = shapely.distance(p, polylines)
            line = int(np.argmin(d))
            on_line.setdefault(line, []).append((shapely.line_locate_point(polylines[line], p), (kind, k)))
            legs[(kind, k)] = float(d[line]) * walk_pace
    for line, (xy, a, b, oneway) in enumerate(truth):
        stops = [(0.0, a)] + sorted(on_line.get(line, [])) + [(polylines[line].length, b)]
        for (p0, n0), (p1, n1) in zip(stops[:-1], stops[1:]):
            if oneway != "-1" or p1 == p0:
                add(n0, n1, (p1 - p0) * pace[line])
            if oneway != "yes" or p1 == p0:
                add(n1, n0, (p1 - p0) * pace[line])
    for s, n, gap in gaps:
        add(s, n, gap * pace[stub_of[s]])
        add(n, s, gap * pace[stub_of[s]])
    for k in range(len(targets)):
        g.add_edge(("t", k), ("v", k), w=legs[("t", k)])
    dist = nx.multi_source_dijkstra_path_length(g.reverse(), {("v", k) for k in range(len(targets))}, weight="w")
    return np.array([dist.get(("s", k), np.nan) + legs[("s", k)] for k in range(len(sources))])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_times_equal_networkx_quickest_paths(seed):
    frame, truth, gaps = guizhou_network(seed)
    graph = roadgraph.build(frame, snap_m=3.0)
    rng = np.random.default_rng(400 + seed)
    speed = rng.choice([15, 20, 30, 60], len(frame)) / 3.6       # km/h of the rural grades, a road each
    walk = 4 / 3.6
    net = traveltime.timed(graph, speed, walk)
    x0, y0, x1, y1 = frame.total_bounds
    sources = shapely.points(rng.uniform(x0, x1, 120), rng.uniform(y0, y1, 120))
    targets = shapely.points(rng.uniform(x0, x1, 6), rng.uniform(y0, y1, 6))
    ours = traveltime.nearest_time(net, gpd.GeoSeries(sources, crs=CRS), gpd.GeoSeries(targets, crs=CRS))
    stub_of = {a: k for k, (_, a, _, _) in enumerate(truth) if isinstance(a, str)}
    expected = reference_times(frame, truth, gaps, 1 / speed, 1 / walk, sources, targets, stub_of)
    got = ours["seconds"].to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    # 0.5 m at the slowest pace (walking, 4 km/h) is 0.45 s
    assert np.nanmax(np.abs(got - expected)) <= 0.45
    assert np.isfinite(expected).sum() > 80
    own = rng.integers(-1, 6, 120)
    mine = traveltime.own_time(net, gpd.GeoSeries(sources, crs=CRS), gpd.GeoSeries(targets, crs=CRS), own)
    each = np.array([reference_times(frame, truth, gaps, 1 / speed, 1 / walk, [s], [targets[t]], stub_of)[0]
                     if t >= 0 else np.nan for s, t in zip(sources, own)])
    assert np.array_equal(np.isnan(mine.to_numpy()), np.isnan(each))
    assert np.nanmax(np.abs(mine.to_numpy() - each)) <= 0.45
    assert pd.Index(mine.index).equals(pd.RangeIndex(120))
