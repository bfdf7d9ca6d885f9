"""The road network's answers for each village (issue 22), decided on the whole layer
before any cut by zone or county (``layers.zones``, ``layers.partition``): a shortest path
may run anywhere on the network, so no part cut around a county is sure to hold it.

``Network`` builds the graph of the hardened roads once per run (``gis.roadgraph``); the
road standard's ``connected`` column (layers/standards/road.py) and the distances below
share it. The travel times to care (``clinics.travel``) use the graph of every road.

- ``township_table``: ``road_network_km_to_township``, along hardened roads from each
  village's seat to its own township's seat (``[towns]``, matched by township code), the
  straight legs of both seats to their nearest hardened road included and reported in
  ``township_walk_m``.

Where a village has no seat, a point inside its polygon stands in. Distances are the
working CRS's metres; with ``project.working_crs = "auto"`` (one working CRS for the
whole run, the zone of the villages' median longitude) each is divided by the CRS's scale
factor at its two ends, averaged, so it is the ground distance as the zones measure it.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from gis import geometry, roadgraph, routes
from gis.crs import local_scale
from layers.settings import RoadRules

if TYPE_CHECKING:
    from layers.inputs import Inputs


class Network:
    """The graph of ``inputs``' hardened roads, built on first use."""

    def __init__(self, inputs: Inputs, rules: RoadRules, true_distances: bool = False):
        self.inputs = inputs
        self.rules = rules
        self.true_distances = true_distances   # divide by the CRS's scale factor ("auto")

    @cached_property
    def hardened_rows(self) -> np.ndarray:
        roads = self.inputs.roads
        if roads is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(roads["hardened"].fillna(False).to_numpy(dtype=bool))

    @cached_property
    def hardened(self) -> roadgraph.RoadGraph | None:
        """The hardened roads' graph (its lines: ``roads.iloc[hardened_rows]``); None without any."""
        if not len(self.hardened_rows):
            return None
        return roadgraph.build(self.inputs.roads.iloc[self.hardened_rows], snap_m=self.rules.snap_m)

    @cached_property
    def all_roads(self) -> roadgraph.RoadGraph | None:
        """Every road's graph, whatever its surface (the travel times of
        layers/standards/care.py); None without a road."""
        roads = self.inputs.roads
        if roads is None or not len(roads):
            return None
        return roadgraph.build(roads, snap_m=self.rules.snap_m)

    @cached_property
    def seats(self) -> np.ndarray:
        """Each village's seat, else a point inside its polygon (None: neither)."""
        seats = self.inputs.seats.to_numpy()
        polygons = self.inputs.villages.geometry.to_numpy()
        inner = np.where(geometry.usable(polygons), polygons, None)
        inner = np.where(geometry.usable(polygons), shapely.point_on_surface(inner), None)
        return np.where(geometry.usable(seats), seats, inner)

    def nearest_along(self, graph: roadgraph.RoadGraph, points: np.ndarray,
                      seats=None) -> tuple[np.ndarray, np.ndarray]:
        """From each village's seat along ``graph``, the nearest of ``points`` (in the
        inputs' CRS): its position in ``points`` (-1 where none can be reached) and the way's
        ground metres, the straight legs of both ends to their nearest roads included (NaN
        where none); ``seats``: the seats already attached to ``graph``, where they are."""
        seats = graph.attach(self.seats if seats is None else seats)
        near = graph.nearest_target(seats, graph.attach(points))
        rows = near["target"].to_numpy()
        found = rows >= 0
        metres = np.where(found, (near["network_m"] + near["walk_m"] + near["target_walk_m"]).to_numpy(), np.nan)
        ends = np.where(found, points[np.maximum(rows, 0)] if len(points) else None, None)
        return rows, self.true_m(metres, self.seats, ends)

    def true_m(self, metres: np.ndarray, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """``metres`` between points ``a`` and ``b`` (or at ``a``) on the ground: divided by the
        mean scale factor at the two ends where ``true_distances``."""
        if not self.true_distances or not len(metres):
            return metres
        scale = _scale(self.inputs.crs, a)
        if b is not None:
            scale = (scale + _scale(self.inputs.crs, b)) / 2
        return metres / scale


def every_road(inputs: Inputs) -> Network:
    """The ``Network`` whose ``all_roads`` graph the standards measuring along every road
    share (the times to care, the way to a bus stop): built on first use, once per run
    (again only where ``inputs.roads`` has been replaced)."""
    held = inputs.every_road
    if held is None or held[0] is not inputs.roads:
        network = Network(inputs, RoadRules(), true_distances=inputs.meridians is not None)
        held = inputs.every_road = (inputs.roads, network)
    return held[1]


def _scale(crs, points: np.ndarray) -> np.ndarray:
    ok = geometry.usable(points)
    found = np.ones(len(points))
    if ok.any():
        found[ok] = local_scale(crs, points[ok])
    return found


def township_table(network: Network) -> pd.DataFrame:
    """``road_network_km_to_township`` (NaN where the village's township has no seat in
    [towns], or no hardened road joins the two) and ``township_walk_m`` (the two seats'
    straight legs to their nearest hardened roads), a row a village."""
    inputs = network.inputs
    index = inputs.villages.index
    n = len(index)
    km, walk = np.full(n, np.nan), np.full(n, np.nan)
    graph, towns = network.hardened, inputs.towns
    if graph is not None and towns is not None and len(towns):
        codes = inputs.villages["township_code"].astype(object).where(inputs.villages["township_code"].notna())
        own = pd.Index(towns["township_code"].astype(object)).get_indexer(codes.to_numpy())
        seats = network.seats
        town_points = towns.geometry.to_numpy()
        found = routes.to_own_target(graph, seats, town_points, own)
        legs = found["walk_m"].to_numpy() + found["target_walk_m"].to_numpy()
        total = found["network_m"].to_numpy() + legs
        ends = np.where(own >= 0, town_points[np.maximum(own, 0)], None)
        km = network.true_m(total, seats, ends) / 1000.0
        walk = np.where(own >= 0, network.true_m(legs, seats, ends), np.nan)
    from layers.standards import TOWNSHIP_KM, TOWNSHIP_WALK   # the registry imports this module
    return pd.DataFrame({TOWNSHIP_KM: km, TOWNSHIP_WALK: walk}, index=index)


def village_tables(network: Network) -> list[pd.DataFrame]:
    """The network's columns the profile asks for, each a table a row a village: the
    township distance where [towns] is given; none otherwise (no column is added)."""
    tables = []
    if network.inputs.towns is not None and network.inputs.roads is not None:
        tables.append(township_table(network))
    return tables
