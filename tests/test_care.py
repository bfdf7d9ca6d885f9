"""就医时间 (layers/standards/care.py, issue 22): travel times by road to the township health
centre and the nearest qualifying clinic, known answers on a hand-built network near
Guiyang; the profile's [standards.care] keys checked; the sample county run with it.

The network, in EPSG:4545 from 106.7E 26.6N plus metres (speeds: the defaults):

    trunk 二级公路 (60 km/h) (0, 0) ---------------------- (6000, 0)
          HC 乡镇卫生院 (100, 0)        |  四级 (20 km/h) (3000, 0) - (3000, 2000), C1 村卫生室 at (3000, 1500)
                                        |  gravel, no grade (15 km/h) (3000, 2000) - (3000, 3000)
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import CRS, Transformer
from shapely import LineString, Point

from cli import main
from gis.errors import ConfigError
from layers.inputs import Inputs
from layers.pipeline import assess as run
from layers.profile import load_profile
from layers.standards import care
from test_towns import sample_text

CRS_M = CRS.from_epsg(4545)
X0, Y0 = Transformer.from_crs(4326, 4545, always_xy=True).transform(106.7, 26.6)


def at(x, y):
    return X0 + x, Y0 + y


# seat, township; answers: to the health centre (m, min), to the nearest qualifying clinic (m, min)
VILLAGES = [((0, 100), "520113100", 200, 1.6, 4600, 9.0),            # 100 m walked (90 s), 100 m of trunk (6 s)
            ((3000, 1000), "520113100", 3900, 5.9, 500, 1.5),        # 1 km at 20 km/h, 2.9 km at 60
            ((3050, 2800), "520113100", 5750, 12.85, 1350, 5.45),    # 50 m walked, 800 m gravel at 15 km/h, ...
            ((5000, 300), "520113101", np.nan, np.nan, 2000 + 1800, (300 * 0.9 + 2000 * 0.06 + 1500 * 0.18) / 60)]


def care_inputs() -> Inputs:
    villages = gpd.GeoDataFrame(
        {"code": [f"52011310{k}201" for k in range(len(VILLAGES))], "name": [f"V{k}" for k in range(len(VILLAGES))],
         "township_code": pd.array([v[1] for v in VILLAGES], dtype="string")},
        geometry=[shapely.box(*at(x - 300, y - 200), *at(x + 300, y + 300)) for (x, y), *_ in VILLAGES], crs=CRS_M)
    seats = gpd.GeoSeries([Point(at(*v[0])) for v in VILLAGES], crs=CRS_M)
    roads = gpd.GeoDataFrame({"hardened": pd.array([True, True, False], dtype="boolean"),
                              "grade": ["二级公路", "四级", None]},
                             geometry=[LineString([at(0, 0), at(6000, 0)]), LineString([at(3000, 0), at(3000, 2000)]),
                                       LineString([at(3000, 2000), at(3000, 3000)])], crs=CRS_M)
    clinics = gpd.GeoDataFrame({"name": ["乡镇卫生院甲", "村卫生室一", "村卫生室二"],
                                "kind": ["health_centre", "village_clinic", "village_clinic"],
                                "standardized": pd.array([True, True, False], dtype="boolean"),
                                "doctors": [9.0, 1.0, 1.0]},
                               geometry=[Point(at(100, 0)), Point(at(3000, 1500)), Point(at(200, 0))], crs=CRS_M)
    return Inputs(crs=CRS_M, villages_crs=CRS_M, villages=villages, seats=seats,
                  layers={"roads": roads, "clinics": clinics})


def test_known_times_and_distances():
    out = care.assess(care_inputs(), care.CareRules(), "zh")
    assert out.index.equals(care_inputs().villages.index)
    assert list(out.columns) == ["clinic_network_m", "clinic_travel_min", "health_centre_network_m",
                                 "health_centre_travel_min", "care_verdict", "care_reason"]
    np.testing.assert_allclose(out["health_centre_network_m"], [v[2] for v in VILLAGES], atol=0.5)
    np.testing.assert_allclose(out["health_centre_travel_min"], [v[3] for v in VILLAGES], atol=0.01)
    np.testing.assert_allclose(out["clinic_network_m"], [v[4] for v in VILLAGES], atol=0.5)
    np.testing.assert_allclose(out["clinic_travel_min"], [v[5] for v in VILLAGES], atol=0.01)
    assert out["care_verdict"].tolist() == ["meets", "meets", "meets", "no_data"]
    assert out["care_reason"].iloc[2] == "到乡镇卫生院（乡镇卫生院甲）13 分钟（5.8 公里），限值 30 分钟"
    assert out["care_reason"].iloc[3] == "卫生室图层中没有本乡镇的乡镇卫生院"


def test_limits_fail_the_villages_beyond_them():
    rules = care.CareRules(max_minutes_to_health_centre=10, max_minutes_to_clinic=8)
    out = care.assess(care_inputs(), rules, "en")
    assert out["care_verdict"].tolist() == ["fails", "meets", "fails", "no_data"]
    assert out["care_reason"].iloc[2] == ("13 min (5.8 km) to the township health centre (乡镇卫生院甲); "
                                          "limit 10 min")
    assert out["care_reason"].iloc[0] == "9 min to the nearest qualifying clinic; limit 8 min; 2 min to the health centre"
    # raising a limit never adds a failure
    loose = care.assess(care_inputs(), care.CareRules(max_minutes_to_health_centre=20), "en")
    assert (loose["care_verdict"] == "fails").sum() <= (out["care_verdict"] == "fails").sum()


def test_slower_roads_take_longer_and_a_cut_road_fails():
    inputs = care_inputs()
    slow = care.assess(inputs, care.CareRules(class2_kmh=30), "en")
    assert slow["health_centre_travel_min"].iloc[1] == pytest.approx(1000 / 20 * 3.6 / 60 + 2900 / 30 * 3.6 / 60)
    # the trunk cut at 500 m: the health centre's road joins no other
    inputs.roads = inputs.roads.set_geometry([LineString([at(0, 0), at(500, 0)]), *inputs.roads.geometry.iloc[1:]],
                                             crs=CRS_M)
    out = care.assess(inputs, care.CareRules(), "en")
    assert out["care_verdict"].iloc[1] == "fails"
    assert out["care_reason"].iloc[1] == "no road leads to the township health centre (乡镇卫生院甲)"


def test_speeds_by_grade_and_surface():
    roads = pd.DataFrame({"grade": ["高速公路", "一级", "2", "三级公路", "四级", "secondary", "等外", None, "footway",
                                    "四级"],
                          "hardened": pd.array([True] * 8 + [False, False], dtype="boolean")})
    kmh = care.speeds_of(roads, care.CareRules()) * 3.6
    np.testing.assert_allclose(kmh, [80, 60, 60, 30, 20, 30, 20, 20, 4, 15])
    numbered = pd.DataFrame({"grade": [1.0, 3.0, None], "hardened": pd.array([True] * 3, dtype="boolean")})
    np.testing.assert_allclose(care.speeds_of(numbered, care.CareRules()) * 3.6, [60, 30, 20])   # as a .dbf gives them


@pytest.mark.parametrize("line, message", [
    ("walk_kmh = nan", "standards.care.walk_kmh = nan is not a finite number"),
    ("class3_kmh = -30", "standards.care.class3_kmh = -30 is out of range"),
    ("default_kmh = 0", "standards.care.default_kmh = 0: a speed must be above 0 km/h"),
    ("max_minutes_to_health_centre = inf", "standards.care.max_minutes_to_health_centre = inf is not a finite"),
    ("max_minutes_to_health_centre = 0", "max_minutes_to_health_centre = 0: give the limit in minutes"),
    ("speed_kmh = 30", "unknown key standards.care.speed_kmh"),
])
def test_profile_errors_name_the_key(tmp_path, line, message):
    path = tmp_path / "care.toml"
    path.write_text(sample_text() + f"\n[standards.care]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_profile(path)


def test_the_sample_county_with_time_to_care(tmp_path):
    path = tmp_path / "care.toml"
    path.write_text(sample_text() + "\n[standards.care]\nmax_minutes_to_health_centre = 30\n", encoding="utf-8")
    plain = run(load_profile(_plain(tmp_path))).villages
    result = run(load_profile(path))
    villages = result.villages
    added = [c for c in villages.columns if c not in plain.columns]
    assert added == ["clinic_network_m", "clinic_travel_min", "health_centre_network_m", "health_centre_travel_min",
                     "care_verdict", "care_reason"]
    same = [c for c in plain.columns if c not in ("geometry", "gap_count", "no_data_count")]   # counts take it in
    pd.testing.assert_frame_equal(pd.DataFrame(villages[same]), pd.DataFrame(plain[same]))
    assert villages["care_verdict"].isin(["meets", "fails", "no_data"]).all()
    assert (villages["care_verdict"] == "meets").any() and (villages["care_verdict"] == "fails").any()
    met = villages["care_verdict"] == "meets"
    assert (villages.loc[met, "health_centre_travel_min"] <= 30).all()
    # the way by road is never shorter than the straight line the clinic standard measures
    seated = villages[villages["seat_source"] == "seat"]
    assert (seated["clinic_network_m"] >= seated["clinic_nearest_m"] - 0.5).all()
    care_gaps = result.gaps[result.gaps["standard"] == "care"]
    assert len(care_gaps) == (villages["care_verdict"] == "fails").sum()
    assert set(care_gaps["bureau"]) == {"health"}
    out = CliRunner().invoke(main, ["-q", "run", str(path), "-o", str(tmp_path / "out"), "--no-maps"])
    assert out.exit_code == 0, out.output


def _plain(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text(sample_text(), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, text, fix", [
    (lambda t: t.replace('type = "type"\n', "", 1), "clinics.csv: [standards.care] is on, but the clinics layer has "
     "no township health centre (乡镇卫生院): [clinics.columns] maps no type, so",
     "map [clinics.columns] type, or add the township health centres"),
    (lambda t: t.replace("[clinics.columns]", 'health_centre_values = ["中心卫生院"]\n[clinics.columns]', 1),
     "clinics.csv: [standards.care] is on, but the clinics layer has no township health centre (乡镇卫生院): no "
     "type is one of [clinics] health_centre_values, so", "list their type in [clinics] health_centre_values"),
])
def test_check_warns_once_when_no_clinic_is_a_health_centre(tmp_path, edit, text, fix):
    path = tmp_path / "care.toml"
    path.write_text(edit(sample_text()) + "\n[standards.care]\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["check", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output   # a warning alone
    warned = [w for w in json.loads(out.output[out.output.index("{"):])["warnings"] if w["check"] == "no_health_centre"]
    assert len(warned) == 1
    assert warned[0]["text"].endswith(fix) and "\n" not in warned[0]["text"]
    assert text in warned[0]["text"] and "就医时间 (time to care) is no_data" in warned[0]["text"]
    shown = CliRunner().invoke(main, ["check", str(path)])
    assert shown.exit_code == 0 and f"warning: {warned[0]['text']}" in shown.output
    # with a health centre the sample's own profile has none of it
    plain = tmp_path / "plain.toml"
    plain.write_text(sample_text() + "\n[standards.care]\n", encoding="utf-8")
    assert "no_health_centre" not in CliRunner().invoke(main, ["check", str(plain), "--format", "json"]).output


def test_check_warns_without_a_clinics_layer(tmp_path):
    text = re.sub(r"\[clinics\].*?(?=\n\[network)", "", sample_text(), count=1, flags=re.S)
    path = tmp_path / "care.toml"
    path.write_text(text + "\n[standards.care]\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["check", str(path)])
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if "[standards.care] is on" in line]
    assert lines == [f"warning: {path}: [standards.care] is on, but the profile has no [clinics] layer, so every "
                     "village's 就医时间 (time to care) is no_data; add a [clinics] layer with the township health "
                     "centres (type 乡镇卫生院)"]
    ran = CliRunner().invoke(main, ["run", str(path), "-o", str(tmp_path / "out"), "--no-maps"])
    assert ran.exit_code == 0, ran.output
    assert ran.output.count("[standards.care] is on") == 1, ran.output
