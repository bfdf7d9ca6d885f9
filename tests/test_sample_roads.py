"""The sample county's roads as a network (issue 22), checked against networkx from the
shipped files alone: one network whose lines meet at shared vertices (no end needs
snapping), a bridge that joins nothing it crosses, a hardened stub apart from every health
centre, and each village's time to its township health centre equal to a shortest path
computed here."""

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from gis import roadgraph
from layers.pipeline import assess
from layers.profile import load_profile
from layers.sample import SAMPLE_DIR

METRIC = "EPSG:4544"            # the roads' own CRS (CGCS2000 / 3-degree GK CM 105E)
KMH = {"三级": 30.0, "四级": 20.0}   # JTG B01-2014's hilly-land design speeds; other grades 20
WALK_KMH, UNHARDENED_KMH = 4.0, 15.0
STUB, WALKED, NEW_ROAD = "522326105204", "522326112206", "522326002203"


def _roads(folder=SAMPLE_DIR) -> gpd.GeoDataFrame:
    return gpd.read_file(folder / "roads.shp", encoding="GBK")


def _points(path, **where) -> gpd.GeoDataFrame:
    table = pd.read_csv(path, dtype={"village_code": str, "town_code": str})
    for column, value in where.items():
        table = table[table[column] == value]
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs="EPSG:4490").to_crs(METRIC)


def _reference(roads: gpd.GeoDataFrame) -> nx.Graph:
    """Vertices equal to the centimetre are one node (a bridge's inner vertices apart: its
    level); each segment an edge weighted by seconds at its grade's speed."""
    graph = nx.Graph()
    for line, grade, surface, layer in zip(roads.geometry, roads["grade"], roads["surface"], roads["layer"]):
        kmh = KMH.get(grade, 20.0) if surface in ("沥青", "水泥") else min(KMH.get(grade, 20.0), UNHARDENED_KMH)
        xy = np.round(shapely.get_coordinates(line), 2)
        keys = [(x, y) if k in (0, len(xy) - 1) or not layer else (x, y, layer) for k, (x, y) in enumerate(xy)]
        for a, b, pa, pb in zip(keys[:-1], keys[1:], xy[:-1], xy[1:]):
            metres = float(np.hypot(*(pb - pa)))
            graph.add_edge(a, b, seconds=metres / (kmh / 3.6), metres=metres)
    return graph


def _attach(graph: nx.Graph, roads: gpd.GeoDataFrame, point: Point, name: str) -> None:
    """``point`` joined to the segment of its nearest road nearest it, by a straight walk."""
    k = int(roads.sindex.nearest(point)[1][0])
    line, layer = roads.geometry.iloc[k], roads["layer"].iloc[k]
    xy = np.round(shapely.get_coordinates(line), 2)
    segments = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
    s = int(np.argmin(shapely.distance(segments, point)))
    keys = [(x, y) if j in (0, len(xy) - 1) or not layer else (x, y, layer) for j, (x, y) in enumerate(xy)]
    on = segments[s].interpolate(segments[s].project(point))
    whole = graph.edges[keys[s], keys[s + 1]]
    share = segments[s].project(point) / segments[s].length
    walk = point.distance(on)
    for key, part in ((keys[s], share), (keys[s + 1], 1 - share)):
        graph.add_edge(name, key, seconds=walk / (WALK_KMH / 3.6) + part * whole["seconds"],
                       metres=walk + part * whole["metres"])


def _way(roads, seat: Point, target: Point, weight: str) -> float:
    graph = _reference(roads)
    _attach(graph, roads, seat, "seat")
    _attach(graph, roads, target, "target")
    return nx.shortest_path_length(graph, "seat", "target", weight=weight)


def _minutes(roads, seat: Point, centre: Point) -> float:
    return _way(roads, seat, centre, "seconds") / 60


@pytest.fixture(scope="module")
def villages():
    return assess(load_profile(SAMPLE_DIR / "profile_all.toml")).villages.set_index("village_code")


def test_the_roads_are_one_network_of_shared_vertices():
    roads = _roads()
    graph = roadgraph.build(roads, snap_m=3.0)
    assert graph.snapped == 0 and len(set(graph.components)) == 1
    assert nx.number_connected_components(_reference(roads)) == 1
    assert set(roads["grade"]) == {"三级", "四级", "等外"}


