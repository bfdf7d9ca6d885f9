"""光纤宽带 (telecom): a fibre access point within reach of the village."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gis import geometry
from layers.grades import FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, number_text
from layers.canonical import _fibre
from layers.sources import POINTS as POINT_KINDS
from layers.standards import AT_MOST_M, TELECOM, Drawing, Drawn, Layer, Mark, Standard, number
from layers.text import DEFAULT_LANG, T

if TYPE_CHECKING:
    from layers.inputs import Inputs
    from layers.standards import NetworkRules

BUREAU = TELECOM


@dataclass(frozen=True)
class FibreRules:
    """Its key of [standards.network] (which 4G shares: layers.standards.NetworkRules)."""

    fibre_max_distance_m: float = 1000.0


def requirement(rules, lang: str) -> str:
    return AT_MOST_M.format(lang, value=number(rules.network.fibre_max_distance_m))


def fibre_distance(origins: np.ndarray, fibre: pd.DataFrame, index: pd.Index) -> pd.Series:
    """``fibre_nearest_m``: metres from each origin to the nearest fibre access point."""
    _, distance = geometry.nearest(origins, fibre.geometry.to_numpy())
    return pd.Series(distance, index=index, name="fibre_nearest_m")


def assess_fibre(inputs: Inputs, rules: NetworkRules, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """fibre_nearest_m, fibre_verdict, fibre_reason (in ``lang``) for every village."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, lang, T(zh="配置中没有光纤接入点图层", en="no fibre layer in the profile"))
    if inputs.layer("fibre") is None:
        return grades.frame("fibre", index, fibre_nearest_m=np.full(n, np.nan))
    distance = fibre_distance(inputs.origins, inputs.layer("fibre"), index).to_numpy()
    limit = number_text(rules.fibre_max_distance_m)
    has_seat = geometry.usable(inputs.seats.to_numpy())
    grades.rule(~geometry.usable(inputs.origins), NO_DATA, NO_ORIGIN)
    grades.rule(np.isnan(distance), FAILS, T(zh="光纤图层中没有接入点", en="no fibre access point in the fibre layer"))
    grades.rule(distance <= rules.fibre_max_distance_m, MEETS,
                T(zh="光纤接入点相距 {d:,.0f} 米（限值 {m} 米）", en="fibre access point {d:,.0f} m away (limit {m} m)"),
                d=distance, m=limit)
    grades.rule(has_seat, FAILS, T(zh="最近的光纤接入点距村委会 {d:,.0f} 米，超过限值 {m} 米",
                                   en="nearest fibre access point {d:,.0f} m from the village seat; limit {m} m"),
                d=distance, m=limit)
    grades.rule(np.ones(n, dtype=bool), FAILS,
                T(zh="最近的光纤接入点距村界 {d:,.0f} 米，超过限值 {m} 米",
                  en="nearest fibre access point {d:,.0f} m from the village boundary; limit {m} m"),
                d=distance, m=limit)
    return grades.frame("fibre", index, fibre_nearest_m=distance)


def _decide(inputs: Inputs, rules, lang: str) -> pd.DataFrame:
    return assess_fibre(inputs, rules.network, lang)


def _reach(inputs: Inputs, rules) -> dict:
    if inputs.layer("fibre") is None:
        return {}
    return {"fibre": (rules.network.fibre_max_distance_m,
                      geometry.nearest(inputs.origins, inputs.layer("fibre").geometry.to_numpy())[1])}


# the access points
POINTS = Drawn("fibre", ("name",), name=T(zh="光纤接入点", en="Fibre access points"), marks=(
    Mark("fibre", {"color": "#7f2704", "weight": 1, "fill": True, "fillColor": "#e66101", "fillOpacity": 0.9,
                   "radius": 4}, "point", T(zh="光纤接入点", en="Fibre access point")),))
DRAWING = Drawing((POINTS,), "limit.at_most_m", "fibre_max_distance_m",
                  lambda rules: rules.network.fibre_max_distance_m)

STANDARD = Standard("fibre", "telecom", "Fibre broadband", "fibre_nearest_m", T(zh="光纤宽带", en="Fibre broadband"),
                    settings=("standards.network.fibre",), requirement=requirement,
                    decide=_decide, zoned=_decide, apart=True, layers=("fibre",),
                    reach=_reach,
                    drawing=DRAWING, section="network", rules=FibreRules,
                    inputs=(Layer("fibre", "network.fibre", frozenset(POINT_KINDS), optional=("name",),
                                  assemble=_fibre),))
