"""road_network_km_to_township (issue 22): along hardened roads from each village's seat to
its own township's seat ([towns]), known answers on a hand-built network near Guiyang,
and the distances to an own target (gis/routes.py) against networkx's shortest paths.

The hand-built network is drawn in EPSG:4545 (CGCS2000 3-degree Gauss-Krüger, central
meridian 108E) from 106.7E 26.6N, plus metres:

    T_A (0, 0) ===== trunk, hardened, two-way ===== (5000, 0) ===== T_B (6000, 0)
                    |V1 (2000, 50)   |(3000, 2) stub north to V6 (3000, 1500), 2 m short
                                                    two-way (5000, 0)-(5000, 1000)-(6000, 1000)
                                                    one-way north (6000, 0) -> (6000, 1000): V3 on it
                                                    gravel (6000, 0)-(6000, -1000), hardened on to (6000, -2000): V4
"""

from __future__ import annotations

import contextlib

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Transformer
from shapely import LineString, Point

from gis import ownsearch, roadgraph, routes, traveltime
from layers import roadnet
from layers.standards import road as roads
from layers.inputs import Inputs
from layers.settings import RoadRules
from test_roadgraph import CRS as GUIZHOU_CRS, guizhou_network, reference_distances

CRS_M = CRS.from_epsg(4545)
X0, Y0 = Transformer.from_crs(4326, 4545, always_xy=True).transform(106.7, 26.6)


def at(x, y):
    return X0 + x, Y0 + y


def road(xy, hardened=True, oneway="no"):
    return {"geometry": LineString([at(*p) for p in xy]), "hardened": hardened, "oneway": oneway}


ROADS = [road([(0, 0), (5000, 0)]), road([(5000, 0), (6000, 0)]),
         road([(3000, 2), (3000, 1500)]),                               # 2 m short of the trunk: snapped
         road([(5000, 0), (5000, 1000), (6000, 1000)]),
         road([(6000, 0), (6000, 1000)], oneway="yes"),                 # north only
         road([(6000, 0), (6000, -1000)], hardened=False),              # gravel
         road([(6000, -1000), (6000, -2000)])]                          # a hardened stub beyond it
# village seats (code, township, x, y) and the answer: km along hardened roads, straight legs (m)
VILLAGES = [("520113100201", "520113100", 2000, 50, 2.05, 50),        # V1: 50 m off the trunk
            ("520113100202", "520113100", 5000, 0, 5.0, 0),            # V2: nearer T_B, but T_A is its own
            ("520113101201", "520113101", 6000, 800, 3.2, 0),           # V3: round the one-way loop
            ("520113101202", "520113101", 6000, -1500, np.nan, 0),      # V4: only gravel joins it
            ("520113102201", "520113102", 1000, 0, np.nan, np.nan),     # V5: its township has no seat
            ("520113100203", "520113100", 3000, 1500, 4.5, 0)]          # V6: 1,498 m stub, 2 m snapped, 3 km
TOWNS = [("520113100", 0, 0), ("520113101", 6000, 0)]


def network_inputs(seat_rows=VILLAGES, towns=TOWNS) -> Inputs:
    villages = gpd.GeoDataFrame({"code": [v[0] for v in seat_rows], "name": [f"V{k}" for k in range(len(seat_rows))],
                                 "township_code": pd.array([v[1] for v in seat_rows], dtype="string")},
                                geometry=[shapely.box(*at(v[2] - 300, v[3] - 300), *at(v[2] + 300, v[3] + 300))
                                          for v in seat_rows], crs=CRS_M)
    seats = gpd.GeoSeries([Point(at(v[2], v[3])) for v in seat_rows], crs=CRS_M)
    roads = gpd.GeoDataFrame(ROADS, crs=CRS_M).astype({"hardened": "boolean"})
    town_frame = gpd.GeoDataFrame({"township_code": pd.array([t[0] for t in towns], dtype="string"),
                                   "name": [f"T{k}" for k in range(len(towns))]},
                                  geometry=[Point(at(t[1], t[2])) for t in towns], crs=CRS_M)
    return Inputs(crs=CRS_M, villages_crs=CRS_M, villages=villages, seats=seats, layers={"roads": roads},
                  towns=town_frame)


