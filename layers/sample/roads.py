"""Roads of the sample county: trunk roads between township seats, a spur to every other
village, farm tracks, and the road cases."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point

from .county import County
from .shapes import METRIC, unit, wiggle

ISOLATION_M = 900.0             # road cases: no other hardened or unknown road this close
# The distances the near misses are built at (EPSG:4544 metres from the village seat).
ROAD_NEAR = {"road_near_meets": 480.0, "road_near_fails": 520.0}


def spanning_tree(points: np.ndarray) -> list[tuple[int, int]]:
    """Edges of the Euclidean minimum spanning tree (Prim)."""
    d = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    joined = np.zeros(len(points), bool)
    joined[0] = True
    best, parent, edges = d[0].copy(), np.zeros(len(points), int), []
    for _ in range(len(points) - 1):
        k = int(np.argmin(np.where(joined, np.inf, best)))
        edges.append((int(parent[k]), k))
        joined[k] = True
        closer = d[k] < best
        best[closer], parent[closer] = d[k][closer], k
    return edges


def trunk_roads(rng: np.random.Generator, county: County) -> list[dict]:
    """Asphalt roads between the township seats (minimum spanning tree)."""
    seats = np.flatnonzero(county.table["town_seat"])
    towns = county.table["town_name"].to_numpy()
    roads = []
    for a, b in spanning_tree(county.sites[seats]):
        a, b = seats[a], seats[b]
        roads.append(dict(geometry=wiggle(rng, county.sites[a], county.sites[b], 0.05), surface="沥青",
                          width_m=float(rng.choice([6.5, 7.0, 7.5, 8.5])), name=f"{towns[a]}至{towns[b]}公路",
                          village=-1, parent=-1))
    return roads


def village_spurs(rng: np.random.Generator, county: County, network: list[dict]) -> list[dict]:
    """One road from every other village to the nearest point of the network built so far,
    nearest village first (so later spurs may branch off earlier ones)."""
    todo = np.flatnonzero(~county.table["town_seat"].to_numpy())
    points = shapely.points(county.sites[todo])
    lines = [road["geometry"] for road in network]
    dist, parent = np.full(len(todo), np.inf), np.full(len(todo), -1)

    def reach(j: int) -> None:
        d = shapely.distance(points, lines[j])
        closer = d < dist
        dist[closer], parent[closer] = d[closer], j

    for j in range(len(lines)):
        reach(j)
    done, spurs = np.zeros(len(todo), bool), []
    while not done.all():
        k = int(np.argmin(np.where(done, np.inf, dist)))
        target = shapely.get_coordinates(shapely.shortest_line(points[k], lines[parent[k]]))[1]
        line = wiggle(rng, county.sites[todo[k]], target, 0.08)
        spurs.append(dict(geometry=line, village=int(todo[k]), parent=int(parent[k]), index=len(lines)))
        lines.append(line)
        done[k] = True
        reach(len(lines) - 1)
    return spurs


def farm_tracks(rng: np.random.Generator, county: County, count: int = 30) -> list[dict]:
    """Gravel and dirt tracks leaving some villages (never hardened, never unknown)."""
    tracks = []
    for i in sorted(rng.choice(county.n, count, replace=False)):
        end = county.sites[i] + rng.uniform(800, 2500) * unit(rng.uniform(0, 2 * np.pi))
        surface = str(rng.choice(["砂石", "土路"]))
        tracks.append(dict(geometry=wiggle(rng, county.sites[i], end, 0.12), surface=surface,
                           width_m=[3.0, 3.5, np.nan][int(rng.integers(3))],
                           name=f"{county.table['short'][i]}机耕道", village=int(i), parent=-1))
    return tracks


def plan_roads(county: County, trunks: list[dict], spurs: list[dict]) -> None:
    """Choose the road cases among leaf spurs far from every other road."""
    roles, lines = county.roles, [r["geometry"] for r in trunks] + [s["geometry"] for s in spurs]
    parents = {s["parent"] for s in spurs}
    spur_of = {s["village"]: s for s in spurs}
    tree = shapely.STRtree(lines)

    def leaf(i):
        return i in spur_of and spur_of[i]["index"] not in parents

    def isolated(i):
        near = tree.query(Point(county.sites[i]), predicate="dwithin", distance=ISOLATION_M)
        return leaf(i) and set(near.tolist()) <= {spur_of[i]["index"]}

    def unentered(i):
        touching = tree.query(county.polygons[i].buffer(50), predicate="intersects")
        return leaf(i) and county.polygons[i].geom_type == "Polygon" and set(touching.tolist()) <= {
            spur_of[i]["index"]}

    for role in ("road_near_meets", "road_near_fails", "road_basic_narrow", "road_basic_narrow_2",
                 "road_fails_gravel", "road_fails_dirt", "road_no_data_surface"):
        roles.pick(role, isolated)
    for role in ("road_poly_fails", "road_poly_no_data"):
        roles.pick(role, unentered, seat=False)
    roles.pick("road_poly_meets", lambda i: leaf(i) and county.polygons[i].geom_type == "Polygon", seat=False)


def spur_rows(rng: np.random.Generator, county: County, spur: dict) -> list[dict]:
    """The spur as road features, shaped by the village's road case (if any)."""
    i, line = spur["village"], spur["geometry"]
    name = f"{county.table['short'][i]}通村路"
    role = county.roles.of(i)
    width = [4.5, 5.0, 5.5, 6.0, 6.5, np.nan, 3.5][int(rng.choice(7, p=[.2, .2, .15, .1, .1, .15, .1]))]
    surface = "沥青" if rng.random() < 0.15 else "水泥"
    if role in ROAD_NEAR:
        seat, end = county.sites[i], np.asarray(line.coords[-1])
        cut = seat + ROAD_NEAR[role] * (end - seat) / np.hypot(*(end - seat))
        return [dict(geometry=LineString([seat, cut]), surface="砂石", width_m=4.0, name=f"{name}(未硬化段)"),
                dict(geometry=LineString([cut, end]), surface="水泥", width_m=5.0, name=name)]
    special = {"road_basic_narrow": ("水泥", 3.5), "road_basic_narrow_2": ("沥青", 4.0),
               "road_fails_gravel": ("砂石", 4.0), "road_fails_dirt": ("土路", np.nan),
               "road_no_data_surface": (None, np.nan), "road_poly_fails": ("土路", 3.0),
               "road_poly_no_data": (None, 4.5), "road_poly_meets": ("水泥", 5.0)}
    if role in special:
        surface, width = special[role]
    return [dict(geometry=line, surface=surface, width_m=width, name=name)]


def build_roads(rng: np.random.Generator, county: County) -> gpd.GeoDataFrame:
    """The trunk roads, spurs and tracks, with the columns links.finish_roads reads and drops:
    ``kind`` (trunk, spur, track), ``village`` (the spur's or track's village row, else -1),
    ``leaf`` (a spur no later spur branches off)."""
    trunks = trunk_roads(rng, county)
    spurs = village_spurs(rng, county, trunks)
    plan_roads(county, trunks, spurs)
    rows = [dict(geometry=r["geometry"], surface=r["surface"], width_m=r["width_m"], name=r["name"], kind="trunk",
                 village=-1, leaf=False) for r in trunks]
    parents = {s["parent"] for s in spurs}
    for spur in spurs:
        rows += [dict(row, kind="spur", village=spur["village"], leaf=spur["index"] not in parents)
                 for row in spur_rows(rng, county, spur)]
    rows += [dict(geometry=t["geometry"], surface=t["surface"], width_m=t["width_m"], name=t["name"], kind="track",
                  village=t["village"], leaf=False) for t in farm_tracks(rng, county)]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)
