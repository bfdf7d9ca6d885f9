"""The clinics layer as the standards ask it (the village clinic's rule is
layers/standards/clinic.py): which village each clinic lies in, which clinics qualify, and
the way by road from each seat to the nearest and to the township's health centre."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gis import geometry, routes, traveltime
from layers import roadnet
from layers.settings import ClinicRules

if TYPE_CHECKING:
    from layers.inputs import Inputs


def home_village(inputs: Inputs) -> np.ndarray:
    """Row of the village each clinic lies in, -1 outside all. A clinic on a boundary
    shared by several villages counts once, for the village with the lowest code."""
    point, village = geometry.pairs_intersecting(inputs.clinics.geometry.to_numpy(),
                                                 inputs.villages.geometry.to_numpy())
    codes = inputs.villages["code"].to_numpy(dtype=object)[village]
    order = np.lexsort((codes, point))
    point, village = point[order], village[order]
    first = np.r_[True, point[1:] != point[:-1]] if len(point) else np.zeros(0, dtype=bool)
    home = np.full(len(inputs.clinics), -1, dtype=np.int64)
    home[point[first]] = village[first]
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

    def frame(self, index: pd.Index, names: tuple[str, str, str, str]) -> pd.DataFrame:
        """The four measures as columns ``names`` (nearest metres, nearest minutes, centre
        metres, centre minutes): the standard that reports them names them."""
        return pd.DataFrame(dict(zip(names, (self.nearest_m, self.nearest_min, self.centre_m, self.centre_min))),
                            index=index)


def travel(inputs: Inputs, speed_mps: np.ndarray, walk_mps: float) -> Travel:
    """``Travel`` of every village, along every road of ``inputs.roads`` at ``speed_mps`` (a
    row a road), the legs at ``walk_mps``; decided on the whole layer (``layers.roadnet``).
    A township's health centre is a ``health_centre`` clinic inside one of its villages (the
    one in the village of the lowest code where there are several)."""
    n = len(inputs.villages)
    empty = np.full(n, np.nan)
    names = np.full(n, None, dtype=object)
    net = roadnet.every_road(inputs)
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
    _, near_m = net.nearest_along(graph, points[good], seats)
    near_s = traveltime.nearest_time(timed, seats, clinics_at)["seconds"].to_numpy()
    own = routes.to_own_target(graph, seats, centres_at, first)
    centre_m = (own["network_m"] + own["walk_m"] + own["target_walk_m"]).to_numpy()
    centre_s = traveltime.own_time(timed, seats, centres_at, first).to_numpy()
    at = np.where(has, points[centre][np.maximum(first, 0)] if len(centre) else None, None)
    return Travel(near_m, net.true_m(near_s, net.seats) / 60.0,
                  net.true_m(centre_m, net.seats, at), net.true_m(centre_s, net.seats, at) / 60.0, names)