def test_km_to_the_own_township_seat_known_answers():
    inputs = network_inputs()
    out = roadnet.township_table(roadnet.Network(inputs, RoadRules()))
    assert list(out.columns) == ["road_network_km_to_township", "township_walk_m"]
    assert out.index.equals(inputs.villages.index)
    np.testing.assert_allclose(out["road_network_km_to_township"], [v[4] for v in VILLAGES], atol=5e-4)
    np.testing.assert_allclose(out["township_walk_m"], [v[5] for v in VILLAGES], atol=0.5)


def test_known_answers_equal_networkx():
    """The hand-built answers again, from networkx on the hardened lines as drawn by hand
    (the trunk cut where the stub's end snaps to it, the 2 m gap an edge of its own)."""
    def xy(*points):
        return np.array([at(*p) for p in points])
    truth = [(xy((0, 0), (3000, 0)), "ta", "c", "no"), (xy((3000, 0), (5000, 0)), "c", "p", "no"),
             (xy((5000, 0), (6000, 0)), "p", "tb", "no"), (xy((3000, 2), (3000, 1500)), "s", "v6", "no"),
             (xy((5000, 0), (5000, 1000), (6000, 1000)), "p", "r", "no"),
             (xy((6000, 0), (6000, 1000)), "tb", "r", "yes"), (xy((6000, -1000), (6000, -2000)), "g", "h", "no")]
    gaps = [("s", "c", 2.0)]
    polylines = [LineString(line) for line, *_ in truth]
    ours = roadnet.township_table(roadnet.Network(network_inputs(), RoadRules()))["road_network_km_to_township"]
    towns = {code: Point(at(x, y)) for code, x, y in TOWNS}
    for row, (_, township, x, y, km, _) in enumerate(VILLAGES):
        if township not in towns:
            continue
        seat = Point(at(x, y))
        expected = reference_distances(truth, gaps, [seat], [towns[township]])[0]
        expected += min(shapely.distance(seat, line) for line in polylines)   # the seat's own leg
        assert np.isnan(expected) == np.isnan(ours.iloc[row]) == np.isnan(km)
        if not np.isnan(expected):
            assert abs(ours.iloc[row] * 1000 - expected) <= 0.5


@pytest.mark.parametrize("seed", [1, 2])
def test_own_target_distances_equal_networkx(seed):
    """On the perturbed Guizhou grid (one-way roads, a bridge, snapped stubs): each source
    to a target of its own, most of them not their nearest."""
    frame, truth, gaps = guizhou_network(seed)
    graph = roadgraph.build(frame, snap_m=3.0)
    rng = np.random.default_rng(200 + seed)
    x0, y0, x1, y1 = frame.total_bounds
    sources = shapely.points(rng.uniform(x0, x1, 60), rng.uniform(y0, y1, 60))
    targets = shapely.points(rng.uniform(x0, x1, 5), rng.uniform(y0, y1, 5))
    own = rng.integers(-1, 5, 60)
    out = routes.to_own_target(graph, gpd.GeoSeries(sources, crs=GUIZHOU_CRS), gpd.GeoSeries(targets, crs=GUIZHOU_CRS),
                               own)
    nearest = graph.nearest_target(gpd.GeoSeries(sources, crs=GUIZHOU_CRS), gpd.GeoSeries(targets, crs=GUIZHOU_CRS))
    assert ((nearest["target"] != own) & (own >= 0)).sum() >= 20     # the searches from one target are tried
    got = (out["network_m"] + out["target_walk_m"]).to_numpy()
    expected = np.array([reference_distances(truth, gaps, [s], [targets[t]])[0] if t >= 0 else np.nan
                         for s, t in zip(sources, own)])
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.nanmax(np.abs(got - expected)) <= 0.5
    assert np.isnan(out["target_walk_m"].to_numpy()[own < 0]).all()


def test_no_hardened_road_or_no_seat_leaves_the_column_empty():
    inputs = network_inputs()
    inputs.roads["hardened"] = pd.array([False] * len(ROADS), dtype="boolean")
    out = roadnet.township_table(roadnet.Network(inputs, RoadRules()))
    assert out["road_network_km_to_township"].isna().all()
    assert roadnet.village_tables(roadnet.Network(network_inputs(towns=TOWNS), RoadRules()))[0].shape == (6, 2)
    no_towns = network_inputs()
    no_towns.towns = None
    assert roadnet.village_tables(roadnet.Network(no_towns, RoadRules())) == []


