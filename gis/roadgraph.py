"""Lines as a routable graph: built once from a layer of lines in a metric CRS, then asked
which points connect to which, and how far along the lines each point is from the nearest
of many targets. The design (nodes, levels, snapping, points off the lines) is set out in
docs/network.md; the figures in docs/performance.md.

- **Nodes** are the lines' ends and the vertices two lines share at the same *level*
  (``layer``, ``bridge``, ``tunnel``): a bridge that crosses a road, with or without a vertex
  at the crossing, is not joined to it. A line's end joins whatever other line ends at
  that point, at any level (a bridge meets its approach road there), and a vertex in the
  middle of another line at the same level or at ground level.
- **Snapping**: an end that meets no other line (a dangle) and lies within ``snap_m`` of
  another line is joined to it by a short connector edge as long as the gap: to the
  nearer end of the edge it comes near when that end is within ``snap_m`` too, else to the
  nearest point of the line, which is split there. The levels decide as above: to any
  point of a line at the dangle's own level or at ground level, to the ends of any line.
- **Edges** are the runs of a line between nodes, weighted by their length in metres and
  directed where the line is one-way; each keeps the row of its line, so a subset of the
  lines (``RoadGraph.subset``) is a graph of its own on the same nodes.
- **Points** (village seats, clinics, township seats) are joined to the nearest position
  on the nearest line of the graph by a straight walking leg, whose length is reported
  apart from the distance along the lines.

Distances from many sources to the nearest of many targets are one Dijkstra search on
the reversed graph from every target at once (``scipy.sparse.csgraph``); components are
``csgraph.connected_components`` (weak: a one-way road still connects).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import csgraph, csr_array

from gis import geometry
from gis.errors import CRSError

SNAP_M = 3.0        # default snapping tolerance, metres
QUANTUM_M = 1e-3    # vertices closer than this (after rounding to it) are the same point
_GAP_M = 1.0        # between two parts on the chainage, so no position is in two parts
_FALSE = {"no", "false", "0", "", "none", "nan", "<na>"}
_REVERSE = {"-1", "reverse"}
_ONE_WAY = {"yes", "true", "1"}


@dataclass(frozen=True)
class Attached:
    """Points joined to a graph: each point's edge (-1: none, the graph has no line or the
    point no geometry), its position along the edge in metres from the edge's tail and
    the length of its straight walking leg; ``index`` the points' (a GeoSeries's, or 0..n-1).
    An ``Attached`` can stand for its points in the graph's questions, so points asked about
    several times are joined once."""
    edge: np.ndarray
    offset_m: np.ndarray
    walk_m: np.ndarray
    index: pd.Index

    @property
    def ok(self) -> np.ndarray:
        return self.edge >= 0


@dataclass(frozen=True)
class _Edges:
    """Edges along the lines, sorted by ``start``; ``start``/``end`` their positions on the
    chainage (every part laid end to end, ``_GAP_M`` apart), so the length is
    ``end - start`` and a point's position along a part finds its edge by bisection."""
    tail: np.ndarray
    head: np.ndarray
    start: np.ndarray
    end: np.ndarray
    part: np.ndarray
    forward: np.ndarray    # travel tail -> head allowed
    backward: np.ndarray   # travel head -> tail allowed

    @property
    def length(self) -> np.ndarray:
        return self.end - self.start

    def take(self, rows) -> _Edges:
        return _Edges(*(getattr(self, f)[rows] for f in _Edges.__dataclass_fields__))


