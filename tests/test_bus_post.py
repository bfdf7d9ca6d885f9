"""通客车 and 通邮 (layers/standards/bus.py, post.py; issue 22): known answers on hand-built
villages near Guiyang (tests/plugin_county.py), stops and postal points put at exact ground
distances from the seats with pyproj.Geod; bus applied to poor villages only and measured
along a hand-built road network; the profile's [standards.bus] and [standards.post] keys
checked."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Transformer
from shapely import LineString, Point

from gis.errors import ConfigError
from layers.inputs import Inputs
from layers.pipeline import assess
from layers.profile import load_profile
from layers.standards import bus
from tests.plugin_county import GEOD, away, code, write_profile, write_villages

POOR = "poor_village = \"贫困村\"\n"
BUS_STOPS = """[bus_stops]
path = "bus_stops.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[bus_stops.columns]
name = "name"
lines = "班线数"
regular = "通客车"

[apply.bus]
applies_to = "poor_village"
"""

# village -> its stops: (name, lines, regular, metres from the seat, azimuth)
PLACED = {
    0: [("甲站", 2, "是", 1999.99, 30.0)],                                 # meets: just within 2,000 m
    1: [("乙站", 1, "是", 2000.01, 120.0)],                                # fails: just beyond
    2: [("丙招呼站", 1, "否", 100.0, 0.0), ("丙站", "", "", 1500.0, 200.0)],   # the unserved stop ignored
    3: [("丁站", 0, "", 50.0, 0.0)],                                       # no line: unserved, fails
    4: [("戊站", 3, "是", 0.0, 0.0)],                                      # no seat: inside the boundary
    5: [],                                                                 # not poor: not_applicable
    6: [("己站", 1, "是", 300.0, 0.0)],                                    # 贫困村 empty: no_data
}
POOR_FLAGS = ["是", "是", "是", "是", "是", "否", ""]
N = 7


def _county(folder, rules: str = "", stops: dict | None = None):
    write_villages(folder, N, no_seat=(4,))
    villages = gpd.read_file(folder / "villages.gpkg", layer="villages")
    villages["贫困村"] = POOR_FLAGS
    villages.to_file(folder / "villages.gpkg", layer="villages")
    rows = [(name, lines, regular, *away(k, metres, azimuth))
            for k, placed in (PLACED if stops is None else stops).items()
            for name, lines, regular, metres, azimuth in placed]
    pd.DataFrame(rows, columns=["name", "班线数", "通客车", "lon", "lat"]).to_csv(folder / "bus_stops.csv", index=False)
    path = write_profile(folder, BUS_STOPS + rules)
    path.write_text(path.read_text(encoding="utf-8").replace('population = "pop"\n', 'population = "pop"\n' + POOR),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return assess(load_profile(_county(tmp_path_factory.mktemp("bus"))))


def test_verdicts_at_the_limit_and_poor_villages_only(result):
    v = result.villages.set_index("village_code")
    assert v["bus_verdict"].tolist() == ["meets", "fails", "meets", "fails", "meets", "not_applicable", "no_data"]
    metres = v["bus_stop_m"].to_numpy()
    assert np.allclose(metres[[0, 1, 2, 4]], [1999.99, 2000.01, 1500.0, 0.0], atol=0.001)
    assert metres[3] > 25_000   # 丁站 has no line: the nearest served stop is a neighbour's, 30 km off
    assert v.loc[code(2), "bus_stop_name"] == "丙站" and v.loc[code(0), "bus_stop_name"] == "甲站"


def test_reasons_name_the_stop_and_its_distance(result):
    reason = result.villages.set_index("village_code")["bus_reason"]
    assert reason[code(0)] == "客车站点（甲站）距村委会 2,000 米（限值 2,000 米）"
    assert reason[code(1)] == "最近的有班线停靠的站点（乙站）距村委会 2,000 米，超过限值 2,000 米"
    assert reason[code(2)] == "客车站点（丙站）距村委会 1,500 米（限值 2,000 米）"
    assert reason[code(4)] == "客车站点（戊站）距村界 0 米（限值 2,000 米）"
    assert reason[code(5)] == "不适用：本村贫困村为否"
    assert reason[code(6)] == "不知是否适用：本村贫困村未填"


def test_gap_list_bureau_and_value(result):
    gaps = result.gaps[result.gaps["standard"] == "bus"]
    assert sorted(gaps["village_code"]) == [code(1), code(3)]
    assert set(gaps["bureau"]) == {"transport"} and set(gaps["value_column"]) == {"bus_stop_m"}
    assert abs(gaps.set_index("village_code").loc[code(1), "value"] - 2000.01) < 0.001
    assert result.no_data[result.no_data["standard"] == "bus"]["village_code"].tolist() == [code(6)]


def test_settings_move_the_answers(tmp_path):
    wider = assess(load_profile(_county(tmp_path, "\n[standards.bus]\nmax_distance_m = 2500\n"))).villages
    assert wider["bus_verdict"].tolist()[:2] == ["meets", "meets"]
    assert wider["bus_reason"].iloc[1] == "客车站点（乙站）距村委会 2,000 米（限值 2,500 米）"


def test_without_a_stop_layer_every_village_is_no_data(tmp_path):
    folder = tmp_path
    _county(folder)
    path = write_profile(folder, "[standards.bus]\nmax_distance_m = 2000\n")
    villages = assess(load_profile(path)).villages
    assert set(villages["bus_verdict"]) == {"no_data"}
    assert set(villages["bus_reason"]) == {"配置中没有客车站点或客车线路图层"}


@pytest.mark.parametrize("line, message", [
    ("max_distance_m = -5", "standards.bus.max_distance_m = -5 is out of range"),
    ("max_distance_m = 0", "standards.bus.max_distance_m = 0: give the farthest a served stop may be"),
    ('measure = "walking"', "standards.bus.measure = 'walking' is not known; use one of straight, network"),
    ("distance_m = 2000", "unknown key standards.bus.distance_m"),
])
def test_profile_errors_name_the_key(tmp_path, line, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_profile(_county(tmp_path, f"\n[standards.bus]\n{line}\n"))


# --- along the roads: a hand-built network in EPSG:4545 from 106.7E 26.6N plus metres ---------
#
#   seat S0 (0, 100)      road (0, 0) ------------------------------ (6000, 0)
#   stop A (1500, 300): 100 walked + 1,500 along + 300 walked = 1,900 (straight 1,513)
#   a river between S1 (0, 700) and stop B (0, 1800): B's road runs (3000, 0) - (3000, 1800) - (0, 1800),
#   so B is 700 + 3,000 + 1,800 + 3,000 = 8,500 m away by road (straight 1,100 m); A is nearer by road,
#   700 + 1,500 + 300 = 2,500 m
CRS_M = CRS.from_epsg(4545)
X0, Y0 = Transformer.from_crs(4326, 4545, always_xy=True).transform(106.7, 26.6)


def at(x, y):
    return X0 + x, Y0 + y


def network_inputs(roads: bool = True) -> Inputs:
    seats = [(0, 100), (0, 700)]
    villages = gpd.GeoDataFrame({"code": ["520113100201", "520113100202"], "name": ["S0", "S1"]},
                                geometry=[shapely.box(*at(x - 200, y - 50), *at(x + 200, y + 50)) for x, y in seats],
                                crs=CRS_M)
    lines = [LineString([at(0, 0), at(6000, 0)]), LineString([at(3000, 0), at(3000, 1800), at(0, 1800)])]
    road_frame = gpd.GeoDataFrame({"hardened": pd.array([True, False], dtype="boolean")}, geometry=lines, crs=CRS_M)
    stops = gpd.GeoDataFrame({"name": ["A站", "B站"], "lines": [1.0, 1.0],
                              "regular": pd.array([pd.NA, pd.NA], dtype="boolean"), "served": [True, True]},
                             geometry=[Point(at(1500, 300)), Point(at(0, 1800))], crs=CRS_M)
    return Inputs(crs=CRS_M, villages_crs=CRS_M, villages=villages,
                  seats=gpd.GeoSeries([Point(at(*s)) for s in seats], crs=CRS_M),
                  layers={"roads": road_frame if roads else None}, extra={"bus_stops": stops})


def test_along_the_roads_a_river_between_fails():
    rules = bus.BusRules(measure="network")
    out = bus.assess(network_inputs(), rules, "en")
    assert out.index.equals(network_inputs().villages.index)
    np.testing.assert_allclose(out["bus_stop_m"], [1900.0, 2500.0], atol=0.01)
    assert out["bus_verdict"].tolist() == ["meets", "fails"]
    assert out["bus_reason"].tolist() == [
        "bus stop (A站) 1,900 m by road from the village seat (limit 2,000 m)",
        "nearest stop served by a regular line (A站) 2,500 m by road from the village seat; limit 2,000 m"]
    straight = bus.assess(network_inputs(), bus.BusRules(), "en")   # on the ground, across the river
    assert straight["bus_verdict"].tolist() == ["meets", "meets"]
    assert straight["bus_stop_name"].tolist() == ["A站", "B站"]
    assert straight["bus_stop_m"].iloc[1] == pytest.approx(1100.0, rel=1e-3)
    # the river bridged along x = 0: B is 1,100 m by road from S1, and 1,700 from S0 (on the bridge's road)
    inputs = network_inputs()
    inputs.roads = pd.concat([inputs.roads, gpd.GeoDataFrame({"hardened": pd.array([True], dtype="boolean")},
                                                             geometry=[LineString([at(0, 0), at(0, 1800)])],
                                                             crs=CRS_M)], ignore_index=True)
    bridged = bus.assess(inputs, rules, "en")
    np.testing.assert_allclose(bridged["bus_stop_m"], [1700.0, 1100.0], atol=0.01)
    assert bridged["bus_stop_name"].tolist() == ["B站", "B站"] and set(bridged["bus_verdict"]) == {"meets"}


def test_along_the_roads_without_roads_is_no_data():
    out = bus.assess(network_inputs(roads=False), bus.BusRules(measure="network"), "zh")
    assert out["bus_verdict"].tolist() == ["no_data", "no_data"]
    assert out["bus_reason"].iloc[0] == "按道路测距（measure = \"network\"），但配置中没有道路图层"


# --- bus routes as lines ([bus_routes]): a route stops wherever it passes -----------------------
ROUTES = """[bus_routes]
path = "routes.gpkg"
[bus_routes.columns]
name = "线路名称"
regular = "运营"
"""


def route_past(k: int, metres: float, azimuth: float) -> LineString:
    """A route passing ``metres`` from village k's seat at its nearest, across the bearing
    ``azimuth``: a vertex at the foot, 3 km on either side along the perpendicular geodesic."""
    foot = away(k, metres, azimuth)
    ends = [GEOD.fwd(*foot, azimuth + turn, 3000.0)[:2] for turn in (-90.0, 90.0)]
    return LineString([ends[0], foot, ends[1]])


# village -> its routes (name, 运营, metres from the seat, azimuth), and its stops as in PLACED
ROUTES_PLACED = {
    0: [("甲线", "是", 1999.9, 45.0)],                          # meets: a route just within 2,000 m
    1: [("乙线", "是", 2000.1, 100.0)],                         # fails: just beyond
    2: [("丙线", "否", 300.0, 0.0)],                            # out of service: 丙站 at 1,500 m meets
    3: [("丁线", "", 900.0, 250.0)],                            # unrecorded runs: the route, 900 m
}
STOPS_TOO = {2: [("丙站", 1, "是", 1500.0, 200.0)], 3: [("丁站", 1, "是", 1800.0, 0.0)]}


def _routes_county(folder, with_stops: bool = True):
    path = _county(folder, stops=STOPS_TOO if with_stops else {})
    rows = [(name, runs, route_past(k, metres, azimuth)) for k, routes in ROUTES_PLACED.items()
            for name, runs, metres, azimuth in routes]
    gpd.GeoDataFrame({"线路名称": [r[0] for r in rows], "运营": [r[1] for r in rows]},
                     geometry=[r[2] for r in rows], crs="EPSG:4490").to_file(folder / "routes.gpkg", layer="routes")
    text = path.read_text(encoding="utf-8") + "\n" + ROUTES
    if not with_stops:
        text = text.replace(BUS_STOPS.split("[apply.bus]")[0], "")
    path.write_text(text, encoding="utf-8")
    return path


def test_routes_as_lines_stop_wherever_they_pass(tmp_path):
    v = assess(load_profile(_routes_county(tmp_path))).villages.set_index("village_code")
    assert v["bus_verdict"].tolist()[:4] == ["meets", "fails", "meets", "meets"]
    np.testing.assert_allclose(v["bus_stop_m"].to_numpy()[:4], [1999.9, 2000.1, 1500.0, 900.0], atol=0.01)
    assert v["bus_stop_name"].tolist()[:4] == ["甲线", "乙线", "丙站", "丁线"]
    reason = v["bus_reason"]
    assert reason[code(0)] == "客车线路（甲线）距村委会 2,000 米（限值 2,000 米）"
    assert reason[code(1)] == "最近的客车线路（乙线）距村委会 2,000 米，超过限值 2,000 米"
    assert reason[code(2)] == "客车站点（丙站）距村委会 1,500 米（限值 2,000 米）"   # 丙线 does not run
    assert reason[code(3)] == "客车线路（丁线）距村委会 900 米（限值 2,000 米）"     # nearer than 丁站


def test_routes_alone_switch_the_standard_on(tmp_path):
    v = assess(load_profile(_routes_county(tmp_path, with_stops=False))).villages
    assert v["bus_verdict"].tolist()[:4] == ["meets", "fails", "fails", "meets"]
    # without 丙站, 丙's nearest running route is 甲线 or 丁线 of a neighbour, tens of km off
    assert v["bus_stop_m"].iloc[2] > 25_000 and v["bus_stop_name"].iloc[2] in {"乙线", "丁线"}


def test_along_the_roads_to_a_route_within_half_a_step():
    inputs = network_inputs()
    # a route crossing the road at (2628.57, 0) between its points: S0 is 100 + 2,628.57 m away
    crossing = 2500 + 300 * 300 / 700
    routes = gpd.GeoDataFrame({"name": ["C线"], "regular": pd.array([pd.NA], dtype="boolean"), "served": [True]},
                              geometry=[LineString([at(2500, -300), at(2800, 400)])], crs=CRS_M)
    inputs.extra = {"bus_routes": routes}
    out = bus.assess(inputs, bus.BusRules(measure="network", max_distance_m=3000), "zh")
    truth = 100 + crossing
    metres = out["bus_stop_m"].iloc[0]
    assert truth - 0.01 <= metres <= truth + bus.ROUTE_STEP_M / 2
    assert out["bus_reason"].iloc[0].startswith("客车线路（C线）距村委会沿道路 2,7")
    # S1 reaches it by its own road: 700 + 2,628.57 (the river road is longer)
    assert out["bus_stop_m"].iloc[1] == pytest.approx(700 + crossing, abs=bus.ROUTE_STEP_M / 2)
    assert out["bus_verdict"].tolist() == ["meets", "fails"]


# --- 通邮 (layers/standards/post.py) -------------------------------------------------------------
POST = """[post]
path = "post.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[post.columns]
name = "name"
type = "类型"
"""

# village -> its points: (name, type, metres from the seat, azimuth); the villages reach about 995 m
# east and west of their seats, 997 m north and south
POST_PLACED = {
    0: [("甲村邮站", "村邮站", 999.99, 180.0)],                          # meets: within 1,000 m (outside)
    1: [("乙邮政所", "邮政所", 1000.01, 90.0)],                          # 1,000.01 m east: outside the square, fails
    2: [("丙快递柜", "智能快递柜", 300.0, 0.0), ("丙快递服务站", "快递服务站", 1400.0, 45.0)],  # inside, 1.4 km
    3: [("丁网点", "", 500.0, 0.0)],                                    # unrecorded kind: no_data
    4: [("戊邮政支局", "邮政支局", 200.0, 0.0)],                         # no seat: inside the boundary
    5: [],                                                              # nothing near: fails
}


def _post_county(folder, rules: str = "", placed: dict | None = None):
    write_villages(folder, 6, no_seat=(4,))
    rows = [(name, kind, *away(k, metres, azimuth)) for k, points in (placed or POST_PLACED).items()
            for name, kind, metres, azimuth in points]
    pd.DataFrame(rows, columns=["name", "类型", "lon", "lat"]).to_csv(folder / "post.csv", index=False)
    return write_profile(folder, POST + rules)


@pytest.fixture(scope="module")
def post_result(tmp_path_factory):
    return assess(load_profile(_post_county(tmp_path_factory.mktemp("post"))))


def test_post_verdicts_inside_and_at_the_limit(post_result):
    v = post_result.villages.set_index("village_code")
    assert v["post_verdict"].tolist() == ["meets", "fails", "meets", "no_data", "meets", "fails"]
    assert v["post_inside"].tolist() == [False, False, True, False, True, False]
    metres = v["post_point_m"].to_numpy()
    assert np.allclose(metres[[0, 1, 2]], [999.99, 1000.01, 1400.0], atol=0.001)
    assert v.loc[code(2), "post_point_name"] == "丙快递服务站"   # the locker is no service point
    reason = v["post_reason"]
    assert reason[code(0)] == "邮政服务点（甲村邮站）距村委会 1,000 米（限值 1,000 米）"
    assert reason[code(2)] == "村内有邮政服务点（丙快递服务站）"
    assert reason[code(1)] == "村内没有邮政服务点，最近的（乙邮政所）距村委会 1,000 米，超过限值 1,000 米"
    assert reason[code(3)] == "限值内有未记录类型的网点（丁网点）；请在邮政网点图层中补录其类型"
    assert reason[code(4)] == "村内有邮政服务点（戊邮政支局）"
    gaps = post_result.gaps[post_result.gaps["standard"] == "post"]
    assert sorted(gaps["village_code"]) == [code(1), code(5)] and set(gaps["bureau"]) == {"postal"}


def test_post_kinds_and_distance_move_the_answers(tmp_path):
    rules = '\n[standards.post]\nmax_distance_m = 1500\nkinds = ["village_post", "post_office"]\n'
    v = assess(load_profile(_post_county(tmp_path, rules))).villages
    # 乙 now within 1,500 m; 丙's 快递服务站 no longer counts, its locker never did
    assert v["post_verdict"].tolist() == ["meets", "meets", "fails", "no_data", "meets", "fails"]
    assert v["post_reason"].iloc[1] == "邮政服务点（乙邮政所）距村委会 1,000 米（限值 1,500 米）"


def test_post_without_a_type_column_every_point_counts(tmp_path):
    path = _post_county(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('type = "类型"\n', ""), encoding="utf-8")
    v = assess(load_profile(path)).villages
    assert v["post_verdict"].tolist() == ["meets", "fails", "meets", "meets", "meets", "fails"]
    assert v["post_point_name"].iloc[2] == "丙快递柜"


@pytest.mark.parametrize("line, message", [
    ("max_distance_m = -1", "standards.post.max_distance_m = -1 is out of range"),
    ('kinds = ["village_post", "locker"]', "standards.post.kinds = ['village_post', 'locker']: 'locker' is not a kind"
                                           " of postal point; use some of village_post, post_office, parcel_station"),
    ("kinds = []", "standards.post.kinds is empty; use some of village_post"),
])
def test_post_profile_errors_name_the_key(tmp_path, line, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_profile(_post_county(tmp_path, f"\n[standards.post]\n{line}\n"))


def test_post_without_a_layer_is_no_data(tmp_path):
    _post_county(tmp_path)
    villages = assess(load_profile(write_profile(tmp_path, "[standards.post]\n"))).villages
    assert set(villages["post_verdict"]) == {"no_data"} and set(villages["post_reason"]) == {"配置中没有邮政网点图层"}


def test_along_the_roads_without_a_seat_from_a_point_inside():
    inputs = network_inputs()
    inputs.seats = gpd.GeoSeries([None, inputs.seats.iloc[1]], crs=CRS_M)
    out = bus.assess(inputs, bus.BusRules(measure="network"), "zh")
    # S0's box (200 m either side, 50 m up and down from (0, 100)): its point inside lies on y = 100
    assert out["bus_verdict"].tolist() == ["meets", "fails"]
    assert out["bus_reason"].iloc[0].startswith("客车站点（A站）距村域内一点沿道路 ")