def test_true_distances_divide_by_the_scale_factor():
    """In one working CRS for a whole run ("auto"), 1.3 degrees from its meridian the
    zone's metres are longer than the ground's by its scale factor (about 1.0002)."""
    inputs = network_inputs()
    plain = roadnet.township_table(roadnet.Network(inputs, RoadRules()))
    true = roadnet.township_table(roadnet.Network(inputs, RoadRules(), true_distances=True))
    ratio = (plain["road_network_km_to_township"] / true["road_network_km_to_township"]).dropna()
    assert 1.0001 < ratio.min() <= ratio.max() < 1.0004


def test_connected_to_towns_fails_the_stub_beyond_the_gravel():
    """connected_to = "towns": V4's hardened stub joins no township seat's network (gravel
    between); the nearest connected point is T_B's end of the trunk, 1,500 m away."""
    inputs = network_inputs()
    inputs.roads["width"] = 6.0
    rules = RoadRules(max_distance_m=500, require_connected=True, connected_to="towns")
    network = roadnet.Network(inputs, rules)
    roads.mark_connected(inputs, rules, network.hardened)
    out = roads.assess(inputs, rules)
    v4 = 3
    assert out["road_connected"].iloc[v4] == "no" and out["road_verdict"].iloc[v4] == "fails"
    assert out["road_reason"].iloc[v4] == "硬化路与乡镇驻地不连通（最近连通点 1,500 米）"
    assert out["road_connected"].drop(index=v4).dropna().eq("yes").all()
    assert roads.assess(inputs, rules, "en")["road_reason"].iloc[v4] == \
        "the hardened road does not connect to a township seat (nearest connected point 1,500 m)"
    inputs.towns = inputs.towns.iloc[:0]
    with pytest.raises(roads.DataError, match=r'connected_to = "towns" needs the township seats'):
        roads.mark_connected(inputs, rules)


def test_a_seat_across_the_river_is_searched_farther_until_found():
    """Two banks 100 m apart joined only by a bridge 10 km downstream: the village's own
    township seat is across the river (20.1 km by road), the other township's seat on its
    bank; the search from its own seat starts at a few km and grows until it finds it."""
    xs = np.arange(0, 10001, 500.0)
    banks = [LineString([at(x0, y), at(x1, y)]) for y in (0, 100) for x0, x1 in zip(xs[:-1], xs[1:])]
    roads = gpd.GeoDataFrame(geometry=[*banks, LineString([at(10000, 0), at(10000, 100)])],
                             crs=CRS_M)
    graph = roadgraph.build(roads)
    seat = gpd.GeoSeries([Point(at(0, 0))], crs=CRS_M)
    towns = gpd.GeoSeries([Point(at(0, 100)), Point(at(50, 0))], crs=CRS_M)
    first = ownsearch.first_limit_m(graph, graph.attach(seat), graph.attach(towns), np.array([0]), np.array([0]))
    assert first[0] < 5000
    with spy_on_searches() as limits:
        out = routes.to_own_target(graph, seat, towns, [0])
    assert out["network_m"].iloc[0] == pytest.approx(20100)
    # the limit doubles; from 19 km the box round the seat holds the whole network (10 km
    # across), so the last search has no limit
    assert limits == [first[0], first[0] * 2, first[0] * 4, np.inf]
    cut = roads.iloc[:-1]   # no bridge: another part of the network, never searched
    assert np.isnan(routes.to_own_target(roadgraph.build(cut), seat, towns, [0])["network_m"].iloc[0])
    # a one-way road away from the seat: it cannot reach its own seat, which is known
    # before any search (the search would grow to the whole graph)
    one_way = roads.assign(oneway=["-1"] * 20 + ["no"] * 21)
    with spy_on_searches() as limits:
        out = routes.to_own_target(roadgraph.build(one_way), seat, towns, [0])
    assert np.isnan(out["network_m"].iloc[0]) and limits == []


