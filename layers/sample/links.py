"""The sample county's roads made a network (issue 22): county roads closing loops between
the township seats, township roads (乡道) where a village's way to its own township seat
ran round through another township, every crossing a junction but one bridge, each road's
grade (技术等级), and the network's cases: a hardened stub that joins nothing, a seat off
the road.

roads.py draws the trunk roads, a spur from every village to the nearest road and the farm
tracks: a tree, the spurs joining whatever road was nearest, so a village's way to its own
township's health centre could run 140 km round. This module adds to it with draws of its
own (``LINK_SEED``), after every case of the other layers is chosen, so those layers and
cases come out as before. No new road comes near a road case's seat or polygon, nor near a
village whose only hardened road is narrow: every road verdict but the new cases' stays.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import ops
from shapely.geometry import LineString, Point

from gis import roadgraph, routes

from .county import County
from .roads import ISOLATION_M, spanning_tree
from .shapes import wiggle

LINK_SEED = 22                  # the links' own draws, beside the county's seed
DETOUR = 1.6                    # a way this many times the straight line ...
DETOUR_SLACK_M = 1500.0         # ... plus this gets a township road
STUB_M = 1200.0                 # road_fails_unconnected: the cement stretch from the seat
WALK_M = 300.0                  # care_walk_seat: the first 300 m of the spur from the seat not built
BRIDGE_HALF_M = 40.0            # the bridge: 80 m over the road below
NARROW_M = 4.5                  # the profile's min_width_m: villages with only narrower roads stay as they are
GRADE = {"trunk": "三级", "loop": "三级", "township": "四级", "spur": "四级", "track": "等外"}


def finish_roads(county: County, roads: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """The road layer as written: the network cases, the links, the crossings noded (one
    bridge), the grades; name, surface, width_m, grade, layer, bridge, geometry."""
    rng = np.random.default_rng([seed, LINK_SEED])
    roads = network_cases(county, roads)
    keep_out = protected(county, roads)
    roads = county_loops(rng, county, roads, keep_out)
    roads = township_roads(rng, county, roads, keep_out)
    roads = crossings(roads)
    hardened = roads["surface"].isin(["沥青", "水泥"]).to_numpy()
    grade = roads["kind"].map(GRADE).to_numpy(dtype=object)
    roads["grade"] = np.where((roads["kind"] == "spur").to_numpy() & ~hardened, "等外", grade)
    roads["geometry"] = shapely.set_precision(roads.geometry.to_numpy(), 0.01)
    return roads[["name", "surface", "width_m", "grade", "layer", "bridge", "geometry"]].reset_index(drop=True)


def _own_spur(roads: gpd.GeoDataFrame, i: int) -> np.ndarray:
    return np.flatnonzero(((roads["kind"] == "spur") & (roads["village"] == i)).to_numpy())


def network_cases(county: County, roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """road_fails_unconnected: a village whose spur (at least 2.5 km, to no other road) is
    cement for its first STUB_M from the seat and dirt beyond; care_walk_seat: a village
    whose spur starts WALK_M from the seat (the seat off the road, reached on foot)."""
    roles = county.roles
    lines = roads.geometry.to_numpy()
    tree = shapely.STRtree(lines)
    tracked = set(roads.loc[roads["kind"] == "track", "village"])

    def alone(i: int, length_m: float) -> bool:
        rows = _own_spur(roads, i)
        if len(rows) != 1 or not roads["leaf"].iloc[rows[0]] or i in tracked:
            return False
        row = roads.iloc[rows[0]]
        near = tree.query(Point(county.sites[i]), predicate="dwithin", distance=ISOLATION_M)
        return (set(near.tolist()) <= {int(rows[0])} and row["surface"] in ("沥青", "水泥")
                and row["width_m"] >= NARROW_M and lines[rows[0]].length >= length_m)

    stub = roles.pick("road_fails_unconnected", lambda i: alone(i, 2 * STUB_M + 100))
    walk = roles.pick("care_walk_seat", lambda i: alone(i, 3 * WALK_M))
    rows = []
    for k, road in roads.iterrows():
        line = road.geometry
        if road["kind"] == "spur" and road["village"] == stub:
            rows += [dict(road, geometry=ops.substring(line, 0, STUB_M), surface="水泥", width_m=5.0,
                          name=f"{road['name']}(硬化段)"),
                     dict(road, geometry=ops.substring(line, STUB_M, line.length), surface="土路", width_m=4.0)]
        elif road["kind"] == "spur" and road["village"] == walk:
            rows.append(dict(road, geometry=ops.substring(line, WALK_M, line.length)))
        else:
            rows.append(road.to_dict())
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=roads.crs)


def protected(county: County, roads: gpd.GeoDataFrame):
    """Where no new road may go: within ISOLATION_M of a road case's seat (its polygon
    where it has no seat), within 600 m of the seat of a village whose spur is narrower
    than NARROW_M (its polygon where seatless)."""
    guard = []
    for role, i in county.roles.row.items():
        if role.startswith(("road_", "care_")) and county.polygons[i] is not None:
            guard.append(Point(county.sites[i]).buffer(ISOLATION_M) if county.has_seat(i)
                         else county.polygons[i].buffer(100))
    spurs = roads[(roads["kind"] == "spur").to_numpy()]
    for i in sorted(set(spurs.loc[spurs["width_m"].fillna(9.0) < NARROW_M, "village"])):
        guard.append(Point(county.sites[i]).buffer(600) if county.has_seat(i) or county.polygons[i] is None
                     else county.polygons[i].buffer(100))
    return shapely.union_all(guard)


def _graph(roads: gpd.GeoDataFrame) -> roadgraph.RoadGraph:
    return roadgraph.build(roads[["geometry"]].reset_index(drop=True), snap_m=3.0)


def _way_m(roads: gpd.GeoDataFrame, sources: np.ndarray, targets: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Along the roads from each source point to its own target point (NaN: no way)."""
    found = routes.to_own_target(_graph(roads), shapely.points(sources), shapely.points(targets), own)
    return found[["network_m", "walk_m", "target_walk_m"]].sum(axis=1, skipna=False).to_numpy()


