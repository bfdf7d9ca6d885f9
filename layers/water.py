"""Drinking water (water bureau): a compliant water-supply project serves the village,
graded by the four-indicator rule (quantity, quality, access, reliability)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis import geometry, shares, values
from layers.inputs import Inputs
from layers.settings import WaterRules
from layers.verdicts import BASIC, FAILS, MEETS, NO_DATA, RANK, Grades, Texts, sentences

STATUS_COLUMNS = ("lpcd", "reliability_pct", "quality_ok", "access_min")


def service_share(inputs: Inputs) -> pd.Series:
    """``water_share``: share of each village's area inside the union of service areas."""
    share = shares.covered_share(inputs.villages.geometry.to_numpy(), inputs.water.geometry.to_numpy())
    return pd.Series(share, index=inputs.villages.index, name="water_share")


def project_grades(water: pd.DataFrame, rules: WaterRules) -> np.ndarray:
    """Each project's grade: the worst of its recorded indicators; no_data when none is
    recorded, ``meets`` when the profile maps no status column at all."""
    mapped = [name for name in STATUS_COLUMNS if name in water]
    if not mapped:
        return np.full(len(water), MEETS, dtype=object)
    ranks = []
    for name in mapped:
        column = water[name]
        if name == "quality_ok":
            rank = np.where(column.fillna(False).to_numpy(dtype=bool), RANK[MEETS], RANK[FAILS]).astype(float)
        elif name == "access_min":
            rank = _tiers(-column.to_numpy(dtype=float), -rules.meets_max_access_min, -rules.basic_max_access_min)
        else:
            meets, basic = ((rules.meets_min_lpcd, rules.basic_min_lpcd) if name == "lpcd"
                            else (rules.meets_min_reliability_pct, rules.basic_min_reliability_pct))
            rank = _tiers(column.to_numpy(dtype=float), meets, basic)
        rank[column.isna().to_numpy()] = np.nan
        ranks.append(rank)
    stacked = np.vstack(ranks)
    recorded = ~np.isnan(stacked).all(axis=0)
    worst = np.nanmin(np.where(np.isnan(stacked), np.inf, stacked), axis=0)
    names = {value: key for key, value in RANK.items()}
    return np.array([names[int(w)] if ok else NO_DATA for w, ok in zip(worst, recorded)], dtype=object)


def _tiers(value: np.ndarray, meets: float, basic: float) -> np.ndarray:
    return np.where(value >= meets, RANK[MEETS], np.where(value >= basic, RANK[BASIC], RANK[FAILS])).astype(float)


def serving_pairs(inputs: Inputs, share: np.ndarray, rules: WaterRules) -> tuple[np.ndarray, np.ndarray]:
    """(village, project) pairs: the project lists the village's code, or its service area
    covers the seat, or it overlaps a village whose covered share reaches ``min_share``."""
    villages, water = inputs.villages, inputs.water
    areas = water.geometry.to_numpy()
    listed = water["served_codes"].explode().dropna()
    at = values.positions(villages["code"], listed.to_numpy())
    lv, lp = at[at >= 0], listed.index.to_numpy()[at >= 0]
    seats = inputs.seats.to_numpy()
    sv, sp = geometry.pairs_intersecting(seats, areas)
    shared = np.where(share >= rules.min_share, villages.geometry.to_numpy(), None)
    av, ap = geometry.pairs_overlapping(shared, areas)
    return geometry.distinct_pairs(np.r_[lv, sv, av], np.r_[lp, sp, ap])


def assess(inputs: Inputs, rules: WaterRules) -> pd.DataFrame:
    """water_share, water_project, water_verdict, water_reason for every village."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, "no water layer in the profile")
    if inputs.water is None:
        return grades.frame("water", index, water_share=np.full(n, np.nan), water_project=np.full(n, None))
    share = service_share(inputs).to_numpy()
    village, project = serving_pairs(inputs, share, rules)
    grade = project_grades(inputs.water, rules)[project]
    order = np.lexsort((project, -np.array([RANK.get(g, -1) for g in grade]), village))
    village, project, grade = village[order], project[order], grade[order]
    first = np.r_[True, village[1:] != village[:-1]] if len(village) else np.zeros(0, dtype=bool)
    best = np.full(n, None, dtype=object)
    best[village[first]] = grade[first]
    names = inputs.water["name"].astype("string").fillna("unnamed project").to_numpy(dtype=object)
    chosen = np.full(n, None, dtype=object)
    chosen[village[first]] = names[project[first]]
    label = np.where(chosen == None, "", chosen)  # noqa: E711 (element-wise)

    grades.rule(~geometry.usable(inputs.origins) & (best == None), NO_DATA,  # noqa: E711
                "village has neither a boundary nor a seat")
    for verdict in (MEETS, BASIC, FAILS):
        grades.rule(best == verdict, verdict, sentences(f"served by {{p}}, whose status {_WORDS[verdict]}", p=label))
    grades.rule(best == NO_DATA, NO_DATA, sentences("served by {p}, but its quantity, quality, access and "
                                                    "reliability are not recorded", p=label))
    grades.rule(np.ones(n, dtype=bool), FAILS,
                sentences("no water-supply project serves the village; {s} of its area in service areas, "
                          "limit {m:.0%}", s=Texts(_share_text, share),
                          m=np.full(n, rules.min_share)))
    return grades.frame("water", index, water_share=share, water_project=chosen)


_WORDS = {MEETS: "meets all four indicators", BASIC: "basically meets the four indicators",
          FAILS: "fails at least one of the four indicators"}


def _share_text(share: float) -> str:
    return "unknown share" if np.isnan(share) else f"{share:.0%}"
