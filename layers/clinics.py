"""Village clinics (health bureau): one standardized clinic with a qualified doctor in
every administrative village, with the profile's sharing and exemption rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gis import geometry, routes, traveltime
from layers import roadnet
from layers.inputs import Inputs
from layers.settings import ClinicRules, RoadRules
from layers.verdicts import (DEFAULT_LANG, FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, T, joined, number_text,
                             text_column)


def home_village(inputs: Inputs) -> np.ndarray:
    """Row of the village each clinic lies in, -1 outside all. A clinic on a boundary
    shared by several villages counts once, for the village with the lowest code."""
    clinic, village = geometry.pairs_intersecting(inputs.clinics.geometry.to_numpy(),
                                                  inputs.villages.geometry.to_numpy())
    codes = inputs.villages["code"].to_numpy(dtype=object)[village]
    order = np.lexsort((codes, clinic))
    clinic, village = clinic[order], village[order]
    first = np.r_[True, clinic[1:] != clinic[:-1]] if len(clinic) else np.zeros(0, dtype=bool)
    home = np.full(len(inputs.clinics), -1, dtype=np.int64)
    home[clinic[first]] = village[first]
    return home


def qualifying(clinics: pd.DataFrame, rules: ClinicRules) -> pd.Series:
    """True for a standardized village clinic with enough qualified doctors, NA where a
    village clinic's standardization or doctors are not recorded."""
    is_clinic = pd.Series(clinics["kind"].to_numpy() == "village_clinic", index=clinics.index, dtype="boolean")
    ok = is_clinic.copy()
    if "standardized" in clinics:
        ok &= clinics["standardized"].astype("boolean")
    if "doctors" in clinics:
        doctors = clinics["doctors"]
        ok &= pd.Series(doctors >= rules.min_doctors, dtype="boolean").mask(doctors.isna())
    return ok


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


def mark_qualifying(inputs: Inputs, rules: ClinicRules) -> None:
    """The clinics' ``qualifies`` column (``qualifying``, unknown as no) on the whole layer,
    for the questions asked of it outside this module (``travel``)."""
    if inputs.clinics is not None:
        inputs.clinics = inputs.clinics.assign(
            qualifies=qualifying(inputs.clinics, rules).fillna(False).to_numpy(dtype=bool))


@dataclass(frozen=True)
class Travel:
    """By road from each village's seat (else a point inside its polygon): to the nearest
    qualifying clinic and to its own township's health centre, the shortest way in metres
    and the quickest in minutes (each may take another road, or another clinic), the
    straight legs included (walked, in the minutes). NaN where none can be reached;
    ``centre_name`` (None where its township has no health centre in the layer)."""
    nearest_m: np.ndarray
    nearest_min: np.ndarray
    centre_m: np.ndarray
    centre_min: np.ndarray
    centre_name: np.ndarray

    def frame(self, index: pd.Index) -> pd.DataFrame:
        return pd.DataFrame({"clinic_network_m": self.nearest_m, "clinic_travel_min": self.nearest_min,
                             "health_centre_network_m": self.centre_m, "health_centre_travel_min": self.centre_min},
                            index=index)


def travel(inputs: Inputs, speed_mps: np.ndarray, walk_mps: float) -> Travel:
    """``Travel`` of every village, along every road of ``inputs.roads`` at ``speed_mps`` (a
    row a road), the legs at ``walk_mps``; decided on the whole layer (``layers.roadnet``).
    A township's health centre is a ``health_centre`` clinic inside one of its villages (the
    one in the village of the lowest code where there are several)."""
    n = len(inputs.villages)
    empty = np.full(n, np.nan)
    names = np.full(n, None, dtype=object)
    net = roadnet.Network(inputs, RoadRules(), true_distances=inputs.meridians is not None)
    graph = net.all_roads
    if inputs.clinics is None:
        return Travel(empty, empty.copy(), empty.copy(), empty.copy(), names)
    frame = inputs.clinics
    good = (frame["qualifies"].to_numpy(dtype=bool) if "qualifies" in frame
            else qualifying(frame, ClinicRules()).fillna(False).to_numpy(dtype=bool))
    centre = np.flatnonzero(frame["kind"].to_numpy() == "health_centre")
    home = home_village(inputs)[centre]
    towns = inputs.villages["township_code"].astype(object).to_numpy()
    inside = home >= 0
    order = np.lexsort((inputs.villages["code"].astype(object).to_numpy()[home[inside]],))
    centre, home = centre[inside][order], home[inside][order]
    keys = pd.Series(np.arange(len(home)), index=pd.Index(towns[home], dtype=object))
    keys = keys[keys.index.notna() & ~keys.index.duplicated()]      # each township's first
    first = keys.reindex(pd.Index(towns, dtype=object)).fillna(-1).to_numpy(dtype=np.int64)
    has = first >= 0
    names[has] = frame["name"].astype(object).to_numpy()[centre[first[has]]]
    if graph is None:
        return Travel(empty, empty.copy(), empty.copy(), empty.copy(), names)
    timed = traveltime.timed(graph, speed_mps, walk_mps)
    seats = graph.attach(net.seats)
    points = frame.geometry.to_numpy()
    clinics_at, centres_at = graph.attach(points[good]), graph.attach(points[centre])
    near = graph.nearest_target(seats, clinics_at)
    found = near["target"].to_numpy() >= 0
    near_m = np.where(found, (near["network_m"] + near["walk_m"] + near["target_walk_m"]).to_numpy(), np.nan)
    near_s = traveltime.nearest_time(timed, seats, clinics_at)["seconds"].to_numpy()
    ends = np.where(found, points[good][np.maximum(near["target"].to_numpy(), 0)] if good.any() else None, None)
    own = routes.to_own_target(graph, seats, centres_at, first)
    centre_m = (own["network_m"] + own["walk_m"] + own["target_walk_m"]).to_numpy()
    centre_s = traveltime.own_time(timed, seats, centres_at, first).to_numpy()
    at = np.where(has, points[centre][np.maximum(first, 0)] if len(centre) else None, None)
    return Travel(net.true_m(near_m, net.seats, ends), net.true_m(near_s, net.seats) / 60.0,
                  net.true_m(centre_m, net.seats, at), net.true_m(centre_s, net.seats, at) / 60.0, names)
