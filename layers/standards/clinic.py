"""村卫生室 (health): a qualifying village clinic in the village, or one shared nearby."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gis import geometry
from layers import clinics
from layers.clinics import home_village, qualifying
from layers.grades import FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, joined, number_text, text_column
from layers.canonical import _clinics
from layers.settings import HEALTH_CENTRE_DEFAULT, VILLAGE_CLINIC_DEFAULT, ClinicRules, Clinics
from layers.sources import POINTS
from layers.standards import HEALTH, Drawing, Drawn, Layer, Mark, Standard
from layers.text import DEFAULT_LANG, T

if TYPE_CHECKING:
    from layers.inputs import Inputs

BUREAU = HEALTH

REQUIRED = T(zh="村内 ≥ 1 个合格卫生室", en="≥ 1 qualifying clinic in the village")


def requirement(rules, lang: str) -> str:
    return REQUIRED(lang)


def nearest_clinic(origins: np.ndarray, clinics: pd.DataFrame, ok: np.ndarray,
                   index: pd.Index, lang: str = DEFAULT_LANG) -> tuple[pd.Series, pd.Series]:
    """``clinic_nearest_m`` and the name of that clinic, over qualifying clinics."""
    rows = np.flatnonzero(ok)
    nearest, distance = geometry.nearest(origins, clinics.geometry.to_numpy()[rows])
    unnamed = T(zh="未命名卫生室", en="unnamed clinic")(lang)
    names = clinics["name"].astype("string").fillna(unnamed).to_numpy(dtype=object)
    found = nearest >= 0
    name = np.full(len(origins), None, dtype=object)
    name[found] = names[rows[nearest[found]]]
    return (pd.Series(distance, index=index, name="clinic_nearest_m"),
            pd.Series(name, index=index, name="clinic_nearest_name"))


def nearest_table(inputs: Inputs, rules: ClinicRules, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """``clinic_nearest_m`` and ``clinic_nearest_name`` of every village: the part of
    ``assess`` that is a distance (measured in each village's zone, ``layers.zones``)."""
    index = inputs.villages.index
    if inputs.clinics is None:
        return pd.DataFrame({"clinic_nearest_m": np.full(len(index), np.nan),
                             "clinic_nearest_name": np.full(len(index), None)}, index=index)
    good = qualifying(inputs.clinics, rules).fillna(False).to_numpy(dtype=bool)
    return pd.concat(nearest_clinic(inputs.origins, inputs.clinics, good, index, lang), axis=1)


def assess(inputs: Inputs, rules: ClinicRules, lang: str = DEFAULT_LANG,
           nearest: pd.DataFrame | None = None) -> pd.DataFrame:
    """clinic_count, clinic_nearest_m, clinic_nearest_name, clinic_verdict, clinic_reason (in ``lang``).
    ``nearest``: ``nearest_table`` of these villages where it was measured elsewhere (in
    their zones); else it is measured here, in ``inputs.crs``."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, lang, T(zh="配置中没有卫生室图层", en="no clinics layer in the profile"))
    if inputs.clinics is None:
        return grades.frame("clinic", index, clinic_count=np.zeros(n, dtype=int), clinic_nearest_m=np.full(n, np.nan),
                            clinic_nearest_name=np.full(n, None))
    clinics = inputs.clinics
    home = home_village(inputs)
    inside = home >= 0
    ok = qualifying(clinics, rules)
    good = ok.fillna(False).to_numpy(dtype=bool)
    is_clinic = clinics["kind"].to_numpy() == "village_clinic"

    def per_village(mask: np.ndarray) -> np.ndarray:
        return np.bincount(home[inside & mask], minlength=n) > 0

    count = np.bincount(home[inside & good], minlength=n)
    unknown = per_village(ok.isna().to_numpy())
    weak = per_village(is_clinic & ~good)
    centre = per_village(clinics["kind"].to_numpy() == "health_centre")
    unstandardized = per_village(is_clinic & _says_no(clinics, "standardized"))
    doctors = clinics["doctors"].to_numpy(dtype=float) if "doctors" in clinics else np.full(len(clinics), np.nan)
    few_doctors = per_village(is_clinic & (doctors < rules.min_doctors))
    if nearest is None:
        distance, name = nearest_clinic(inputs.origins, clinics, good, index, lang)
    else:
        distance, name = nearest["clinic_nearest_m"].set_axis(index), nearest["clinic_nearest_name"].set_axis(index)
    d = distance.to_numpy()
    population = inputs.villages["population"].to_numpy(dtype=float)
    small = population < rules.share_max_population
    shares = small & (d <= rules.share_max_distance_m)
    label = np.where(name.isna(), "", name.to_numpy(dtype=object))
    limit = number_text(rules.share_max_distance_m)
    nearest = joined([
        text_column(T(zh="人口 {p:,.0f}，低于 {m}，可共用邻村卫生室，但最近的合格卫生室{c}相距 {d:,.0f} 米，超过 {s} 米",
                      en="population {p:,.0f} is below {m}, so it may share a clinic, but the nearest qualifying "
                         "clinic, {c}, is {d:,.0f} m away (limit {s} m)"), lang, small & ~np.isnan(d),
                    p=population, m=number_text(rules.share_max_population), c=label, d=d, s=limit),
        text_column(T(zh="最近的合格卫生室：{c}，{d:,.0f} 米", en="nearest qualifying clinic: {c}, {d:,.0f} m"), lang,
                    ~small & ~np.isnan(d), c=label, d=d),
        text_column(T(zh="图层中没有合格卫生室", en="no qualifying clinic in the layer"), lang, np.isnan(d))], "")
    problems = joined([
        text_column(T(zh="村卫生室未达到标准化", en="the village clinic is not standardized"), lang, unstandardized),
        text_column(T(zh="合格村医少于 {k} 名", en="fewer than {k} qualified village doctor(s)"), lang, few_doctors,
                    k=rules.min_doctors)], T(zh="，", en=", ")(lang))

    grades.rule(count >= 1, MEETS, T(zh="村内有 {c} 个标准化卫生室且有合格村医",
                                     en="{c} standardized clinic(s) with a qualified doctor in the village"), c=count)
    grades.rule(centre & rules.exempt_health_centre_host, MEETS,
                T(zh="村内有乡镇卫生院，无需另设村卫生室",
                  en="hosts the township health centre, so needs no village clinic of its own"))
    grades.rule(~geometry.usable(inputs.origins), NO_DATA, NO_ORIGIN)
    grades.rule(unknown, NO_DATA, T(zh="村卫生室是否标准化或村医人数未记录；请在卫生室图层中补录",
                                    en="the village clinic's standardization or doctors are not recorded; "
                                       "record them in the clinics layer"))
    grades.rule(shares, MEETS, T(zh="人口 {p:,.0f}，低于 {m}，共用{c}（相距 {d:,.0f} 米，限值 {s} 米）",
                                 en="population {p:,.0f} below {m} shares {c}, {d:,.0f} m away (limit {s} m)"),
                p=population, m=number_text(rules.share_max_population), c=label, d=d, s=limit)
    grades.rule(weak & (problems != ""), FAILS, T(zh="{problems}；{nearest}", en="{problems}; {nearest}"),
                problems=problems, nearest=nearest)
    grades.rule(weak, FAILS, T(zh="村卫生室不合格；{nearest}", en="the village clinic does not qualify; {nearest}"),
                nearest=nearest)
    grades.rule(np.ones(n, dtype=bool), FAILS, T(zh="村内没有村卫生室；{nearest}",
                                                 en="no village clinic in the village; {nearest}"), nearest=nearest)
    return grades.frame("clinic", index, clinic_count=count, clinic_nearest_m=d, clinic_nearest_name=name.to_numpy())


def _says_no(clinics: pd.DataFrame, column: str) -> np.ndarray:
    """True where ``column`` is recorded as no (False)."""
    if column not in clinics:
        return np.zeros(len(clinics), dtype=bool)
    return (clinics[column].astype("boolean") == False).to_numpy(dtype=bool, na_value=False)  # noqa: E712


def _decide(inputs: Inputs, rules, lang: str, nearest: pd.DataFrame | None = None) -> pd.DataFrame:
    return assess(inputs, rules.clinics, lang, nearest)


def _nearest(inputs: Inputs, rules, lang: str) -> pd.DataFrame:
    return nearest_table(inputs, rules.clinics, lang)


def _reach(inputs: Inputs, rules) -> dict:
    if inputs.clinics is None:
        return {}
    ok = qualifying(inputs.clinics, rules.clinics).fillna(False).to_numpy(bool)
    return {"clinics": (rules.clinics.share_max_distance_m,
                        geometry.nearest(inputs.origins, inputs.clinics.geometry.to_numpy()[ok])[1])}


def recorded(inputs: Inputs, profile) -> pd.DataFrame:
    """The ledger against the map (layers.consistency): the villages' ``has_clinic`` says yes
    but no clinic point lies inside the village, or says no while one does."""
    v = inputs.villages
    if "has_clinic" not in v or inputs.clinics is None:
        return pd.DataFrame()
    polygons = v.geometry.to_numpy()
    home = clinics.home_village(inputs)  # a clinic on a shared boundary counts once, as for the verdicts
    home = home[(home >= 0) & inputs.clinics["kind"].notna().to_numpy()]
    inside = np.bincount(home, minlength=len(v)) > 0
    recorded = v["has_clinic"]
    known = recorded.notna().to_numpy() & geometry.usable(polygons)
    says_yes = known & recorded.fillna(False).to_numpy(dtype=bool)
    says_no = known & ~recorded.fillna(True).to_numpy(dtype=bool)
    yes_missing, no_present = np.flatnonzero(says_yes & ~inside), np.flatnonzero(says_no & inside)
    column, lang = profile.villages.source.columns["has_clinic"], profile.lang
    return pd.DataFrame({
        "row": np.r_[yes_missing, no_present], "bureau": "health", "check": "clinic_recorded",
        "ledger": [T(zh="{column} 记为有卫生室", en="{column} says the village has a clinic").format(
            lang, column=column)] * len(yes_missing)
        + [T(zh="{column} 记为没有卫生室", en="{column} says the village has no clinic").format(
            lang, column=column)] * len(no_present),
        "map": [T(zh="村内没有卫生室点位", en="no clinic point inside the village")(lang)] * len(yes_missing)
        + [T(zh="村内有卫生室点位", en="a clinic point lies inside the village")(lang)] * len(no_present),
        "source": str(profile.villages.source.path)})


# the ledger's record against the map (layers/consistency.py)
RECORDED = T(zh="台账卫生室记录与地图不符", en="Clinic in the ledger vs. the map")

# clinic points, green when they qualify as the village's clinic, grey otherwise
CLINICS = Drawn("clinics", ("name", "kind", "qualifies"), name=T(zh="卫生室和卫生院", en="Clinics"), by="qualifies",
                flags=("qualifies",), marks=(
    Mark("clinic_qualifies", {"color": "#00441b", "weight": 1, "fill": True, "fillColor": "#1b7837",
                              "fillOpacity": 0.9, "radius": 6}, "point",
         T(zh="合格的村卫生室", en="Qualifying village clinic"), True),
    Mark("clinic_other", {"color": "#404040", "weight": 1, "fill": True, "fillColor": "#bdbdbd",
                          "fillOpacity": 0.9, "radius": 6}, "point",
         T(zh="其他卫生室和卫生院（不合格）", en="Other clinic or health centre (not qualifying)"), False)))
# the popup shows how many qualifying clinics the village has; the limit is fixed
DRAWING = Drawing((CLINICS,), T(zh="≥ 1 个合格卫生室", en="≥ 1 qualifying clinic"),
                  shown=("clinic_count", 1, T(zh="村内合格卫生室 {value} 个",
                                              en="{value} qualifying clinic(s) in the village")),
                  facility=("clinic_nearest_name", "clinic_nearest_m"))

def read_table(reader, table: dict, source) -> Clinics:
    """[clinics]' own keys (``reader``: layers.profile's, its errors naming the key)."""
    return Clinics(source, reader.strings(table, "clinics", "village_clinic_values", VILLAGE_CLINIC_DEFAULT),
                   reader.strings(table, "clinics", "health_centre_values", HEALTH_CENTRE_DEFAULT))


# the clinics and health centres, which time to care reads too
CLINICS_LAYER = Layer("clinics", "clinics", frozenset(POINTS), optional=("name", "type", "standardized", "doctors"),
                      assemble=_clinics, keys=frozenset({"village_clinic_values", "health_centre_values"}),
                      settings=read_table)

STANDARD = Standard("clinic", "health", "Village clinic", "clinic_nearest_m", T(zh="村卫生室", en="Village clinic"),
                    settings=("standards.clinics.",), requirement=requirement,
                    checks={"clinic_recorded": RECORDED},
                    decide=_decide, zoned=_nearest, settle=_decide, apart=True, layers=("clinics",),
                    reach=_reach, ledger=recorded, ledger_column="has_clinic",
                    drawing=DRAWING, inputs=(CLINICS_LAYER,), section="clinics", rules=ClinicRules)
