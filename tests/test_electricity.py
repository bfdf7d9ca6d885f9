"""电网 (the electricity plug-in, issue 21): known answers on hand-built villages near Guiyang,
transformers and 10 kV lines put at exact ground distances from the seats."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from gis.errors import ConfigError
from layers.pipeline import assess
from layers.profile import load_profile
from tests.plugin_county import GEOD, away, code, write_profile, write_villages

LAYERS = """[transformers]
path = "transformers.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[transformers.columns]
name = "台区名称"
capacity_kva = "容量"
phases = "相数"
reliability_pct = "可靠率"

[power_lines]
path = "lines.gpkg"
[power_lines.columns]
voltage_kv = "电压"
"""

# village -> its transformers: (name, kVA, phases, metres from the seat, azimuth, reliability %)
TRANSFORMERS = {
    0: [("甲1号台区", 200, "三相", 450.0, 30.0, 99.9)],                  # meets: 450 <= 500
    1: [("乙台区", 50, "单相", 300.0, 0.0, None), ("乙2号", 315, "三相", 900.0, 90.0, None)],   # basic: single-phase
    2: [("丙台区", 100, "三相", 1200.0, 0.0, None)],                     # a 10 kV line at 800 m: meets
    3: [("丁台区", 100, "三相", 700.0, 0.0, None)],                      # fails: 700 m, line 1,500 m
    4: [("戊台区", 100, "", 100.0, 0.0, None)],                          # phases unknown: no_data
    5: [("己台区", 100, "三相", 200.0, 0.0, 99.5)],                      # basic: reliability below 99.8 %
}
# village -> a line (kV) running north-south this far east of the seat
LINES = {2: (10, 800.0), 3: (10, 1500.0), 4: (0.4, 50.0)}
N = 6


def _line(k: int, metres: float) -> LineString:
    lon, lat = away(k, metres, 90.0)
    north = GEOD.fwd(lon, lat, 0.0, 3000.0)[:2]
    south = GEOD.fwd(lon, lat, 180.0, 3000.0)[:2]
    return LineString([south, north])


def _county(folder, rules: str = ""):
    write_villages(folder, N)
    rows = [(name, kva, phases, reliability, *away(k, metres, azimuth))
            for k, placed in TRANSFORMERS.items() for name, kva, phases, metres, azimuth, reliability in placed]
    pd.DataFrame(rows, columns=["台区名称", "容量", "相数", "可靠率", "lon", "lat"]).to_csv(
        folder / "transformers.csv", index=False)
    gpd.GeoDataFrame({"电压": [kv for kv, _ in LINES.values()]},
                     geometry=[_line(k, metres) for k, (_, metres) in LINES.items()],
                     crs="EPSG:4490").to_file(folder / "lines.gpkg")
    return write_profile(folder, LAYERS + rules)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return assess(load_profile(_county(tmp_path_factory.mktemp("power"))))


def test_verdicts_and_ground_distances(result):
    v = result.villages.set_index("village_code")
    assert v["electricity_verdict"].tolist() == ["meets", "basic", "meets", "fails", "no_data", "basic"]
    assert np.allclose(v["electricity_transformer_m"], [450.0, 300.0, 1200.0, 700.0, 100.0, 200.0], atol=0.01)
    assert v["electricity_reliability_pct"].iloc[0] == 99.9 and v["electricity_reliability_pct"].iloc[5] == 99.5
    # the line's nearest point is due east of the seat: the same ground distance, to the centimetre
    assert np.allclose(v["electricity_line_m"].iloc[2:4], [800.0, 1500.0], atol=0.05)
    assert np.isnan(v["electricity_line_m"].iloc[4]) or v["electricity_line_m"].iloc[4] > 1500   # 0.4 kV: not counted
    assert v.loc[code(0), "electricity_transformer_kva"] == 200 and v.loc[code(0), "electricity_transformer_name"] == "甲1号台区"


def test_reasons(result):
    reason = result.villages.set_index("village_code")["electricity_reason"]
    assert reason[code(0)] == "配电台区（甲1号台区，200 kVA）距村委会 450 米（限值 500 米）"
    assert reason[code(1)] == "限值内只有单相配电台区（乙台区，300 米），没有三相动力电"
    assert reason[code(2)] == "10千伏线路相距 800 米（限值 1,000 米），可就近接入"
    assert reason[code(3)] == "最近的配电台区距村委会 700 米，超过限值 500 米；最近的10千伏线路 1,500 米（限值 1,000 米）"
    assert reason[code(4)] == "限值内的配电台区（戊台区）未填相数；请在台区图层中补录"
    assert reason[code(5)] == "配电台区（己台区）相距 200 米，但供电可靠率 99.5%，低于 99.8%"


def test_gap_list(result):
    gaps = result.gaps[result.gaps["standard"] == "electricity"]
    assert gaps["village_code"].tolist() == [code(3)] and gaps["bureau"].tolist() == ["power"]
    assert abs(gaps["value"].iloc[0] - 700.0) < 0.01


def test_settings_and_english(tmp_path):
    profile = load_profile(_county(tmp_path, '\n[standards.power]\nthree_phase = false\n'
                                             'transformer_max_distance_m = 750\n')).in_language("en")
    v = assess(profile).villages.set_index("village_code")
    assert v["electricity_verdict"].tolist() == ["meets", "meets", "meets", "meets", "meets", "basic"]
    assert v.loc[code(3), "electricity_reason"] == ("distribution transformer (丁台区, 100 kVA) 700 m from the village "
                                              "seat (limit 750 m)")


@pytest.mark.parametrize("households, verdict, per_household", [(100, "meets", 2.0), (101, "basic", 200 / 101)])
def test_capacity_per_household_of_the_serving_transformer(tmp_path, households, verdict, per_household):
    """甲1号台区's 200 kVA for 100 households is 2 kVA each, the limit; for 101, below it."""
    path = _county(tmp_path)
    table = pd.read_csv(tmp_path / "transformers.csv")
    table["户数"] = [households, 30, 40, "", 40, 60, 50]    # 丙台区's unrecorded
    table.to_csv(tmp_path / "transformers.csv", index=False)
    path.write_text(path.read_text(encoding="utf-8").replace('reliability_pct = "可靠率"\n',
                                                             'reliability_pct = "可靠率"\nhouseholds = "户数"\n'),
                    encoding="utf-8")
    v = assess(load_profile(path)).villages.set_index("village_code")
    assert v["electricity_verdict"].tolist() == [verdict, "basic", "meets", "fails", "no_data", "basic"]
    assert v.loc[code(0), "electricity_kva_per_household"] == pytest.approx(per_household, rel=1e-12)
    assert np.isnan(v.loc[code(2), "electricity_kva_per_household"])
    if verdict == "basic":
        assert v.loc[code(0), "electricity_reason"] == "配电台区（甲1号台区）户均容量 1.98 kVA（200 kVA，101 户），低于 2 kVA"
    # 己台区's reliability (99.5 %) is said first; its 2 kVA a household passes
    assert v.loc[code(5), "electricity_reason"] == "配电台区（己台区）相距 200 米，但供电可靠率 99.5%，低于 99.8%"


