"""Period 2 of the sample county (issue 20, 动态清零): the same county on 2026-11-30, a year
after period 1 (2025-12-31). Roads hardened, clinics standardised, water projects upgraded,
two villages merged under a new code, a few gaps reopened; every change deliberate and
listed in 2026/cases.json, every other village left exactly as it was.

Each change names its village by code (the sample's codes are real, its data generated
from SEED, so the same villages come out of every build); a change whose village or
feature is not where it was planned stops the build rather than silently doing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point

from .shapes import GEOGRAPHIC, METRIC, share_part

AS_OF_1, AS_OF_2 = "2025-12-31", "2026-11-30"
MERGED = ("522326102211", "522326102212")     # 双坝村 and 山平村 (打易镇) ...
MERGED_INTO = "522326102215"                  # ... become 双山村, a code period 1 never used
MERGED_NAME = "双山村村民委员会"
TO_DEGREES = Transformer.from_crs(METRIC, GEOGRAPHIC, always_xy=True)


@dataclass(frozen=True)
class Change:
    """One deliberate case of period 2: a village (its period-1 code), a standard, its
    verdict in each period and the change compare classes it as."""

    case: str
    code: str
    standard: str
    before: str
    after: str
    change: str
    note: str


CHANGES = [
    Change("road_paved_near", "522326107213", "road", "fails", "meets", "closed",
           "the 520 m gravel stretch from the seat paved with asphalt (5.0 m)"),
    Change("road_paved_gravel", "522326104202", "road", "fails", "meets", "closed",
           "its gravel road to the seat hardened with asphalt, 5.0 m wide"),
    Change("road_paved_narrow", "522326206207", "road", "fails", "basic", "improved",
           "its dirt road hardened with cement, but only 4.0 m wide (profile asks 4.5 m)"),
    Change("road_widened", "522326003207", "road", "basic", "meets", "closed",
           "its 3.5 m cement road widened to 5.0 m"),
    Change("road_unchanged", "522326003206", "road", "fails", "fails", "persisting",
           "nothing built: still only a dirt road enters the village"),
    Change("care_new_road", "522326002203", "care", "fails", "meets", "closed",
           "a cement township road (纳桥至平洞乡道, 5.5 m) built from the end of its gravel stretch straight to "
           "the township seat: the way to the health centre no longer runs round through the next township"),
    Change("water_joined_scheme", "522326002206", "water", "fails", "meets", "closed",
           "unserved; joined to the 平洞村 scheme (service area extended over it, its code listed)"),
    *(Change("water_scheme_upgraded", code, "water", "fails", "meets", "closed",
             "平洞村集中供水工程 upgraded: supply reliability 86.1% -> 96.2%")
      for code in ("522326002201", "522326002202", "522326002203", "522326002204", "522326002205")),
    Change("water_new_well", "522326102202", "water", "fails", "meets", "closed",
           "unserved; a new well (point project, 500 m radius, its code listed) at the seat"),
    Change("water_area_enlarged", "522326003209", "water", "fails", "meets", "closed",
           "no seat; the service area listing no code enlarged from 45% to 60% of its area"),
    *(Change("water_scheme_improved", code, "water", "fails", "basic", "improved",
             "红湖村集中供水工程: round trip to water 37 min -> 16 min (basic tier: at most 20)")
      for code in ("522326112201", "522326112202", "522326112203", "522326112204")),
    Change("water_quality_lost", "522326110208", "water", "meets", "fails", "new",
           "纳丁村集中供水工程's water failed its quality test (quality_ok 否)"),
    Change("water_unchanged", "522326111211", "water", "fails", "fails", "persisting",
           "nothing changed: 绒春村集中供水工程's quality still fails"),
    Change("clinic_standardised", "522326111206", "clinic", "fails", "meets", "closed",
           "its village clinic standardised (否 -> 是)"),
    Change("clinic_standardised_2", "522326101205", "clinic", "fails", "meets", "closed",
           "its village clinic standardised (否 -> 是)"),
    Change("clinic_doctor_recruited", "522326107214", "clinic", "fails", "meets", "closed",
           "its clinic had no qualified doctor; one recruited (doctors 0 -> 1)"),
    Change("clinic_built", "522326001204", "clinic", "fails", "meets", "closed",
           "no seat, no clinic; a standardised village clinic built inside the village"),
    Change("clinic_closed", "522326107207", "clinic", "meets", "fails", "new",
           "its only clinic closed (the village doctor retired); population 1,994, no sharing"),
    Change("clinic_unchanged", "522326102210", "clinic", "fails", "fails", "persisting",
           "still no clinic"),
    Change("net4g_new_station", "522326105202", "net4g", "fails", "meets", "closed",
           "a new 4G base station covers the whole village (a 4G polygon added)"),
    Change("net4g_unchanged", "522326109204", "net4g", "fails", "fails", "persisting",
           "seat still in a dead zone"),
    *(Change("fibre_new_point", code, "fibre", "fails", "meets", "closed",
             "a fibre access point (光交箱) installed 150 m from the seat")
      for code in ("522326107217", "522326108208", "522326206204", "522326110204", "522326109208")),
    Change("fibre_unchanged", "522326102203", "fibre", "fails", "fails", "persisting",
           "nothing changed: the nearest access point is still 1,050 m from the seat"),
    *(Change("merged", code, "water", "basic", "meets", "closed",
             f"merged with {other} into {MERGED_INTO} ({MERGED_NAME}); the scheme serving both "
             "(双坝村集中供水工程) upgraded: supply reliability 91.7% -> 96.5%")
      for code, other in (MERGED, MERGED[::-1])),
    # the optional standards (issue 21): their files are made by plugins.py, which applies these
    Change("school_built", "522326101213", "school", "fails", "meets", "closed",
           "a village primary school (纳沙村小学) built 250 m from the seat; the nearest was 5,105 m"),
    Change("school_point_upgraded", "522326003205", "school", "basic", "meets", "closed",
           "纳坝村教学点 extended to a full primary school (type 教学点 -> 小学)"),
    Change("school_unchanged", "522326102205", "school", "fails", "fails", "persisting",
           "no school built: the nearest primary school still 5,050 m from the seat"),
    *(Change("housing_renovated", code, "housing", "fails", "meets", "closed",
             f"its unrenovated {what} renovated (改造情况 未改造 -> 已改造)")
      for code, what in (("522326107221", "grade-C houses (2)"), ("522326109001", "grade-D house"))),
    Change("housing_new_appraisal", "522326104204", "housing", "meets", "fails", "new",
           "a house appraised grade D in 2026 (a household added to the ledger, not yet renovated)"),
    Change("housing_unchanged", "522326206201", "housing", "fails", "fails", "persisting",
           "its grade-D house still not renovated"),
    Change("electricity_new_transformer", "522326111209", "electricity", "fails", "meets", "closed",
           "a three-phase 200 kVA transformer (边坝村2号台区) installed 150 m from the seat; the nearest was 1,129 m"),
    Change("electricity_three_phase", "522326110202", "electricity", "basic", "meets", "closed",
           "纳岸村1号台区 upgraded from single-phase to three-phase (动力电)"),
    Change("electricity_unchanged", "522326105210", "electricity", "fails", "fails", "persisting",
           "nothing built: the nearest transformer still 1,254 m from the seat"),
    # 通客车 and 通邮 (issue 22): their files made by plugins.py too
    Change("bus_line_opened", "522326001203", "bus", "fails", "meets", "closed",
           "a regular line (2 班线) now stops at 平绕村招呼站, 288 m from the seat; the nearest served stop was 3,586 m"),
    Change("bus_unchanged", "522326002205", "bus", "fails", "fails", "persisting",
           "a poor village with no bus stop within 2 km: the nearest served stop still 2,431 m from the seat"),
    Change("post_opened", "522326002202", "post", "fails", "meets", "closed",
           "a 村邮站 (纳朝村村邮站) opened 120 m from the seat; the nearest postal point was 3,169 m"),
    Change("post_closed", "522326002203", "post", "meets", "fails", "new",
           "纳桥村村邮站, its only postal point, closed; the nearest is now 5,796 m from the seat"),
    Change("post_merged", "522326102212", "post", "fails", "meets", "closed",
           "merged with 双坝村 into 双山村, whose 村邮站 (双坝村村邮站) lies inside the merged village"),
]

ROADS = {   # village: (surface, width_m) of its spur from the seat; the near case: the gravel stretch
    "522326107213": ("沥青", 5.0), "522326104202": ("沥青", 5.0), "522326206207": ("水泥", 4.0),
    "522326003207": ("水泥", 5.0)}
NEW_ROAD = "522326002203"   # 纳桥村: its road's gravel stretch ends 480 m from the seat; the new road starts there
FIBRE = ("522326107217", "522326108208", "522326206204", "522326110204", "522326109208")


def case_list(villages: pd.DataFrame) -> list[dict]:
    """2026/cases.json: one entry per Change, with its village's name and its period-2 code."""
    names = dict(zip(villages["village_code"], villages["village_name"]))
    out = []
    for c in CHANGES:
        new_code = MERGED_INTO if c.code in MERGED else c.code
        out.append(dict(village_code=new_code, old_code=c.code, name=names[c.code], standard=c.standard,
                        period1=c.before, period2=c.after, change=c.change, case=c.case, note=c.note))
    return sorted(out, key=lambda c: (c["standard"], c["case"], c["old_code"]))


