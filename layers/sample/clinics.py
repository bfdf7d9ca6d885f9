"""Clinics of the sample county: township health centres, village clinics, and the clinic
cases (shared clinics, incomplete records, the clinic on a boundary)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from shapely.geometry import Point

from .county import County
from .shapes import nearby, neighbours

CLINIC_NEAR = {"clinic_share_meets": 2400.0, "clinic_share_fails": 2600.0}


def base_clinics(rng: np.random.Generator, county: County) -> dict[int, list[dict]]:
    """Township health centres at the township seats; a village clinic near most other seats."""
    table, clinics = county.table, {}
    for i in range(county.n):
        polygon = county.polygons[i]
        if polygon is None:
            continue
        xy = nearby(rng, county.sites[i], polygon, 60, 250)
        if table["town_seat"][i]:
            clinics[i] = [dict(name=f"{table['town_name'][i]}卫生院", type="乡镇卫生院", standardized="是",
                               doctors=int(rng.integers(6, 16)), xy=xy)]
        elif rng.random() < 0.9:
            standardized = str(rng.choice(["是", "否", ""], p=[.9, .06, .04]))
            doctors = int(rng.integers(1, 4)) if standardized != "否" else int(rng.integers(0, 2))
            clinics[i] = [dict(name=f"{table['short'][i]}卫生室", type="村卫生室", standardized=standardized,
                               doctors=doctors if rng.random() > 0.03 else None, xy=xy)]
    return clinics


def qualifies(c: dict) -> bool:
    return c["type"] == "村卫生室" and c["standardized"] == "是" and c["doctors"] is not None and c["doctors"] >= 1


def nearest_qualifying(clinics: dict[int, list[dict]], xy, skip=()) -> float:
    points = [c["xy"] for i, cs in clinics.items() if i not in skip for c in cs if qualifies(c)]
    return float(np.hypot(*(np.asarray(points) - xy).T).min())


def share_case(county: County, clinics: dict, role: str, distance: float) -> None:
    """A small village without a clinic whose neighbour's clinic sits ``distance`` m from its seat."""
    roles, polygons, sites = county.roles, county.polygons, county.sites
    adjacent = neighbours(polygons)
    for s in map(int, roles.order):
        if s in roles.taken or polygons[s] is None:
            continue
        for host in sorted(adjacent[s]):
            if host in roles.taken or not any(qualifies(c) for c in clinics.get(host, [])):
                continue
            step = sites[host] - sites[s]
            if np.hypot(*step) < distance + 300:
                continue
            p = sites[s] + distance * step / np.hypot(*step)
            if not polygons[host].contains(Point(p)) or polygons[host].boundary.distance(Point(p)) < 30:
                continue
            if nearest_qualifying(clinics, sites[s], skip=(s, host)) < distance + 100:
                continue
            roles.take(role, s)
            roles.take(role.replace("clinic_share", "clinic_host"), host)
            clinics.pop(s, None)
            clinics[host] = [dict(clinics[host][0], xy=p, name=f"{county.table['short'][host]}卫生室(分点)")]
            county.table.loc[s, "pop"] = 430 if distance < 2500 else 540
            return
    raise RuntimeError(f"no village fits the case {role!r}")


def build_clinics(rng: np.random.Generator, county: County) -> pd.DataFrame:
    clinics = base_clinics(rng, county)
    roles, table, polygons = county.roles, county.table, county.polygons
    low, high = roles.row["clinic_boundary_low"], roles.row["clinic_boundary_high"]
    clinics[high] = []
    clinics[low] = [dict(name=f"{table['short'][low]}卫生室", type="村卫生室", standardized="是", doctors=2,
                         xy=county.boundary_vertex)]
    for role, distance in CLINIC_NEAR.items():
        share_case(county, clinics, role, distance)
    cases = {"clinic_no_data_standardized": ("", 1), "clinic_no_data_doctors": ("是", None),
             "clinic_fails_not_standardized": ("否", 1), "clinic_fails_no_doctor": ("是", 0),
             "clinic_fails_none": None}
    for role, attrs in cases.items():
        i = roles.pick(role, lambda i: polygons[i] is not None)
        table.loc[i, "pop"] = max(table.loc[i, "pop"], 900)
        clinics.pop(i, None)
        if attrs:
            clinics[i] = [dict(name=f"{table['short'][i]}卫生室", type="村卫生室", standardized=attrs[0],
                               doctors=attrs[1], xy=nearby(rng, county.sites[i], polygons[i], 60, 250))]
    rows = [dict(c, village=i) for i, cs in sorted(clinics.items()) for c in cs]
    return pd.DataFrame(rows)
