"""Roads (transport bureau): a hardened road reaches the village seat within a distance
limit, or enters the village polygon where there is no seat."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis import geometry
from layers.inputs import Inputs
from layers.settings import RoadRules
from layers.verdicts import BASIC, FAILS, MEETS, NO_DATA, Grades, sentences

# A road "enters" a village when more than this length of it lies inside; a road that
# only touches the boundary (or crosses a corner by a rounding error) does not.
ENTER_MIN_LENGTH_M = 1.0


def hardened_distance(origins: np.ndarray, roads: pd.DataFrame, index: pd.Index,
                      hardened: geometry.Indexed | None = None) -> pd.Series:
    """``road_hardened_m``: metres from each origin to the nearest hardened road (NaN: none).
    ``hardened``: those roads' geometries, indexed, where the caller has them."""
    if hardened is None:
        hardened = _roads_indexed(roads, roads["hardened"].fillna(False).to_numpy(dtype=bool))
    _, distance = geometry.nearest(origins, hardened)
    return pd.Series(distance, index=index, name="road_hardened_m")


def _roads_indexed(roads: pd.DataFrame, mask: np.ndarray) -> geometry.Indexed:
    return geometry.Indexed(roads.geometry.to_numpy()[mask])


def reaching_pairs(inputs: Inputs, roads_mask: np.ndarray, limit_m: float,
                   chosen: geometry.Indexed | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(village, road) pairs where the road reaches the village: within ``limit_m`` of
    its seat, or entering its polygon (more than ``ENTER_MIN_LENGTH_M`` of it inside).
    ``chosen``: the geometries of the roads in ``roads_mask``, indexed, where the caller
    has them (one tree for every query)."""
    rows = np.flatnonzero(roads_mask)
    chosen = _roads_indexed(inputs.roads, roads_mask) if chosen is None else chosen
    seats = inputs.seats.to_numpy()
    has_seat = geometry.usable(seats)
    sv, sr = geometry.pairs_within_distance(np.where(has_seat, seats, None), chosen, limit_m)
    polygons = np.where(has_seat, None, inputs.villages.geometry.to_numpy())
    pv, pr = geometry.pairs_intersecting(polygons, chosen)
    inside = geometry.length_inside(chosen.geoms[pr], polygons[pv])
    enters = inside > ENTER_MIN_LENGTH_M
    return np.r_[sv, pv[enters]], rows[np.r_[sr, pr[enters]]]


def assess(inputs: Inputs, rules: RoadRules) -> pd.DataFrame:
    """road_hardened_m, road_verdict, road_reason for every village."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, "no roads layer in the profile")
    if inputs.roads is None:
        return grades.frame("road", index, road_hardened_m=np.full(n, np.nan))
    roads = inputs.roads
    origins = inputs.origins
    hardened = roads["hardened"].fillna(False).to_numpy(dtype=bool)
    indexed = _roads_indexed(roads, hardened)
    distance = hardened_distance(origins, roads, index, indexed).to_numpy()
    has_seat = geometry.usable(inputs.seats.to_numpy())
    unknown = roads["hardened"].isna().to_numpy()
    limit = rules.max_distance_m

    village, road = reaching_pairs(inputs, hardened, limit, indexed)
    reached = np.bincount(village, minlength=n) > 0
    # Widest reaching road; NaN when any reaching road has no width recorded, so an
    # unknown width is never held against the village.
    widths = pd.Series(roads["width"].to_numpy(dtype=float)[road]).groupby(village)
    widest = widths.max().where(widths.count() == widths.size()).reindex(range(n)).to_numpy()
    village_u, _ = reaching_pairs(inputs, unknown, limit)
    unknown_near = np.bincount(village_u, minlength=n) > 0
    where = np.where(has_seat, "from the village seat", "from the village boundary")

    grades.rule(~geometry.usable(origins), NO_DATA, "village has neither a boundary nor a seat")
    narrow = reached & (rules.min_width_m > 0) & (widest < rules.min_width_m)
    grades.rule(narrow, BASIC, sentences("hardened road reaches the village but is {w:.1f} m wide; profile asks "
                                         "{m:.1f} m", w=widest, m=np.full(n, rules.min_width_m)))
    grades.rule(reached & has_seat, MEETS, sentences("hardened road {d:,.0f} m from the village seat; limit {m:,.0f} m",
                                                     d=distance, m=np.full(n, limit)))
    grades.rule(reached, MEETS, "a hardened road enters the village")
    grades.rule(unknown_near, NO_DATA, sentences("no hardened road reaches the village, but a road with no surface "
                                                 "recorded does ({w}); record its surface", w=where))
    grades.rule(np.isnan(distance), FAILS, "no hardened road in the roads layer")
    grades.rule(has_seat, FAILS, sentences("nearest hardened road {d:,.0f} m from the village seat; limit {m:,.0f} m",
                                           d=distance, m=np.full(n, limit)))
    grades.rule(distance < ENTER_MIN_LENGTH_M, FAILS, "a hardened road touches the village boundary but does not enter it")
    grades.rule(np.ones(n, dtype=bool), FAILS,
                sentences("no hardened road enters the village; nearest {d:,.0f} m from its boundary", d=distance))
    return grades.frame("road", index, road_hardened_m=distance)
