"""Water projects of the sample county: piped schemes over groups of villages, point
projects, and the water cases."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point

from .county import County
from .shapes import METRIC, neighbours, share_part, unit

WATER_SHARE = {"water_share_meets": 0.55, "water_share_fails": 0.45}


def water_status(rng: np.random.Generator, grade: str) -> dict:
    """Four indicators giving ``grade`` under the national tiers (worst indicator decides)."""
    if grade == "no_data":
        return dict(lpcd=None, reliability=None, quality_ok=None, access_min=None)
    status = dict(lpcd=round(rng.uniform(40, 90), 1), reliability=round(rng.uniform(95.5, 99.5), 1),
                  quality_ok="是", access_min=int(rng.integers(0, 11)))
    keys = ["lpcd", "reliability", "access_min"] + (["quality_ok"] if grade == "fails" else [])
    worst = keys[int(rng.integers(len(keys)))]
    if grade == "basic":
        status[worst] = {"lpcd": round(rng.uniform(22, 34), 1), "reliability": round(rng.uniform(90.5, 94.5), 1),
                         "access_min": int(rng.integers(11, 21))}[worst]
    elif grade == "fails":
        status[worst] = {"lpcd": round(rng.uniform(10, 19), 1), "reliability": round(rng.uniform(80, 89), 1),
                         "access_min": int(rng.integers(25, 41)), "quality_ok": "否"}[worst]
    if rng.random() < 0.2:   # a partial ledger: one indicator that does not decide is missing
        status[str(rng.choice([k for k in ("lpcd", "reliability", "access_min") if k != worst]))] = None
    return status


def plan_water(county: County) -> None:
    roles, polygons = county.roles, county.polygons
    inner = {i: polygons[i].buffer(-700) for i in range(county.n) if polygons[i] is not None}

    def deep_seat(i):
        return polygons[i] is not None and polygons[i].boundary.distance(Point(county.sites[i])) > 700

    roles.pick("water_listed_only", lambda i: deep_seat(i) and listed_well(county, i) is not None)
    roles.pick("water_seat_only", lambda i: deep_seat(i) and polygons[i].area > 4e6)
    roles.pick("water_best_of_two", deep_seat)
    roles.pick("water_no_data_status", deep_seat)
    for role in WATER_SHARE:
        roles.pick(role, lambda i: polygons[i] is not None and polygons[i].geom_type == "Polygon"
                   and not inner[i].is_empty, seat=False)
    for k in range(8):
        roles.pick(f"water_unserved_{k + 1}", lambda i: polygons[i] is not None)


def listed_well(county: County, i: int):
    """A point 900-2,500 m from the seat whose 300 m service circle stays inside the village."""
    for distance in range(900, 2600, 100):
        for angle in np.linspace(0, 2 * np.pi, 16, endpoint=False):
            p = Point(county.sites[i] + distance * unit(angle))
            if county.polygons[i].contains(p) and county.polygons[i].boundary.distance(p) > 350:
                return p
    return None


def water_groups(rng: np.random.Generator, county: County) -> list[list[int]]:
    """Adjacent villages of a township grouped 1-5 at a time under one piped scheme."""
    blocked = {i for role, i in county.roles.row.items() if role.startswith("water_")}
    adjacent, groups = neighbours(county.polygons), []
    for town in county.table["town_code"].unique():
        left = [int(i) for i in np.flatnonzero(county.table["town_code"].to_numpy() == town)
                if int(i) not in blocked and county.polygons[int(i)] is not None]
        while left:
            group, size = [left.pop(0)], int(rng.integers(1, 6))
            while len(group) < size:
                nxt = sorted(j for g in group for j in adjacent[g] if j in left)
                if not nxt:
                    break
                group.append(nxt[0])
                left.remove(nxt[0])
            groups.append(group)
    return groups


def build_water(rng: np.random.Generator, county: County) -> gpd.GeoDataFrame:
    plan_water(county)
    table, polygons = county.table, county.polygons
    groups = water_groups(rng, county)
    grades = list(rng.choice(["meets", "basic", "fails", "no_data"], len(groups), p=[.66, .2, .1, .04]))
    for k, grade in zip(rng.choice(len(groups), 4, replace=False), ["meets", "basic", "fails", "no_data"]):
        grades[k] = grade
    rows = []
    for group, grade in zip(groups, grades):
        area = shapely.union_all(polygons[group]).buffer(-150).simplify(25)
        served = [";".join(table["village_code"][group]), "", None][int(rng.choice(3, p=[.6, .25, .15]))]
        rows.append(dict(geometry=area, name=f"{table['short'][group[0]]}集中供水工程", served=served,
                         radius_m=None, **water_status(rng, grade)))
    rows += special_water(rng, county)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)
    return frame[["name", "served", "radius_m", "lpcd", "reliability", "quality_ok", "access_min", "geometry"]]


def special_water(rng: np.random.Generator, county: County) -> list[dict]:
    table, polygons, sites, roles = county.table, county.polygons, county.sites, county.roles
    short, code = table["short"], table["village_code"]
    listed, seat_only, best, unknown = (roles.row[r] for r in ("water_listed_only", "water_seat_only",
                                                               "water_best_of_two", "water_no_data_status"))
    rows = [dict(geometry=listed_well(county, listed), name=f"{short[listed]}机井", served=code[listed],
                 radius_m=300.0, **water_status(rng, "basic")),
            dict(geometry=Point(sites[seat_only] + [60, -40]), name=f"{short[seat_only]}山塘引水", served="",
                 radius_m=600.0, **water_status(rng, "meets")),
            dict(geometry=polygons[best].buffer(-150).simplify(25), name=f"{short[best]}老水厂", served=code[best],
                 radius_m=None, **water_status(rng, "fails")),
            dict(geometry=Point(sites[best] + [-50, 30]), name=f"{short[best]}新建泵站", served=None,
                 radius_m=400.0, **water_status(rng, "meets")),
            dict(geometry=polygons[unknown].buffer(-150).simplify(25), name=f"{short[unknown]}人饮工程",
                 served=code[unknown], radius_m=None, **water_status(rng, "no_data"))]
    for role, share in WATER_SHARE.items():
        i = roles.row[role]
        rows.append(dict(geometry=share_part(polygons[i], share), name=f"{short[i]}引水工程(部分)",
                         served=None if share > 0.5 else "", radius_m=None, **water_status(rng, "meets")))
    return rows
