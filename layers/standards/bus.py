"""通客车 (transport bureau): a bus stop served by a regular line within reach of the seat.

The campaign asks it of every poor village (贫困村通客车): a profile applies it so with
``[apply.bus] applies_to = "poor_village"``, the other villages then ``not_applicable``.
A village meets when a stop of ``[bus_stops]`` served by a regular line (客运班线) lies
within ``max_distance_m`` of its seat (of its boundary where it has no seat; of a point
inside it with ``measure = "network"``), or a line of ``[bus_routes]`` passes so near: a
county that knows its routes but not its stops gives them as lines, taken as stopping
wherever they pass (rural lines stop on request, 招手即停). The default, 2 km, is the Hubei and Guangxi
local rules' (a stop within 2 km of the village committee or main settlement, about 20
minutes' walk: /work/shared/STANDARDS.md's thresholds).

A stop is served unless the layer says otherwise: ``regular`` (has a regular line,
yes/no) no, or ``lines`` (the lines or routes stopping there) 0; a stop with neither
recorded counts as served; a route runs unless its ``regular`` says no. ``measure = "straight"`` (the default) takes the ground
distance; ``"network"`` the way along every road of the roads layer, the straight legs
from the seat and to the stop included, on the graph the times to care use
(``layers.roadnet.every_road``). ``no_data`` without a seat or boundary, without a
``[bus_stops]`` or ``[bus_routes]`` layer, or (network) without a roads layer; ``fails``
otherwise, the reason naming the nearest served stop or route and its distance. Along the
roads a route is reached at points every ``ROUTE_STEP_M`` along it, so the way to a route
is measured to within half of that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from gis import geometry
from layers.canonical import _flags, _numbers
from layers.grades import FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, number_text
from layers.standards import (ALONG, ALONG_REQUIRED, AT_MOST_M, LINES, NAME, NETWORK, POINTS, STRAIGHT, TRANSPORT,
                              Input, Plugin, Standard, Symbol, names_at, nearest_measured, number, origin_words,
                              target_names)
from layers.text import T

BUREAU = TRANSPORT   # with the hardened road (road.py)

ROUTE_STEP_M = 20.0   # a route's points along the roads: the way to it found to within 10 m


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


def prepare_routes(frame: pd.DataFrame, source, findings, rules: BusRules) -> pd.DataFrame:
    """``regular`` (boolean, NA unrecorded) and ``served``: a route runs unless it says no."""
    frame["regular"] = (_flags(frame, "regular", source, findings) if "regular" in frame
                        else pd.array([pd.NA] * len(frame), dtype="boolean"))
    if "name" not in frame:
        frame["name"] = pd.NA
    frame["served"] = ~(frame["regular"] == False).fillna(False).to_numpy(dtype=bool)   # noqa: E712
    return frame


NO_LAYER = T(zh="配置中没有客车站点或客车线路图层", en="no bus-stop or bus-route layer in the profile")
NO_ROADS = T(zh="按道路测距（measure = \"network\"），但配置中没有道路图层",
             en="measured along the roads (measure = \"network\"), but the profile has no roads layer")
NO_SERVICE = {  # which layers were given: stops, routes
    (True, False): T(zh="客车站点图层中没有有班线停靠的站点", en="no stop served by a regular line in the bus-stop layer"),
    (False, True): T(zh="客车线路图层中没有运营的班线", en="no route in service in the bus-route layer"),
    (True, True): T(zh="客车站点和线路图层中都没有运营的班线", en="no stop or route in service in the bus-stop and bus-route layers"),
}
NO_WAY = T(zh="没有道路通到有班线停靠的站点或客车线路", en="no road leads to a stop served by a regular line or a bus route")
# {what}: a stop or a route; {origin}: the village seat, else its boundary (measured_from);
# {how}: "" or "沿道路"
NEAR = T(zh="{what}（{name}）距{origin}{how} {d:,.0f} 米（限值 {m} 米）",
         en="{what} ({name}) {d:,.0f} m{how} from {origin} (limit {m} m)")
FAR = T(zh="最近的{what}（{name}）距{origin}{how} {d:,.0f} 米，超过限值 {m} 米",
        en="nearest {what} ({name}) {d:,.0f} m{how} from {origin}; limit {m} m")
STOP, ROUTE = T(zh="客车站点", en="bus stop"), T(zh="客车线路", en="bus route")
SERVED_STOP = T(zh="有班线停靠的站点", en="stop served by a regular line")


def targets(stops: pd.DataFrame | None, routes: pd.DataFrame | None) -> pd.DataFrame:
    """The stops and then the routes, as one table: geometry, name, served, route."""
    parts = [pd.DataFrame({"geometry": layer.geometry.to_numpy(), "name": layer["name"].astype(object).to_numpy(),
                           "served": layer["served"].to_numpy(dtype=bool), "route": route})
             for layer, route in ((stops, False), (routes, True)) if layer is not None]
    return pd.concat(parts, ignore_index=True)


def nearest_served(inputs, found: pd.DataFrame, rules: BusRules) -> tuple[np.ndarray, np.ndarray] | None:
    """Each village's nearest served stop or route (its row in ``found``, -1 none) and the
    metres to it, as ``rules.measure`` says; None where the roads it needs are missing."""
    served = found["served"].to_numpy(dtype=bool)
    geoms = found["geometry"].to_numpy()
    if rules.measure == STRAIGHT:
        return nearest_measured(inputs, geoms, served, STRAIGHT)
    points, owner = reached_at(geoms[served])
    nearest = nearest_measured(inputs, points, np.ones(len(points), dtype=bool), NETWORK)
    if nearest is None:
        return None
    rows, metres = nearest
    return np.append(np.flatnonzero(served)[owner], -1)[rows], metres


def reached_at(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the way along the roads may end at each of ``geoms``: a stop at itself, a route
    at its vertices and points at most ``ROUTE_STEP_M`` apart along it; with each point's
    position in ``geoms``."""
    lines = shapely.get_type_id(geoms) != shapely.GeometryType.POINT
    dense = np.where(lines, shapely.segmentize(np.where(lines, geoms, None), ROUTE_STEP_M), geoms)
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    return shapely.points(coords), owner