def _row(geometry, kind: str, surface: str, width: float, name: str) -> dict:
    return dict(geometry=geometry, kind=kind, surface=surface, width_m=width, name=name, village=-1, leaf=False)


def county_loops(rng: np.random.Generator, county: County, roads: gpd.GeoDataFrame, keep_out) -> gpd.GeoDataFrame:
    """Asphalt county roads between neighbouring township seats (Delaunay edges, not the
    spanning tree's) whose way by road is more than DETOUR times the straight line."""
    seats = np.flatnonzero(county.table["town_seat"].to_numpy())
    xy = county.sites[seats]
    towns = county.table["town_name"].to_numpy()
    tree_edges = {frozenset(e) for e in spanning_tree(xy)}
    edges = shapely.get_coordinates(shapely.delaunay_triangles(shapely.multipoints(xy), only_edges=True))
    pairs = []
    for a, b in edges.reshape(-1, 2, 2):
        i, j = (int(np.argmin(np.hypot(*(xy - p).T))) for p in (a, b))
        if frozenset((i, j)) not in tree_edges:
            pairs.append((min(i, j), max(i, j)))
    pairs = sorted(set(pairs), key=lambda p: np.hypot(*(xy[p[0]] - xy[p[1]])))
    longest = max(np.hypot(*(xy[a] - xy[b])) for a, b in tree_edges)
    for a, b in pairs:
        straight = float(np.hypot(*(xy[a] - xy[b])))
        if straight > longest:
            continue
        way = _way_m(roads, xy[[a]], xy[[b]], np.array([0]))[0]
        if not way > DETOUR * straight:
            continue
        line = wiggle(rng, xy[a], xy[b], 0.05)
        if line.intersects(keep_out) or not line.within(county.outline):
            continue
        name = f"{towns[seats[a]]}至{towns[seats[b]]}公路"
        row = _row(line, "loop", "沥青", float(rng.choice([6.5, 7.0, 7.5])), name)
        roads = pd.concat([roads, gpd.GeoDataFrame([row], geometry="geometry", crs=roads.crs)], ignore_index=True)
    return roads


def township_roads(rng: np.random.Generator, county: County, roads: gpd.GeoDataFrame, keep_out) -> gpd.GeoDataFrame:
    """Cement township roads: while some village's way to its own township seat is longer
    than DETOUR times the straight line plus DETOUR_SLACK_M, the worst of each township is
    joined to the nearest village (or the seat itself) of its township that is nearer the
    seat and has a short way, by a road inside the township."""
    town = county.table["town_code"].to_numpy()
    seat_of = {t: int(np.flatnonzero((town == t) & county.table["town_seat"].to_numpy())[0]) for t in np.unique(town)}
    head = np.array([seat_of[t] for t in town])
    cells = {t: shapely.union_all([p for p in county.polygons[town == t] if p is not None]).buffer(200)
             for t in np.unique(town)}
    road_case = np.isin(np.arange(county.n), [i for role, i in county.roles.row.items()
                                              if role.startswith(("road_", "care_"))])
    tried: set[tuple[int, int]] = set()
    straight = np.hypot(*(county.sites - county.sites[head]).T)
    for _ in range(20):
        way = _way_m(roads, county.sites, county.sites[head], head)
        long_way = ~(way <= DETOUR * straight + DETOUR_SLACK_M) & ~road_case
        built = []
        for t in np.unique(town):
            rows = np.flatnonzero(long_way & (town == t))
            good = np.flatnonzero((town == t) & ~long_way & ~road_case)
            for v in rows[np.argsort(-(way[rows] / np.maximum(straight[rows], 1.0)))]:
                row = _link(rng, county, v, good[straight[good] < straight[v]], keep_out, cells[t], tried)
                if row is not None:
                    built.append(row)
                    roads = pd.concat([roads, gpd.GeoDataFrame([row], geometry="geometry", crs=roads.crs)],
                                      ignore_index=True)
                    break
        if not built:
            break
    return roads


