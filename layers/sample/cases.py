"""The deliberate cases of the sample county: what each role was built to show, and the
list written to cases.json."""

from __future__ import annotations

from .clinics import CLINIC_NEAR
from .county import County
from .network import FIBRE_NEAR
from .roads import ROAD_NEAR
from .water import WATER_SHARE

CASES = {   # role: (standard, expected verdict, what was built)
    "road_near_meets": ("road", "meets", "gravel for the first 480 m from the seat, then a 5.0 m cement road"),
    "road_near_fails": ("road", "fails", "gravel for the first 520 m from the seat, then a 5.0 m cement road"),
    "road_basic_narrow": ("road", "basic", "its only hardened road (cement) is 3.5 m wide; profile asks 4.5 m"),
    "road_basic_narrow_2": ("road", "basic", "its only hardened road (asphalt) is 4.0 m wide"),
    "road_fails_gravel": ("road", "fails", "gravel road to the seat; no hardened road within 900 m"),
    "road_fails_dirt": ("road", "fails", "dirt road to the seat; no hardened road within 900 m"),
    "road_no_data_surface": ("road", "no_data", "its only road within 900 m has no surface recorded"),
    "road_poly_meets": ("road", "meets", "no seat; a cement road enters the polygon"),
    "road_poly_fails": ("road", "fails", "no seat; only a dirt road enters the polygon"),
    "road_poly_no_data": ("road", "no_data", "no seat; only a road with no surface recorded enters the polygon"),
    # the road network's cases (links.py), graded by profile_all.toml (require_connected, [standards.care])
    "road_fails_unconnected": ("road", "fails", "its road is cement for the first 1,200 m from the seat, then dirt "
                               "to the network: a hardened stub joined to no township seat"),
    "care_walk_seat": ("care", "meets", "its road starts 300 m from the seat: the seat is off the network, the "
                       "first 300 m walked"),
    "water_listed_only": ("water", "basic", "only a well (basic) that lists its code; the seat is outside the "
                          "well's 300 m circle"),
    "water_seat_only": ("water", "meets", "a point project (600 m radius, no codes listed) covers the seat"),
    "water_best_of_two": ("water", "meets", "served by a failing old scheme and a meeting pump station"),
    "water_no_data_status": ("water", "no_data", "served only by a scheme with none of the four indicators "
                             "recorded"),
    "water_share_meets": ("water", "meets", "no seat; 55% of its area inside a service area listing no code"),
    "water_share_fails": ("water", "fails", "no seat; 45% of its area inside a service area listing no code"),
    "water_unserved": ("water", "fails", "no water project serves it"),
    "clinic_share_meets": ("clinic", "meets", "population 430, no clinic; a qualifying clinic 2,400 m from the seat"),
    "clinic_share_fails": ("clinic", "fails", "population 540, no clinic; nearest qualifying clinic 2,600 m"),
    "clinic_host_meets": ("clinic", "meets", "hosts the clinic shared at 2,400 m (placed away from its seat)"),
    "clinic_host_fails": ("clinic", "meets", "hosts the clinic 2,600 m from the small neighbour"),
    "clinic_no_data_standardized": ("clinic", "no_data", "its village clinic has 'standardized' empty"),
    "clinic_no_data_doctors": ("clinic", "no_data", "its village clinic has 'doctors' empty"),
    "clinic_fails_not_standardized": ("clinic", "fails", "its village clinic is not standardized (否)"),
    "clinic_fails_no_doctor": ("clinic", "fails", "its village clinic has 0 qualified doctors"),
    "clinic_fails_none": ("clinic", "fails", "no clinic; population of at least 900"),
    "clinic_boundary_low": ("clinic", "meets", "its clinic lies exactly on the boundary with the next village; "
                            "it counts here (lower code)"),
    "clinic_boundary_high": ("clinic", "fails", "no clinic of its own; the one on its boundary counts for the "
                             "neighbour with the lower code"),
    "net4g_fails_seat": ("net4g", "fails", "seat inside a dead zone"),
    "net4g_fails_seat_2": ("net4g", "fails", "seat inside a dead zone"),
    "net4g_no_data_unknown": ("net4g", "no_data", "seat in a dead zone under a coverage polygon with no technology"),
    "net4g_basic_seat": ("net4g", "basic", "seat covered, far part of the village in a dead zone"),
    "net4g_basic_seat_2": ("net4g", "basic", "seat covered, far part of the village in a dead zone"),
    "net4g_poly_fails": ("net4g", "fails", "no seat; the whole polygon in a dead zone"),
    "net4g_poly_basic": ("net4g", "basic", "no seat; part of the polygon in a dead zone"),
    "net4g_poly_meets": ("net4g", "meets", "no seat; the whole polygon covered"),
    "fibre_near_meets": ("fibre", "meets", "nearest fibre access point 950 m from the seat"),
    "fibre_near_fails": ("fibre", "fails", "nearest fibre access point 1,050 m from the seat"),
    "fibre_fails_none": ("fibre", "fails", "no fibre access point within 1,500 m"),
    "fibre_fails_none_2": ("fibre", "fails", "no fibre access point within 1,500 m"),
    "fibre_poly_inside": ("fibre", "meets", "no seat; a fibre access point inside the polygon"),
    "no_geometry": ("all", "no_data", "boundary not drawn and no seat: no_data for every standard"),
    "exclave_owner": ("geometry", "", "MultiPolygon: owns a small exclave inside its neighbour"),
    "exclave_host": ("geometry", "", "has a hole where its neighbour's exclave lies"),
    "polygon_only": ("geometry", "", "no seat in seats.csv; its polygon stands in"),
}
ALL_ONLY = {"road_fails_unconnected", "care_walk_seat"}   # graded under profile_all.toml, not profile.toml
DISTANCES = {**ROAD_NEAR, **CLINIC_NEAR, **FIBRE_NEAR}


def case_list(county: County) -> list[dict]:
    table, cases = county.table, []
    for role, row in sorted(county.roles.row.items(), key=lambda item: (item[1], item[0])):
        key = role.rstrip("0123456789").rstrip("_") if role.startswith(("water_unserved", "polygon_only")) else role
        standard, expect, note = CASES[key]
        case = dict(code=table["village_code"][row], name=table["village_name"][row], standard=standard,
                    expect=expect, case=role, note=note, seat=county.has_seat(row))
        if role in ALL_ONLY:
            case["profile"] = "profile_all.toml"
        if role in DISTANCES:
            case["built_m"] = DISTANCES[role]
        if role in WATER_SHARE:
            case["built_share"] = WATER_SHARE[role]
        cases.append(case)
    return sorted(cases, key=lambda c: (c["standard"], c["case"]))
