"""通客车 (transport bureau): a bus stop served by a regular line within reach of the seat.

The campaign asks it of every poor village (贫困村通客车): a profile applies it so with
``[apply.bus] applies_to = "poor_village"``, the other villages then ``not_applicable``.
A village meets when a stop of ``[bus_stops]`` served by a regular line (客运班线) lies
within ``max_distance_m`` of its seat (of its boundary where it has no seat; of a point
inside it with ``measure = "network"``). The default, 2 km, is the Hubei and Guangxi
local rules' (a stop within 2 km of the village committee or main settlement, about 20
minutes' walk: /work/shared/STANDARDS.md's thresholds).

A stop is served unless the layer says otherwise: ``regular`` (has a regular line,
yes/no) no, or ``lines`` (the lines or routes stopping there) 0; a stop with neither
recorded counts as served. ``measure = "straight"`` (the default) takes the ground
distance; ``"network"`` the way along every road of the roads layer, the straight legs
from the seat and to the stop included, on the graph the times to care use
(``layers.roadnet.every_road``). ``no_data`` without a seat or boundary, without a
``[bus_stops]`` layer, or (network) without a roads layer; ``fails`` otherwise, the reason
naming the nearest served stop and its distance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gis import geometry
from layers.canonical import _flags, _numbers
from layers.grades import FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, number_text
from layers.standards import (AT_MOST_M, FROM_SEAT, NAME, POINTS, TRANSPORT, Input, Plugin, Standard, Symbol,
                              measured_from, names_at, nearest_among, number, target_names)
from layers.text import T

BUREAU = TRANSPORT   # with the hardened road (road.py)

STRAIGHT, NETWORK = "straight", "network"


@dataclass(frozen=True)
class BusRules:
    """[standards.bus]: the limit and how it is measured."""

    max_distance_m: float = 2000.0
    measure: str = field(default=STRAIGHT, metadata={"choices": (STRAIGHT, NETWORK)})


def check(rules: BusRules) -> str | None:
    if rules.max_distance_m <= 0:
        return "standards.bus.max_distance_m = 0: give the farthest a served stop may be, in metres, e.g. 2000"
    return None


def prepare(frame: pd.DataFrame, source, findings, rules: BusRules) -> pd.DataFrame:
    """``lines`` (NaN unrecorded), ``regular`` (boolean, NA unrecorded) and ``served``: no
    stop is unserved unless the layer says so (regular no, or no line)."""
    frame["lines"] = _numbers(frame, "lines", source, findings) if "lines" in frame else np.nan
    frame["regular"] = (_flags(frame, "regular", source, findings) if "regular" in frame
                        else pd.array([pd.NA] * len(frame), dtype="boolean"))
    if "name" not in frame:
        frame["name"] = pd.NA
    said_no = (frame["regular"] == False).fillna(False).to_numpy(dtype=bool)   # noqa: E712 (nullable booleans)
    frame["served"] = ~(said_no | (frame["lines"] == 0).to_numpy())
    return frame


NO_LAYER = T(zh="配置中没有客车站点图层", en="no bus-stop layer in the profile")
NO_ROADS = T(zh="按道路测距（measure = \"network\"），但配置中没有道路图层",
             en="measured along the roads (measure = \"network\"), but the profile has no roads layer")
NO_STOP = T(zh="客车站点图层中没有有班线停靠的站点", en="no stop served by a regular line in the bus-stop layer")
NO_WAY = T(zh="没有道路通到有班线停靠的站点", en="no road leads to a stop served by a regular line")
# {origin}: the village seat, else its boundary (measured_from); {how}: "" or "沿道路"
NEAR = T(zh="客车站点（{name}）距{origin}{how} {d:,.0f} 米（限值 {m} 米）",
         en="bus stop ({name}) {d:,.0f} m{how} from {origin} (limit {m} m)")
FAR = T(zh="最近的有班线停靠的站点（{name}）距{origin}{how} {d:,.0f} 米，超过限值 {m} 米",
        en="nearest stop served by a regular line ({name}) {d:,.0f} m{how} from {origin}; limit {m} m")
ALONG = T(zh="沿道路", en=" by road")
FROM_INSIDE = T(zh="村域内一点", en="a point inside the village")   # by road, without a seat


def nearest_stops(inputs, stops: pd.DataFrame, rules: BusRules) -> tuple[np.ndarray, np.ndarray] | None:
    """Each village's nearest served stop (its row in ``stops``, -1 none) and the metres to
    it, as ``rules.measure`` says; None where the roads it needs are missing."""
    served = stops["served"].to_numpy(dtype=bool)
    geoms = stops.geometry.to_numpy()
    if rules.measure == STRAIGHT:
        return nearest_among(inputs.origins, geoms, served, inputs.crs)
    from layers import roadnet   # it reads the inputs, whose module reads this registry

    if inputs.roads is None or not len(inputs.roads):
        return None
    net = roadnet.every_road(inputs)
    rows, metres = net.nearest_along(net.all_roads, geoms[served])
    return np.append(np.flatnonzero(served), -1)[rows], metres


def assess(inputs, rules: BusRules, lang: str) -> pd.DataFrame:
    """bus_stop_m, bus_stop_name, bus_verdict, bus_reason (in ``lang``) for every village."""
    index = inputs.villages.index
    n = len(index)
    stops = inputs.extra.get("bus_stops")
    network = rules.measure == NETWORK
    grades = Grades(n, lang, NO_ROADS if stops is not None and network else NO_LAYER)
    found = nearest_stops(inputs, stops, rules) if stops is not None else None
    if found is None:
        return grades.frame("bus", index, bus_stop_m=np.full(n, np.nan), bus_stop_name=np.full(n, None, dtype=object))
    rows, metres = found
    names = target_names(stops)
    name = names_at(names, rows)
    seats = inputs.seats.to_numpy()
    how = ALONG(lang) if network else ""
    # by road, a village without a seat is measured from a point inside it, not from its boundary
    origin = (np.where(geometry.usable(seats), FROM_SEAT(lang), FROM_INSIDE(lang)) if network
              else measured_from(seats, lang))
    limit = number_text(rules.max_distance_m)
    grades.rule(~geometry.usable(inputs.origins), NO_DATA, NO_ORIGIN)
    grades.rule(metres <= rules.max_distance_m, MEETS, NEAR, name=name, origin=origin, how=how, d=metres, m=limit)
    served = stops["served"].to_numpy(dtype=bool)
    grades.rule(np.full(n, not served.any()), FAILS, NO_STOP)
    grades.rule(np.isnan(metres), FAILS, NO_WAY)
    grades.rule(np.ones(n, dtype=bool), FAILS, FAR, name=name, origin=origin, how=how, d=metres, m=limit)
    return grades.frame("bus", index, bus_stop_m=metres,
                        bus_stop_name=np.where(rows >= 0, np.append(names, None)[rows], None))


def requirement(rules: BusRules, lang: str) -> str:
    return AT_MOST_M.format(lang, value=number(rules.max_distance_m)) + (ALONG_REQUIRED(lang) if
                                                                        rules.measure == NETWORK else "")


ALONG_REQUIRED = T(zh="（沿道路）", en=" (by road)")

PLUGIN = Plugin(
    section="bus", rules=BusRules, check=check, assess=assess,
    inputs=(Input("bus_stops", POINTS, optional=("name", "lines", "regular"), prepare=prepare),),
    symbols=(Symbol("bus_stops", "bus_stops", {"color": "#00441b", "weight": 1, "fill": True, "fillColor": "#41ab5d",
                                               "fillOpacity": 0.9, "radius": 4},
                    T(zh="有班线停靠的客车站点", en="bus stops served by a regular line"), where="served",
                    tooltip=(NAME, ("lines", T(zh="班线数", en="Lines")))),),
    popup={"bus_stop_name": T(zh="最近的客车站点", en="nearest bus stop")},
)

STANDARD = Standard("bus", BUREAU.key, "Bus service", "bus_stop_m", T(zh="通客车", en="Bus service"),
                    settings=("standards.bus.",), requirement=requirement, plugin=PLUGIN)
