"""The bundled sample county through the real pipeline: every deliberate case in
layers/sample/cases.json gets its designed verdict, and every standard shows every
verdict it has, with near misses on both sides of each limit."""

import json

import pytest

from layers.pipeline import assess
from layers.profile import load_profile
from layers.sample import SAMPLE_DIR, profile_path
from layers.verdicts import STANDARDS

ALL_CASES = json.loads((SAMPLE_DIR / "cases.json").read_text(encoding="utf-8"))
CASES = [case for case in ALL_CASES if case["standard"] != "geometry"]  # geometry cases carry no verdict


@pytest.fixture(scope="module")
def villages():
    return assess(load_profile(profile_path())).villages.set_index("village_code")


@pytest.fixture(scope="module")
def villages_all():
    """The road network's cases are graded by profile_all.toml (require_connected, [standards.care])."""
    return assess(load_profile(SAMPLE_DIR / "profile_all.toml")).villages.set_index("village_code")


def test_one_row_per_listed_village(villages):
    import pandas as pd
    codes = pd.read_csv(SAMPLE_DIR / "wangmo_divisions.csv", dtype=str).iloc[:, 0]
    assert len(villages) == 171 and villages.index.is_unique
    assert set(villages.index) == set(codes)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['standard']}-{c['case']}-{c['code']}")
def test_designed_case(villages, villages_all, case):
    villages = villages_all if case.get("profile") == "profile_all.toml" else villages
    standards = [s.key for s in STANDARDS] if case["standard"] == "all" else [case["standard"]]
    for key in standards:
        assert villages.loc[case["code"], f"{key}_verdict"] == case["expect"], (
            case["note"], villages.loc[case["code"], f"{key}_reason"])


def test_geometry_cases(villages):
    geometry = {case["case"]: case["code"] for case in ALL_CASES if case["standard"] == "geometry"}
    assert villages.loc[geometry["exclave_owner"]].geometry.geom_type == "MultiPolygon"
    assert villages.loc[geometry["polygon_only_1"], "seat_source"] == "polygon"
    assert (villages["seat_source"] == "polygon").sum() == 10


def test_every_standard_shows_every_verdict(villages):
    tiers = {"road": {"meets", "basic", "fails", "no_data"}, "water": {"meets", "basic", "fails", "no_data"},
             "clinic": {"meets", "fails", "no_data"}, "net4g": {"meets", "basic", "fails", "no_data"},
             "fibre": {"meets", "fails", "no_data"}}
    for key, expected in tiers.items():
        assert set(villages[f"{key}_verdict"]) == expected, key


@pytest.mark.parametrize("column, limit", [("road_hardened_m", 500), ("fibre_nearest_m", 1000)])
def test_near_misses_on_both_sides_of_distance_limits(villages, column, limit):
    values = villages[column].to_numpy()
    assert ((values > limit * 0.9) & (values <= limit)).any()
    assert ((values > limit) & (values < limit * 1.1)).any()


def test_clinic_sharing_near_misses(villages):
    shared = villages[villages["clinic_reason"].str.contains("共用")]
    assert (shared["clinic_nearest_m"].between(2250, 2500)).any()
    small_failing = villages[(villages["clinic_verdict"] == "fails") & (villages["population"] < 600)]
    assert (small_failing["clinic_nearest_m"].between(2500, 2750)).any()
