"""Travel times along a road graph (``gis.roadgraph``): each line at its own speed, the
straight legs that join the points to the lines at walking speed.

The graph's nodes, edges, one-way roads and snapped connectors are the road graph's; only
the weights differ: an edge takes its length divided by its line's speed (a connector its
dangling line's), so the quickest way may be longer than the shortest. The search is the
road graph's: one Dijkstra from every target at once on the reversed graph, each target a
node of its own with arcs to the ends of its edge, and a source and a target on one edge
also timed along it. ``own_time`` times each source to a target of its own, as
``gis.routes.to_own_target`` measures it (the sources whose soonest target is another
searched from their own, ``gis.ownsearch``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csgraph

from gis import ownsearch
from gis.roadgraph import QUANTUM_M, Attached, RoadGraph, along_one_edge


@dataclass(frozen=True)
class Timed:
    """A road graph with each edge's seconds per metre (``pace``); ``walk_pace`` the legs'."""
    graph: RoadGraph
    pace: np.ndarray        # seconds a metre, an edge
    connector_s: np.ndarray  # seconds, a connector
    walk_pace: float


def timed(graph: RoadGraph, speed_mps: np.ndarray, walk_mps: float) -> Timed:
    """``graph`` with ``speed_mps`` a row of the lines given to ``roadgraph.build`` (metres
    a second, more than 0) and the walking legs at ``walk_mps``."""
    speed = np.asarray(speed_mps, dtype=float)
    if len(speed) != graph.line_count:
        raise ValueError(f"speed_mps has {len(speed)} rows; the lines had {graph.line_count}")
    if not (np.isfinite(speed) & (speed > 0)).all() or not walk_mps > 0:
        raise ValueError("every speed must be a finite number of metres a second above 0")
    pace = 1.0 / speed[graph.part_line[graph.edges.part]]
    connector = graph.connectors
    connector_s = graph._connector_m / speed[graph.part_line[connector[:, 2]]]
    return Timed(graph, pace, connector_s, 1.0 / walk_mps)


def nearest_time(net: Timed, sources, targets) -> pd.DataFrame:
    """From each source, the target reached soonest: ``target`` (its position in
    ``targets``; -1 where none can be reached) and ``seconds`` (both legs walked, the
    roads driven), a row a source (indexed like ``sources`` where it is a GeoSeries)."""
    s, t = net.graph.attach(sources), net.graph.attach(targets)
    best, seconds = _search(net, s, t)
    return pd.DataFrame({"target": best, "seconds": seconds}, index=s.index)


def own_time(net: Timed, sources, targets, own) -> pd.Series:
    """Seconds from each source to its own target (``own``: a position in ``targets``, -1
    none; NaN where it has none or cannot reach it), a row a source."""
    s, t = net.graph.attach(sources), net.graph.attach(targets)
    own = np.asarray(own, dtype=np.int64)
    if len(own) != len(s.edge) or ((own >= len(t.edge)) | (own < -1)).any():
        raise ValueError("own needs one entry a source, each -1 or a position in targets")
    seconds = np.full(len(own), np.nan)
    has = own >= 0
    if has.any() and t.ok.any():
        best, found = _search(net, s, t)
        hit = has & (best == own)
        seconds[hit] = found[hit]
        ownsearch.own_rest(net, s, t, own, has & ~hit, seconds)
    return pd.Series(seconds, index=s.index)


def _search(net: Timed, s: Attached, t: Attached, limit: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Each source's soonest target (-1: none) and the seconds to it (NaN: none, or none
    within ``limit`` seconds of road and the target's leg; the source's own leg is added)."""
    graph, e, pace = net.graph, net.graph.edges, net.pace
    n = graph.node_count
    best, total = np.full(len(s.edge), -1, dtype=np.int64), np.full(len(s.edge), np.inf)
    tk, sk = np.flatnonzero(t.ok), np.flatnonzero(s.ok)
    if len(tk) == 0 or len(sk) == 0:
        return best, np.full(len(s.edge), np.nan)
    te, to, tw = t.edge[tk], t.offset_m[tk], t.walk_m[tk] * net.walk_pace
    length, p = e.length[te], pace[te]
    fw = e.forward[te] | (to <= QUANTUM_M)
    bw = e.backward[te] | (length - to <= QUANTUM_M)
    virtual = n + np.arange(len(tk))
    matrix = ownsearch.reversed_matrix(net, np.r_[virtual[fw], virtual[bw]], np.r_[e.tail[te][fw], e.head[te][bw]],
                                       np.r_[to[fw] * p[fw] + tw[fw], ((length - to) * p + tw)[bw]], len(tk))
    dist, _, origin = csgraph.dijkstra(matrix, directed=True, indices=virtual, min_only=True,
                                       return_predecessors=True, limit=limit)
    se, so = s.edge[sk], s.offset_m[sk]
    to_head, ps = e.length[se] - so, pace[se]
    out_head = np.where(e.forward[se] | (to_head <= QUANTUM_M), to_head * ps + dist[e.head[se]], np.inf)
    out_tail = np.where(e.backward[se] | (so <= QUANTUM_M), so * ps + dist[e.tail[se]], np.inf)
    node = np.where(out_head <= out_tail, e.head[se], e.tail[se])
    d = np.minimum(out_head, out_tail)
    reached = np.isfinite(d) & (d <= limit)
    best[sk[reached]] = tk[origin[node[reached]] - n]
    total[sk[reached]] = d[reached]
    _along_one_edge(net, s, sk, t, tk, best, total, limit)
    total = np.where(best >= 0, total + s.walk_m * net.walk_pace, np.nan)
    return best, total


def _along_one_edge(net: Timed, s, sk, t, tk, best, total, limit: float = np.inf) -> None:
    """Sources and targets on the same edge: the way along it, where it is sooner."""
    along_one_edge(net.graph.edges, s, sk, t, tk, best, total, limit,
                   lambda edge, metres, tgt: metres * net.pace[edge] + t.walk_m[tgt] * net.walk_pace)
