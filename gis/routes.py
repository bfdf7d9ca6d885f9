"""Distances along a road graph (``gis.roadgraph``) from each source to a target of its own
(a village seat to its own township's seat), rather than to the nearest of many.

One search from all targets at once (``RoadGraph.nearest_target``) answers every source
whose nearest target is its own; the rest, whose nearest is another (a village nearer a
neighbouring township's seat), are answered by one search per own target, from it alone.
Every answer is the shortest path: the nearest target is its own target's distance where
it is that target, and the searches from one target are exact.

The searches from the own targets are bounded and many share one search (``gis.ownsearch``):
a national network has tens of thousands of township seats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis import ownsearch, traveltime
from gis.roadgraph import RoadGraph


def to_own_target(graph: RoadGraph, sources, targets, own, limit_m: float = np.inf) -> pd.DataFrame:
    """From each source to its own target (``own``: a position in ``targets`` a source,
    -1 for none), along the graph's lines in the direction of travel.

    Columns, a row a source (indexed like ``sources`` where it is a GeoSeries):
    ``network_m`` (along the lines between the two points' positions on them; NaN where
    the source has no own target, or it cannot be reached within ``limit_m``),
    ``walk_m`` (the source's straight leg to its line) and ``target_walk_m`` (its own
    target's leg; NaN where it has none)."""
    s, t = graph.attach(sources), graph.attach(targets)
    own = np.asarray(own, dtype=np.int64)
    if len(own) != len(s.edge):
        raise ValueError(f"own has {len(own)} entries; there are {len(s.edge)} sources")
    if ((own >= len(t.edge)) | (own < -1)).any():
        raise ValueError(f"own names a target that is not there (there are {len(t.edge)})")
    network = np.full(len(own), np.nan)
    has = own >= 0
    t_walk = np.where(has, t.walk_m[np.maximum(own, 0)] if len(t.edge) else np.nan, np.nan)
    if has.any() and t.ok.any():
        nearest = graph.nearest_target(s, t, limit_m)
        hit = has & (nearest["target"].to_numpy() == own)
        network[hit] = nearest["network_m"].to_numpy()[hit]
        found = np.full(len(own), np.nan)   # in metres: the graph at one metre a second, legs too
        ownsearch.own_rest(traveltime.timed(graph, np.ones(graph.line_count), 1.0), s, t, own, has & ~hit, found)
        rest = np.isfinite(found)
        network[rest] = found[rest] - s.walk_m[rest] - t.walk_m[own[rest]]
        network[network + t_walk > limit_m] = np.nan
    return pd.DataFrame({"network_m": network, "walk_m": s.walk_m, "target_walk_m": t_walk}, index=s.index)

