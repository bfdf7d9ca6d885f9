"""义务教育 (education bureau): a primary school within reach of the village seat.

A village meets when a primary school (小学) lies within ``max_distance_m`` of its seat (of
its boundary where it has no seat), or a boarding primary school (寄宿制) within the wider
``boarding_max_distance_m``; a teaching point (教学点, the lower grades only) within
``max_distance_m`` gives ``teaching_points`` ("basic" by default; "meets", or "no" to
ignore them). ``measure = "straight"`` (the default) takes ground distances; ``"network"``
the way along every road (a pupil walks or rides the road, not across a river), the straight
legs from the seat (a point inside the village without one) and to the school included.
``no_data`` without a seat or boundary, without a school layer, by road without a roads
layer, or when only schools of unrecorded type lie within reach. Otherwise ``fails``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from gis import geometry, values
from layers.canonical import _flags
from layers.grades import BASIC, FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, number_text, text_column
from layers.standards import (ALONG, ALONG_REQUIRED, AT_MOST_M, NAME, NETWORK, POINTS, STRAIGHT, Bureau, Input, Plugin,
                              Standard, Symbol, names_at, nearest_measured, number, origin_words, target_names)
from layers.text import T

BUREAU = Bureau("education", T(zh="教育局", en="Education bureau"), T(zh="教育局", en="Education"))

PRIMARY_DEFAULT = ("primary", "primary_school", "小学", "完全小学", "完小", "中心小学", "九年一贯制学校", "九年一贯制")
TEACHING_POINT_DEFAULT = ("teaching_point", "教学点", "村小教学点")


@dataclass(frozen=True)
class SchoolRules:
    """[standards.schools]; the defaults: about 30 minutes' walk for the lower grades
    (2018 State Council guidance), a township's boarding school for the others."""

    max_distance_m: float = 2500.0
    boarding_max_distance_m: float = 10000.0
    teaching_points: str = field(default="basic", metadata={"choices": ("basic", "meets", "no")})
    primary_values: tuple[str, ...] = PRIMARY_DEFAULT
    teaching_point_values: tuple[str, ...] = TEACHING_POINT_DEFAULT
    measure: str = field(default=STRAIGHT, metadata={"choices": (STRAIGHT, NETWORK)})


def check(rules: SchoolRules) -> str | None:
    if rules.boarding_max_distance_m < rules.max_distance_m:
        return "standards.schools.boarding_max_distance_m is below max_distance_m; a boarding school counts farther"
    return None


def prepare(frame: pd.DataFrame, source, findings, rules: SchoolRules) -> pd.DataFrame:
    """``kind`` (primary, teaching_point; None another kind of school; NA unrecorded) and
    ``boarding`` (boolean, NA unknown) of each school."""
    if "type" in frame:
        kind = values.words(frame["type"])
        primary = {word.strip().lower() for word in rules.primary_values}
        point = {word.strip().lower() for word in rules.teaching_point_values}
        frame["kind"] = np.where(kind.isin(primary).fillna(False), "primary",
                                 np.where(kind.isin(point).fillna(False), "teaching_point",
                                          np.where(kind.isna(), "unknown", "other")))
    else:
        frame["kind"] = "primary"
    frame["boarding"] = (_flags(frame, "boarding", source, findings) if "boarding" in frame
                         else pd.array([False] * len(frame), dtype="boolean"))
    if "name" not in frame:
        frame["name"] = pd.NA
    frame["counts"] = frame["kind"].isin(["primary", "teaching_point"])
    return frame


NO_LAYER = T(zh="配置中没有学校图层", en="no school layer in the profile")
NO_ROADS = T(zh="按道路测距（measure = \"network\"），但配置中没有道路图层",
             en="measured along the roads (measure = \"network\"), but the profile has no roads layer")
NO_SCHOOL = T(zh="学校图层中没有小学", en="no primary school in the school layer")
# {origin}: the village seat, else its boundary (origin_words); {how}: "" or "沿道路"
NEAR = T(zh="小学（{name}）距{origin}{how} {d:,.0f} 米（限值 {m} 米）",
         en="primary school ({name}) {d:,.0f} m{how} from {origin} (limit {m} m)")
BOARDING = T(zh="寄宿制小学（{name}）{how}相距 {d:,.0f} 米（寄宿制限值 {m} 米）",
             en="boarding primary school ({name}) {d:,.0f} m away{how} (boarding limit {m} m)")
POINT = T(zh="只有教学点（{name}）{how}相距 {d:,.0f} 米（限值 {m} 米）{p}",
          en="only a teaching point ({name}) {d:,.0f} m away{how} (limit {m} m){p}")
POINT_PRIMARY = T(zh="，完全小学{how}相距 {d:,.0f} 米", en="; the nearest primary school {d:,.0f} m{how}")
NO_WAY = T(zh="没有道路通到小学", en="no road leads to a primary school")
UNKNOWN = T(zh="限值内有未记录类型的学校（{name}）；请在学校图层中补录其类型",
            en="a school of unrecorded type ({name}) lies within the limit; record its type in the school layer")
