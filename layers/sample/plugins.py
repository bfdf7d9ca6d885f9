"""The sample county's layers for the optional standards (义务教育, 住房安全, 电网, 通客车, 通邮),
its township seats (towns.csv), and profile_all.toml, the sample's profile with them switched
on (通客车 for the poor villages, 贫困村 of villages.gpkg) and the road network's rules
(require_connected to the towns, time to care).

Generated from period 1 as shipped (villages.gpkg, seats.csv, roads.shp), with a seed of its
own (issue 22's files with another, drawn after), so that the five standards' files and answers
stay exactly those of generate.py, which runs it after writing both periods (the filled-in ledger
is made from profile_all.toml); alone, run ``python -m layers.sample.plugins [--out DIR]`` after
``python -m layers.sample.generate``. Every value is made up, like the rest of the sample:

- schools.csv: a boarding 中心小学 at every township seat; a 村小学 near most seats, a
  教学点 alone near some, a school of unrecorded type near two, nothing near the rest (they
  meet only within reach of their township's boarding school);
- housing.csv: a household housing ledger of 3-12 households a village (no names: a
  household number), grades A-D, the dangerous ones mostly renovated, a few not, a few
  without a status;
- transformers.csv and power_lines.gpkg: a 配电台区 near most seats (a fifth single-phase,
  two without recorded phases, a few of low supply reliability, some too far; the households
  each serves, 户数, a few too many for 2 kVA each, drawn last with their own seed) and 10 kV
  lines along the asphalt roads;
- bus_stops.csv: a 客运站 beside every township seat, a stop of a regular line near most
  seats, near some only a 招呼站 no line serves (班线数 0 or 通客车 否), near the rest none
  within 2 km (poor villages among them fail 通客车);
- post.csv: a 邮政支局 beside every township seat, a 村邮站 near most seats, a parcel station
  alone near some, a parcel locker (no service point) near a few, a point of unrecorded kind
  near two, nothing near the rest.

Period 2 (2026/, with 2026/profile_all.toml) is period 1's files a year later with the changes
listed in period2.CHANGES (and so in 2026/cases.json): a school built, a teaching point made a
primary school, houses renovated, a house newly appraised grade D, a transformer installed,
one made three-phase, a regular line stopping at a 招呼站, a 村邮站 opened and one closed; the
merged villages' households listed under their new code. The 10 kV lines stay as they were
(the roads paved in period 2 carry no new line).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

from . import period2
from .shapes import GEOGRAPHIC, METRIC

HERE = Path(__file__).parent
SEED = 522326 + 21   # issue 21; independent of generate.SEED's draws
SEED_22 = 522326 + 22   # issue 22's bus stops and postal points: their own draws, the files above unchanged
SEED_KVA = 522326 + 2   # the transformers' households (户数): drawn apart, the other columns unchanged
FILES = ("schools.csv", "housing.csv", "transformers.csv", "power_lines.gpkg", "towns.csv", "bus_stops.csv",
         "post.csv", "profile_all.toml")
TOWN_OFFSET_M = 150.0   # a township government this far north-east of its seat village's committee
PERIOD2 = "2026"                # period 2's folder, as generate.PERIOD2

# the schools layer's table: schools.csv's points and columns (tests/test_school.py reads its own with it)
SCHOOLS_SECTION = """[schools]
path = "schools.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[schools.columns]
name = "name"
type = "type"
boarding = "boarding"
"""

PLUGIN_SECTIONS = """
# The optional standards (义务教育, 住房安全, 电网), their layers made by plugins.py
""" + SCHOOLS_SECTION + """
[housing]
path = "housing.csv"            # one row a household; no names, the village by its code
[housing.columns]
code = "village_code"
grade = "鉴定等级"
renovated = "改造情况"

[transformers]
path = "transformers.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[transformers.columns]
name = "name"
capacity_kva = "kva"
phases = "phases"
reliability_pct = "reliability"
households = "households"            # 台区户数: capacity per household (户均配变容量, 2 kVA)

[power_lines]
path = "power_lines.gpkg"
[power_lines.columns]
name = "name"
voltage_kv = "kv"