def test_the_bridge_joins_no_road_it_crosses():
    roads = _roads()
    bridge = roads[roads["bridge"] == "是"]
    assert len(bridge) == 1 and bridge["layer"].iloc[0] == 1
    span = bridge.geometry.iloc[0]
    crossed = roads[roads.geometry.crosses(span)]
    assert len(crossed) == 1 and crossed["grade"].iloc[0] == "四级"
    below = shapely.get_coordinates(crossed.geometry.iloc[0])
    assert shapely.distance(span, shapely.points(below)).min() > 1.0   # no vertex of the road below on it
    # the bridge's ends join its approaches: the county road is one line of three pieces
    graph = _reference(roads)
    ends = [tuple(np.round(c, 2)) for c in (span.coords[0], span.coords[-1])]
    assert all(graph.degree(end) == 2 for end in ends)


def test_the_stub_joins_no_health_centre():
    """纳幕村's hardened road: its hardened part of the network holds no health centre's road."""
    roads = _roads()
    hardened = roads[roads["surface"].isin(["沥青", "水泥"])].reset_index(drop=True)
    graph = _reference(hardened)

    def node(point):
        return tuple(np.round(shapely.get_coordinates(hardened.geometry.iloc[int(hardened.sindex.nearest(point)[1][0])])[0], 2))

    stub = nx.node_connected_component(graph, node(_points(SAMPLE_DIR / "seats.csv", village_code=STUB).geometry.iloc[0]))
    centres = [node(p) for p in _points(SAMPLE_DIR / "clinics.csv", type="乡镇卫生院").geometry]
    assert len(centres) == 16 and not stub & set(centres) and len(stub) < 20


@pytest.mark.parametrize("code", ["522326002203", "522326104202", STUB, "522326105207", WALKED,
                                  "522326003212", "522326107218", "522326001004", "522326110202"])
def test_time_to_care_equals_a_networkx_shortest_path(villages, code):
    """From the seat (else covermap's point inside the polygon) to the township's 乡镇卫生院."""
    roads = _roads()
    seats = _points(SAMPLE_DIR / "seats.csv", village_code=code)
    seat = seats.geometry.iloc[0] if len(seats) else \
        gpd.GeoSeries([villages.geometry[code]], crs=villages.crs).representative_point().to_crs(METRIC).iloc[0]
    town = villages.loc[code, "township_name"]
    centre = _points(SAMPLE_DIR / "clinics.csv", type="乡镇卫生院", name=f"{town}卫生院").geometry.iloc[0]
    assert villages.loc[code, "health_centre_travel_min"] == pytest.approx(_minutes(roads, seat, centre), rel=1e-3)   # GK metres here, UTM there


def test_the_demo_counts_of_time_to_care(villages):
    """Limit 45 minutes: four villages fail (纳桥村 and 油寒村 round through the next township,
    纳幕村 on its dirt road, 卡法村 remote), near misses on both sides of the limit."""
    minutes = villages["health_centre_travel_min"]
    assert set(villages.index[villages["care_verdict"] == "fails"]) == {
        "522326002203", "522326104202", STUB, "522326105207"}
    assert ((minutes > 40) & (minutes <= 45)).any() and ((minutes > 45) & (minutes < 50)).any()
    assert villages.loc[WALKED, "road_reason"] == "硬化路距村委会 300 米，限值 500 米"


def test_period2s_new_road_brings_the_health_centre_within_reach():
    """纳桥至平洞乡道 (period 2): 纳桥村's way no longer runs round through the next township."""
    later = SAMPLE_DIR / "2026"
    roads = _roads(later)
    seat = _points(later / "seats.csv", village_code=NEW_ROAD).geometry.iloc[0]
    centre = _points(later / "clinics.csv", type="乡镇卫生院", name="平洞街道卫生院").geometry.iloc[0]
    before, after = _minutes(_roads(), seat, centre), _minutes(roads, seat, centre)
    assert before > 45 > after


@pytest.mark.parametrize("code", ["522326002203", "522326105207", WALKED, "522326107218", "522326110202"])
def test_km_to_the_township_seat_equals_a_networkx_shortest_path(villages, code):
    """road_network_km_to_township: along hardened roads from the seat to the township's
    government (towns.csv), both straight legs to the nearest hardened road included."""
    roads = _roads()
    hardened = roads[roads["surface"].isin(["沥青", "水泥"])].reset_index(drop=True)
    seats = _points(SAMPLE_DIR / "seats.csv", village_code=code)
    seat = seats.geometry.iloc[0] if len(seats) else \
        gpd.GeoSeries([villages.geometry[code]], crs=villages.crs).representative_point().to_crs(METRIC).iloc[0]
    town = _points(SAMPLE_DIR / "towns.csv", town_code=code[:9]).geometry.iloc[0]
    expected = _way(hardened, seat, town, "metres") / 1000
    assert villages.loc[code, "road_network_km_to_township"] == pytest.approx(expected, rel=1e-3)
    assert villages.loc[STUB, "road_connected"] == "no" and np.isnan(villages.loc[STUB, "road_network_km_to_township"])