def test_lines_alone(tmp_path):
    path = _county(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[text.index("[power_lines]"):].join([text[:text.index("[transformers]")], ""]),
                    encoding="utf-8")
    v = assess(load_profile(path)).villages.set_index("village_code")
    assert v["electricity_verdict"].tolist() == ["fails", "fails", "meets", "fails", "fails", "fails"]
    assert v.loc[code(0), "electricity_reason"].startswith("没有配电台区数据；最近的10千伏线路 ")


@pytest.mark.parametrize("rules, message", [
    ('\n[standards.power]\nthree_phase = "yes"\n', "standards.power.three_phase must be true or false"),
    ('\n[standards.power]\nline_max_distance_m = -1\n', "standards.power.line_max_distance_m = -1 is out of range"),
    ('\n[standards.power]\nmin_reliability_pct = 120\n', "standards.power.min_reliability_pct = 120 is out of range"),
    ('\n[standards.power]\nmin_kva_per_household = -2\n', "standards.power.min_kva_per_household = -2 is out of range"),
])
def test_setting_errors_name_the_key(tmp_path, rules, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_profile(_county(tmp_path, rules))


def test_raising_a_limit_never_adds_a_gap(tmp_path):
    """The failing villages at a wider limit are among those at a narrower one."""
    failing = []
    for k, metres in enumerate((300, 500, 800, 1300)):
        folder = tmp_path / str(k)
        folder.mkdir()
        profile = load_profile(_county(folder, f"\n[standards.power]\ntransformer_max_distance_m = {metres}\n"))
        v = assess(profile).villages
        failing.append(set(v.loc[v["electricity_verdict"] == "fails", "village_code"]))
    assert all(wider <= narrower for narrower, wider in zip(failing, failing[1:]))
    assert failing[0] != failing[-1]
