"""From sources to one target of theirs along a weighted road graph: what
``gis.routes.to_own_target`` and ``gis.traveltime.own_time`` do for the sources whose nearest
target is not their own.

There are tens of thousands of township seats on a national network, so the searches from
them are bounded and run many at a time:

- **Bounded.** A target's search stops at a limit of weight (``w`` = metres x seconds a
  metre). A way of weight at most ``L`` is at most ``L / fastest pace`` metres long, so it
  lies in the box of that half-width round the target's edge. The limit starts a little
  above the straight distance to the target's farthest source and doubles for the sources
  not found yet; a value found within a limit is exact.
- **Batched.** Targets whose boxes do not overlap share one Dijkstra search
  (``scipy.sparse.csgraph.dijkstra(min_only=True)``: each node keeps the nearest of them and
  which one that is). Within its limit a target's search is then the same as it would be
  alone. A source takes its own target's weight at the node it leaves its edge by where
  that target reached the node first and no other way can be shorter: an exact check,
  whatever the batch.
- **Reachable first.** A source that cannot reach its target at all (a one-way dead end)
  would grow its search to the whole graph, so each source is asked first: it can when its
  way off its edge and the target's way onto its own are in one strongly connected
  component, otherwise a breadth-first search from the target's component decides. A
  source on another (weakly) connected part than its target is not searched for.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse import csgraph, csr_array

from gis.roadgraph import QUANTUM_M, Attached, _shortest_arcs

# the first limit: SLACK x the straight distance to the farthest source plus FIRST_M, at
# the median pace (a way on a grid of roads is about 1.1-1.6 x the straight distance)
SLACK = 1.25
FIRST_M = 1000.0
GROWTH = 2.0
# targets whose limits differ by less than this factor are searched at the largest
SPREAD = 1.25


def reversed_matrix(net, u: np.ndarray, v: np.ndarray, w: np.ndarray, extra: int) -> csr_array:
    """``net``'s arcs turned round (a row an arc's head: a search from a node gives each
    node's weight *to* it), with ``extra`` nodes after the graph's whose arcs are given
    (``u`` such a node, ``v`` a node, ``w`` its weight). Indices are int32, which scipy's
    searches take as they are (int64 ones it copies on every call)."""
    graph, e = net.graph, net.graph.edges
    c = graph.connectors
    weight = np.maximum(e.length, 0.0) * net.pace
    head = np.r_[e.tail[e.forward], e.head[e.backward], c[:, 0], c[:, 1]]
    tail = np.r_[e.head[e.forward], e.tail[e.backward], c[:, 1], c[:, 0]]
    w = np.r_[weight[e.forward], weight[e.backward], net.connector_s, net.connector_s, w]
    size = graph.node_count + extra
    rows, cols, data = _shortest_arcs(np.r_[tail, u], np.r_[head, v], w, size)
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=size))].astype(np.int32)
    return csr_array((data, cols.astype(np.int32), indptr), shape=(size, size))


class Searches:
    """Searches from ``targets`` (positions in ``t``) on ``net`` (a road graph with a pace a
    metre an edge, its connectors' weights and the walking legs' pace: ``gis.traveltime``'s
    ``Timed``): the reversed graph with a node of each target's own, whose arcs lead to the
    ends of its edge that the way onto it allows."""

    def __init__(self, net, t: Attached, targets: np.ndarray):
        graph, e = net.graph, net.graph.edges
        self.net, self.n, self.targets = net, graph.node_count, np.asarray(targets, dtype=np.int64)
        self.length = e.length   # computed once (a property of the edges)
        te, to = t.edge[self.targets], t.offset_m[self.targets]
        tw, p = t.walk_m[self.targets] * net.walk_pace, net.pace[te]
        self.te, self.to, self.tw = te, to, tw
        fw = e.forward[te] | (to <= QUANTUM_M)
        bw = e.backward[te] | (self.length[te] - to <= QUANTUM_M)
        self.entries = np.c_[np.where(fw, e.tail[te], -1), np.where(bw, e.head[te], -1)]
        virtual = self.n + np.arange(len(te))
        self.matrix = reversed_matrix(net, np.r_[virtual[fw], virtual[bw]], np.r_[e.tail[te][fw], e.head[te][bw]],
                                      np.r_[(to * p + tw)[fw], ((self.length[te] - to) * p + tw)[bw]], len(te))
        xy = graph.nodes_xy
        self.centre = xy[e.tail[te]]
        paces = np.r_[net.pace, net.connector_s / np.maximum(graph._connector_m, QUANTUM_M)]
        self.fastest = float(paces[paces > 0].min()) if (paces > 0).any() else 1.0   # seconds a metre
        # the limit from which a target's box holds the whole graph: one search without one
        far = np.maximum(np.abs(xy.min(axis=0) - self.centre), np.abs(xy.max(axis=0) - self.centre)).max(axis=1)
        self.whole = far * self.fastest

    def exits(self, s: Attached, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The ways off the sources' edges: (node, weight to it, allowed), by head and by tail."""
        e, pace = self.net.graph.edges, self.net.pace
        se, so = s.edge[rows], s.offset_m[rows]
        to_head, ps = self.length[se] - so, pace[se]
        return [(e.head[se], to_head * ps, e.forward[se] | (to_head <= QUANTUM_M)),
                (e.tail[se], so * ps, e.backward[se] | (so <= QUANTUM_M))]

    def along(self, s: Attached, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The weight along the edge from a source on its target's edge, where the way
        allows (inf elsewhere)."""
        e = self.net.graph.edges
        te = self.te[k]
        out = np.full(len(rows), np.inf)
        on = np.flatnonzero(s.edge[rows] == te)
        if len(on):
            ahead = self.to[k[on]] - s.offset_m[rows[on]]
            t = te[on]
            metres = np.where((ahead >= 0) & e.forward[t], ahead,
                              np.where((ahead <= 0) & e.backward[t], -ahead, np.inf))
            out[on] = metres * self.net.pace[t] + self.tw[k[on]]
        return out

    def can_reach(self, s: Attached, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Whether each of ``rows``' sources can reach its target (``k``: a position in
        ``targets``) at all."""
        _, scc = csgraph.connected_components(self.matrix, directed=True, connection="strong")
        ways = [(node, ok) for node, _, ok in self.exits(s, rows)]
        entries = self.entries[k]
        able = np.isfinite(self.along(s, rows, k))
        for node, ok in ways:
            for entry in entries.T:
                able |= ok & (entry >= 0) & (scc[node] == scc[np.maximum(entry, 0)])
        # the rest: the nodes that can reach a target's component, a breadth-first search
        # on the reversed graph from one node of it
        unsure = np.flatnonzero(~able)
        label = np.where(entries[unsure] >= 0, scc[np.maximum(entries[unsure], 0)], -1)
        reaches = np.zeros(self.matrix.shape[0], dtype=bool)
        for component in np.unique(label[label >= 0]):
            start = int(np.maximum(entries[unsure], 0)[label == component][0])
            reached = csgraph.breadth_first_order(self.matrix, start, directed=True, return_predecessors=False)
            reaches[reached] = True
            these = (label == component).any(axis=1)
            for node, ok in ways:
                able[unsure[these]] |= ok[unsure[these]] & reaches[node[unsure[these]]]
            reaches[reached] = False
        return able

    def run(self, s: Attached, rows: np.ndarray, k: np.ndarray, first: np.ndarray) -> np.ndarray:
        """The weight from each of ``rows``' sources to its target (``k``), the target's leg
        included and the source's not, NaN where it is not found; ``first``: each target's
        first limit. Each round searches every target with a source still to find, in
        batches, and doubles the limit of those that did not find them all."""
        out = np.full(len(rows), np.nan)
        limit = np.asarray(first, dtype=float).copy()
        final = np.zeros(len(self.targets), dtype=bool)   # searched without a limit
        pending = np.arange(len(rows))
        while len(pending):
            batched = np.zeros(len(self.targets), dtype=bool)
            for batch, at in self.batches(np.unique(k[pending]), limit):
                batched[:] = False
                batched[batch] = True
                mine = pending[batched[k[pending]]]
                out[mine] = self.search(s, rows[mine], k[mine], batch, at)
                limit[batch] = at
                final[batch] |= at == np.inf
            pending = pending[np.isnan(out[pending]) & ~final[k[pending]]]
            limit *= GROWTH
        return out

    def batches(self, open_targets: np.ndarray, limit: np.ndarray):
        """(targets, limit): the targets to search together, whose boxes at that limit do
        not overlap; a target whose box would hold the whole graph alone and without one."""
        solo = open_targets[limit[open_targets] >= self.whole[open_targets]]
        for target in solo:
            yield np.array([target]), np.inf
        rest = open_targets[limit[open_targets] < self.whole[open_targets]]
        rest = rest[np.argsort(limit[rest], kind="stable")]
        while len(rest):
            group = rest[:np.searchsorted(limit[rest], limit[rest[0]] * SPREAD, side="right")]
            rest = rest[len(group):]
            at = float(limit[group].max())
            half = at / self.fastest + self.length[self.te[group]]
            colour = _colours(self.centre[group], half)
            for c in range(colour.max() + 1):
                yield group[colour == c], at

    def search(self, s: Attached, rows: np.ndarray, k: np.ndarray, batch: np.ndarray, limit: float) -> np.ndarray:
        """One search from the targets in ``batch``: each of ``rows``' weight to its own
        target ``k`` (in ``batch``), NaN where this search cannot tell it."""
        dist, _, origin = csgraph.dijkstra(self.matrix, directed=True, indices=self.n + batch, min_only=True,
                                           return_predecessors=True, limit=limit)
        own = self.n + k
        best = self.along(s, rows, k)
        bound = np.full(len(rows), np.inf)   # a lower bound of the ways not taken from the own target
        for node, weight, ok in self.exits(s, rows):
            mine = ok & (origin[node] == own)
            best = np.minimum(best, np.where(mine, weight + dist[node], np.inf))
            # reached first from another target: the own one's weight there is no less;
            # not reached: it is beyond the limit
            bound = np.minimum(bound, np.where(ok & ~mine, weight + np.minimum(dist[node], limit), np.inf))
        return np.where(np.isfinite(best) & (best <= bound), best, np.nan)


def _colours(centre: np.ndarray, half: np.ndarray) -> np.ndarray:
    """A colour a box (``centre`` +- ``half``), no two overlapping boxes of one colour:
    greedy, the boxes with most overlaps first."""
    n = len(centre)
    colour = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return colour
    boxes = shapely.box(*(centre - half[:, None]).T, *(centre + half[:, None]).T)
    a, b = shapely.STRtree(boxes).query(boxes)   # boxes: overlapping envelopes are overlaps
    a, b = a[a != b], b[a != b]
    order = np.argsort(a, kind="stable")
    start = np.r_[0, np.cumsum(np.bincount(a, minlength=n))]
    near = b[order].tolist()
    degree = np.diff(start)
    taken: list[int] = colour.tolist()
    for box in np.argsort(-degree, kind="stable").tolist():
        used = {taken[other] for other in near[start[box]:start[box + 1]]}
        c = 0
        while c in used:
            c += 1
        taken[box] = c
    return np.asarray(taken, dtype=np.int64)


def own_rest(net, s: Attached, t: Attached, own: np.ndarray, todo: np.ndarray, out: np.ndarray) -> None:
    """Into ``out``: the weight from each source in ``todo`` to its own target, legs walked
    (the source's too), NaN where it cannot reach it."""
    graph, e = net.graph, net.graph.edges
    labels = graph.components
    rows = np.flatnonzero(todo & s.ok & (own >= 0) & t.ok[np.maximum(own, 0)])
    rows = rows[labels[e.tail[s.edge[rows]]] == labels[e.tail[t.edge[own[rows]]]]]
    if len(rows) == 0:
        return
    targets, k = np.unique(own[rows], return_inverse=True)
    searches = Searches(net, t, targets)
    able = searches.can_reach(s, rows, k)
    rows, k = rows[able], k[able]
    pace = float(np.median(net.pace)) if len(net.pace) else net.walk_pace
    first = np.zeros(len(targets))
    np.maximum.at(first, k, first_limit_m(graph, s, t, rows, own[rows], searches.length) * pace)
    found = searches.run(s, rows, k, first)
    out[rows] = found + s.walk_m[rows] * net.walk_pace


def first_limit_m(graph, s: Attached, t: Attached, rows: np.ndarray, target: np.ndarray,
                  length: np.ndarray | None = None) -> np.ndarray:
    """Where the search from each source's ``target`` (a position in ``t``) starts for it:
    SLACK x the straight distance between their edges' tails, plus both edges, plus
    FIRST_M. ``length``: the edges' lengths, where already computed."""
    e, xy = graph.edges, graph.nodes_xy
    length = e.length if length is None else length
    te = t.edge[target]
    apart = np.hypot(*(xy[e.tail[s.edge[rows]]] - xy[e.tail[te]]).T) + length[s.edge[rows]] + length[te]
    return SLACK * apart + FIRST_M