FAR = T(zh="最近的小学距{origin}{how} {d:,.0f} 米，超过限值 {m} 米{b}",
        en="nearest primary school {d:,.0f} m{how} from {origin}; limit {m} m{b}")
FAR_BOARDING = T(zh="；最近的寄宿制小学{how} {d:,.0f} 米（限值 {m} 米）",
                 en="; nearest boarding primary school {d:,.0f} m{how} (limit {m} m)")


def assess(inputs, rules: SchoolRules, lang: str) -> pd.DataFrame:
    """school_nearest_m, school_boarding_m, school_point_m, school_nearest_name,
    school_verdict, school_reason (in ``lang``) for every village."""
    index = inputs.villages.index
    n = len(index)
    schools = inputs.extra.get("schools")
    network = rules.measure == NETWORK
    grades = Grades(n, lang, NO_ROADS if schools is not None and network else NO_LAYER)
    empty = np.full(n, np.nan)
    if schools is not None and network and (inputs.roads is None or not len(inputs.roads)):
        schools = None   # no way along the roads: no_data, said so
    if schools is None:
        return grades.frame("school", index, school_nearest_m=empty, school_boarding_m=empty.copy(),
                            school_point_m=empty.copy(), school_nearest_name=np.full(n, None, dtype=object))
    geoms = schools.geometry.to_numpy()
    kind, boarding = schools["kind"].to_numpy(dtype=object), schools["boarding"].fillna(False).to_numpy(dtype=bool)
    names = target_names(schools)
    name = partial(names_at, names)   # the {name} of the schools at given rows

    def nearest(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return nearest_measured(inputs, geoms, mask, rules.measure)

    primary, primary_m = nearest(kind == "primary")
    board, board_m = nearest((kind == "primary") & boarding)
    point, point_m = nearest(kind == "teaching_point")
    unknown, unknown_m = nearest(kind == "unknown")

    origin = origin_words(inputs.seats.to_numpy(), rules.measure, lang)
    how = ALONG(lang) if network else ""
    limit, far = number_text(rules.max_distance_m), number_text(rules.boarding_max_distance_m)
    far_boarding = text_column(FAR_BOARDING, lang, ~np.isnan(board_m), d=board_m, m=far, how=how)
    grades.rule(~geometry.usable(inputs.origins), NO_DATA, NO_ORIGIN)
    grades.rule(primary_m <= rules.max_distance_m, MEETS, NEAR, origin=origin, how=how, name=name(primary),
                d=primary_m, m=limit)
    grades.rule(board_m <= rules.boarding_max_distance_m, MEETS, BOARDING, name=name(board), d=board_m, m=far,
                how=how)
    if rules.teaching_points != "no":
        grades.rule(point_m <= rules.max_distance_m, MEETS if rules.teaching_points == "meets" else BASIC, POINT,
                    name=name(point), d=point_m, m=limit, how=how,
                    p=text_column(POINT_PRIMARY, lang, ~np.isnan(primary_m), d=primary_m, how=how))
    grades.rule(unknown_m <= rules.max_distance_m, NO_DATA, UNKNOWN, name=name(unknown))
    grades.rule(np.isnan(primary_m), FAILS, NO_SCHOOL if not network or not (kind == "primary").any() else NO_WAY)
    grades.rule(np.ones(n, dtype=bool), FAILS, FAR, origin=origin, how=how, d=primary_m, m=limit, b=far_boarding)
    picked = np.where(primary_m <= rules.max_distance_m, primary,
                      np.where(board_m <= rules.boarding_max_distance_m, board, primary))
    return grades.frame("school", index, school_nearest_m=primary_m, school_boarding_m=board_m,
                        school_point_m=point_m,
                        school_nearest_name=np.where(picked >= 0, names[np.maximum(picked, 0)], None))


def requirement(rules: SchoolRules, lang: str) -> str:
    return AT_MOST_M.format(lang, value=number(rules.max_distance_m)) + BOARDING_REQUIRED.format(
        lang, value=number(rules.boarding_max_distance_m)) + (ALONG_REQUIRED(lang) if rules.measure == NETWORK else "")


BOARDING_REQUIRED = T(zh="（寄宿制 ≤ {value} 米）", en=" (boarding ≤ {value} m)")

PLUGIN = Plugin(
    section="schools", rules=SchoolRules, check=check, assess=assess,
    inputs=(Input("schools", POINTS, optional=("name", "type", "boarding"), prepare=prepare),),
    symbols=(Symbol("schools", "schools", {"color": "#08306b", "weight": 1, "fill": True, "fillColor": "#4292c6",
                                           "fillOpacity": 0.9, "radius": 5},
                    T(zh="小学、教学点", en="primary schools, teaching points"), where="counts",
                    tooltip=(NAME, ("type", T(zh="类型", en="Type")))),),
    popup={"school_nearest_name": T(zh="最近的小学", en="nearest primary school")},
)

STANDARD = Standard("school", BUREAU.key, "Primary school", "school_nearest_m",
                    T(zh="义务教育", en="Primary school"), settings=("standards.schools.",),
                    requirement=requirement, plugin=PLUGIN)
