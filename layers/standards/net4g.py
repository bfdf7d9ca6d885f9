"""4G覆盖 (telecom): the seat covered and enough of the village's area."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gis import geometry, shares
from layers.grades import BASIC, FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, percent_text
from layers.canonical import _coverage
from layers.sources import POLYGONS
from layers.standards import AT_LEAST_PCT, SHARE, TELECOM, Drawing, Drawn, Layer, Mark, Standard, number
from layers.text import DEFAULT_LANG, T

if TYPE_CHECKING:
    from layers.inputs import Inputs
    from layers.standards import NetworkRules

BUREAU = TELECOM


@dataclass(frozen=True)
class CoverageRules:
    """Its key of [standards.network] (which fibre shares: layers.standards.NetworkRules)."""

    min_share: float = 0.9


def requirement(rules, lang: str) -> str:
    return AT_LEAST_PCT.format(lang, value=number(rules.network.min_share * 100))


def coverage_share(inputs: Inputs, mask: np.ndarray) -> pd.Series:
    """``net4g_share``: share of each village's area inside the chosen coverage polygons."""
    cover = inputs.layer("coverage").geometry.to_numpy()[mask]
    share = shares.covered_share(inputs.villages.geometry.to_numpy(), cover)
    return pd.Series(share, index=inputs.villages.index, name="net4g_share")


def seat_covered(inputs: Inputs, mask: np.ndarray) -> pd.Series:
    """``net4g_seat``: True/False where the village has a seat, NA where it has none."""
    seats = inputs.seats.to_numpy()
    # coverage polygons as the query side: GEOS prepares them once, so each seat is a
    # quick point-in-polygon test (7x faster than testing seats against raw polygons)
    _, village = geometry.pairs_intersecting(inputs.layer("coverage").geometry.to_numpy()[mask], seats)
    covered = pd.Series(np.bincount(village, minlength=len(seats)) > 0, index=inputs.villages.index,
                        dtype="boolean", name="net4g_seat")
    return covered.mask(~geometry.usable(seats))


def assess_4g(inputs: Inputs, rules: NetworkRules, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """net4g_seat, net4g_share, net4g_verdict, net4g_reason (in ``lang``) for every village."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, lang, T(zh="配置中没有4G覆盖图层", en="no coverage layer in the profile"))
    if inputs.layer("coverage") is None:
        return grades.frame("net4g", index, net4g_seat=pd.array([pd.NA] * n, dtype="boolean"),
                            net4g_share=np.full(n, np.nan))
    counts = inputs.layer("coverage")["counts"]
    share = coverage_share(inputs, counts.fillna(False).to_numpy(dtype=bool)).to_numpy()
    seat = seat_covered(inputs, counts.fillna(False).to_numpy(dtype=bool))
    unknown_share = shares.covered_share(inputs.villages.geometry.to_numpy(),
                                           inputs.layer("coverage").geometry.to_numpy()[counts.isna().to_numpy()])
    unknown_seat = seat_covered(inputs, counts.isna().to_numpy()).fillna(False).to_numpy(dtype=bool)
    unknown = (np.nan_to_num(unknown_share) > 0) | unknown_seat
    has_seat = seat.notna().to_numpy()
    covered = seat.fillna(False).to_numpy(dtype=bool)
    enough = share >= rules.min_share
    limit = percent_text(rules.min_share)

    grades.rule(~geometry.usable(inputs.origins), NO_DATA, NO_ORIGIN)
    grades.rule(covered & enough, MEETS, T(zh="村委会在4G覆盖范围内；村域 {s:.1%} 有覆盖（限值 {m}）",
                                           en="seat inside 4G coverage; {s:.1%} of the area covered (limit {m})"),
                s=share, m=limit)
    grades.rule(~has_seat & enough, MEETS, T(zh="村域 {s:.1%} 在4G覆盖范围内（限值 {m}）",
                                             en="{s:.1%} of the area inside 4G coverage (limit {m})"), s=share, m=limit)
    grades.rule(unknown, NO_DATA, T(zh="有未记录制式的覆盖范围与本村重叠；请在覆盖图层中补录其制式",
                                    en="coverage polygons without a technology value overlap the village; "
                                       "record their technology"))
    grades.rule(covered & np.isnan(share), NO_DATA, T(zh="村委会在4G覆盖范围内，但本村没有边界，无法计算覆盖比例",
                                                      en="seat inside 4G coverage, but the village has no boundary "
                                                         "to measure the covered share"))
    grades.rule(covered, BASIC, T(zh="村委会在4G覆盖范围内，但村域只有 {s:.1%} 有覆盖，低于 {m}",
                                  en="seat inside 4G coverage, but only {s:.1%} of the area covered (limit {m})"),
                s=share, m=limit)
    grades.rule(has_seat & (share > 0), FAILS, T(zh="村委会不在4G覆盖范围内（村域 {s:.1%} 有覆盖）",
                                                 en="village seat outside 4G coverage ({s:.1%} of the area covered)"),
                s=share)
    grades.rule(has_seat, FAILS, T(zh="村委会不在4G覆盖范围内", en="village seat outside 4G coverage"))
    grades.rule(share > 0, BASIC, T(zh="村域只有 {s:.1%} 在4G覆盖范围内，低于 {m}",
                                    en="only {s:.1%} of the area inside 4G coverage (limit {m})"), s=share, m=limit)
    grades.rule(np.ones(n, dtype=bool), FAILS, T(zh="本村没有4G覆盖", en="no 4G coverage over the village"))
    return grades.frame("net4g", index, net4g_seat=seat.to_numpy(), net4g_share=share)


def _decide(inputs: Inputs, rules, lang: str) -> pd.DataFrame:
    return assess_4g(inputs, rules.network, lang)


# the coverage areas as outlines
COVERAGE = Drawn("coverage", ("technology",), name=T(zh="4G/5G覆盖范围", en="4G/5G coverage"), marks=(
    Mark("coverage", {"color": "#7b3294", "weight": 2, "opacity": 0.8, "fill": False, "dashArray": "2 3"}, "area",
         T(zh="4G/5G覆盖范围（边界）", en="4G/5G coverage area (outline)")),))
DRAWING = Drawing((COVERAGE,), "limit.at_least_pct", "net4g_min_share", lambda rules: rules.network.min_share)

STANDARD = Standard("net4g", "telecom", "4G coverage", "net4g_share", T(zh="4G覆盖", en="4G coverage"),
                    unit=SHARE, settings=("standards.network.min_share",), requirement=requirement,
                    decide=_decide, layers=("coverage",), yes_no=("net4g_seat",),
                    drawing=DRAWING, section="network", rules=CoverageRules,
                    inputs=(Layer("coverage", "network.coverage", frozenset(POLYGONS), optional=("technology",),
                                  assemble=_coverage),))
