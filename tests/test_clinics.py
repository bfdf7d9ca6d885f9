"""Known answers for the village-clinic standard on the hand-drawn villages."""

import numpy as np
import pytest

from hand_drawn import frame, inputs, point
from layers import clinics
from layers.standards import clinic
from layers.settings import ClinicRules


def clinic_layer(rows):
    out = frame([{"name": r[0], "kind": r[1], "standardized": r[2], "doctors": r[3]} for r in rows],
                [r[4] for r in rows])
    return out.astype({"standardized": "boolean"})


@pytest.fixture
def layer():
    return clinic_layer([
        ("K1 on A|B boundary", "village_clinic", True, 1.0, point(1000, 300)),  # shared boundary of A and B
        ("K2 in C's exclave", "village_clinic", None, 2.0, point(3100, 2100)),   # standardization unknown
        ("K3 pharmacy", None, True, 1.0, point(2500, 500)),                      # not a clinic
        ("K4 in D, no doctor", "village_clinic", True, 0.0, point(2600, 600)),
        ("H1 health centre", "health_centre", True, 5.0, point(2700, 700)),      # D hosts it
    ])


def test_boundary_clinic_counts_once_for_lowest_code(layer):
    home = clinics.home_village(inputs(clinics=layer))
    # K1 touches A and B: it belongs to A (lower code). K2 is in C's exclave. K3..H1 in D.
    assert list(home) == [0, 2, 3, 3, 3]


def test_counts_distances_verdicts(layer):
    out = clinic.assess(inputs(clinics=layer), ClinicRules(min_doctors=1, share_max_population=500,
                                                            share_max_distance_m=600), "en")
    assert list(out["clinic_count"]) == [1, 0, 0, 0, 0]
    # A and B: K1 at (1000,300) is hypot(500, 200) = 538.5 m from both seats (500,500) and (1500,500).
    # C (polygon): K1 (y=300) is 1700 m below C's square (y=2000). D (polygon): K1 is 1000 m west of D.
    np.testing.assert_allclose(out["clinic_nearest_m"].to_numpy()[:4], [np.hypot(500, 200), np.hypot(500, 200), 1700, 1000])
    # A meets with K1. B (pop 450 < 500) shares K1 500 m away. C: clinic standardization unknown.
    # D hosts the health centre: exempt. E: no origin.
    assert list(out["clinic_verdict"]) == ["meets", "meets", "no_data", "meets", "no_data"]
    assert "shares K1 on A|B boundary, 539 m away" in out["clinic_reason"].iloc[1]
    assert "township health centre" in out["clinic_reason"].iloc[3]
    zh = clinic.assess(inputs(clinics=layer), ClinicRules(min_doctors=1, share_max_population=500,
                                                           share_max_distance_m=600))
    assert zh["clinic_reason"].iloc[1] == "人口 450，低于 500，共用K1 on A|B boundary（相距 539 米，限值 600 米）"


def test_without_exemption_or_sharing(layer):
    out = clinic.assess(inputs(clinics=layer), ClinicRules(exempt_health_centre_host=False), "en")
    # B may not share: fails. D's only village clinic has no doctor: fails with that reason.
    assert list(out["clinic_verdict"])[:4] == ["meets", "fails", "no_data", "fails"]
    assert out["clinic_reason"].iloc[3].startswith("fewer than 1 qualified village doctor(s); nearest qualifying")
    assert out["clinic_reason"].iloc[1] == "no village clinic in the village; nearest qualifying clinic: K1 on A|B boundary, 539 m"
    zh = clinic.assess(inputs(clinics=layer), ClinicRules(exempt_health_centre_host=False))
    assert zh["clinic_reason"].iloc[3].startswith("合格村医少于 1 名；最近的合格卫生室：")
    assert zh["clinic_reason"].iloc[1] == "村内没有村卫生室；最近的合格卫生室：K1 on A|B boundary，539 米"


def test_sharing_distance_limit_is_a_near_miss(layer):
    just = clinic.assess(inputs(clinics=layer), ClinicRules(share_max_population=500, share_max_distance_m=538.6))
    short = clinic.assess(inputs(clinics=layer), ClinicRules(share_max_population=500, share_max_distance_m=538.4))
    assert just["clinic_verdict"].iloc[1] == "meets"
    assert short["clinic_verdict"].iloc[1] == "fails"