class RoadGraph:
    """A graph of lines: ``build`` makes it, ``subset`` takes the graph of some lines.

    ``nodes_xy`` the nodes' coordinates; ``snapped`` how many dangling ends were joined by
    snapping and ``dangles`` how many ends still meet nothing (dead ends, or gaps wider
    than the tolerance)."""

    def __init__(self, nodes_xy, parts, part_line, part_start, edges: _Edges, connectors: np.ndarray,
                 line_count: int, snapped: int, dangles: int, crs):
        self.nodes_xy = nodes_xy
        self.parts = parts            # the lines' single parts (LineStrings)
        self.part_line = part_line    # each part's row in the lines given to ``build``
        self.part_start = part_start  # each part's first position on the chainage
        self.edges = edges
        self.connectors = connectors  # (n, 3): node, node, part of the dangling end; two-way
        self.line_count = line_count
        self.snapped = snapped
        self.dangles = dangles
        self.crs = crs

    @property
    def node_count(self) -> int:
        return len(self.nodes_xy)

    @property
    def edge_count(self) -> int:
        return len(self.edges.tail) + len(self.connectors)

    def edge_lines(self) -> np.ndarray:
        """The row of the line each edge runs along (connectors: the dangling line's),
        edges first and connectors after, as ``edge_count`` counts them."""
        return np.r_[self.part_line[self.edges.part], self.part_line[self.connectors[:, 2]]]

    def subset(self, lines_mask) -> RoadGraph:
        """The graph of the lines in ``lines_mask`` (one flag a row of the lines given to
        ``build``; NA is False), on the same nodes: a connector stays where its dangling
        line does and the line it joins is in the subset."""
        mask = np.asarray(pd.array(lines_mask, dtype="boolean").fillna(False), dtype=bool)
        if len(mask) != self.line_count:
            raise ValueError(f"the mask has {len(mask)} rows; the lines had {self.line_count}")
        keep_part = mask[self.part_line]
        edges = self.edges.take(np.flatnonzero(keep_part[self.edges.part]))
        joined = np.zeros(self.node_count, dtype=bool)
        joined[edges.tail] = joined[edges.head] = True
        c = self.connectors
        c = c[keep_part[c[:, 2]] & joined[c[:, 0]] & joined[c[:, 1]]]
        return RoadGraph(self.nodes_xy, self.parts, self.part_line, self.part_start, edges, c,
                         self.line_count, self.snapped, self.dangles, self.crs)

    # -- the graph for scipy ------------------------------------------------------------

    @cached_property
    def _arcs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every directed arc (from, to, metres), the shortest of parallel ones kept (scipy
        would add their weights together)."""
        e, c = self.edges, self.connectors
        length = np.maximum(e.length, 0.0)
        cl = self._connector_m
        u = np.r_[e.tail[e.forward], e.head[e.backward], c[:, 0], c[:, 1]]
        v = np.r_[e.head[e.forward], e.tail[e.backward], c[:, 1], c[:, 0]]
        w = np.r_[length[e.forward], length[e.backward], cl, cl]
        return _shortest_arcs(u, v, w, self.node_count)

    @cached_property
    def _connector_m(self) -> np.ndarray:
        c = self.connectors
        return np.hypot(*(self.nodes_xy[c[:, 0]] - self.nodes_xy[c[:, 1]]).T)

    @cached_property
    def _reverse(self) -> csr_array:
        """The arcs turned round, as a sparse matrix: a search from the targets on it gives
        every node's distance *to* the nearest target."""
        u, v, w = self._arcs
        n = self.node_count
        order = np.argsort(v.astype(np.int64) * n + u)   # rows by v: ready-made, nothing summed
        indptr = np.r_[0, np.cumsum(np.bincount(v, minlength=n))].astype(np.int64)
        return csr_array((w[order], u[order].astype(np.int64), indptr), shape=(n, n))

    def _reverse_with(self, u: np.ndarray, v: np.ndarray, w: np.ndarray, extra_nodes: int) -> csr_array:
        """``_reverse`` with ``extra_nodes`` more rows after the nodes', holding the arcs
        (``u`` from such a node, ``v`` a node, ``w`` metres): rows appended to the cached
        matrix, not a new one built."""
        base, n = self._reverse, self.node_count
        u, v, w = _shortest_arcs(u, v, w, n + extra_nodes)
        order = np.argsort(u, kind="stable")
        u, v, w = u[order], v[order], w[order]
        count = np.bincount(u - n, minlength=extra_nodes)
        indptr = np.r_[base.indptr, base.indptr[-1] + np.cumsum(count)].astype(np.int64)
        indices = np.r_[base.indices, v].astype(np.int64)
        size = n + extra_nodes
        return csr_array((np.r_[base.data, w], indices, indptr), shape=(size, size))

    # -- components ---------------------------------------------------------------------

    @cached_property
    def components(self) -> np.ndarray:
        """Each node's component (weakly connected: a one-way road connects both ways);
        nodes on no line of the graph are components of their own."""
        _, labels = csgraph.connected_components(self._reverse, directed=True, connection="weak")
        return labels

    @cached_property
    def component_m(self) -> np.ndarray:
        """Metres of line in each component (connectors included)."""
        labels = self.components
        total = np.bincount(labels[self.edges.tail], weights=self.edges.length, minlength=labels.max() + 1)
        return total + np.bincount(labels[self.connectors[:, 0]], weights=self._connector_m, minlength=len(total))

    @property
    def main_component(self) -> int:
        """The component with the most metres of line (-1: the graph has no line)."""
        return int(np.argmax(self.component_m)) if len(self.edges.tail) else -1

    # -- points -------------------------------------------------------------------------

    @cached_property
    def _indexed(self) -> tuple[np.ndarray, geometry.Indexed]:
        parts = np.flatnonzero(np.bincount(self.edges.part, minlength=len(self.parts)))
        return parts, geometry.Indexed(self.parts[parts])

    def attach(self, points, parts_mask: np.ndarray | None = None) -> Attached:
        """Join each point to the nearest position on the nearest line of the graph (of the
        parts in ``parts_mask`` where given: one flag a part)."""
        if isinstance(points, Attached):
            return points
        index = _index(points)
        points = self._points(points)
        parts, indexed = self._indexed
        if parts_mask is not None:
            parts = parts[parts_mask[parts]]
            indexed = geometry.Indexed(self.parts[parts])
        n = len(points)
        edge, offset, walk = np.full(n, -1, dtype=np.int64), np.full(n, np.nan), np.full(n, np.nan)
        if len(parts) == 0 or n == 0:
            return Attached(edge, offset, walk, index)
        nearest, distance = geometry.nearest(points, indexed)
        ok = np.flatnonzero(nearest >= 0)
        part = parts[nearest[ok]]
        along = shapely.line_locate_point(self.parts[part], points[ok])
        edge[ok] = self._edge_at(part, along)
        e = edge[ok]     # within the edge, whatever the rounding of the chainage
        offset[ok] = np.clip(self.part_start[part] + along - self.edges.start[e], 0.0, self.edges.length[e])
        walk[ok] = distance[ok]
        return Attached(edge, offset, walk, index)

    def _attach_both(self, a, b) -> tuple[Attached, Attached]:
        """``attach`` of two sets of points, in one search where neither is attached yet
        (one grid of the lines for both)."""
        if isinstance(a, Attached) or isinstance(b, Attached):
            return self.attach(a), self.attach(b)
        pa, pb = self._points(a), self._points(b)
        both = self.attach(np.r_[pa, pb])
        n = len(pa)
        return (Attached(both.edge[:n], both.offset_m[:n], both.walk_m[:n], _index(a)),
                Attached(both.edge[n:], both.offset_m[n:], both.walk_m[n:], _index(b)))

    def _edge_at(self, part: np.ndarray, along: np.ndarray) -> np.ndarray:
        """The edge at each position ``along`` (metres) a part of the graph."""
        edge = np.searchsorted(self.edges.start, self.part_start[part] + along, side="right") - 1
        return np.clip(edge, 0, len(self.edges.start) - 1)

    def _points(self, points) -> np.ndarray:
        if isinstance(points, (gpd.GeoSeries, gpd.GeoDataFrame)):
            crs = points.crs
            if crs is not None and self.crs is not None and not CRS.from_user_input(crs).equals(self.crs):
                raise CRSError(f"the points are in {CRS.from_user_input(crs).name}, the lines in "
                               f"{self.crs.name}; reproject the points to the lines' CRS")
            points = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
            return np.asarray(points.values, dtype=object)
        return np.asarray(points, dtype=object)

    # -- questions ----------------------------------------------------------------------

    def connected(self, points, targets=None) -> pd.DataFrame:
        """Whether each point's line connects to a target's line (a target joined to the
        graph like the points), or, without ``targets``, to the main component.

        Columns, a row a point (indexed like ``points`` where it is a GeoSeries):
        ``connected`` (NA where the graph has no line), ``component``, ``walk_m`` (the
        point's leg to its line) and ``connected_walk_m`` (its leg to the nearest line
        that does connect; 0 where its own does, NaN where none does)."""
        geoms = self._points(points)
        if targets is None:
            at = self.attach(points)
            wanted = np.array([self.main_component]) if self.main_component >= 0 else np.empty(0, np.int64)
        else:
            at, t = self._attach_both(points, targets)
            wanted = np.unique(self.components[self.edges.tail[t.edge[t.ok]]])
        labels = self.components
        comp = np.where(at.ok, labels[self.edges.tail[np.maximum(at.edge, 0)]], -1)
        connected = np.isin(comp, wanted) & at.ok
        reach = np.where(connected, 0.0, np.nan)
        todo = np.flatnonzero(at.ok & ~connected)
        if len(todo) and len(wanted):
            parts_mask = np.zeros(len(self.parts), dtype=bool)
            parts_mask[self.edges.part[np.isin(labels[self.edges.tail], wanted)]] = True
            reach[todo] = self.attach(geoms[todo], parts_mask).walk_m
        return pd.DataFrame({"connected": pd.array(np.where(at.ok, connected, None), dtype="boolean"),
                             "component": comp, "walk_m": at.walk_m, "connected_walk_m": reach},
                            index=at.index)

    def nearest_target(self, sources, targets, limit_m: float = np.inf) -> pd.DataFrame:
        """From each source, the nearest target along the graph's lines, in the direction of
        travel (one-way lines one way only), within ``limit_m`` of road where given.

        Columns, a row a source (indexed like ``sources`` where it is a GeoSeries):
        ``target`` (its position in ``targets``; -1 where none is reachable),
        ``network_m`` (along the lines, between the two points' positions on them),
        ``walk_m`` (the source's straight leg to its line) and ``target_walk_m`` (the
        target's). The nearest is the one with the least ``network_m + target_walk_m``."""
        s, t = self._attach_both(sources, targets)
        best, total = self._nearest(s, t, limit_m)
        found = best >= 0
        t_walk = np.where(found, t.walk_m[np.maximum(best, 0)] if len(t.walk_m) else np.nan, np.nan)
        return pd.DataFrame({"target": best, "network_m": np.where(found, total - t_walk, np.nan),
                             "walk_m": s.walk_m, "target_walk_m": t_walk}, index=s.index)

    def _nearest(self, s: Attached, t: Attached, limit_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Each source's nearest target and the metres to it (target's leg included): one
        search on the reversed graph from a node of each target's own, with arcs to its
        edge's ends, then each source's way out of its edge; sources and targets on one
        edge are measured along it too."""
        n, e = self.node_count, self.edges
        best, total = np.full(len(s.edge), -1, dtype=np.int64), np.full(len(s.edge), np.inf)
        tk = np.flatnonzero(t.ok)
        if len(tk) == 0 or not s.ok.any():
            return best, total
        te, to, tw = t.edge[tk], t.offset_m[tk], t.walk_m[tk]
        length = e.length[te]
        # reversed: an arc target -> a where the way a -> target is open along the edge (a
        # point at a node is at it whatever the direction: one-way roads may leave from it)
        fw = e.forward[te] | (to <= QUANTUM_M)
        bw = e.backward[te] | (length - to <= QUANTUM_M)
        virtual = n + np.arange(len(tk))
        matrix = self._reverse_with(np.r_[virtual[fw], virtual[bw]], np.r_[e.tail[te][fw], e.head[te][bw]],
                                    np.r_[to[fw] + tw[fw], (length - to + tw)[bw]], len(tk))
        dist, _, origin = csgraph.dijkstra(matrix, directed=True, indices=virtual, min_only=True,
                                           return_predecessors=True, limit=limit_m)
        sk = np.flatnonzero(s.ok)
        se, so = s.edge[sk], s.offset_m[sk]
        to_head = e.length[se] - so
        out_head = np.where(e.forward[se] | (to_head <= QUANTUM_M), to_head + dist[e.head[se]], np.inf)
        out_tail = np.where(e.backward[se] | (so <= QUANTUM_M), so + dist[e.tail[se]], np.inf)
        via_head = out_head <= out_tail
        node = np.where(via_head, e.head[se], e.tail[se])
        d = np.minimum(out_head, out_tail)
        reached = np.isfinite(d) & (d <= limit_m)
        best[sk[reached]] = tk[origin[node[reached]] - n]
        total[sk[reached]] = d[reached]
        self._along_one_edge(s, sk, t, tk, best, total, limit_m)
        total[best < 0] = np.nan
        return best, total

    def _along_one_edge(self, s, sk, t, tk, best, total, limit_m) -> None:
        """Sources and targets on the same edge: the way along it, where it is shorter."""
        along_one_edge(self.edges, s, sk, t, tk, best, total, limit_m,
                       lambda edge, metres, tgt: metres + t.walk_m[tgt])


def along_one_edge(edges, s, sk, t, tk, best, total, limit, cost) -> None:
    """Sources ``sk`` of ``s`` and targets ``tk`` of ``t`` attached to the same edge: the way
    along it (in a direction the edge may be taken), costed by ``cost(edge, metres, target
    rows)``, kept in ``best``/``total`` where it is better and within ``limit``."""
    order = np.argsort(t.edge[tk], kind="stable")
    te = t.edge[tk][order]
    lo = np.searchsorted(te, s.edge[sk], side="left")
    count = np.searchsorted(te, s.edge[sk], side="right") - lo
    if not count.any():
        return
    src = np.repeat(sk, count)
    pick = order[np.repeat(lo, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)]
    tgt = tk[pick]
    edge = s.edge[src]
    ahead = t.offset_m[tgt] - s.offset_m[src]
    metres = np.where((ahead >= 0) & edges.forward[edge], ahead, np.inf)
    d = cost(edge, np.minimum(metres, np.where((ahead <= 0) & edges.backward[edge], -ahead, np.inf)), tgt)
    order = np.lexsort((tgt, d, src))
    src, tgt, d = src[order], tgt[order], d[order]
    first = np.r_[True, src[1:] != src[:-1]]
    src, tgt, d = src[first], tgt[first], d[first]
    better = (d < total[src]) & (d <= limit)
    best[src[better]], total[src[better]] = tgt[better], d[better]


def _shortest_arcs(u, v, w, n: int):
    """The arcs (``u`` -> ``v``, ``w`` metres) less loops, one of each pair of nodes (the
    shortest), sorted by ``u`` then ``v``: a sort of one key and the least of each run
    (3M segments' 5.9M arcs: 0.6 s, against 3.5 s sorting by key and weight)."""
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    key = u.astype(np.int64) * n + v
    order = np.argsort(key)
    key = key[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
    w = np.minimum.reduceat(w[order], first) if len(first) else w
    order = order[first]
    return u[order], v[order], w


def _index(points) -> pd.Index:
    if isinstance(points, (gpd.GeoSeries, gpd.GeoDataFrame)):
        return points.index
    return pd.RangeIndex(len(points))


# -- building -----------------------------------------------------------------------------

def build(lines: gpd.GeoDataFrame, snap_m: float = SNAP_M) -> RoadGraph:
    """The graph of ``lines`` (LineStrings or MultiLineStrings in a metric CRS; optional
    columns ``oneway`` yes/no/-1, ``layer`` int, ``bridge``, ``tunnel``), with dangling
    ends within ``snap_m`` metres of another line snapped to it. Rows without a usable
    line geometry are left out."""
    crs = _metric_crs(lines)
    if not snap_m >= 0:
        raise ValueError(f"snap_m must be 0 or more metres, not {snap_m}")
    geoms = np.asarray(lines.geometry.values, dtype=object)
    kind = shapely.get_type_id(geoms)
    rows = np.flatnonzero(geometry.usable(geoms) & np.isin(kind, (1, 5)))
    if (kind[rows] == 1).all():
        parts, part_line = geoms[rows], rows
    else:
        parts, which = shapely.get_parts(geoms[rows], return_index=True)
        part_line = rows[which]
        parts = parts[~shapely.is_empty(parts)] if len(parts) else parts
    level, ground = _levels(lines)
    part_level = level[part_line]
    xy, vpart = shapely.get_coordinates(parts, return_index=True)
    first = np.searchsorted(vpart, np.arange(len(parts)), side="left")
    last = np.r_[first[1:], len(vpart)] - 1
    # the chainage: every part laid end to end, _GAP_M apart
    step = np.hypot(*np.diff(xy, axis=0).T)
    step[vpart[1:] != vpart[:-1]] = _GAP_M
    chain = np.r_[0.0, np.cumsum(step)]
    node_of_vertex = _nodes(xy, vpart, first, last, part_level[vpart], ground)
    edges = _edges(node_of_vertex, vpart, chain, _travel(lines)[part_line])
    nodes_xy = _node_xy(xy, node_of_vertex)
    graph = RoadGraph(nodes_xy, parts, part_line, chain[first], edges, np.empty((0, 3), dtype=np.int64),
                      len(lines), 0, 0, crs)
    return _snap(graph, part_level, ground, snap_m)


def _metric_crs(lines: gpd.GeoDataFrame) -> CRS:
    if lines.crs is None:
        raise CRSError("the lines have no CRS; set their metric working CRS (a Gauss-Krüger zone, "
                       "e.g. EPSG:4544) before building the graph")
    crs = CRS.from_user_input(lines.crs)
    units = {axis.unit_name for axis in crs.axis_info}
    if not crs.is_projected or not units <= {"metre", "meter"}:
        raise CRSError(f"the lines are in {crs.name}, not a CRS in metres; reproject them to the "
                       "county's Gauss-Krüger zone before building the graph")
    return crs


def _column(lines: pd.DataFrame, name: str) -> pd.Series | None:
    return lines[name] if name in lines.columns else None


def _flag(values: pd.Series | None, n: int) -> np.ndarray:
    """Truthy tags (yes, true, 1, viaduct, ...) as True; no, false, 0, empty, NA as False."""
    if values is None:
        return np.zeros(n, dtype=bool)
    return _by_value(values, lambda text: ~text.isin(_FALSE).to_numpy(dtype=bool))


def _levels(lines: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Each row's level (layer, bridge, tunnel) as a small integer, and ground's."""
    n = len(lines)
    layer = _column(lines, "layer")
    layer = (np.zeros(n, dtype=np.int64) if layer is None else
             pd.to_numeric(layer, errors="coerce").fillna(0).round().to_numpy(dtype=np.int64))
    code = (layer + 1000) * 4 + _flag(_column(lines, "bridge"), n) * 2 + _flag(_column(lines, "tunnel"), n)
    ground_code = 1000 * 4
    _, level = np.unique(np.r_[code, ground_code], return_inverse=True)
    return level[:n], int(level[n])


def _travel(lines: pd.DataFrame) -> np.ndarray:
    """Each row's directions: 0 both ways, 1 one way along the line, -1 against it."""
    oneway = _column(lines, "oneway")
    if oneway is None:
        return np.zeros(len(lines), dtype=np.int8)
    return _by_value(oneway, lambda text: np.where(text.isin(_ONE_WAY), 1, np.where(text.isin(_REVERSE), -1, 0)))


def _by_value(values: pd.Series, decide) -> np.ndarray:
    """``decide`` (of the values as lower-case stripped text, NA as "no") on each distinct
    value once, spread back to the rows (3M roads' tags: 3.4 -> 0.4 s)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(distinct).astype("string").str.strip().str.lower().fillna("no")
    answer = np.r_[np.asarray(decide(text)), decide(pd.Series(["no"], dtype="string"))]
    return answer[codes]


def _nodes(xy, vpart, first, last, vlevel, ground) -> np.ndarray:
    """Each vertex's node (-1: not a node). A point is one node for the lines ending there
    and, of the lines passing through it, those at ground level or at an ending line's
    level; the lines passing through at any other level meet one another there, at a node
    of their own level."""
    q = np.round(xy / QUANTUM_M)
    point, _ = pd.factorize(q[:, 0] + 1j * q[:, 1])
    point = point.astype(np.int64)
    n_lev = max(int(vlevel.max()) if len(vlevel) else 0, ground) + 2   # the last: "any level"
    is_end = np.zeros(len(xy), dtype=bool)
    is_end[first] = is_end[last] = True
    key = point * n_lev + vlevel                        # (point, level)
    ends_at = np.zeros(int(key.max()) + n_lev if len(key) else 0, dtype=bool)
    ends_at[key[is_end]] = True                         # a line of that level ends there
    ends_at[point[is_end] * n_lev + (n_lev - 1)] = True  # some line ends there
    merged = ~is_end & ends_at[point * n_lev + (n_lev - 1)] & ((vlevel == ground) | ends_at[key])
    key = np.where(is_end | merged, point * n_lev + (n_lev - 1), key)
    codes, _ = pd.factorize(key)
    is_node = is_end | merged | (np.bincount(codes)[codes] >= 2)
    numbered = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
    numbered[codes[is_node]] = 1
    numbered = np.cumsum(numbered) - 1               # the node of each key that is one
    return np.where(is_node, numbered[codes], -1)


def _edges(node, vpart, chain, travel) -> _Edges:
    """The runs of each part between consecutive nodes (a part's first and last vertex
    are nodes); a run that leaves and comes back to one point with no length is dropped."""
    nv = np.flatnonzero(node >= 0)
    same = vpart[nv[1:]] == vpart[nv[:-1]]
    a, b = nv[:-1][same], nv[1:][same]
    tail, head, start, end = node[a], node[b], chain[a], chain[b]
    keep = (tail != head) | (end > start)
    part = vpart[a][keep]
    way = travel[part]
    return _Edges(tail[keep], head[keep], start[keep], end[keep], part, way >= 0, way <= 0)


def _node_xy(xy, node) -> np.ndarray:
    out = np.empty((int(node.max()) + 1 if len(node) else 0, 2))
    ok = node >= 0
    out[node[ok]] = xy[ok]
    return out


# -- snapping -------------------------------------------------------------------------------

def _snap(graph: RoadGraph, part_level: np.ndarray, ground: int, snap_m: float) -> RoadGraph:
    """Dangling ends joined to the line within ``snap_m`` (see the module's docstring)."""
    e, n = graph.edges, graph.node_count
    degree = np.bincount(np.r_[e.tail, e.head], minlength=n)
    dangle = np.flatnonzero(degree == 1)
    if snap_m == 0 or len(dangle) == 0:
        return _with(graph, e, graph.connectors, 0, len(dangle))
    own = np.empty(n, dtype=np.int64)          # each dangle's part: that of its one edge
    own[e.tail] = e.part
    own[e.head] = e.part
    own = own[dangle]
    points = shapely.points(graph.nodes_xy[dangle])
    has_edge = np.bincount(e.part, minlength=len(graph.parts)) > 0
    d_i, p_i = shapely.STRtree(graph.parts).query(points, predicate="dwithin", distance=snap_m)
    keep = (p_i != own[d_i]) & has_edge[p_i]
    d_i, p_i = d_i[keep], p_i[keep]
    anywhere = (part_level[p_i] == part_level[own[d_i]]) | (part_level[p_i] == ground)
    dist, along = _candidates(graph.parts[p_i], points[d_i], anywhere)
    ok = dist <= snap_m
    d_i, p_i, dist, along, anywhere = d_i[ok], p_i[ok], dist[ok], along[ok], anywhere[ok]
    # the nearest line of each dangle (ties: the lowest part)
    order = np.lexsort((p_i, dist, d_i))
    order = order[np.r_[True, d_i[order][1:] != d_i[order][:-1]]] if len(order) else order
    d_i, p_i, along, anywhere = d_i[order], p_i[order], along[order], anywhere[order]
    along[anywhere] = shapely.line_locate_point(graph.parts[p_i[anywhere]], points[d_i[anywhere]])
    edge = graph._edge_at(p_i, along)
    xy = graph.nodes_xy[dangle[d_i]]
    to_tail = np.hypot(*(graph.nodes_xy[e.tail[edge]] - xy).T)
    to_head = np.hypot(*(graph.nodes_xy[e.head[edge]] - xy).T)
    target = np.where(to_tail <= to_head, e.tail[edge], e.head[edge])
    # nearer the edge's end than snap_m (or only its ends allowed): to that node; else a
    # new node where the line is nearest, splitting the edge
    split = np.flatnonzero((np.minimum(to_tail, to_head) > snap_m) & anywhere)
    new_nodes = n + np.arange(len(split))
    target[split] = new_nodes
    split_xy = shapely.get_coordinates(shapely.line_interpolate_point(graph.parts[p_i[split]], along[split]))
    edges = _split(e, edge[split], graph.part_start[p_i[split]] + along[split], new_nodes)
    nodes_xy = np.r_[graph.nodes_xy, split_xy]
    joined = target != dangle[d_i]
    pairs = np.c_[dangle[d_i][joined], target[joined], own[d_i][joined]]
    # two dangles snapped to each other: one connector
    lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    _, once = np.unique(lo * (len(nodes_xy) + 1) + hi, return_index=True)
    connectors = np.r_[graph.connectors, pairs[np.sort(once)]]
    degree = np.bincount(np.r_[edges.tail, edges.head, connectors[:, 0], connectors[:, 1]],
                         minlength=len(nodes_xy))
    return RoadGraph(nodes_xy, graph.parts, graph.part_line, graph.part_start, edges, connectors,
                     graph.line_count, int(joined.sum()), int((degree == 1).sum()), graph.crs)


def _candidates(lines: np.ndarray, points: np.ndarray, anywhere: np.ndarray):
    """Distance from each point to its line (to the line's nearer end where not
    ``anywhere``) and, for the ends, the position of that end along the line."""
    dist, along = np.empty(len(lines)), np.zeros(len(lines))
    dist[anywhere] = shapely.distance(points[anywhere], lines[anywhere])
    ends = np.flatnonzero(~anywhere)
    d0 = shapely.distance(points[ends], shapely.get_point(lines[ends], 0))
    d1 = shapely.distance(points[ends], shapely.get_point(lines[ends], -1))
    dist[ends] = np.minimum(d0, d1)
    along[ends] = np.where(d0 <= d1, 0.0, shapely.length(lines[ends]))
    return dist, along


def _with(graph: RoadGraph, edges, connectors, snapped: int, dangles: int) -> RoadGraph:
    return RoadGraph(graph.nodes_xy, graph.parts, graph.part_line, graph.part_start, edges, connectors,
                     graph.line_count, snapped, dangles, graph.crs)


def _split(e: _Edges, edge: np.ndarray, at: np.ndarray, node: np.ndarray) -> _Edges:
    """The edges with edge ``edge[k]`` cut at chainage ``at[k]`` by node ``node[k]``
    (several cuts to one edge in turn), still sorted by start."""
    if len(edge) == 0:
        return e
    order = np.lexsort((at, edge))
    edge, at, node = edge[order], at[order], node[order]
    cut = np.zeros(len(e.tail), dtype=bool)
    cut[edge] = True
    # the pieces: for each cut edge, tail -> cut 1 -> ... -> cut k -> head
    first = np.r_[True, edge[1:] != edge[:-1]]
    last = np.r_[edge[1:] != edge[:-1], True]
    prev_node = np.where(first, e.tail[edge], np.r_[-1, node[:-1]])
    prev_at = np.where(first, e.start[edge], np.r_[0.0, at[:-1]])
    tails = np.r_[prev_node, node[last]]
    heads = np.r_[node, e.head[edge[last]]]
    starts = np.r_[prev_at, at[last]]
    ends = np.r_[at, e.end[edge[last]]]
    of = np.r_[edge, edge[last]]
    rest = np.flatnonzero(~cut)
    out = _Edges(np.r_[e.tail[rest], tails], np.r_[e.head[rest], heads], np.r_[e.start[rest], starts],
                 np.r_[e.end[rest], ends], np.r_[e.part[rest], e.part[of]],
                 np.r_[e.forward[rest], e.forward[of]], np.r_[e.backward[rest], e.backward[of]])
    return out.take(np.argsort(out.start, kind="stable"))
