"""通硬化路 (transport): a hardened road within reach of the village seat, wide enough."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gis import geometry, roadgraph
from gis.errors import DataError
from layers.grades import BASIC, FAILS, MEETS, NO_DATA, NO_ORIGIN, Grades, number_text
from layers.canonical import _roads
from layers.settings import HARDENED_DEFAULT, RoadRules, Roads
from layers.sources import LINES
from layers.standards import AT_MOST_M, TRANSPORT, Drawing, Drawn, Layer, Mark, Standard, number, polygon_or_seat
from layers.text import DEFAULT_LANG, T

if TYPE_CHECKING:
    from layers.inputs import Inputs

BUREAU = TRANSPORT

WIDTH = T(zh="，路宽 ≥ {value} 米", en=", road width ≥ {value} m")


def requirement(rules, lang: str) -> str:
    text = AT_MOST_M.format(lang, value=number(rules.roads.max_distance_m))
    if rules.roads.min_width_m > 0:
        text += WIDTH.format(lang, value=number(rules.roads.min_width_m))
    return text


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


def connected_lines(roads: pd.DataFrame, snap_m: float, targets: np.ndarray | None = None,
                    graph: roadgraph.RoadGraph | None = None) -> np.ndarray:
    """Of each road, whether it is a hardened road of the hardened network's main component
    (the largest by length), or with ``targets`` (points) of a component one of them is
    joined to (its nearest hardened road's): which roads connect does not depend on the
    CRS, so this is decided once on the whole layer, before the zones measure distances.
    ``graph``: the hardened roads' graph (``layers.roadnet.Network.hardened``), where built."""
    hardened = roads["hardened"].fillna(False).to_numpy(dtype=bool)
    found = np.zeros(len(roads), dtype=bool)
    if not hardened.any():
        return found
    if graph is None:
        graph = roadgraph.build(roads.iloc[np.flatnonzero(hardened)], snap_m=snap_m)
    if graph.main_component < 0:
        return found
    if targets is None:
        wanted = np.array([graph.main_component])
    else:
        at = graph.attach(np.asarray(targets, dtype=object))
        wanted = np.unique(graph.components[graph.edges.tail[at.edge[at.ok]]])
    in_main = np.isin(graph.components[graph.edges.tail], wanted)
    rows = np.flatnonzero(hardened)
    found[rows[np.unique(graph.edge_lines()[:len(in_main)][in_main])]] = True
    return found


# The road network's columns beside the standard (layers/roadnet.py), where the profile gives
# [towns]: km along hardened roads to the village's own township seat, and the seats' legs
TOWNSHIP_KM, TOWNSHIP_WALK = "road_network_km_to_township", "township_walk_m"

NOT_CONNECTED = {
    "main": (T(zh="硬化路与主干路网不连通（路网中没有连通的硬化路）",
               en="the hardened road does not connect to the road network (no connected hardened road)"),
             T(zh="硬化路与主干路网不连通（最近连通点 {d:,.0f} 米）",
               en="the hardened road does not connect to the road network (nearest connected point {d:,.0f} m)")),
    "health_centres": (T(zh="硬化路与乡镇驻地不连通（没有通到乡镇卫生院的硬化路网）",
                         en="the hardened road does not connect to a township seat (no hardened network reaches a "
                            "township health centre)"),
                       T(zh="硬化路与乡镇驻地不连通（最近连通点 {d:,.0f} 米）",
                         en="the hardened road does not connect to a township seat (nearest connected point "
                            "{d:,.0f} m)")),
    "towns": (T(zh="硬化路与乡镇驻地不连通（没有通到乡镇驻地的硬化路网）",
                en="the hardened road does not connect to a township seat (no hardened network reaches one)"),
              T(zh="硬化路与乡镇驻地不连通（最近连通点 {d:,.0f} 米）",
                en="the hardened road does not connect to a township seat (nearest connected point {d:,.0f} m)")),
}


def mark_connected(inputs: Inputs, rules: RoadRules, graph: roadgraph.RoadGraph | None = None) -> None:
    """With ``rules.require_connected``: the roads' ``connected`` column, on the whole layer
    (before any cut by zone or county; ``assess`` reads it). ``graph``: the hardened
    roads' graph where built (``connected_lines``)."""
    if not rules.require_connected or inputs.roads is None:
        return
    targets = None
    if rules.connected_to == "towns":
        if inputs.towns is None or not len(inputs.towns):
            raise DataError("standards.roads.connected_to = \"towns\" needs the township seats, and [towns] holds "
                            "none; add them (one point a township, with its township code), or use "
                            "connected_to = \"main\"")
        targets = inputs.towns.geometry.to_numpy()
    if rules.connected_to == "health_centres":
        centres = inputs.clinics[inputs.clinics["kind"].to_numpy() == "health_centre"] \
            if inputs.clinics is not None else None
        if centres is None or not len(centres):
            raise DataError("standards.roads.connected_to = \"health_centres\" needs the township health centres "
                            "(乡镇卫生院) in the clinics layer, and there are none; add them (clinics.columns.type), "
                            "or use connected_to = \"main\"")
        targets = centres.geometry.to_numpy()
    inputs.roads = inputs.roads.assign(connected=connected_lines(inputs.roads, rules.snap_m, targets, graph))


def assess(inputs: Inputs, rules: RoadRules, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """road_hardened_m, road_verdict, road_reason (in ``lang``) for every village; with
    ``rules.require_connected`` (and the roads' ``connected`` column, ``connected_lines``)
    road_connected and road_connected_m too."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, lang, T(zh="配置中没有道路图层", en="no roads layer in the profile"))
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
    shown = number_text(limit)

    village, road = reaching_pairs(inputs, hardened, limit, indexed)
    reached = np.bincount(village, minlength=n) > 0
    # Widest reaching road; NaN when any reaching road has no width recorded, so an
    # unknown width is never held against the village.
    widths = pd.Series(roads["width"].to_numpy(dtype=float)[road]).groupby(village)
    widest = widths.max().where(widths.count() == widths.size()).reindex(range(n)).to_numpy()
    village_u, _ = reaching_pairs(inputs, unknown, limit)
    unknown_near = np.bincount(village_u, minlength=n) > 0

    grades.rule(~geometry.usable(origins), NO_DATA, NO_ORIGIN)
    extra = {}
    if rules.require_connected and "connected" in roads:
        linked = hardened & roads["connected"].fillna(False).to_numpy(dtype=bool)
        to_linked = hardened_distance(origins, roads, index, _roads_indexed(roads, linked)).to_numpy()
        village_l, _ = reaching_pairs(inputs, linked, limit)
        reached_linked = np.bincount(village_l, minlength=n) > 0
        words = NOT_CONNECTED[rules.connected_to]
        grades.rule(reached & ~reached_linked & np.isnan(to_linked), FAILS, words[0])
        grades.rule(reached & ~reached_linked, FAILS, words[1], d=to_linked)
        extra = {"road_connected": np.where(reached, np.where(reached_linked, "yes", "no"), None),
                 "road_connected_m": to_linked}
    narrow = reached & (rules.min_width_m > 0) & (widest < rules.min_width_m)
    grades.rule(narrow, BASIC, T(zh="硬化路已通到村，但路面宽 {w:.1f} 米，要求至少 {m} 米",
                                 en="a hardened road reaches the village but is {w:.1f} m wide; the profile asks "
                                    "{m} m"), w=widest, m=number_text(rules.min_width_m))
    grades.rule(reached & has_seat, MEETS, T(zh="硬化路距村委会 {d:,.0f} 米，限值 {m} 米",
                                             en="hardened road {d:,.0f} m from the village seat; limit {m} m"),
                d=distance, m=shown)
    grades.rule(reached, MEETS, T(zh="硬化路进入村域", en="a hardened road enters the village"))
    grades.rule(unknown_near & has_seat, NO_DATA,
                T(zh="没有硬化路通到村委会，但有未记录路面的道路在 {m} 米内；请在道路图层中补录其路面",
                  en="no hardened road reaches the village, but a road with no surface recorded comes within "
                     "{m} m of the village seat; record its surface"), m=shown)
    grades.rule(unknown_near, NO_DATA,
                T(zh="没有硬化路进入村域，但有未记录路面的道路进入；请在道路图层中补录其路面",
                  en="no hardened road enters the village, but a road with no surface recorded does; "
                     "record its surface"))
    grades.rule(np.isnan(distance), FAILS, T(zh="道路图层中没有硬化路", en="no hardened road in the roads layer"))
    grades.rule(has_seat, FAILS, T(zh="最近的硬化路距村委会 {d:,.0f} 米，超过限值 {m} 米",
                                   en="nearest hardened road {d:,.0f} m from the village seat; limit {m} m"),
                d=distance, m=shown)
    grades.rule(distance < ENTER_MIN_LENGTH_M, FAILS,
                T(zh="硬化路只挨着村界，没有进入村域",
                  en="a hardened road touches the village boundary but does not enter it"))
    grades.rule(np.ones(n, dtype=bool), FAILS,
                T(zh="没有硬化路进入村域；最近的距村界 {d:,.0f} 米",
                  en="no hardened road enters the village; nearest {d:,.0f} m from its boundary"), d=distance)
    return grades.frame("road", index, road_hardened_m=distance, **extra)


def _decide(inputs: Inputs, rules, lang: str) -> pd.DataFrame:
    return assess(inputs, rules.roads, lang)


def _reach(inputs: Inputs, rules) -> dict:
    """The hardened roads, and with ``require_connected`` the connected ones (the nearest
    of those is measured too)."""
    if inputs.roads is None:
        return {}
    hardened = inputs.roads["hardened"].fillna(False).to_numpy(bool)
    distance = geometry.nearest(inputs.origins, inputs.roads.geometry.to_numpy()[hardened])[1]
    if "connected" in inputs.roads:
        linked = inputs.roads.geometry.to_numpy()[hardened & inputs.roads["connected"].to_numpy(bool)]
        distance = np.fmax(distance, geometry.nearest(inputs.origins, linked)[1])
    return {"roads": (rules.roads.max_distance_m, distance)}


def _on_whole(inputs: Inputs, rules, graph) -> None:
    mark_connected(inputs, rules.roads, graph)


def recorded(inputs: Inputs, profile) -> pd.DataFrame:
    """The ledger against the map (layers.consistency): the villages' ``road_hardened`` says
    yes, but no hardened road lies within ``standards.roads.max_distance_m`` of the village."""
    v = inputs.villages
    if "road_hardened" not in v or inputs.roads is None:
        return pd.DataFrame()
    limit = profile.standards.roads.max_distance_m
    hardened = inputs.roads.geometry.to_numpy()[inputs.roads["hardened"].fillna(False).to_numpy(dtype=bool)]
    _, distance = geometry.nearest(polygon_or_seat(inputs), hardened)
    says_yes = v["road_hardened"].fillna(False).to_numpy(dtype=bool) & geometry.usable(polygon_or_seat(inputs))
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


# the ledger's record against the map (layers/consistency.py)
RECORDED = T(zh="台账硬化路记录与地图不符", en="Hardened road in the ledger vs. the map")


# the roads drawn apart by surface: hardened, not hardened, not recorded (not counted as hardened)
ROADS = Drawn("roads", ("hardened", "surface", "name"), tooltip=("name", "surface"), by="hardened", apart=True, marks=(
    Mark("roads_hardened", {"color": "#1f4e9c", "weight": 3, "opacity": 0.9}, "line",
         T(zh="硬化道路", en="Hardened road"), True, layer=T(zh="硬化道路", en="Roads: hardened")),
    Mark("roads_other", {"color": "#a6761d", "weight": 2, "opacity": 0.9, "dashArray": "6 4"}, "line",
         T(zh="非硬化道路", en="Road, not hardened"), False, layer=T(zh="非硬化道路", en="Roads: not hardened")),
    Mark("roads_unknown", {"color": "#525252", "weight": 2, "opacity": 0.9, "dashArray": "1 4"}, "line",
         T(zh="路面未记录的道路（不算硬化路）", en="Road, surface not recorded (not counted as hardened)"), None,
         layer=T(zh="路面未记录的道路", en="Roads: surface not recorded"))))
DRAWING = Drawing((ROADS,), "limit.at_most_m", "road_max_distance_m", lambda rules: rules.roads.max_distance_m)

def read_table(reader, table: dict, source) -> Roads:
    """[roads]' own key (``reader``: layers.profile's, its errors naming the key)."""
    return Roads(source, reader.strings(table, "roads", "hardened_values", HARDENED_DEFAULT))


# the roads, which time to care, bus and the road network (layers.roadnet) read too
ROADS_LAYER = Layer("roads", "roads", frozenset(LINES), ("surface",),
                    ("width", "name", "grade", "oneway", "layer", "bridge", "tunnel"), assemble=_roads,
                    keys=frozenset({"hardened_values"}), settings=read_table)

STANDARD = Standard("road", "transport", "Hardened road", "road_hardened_m", T(zh="硬化路", en="Hardened road"),
                    settings=("standards.roads.",), requirement=requirement,
                    checks={"road_recorded_hardened": RECORDED},
                    decide=_decide, zoned=_decide, on_whole=_on_whole, layers=("roads",), reach=_reach,
                    ledger=recorded, ledger_column="road_hardened",
                    drawing=DRAWING, inputs=(ROADS_LAYER,), section="roads", rules=RoadRules)
