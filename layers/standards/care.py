"""就医时间 (health bureau): the township health centre within reach by road in time.

Switched on by ``[standards.care]``. From each village's seat (else a point inside its
polygon) along the roads (every road of the roads layer, whatever its surface) to its own
township's health centre (乡镇卫生院: a ``health_centre`` of the clinics layer inside one of
the township's villages), and to the nearest qualifying clinic: the shortest way in metres
and the quickest in minutes, the straight legs to the nearest road walked at ``walk_kmh``.

Speeds a road: by its grade (``[roads.columns] grade``: 技术等级 words such as 一级公路, 三级,
等外, or OpenStreetMap's ``highway`` classes) at the lower design speed JTG B01-2014
(公路工程技术标准) gives each grade, the one for hilly and mountainous land: 高速公路 80,
一级 60, 二级 60, 三级 30, 四级 20 km/h; a hardened road of no or another grade at
``default_kmh`` (20, 四级公路: most village roads); a road known not to be hardened, or of
unrecorded surface, at ``unhardened_kmh`` (15) at most; OpenStreetMap's footways, paths and
steps at ``walk_kmh``. These are design speeds, not
measured ones: a county that knows its own sets them.

A village meets when the health centre is at most ``max_minutes_to_health_centre`` (30, as
STANDARDS.md's local plans ask) away, and, where ``max_minutes_to_clinic`` is set (the
"15-minute health circle" of some provinces), a qualifying clinic within that; it fails
otherwise, or when no road leads there. ``no_data`` without a roads or clinics layer, for a
village with neither seat nor boundary, and where its township has no health centre in the
clinics layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis import geometry, values
from layers.grades import FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, number_text
from layers.standards import HEALTH, MINUTES, Plugin, Standard, number
from layers.text import T

BUREAU = HEALTH


@dataclass(frozen=True)
class CareRules:
    """[standards.care]: the limits (minutes) and the speeds (km/h)."""

    max_minutes_to_health_centre: float = 30.0
    max_minutes_to_clinic: float = 0.0   # 0: not checked
    walk_kmh: float = 4.0
    motorway_kmh: float = 80.0
    class1_kmh: float = 60.0
    class2_kmh: float = 60.0
    class3_kmh: float = 30.0
    class4_kmh: float = 20.0
    default_kmh: float = 20.0
    unhardened_kmh: float = 15.0


SPEEDS = ("walk_kmh", "motorway_kmh", "class1_kmh", "class2_kmh", "class3_kmh", "class4_kmh", "default_kmh",
          "unhardened_kmh")


def check(rules: CareRules) -> str | None:
    slow = next((name for name in SPEEDS if getattr(rules, name) <= 0), None)
    if slow:
        return f"standards.care.{slow} = 0: a speed must be above 0 km/h; give e.g. {CareRules.__dict__[slow]:g}"
    if rules.max_minutes_to_health_centre <= 0:
        return "standards.care.max_minutes_to_health_centre = 0: give the limit in minutes, e.g. 30"
    return None


# A road's grade as people and OpenStreetMap write it (OSM's China guidelines: G roads trunk,
# S primary, X secondary, Y tertiary, C unclassified); a number alone is the class.
GRADE_WORDS = {
    "motorway": ("高速", "motorway", "motorway_link", "expressway"),
    "class1": ("一级", "1", "trunk", "trunk_link"),
    "class2": ("二级", "2", "primary", "primary_link"),
    "class3": ("三级", "3", "secondary", "secondary_link"),
    "class4": ("四级", "4", "tertiary", "tertiary_link", "unclassified", "residential"),
    "walk": ("footway", "path", "steps", "pedestrian", "cycleway", "bridleway", "corridor"),   # on foot
}


def speeds_of(roads: pd.DataFrame, rules: CareRules) -> np.ndarray:
    """Metres a second of each road: its grade's speed (a hardened road of no known grade at
    ``default_kmh``), at most ``unhardened_kmh`` where it is not known to be hardened."""
    kmh = np.full(len(roads), rules.default_kmh)
    if "grade" in roads:
        grade = roads["grade"].astype("string") if not pd.api.types.is_numeric_dtype(roads["grade"]) else \
            roads["grade"].map(lambda g: "" if pd.isna(g) else f"{g:g}").astype("string")   # 3.0 read as 3
        text = values.words(grade).fillna("").str.replace(r"(公路|级别|等级|\s)", "", regex=True)
        for grade, words in GRADE_WORDS.items():
            pattern = "|".join(re.escape(word) for word in words)
            hit = text.str.fullmatch(f"({pattern})(级)?").to_numpy(dtype=bool)
            kmh = np.where(hit, getattr(rules, f"{grade}_kmh"), kmh)
    hardened = roads["hardened"].fillna(False).to_numpy(dtype=bool)
    kmh = np.where(hardened, kmh, np.minimum(kmh, rules.unhardened_kmh))
    return kmh / 3.6


# its columns (layers.clinics.Travel's measures), named when it read the clinics layer first
COLUMNS = ("clinic_network_m", "clinic_travel_min", "health_centre_network_m", "health_centre_travel_min")

NO_ROADS = T(zh="配置中没有道路或卫生室图层", en="no roads or clinics layer in the profile")
NO_CENTRE = T(zh="卫生室图层中没有本乡镇的乡镇卫生院", en="the clinics layer has no health centre in this township")
NO_WAY = T(zh="没有道路通到乡镇卫生院（{name}）", en="no road leads to the township health centre ({name})")
CENTRE_FAR = T(zh="到乡镇卫生院（{name}）{t:.0f} 分钟（{km:.1f} 公里），超过限值 {m} 分钟",
               en="{t:.0f} min ({km:.1f} km) to the township health centre ({name}); limit {m} min")
CLINIC_FAR = T(zh="到最近的合格卫生室 {c:.0f} 分钟，超过限值 {m} 分钟；到乡镇卫生院 {t:.0f} 分钟",
               en="{c:.0f} min to the nearest qualifying clinic; limit {m} min; {t:.0f} min to the health centre")
NEAR = T(zh="到乡镇卫生院（{name}）{t:.0f} 分钟（{km:.1f} 公里），限值 {m} 分钟",
         en="{t:.0f} min ({km:.1f} km) to the township health centre ({name}); limit {m} min")


def assess(inputs, rules: CareRules, lang: str) -> pd.DataFrame:
    """clinic_network_m, clinic_travel_min, health_centre_network_m, health_centre_travel_min,
    care_verdict, care_reason (in ``lang``) for every village."""
    from layers import clinics   # it reads the inputs, whose module reads this registry

    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, lang, NO_ROADS)
    if inputs.roads is None or inputs.clinics is None:
        empty = np.full(n, np.nan)
        return pd.concat([clinics.Travel(empty, empty, empty, empty, np.full(n, None)).frame(index, COLUMNS),
                          grades.frame("care", index)], axis=1)
    way = clinics.travel(inputs, speeds_of(inputs.roads, rules), rules.walk_kmh / 3.6)
    limit, nearest_limit = number_text(rules.max_minutes_to_health_centre), number_text(rules.max_minutes_to_clinic)
    name = np.where(pd.isna(way.centre_name), "", way.centre_name.astype(object))
    km = way.centre_m / 1000.0
    grades.rule(~geometry.usable(inputs.origins), NO_DATA, NO_ORIGIN)
    grades.rule(pd.isna(way.centre_name), NO_DATA, NO_CENTRE)
    grades.rule(np.isnan(way.centre_min), FAILS, NO_WAY, name=name)
    grades.rule(way.centre_min > rules.max_minutes_to_health_centre, FAILS, CENTRE_FAR, name=name,
                t=way.centre_min, km=km, m=limit)
    if rules.max_minutes_to_clinic > 0:
        grades.rule(~(way.nearest_min <= rules.max_minutes_to_clinic), FAILS, CLINIC_FAR,
                    c=way.nearest_min, m=nearest_limit, t=way.centre_min)
    grades.rule(np.ones(n, dtype=bool), MEETS, NEAR, name=name, t=way.centre_min, km=km, m=limit)
    return pd.concat([way.frame(index, COLUMNS), grades.frame("care", index)], axis=1)


def check_inputs(inputs, profile, rules: CareRules, findings) -> None:
    """Warn, once, where no village can be measured for want of any health centre: no
    clinics layer, or none of its points of a health centre's type (a layer read with an
    error is reported already)."""
    effect = "so every village's 就医时间 (time to care) is no_data"
    if profile.clinics is None:
        findings.warn(f"[standards.care] is on, but the profile has no [clinics] layer, {effect}",
                      fix="add a [clinics] layer with the township health centres (type 乡镇卫生院)",
                      check="no_health_centre", file=str(profile.path))
        return
    if inputs.clinics is None or (inputs.clinics["kind"].to_numpy() == "health_centre").any():
        return
    typed = "type" in profile.clinics.source.columns
    why = "no type is one of [clinics] health_centre_values" if typed else "[clinics.columns] maps no type"
    findings.warn(f"[standards.care] is on, but the clinics layer has no township health centre (乡镇卫生院): "
                  f"{why}, {effect}",
                  fix="map [clinics.columns] type, or add the township health centres" if not typed else
                  "add the township health centres, or list their type in [clinics] health_centre_values",
                  check="no_health_centre", file=str(profile.clinics.source.path), layer=profile.clinics.source.layer)


MINUTES_REQUIRED = T(zh="到乡镇卫生院 ≤ {value} 分钟", en="≤ {value} min to the township health centre")
CLINIC_REQUIRED = T(zh="，到合格卫生室 ≤ {value} 分钟", en=", ≤ {value} min to a qualifying clinic")


def requirement(rules: CareRules, lang: str) -> str:
    text = MINUTES_REQUIRED.format(lang, value=number(rules.max_minutes_to_health_centre))
    if rules.max_minutes_to_clinic > 0:
        text += CLINIC_REQUIRED.format(lang, value=number(rules.max_minutes_to_clinic))
    return text


PLUGIN = Plugin(section="care", rules=CareRules, check=check, assess=assess, inputs=(),
                popup={"health_centre_travel_min": T(zh="到乡镇卫生院（分钟）", en="to the health centre (min)")},
                check_inputs=check_inputs)

STANDARD = Standard("care", BUREAU.key, "Time to care", "health_centre_travel_min",
                    T(zh="就医时间", en="Time to care"), unit=MINUTES, settings=("standards.care.",),
                    requirement=requirement, plugin=PLUGIN)
