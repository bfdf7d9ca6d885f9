"""Ledgers against geometry (账实相符): where a ledger column says one thing and the
map another, one row per village and disagreement, with the bureau that owns it.

- ``water_served_list``: a water project's served-village list names a village its
  service area does not reach (neither the polygon nor, without one, the seat).
- ``clinic_recorded``: the villages layer's ``has_clinic`` says yes but no clinic point
  lies inside the village, or says no while one does.
- ``road_recorded_hardened``: the villages layer's ``road_hardened`` says yes but no
  hardened road lies within ``standards.roads.max_distance_m`` of the village.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gis import geometry, values
from layers import clinics
from layers.inputs import Inputs
from layers.settings import Profile
from layers.verdicts import T, number_text

COLUMNS = ["village_code", "village_name", "township_code", "township_name", "bureau", "check", "ledger",
           "map", "source"]


def mismatches(inputs: Inputs, profile: Profile) -> pd.DataFrame:
    """Every disagreement between a ledger column and the geometry, ordered by bureau,
    check and village code; ``row`` is the village's position in the villages layer."""
    parts = [_water(inputs, profile), _clinics(inputs, profile), _roads(inputs, profile)]
    rows = pd.concat([part for part in parts if len(part)] or [pd.DataFrame(columns=["row", *COLUMNS[4:]])],
                     ignore_index=True)
    v = inputs.villages
    out = pd.DataFrame({"row": rows["row"].to_numpy(dtype=np.int64)})
    out["village_code"] = v["code"].to_numpy(dtype=object)[out["row"]]
    out["village_name"] = v["name"].to_numpy(dtype=object)[out["row"]]
    out["township_code"] = v["township_code"].to_numpy(dtype=object)[out["row"]]
    out["township_name"] = v["township_name"].to_numpy(dtype=object)[out["row"]]
    for column in COLUMNS[4:]:
        out[column] = rows[column].to_numpy(dtype=object)
    return out.sort_values(["bureau", "check", "village_code"], ignore_index=True)[["row", *COLUMNS]]


def _targets(inputs: Inputs) -> np.ndarray:
    """The village polygon, or its seat where it has no polygon (None: neither)."""
    polygons = inputs.villages.geometry.to_numpy()
    return np.where(geometry.usable(polygons), polygons, inputs.seats.to_numpy())


def _water(inputs: Inputs, profile: Profile) -> pd.DataFrame:
    water = inputs.water
    if water is None or "served_codes" not in profile.water.source.columns:
        return pd.DataFrame()
    listed = water["served_codes"].map(sorted).explode().dropna()
    at = values.positions(inputs.villages["code"], listed.to_numpy())
    project, village = listed.index.to_numpy()[at >= 0], at[at >= 0]
    targets = _targets(inputs)[village]
    areas = water.geometry.to_numpy()[project]
    known = geometry.usable(targets) & geometry.usable(areas)
    missed = known & ~shapely.intersects(np.where(known, areas, None), np.where(known, targets, None))
    names = water["name"].astype(object).where(water["name"].notna(), None).to_numpy()[project[missed]]
    lang = profile.lang
    named = T(zh="供水工程{name}把本村列为受益村", en="project {name} lists the village as served")
    unnamed = T(zh="第 {row} 行的供水工程把本村列为受益村", en="project on row {row} lists the village as served")
    return pd.DataFrame({
        "row": village[missed], "bureau": "water", "check": "water_served_list",
        "ledger": [named.format(lang, name=name) if name else unnamed.format(lang, row=p + 1)
                   for name, p in zip(names, project[missed])],
        "map": T(zh="其供水范围没有到达本村", en="its service area does not reach the village")(lang),
        "source": str(profile.water.source.path)})


def _clinics(inputs: Inputs, profile: Profile) -> pd.DataFrame:
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


def layers_checked(inputs: Inputs) -> set[str]:
    """The input layers the villages' own records are checked against beyond the standards'
    steps (``_roads``), which a run without maps must therefore keep until then."""
    return {"roads"} if "road_hardened" in inputs.villages else set()


def _roads(inputs: Inputs, profile: Profile) -> pd.DataFrame:
    v = inputs.villages
    if "road_hardened" not in v or inputs.roads is None:
        return pd.DataFrame()
    limit = profile.standards.roads.max_distance_m
    hardened = inputs.roads.geometry.to_numpy()[inputs.roads["hardened"].fillna(False).to_numpy(dtype=bool)]
    _, distance = geometry.nearest(_targets(inputs), hardened)
    says_yes = v["road_hardened"].fillna(False).to_numpy(dtype=bool) & geometry.usable(_targets(inputs))
    missing = np.flatnonzero(says_yes & ~(distance <= limit))
    column, lang = profile.villages.source.columns["road_hardened"], profile.lang
    within = T(zh="{limit} 米内没有硬化路", en="no hardened road within {limit} m")
    nearest = T(zh="{limit} 米内没有硬化路（最近的 {d:,.0f} 米）", en="no hardened road within {limit} m (nearest {d:,.0f} m)")
    return pd.DataFrame({
        "row": missing, "bureau": "transport", "check": "road_recorded_hardened",
        "ledger": T(zh="{column} 记为已通硬化路", en="{column} says a hardened road reaches the village").format(
            lang, column=column),
        "map": [within.format(lang, limit=number_text(limit)) if np.isnan(d)
                else nearest.format(lang, limit=number_text(limit), d=d) for d in distance[missing]],
        "source": str(profile.villages.source.path)})