[standards.schools]
max_distance_m = 2500
boarding_max_distance_m = 5000        # the sample's townships are large

[standards.power]
transformer_max_distance_m = 500
line_max_distance_m = 1000

# 通客车 and 通邮 (issue 22); bus only for the poor villages ([villages.columns] poor_village)
[bus_stops]
path = "bus_stops.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[bus_stops.columns]
name = "name"
lines = "班线数"
regular = "通客车"

[post]
path = "post.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[post.columns]
name = "name"
type = "类型"

[standards.bus]
max_distance_m = 2000
measure = "straight"

[apply.bus]
applies_to = "poor_village"

[standards.post]
max_distance_m = 1000
"""
POOR_COLUMN = ('poor_population = "poor_pop"\n',
               'poor_population = "poor_pop"\npoor_village = "贫困村"        # 是/否: [apply.bus] applies_to\n')


# profile_all.toml's road standard asks more than profile.toml's: the hardened road must join
# a township seat's hardened network (issue 22), the seats of towns.csv
ROADS_CONNECTED = """require_connected = true      # the hardened road must join a township seat's network
connected_to = "towns"
"""
TOWNS_SECTION = """
[towns]                               # the township seats (乡镇人民政府, 街道办事处)
path = "towns.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[towns.columns]
township_code = "town_code"
name = "name"
"""
CARE_SECTION = """
[standards.care]                      # 就医时间: along the roads to the township health centre
max_minutes_to_health_centre = 45     # the sample's townships are large (STANDARDS.md's local plans: 30)
"""


def all_profile(profile: str) -> str:
    """profile_all.toml's text: ``profile`` (a period's profile.toml) with the road network's
    rules, the villages' 贫困村 column, the optional standards' layers and [standards.care]."""
    roads = "min_width_m = 4.5\n"
    for text in (roads, POOR_COLUMN[0]):
        if profile.count(text) != 1:
            raise RuntimeError(f"profile.toml: {text.strip()!r} not found once")
    profile = profile.replace(roads, roads + ROADS_CONNECTED).replace(*POOR_COLUMN)
    return profile.rstrip("\n") + "\n" + PLUGIN_SECTIONS + TOWNS_SECTION + CARE_SECTION


def _metric(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y = Transformer.from_crs(GEOGRAPHIC, METRIC, always_xy=True).transform(lon, lat)
    return np.c_[x, y]


def _lonlat(xy: np.ndarray) -> np.ndarray:
    lon, lat = Transformer.from_crs(METRIC, GEOGRAPHIC, always_xy=True).transform(xy[:, 0], xy[:, 1])
    return np.round(np.c_[lon, lat], 7)


def _around(rng: np.random.Generator, xy: np.ndarray, low: float, high: float) -> np.ndarray:
    """A point between ``low`` and ``high`` metres from each of ``xy``, in a random direction."""
    angle = rng.uniform(0, 2 * np.pi, len(xy))
    distance = rng.uniform(low, high, len(xy))
    return xy + np.c_[np.cos(angle), np.sin(angle)] * distance[:, None]


def schools(rng: np.random.Generator, villages: pd.DataFrame, seats: pd.DataFrame) -> pd.DataFrame:
    seated = villages.merge(seats, on="village_code")
    xy = _metric(seated["lon"].to_numpy(), seated["lat"].to_numpy())
    first = ~seated["town_code"].duplicated().to_numpy()   # the township seat: its first village
    draw = rng.random(len(seated))
    rows = [(f"{town}中心小学", "中心小学", "是", xy[i]) for i, town in
            zip(np.flatnonzero(first), seated.loc[first, "town_name"])]
    near = _around(rng, xy, 200, 2300)
    point = _around(rng, xy, 300, 1800)
    for i in np.flatnonzero(~first):
        name = seated["village_name"].iloc[i].replace("村民委员会", "").replace("居民委员会", "")
        if draw[i] < 0.55:
            rows.append((f"{name}小学", "小学", "否", near[i]))
        elif draw[i] < 0.70:
            rows.append((f"{name}教学点", "教学点", "否", point[i]))
    unknown = np.flatnonzero(~first & (draw >= 0.70))[:2]
    rows += [(f"{seated['village_name'].iloc[i][:2]}民办学校", "", "否", near[i]) for i in unknown]
    lonlat = _lonlat(np.vstack([row[3] for row in rows]))
    return pd.DataFrame({"name": [r[0] for r in rows], "type": [r[1] for r in rows],
                         "boarding": [r[2] for r in rows], "lon": lonlat[:, 0], "lat": lonlat[:, 1]})


def housing(rng: np.random.Generator, villages: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for code in villages["village_code"]:
        for k in range(int(rng.integers(3, 13))):
            grade = rng.choice(["A", "B", "C", "D"], p=[0.6, 0.25, 0.1, 0.05])
            status = ""
            if grade in ("C", "D"):
                status = rng.choice(["已改造", "未改造", ""], p=[0.8, 0.15, 0.05])
            rows.append((code, f"H{code[-6:]}{k + 1:02d}", f"{grade}级" if rng.random() < 0.3 else grade, status))
    return pd.DataFrame(rows, columns=["village_code", "户编号", "鉴定等级", "改造情况"])


def transformers(rng: np.random.Generator, villages: pd.DataFrame, seats: pd.DataFrame) -> pd.DataFrame:
    seated = villages.merge(seats, on="village_code")
    xy = _metric(seated["lon"].to_numpy(), seated["lat"].to_numpy())
    draw = rng.random(len(seated))
    near, far = _around(rng, xy, 40, 480), _around(rng, xy, 600, 1600)
    at = np.where((draw < 0.88)[:, None], near, far)
    phases = np.where(rng.random(len(seated)) < 0.2, "单相", "三相").astype(object)
    phases[np.flatnonzero(draw < 0.88)[:2]] = ""   # two without recorded phases
    lonlat = _lonlat(at)
    names = [f"{name.replace('村民委员会', '').replace('居民委员会', '')}1号台区" for name in seated["village_name"]]
    table = pd.DataFrame({"name": names, "kva": rng.choice([50, 100, 200, 315, 400], len(seated)),
                          "phases": phases, "lon": lonlat[:, 0], "lat": lonlat[:, 1]})
    # 供电可靠率 (%): most above 99.8, a few below; drawn last, so the columns above stay as they were
    table.insert(3, "reliability", np.round(np.where(rng.random(len(table)) < 0.08, rng.uniform(99.0, 99.79, len(table)),
                                                     rng.uniform(99.81, 99.99, len(table))), 2))
    return table


def with_households(table: pd.DataFrame) -> pd.DataFrame:
    """The households each transformer serves: most at 2.2-6 kVA a household, one in
    twenty at 1.2-1.9 (basic: below 2 kVA), one in forty unrecorded."""
    rng = np.random.default_rng(SEED_KVA)
    draw = rng.random(len(table))
    each = np.where(draw < 0.05, rng.uniform(1.2, 1.9, len(table)), rng.uniform(2.2, 6.0, len(table)))
    households = pd.array(np.ceil(table["kva"].to_numpy(dtype=float) / each).astype(np.int64), dtype="Int64")
    households[rng.random(len(table)) < 0.025] = pd.NA
    return table.assign(households=households)


def power_lines(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """10 kV lines 30 m beside the asphalt roads (the trunk roads between township seats)."""
    trunk = roads[roads["surface"] == "沥青"].to_crs(METRIC)
    lines = shapely.offset_curve(trunk.geometry.to_numpy(), 30.0)
    return gpd.GeoDataFrame({"name": [f"10kV线路{k + 1}" for k in range(len(lines))], "kv": 10},
                            geometry=lines, crs=METRIC).to_crs(GEOGRAPHIC)


def towns(villages: pd.DataFrame, seats: pd.DataFrame) -> pd.DataFrame:
    """towns.csv: each township's government (人民政府, 街道办事处), TOWN_OFFSET_M north-east
    of its seat village's committee (the township's lowest code): off the road there, so
    its walk to the road shows in township_walk_m."""
    seated = villages.merge(seats, on="village_code").sort_values("village_code")
    first = seated[~seated["town_code"].duplicated()]
    xy = _metric(first["lon"].to_numpy(), first["lat"].to_numpy()) + TOWN_OFFSET_M / np.sqrt(2)
    lonlat = _lonlat(xy)
    office = np.where(first["town_name"].str.endswith("街道"), "办事处", "人民政府")
    return pd.DataFrame({"town_code": first["town_code"].to_numpy(), "name": first["town_name"].to_numpy() + office,
                         "lon": lonlat[:, 0], "lat": lonlat[:, 1]})


def bus_stops(rng: np.random.Generator, villages: pd.DataFrame, seats: pd.DataFrame) -> pd.DataFrame:
    """A 客运站 beside each township seat; near most seats a stop of a regular line (班线), near
    some only a stop no line serves (招呼站: 班线数 0 or 通客车 否) with a served one farther, near
    the rest none within 2 km."""
    seated = villages.merge(seats, on="village_code")
    xy = _metric(seated["lon"].to_numpy(), seated["lat"].to_numpy())
    first = ~seated["town_code"].duplicated().to_numpy()
    draw = rng.random(len(seated))
    near, close, far = _around(rng, xy, 100, 1900), _around(rng, xy, 80, 700), _around(rng, xy, 2150, 4000)
    lines = rng.integers(1, 4, len(seated))
    rows = []
    for i in range(len(seated)):
        name = _short(seated["village_name"].iloc[i])
        if first[i]:
            beside = xy[i] + (near[i] - xy[i]) / 10   # 10-190 m from the seat
            rows.append((f"{seated['town_name'].iloc[i]}客运站", int(lines[i]) + 5, "是", beside))
        elif draw[i] < 0.70:
            rows.append((f"{name}站", int(lines[i]), "是" if draw[i] < 0.6 else "", near[i]))
        elif draw[i] < 0.82:
            rows.append((f"{name}招呼站", 0 if draw[i] < 0.76 else "", "否" if draw[i] >= 0.76 else "", close[i]))
            rows.append((f"{name}路口站", int(lines[i]), "是", far[i]))
        else:
            rows.append((f"{name}路口站", int(lines[i]), "是", far[i]))
    lonlat = _lonlat(np.vstack([row[3] for row in rows]))
    return pd.DataFrame({"name": [r[0] for r in rows], "班线数": [r[1] for r in rows], "通客车": [r[2] for r in rows],
                         "lon": lonlat[:, 0], "lat": lonlat[:, 1]})


def post_points(rng: np.random.Generator, villages: pd.DataFrame, seats: pd.DataFrame) -> pd.DataFrame:
    """A 邮政支局 beside each township seat; a 村邮站 near most seats, a parcel station (村级寄递
    物流综合服务站) alone near some, a parcel locker (no service point) near a few, a point of
    unrecorded kind near two, nothing near the rest."""
    seated = villages.merge(seats, on="village_code")
    xy = _metric(seated["lon"].to_numpy(), seated["lat"].to_numpy())
    first = ~seated["town_code"].duplicated().to_numpy()
    draw = rng.random(len(seated))
    near = _around(rng, xy, 30, 600)
    rows = []
    for i in range(len(seated)):
        name = _short(seated["village_name"].iloc[i])
        if first[i]:
            rows.append((f"{seated['town_name'].iloc[i]}邮政支局", "邮政支局", xy[i] + (near[i] - xy[i]) / 3))
        elif draw[i] < 0.68:
            rows.append((f"{name}村邮站", "村邮站", near[i]))
        elif draw[i] < 0.78:
            rows.append((f"{name}快递服务站", "村级寄递物流综合服务站", near[i]))
        elif draw[i] < 0.84:
            rows.append((f"{name}智能快递柜", "智能快递柜", near[i]))
    unknown = np.flatnonzero(~first & (draw >= 0.84))[:2]
    rows += [(f"{_short(seated['village_name'].iloc[i])}便民点", "", near[i]) for i in unknown]
    lonlat = _lonlat(np.vstack([row[2] for row in rows]))
    return pd.DataFrame({"name": [r[0] for r in rows], "类型": [r[1] for r in rows],
                         "lon": lonlat[:, 0], "lat": lonlat[:, 1]})


def _changed(case: str) -> list[str]:
    """The period-1 codes of the villages of one case of period2.CHANGES."""
    codes = [c.code for c in period2.CHANGES if c.case == case]
    if not codes:
        raise RuntimeError(f"period 2: no case {case!r} in period2.CHANGES")
    return codes


def _short(name: str) -> str:
    return name.replace("村民委员会", "").replace("居民委员会", "")


def _row(table: pd.DataFrame, column: str, value: str, what: str) -> int:
    rows = np.flatnonzero((table[column] == value).to_numpy())
    if len(rows) != 1:
        raise RuntimeError(f"period 2: expected one {what} {value!r}, found {len(rows)}; the period-1 data moved")
    return int(table.index[rows[0]])


def _near_seat(seats: pd.DataFrame, code: str, east_m: float) -> tuple[float, float]:
    seat = seats[seats["village_code"] == code]
    xy = _metric(seat["lon"].to_numpy(float), seat["lat"].to_numpy(float)) + [east_m, 0.0]
    return tuple(_lonlat(xy)[0])


def schools2(schools: pd.DataFrame, names: dict[str, str], seats: pd.DataFrame) -> pd.DataFrame:
    schools = schools.copy()
    point = _row(schools, "name", f"{names[_changed('school_point_upgraded')[0]]}教学点", "school")
    schools.loc[point, ["name", "type"]] = [schools.loc[point, "name"].replace("教学点", "小学"), "小学"]
    code = _changed("school_built")[0]
    lon, lat = _near_seat(seats, code, 250.0)
    built = pd.DataFrame([dict(name=f"{names[code]}小学", type="小学", boarding="否", lon=lon, lat=lat)])
    return pd.concat([schools, built], ignore_index=True)


def housing2(housing: pd.DataFrame) -> pd.DataFrame:
    housing = housing.copy()
    renovated = housing["village_code"].isin(_changed("housing_renovated")) & (housing["改造情况"] == "未改造")
    housing.loc[renovated, "改造情况"] = "已改造"
    code = _changed("housing_new_appraisal")[0]
    number = f"H{code[-6:]}{int((housing['village_code'] == code).sum()) + 1:02d}"
    added = pd.DataFrame([dict(village_code=code, 户编号=number, 鉴定等级="D", 改造情况="未改造")])
    at = int(np.flatnonzero((housing["village_code"] == code).to_numpy())[-1]) + 1
    housing = pd.concat([housing.iloc[:at], added, housing.iloc[at:]], ignore_index=True)
    housing["village_code"] = housing["village_code"].where(~housing["village_code"].isin(period2.MERGED),
                                                            period2.MERGED_INTO)
    return housing


def transformers2(table: pd.DataFrame, names: dict[str, str], seats: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    upgraded = _row(table, "name", f"{names[_changed('electricity_three_phase')[0]]}1号台区", "transformer")
    table.loc[upgraded, "phases"] = "三相"
    code = _changed("electricity_new_transformer")[0]
    lon, lat = _near_seat(seats, code, 150.0)
    added = pd.DataFrame([dict(name=f"{names[code]}2号台区", kva=200, phases="三相", reliability=99.92,
                               lon=lon, lat=lat, households=60)])
    return pd.concat([table, added], ignore_index=True)


def bus_stops2(stops: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    stops = stops.copy()
    opened = _row(stops, "name", f"{names[_changed('bus_line_opened')[0]]}招呼站", "bus stop")
    stops.loc[opened, ["班线数", "通客车"]] = ["2", "是"]
    return stops


def post2(points: pd.DataFrame, names: dict[str, str], seats: pd.DataFrame) -> pd.DataFrame:
    closed = _row(points, "name", f"{names[_changed('post_closed')[0]]}村邮站", "postal point")
    points = points.drop(index=closed)
    code = _changed("post_opened")[0]
    lon, lat = _near_seat(seats, code, 120.0)
    opened = pd.DataFrame([dict(name=f"{names[code]}村邮站", 类型="村邮站", lon=lon, lat=lat)])
    return pd.concat([points, opened], ignore_index=True)


def write_period2(source: Path = HERE, out: Path = HERE) -> list[Path]:
    """Period 2's files of the optional standards into ``out``/2026: period 1's (in ``out``,
    as ``write`` made them) with the changes of period2.CHANGES (the villages and seats of
    period 1 and period 2's profile.toml read from ``source``), and its profile_all.toml."""
    first, later = out, out / PERIOD2
    later.mkdir(parents=True, exist_ok=True)
    villages = pyogrio.read_dataframe(source / "villages.gpkg", layer="villages", read_geometry=False)
    names = {code: _short(name) for code, name in zip(villages["village_code"], villages["village_name"])}
    seats = pd.read_csv(source / "seats.csv", dtype={"village_code": str})
    read = dict(dtype={"village_code": str}, keep_default_na=False)
    schools2(pd.read_csv(first / "schools.csv", **read), names, seats).to_csv(
        later / "schools.csv", index=False, encoding="utf-8")
    housing2(pd.read_csv(first / "housing.csv", **read)).to_csv(later / "housing.csv", index=False, encoding="utf-8")
    transformers2(pd.read_csv(first / "transformers.csv", **read), names, seats).to_csv(
        later / "transformers.csv", index=False, encoding="utf-8")
    (later / "power_lines.gpkg").unlink(missing_ok=True)
    pyogrio.write_dataframe(pyogrio.read_dataframe(first / "power_lines.gpkg"), later / "power_lines.gpkg",
                            layer="power_lines")
    pd.read_csv(first / "towns.csv", dtype=str).to_csv(later / "towns.csv", index=False, encoding="utf-8")
    bus_stops2(pd.read_csv(first / "bus_stops.csv", **read), names).to_csv(
        later / "bus_stops.csv", index=False, encoding="utf-8")
    post2(pd.read_csv(first / "post.csv", **read), names, seats).to_csv(later / "post.csv", index=False,
                                                                       encoding="utf-8")
    profile = (source / PERIOD2 / "profile.toml").read_text(encoding="utf-8")
    (later / "profile_all.toml").write_text(all_profile(profile), encoding="utf-8")
    return [later / name for name in FILES]


def write(source: Path = HERE, out: Path = HERE) -> list[Path]:
    """The optional standards' files of period 1 (in ``source``) into ``out``."""
    rng = np.random.default_rng(SEED)
    villages = pyogrio.read_dataframe(source / "villages.gpkg", layer="villages", read_geometry=False)
    seats = pd.read_csv(source / "seats.csv", dtype={"village_code": str})
    roads = pyogrio.read_dataframe(source / "roads.shp", encoding="GBK")
    out.mkdir(parents=True, exist_ok=True)
    schools(rng, villages, seats).to_csv(out / "schools.csv", index=False, encoding="utf-8")
    housing(rng, villages).to_csv(out / "housing.csv", index=False, encoding="utf-8")
    transformers(rng, villages, seats).pipe(with_households).to_csv(out / "transformers.csv", index=False,
                                                                    encoding="utf-8")
    (out / "power_lines.gpkg").unlink(missing_ok=True)
    pyogrio.write_dataframe(power_lines(roads), out / "power_lines.gpkg", layer="power_lines")
    towns(villages, seats).to_csv(out / "towns.csv", index=False, encoding="utf-8")
    rng = np.random.default_rng(SEED_22)
    bus_stops(rng, villages, seats).to_csv(out / "bus_stops.csv", index=False, encoding="utf-8")
    post_points(rng, villages, seats).to_csv(out / "post.csv", index=False, encoding="utf-8")
    profile = (source / "profile.toml").read_text(encoding="utf-8")
    (out / "profile_all.toml").write_text(all_profile(profile), encoding="utf-8")
    return [out / name for name in FILES]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m layers.sample.plugins", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: the package folder)")
    args = parser.parse_args(argv)
    for path in [*write(HERE, args.out), *write_period2(HERE, args.out)]:
        print(f"{path.stat().st_size:>9,d}  {path}")


if __name__ == "__main__":
    main()