def assess(inputs, rules: BusRules, lang: str) -> pd.DataFrame:
    """bus_stop_m, bus_stop_name, bus_verdict, bus_reason (in ``lang``) for every village."""
    index = inputs.villages.index
    n = len(index)
    stops, routes = inputs.extra.get("bus_stops"), inputs.extra.get("bus_routes")
    network = rules.measure == NETWORK
    given = stops is not None or routes is not None
    grades = Grades(n, lang, NO_ROADS if given and network else NO_LAYER)
    found = targets(stops, routes) if given else None
    nearest = nearest_served(inputs, found, rules) if given else None
    if nearest is None:
        return grades.frame("bus", index, bus_stop_m=np.full(n, np.nan), bus_stop_name=np.full(n, None, dtype=object))
    rows, metres = nearest
    names = target_names(found)
    name = names_at(names, rows)
    route = np.append(found["route"].to_numpy(dtype=bool), False)[rows]
    near_what = np.where(route, ROUTE(lang), STOP(lang))
    far_what = np.where(route, ROUTE(lang), SERVED_STOP(lang))
    how = ALONG(lang) if network else ""
    origin = origin_words(inputs.seats.to_numpy(), rules.measure, lang)
    limit = number_text(rules.max_distance_m)
    grades.rule(~geometry.usable(inputs.origins), NO_DATA, NO_ORIGIN)
    grades.rule(metres <= rules.max_distance_m, MEETS, NEAR, what=near_what, name=name, origin=origin, how=how,
                d=metres, m=limit)
    served = found["served"].to_numpy(dtype=bool)
    grades.rule(np.full(n, not served.any()), FAILS, NO_SERVICE[stops is not None, routes is not None])
    grades.rule(np.isnan(metres), FAILS, NO_WAY)
    grades.rule(np.ones(n, dtype=bool), FAILS, FAR, what=far_what, name=name, origin=origin, how=how, d=metres,
                m=limit)
    return grades.frame("bus", index, bus_stop_m=metres,
                        bus_stop_name=np.where(rows >= 0, np.append(names, None)[rows], None))


def requirement(rules: BusRules, lang: str) -> str:
    return AT_MOST_M.format(lang, value=number(rules.max_distance_m)) + (ALONG_REQUIRED(lang) if
                                                                        rules.measure == NETWORK else "")


PLUGIN = Plugin(
    section="bus", rules=BusRules, check=check, assess=assess,
    inputs=(Input("bus_stops", POINTS, optional=("name", "lines", "regular"), prepare=prepare),
            Input("bus_routes", LINES, optional=("name", "regular"), prepare=prepare_routes)),
    symbols=(Symbol("bus_stops", "bus_stops", {"color": "#00441b", "weight": 1, "fill": True, "fillColor": "#41ab5d",
                                               "fillOpacity": 0.9, "radius": 4},
                    T(zh="有班线停靠的客车站点", en="bus stops served by a regular line"), where="served",
                    tooltip=(NAME, ("lines", T(zh="班线数", en="Lines")))),
             Symbol("bus_routes", "bus_routes", {"color": "#238b45", "weight": 3, "opacity": 0.8, "dashArray": "6 3"},
                    T(zh="运营的客车线路", en="bus routes in service"), shape="line", where="served")),
    popup={"bus_stop_name": T(zh="最近的客车站点或线路", en="nearest bus stop or route")},
)

STANDARD = Standard("bus", BUREAU.key, "Bus service", "bus_stop_m", T(zh="通客车", en="Bus service"),
                    settings=("standards.bus.",), requirement=requirement, plugin=PLUGIN)