@contextlib.contextmanager
def spy_on_searches(batches=None):
    """The limits of the batched searches (``ownsearch.Searches.search``) run meanwhile, and
    into ``batches`` how many targets each had."""
    limits = []
    search = ownsearch.Searches.search

    def spy(self, s, rows, k, batch, limit):
        limits.append(limit)
        if batches is not None:
            batches.append(len(batch))
        return search(self, s, rows, k, batch, limit)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ownsearch.Searches, "search", spy)
        yield limits


def test_a_search_shared_by_two_targets_tells_only_what_it_can():
    """A straight road with a node every km, township seats A at 0 and B at 9 km: from a
    village at 4.9 km to A, a search from A and B together reaches the village's way out
    east first from B, and that way might be shorter: it cannot tell (NaN). At 4.1 km the
    way west to A is shorter than any way east could be: it can (4.1 km). Alone, A's
    search tells both."""
    road = gpd.GeoDataFrame(geometry=[LineString([at(x, 0), at(x + 1000, 0)]) for x in range(0, 10000, 1000)],
                            crs=CRS_M)
    graph = roadgraph.build(road)
    net = traveltime.timed(graph, np.ones(graph.line_count), 1.0)
    s = graph.attach(gpd.GeoSeries([Point(at(4900, 0)), Point(at(4100, 0))], crs=CRS_M))
    t = graph.attach(gpd.GeoSeries([Point(at(0, 0)), Point(at(9000, 0))], crs=CRS_M))
    searches = ownsearch.Searches(net, t, np.array([0, 1]))
    rows, own = np.array([0, 1]), np.array([0, 0])
    both = searches.search(s, rows, own, np.array([0, 1]), np.inf)
    assert np.isnan(both[0]) and both[1] == pytest.approx(4100)
    np.testing.assert_allclose(searches.search(s, rows, own, np.array([0]), np.inf), [4900, 4100])
    # the rounds put A and B in one search where their boxes do not overlap, then apart
    np.testing.assert_allclose(searches.run(s, rows, own, np.array([1000.0, 1000.0])), [4900, 4100])


def test_boxes_of_one_colour_do_not_overlap():
    rng = np.random.default_rng(5)
    centre = rng.uniform(0, 100_000, (400, 2))
    half = rng.uniform(500, 8000, 400)
    colour = ownsearch._colours(centre, half)
    apart = np.abs(centre[:, None] - centre[None, :]).max(axis=2) > half[:, None] + half[None, :]
    same = colour[:, None] == colour[None, :]
    np.fill_diagonal(same, False)
    assert not (same & ~apart).any()
    assert colour.max() + 1 < 40          # far fewer searches than targets
    # three boxes in a row, each overlapping the next: the two ends share a colour
    assert list(ownsearch._colours(np.array([[0.0, 0], [10, 0], [20, 0]]), np.array([6.0, 6, 6]))) == [1, 0, 1]


@pytest.mark.parametrize("seed", [1, 2])
def test_batched_searches_from_small_limits_equal_networkx(seed):
    """The perturbed Guizhou grid with 40 targets, every search started at a twentieth of
    the straight distance: many rounds, targets sharing searches, sources left for a later
    round. The answers are networkx's still."""
    frame, truth, gaps = guizhou_network(seed)
    graph = roadgraph.build(frame, snap_m=3.0)
    rng = np.random.default_rng(300 + seed)
    x0, y0, x1, y1 = frame.total_bounds
    sources = shapely.points(rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200))
    targets = shapely.points(rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40))
    own = rng.integers(0, 40, 200)
    batches = []
    with pytest.MonkeyPatch.context() as mp, spy_on_searches(batches):
        mp.setattr(ownsearch, "SLACK", 0.05)
        mp.setattr(ownsearch, "FIRST_M", 0.0)
        out = routes.to_own_target(graph, gpd.GeoSeries(sources, crs=GUIZHOU_CRS),
                                   gpd.GeoSeries(targets, crs=GUIZHOU_CRS), own)
    assert max(batches) >= 3 and len(batches) >= 50
    got = (out["network_m"] + out["target_walk_m"]).to_numpy()
    expected = np.array([reference_distances(truth, gaps, [s], [targets[t]])[0] for s, t in zip(sources, own)])
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.nanmax(np.abs(got - expected)) <= 0.5
