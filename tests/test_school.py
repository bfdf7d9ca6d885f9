"""义务教育 (the school plug-in, issue 21): known answers on hand-built villages near
Guiyang, schools put at exact ground distances from the seats."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from gis.errors import ConfigError
from layers.pipeline import assess
from layers.profile import load_profile
from layers.sample.plugins import SCHOOLS_SECTION
from tests.plugin_county import away, code, write_profile, write_villages

# village -> its schools: (name, type, boarding, metres from the seat, azimuth)
PLACED = {
    0: [("甲小学", "小学", "否", 2400.0, 10.0)],                                  # meets: 2,400 <= 2,500
    1: [("乙小学", "小学", "否", 2600.0, 0.0), ("乙寄宿小学", "中心小学", "是", 9000.0, 200.0)],  # boarding
    2: [("丙教学点", "教学点", "否", 1000.0, 90.0), ("丙小学", "小学", "否", 4000.0, 180.0)],     # basic
    3: [("丁小学", "完全小学", "否", 2600.0, 45.0), ("丁中学", "初级中学", "否", 300.0, 0.0)],   # fails
    4: [("戊小学", "小学", "否", 0.0, 0.0)],                                       # no seat, inside: meets
    6: [("己学校", "", "否", 500.0, 0.0), ("己小学", "小学", "否", 3000.0, 270.0)],     # unknown type
}
N = 7   # village 5 has neither boundary nor seat


def _county(folder, rules: str = "", schools: dict | None = None):
    write_villages(folder, N, no_seat=(4,), no_shape=(5,))
    rows = [(name, kind, boarding, *away(k, metres, azimuth))
            for k, placed in (schools or PLACED).items() for name, kind, boarding, metres, azimuth in placed]
    pd.DataFrame(rows, columns=["name", "type", "boarding", "lon", "lat"]).to_csv(folder / "schools.csv", index=False)
    return write_profile(folder, SCHOOLS_SECTION + rules)   # the sample's [schools] table


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return assess(load_profile(_county(tmp_path_factory.mktemp("schools"))))


def test_verdicts_and_ground_distances(result):
    v = result.villages.set_index("village_code")
    assert v["school_verdict"].tolist() == ["meets", "meets", "basic", "fails", "meets", "no_data", "no_data"]
    nearest = v["school_nearest_m"].to_numpy()
    assert np.allclose(nearest[[0, 1, 2, 3, 6]], [2400.0, 2600.0, 4000.0, 2600.0, 3000.0], atol=0.01)
    assert nearest[4] == 0.0 and np.isnan(nearest[5])
    assert abs(v.loc[code(1), "school_boarding_m"] - 9000.0) < 0.01
    assert abs(v.loc[code(2), "school_point_m"] - 1000.0) < 0.01
    assert v.loc[code(1), "school_nearest_name"] == "乙寄宿小学"   # the school that meets it


def test_reasons_say_which_school_and_how_far(result):
    reason = result.villages.set_index("village_code")["school_reason"]
    assert reason[code(0)] == "小学（甲小学）距村委会 2,400 米（限值 2,500 米）"
    assert reason[code(1)] == "寄宿制小学（乙寄宿小学）相距 9,000 米（寄宿制限值 10,000 米）"
    assert reason[code(2)] == "只有教学点（丙教学点）相距 1,000 米（限值 2,500 米），完全小学相距 4,000 米"
    assert reason[code(3)].startswith("最近的小学距村委会 2,600 米，超过限值 2,500 米；最近的寄宿制小学 ")
    assert reason[code(4)] == "小学（戊小学）距村界 0 米（限值 2,500 米）"
    assert reason[code(5)] == "该村既无边界也无村委会位置"
    assert reason[code(6)].startswith("限值内有未记录类型的学校（己学校）")


def test_gap_list_bureau_and_value(result):
    gaps = result.gaps[result.gaps["standard"] == "school"]
    assert gaps["village_code"].tolist() == [code(3)]
    assert gaps["bureau"].tolist() == ["education"] and gaps["value_column"].tolist() == ["school_nearest_m"]
    assert abs(gaps["value"].iloc[0] - 2600.0) < 0.01
    no_data = result.no_data[result.no_data["standard"] == "school"]
    assert sorted(no_data["village_code"]) == [code(5), code(6)]
    # the five standards without data in this profile, the school standard after them
    assert list(result.townships.columns[:4]) == ["township_code", "township_name", "villages", "villages_with_gaps"]
    assert "school_fails" in result.townships and result.townships["school_fails"].sum() == 1


def test_settings_move_the_answers(tmp_path):
    profile = load_profile(_county(tmp_path, '\n[standards.schools]\nmax_distance_m = 2601\n'
                                             'teaching_points = "no"\nboarding_max_distance_m = 8000\n'))
    v = assess(profile).villages.set_index("village_code")["school_verdict"]
    # 2,600 m now meets (within 2,601); the teaching point no longer counts; the boarding school is too far
    assert v.tolist() == ["meets", "meets", "fails", "meets", "meets", "no_data", "no_data"]


def test_english_reasons(tmp_path):
    profile = load_profile(_county(tmp_path)).in_language("en")
    reason = assess(profile).villages.set_index("village_code")["school_reason"]
    assert reason[code(2)] == ("only a teaching point (丙教学点) 1,000 m away (limit 2,500 m); "
                               "the nearest primary school 4,000 m")
    assert reason[code(3)].startswith("nearest primary school 2,600 m from the village seat; limit 2,500 m; "
                                      "nearest boarding primary school ")


def test_no_boarding_school_no_boarding_words(tmp_path):
    profile = load_profile(_county(tmp_path, schools={3: [("丁小学", "小学", "否", 2600.0, 45.0)]}))
    reason = assess(profile).villages.set_index("village_code")["school_reason"]
    assert reason[code(3)] == "最近的小学距村委会 2,600 米，超过限值 2,500 米"


def test_without_a_school_layer_every_village_is_no_data(tmp_path):
    write_villages(tmp_path, 2)
    profile = load_profile(write_profile(tmp_path, "[standards.schools]\nmax_distance_m = 3000\n"))
    v = assess(profile).villages
    assert set(v["school_verdict"]) == {"no_data"} and set(v["school_reason"]) == {"配置中没有学校图层"}


def test_a_profile_without_schools_has_no_school_columns(tmp_path):
    write_villages(tmp_path, 2)
    v = assess(load_profile(write_profile(tmp_path, ""))).villages
    assert not [column for column in v.columns if column.startswith("school_")]


@pytest.mark.parametrize("rules, message", [
    ('\n[standards.schools]\nteaching_points = "maybe"\n', "standards.schools.teaching_points = 'maybe' is not known"),
    ('\n[standards.schools]\nboarding_max_distance_m = 1000\n', "boarding_max_distance_m is below max_distance_m"),
    ('\n[standards.schools]\nmax_distance_km = 3\n', "unknown key standards.schools.max_distance_km"),
    ('\n[standards.schools]\nprimary_values = "小学"\n', "standards.schools.primary_values must be a list"),
])
def test_setting_errors_name_the_key(tmp_path, rules, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_profile(_county(tmp_path, rules))


def test_a_missing_column_names_the_file_and_the_fix(tmp_path):
    from gis.errors import DataError

    path = _county(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('boarding = "boarding"', 'boarding = "寄宿"'),
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"schools.csv: no column '寄宿' \(mapped in profile \[schools\]\)"):
        assess(load_profile(path))


def test_apply_switches_it_off(tmp_path):
    """[apply.school] works as for the five: switched off, every village not_applicable."""
    v = assess(load_profile(_county(tmp_path, "\n[apply.school]\nenabled = false\n"))).villages
    assert set(v["school_verdict"]) == {"not_applicable"} and v["school_nearest_m"].isna().all()
    assert set(v["school_reason"]) == {"本项标准未启用（配置 [apply.school] enabled = false）"}


def test_raising_a_limit_never_adds_a_gap(tmp_path):
    """The failing villages at a wider limit are among those at a narrower one."""
    failing = []
    for k, metres in enumerate((1000, 2500, 2700, 5000)):
        folder = tmp_path / str(k)
        folder.mkdir()
        rules = f"\n[standards.schools]\nmax_distance_m = {metres}\nboarding_max_distance_m = {max(metres, 10000)}\n"
        v = assess(load_profile(_county(folder, rules))).villages
        failing.append(set(v.loc[v["school_verdict"] == "fails", "village_code"]))
    assert all(wider <= narrower for narrower, wider in zip(failing, failing[1:]))
    assert failing[0] != failing[-1]


def test_shuffling_the_schools_changes_nothing(result, tmp_path):
    path = _county(tmp_path)
    table = pd.read_csv(tmp_path / "schools.csv", dtype=str, keep_default_na=False)
    table.sample(frac=1.0, random_state=7).to_csv(tmp_path / "schools.csv", index=False)
    columns = [c for c in result.villages.columns if c.startswith("school_")]
    pd.testing.assert_frame_equal(pd.DataFrame(assess(load_profile(path)).villages[columns]),
                                  pd.DataFrame(result.villages[columns]))


# --- along the roads (measure = "network"): the bus tests' hand-built network (tests/test_bus_post.py):
# S0 (0, 100) and S1 (0, 700) on either side of a road (0, 0)-(6000, 0); a river between S1 and
# (0, 1800), where the other road from (3000, 0) ends
def _schools_by_road(roads: bool = True):
    import geopandas as gpd
    from shapely import Point

    from tests.test_bus_post import CRS_M, at, network_inputs

    inputs = network_inputs(roads)
    placed = [("A村小", "primary", False, (1500, 300)),        # S0: 100 + 1,500 + 300; S1: 700 + 1,500 + 300
              ("B小学", "primary", False, (0, 1800)),         # 1,100 m from S1 across the river; 8,500 by road
              ("C中心小学", "primary", True, (6000, 200))]     # boarding: S0 6,300, S1 6,900 by road
    inputs.extra = {"schools": gpd.GeoDataFrame(
        {"name": [p[0] for p in placed], "kind": [p[1] for p in placed],
         "boarding": pd.array([p[2] for p in placed], dtype="boolean"), "counts": True},
        geometry=[Point(at(*p[3])) for p in placed], crs=CRS_M)}
    return inputs


def test_along_the_roads_the_school_across_the_river_is_far():
    from layers.standards import school

    by_road = school.SchoolRules(max_distance_m=2000, boarding_max_distance_m=7000, measure="network")
    out = school.assess(_schools_by_road(), by_road, "zh")
    np.testing.assert_allclose(out["school_nearest_m"], [1900.0, 2500.0], atol=0.01)
    np.testing.assert_allclose(out["school_boarding_m"], [6300.0, 6900.0], atol=0.01)
    assert out["school_verdict"].tolist() == ["meets", "meets"]
    assert out["school_reason"].tolist() == ["小学（A村小）距村委会沿道路 1,900 米（限值 2,000 米）",
                                             "寄宿制小学（C中心小学）沿道路相距 6,900 米（寄宿制限值 7,000 米）"]
    narrower = school.assess(_schools_by_road(), school.SchoolRules(max_distance_m=2000, boarding_max_distance_m=6800,
                                                                    measure="network"), "en")
    assert narrower["school_verdict"].tolist() == ["meets", "fails"]
    assert narrower["school_reason"].iloc[1] == ("nearest primary school 2,500 m by road from the village seat; "
                                                 "limit 2,000 m; nearest boarding primary school 6,900 m by road "
                                                 "(limit 6,800 m)")
    straight = school.assess(_schools_by_road(), school.SchoolRules(max_distance_m=2000), "zh")
    assert straight["school_nearest_name"].tolist() == ["A村小", "B小学"]   # across the river, 1,100 m
    assert straight["school_nearest_m"].iloc[1] == pytest.approx(1100.0, rel=1e-3)
    assert school.requirement(by_road, "zh") == "≤ 2,000 米（寄宿制 ≤ 7,000 米）（沿道路）"


def test_along_the_roads_without_roads_is_no_data():
    from layers.standards import school

    out = school.assess(_schools_by_road(roads=False), school.SchoolRules(measure="network"), "zh")
    assert out["school_verdict"].tolist() == ["no_data", "no_data"]
    assert out["school_reason"].iloc[0] == "按道路测距（measure = \"network\"），但配置中没有道路图层"