def _one(mask, what: str) -> int:
    rows = np.flatnonzero(np.asarray(mask))
    if len(rows) != 1:
        raise RuntimeError(f"period 2: expected one {what}, found {len(rows)}; the period-1 data moved")
    return int(rows[0])


def metric_polygons(villages: gpd.GeoDataFrame) -> pd.Series:
    return villages.set_index("village_code").geometry.to_crs(METRIC)


def change_roads(roads: gpd.GeoDataFrame, seats_m: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    roads = roads.copy()
    starts = shapely.get_coordinates(shapely.get_point(roads.geometry.to_numpy(), 0))
    for code, (surface, width) in ROADS.items():
        at = (np.hypot(*(starts - seats_m[code]).T) < 0.05) & roads["name"].str.contains("通村路").to_numpy()
        row = roads.index[_one(at, f"village road leaving the seat of {code}")]
        roads.loc[row, ["surface", "width_m"]] = [surface, width]
        roads.loc[row, "name"] = str(roads.loc[row, "name"]).replace("(未硬化段)", "(2026年硬化段)")
    return new_road(roads, seats_m)


def new_road(roads: gpd.GeoDataFrame, seats_m: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    """care_new_road: 纳桥至平洞乡道, from the far end of NEW_ROAD's gravel stretch (so the
    hardened road stays 480 m from its seat) straight to its township's seat."""
    starts = shapely.get_coordinates(shapely.get_point(roads.geometry.to_numpy(), 0))
    at = (np.hypot(*(starts - seats_m[NEW_ROAD]).T) < 0.05) & roads["name"].str.contains("未硬化段").to_numpy()
    start = shapely.get_coordinates(roads.geometry.iloc[_one(at, f"gravel stretch from the seat of {NEW_ROAD}")])[-1]
    town_seat = seats_m[min(code for code in seats_m if code[:9] == NEW_ROAD[:9])]
    line = shapely.set_precision(LineString([start, town_seat]), 0.01)
    row = dict(name="纳桥至平洞乡道", surface="水泥", width_m=5.5, grade="四级", layer=0, bridge=None, geometry=line)
    return pd.concat([roads, gpd.GeoDataFrame([row], geometry="geometry", crs=roads.crs)], ignore_index=True)


def status(lpcd, reliability, quality_ok, access_min) -> dict:
    return dict(lpcd=lpcd, reliability=reliability, quality_ok=quality_ok, access_min=access_min)


def change_water(water: gpd.GeoDataFrame, polygons: pd.Series, seats_m: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    water = water.copy()

    def named(name: str) -> int:
        return water.index[_one(water["name"] == name, f"water project {name}")]

    pingdong = named("平洞村集中供水工程")
    luolang = "522326002206"
    water.loc[pingdong, "reliability"] = 96.2
    water.loc[pingdong, "geometry"] = shapely.union(
        water.loc[pingdong, "geometry"], polygons[luolang].buffer(-150).simplify(25))
    water.loc[pingdong, "served"] = f"{water.loc[pingdong, 'served']};{luolang}"
    water.loc[named("红湖村集中供水工程"), "access_min"] = 16.0
    water.loc[named("双坝村集中供水工程"), "reliability"] = 96.5
    water.loc[named("纳丁村集中供水工程"), "quality_ok"] = "否"
    partial = named("小米地村引水工程(部分)")
    water.loc[partial, "geometry"] = share_part(polygons["522326003209"], 0.6)
    well = dict(geometry=Point(seats_m["522326102202"] + [80.0, -60.0]), name="大湾村机井", served="522326102202",
                radius_m=500.0, **status(48.0, 97.0, "是", 6.0))
    water = pd.concat([water, gpd.GeoDataFrame([well], geometry="geometry", crs=water.crs)], ignore_index=True)
    # the merged village: its code in place of the two old ones, listed once
    for row, served in water["served"].items():
        if isinstance(served, str) and any(code in served for code in MERGED):
            codes = [MERGED_INTO if code in MERGED else code for code in served.split(";")]
            water.loc[row, "served"] = ";".join(dict.fromkeys(codes))
    return gpd.GeoDataFrame(water, geometry="geometry", crs=METRIC)


def change_clinics(clinics: pd.DataFrame, polygons_deg: pd.Series) -> pd.DataFrame:
    clinics = clinics.copy()
    points = shapely.points(clinics[["lon", "lat"]].to_numpy(float))

    def inside(code: str) -> int:
        return clinics.index[_one(shapely.intersects(polygons_deg[code], points), f"clinic in {code}")]

    for code in ("522326111206", "522326101205"):
        row = inside(code)
        if clinics.loc[row, "standardized"] != "否" or not clinics.loc[row, "doctors"] >= 1:
            raise RuntimeError(f"period 2: the clinic of {code} is not the unstandardised one planned")
        clinics.loc[row, "standardized"] = "是"
    clinics.loc[inside("522326107214"), "doctors"] = 1
    closed = inside("522326107207")
    clinics = clinics.drop(index=closed)
    site = polygons_deg["522326001204"].representative_point()
    built = pd.DataFrame([dict(name="祥乐村卫生室", type="村卫生室", standardized="是", doctors=1,
                               lon=round(site.x, 7), lat=round(site.y, 7))])
    out = pd.concat([clinics, built], ignore_index=True)
    out["doctors"] = out["doctors"].astype("Int64")
    return out


def change_fibre(fibre: pd.DataFrame, seats_m: dict[str, np.ndarray], names: dict[str, str]) -> pd.DataFrame:
    xy = np.array([seats_m[code] + [150.0, 0.0] for code in FIBRE])
    lon, lat = TO_DEGREES.transform(xy[:, 0], xy[:, 1])
    added = pd.DataFrame({"name": [f"{names[code]}光交箱" for code in FIBRE],
                          "lon": np.round(lon, 7), "lat": np.round(lat, 7)})
    return pd.concat([fibre, added], ignore_index=True)


def change_coverage(coverage: gpd.GeoDataFrame, polygons: pd.Series) -> gpd.GeoDataFrame:
    station = polygons["522326105202"]
    row = dict(tech="4G", geometry=shapely.MultiPolygon(list(shapely.get_parts(station))))
    return pd.concat([coverage, gpd.GeoDataFrame([row], geometry="geometry", crs=coverage.crs)],
                     ignore_index=True)


def merge_villages(villages: gpd.GeoDataFrame, seats: pd.DataFrame):
    """The two villages as one (union of their polygons, populations added), with the seat of
    the larger: the code-change table, the villages and the seats of period 2."""
    both = villages[villages["village_code"].isin(MERGED)]
    if len(both) != 2 or both["town_code"].nunique() != 1:
        raise RuntimeError("period 2: the villages to merge are not two of one township")
    larger = both.sort_values("pop", ascending=False, kind="stable").iloc[0]
    merged = gpd.GeoDataFrame([dict(
        village_code=MERGED_INTO, village_name=MERGED_NAME, town_code=larger["town_code"],
        town_name=larger["town_name"], pop=int(both["pop"].sum()), poor_pop=int(both["poor_pop"].sum()),
        贫困村="是" if (both["贫困村"] == "是").any() else "否",
        geometry=shapely.union_all(both.geometry.to_numpy()))], geometry="geometry", crs=villages.crs)
    kept = villages[~villages["village_code"].isin(MERGED)]
    out = pd.concat([kept, merged], ignore_index=True).sort_values("village_code", ignore_index=True)
    out[["pop", "poor_pop"]] = out[["pop", "poor_pop"]].astype(np.int64)
    seat = seats[seats["village_code"] == larger["village_code"]].assign(village_code=MERGED_INTO)
    seats = pd.concat([seats[~seats["village_code"].isin(MERGED)], seat], ignore_index=True)
    seats = seats.sort_values("village_code", ignore_index=True)
    codes = pd.DataFrame({"old_code": list(MERGED), "new_code": MERGED_INTO})
    return gpd.GeoDataFrame(out, geometry="geometry", crs=villages.crs), seats, codes
