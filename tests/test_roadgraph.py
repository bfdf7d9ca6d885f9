"""Known answers for the road graph (gis/roadgraph.py) on hand-built networks, and its
distances against networkx's shortest paths on a random network in Guizhou.

The hand-built networks are drawn in EPSG:4544 (CGCS2000 3-degree Gauss-Krüger, central
meridian 105E) near 105.9E 25.2N: X0, Y0 below, plus metres.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely import LineString, Point

from gis import roadgraph
from gis.errors import CRSError

CRS = "EPSG:4544"
X0, Y0 = Transformer.from_crs(4326, 4544, always_xy=True).transform(105.9, 25.2)


def lines(*rows: dict) -> gpd.GeoDataFrame:
    """Lines from rows with ``xy`` (metres from X0, Y0) and any columns."""
    geoms = [LineString([(X0 + x, Y0 + y) for x, y in row["xy"]]) for row in rows]
    data = [{k: v for k, v in row.items() if k != "xy"} for row in rows]
    return gpd.GeoDataFrame(pd.DataFrame(data, index=range(len(rows))), geometry=geoms, crs=CRS)


def points(*xy, index=None) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(X0 + x, Y0 + y) for x, y in xy], index=index, crs=CRS)


# -- connected through hardened roads -------------------------------------------------------

def township_network(stub_gap_m: float) -> gpd.GeoDataFrame:
    """A hardened road from the township (0, 0) east to (2000, 0); a gravel road on from
    there to (3000, 0); a hardened stub from (3000, 0) north to the village at (3000, 900),
    its south end ``stub_gap_m`` short of (3000, 0) when that is not 0 (drawn from
    (3000, gap))."""
    return lines({"xy": [(0, 0), (2000, 0)], "hardened": True},
                 {"xy": [(2000, 0), (3000, 0)], "hardened": False},
                 {"xy": [(3000, stub_gap_m), (3000, 900)], "hardened": True},
                 {"xy": [(2000, 0), (2000, 2.5), (2200, 600)], "hardened": pd.NA})


def test_hardened_stub_not_connected_to_the_township():
    graph = roadgraph.build(township_network(0.0))
    village, town = points((3010, 880)), points((0, -20))
    assert graph.snapped == 0
    # the whole network connects; the hardened roads alone do not (the gravel piece between)
    assert bool(graph.connected(village, town)["connected"].iloc[0])
    hard = graph.subset(township_network(0.0)["hardened"])
    out = hard.connected(village, town)
    assert not out["connected"].iloc[0]
    assert out["walk_m"].iloc[0] == pytest.approx(10.0)
    # the nearest line that does connect: the hardened road ends at (2000, 0)
    assert out["connected_walk_m"].iloc[0] == pytest.approx(np.hypot(1010, 880))


def test_connected_through_one_snapped_end():
    roads = lines({"xy": [(0, 0), (2000, 0)], "hardened": True},
                  {"xy": [(1000, 2.0), (1000, 900)], "hardened": True},   # 2 m short of the road
                  {"xy": [(5000, 0), (5000, 900)], "hardened": True})     # far away, alone
    graph = roadgraph.build(roads, snap_m=3.0)
    assert graph.snapped == 1
    # dangles left: the road's two ends, the stub's north end, the far road's two ends
    assert graph.dangles == 5
    out = graph.connected(points((1005, 850), (5010, 100)), points((0, -20)))
    assert list(out["connected"]) == [True, False]
    # the stub's end joined to the middle of the road (split there): 2 m of connector
    d = graph.nearest_target(points((1000, 900)), points((0, 0)))
    assert d["network_m"].iloc[0] == pytest.approx(898 + 2 + 1000)
    # without snapping the stub stays apart
    assert not roadgraph.build(roads, snap_m=1.0).connected(points((1005, 850)), points((0, -20)))["connected"].iloc[0]


def test_snapped_to_a_node_when_one_is_near():
    roads = lines({"xy": [(0, 0), (1000, 0)]}, {"xy": [(1000, 0), (1000, 1000)]},
                  {"xy": [(1001.5, -1.0), (1800, -500)]})   # 1.8 m from the corner
    graph = roadgraph.build(roads)
    assert graph.snapped == 1
    assert graph.node_count == 5            # the 3 lines' ends less the one shared: no new node
    assert len(graph.connectors) == 1
    d = graph.nearest_target(points((1800, -500)), points((0, 0)))
    assert d["network_m"].iloc[0] == pytest.approx(np.hypot(798.5, 499) + np.hypot(1.5, 1.0) + 1000)


# -- levels -------------------------------------------------------------------------------------

def test_bridge_over_a_road_without_a_shared_vertex_is_not_joined():
    roads = lines({"xy": [(0, 0), (1000, 0)]},
                  {"xy": [(500, -500), (500, 500)], "bridge": "yes", "layer": 1})
    graph = roadgraph.build(roads)
    assert len(np.unique(graph.components)) == 2
    out = graph.nearest_target(points((0, 0)), points((500, 500)))
    assert out["target"].iloc[0] == -1 and np.isnan(out["network_m"].iloc[0])


@pytest.mark.parametrize("layer, bridge, joined", [(1, "yes", False), (1, None, False), (0, "no", True)])
def test_crossing_with_a_shared_vertex_joined_only_at_one_level(layer, bridge, joined):
    roads = lines({"xy": [(0, 0), (500, 0), (1000, 0)]},
                  {"xy": [(500, -500), (500, 0), (500, 500)], "bridge": bridge, "layer": layer})
    graph = roadgraph.build(roads)
    assert (len(np.unique(graph.components)) == 1) is joined
    d = graph.nearest_target(points((0, 0)), points((500, 500)))["network_m"].iloc[0]
    assert (d == pytest.approx(1000)) if joined else np.isnan(d)


def test_a_bridge_meets_its_approach_roads_at_its_ends():
    # ground road, bridge, ground road end to end; a ground road ending on the bridge's
    # middle vertex is not joined to it, nor snapped to it (2 m off)
    roads = lines({"xy": [(0, 0), (400, 0)]},
                  {"xy": [(400, 0), (500, 0), (600, 0)], "bridge": "yes", "layer": 1},
                  {"xy": [(600, 0), (1000, 0)]},
                  {"xy": [(500, -300), (500, 0)]},
                  {"xy": [(550, -300), (550, -2)]})
    graph = roadgraph.build(roads)
    assert graph.snapped == 0
    labels = graph.connected(points((0, 0), (1000, 0), (500, -300), (550, -300)), points((0, 0)))
    assert list(labels["connected"]) == [True, True, False, False]


def test_a_bridge_end_snaps_to_the_ground_road():
    roads = lines({"xy": [(0, 0), (1000, 0)]},
                  {"xy": [(500, 2), (500, 800)], "bridge": "yes", "layer": 1})
    graph = roadgraph.build(roads)
    assert graph.snapped == 1
    assert len(np.unique(graph.components)) == 1


# -- direction, walking legs, components ---------------------------------------------------------

def test_one_way_loop_distances_differ_by_direction():
    # a square loop of one-way roads, anticlockwise; one road drawn against travel (-1)
    roads = lines({"xy": [(0, 0), (100, 0)], "oneway": "yes"},
                  {"xy": [(100, 0), (100, 100)], "oneway": "yes"},
                  {"xy": [(0, 100), (100, 100)], "oneway": "-1"},
                  {"xy": [(0, 100), (0, 0)], "oneway": "yes"})
    graph = roadgraph.build(roads)
    a, b = points((0, 0)), points((100, 0))
    assert graph.nearest_target(a, b)["network_m"].iloc[0] == pytest.approx(100)
    assert graph.nearest_target(b, a)["network_m"].iloc[0] == pytest.approx(300)
    # both on one edge: along it one way, round the loop the other
    p, q = points((20, 0)), points((70, 0))
    assert graph.nearest_target(p, q)["network_m"].iloc[0] == pytest.approx(50)
    assert graph.nearest_target(q, p)["network_m"].iloc[0] == pytest.approx(350)
    # two-way: the same either way
    two_way = roadgraph.build(roads.drop(columns="oneway"))
    assert two_way.nearest_target(q, p)["network_m"].iloc[0] == pytest.approx(50)


def test_seat_off_the_network_walks_to_the_nearest_road():
    roads = lines({"xy": [(0, 0), (1000, 0)]}, {"xy": [(1000, 0), (1000, 1000)]})
    graph = roadgraph.build(roads)
    seats = points((300, 40), (990, 700), index=pd.Index(["520102001", "520102002"], name="code"))
    out = graph.nearest_target(seats, points((1000, 1000), (0, -25)))
    assert list(out.index) == ["520102001", "520102002"]      # aligned to the seats
    assert list(out.columns) == ["target", "network_m", "walk_m", "target_walk_m"]
    assert list(out["walk_m"]) == pytest.approx([40, 10])
    assert list(out["target"]) == [1, 0]
    assert list(out["network_m"]) == pytest.approx([300, 300])
    assert list(out["target_walk_m"]) == pytest.approx([25, 0])
    # within a limit: nothing found beyond it
    assert graph.nearest_target(seats, points((1000, 1000)), limit_m=500)["target"].tolist() == [-1, 0]


def test_two_components_and_the_main_one():
    roads = lines({"xy": [(0, 0), (1000, 0)]}, {"xy": [(1000, 0), (1000, 1000)]},
                  {"xy": [(5000, 0), (5300, 0)]})
    graph = roadgraph.build(roads)
    assert len(np.unique(graph.components)) == 2
    assert graph.component_m[graph.main_component] == pytest.approx(2000)
    out = graph.connected(points((500, 5), (5100, 5)))         # to the main component
    assert list(out["connected"]) == [True, False]
    assert out["connected_walk_m"].iloc[1] == pytest.approx(np.hypot(4100, 5))
    assert out["component"].iloc[0] != out["component"].iloc[1]


def test_edges_keep_their_line_and_a_subset_is_a_graph():
    roads = lines({"xy": [(0, 0), (500, 0), (1000, 0)], "hardened": True},
                  {"xy": [(500, 0), (500, 500)], "hardened": pd.NA},
                  {"xy": [(1000, 0), (1500, 0)], "hardened": False})
    roads.index = [10, 20, 30]
    graph = roadgraph.build(roads)
    assert sorted(graph.edge_lines().tolist()) == [0, 0, 1, 2]    # rows of the frame
    hard = graph.subset(roads["hardened"])
    assert hard.edge_lines().tolist() == [0, 0]
    assert hard.nearest_target(points((1400, 10)), points((0, 0)))["walk_m"].iloc[0] == pytest.approx(np.hypot(400, 10))


def test_multilines_and_missing_geometries():
    roads = lines({"xy": [(0, 0), (1000, 0)]}, {"xy": [(1000, 0), (1000, 1000)]})
    roads.loc[2] = None
    roads.loc[1, "geometry"] = shapely.multilinestrings([roads.geometry[1], LineString([(X0 + 1000, Y0 + 1000),
                                                                                           (X0 + 2000, Y0 + 1000)])])
    graph = roadgraph.build(roads)
    assert graph.line_count == 3
    assert graph.nearest_target(points((2000, 1000)), points((0, 0)))["network_m"].iloc[0] == pytest.approx(3000)


def test_crs_problems_are_errors():
    roads = lines({"xy": [(0, 0), (1000, 0)]})
    with pytest.raises(CRSError, match="not a CRS in metres"):
        roadgraph.build(roads.to_crs(4326))
    with pytest.raises(CRSError, match="no CRS"):
        roadgraph.build(roads.set_crs(None, allow_override=True))
    graph = roadgraph.build(roads)
    with pytest.raises(CRSError, match="reproject the points"):
        graph.nearest_target(points((0, 0)).to_crs(4326), points((10, 0)))


# -- against networkx -------------------------------------------------------------------------

def guizhou_network(seed: int):
    """A perturbed 9 x 9 grid of roads in Guizhou (crossings about 400 m apart, each road
    drawn with two bends), 15 % of the roads left out, a fifth one-way (half drawn against
    travel); dead-end stubs, some drawn 1.5 m short of their crossing (snapped) and some
    10 m short (not); a bridge (layer 1) across the grid from edge to edge. Returns the
    lines and the same network as networkx knows it: a list of (polyline, a, b, oneway)
    with node names, and the snapped gaps as (a, b, metres)."""
    rng = np.random.default_rng(seed)
    to_gk = Transformer.from_crs(4326, 4544, always_xy=True)
    lon, lat = np.meshgrid(105.9 + np.arange(9) * 0.004, 25.2 + np.arange(9) * 0.0036)
    gx, gy = to_gk.transform(lon.ravel(), lat.ravel())
    gx, gy = gx + rng.normal(0, 40, gx.size), gy + rng.normal(0, 40, gy.size)
    node = np.arange(81).reshape(9, 9)
    pairs = [(node[i, j], node[i, j + 1]) for i in range(9) for j in range(8)] + \
            [(node[i, j], node[i + 1, j]) for i in range(8) for j in range(9)]
    rows, truth = [], []
    for a, b in pairs:
        if rng.random() < 0.15:
            continue
        t = np.array([0, 0.3, 0.7, 1.0])
        xy = np.c_[gx[a] + t * (gx[b] - gx[a]), gy[a] + t * (gy[b] - gy[a])]
        xy[1:3] += rng.normal(0, 25, (2, 2))
        r = rng.random()
        oneway = "yes" if r < 0.1 else "-1" if r < 0.2 else "no"
        rows.append({"geometry": LineString(xy), "oneway": oneway, "layer": 0})
        truth.append((xy, int(a), int(b), oneway))
    gaps = []
    for k, n in enumerate(rng.choice(81, 14, replace=False)):
        angle = np.pi / 4 + np.pi / 2 * rng.integers(4)       # between the roads at the crossing
        gap = 1.5 if k % 2 == 0 else 10.0
        reach = rng.uniform(120, 200)
        start = (gx[n] + gap * np.cos(angle), gy[n] + gap * np.sin(angle))
        end = (gx[n] + reach * np.cos(angle), gy[n] + reach * np.sin(angle))
        roads = [row["geometry"] for row in rows]
        if gap > 3 and shapely.distance(Point(start), roads).min() < 5:    # a road bends close by
            continue
        rows.append({"geometry": LineString([start, end]), "oneway": "no", "layer": 0})
        truth.append((np.array([start, end]), f"s{k}", f"e{k}", "no"))
        if gap < 3:
            gaps.append((f"s{k}", int(n), gap))
    a, b = node[4, 0], node[4, 8]
    rows.append({"geometry": LineString([(gx[a], gy[a]), (gx[b], gy[b])]), "oneway": "no", "layer": 1,
                 "bridge": "yes"})
    truth.append((np.array([(gx[a], gy[a]), (gx[b], gy[b])]), int(a), int(b), "no"))
    frame = gpd.GeoDataFrame(rows, crs=CRS)
    return frame, truth, gaps


def reference_distances(truth, gaps, sources, targets):
    """Each source's distance to the nearest target (target's leg included) with networkx,
    each point joined to its nearest line (found by brute force) by splitting it there."""
    polylines = [LineString(xy) for xy, *_ in truth]
    g = nx.DiGraph()

    def add(u, v, w):
        if not g.has_edge(u, v) or g[u][v]["w"] > w:
            g.add_edge(u, v, w=w)
    on_line: dict[int, list] = {}
    legs = {}
    for kind, pts in (("s", sources), ("t", targets)):
        for k, p in enumerate(pts):
            d = shapely.distance(p, polylines)
            line = int(np.argmin(d))
            on_line.setdefault(line, []).append((shapely.line_locate_point(polylines[line], p), (kind, k)))
            legs[(kind, k)] = float(d[line])
    for line, (xy, a, b, oneway) in enumerate(truth):
        length = polylines[line].length
        stops = [(0.0, a)] + sorted(on_line.get(line, [])) + [(length, b)]
        for (p0, n0), (p1, n1) in zip(stops[:-1], stops[1:]):
            if oneway != "-1" or p1 == p0:      # a point at a crossing is at it, whatever the way
                add(n0, n1, p1 - p0)
            if oneway != "yes" or p1 == p0:
                add(n1, n0, p1 - p0)
    for s, n, gap in gaps:
        add(s, n, gap)
        add(n, s, gap)
    for k in range(len(targets)):
        g.add_edge(("t", k), ("v", k), w=legs[("t", k)])   # arrived, then the walk
    dist = nx.multi_source_dijkstra_path_length(g.reverse(), {("v", k) for k in range(len(targets))}, weight="w")
    return np.array([dist.get(("s", k), np.nan) for k in range(len(sources))])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_distances_equal_networkx_shortest_paths(seed):
    frame, truth, gaps = guizhou_network(seed)
    graph = roadgraph.build(frame, snap_m=3.0)
    # one connector a gap (a crossing left a dead end by the roads left out snaps to its
    # stub as the stub to it: two ends snapped, one connector)
    assert len(graph.connectors) == len(gaps) and graph.snapped >= len(gaps)
    x0, y0, x1, y1 = frame.total_bounds
    rng = np.random.default_rng(100 + seed)
    # random points, and points at crossings (where one-way roads meet two-way ones)
    crossings = shapely.get_point(frame.geometry.to_numpy()[rng.choice(len(frame), 30, replace=False)], -1)
    sources = np.r_[shapely.points(rng.uniform(x0, x1, 150), rng.uniform(y0, y1, 150)), crossings[:25]]
    targets = np.r_[shapely.points(rng.uniform(x0, x1, 7), rng.uniform(y0, y1, 7)), crossings[25:]]
    ours = graph.nearest_target(gpd.GeoSeries(sources, crs=CRS), gpd.GeoSeries(targets, crs=CRS))
    expected = reference_distances(truth, gaps, sources, targets)
    got = (ours["network_m"] + ours["target_walk_m"]).to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.nanmax(np.abs(got - expected)) <= 0.5
    assert np.isfinite(expected).sum() > 100           # most are reached: a real test


def test_same_answers_whatever_the_order_of_the_lines():
    frame, _, _ = guizhou_network(4)
    rng = np.random.default_rng(7)
    x0, y0, x1, y1 = frame.total_bounds
    sources = gpd.GeoSeries(shapely.points(rng.uniform(x0, x1, 50), rng.uniform(y0, y1, 50)), crs=CRS)
    targets = gpd.GeoSeries(shapely.points(rng.uniform(x0, x1, 5), rng.uniform(y0, y1, 5)), crs=CRS)
    one = roadgraph.build(frame).nearest_target(sources, targets)
    shuffled = frame.sample(frac=1.0, random_state=3)
    two = roadgraph.build(shuffled).nearest_target(sources, targets)
    np.testing.assert_allclose(one["network_m"], two["network_m"], atol=1e-6)
