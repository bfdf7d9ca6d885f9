"""From sources to one target of theirs along a weighted road graph, searching only around
the target: what ``gis.routes.to_own_target`` and ``gis.traveltime.own_time`` do for the
sources whose nearest target is not their own.

A search from one target over a whole national network touches every node (scipy sizes
its arrays by the graph), and there are tens of thousands of township seats. So each
search is on the part of the graph near its target: a way of weight at most ``limit``
(``w`` = metres x seconds a metre) is at most ``limit / fastest pace`` metres long, so it
lies within that distance of the target's edge, a box the nodes' k-d tree gives. The
search starts at a limit of a few times the straight distance (``first_limit_m``) and
grows fourfold until every source is found (``bounded``); a value found within a limit is
exact. A source on another (weakly) connected part than its target is not searched for.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from scipy.sparse import csgraph, csr_array
from scipy.spatial import cKDTree

from gis.roadgraph import QUANTUM_M, Attached, RoadGraph, _shortest_arcs


class Around:
    """A weighted graph's arcs by their tail node, ready to cut the part near a target.
    ``net``: the road graph (``graph``) with a pace a metre an edge (``pace``), its
    connectors' weights (``connector_s``) and the legs' pace (``walk_pace``)."""

    def __init__(self, net):
        self.net = net
        graph, e, c = net.graph, net.graph.edges, net.graph.connectors
        weight = np.maximum(e.length, 0.0) * net.pace
        u = np.r_[e.tail[e.forward], e.head[e.backward], c[:, 0], c[:, 1]]
        v = np.r_[e.head[e.forward], e.tail[e.backward], c[:, 1], c[:, 0]]
        w = np.r_[weight[e.forward], weight[e.backward], net.connector_s, net.connector_s]
        self.u, self.v, self.w = _shortest_arcs(u, v, w, graph.node_count)
        self.start = np.r_[0, np.cumsum(np.bincount(self.u, minlength=graph.node_count))]
        # the arcs by their head: the nodes a search on the reversed graph goes on to
        self.in_start = np.r_[0, np.cumsum(np.bincount(self.v, minlength=graph.node_count))]
        self.in_u = self.u[np.argsort(self.v, kind="stable")]
        self.length = e.length   # computed once (a property of the edges)
        self.box = (graph.nodes_xy.min(axis=0), graph.nodes_xy.max(axis=0)) if graph.node_count else None
        paces = np.r_[net.pace, net.connector_s / np.maximum(graph._connector_m, QUANTUM_M)]
        self.fastest = float(paces[paces > 0].min()) if (paces > 0).any() else 1.0   # seconds a metre
        self.local = np.full(graph.node_count, -1, dtype=np.int64)   # scratch: a node's local number

    @cached_property
    def tree(self) -> cKDTree:
        return cKDTree(self.net.graph.nodes_xy)

    @cached_property
    def forward(self) -> csr_array:
        n = self.net.graph.node_count
        return csr_array((np.ones(len(self.v)), self.v.astype(np.int64), self.start.astype(np.int64)), shape=(n, n))

    def can_reach(self, s: Attached, rows: np.ndarray, t: Attached, target: int) -> np.ndarray:
        """Whether each of ``rows``' sources can reach ``target`` at all: the nodes a
        breadth-first search from its way off its edge reaches (a source on a one-way dead
        end reaches few), against the target's way onto its edge. Asked before a search of
        the whole graph, which it spares for the sources that cannot."""
        e = self.net.graph.edges
        te, to = t.edge[target], t.offset_m[target]
        entry = [node for node, ok in ((e.tail[te], e.forward[te] or to <= QUANTUM_M),
                                       (e.head[te], e.backward[te] or self.length[te] - to <= QUANTUM_M)) if ok]
        found = np.zeros(len(rows), dtype=bool)
        for k, row in enumerate(rows):
            se, so = s.edge[row], s.offset_m[row]
            if se == te:
                found[k] = True   # measured along the edge, or round: the search decides
                continue
            exits = [node for node, ok in ((e.head[se], e.forward[se] or self.length[se] - so <= QUANTUM_M),
                                           (e.tail[se], e.backward[se] or so <= QUANTUM_M)) if ok]
            for node in exits:
                reached = csgraph.breadth_first_order(self.forward, int(node), directed=True,
                                                      return_predecessors=False)
                if np.isin(entry, reached).any():
                    found[k] = True
                    break
        return found

    def whole(self, target_edge: int) -> float:
        """The limit at which the part around a target on ``target_edge`` is the whole graph:
        from there on one search without a limit is as quick, and decides."""
        tail = self.net.graph.nodes_xy[self.net.graph.edges.tail[target_edge]]
        return float(np.maximum(np.abs(self.box[0] - tail), np.abs(self.box[1] - tail)).max()) * self.fastest

    def search(self, s: Attached, rows: np.ndarray, t: Attached, target: int,
               limit: float) -> tuple[np.ndarray, bool]:
        """The weight from each of ``rows``' sources to ``target`` (both legs at the walking
        pace), NaN where it is more than ``limit`` (the source's own leg not counted); and
        whether the search reached every node that can reach the target (then a NaN is a
        source that cannot, and no larger limit would find it)."""
        net, e = self.net, self.net.graph.edges
        te, to, tw = t.edge[target], t.offset_m[target], t.walk_m[target] * net.walk_pace
        centre = net.graph.nodes_xy[e.tail[te]]
        if np.isfinite(limit):
            nodes = np.asarray(self.tree.query_ball_point(centre, limit / self.fastest + self.length[te], p=np.inf),
                               dtype=np.int64)
        else:   # the whole graph: only for the sources that can reach the target at all
            able = self.can_reach(s, rows, t, target)
            out = np.full(len(rows), np.nan)
            if able.any():
                out[able] = self.search_nodes(s, rows[able], te, to, tw, np.arange(net.graph.node_count), limit)[0]
            return out, True
        return self.search_nodes(s, rows, te, to, tw, nodes, limit)

    def search_nodes(self, s, rows, te, to, tw, nodes, limit) -> tuple[np.ndarray, bool]:
        k = len(nodes)
        self.local[nodes] = np.arange(k)
        try:
            return self._within(s, rows, te, to, tw, nodes, limit)
        finally:
            self.local[nodes] = -1

    def _within(self, s, rows, te, to, tw, nodes, limit) -> tuple[np.ndarray, bool]:
        net, e, local = self.net, self.net.graph.edges, self.local
        k = len(nodes)
        count = self.start[nodes + 1] - self.start[nodes]
        arcs = np.repeat(self.start[nodes] - np.r_[0, np.cumsum(count)[:-1]], count) + np.arange(count.sum())
        arcs = arcs[local[self.v[arcs]] >= 0]
        # reversed: row = the arc's head, so a search from the target gives each node's weight *to* it
        rows_r, cols_r, data = local[self.v[arcs]], local[self.u[arcs]], self.w[arcs]
        length, p = self.length[te], net.pace[te]
        tail, head = local[e.tail[te]], local[e.head[te]]
        ends, weights = [], []
        if (e.forward[te] or to <= QUANTUM_M) and tail >= 0:
            ends.append(tail)
            weights.append(to * p + tw)
        if (e.backward[te] or length - to <= QUANTUM_M) and head >= 0:
            ends.append(head)
            weights.append((length - to) * p + tw)
        if len(ends) == 2 and ends[0] == ends[1]:   # a loop edge: both ends one node
            ends, weights = ends[:1], [min(weights)]
        # the arcs are one a pair of nodes already (``_shortest_arcs`` in __init__), so
        # nothing is summed: the sparse matrix is built by counting, not by sorting
        matrix = csr_array((np.r_[data, weights], (np.r_[rows_r, np.full(len(ends), k)], np.r_[cols_r, ends])),
                           shape=(k + 1, k + 1))
        dist = np.r_[csgraph.dijkstra(matrix, directed=True, indices=k, limit=limit), np.inf]   # [-1]: not local
        se, so = s.edge[rows], s.offset_m[rows]
        to_head, ps = self.length[se] - so, net.pace[se]
        out_head = np.where(e.forward[se] | (to_head <= QUANTUM_M), to_head * ps + dist[local[e.head[se]]], np.inf)
        out_tail = np.where(e.backward[se] | (so <= QUANTUM_M), so * ps + dist[local[e.tail[se]]], np.inf)
        best = np.minimum(out_head, out_tail)
        on = se == te   # on the target's own edge: along it, where the way allows
        ahead = to - so[on]
        along = np.where((ahead >= 0) & e.forward[te], ahead, np.where((ahead <= 0) & e.backward[te], -ahead, np.inf))
        best[on] = np.minimum(best[on], along * p + tw)
        # closed: the target's edge ends are reached, and every node an arc leads from to a
        # reached node is too (inside the part, within the limit), so the reached nodes are
        # all that can reach the target
        reached = nodes[np.isfinite(dist[:k])]
        count = self.in_start[reached + 1] - self.in_start[reached]
        arcs = np.repeat(self.in_start[reached] - np.r_[0, np.cumsum(count)[:-1]], count) + np.arange(count.sum())
        closed = bool(np.isfinite(dist[local[self.in_u[arcs]]]).all() and np.isfinite(dist[ends]).all())
        if closed:   # every node's weight is its own, not cut by the limit: every way is found
            return np.where(np.isfinite(best), best, np.nan), True
        return np.where(best <= limit, best, np.nan), False


def the_rest(graph: RoadGraph, s: Attached, t: Attached, own: np.ndarray, todo: np.ndarray):
    """(target, rows of the sources that have it as their own) for the sources in ``todo``
    that lie on the same (weakly) connected part of the graph as their own target."""
    e, labels = graph.edges, graph.components
    ok = todo & s.ok & (own >= 0) & t.ok[np.maximum(own, 0)]
    rows = np.flatnonzero(ok)
    rest = rows[labels[e.tail[s.edge[rows]]] == labels[e.tail[t.edge[own[rows]]]]]
    for target, group in pd.Series(rest).groupby(own[rest]):
        yield int(target), group.to_numpy()


def first_limit_m(graph: RoadGraph, s: Attached, t: Attached, rows: np.ndarray, target: int,
                  length: np.ndarray | None = None) -> float:
    """Twice the farthest of ``rows``' sources from ``target`` in a straight line (between
    their edges' tails, plus both edges), and 2 km: where a search for them starts.
    ``length``: the edges' lengths, where already computed."""
    e, xy = graph.edges, graph.nodes_xy
    length = e.length if length is None else length
    te = t.edge[target]
    apart = np.hypot(*(xy[e.tail[s.edge[rows]]] - xy[e.tail[te]]).T) + length[s.edge[rows]] + length[te]
    return 2.0 * float(apart.max()) + 2000.0


def bounded(search, rows: np.ndarray, first: float, cap: float) -> np.ndarray:
    """``search(rows, limit)`` (a value a row, NaN where none is within ``limit``; and
    whether nothing more can be found) for the ``rows``, the limit growing fourfold from
    ``first`` until every row is found, nothing more can be, or it passes ``cap``, where
    one search without a limit decides the rest: each answer is exact, since a search with
    a limit finds every way within it."""
    out = np.full(len(rows), np.nan)
    todo, limit = np.arange(len(rows)), first
    while len(todo):
        limit = np.inf if limit >= cap else limit
        found, closed = search(rows[todo], limit)
        found = np.asarray(found, dtype=float)
        ok = np.isfinite(found)
        out[todo[ok]] = found[ok]
        todo = todo[~ok]
        if limit == np.inf or closed:
            break
        limit *= 4.0
    return out


def own_rest(net, s: Attached, t: Attached, own: np.ndarray, todo: np.ndarray, out: np.ndarray) -> None:
    """Into ``out``: the weight from each source in ``todo`` to its own target, legs walked
    (the source's too), NaN where it cannot reach it."""
    around = Around(net)
    graph = net.graph
    pace = float(np.median(net.pace)) if len(net.pace) else net.walk_pace
    for target, rows in the_rest(graph, s, t, own, todo):
        def search(some: np.ndarray, limit: float, target=target) -> np.ndarray:
            return around.search(s, some, t, target, limit)
        first = first_limit_m(graph, s, t, rows, target, around.length) * pace
        found = bounded(search, rows, first, around.whole(t.edge[target]))
        out[rows] = found + s.walk_m[rows] * net.walk_pace