def _link(rng, county: County, v: int, near: np.ndarray, keep_out, cell, tried: set) -> dict | None:
    """A township road from village v to the nearest of ``near`` it can reach without
    entering ``keep_out`` or leaving ``cell`` (each pair tried once); None: none."""
    short = county.table["short"].to_numpy()
    for u in near[np.argsort(np.hypot(*(county.sites[near] - county.sites[v]).T))]:
        if (v, u) in tried:
            continue
        tried.add((v, u))
        line = wiggle(rng, county.sites[v], county.sites[u], 0.06)
        ends = Point(county.sites[v]).buffer(1.0).union(Point(county.sites[u]).buffer(1.0))
        if line.difference(ends).intersects(keep_out) or not line.within(cell):
            continue
        return _row(line, "township", "水泥", float(rng.choice([4.5, 5.0, 5.5, 6.0])), f"{short[v]}至{short[u]}乡道")
    return None


def _insert(line: LineString, points: list) -> LineString:
    """The line with the points (on it) as vertices, in order along it; a vertex within
    5 cm of one is moved onto it."""
    coords = np.asarray(line.coords)
    at = np.r_[0.0, np.cumsum(np.hypot(*np.diff(coords, axis=0).T))]
    for p in points:
        d = np.hypot(*(coords - p).T)
        k = int(np.argmin(d))
        if d[k] < 0.05:
            coords[k] = p
            continue
        where = line.project(Point(p))
        spot = int(np.searchsorted(at, where))
        coords = np.insert(coords, spot, p, axis=0)
        at = np.insert(at, spot, where)
    return LineString(coords)


def _ends_on_lines(lines: np.ndarray) -> list[tuple[int, int, np.ndarray]]:
    """(i, j, point): line i ends within 5 cm of line j, between j's vertices (a spur drawn
    to the nearest point of a road): the point on j, to be a vertex of both."""
    ends = np.r_[shapely.get_point(lines, 0), shapely.get_point(lines, -1)]
    owner = np.r_[np.arange(len(lines)), np.arange(len(lines))]
    e, j = shapely.STRtree(lines).query(ends, predicate="dwithin", distance=0.05)
    found = []
    for e, j in zip(e.tolist(), j.tolist()):
        i = int(owner[e])
        end = np.asarray(ends[e].coords[0])
        if i == j or np.hypot(*(shapely.get_coordinates(lines[j]) - end).T).min() < 1e-6:
            continue
        found.append((i, j, np.round(np.asarray(lines[j].interpolate(lines[j].project(ends[e])).coords[0]), 2)))
    return found


def crossings(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every point where two roads meet or cross made a vertex of both (a junction), but
    one: the first crossing of a county loop road over a spur or township road, away from
    both their ends, becomes a bridge (layer 1, bridge 是) that does not join the road below."""
    roads = roads.reset_index(drop=True)
    lines = roads.geometry.to_numpy()
    a, b = shapely.STRtree(lines).query(lines, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    found: dict[int, list] = {}
    bridge = None
    for i, j in zip(a.tolist(), b.tolist()):
        meet = shapely.intersection(lines[i], lines[j])
        points = [np.round(np.asarray(p.coords[0]), 2) for p in shapely.get_parts(meet) if p.geom_type == "Point"]
        kinds = (roads["kind"][i], roads["kind"][j])
        over = i if kinds[0] == "loop" else j if kinds[1] == "loop" else None
        under = over is not None and kinds[int(over == i)] in ("spur", "township")
        for p in points:
            far = all(min(lines[k].project(Point(p)), lines[k].length - lines[k].project(Point(p))) > 300
                      for k in (i, j))
            if bridge is None and under and far:
                bridge = (over, p)
                continue
            found.setdefault(i, []).append(p)
            found.setdefault(j, []).append(p)
    for i, j, p in _ends_on_lines(lines):
        found.setdefault(i, []).append(p)
        found.setdefault(j, []).append(p)
    rows = []
    for k, road in roads.iterrows():
        line = _insert(road.geometry, found.get(k, [])) if k in found else road.geometry
        road = dict(road.to_dict(), geometry=line, layer=0, bridge=None)
        if bridge is not None and k == bridge[0]:
            where = line.project(Point(bridge[1]))
            cuts = [0.0, where - BRIDGE_HALF_M, where + BRIDGE_HALF_M, line.length]
            for n, (s, e) in enumerate(zip(cuts[:-1], cuts[1:])):
                piece = dict(road, geometry=ops.substring(line, s, e))
                if n == 1:
                    piece.update(layer=1, bridge="是", name=f"{road['name']}跨线桥")
                rows.append(piece)
        else:
            rows.append(road)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=roads.crs)
