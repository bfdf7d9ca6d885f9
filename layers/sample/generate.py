"""Deterministic generator of the bundled sample county, 望谟县 (Guizhou, 522326).

The names and codes of its 16 townships and 171 village-level units are real (NBS 2023,
read from wangmo_divisions.csv next to this file). Everything else -- the county outline,
every boundary, road, water project, clinic, coverage polygon, fibre point, population --
is GENERATED here from SEED and is not surveyed. The data is built so that every standard
has villages that meet, basically meet, fail and have no data, with deliberate near misses
on each side of each distance limit; cases.json lists them.

    python -m layers.sample.generate [--out DIR]      (default: this package's folder)

Construction happens in EPSG:4544 (CGCS2000 / 3-degree Gauss-Kruger CM 105E, metres); each
file is written in the CRS its format usually carries (see README.txt).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

SEED = 522326
METRIC = "EPSG:4544"
GEOGRAPHIC = "EPSG:4490"
WGS84 = "EPSG:4326"
HERE = Path(__file__).parent
CENTRE_LONLAT = (106.15, 25.225)
GRID_M = 0.5                    # village vertices snapped to a 0.5 m grid: neighbours share them exactly
POLYGON_ONLY = 10               # villages without a seat (their polygon stands in)
ISOLATION_M = 900.0             # road cases: no other hardened or unknown road this close
TO_METRIC = Transformer.from_crs(GEOGRAPHIC, METRIC, always_xy=True)

# The distances the near misses are built at (EPSG:4544 metres from the village seat).
ROAD_NEAR = {"road_near_meets": 480.0, "road_near_fails": 520.0}
CLINIC_NEAR = {"clinic_share_meets": 2400.0, "clinic_share_fails": 2600.0}
FIBRE_NEAR = {"fibre_near_meets": 950.0, "fibre_near_fails": 1050.0}
WATER_SHARE = {"water_share_meets": 0.55, "water_share_fails": 0.45}


# --------------------------------------------------------------------------- helpers

def polar_blob(rng: np.random.Generator, centre, radius: float, rough: float = 0.12, n: int = 48) -> Polygon:
    """A jagged closed shape whose radius stays within radius * (1 +- rough)."""
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    noise = sum(rng.uniform(0, 1) / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi)) for k in range(2, 6))
    noise = noise + 0.3 * rng.standard_normal(n)
    r = radius * (1 + rough * noise / np.abs(noise).max())
    return Polygon(np.c_[centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta)])


def wiggle(rng: np.random.Generator, a, b, share: float, step: float = 400.0) -> LineString:
    """A road from a to b that meanders sideways by up to share * length (ends fixed)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    length = float(np.hypot(*(b - a)))
    n = int(np.clip(length // step, 1, 60))
    t = np.linspace(0, 1, n + 2)
    walk = np.cumsum(rng.standard_normal(n + 2))
    walk -= walk[0] + t * (walk[-1] - walk[0])
    offset = walk / max(np.abs(walk).max(), 1e-9) * share * length * rng.uniform(0.3, 1) * np.sin(np.pi * t)
    normal = np.array([a[1] - b[1], b[0] - a[0]]) / max(length, 1e-9)
    return LineString(a + np.outer(t, b - a) + np.outer(offset, normal))


def sample_inside(rng: np.random.Generator, region, n: int) -> np.ndarray:
    """n uniform random points inside region."""
    minx, miny, maxx, maxy = region.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        xy = rng.uniform([minx, miny], [maxx, maxy], size=(4 * n + 8, 2))
        found = np.vstack([found, xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]])
    return found[:n]


def voronoi_cells(points: np.ndarray, region) -> np.ndarray:
    """Voronoi cells of points (in input order) clipped to region."""
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=region, ordered=True)
    return shapely.intersection(shapely.get_parts(cells), region)


def relax(points: np.ndarray, region, iterations: int, fixed: int = 0) -> np.ndarray:
    """Lloyd relaxation: move each point (but the first ``fixed``) to its cell's centroid."""
    points = points.copy()
    for _ in range(iterations):
        xy = shapely.get_coordinates(shapely.centroid(voronoi_cells(points, region)))
        move = shapely.contains_xy(region, xy[:, 0], xy[:, 1])
        move[:fixed] = False
        points[move] = xy[move]
    return points


def polygonal(geom):
    """The polygon parts of a geometry (clipping can leave stray lines or points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if len(parts) != 1 else parts[0]


def best_overlap(geoms: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each geometry, the index of the target it overlaps most (-1: none)."""
    g, t = shapely.STRtree(targets).query(geoms, predicate="intersects")
    area = shapely.area(shapely.intersection(geoms[g], targets[t]))
    order = np.lexsort((t, -area, g))
    g, t = g[order], t[order]
    first = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, bool)
    best = np.full(len(geoms), -1)
    best[g[first]] = t[first]
    return best


def share_part(polygon, share: float):
    """The western part of polygon (cut by a north-south line) holding ``share`` of its area."""
    minx, miny, maxx, maxy = polygon.bounds
    lo, hi = minx, maxx
    for _ in range(60):
        mid = (lo + hi) / 2
        if polygon.intersection(shapely.box(minx - 1, miny - 1, mid, maxy + 1)).area < share * polygon.area:
            lo = mid
        else:
            hi = mid
    return polygon.intersection(shapely.box(minx - 1, miny - 1, hi, maxy + 1))


def unit(angle: float) -> np.ndarray:
    return np.array([np.cos(angle), np.sin(angle)])


def nearby(rng: np.random.Generator, xy, polygon, low: float, high: float) -> np.ndarray:
    """A random point low..high metres from xy, inside polygon (at least 20 m from its edge)."""
    for _ in range(30):
        p = np.asarray(xy) + rng.uniform(low, high) * unit(rng.uniform(0, 2 * np.pi))
        if polygon.contains(Point(p)) and polygon.boundary.distance(Point(p)) > 20:
            return p
    return np.asarray(xy, float).copy()


# --------------------------------------------------------------------------- the county

@dataclass
class Roles:
    """Villages chosen for deliberate cases; each village plays at most one role, and the
    township seats stay ordinary (they host the health centres and the trunk roads)."""

    order: np.ndarray
    taken: set[int]
    row: dict[str, int] = field(default_factory=dict)
    no_seat: set[int] = field(default_factory=set)

    def pick(self, role: str, ok=lambda i: True, seat: bool = True) -> int:
        for i in map(int, self.order):
            if i not in self.taken and ok(i):
                return self.take(role, i, seat)
        raise RuntimeError(f"no village fits the case {role!r}; change SEED or the case")

    def take(self, role: str, i: int, seat: bool = True) -> int:
        self.taken.add(i)
        self.row[role] = i
        if not seat:
            self.no_seat.add(i)
        return i

    def of(self, i: int) -> str | None:
        return next((role for role, row in self.row.items() if row == i), None)


@dataclass
class County:
    table: pd.DataFrame          # village_code, village_name, town_code, town_name, short, town_seat, pop
    outline: Polygon
    sites: np.ndarray            # (n, 2) village committee locations (also where the roads go)
    polygons: np.ndarray         # village polygons, EPSG:4544; None for the undrawn village
    roles: Roles
    town_cells: np.ndarray       # township Voronoi cells (the exclave lies in its host's cell)
    boundary_vertex: np.ndarray | None = None   # the shared vertex the boundary clinic sits on

    @property
    def n(self) -> int:
        return len(self.table)

    def has_seat(self, i: int) -> bool:
        return i not in self.roles.no_seat


def read_divisions(path: Path = HERE / "wangmo_divisions.csv") -> pd.DataFrame:
    table = pd.read_csv(path, dtype=str).sort_values("village_code", ignore_index=True)
    table["short"] = table["village_name"].str.replace(r"(村民|居民)委员会$", "", regex=True)
    table["town_seat"] = ~table["town_code"].duplicated()
    return table


def county_outline(rng: np.random.Generator) -> Polygon:
    """A jagged star-shaped outline of about 2,900 km2 around 望谟's real location."""
    cx, cy = TO_METRIC.transform(*CENTRE_LONLAT)
    theta = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    factor = np.ones_like(theta)
    for k in range(2, 90):     # amplitude falling with frequency: a ragged, river-and-ridge outline
        factor += rng.normal(0, 0.3 / k ** 1.3) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    radius = np.clip(factor, 0.65, 1.22) * 30_000
    return Polygon(np.c_[cx + 1.08 * radius * np.cos(theta), cy + radius * np.sin(theta)])


def townships(rng: np.random.Generator, outline: Polygon, counts: np.ndarray):
    """16 township sites and cells; the township with most villages gets the largest cell."""
    sites = relax(sample_inside(rng, outline, len(counts)), outline, 6)
    cells = voronoi_cells(sites, outline)
    by_area = np.argsort(-shapely.area(cells), kind="stable")
    rank = np.argsort(np.argsort(-counts, kind="stable"), kind="stable")
    return sites[by_area][rank], cells[by_area][rank]


def village_pieces(rng: np.random.Generator, table: pd.DataFrame, town_sites, town_cells):
    """Village sites (the first village of a township at the township site) and their
    Voronoi cells clipped to the township."""
    sites = np.zeros((len(table), 2))
    pieces = np.empty(len(table), dtype=object)
    for t, town in enumerate(table["town_code"].unique()):
        rows = np.flatnonzero(table["town_code"].to_numpy() == town)
        start = np.vstack([town_sites[t], sample_inside(rng, town_cells[t], len(rows) - 1)])
        sites[rows] = relax(start, town_cells[t], 4, fixed=1)
        pieces[rows] = [polygonal(cell) for cell in voronoi_cells(sites[rows], town_cells[t])]
    return sites, pieces


def toward_far_corner(site: np.ndarray, polygon, share: float) -> np.ndarray:
    """The point ``share`` of the way from site to the polygon's vertex farthest from it."""
    corners = shapely.get_coordinates(polygon)
    return site + share * (corners[np.argmax(np.hypot(*(corners - site).T))] - site)


def pick_exclave(rng: np.random.Generator, roles: Roles, sites, pieces):
    """An exclave of village X inside its neighbour Y (the MultiPolygon case)."""
    def fits(i):
        point = Point(toward_far_corner(sites[i], pieces[i], 0.55))
        return (pieces[i].geom_type == "Polygon" and pieces[i].boundary.distance(point) > 700
                and point.distance(Point(sites[i])) > 1500)

    host = roles.pick("exclave_host", fits)
    centre = toward_far_corner(sites[host], pieces[host], 0.55)
    blob = polar_blob(rng, centre, 380, rough=0.15, n=24)
    touching = [int(j) for j in shapely.STRtree(pieces).query(pieces[host], predicate="touches")]
    owner = min((j for j in touching if j not in roles.taken),
                key=lambda j: pieces[j].distance(Point(centre)))
    roles.take("exclave_owner", owner)
    return blob, owner


def pick_boundary_pair(roles: Roles, pieces):
    """Two neighbouring villages A < B and the middle M of their longest shared edge,
    where the boundary clinic will sit; returns M and a short line crossing the edge
    there (noding it makes M a vertex of both polygons)."""
    tree = shapely.STRtree(pieces)
    for a in map(int, roles.order):
        if a in roles.taken:
            continue
        for b in sorted(int(j) for j in tree.query(pieces[a], predicate="touches")):
            if b in roles.taken or b == a:
                continue
            shared = shapely.line_merge(shapely.intersection(pieces[a].boundary, pieces[b].boundary))
            parts = [p for p in shapely.get_parts(shared) if p.geom_type == "LineString"]
            if not parts:
                continue
            edge = max(parts, key=lambda p: p.length)
            middle = edge.interpolate(0.5, normalized=True)
            others = np.delete(pieces, [a, b])
            if edge.length < 1500 or shapely.distance(others, middle).min() < 700:
                continue
            low, high = sorted((a, b))
            roles.take("clinic_boundary_low", low)
            roles.take("clinic_boundary_high", high)
            ahead = np.asarray(edge.interpolate(0.5 + 2 / edge.length, normalized=True).coords[0])
            m = np.asarray(middle.coords[0])
            normal = np.array([m[1] - ahead[1], ahead[0] - m[0]])
            normal /= np.hypot(*normal)
            return m, LineString([m - 5 * normal, m + 5 * normal])
    raise RuntimeError("no pair of villages for the boundary clinic")


def partition(pieces: np.ndarray, exclave: Polygon, owner: int, cut: LineString) -> np.ndarray:
    """Node every village boundary together and rebuild each village from the faces, so
    that neighbours share every vertex (an exact coverage); the exclave face goes to owner."""
    noded = shapely.union_all([*shapely.boundary(pieces), exclave.boundary, cut], grid_size=GRID_M)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    home = best_overlap(faces, pieces)
    home[shapely.area(shapely.intersection(faces, exclave)) > 0.5 * shapely.area(faces)] = owner
    villages = np.empty(len(pieces), dtype=object)
    for i in range(len(pieces)):
        mine = faces[home == i]
        villages[i] = mine[0] if len(mine) == 1 else shapely.union_all(mine, grid_size=GRID_M)
    lost = shapely.area(pieces).sum() - shapely.area(villages).sum()
    if not shapely.coverage_is_valid(villages) or abs(lost) > 1e-6 * shapely.area(pieces).sum():
        raise RuntimeError("village polygons do not form an exact coverage of the county")
    return villages


def populations(rng: np.random.Generator, table: pd.DataFrame) -> np.ndarray:
    pop = rng.lognormal(np.log(1500), 0.5, len(table))
    pop *= np.where(table["village_code"].str[-3:] < "200", 1.6, 1.0)   # 居委会 are larger
    return np.clip(pop, 380, 6500).round().astype(np.int64)


def build_county(rng: np.random.Generator) -> County:
    table = read_divisions()
    table["pop"] = populations(rng, table)
    outline = county_outline(rng)
    counts = table.groupby("town_code", sort=True).size().to_numpy()
    town_sites, town_cells = townships(rng, outline, counts)
    sites, pieces = village_pieces(rng, table, town_sites, town_cells)
    roles = Roles(order=rng.permutation(len(table)), taken=set(np.flatnonzero(table["town_seat"]).tolist()))
    exclave, owner = pick_exclave(rng, roles, sites, pieces)
    middle, cut = pick_boundary_pair(roles, pieces)
    county = County(table, outline, sites, partition(pieces, exclave, owner, cut), roles, town_cells)
    low, high = roles.row["clinic_boundary_low"], roles.row["clinic_boundary_high"]
    coords = shapely.get_coordinates(county.polygons[low])
    vertex = coords[np.argmin(np.hypot(*(coords - middle).T))]
    if not (shapely.get_coordinates(county.polygons[high]) == vertex).all(axis=1).any():
        raise RuntimeError("the boundary clinic's vertex is not shared by both villages")
    county.boundary_vertex = vertex
    table.loc[high, "pop"] = max(table.loc[high, "pop"], 900)   # too large to share a clinic
    undrawn = roles.pick("no_geometry", lambda i: county.polygons[i].disjoint(outline.exterior), seat=False)
    county.polygons[undrawn] = None
    return county


# --------------------------------------------------------------------------- roads

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
                           name=f"{county.table['short'][i]}机耕道", village=-1, parent=-1))
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
    trunks = trunk_roads(rng, county)
    spurs = village_spurs(rng, county, trunks)
    plan_roads(county, trunks, spurs)
    rows = [dict(geometry=r["geometry"], surface=r["surface"], width_m=r["width_m"], name=r["name"])
            for r in trunks]
    for spur in spurs:
        rows += spur_rows(rng, county, spur)
    rows += [dict(geometry=t["geometry"], surface=t["surface"], width_m=t["width_m"], name=t["name"])
             for t in farm_tracks(rng, county)]
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)[["name", "surface", "width_m", "geometry"]]
    frame["geometry"] = shapely.set_precision(frame.geometry.to_numpy(), 0.01)
    return frame


# --------------------------------------------------------------------------- water

def water_status(rng: np.random.Generator, grade: str) -> dict:
    """Four indicators giving ``grade`` under the national tiers (worst indicator decides)."""
    if grade == "no_data":
        return dict(lpcd=None, reliability=None, quality_ok=None, access_min=None)
    status = dict(lpcd=round(rng.uniform(40, 90), 1), reliability=round(rng.uniform(95.5, 99.5), 1),
                  quality_ok="是", access_min=int(rng.integers(0, 11)))
    keys = ["lpcd", "reliability", "access_min"] + (["quality_ok"] if grade == "fails" else [])
    worst = keys[int(rng.integers(len(keys)))]
    if grade == "basic":
        status[worst] = {"lpcd": round(rng.uniform(22, 34), 1), "reliability": round(rng.uniform(90.5, 94.5), 1),
                         "access_min": int(rng.integers(11, 21))}[worst]
    elif grade == "fails":
        status[worst] = {"lpcd": round(rng.uniform(10, 19), 1), "reliability": round(rng.uniform(80, 89), 1),
                         "access_min": int(rng.integers(25, 41)), "quality_ok": "否"}[worst]
    if rng.random() < 0.2:   # a partial ledger: one indicator that does not decide is missing
        status[str(rng.choice([k for k in ("lpcd", "reliability", "access_min") if k != worst]))] = None
    return status


def neighbours(polygons: np.ndarray) -> dict[int, set[int]]:
    present = np.flatnonzero([p is not None for p in polygons])
    a, b = shapely.STRtree(polygons[present]).query(polygons[present], predicate="intersects")
    found: dict[int, set[int]] = {int(i): set() for i in present}
    for i, j in zip(present[a], present[b]):
        if i != j:
            found[int(i)].add(int(j))
    return found


def plan_water(county: County) -> None:
    roles, polygons = county.roles, county.polygons
    inner = {i: polygons[i].buffer(-700) for i in range(county.n) if polygons[i] is not None}

    def deep_seat(i):
        return polygons[i] is not None and polygons[i].boundary.distance(Point(county.sites[i])) > 700

    roles.pick("water_listed_only", lambda i: deep_seat(i) and listed_well(county, i) is not None)
    roles.pick("water_seat_only", lambda i: deep_seat(i) and polygons[i].area > 4e6)
    roles.pick("water_best_of_two", deep_seat)
    roles.pick("water_no_data_status", deep_seat)
    for role in WATER_SHARE:
        roles.pick(role, lambda i: polygons[i] is not None and polygons[i].geom_type == "Polygon"
                   and not inner[i].is_empty, seat=False)
    for k in range(8):
        roles.pick(f"water_unserved_{k + 1}", lambda i: polygons[i] is not None)


def listed_well(county: County, i: int):
    """A point 900-2,500 m from the seat whose 300 m service circle stays inside the village."""
    for distance in range(900, 2600, 100):
        for angle in np.linspace(0, 2 * np.pi, 16, endpoint=False):
            p = Point(county.sites[i] + distance * unit(angle))
            if county.polygons[i].contains(p) and county.polygons[i].boundary.distance(p) > 350:
                return p
    return None


def water_groups(rng: np.random.Generator, county: County) -> list[list[int]]:
    """Adjacent villages of a township grouped 1-5 at a time under one piped scheme."""
    blocked = {i for role, i in county.roles.row.items() if role.startswith("water_")}
    adjacent, groups = neighbours(county.polygons), []
    for town in county.table["town_code"].unique():
        left = [int(i) for i in np.flatnonzero(county.table["town_code"].to_numpy() == town)
                if int(i) not in blocked and county.polygons[int(i)] is not None]
        while left:
            group, size = [left.pop(0)], int(rng.integers(1, 6))
            while len(group) < size:
                nxt = sorted(j for g in group for j in adjacent[g] if j in left)
                if not nxt:
                    break
                group.append(nxt[0])
                left.remove(nxt[0])
            groups.append(group)
    return groups


def build_water(rng: np.random.Generator, county: County) -> gpd.GeoDataFrame:
    plan_water(county)
    table, polygons = county.table, county.polygons
    groups = water_groups(rng, county)
    grades = list(rng.choice(["meets", "basic", "fails", "no_data"], len(groups), p=[.66, .2, .1, .04]))
    for k, grade in zip(rng.choice(len(groups), 4, replace=False), ["meets", "basic", "fails", "no_data"]):
        grades[k] = grade
    rows = []
    for group, grade in zip(groups, grades):
        area = shapely.union_all(polygons[group]).buffer(-150).simplify(25)
        served = [";".join(table["village_code"][group]), "", None][int(rng.choice(3, p=[.6, .25, .15]))]
        rows.append(dict(geometry=area, name=f"{table['short'][group[0]]}集中供水工程", served=served,
                         radius_m=None, **water_status(rng, grade)))
    rows += special_water(rng, county)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)
    return frame[["name", "served", "radius_m", "lpcd", "reliability", "quality_ok", "access_min", "geometry"]]


def special_water(rng: np.random.Generator, county: County) -> list[dict]:
    table, polygons, sites, roles = county.table, county.polygons, county.sites, county.roles
    short, code = table["short"], table["village_code"]
    listed, seat_only, best, unknown = (roles.row[r] for r in ("water_listed_only", "water_seat_only",
                                                               "water_best_of_two", "water_no_data_status"))
    rows = [dict(geometry=listed_well(county, listed), name=f"{short[listed]}机井", served=code[listed],
                 radius_m=300.0, **water_status(rng, "basic")),
            dict(geometry=Point(sites[seat_only] + [60, -40]), name=f"{short[seat_only]}山塘引水", served="",
                 radius_m=600.0, **water_status(rng, "meets")),
            dict(geometry=polygons[best].buffer(-150).simplify(25), name=f"{short[best]}老水厂", served=code[best],
                 radius_m=None, **water_status(rng, "fails")),
            dict(geometry=Point(sites[best] + [-50, 30]), name=f"{short[best]}新建泵站", served=None,
                 radius_m=400.0, **water_status(rng, "meets")),
            dict(geometry=polygons[unknown].buffer(-150).simplify(25), name=f"{short[unknown]}人饮工程",
                 served=code[unknown], radius_m=None, **water_status(rng, "no_data"))]
    for role, share in WATER_SHARE.items():
        i = roles.row[role]
        rows.append(dict(geometry=share_part(polygons[i], share), name=f"{short[i]}引水工程(部分)",
                         served=None if share > 0.5 else "", radius_m=None, **water_status(rng, "meets")))
    return rows


# --------------------------------------------------------------------------- clinics

def base_clinics(rng: np.random.Generator, county: County) -> dict[int, list[dict]]:
    """Township health centres at the township seats; a village clinic near most other seats."""
    table, clinics = county.table, {}
    for i in range(county.n):
        polygon = county.polygons[i]
        if polygon is None:
            continue
        xy = nearby(rng, county.sites[i], polygon, 60, 250)
        if table["town_seat"][i]:
            clinics[i] = [dict(name=f"{table['town_name'][i]}卫生院", type="乡镇卫生院", standardized="是",
                               doctors=int(rng.integers(6, 16)), xy=xy)]
        elif rng.random() < 0.9:
            standardized = str(rng.choice(["是", "否", ""], p=[.9, .06, .04]))
            doctors = int(rng.integers(1, 4)) if standardized != "否" else int(rng.integers(0, 2))
            clinics[i] = [dict(name=f"{table['short'][i]}卫生室", type="村卫生室", standardized=standardized,
                               doctors=doctors if rng.random() > 0.03 else None, xy=xy)]
    return clinics


def qualifies(c: dict) -> bool:
    return c["type"] == "村卫生室" and c["standardized"] == "是" and c["doctors"] is not None and c["doctors"] >= 1


def nearest_qualifying(clinics: dict[int, list[dict]], xy, skip=()) -> float:
    points = [c["xy"] for i, cs in clinics.items() if i not in skip for c in cs if qualifies(c)]
    return float(np.hypot(*(np.asarray(points) - xy).T).min())


def share_case(county: County, clinics: dict, role: str, distance: float) -> None:
    """A small village without a clinic whose neighbour's clinic sits ``distance`` m from its seat."""
    roles, polygons, sites = county.roles, county.polygons, county.sites
    adjacent = neighbours(polygons)
    for s in map(int, roles.order):
        if s in roles.taken or polygons[s] is None:
            continue
        for host in sorted(adjacent[s]):
            if host in roles.taken or not any(qualifies(c) for c in clinics.get(host, [])):
                continue
            step = sites[host] - sites[s]
            if np.hypot(*step) < distance + 300:
                continue
            p = sites[s] + distance * step / np.hypot(*step)
            if not polygons[host].contains(Point(p)) or polygons[host].boundary.distance(Point(p)) < 30:
                continue
            if nearest_qualifying(clinics, sites[s], skip=(s, host)) < distance + 100:
                continue
            roles.take(role, s)
            roles.take(role.replace("clinic_share", "clinic_host"), host)
            clinics.pop(s, None)
            clinics[host] = [dict(clinics[host][0], xy=p, name=f"{county.table['short'][host]}卫生室(分点)")]
            county.table.loc[s, "pop"] = 430 if distance < 2500 else 540
            return
    raise RuntimeError(f"no village fits the case {role!r}")


def build_clinics(rng: np.random.Generator, county: County) -> pd.DataFrame:
    clinics = base_clinics(rng, county)
    roles, table, polygons = county.roles, county.table, county.polygons
    low, high = roles.row["clinic_boundary_low"], roles.row["clinic_boundary_high"]
    clinics[high] = []
    clinics[low] = [dict(name=f"{table['short'][low]}卫生室", type="村卫生室", standardized="是", doctors=2,
                         xy=county.boundary_vertex)]
    for role, distance in CLINIC_NEAR.items():
        share_case(county, clinics, role, distance)
    cases = {"clinic_no_data_standardized": ("", 1), "clinic_no_data_doctors": ("是", None),
             "clinic_fails_not_standardized": ("否", 1), "clinic_fails_no_doctor": ("是", 0),
             "clinic_fails_none": None}
    for role, attrs in cases.items():
        i = roles.pick(role, lambda i: polygons[i] is not None)
        table.loc[i, "pop"] = max(table.loc[i, "pop"], 900)
        clinics.pop(i, None)
        if attrs:
            clinics[i] = [dict(name=f"{table['short'][i]}卫生室", type="村卫生室", standardized=attrs[0],
                               doctors=attrs[1], xy=nearby(rng, county.sites[i], polygons[i], 60, 250))]
    rows = [dict(c, village=i) for i, cs in sorted(clinics.items()) for c in cs]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- network

def plan_coverage(rng: np.random.Generator, county: County) -> tuple[list, list]:
    """Dead zones (no signal) and unknown-technology polygons, placed for the 4G cases."""
    roles, polygons, sites = county.roles, county.polygons, county.sites
    dead, unknown = [], []

    def seats_clear(centre, radius, me):
        others = [j for j in range(county.n) if j != me and county.has_seat(j) and polygons[j] is not None]
        return np.hypot(*(sites[others] - centre).T).min() > radius + 400 and not any(
            z.contains(Point(sites[me])) for z in dead)

    for role in ("net4g_fails_seat", "net4g_fails_seat_2", "net4g_no_data_unknown"):
        i = roles.pick(role, lambda i: polygons[i] is not None and seats_clear(sites[i], 1300, i))
        dead.append(polar_blob(rng, sites[i], 1300))
        if role == "net4g_no_data_unknown":
            unknown.append(polar_blob(rng, sites[i], 800))
    for role in ("net4g_basic_seat", "net4g_basic_seat_2"):
        i = roles.pick(role, lambda i: polygons[i] is not None and _far_zone(county, i, dead) is not None)
        dead.append(_far_zone(county, i, dead))

    def swallowed(i):
        others = [j for j in range(county.n) if j != i and county.has_seat(j) and polygons[j] is not None]
        return shapely.distance(shapely.points(sites[others]), polygons[i]).min() > 650 and not any(
            z.intersects(polygons[i]) for z in dead)

    i = roles.pick("net4g_poly_fails", lambda i: polygons[i] is not None and swallowed(i), seat=False)
    dead.append(polygons[i].buffer(250))
    i = roles.pick("net4g_poly_basic", lambda i: polygons[i] is not None and _far_zone(county, i, dead) is not None,
                   seat=False)
    dead.append(_far_zone(county, i, dead))
    roles.pick("net4g_poly_meets", lambda i: polygons[i] is not None and not any(
        z.intersects(polygons[i].buffer(300)) for z in dead), seat=False)
    return dead, unknown


def _far_zone(county: County, i: int, dead: list):
    """A dead zone over a far corner of village i that leaves its seat and every other
    seat covered and takes at least 15% of the village's area."""
    seat, polygon = county.sites[i], county.polygons[i]
    if any(z.distance(Point(seat)) < 300 or z.intersects(polygon) for z in dead):
        return None
    others = shapely.points(county.sites[[j for j in range(county.n) if j != i]])
    corners = shapely.get_coordinates(polygon)
    for corner in corners[np.argsort(-np.hypot(*(corners - seat).T))[:12]]:
        zone = Point(corner).buffer(0.5 * np.hypot(*(corner - seat)), quad_segs=12)
        if shapely.distance(others, zone).min() > 250 and zone.intersection(polygon).area > 0.15 * polygon.area:
            return zone
    return None


def build_coverage(rng: np.random.Generator, county: County) -> gpd.GeoDataFrame:
    """Large 4G blobs around every township seat (each covers its whole township), smaller
    5G blobs, two polygons with no technology recorded; dead zones cut out of all of them."""
    dead, unknown = plan_coverage(rng, county)
    table = county.table
    seats = np.flatnonzero(table["town_seat"])
    rows = []
    for i, cell in zip(seats, county.town_cells):
        reach = np.hypot(*(shapely.get_coordinates(cell) - county.sites[i]).T).max()
        rows.append(dict(tech="4G", geometry=polar_blob(rng, county.sites[i], reach / 0.85 * 1.05, rough=0.15)))
    for i in rng.choice(seats, 7, replace=False):
        rows.append(dict(tech="5G", geometry=polar_blob(rng, county.sites[i], rng.uniform(2000, 4000))))
    holes = shapely.union_all(dead)
    unknown.append(unknown_elsewhere(rng, county, holes))
    rows += [dict(tech=None, geometry=g) for g in unknown]
    for row in rows:
        if row["tech"] is not None:
            row["geometry"] = row["geometry"].difference(holes)
        row["geometry"] = shapely.MultiPolygon(list(shapely.get_parts(polygonal(row["geometry"]))))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC)[["tech", "geometry"]]


def unknown_elsewhere(rng: np.random.Generator, county: County, holes) -> Polygon:
    """A polygon with no technology recorded at a township seat, touching only fully
    covered villages (so it changes no verdict; the no_data case has its own)."""
    touched = shapely.union_all([p for p in county.polygons if p is not None and p.intersects(holes)])
    for i in rng.permutation(np.flatnonzero(county.table["town_seat"])):
        blob = polar_blob(rng, county.sites[i], 1500)
        if blob.disjoint(touched):
            return blob
    raise RuntimeError("no place for the second unknown-technology polygon")


def base_fibre(rng: np.random.Generator, county: County) -> dict[int, list[dict]]:
    """A fibre access point near most seats; an OLT room and a cabinet at township seats."""
    table, points = county.table, {}
    for i in range(county.n):
        if county.polygons[i] is None:
            continue
        if table["town_seat"][i]:
            names = [f"{table['town_name'][i]}OLT机房", f"{table['short'][i]}光交箱"]
        elif rng.random() < 0.88:
            names = [f"{table['short'][i]}光交箱"]
        else:
            continue
        points[i] = [dict(name=name, xy=nearby(rng, county.sites[i], county.polygons[i], 30, 200)) for name in names]
    return points


def fibre_distance(points: dict, xy, skip=()) -> float:
    found = [p["xy"] for i, ps in points.items() if i not in skip for p in ps]
    return float(np.hypot(*(np.asarray(found) - xy).T).min())


def build_fibre(rng: np.random.Generator, county: County) -> pd.DataFrame:
    points = base_fibre(rng, county)
    roles, polygons, sites, table = county.roles, county.polygons, county.sites, county.table
    i = roles.pick("fibre_poly_inside", lambda i: polygons[i] is not None, seat=False)
    points[i] = [dict(name=f"{table['short'][i]}光交箱", xy=nearby(rng, sites[i], polygons[i], 300, 900))]
    for role, distance in FIBRE_NEAR.items():
        def fits(i):
            return polygons[i] is not None and _fibre_spot(county, points, i, distance) is not None
        i = roles.pick(role, fits)
        points[i] = [dict(name=f"{table['short'][i]}光交箱", xy=_fibre_spot(county, points, i, distance))]
    for role in ("fibre_fails_none", "fibre_fails_none_2"):
        i = roles.pick(role, lambda i: polygons[i] is not None and fibre_distance(points, sites[i], skip=(i,)) > 1500)
        points.pop(i, None)
    rows = [dict(p, village=i) for i, ps in sorted(points.items()) for p in ps]
    return pd.DataFrame(rows)


def _fibre_spot(county: County, points: dict, i: int, distance: float):
    """A point ``distance`` m from seat i inside the village, with every other fibre point
    more than distance + 100 m away (so the case does not hinge on anything else)."""
    seat = county.sites[i]
    if fibre_distance(points, seat, skip=(i,)) < distance + 100:
        return None
    for angle in np.linspace(0, 2 * np.pi, 24, endpoint=False):
        p = seat + distance * unit(angle)
        if county.polygons[i].contains(Point(p)) and county.polygons[i].boundary.distance(Point(p)) > 30:
            return p
    return None


# --------------------------------------------------------------------------- cases and files

CASES = {   # role: (standard, expected verdict, what was built)
    "road_near_meets": ("road", "meets", "gravel for the first 480 m from the seat, then a 5.0 m cement road"),
    "road_near_fails": ("road", "fails", "gravel for the first 520 m from the seat, then a 5.0 m cement road"),
    "road_basic_narrow": ("road", "basic", "its only hardened road (cement) is 3.5 m wide; profile asks 4.5 m"),
    "road_basic_narrow_2": ("road", "basic", "its only hardened road (asphalt) is 4.0 m wide"),
    "road_fails_gravel": ("road", "fails", "gravel road to the seat; no hardened road within 900 m"),
    "road_fails_dirt": ("road", "fails", "dirt road to the seat; no hardened road within 900 m"),
    "road_no_data_surface": ("road", "no_data", "its only road within 900 m has no surface recorded"),
    "road_poly_meets": ("road", "meets", "no seat; a cement road enters the polygon"),
    "road_poly_fails": ("road", "fails", "no seat; only a dirt road enters the polygon"),
    "road_poly_no_data": ("road", "no_data", "no seat; only a road with no surface recorded enters the polygon"),
    "water_listed_only": ("water", "basic", "only a well (basic) that lists its code; the seat is outside the "
                          "well's 300 m circle"),
    "water_seat_only": ("water", "meets", "a point project (600 m radius, no codes listed) covers the seat"),
    "water_best_of_two": ("water", "meets", "served by a failing old scheme and a meeting pump station"),
    "water_no_data_status": ("water", "no_data", "served only by a scheme with none of the four indicators "
                             "recorded"),
    "water_share_meets": ("water", "meets", "no seat; 55% of its area inside a service area listing no code"),
    "water_share_fails": ("water", "fails", "no seat; 45% of its area inside a service area listing no code"),
    "water_unserved": ("water", "fails", "no water project serves it"),
    "clinic_share_meets": ("clinic", "meets", "population 430, no clinic; a qualifying clinic 2,400 m from the seat"),
    "clinic_share_fails": ("clinic", "fails", "population 540, no clinic; nearest qualifying clinic 2,600 m"),
    "clinic_host_meets": ("clinic", "meets", "hosts the clinic shared at 2,400 m (placed away from its seat)"),
    "clinic_host_fails": ("clinic", "meets", "hosts the clinic 2,600 m from the small neighbour"),
    "clinic_no_data_standardized": ("clinic", "no_data", "its village clinic has 'standardized' empty"),
    "clinic_no_data_doctors": ("clinic", "no_data", "its village clinic has 'doctors' empty"),
    "clinic_fails_not_standardized": ("clinic", "fails", "its village clinic is not standardized (否)"),
    "clinic_fails_no_doctor": ("clinic", "fails", "its village clinic has 0 qualified doctors"),
    "clinic_fails_none": ("clinic", "fails", "no clinic; population of at least 900"),
    "clinic_boundary_low": ("clinic", "meets", "its clinic lies exactly on the boundary with the next village; "
                            "it counts here (lower code)"),
    "clinic_boundary_high": ("clinic", "fails", "no clinic of its own; the one on its boundary counts for the "
                             "neighbour with the lower code"),
    "net4g_fails_seat": ("net4g", "fails", "seat inside a dead zone"),
    "net4g_fails_seat_2": ("net4g", "fails", "seat inside a dead zone"),
    "net4g_no_data_unknown": ("net4g", "no_data", "seat in a dead zone under a coverage polygon with no technology"),
    "net4g_basic_seat": ("net4g", "basic", "seat covered, far part of the village in a dead zone"),
    "net4g_basic_seat_2": ("net4g", "basic", "seat covered, far part of the village in a dead zone"),
    "net4g_poly_fails": ("net4g", "fails", "no seat; the whole polygon in a dead zone"),
    "net4g_poly_basic": ("net4g", "basic", "no seat; part of the polygon in a dead zone"),
    "net4g_poly_meets": ("net4g", "meets", "no seat; the whole polygon covered"),
    "fibre_near_meets": ("fibre", "meets", "nearest fibre access point 950 m from the seat"),
    "fibre_near_fails": ("fibre", "fails", "nearest fibre access point 1,050 m from the seat"),
    "fibre_fails_none": ("fibre", "fails", "no fibre access point within 1,500 m"),
    "fibre_fails_none_2": ("fibre", "fails", "no fibre access point within 1,500 m"),
    "fibre_poly_inside": ("fibre", "meets", "no seat; a fibre access point inside the polygon"),
    "no_geometry": ("all", "no_data", "boundary not drawn and no seat: no_data for every standard"),
    "exclave_owner": ("geometry", "", "MultiPolygon: owns a small exclave inside its neighbour"),
    "exclave_host": ("geometry", "", "has a hole where its neighbour's exclave lies"),
    "polygon_only": ("geometry", "", "no seat in seats.csv; its polygon stands in"),
}
DISTANCES = {**ROAD_NEAR, **CLINIC_NEAR, **FIBRE_NEAR}

PROFILE = '''\
# Profile of the bundled sample county. Names and codes are real (NBS 2023); every
# geometry and attribute is generated by generate.py (see README.txt). Paths are
# relative to this file.

[project]
name = "望谟县 (sample)"
working_crs = "auto"

[villages]
path = "villages.gpkg"
layer = "villages"
[villages.columns]
code = "village_code"
name = "village_name"
township_code = "town_code"
township_name = "town_name"
population = "pop"
poor_population = "poor_pop"

[seats]
path = "seats.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[seats.columns]
code = "village_code"

[roads]
path = "roads.shp"
encoding = "GBK"              # the .dbf text is GBK and there is no .cpg
[roads.columns]
surface = "surface"
width = "width_m"
name = "name"

[water]
path = "water.geojson"
[water.columns]
name = "name"
served_codes = "served"
radius = "radius_m"
lpcd = "lpcd"
reliability_pct = "reliability"
quality_ok = "quality_ok"
access_min = "access_min"

[clinics]
path = "clinics.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[clinics.columns]
name = "name"
type = "type"
standardized = "standardized"
doctors = "doctors"

[network.coverage]
path = "coverage.fgb"
[network.coverage.columns]
technology = "tech"

[network.fibre]
path = "fibre.xlsx"
layer = "fibre"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[network.fibre.columns]
name = "name"

[standards.roads]
max_distance_m = 500
min_width_m = 4.5

[standards.water]
min_share = 0.5

[standards.clinics]
share_max_population = 600
share_max_distance_m = 2500

[standards.network]
min_share = 0.9
fibre_max_distance_m = 1000
'''


@dataclass
class Sample:
    """Everything the files hold, EPSG:4544 unless said otherwise."""

    county: County
    villages: gpd.GeoDataFrame
    seats: pd.DataFrame          # village_code, lon, lat (EPSG:4490)
    roads: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    clinics: pd.DataFrame        # name, type, standardized, doctors, lon, lat (EPSG:4490)
    coverage: gpd.GeoDataFrame
    fibre: pd.DataFrame          # name, lon, lat (EPSG:4490)
    cases: list[dict]


def lonlat(xy: np.ndarray) -> np.ndarray:
    """EPSG:4544 metres to EPSG:4490 degrees, rounded to 1e-7 (about 1 cm)."""
    lon, lat = Transformer.from_crs(METRIC, GEOGRAPHIC, always_xy=True).transform(xy[:, 0], xy[:, 1])
    return np.round(np.c_[lon, lat], 7)


def village_frame(rng: np.random.Generator, county: County) -> gpd.GeoDataFrame:
    table = county.table
    pop = table["pop"].to_numpy(np.int64)
    frame = gpd.GeoDataFrame({
        "village_code": table["village_code"], "village_name": table["village_name"],
        "town_code": table["town_code"], "town_name": table["town_name"], "pop": pop,
        "poor_pop": np.round(pop * rng.uniform(0.05, 0.4, len(pop))).astype(np.int64),
    }, geometry=gpd.GeoSeries(county.polygons, crs=METRIC))
    return frame.to_crs(GEOGRAPHIC)


def point_table(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    xy = lonlat(np.vstack(frame["xy"].to_numpy()))
    return frame[columns].assign(lon=xy[:, 0], lat=xy[:, 1]).reset_index(drop=True)


def clinic_table(county: County, clinics: pd.DataFrame, villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """Clinics in EPSG:4490; the boundary clinic gets the exact degrees of the shared vertex."""
    table = point_table(clinics, ["name", "type", "standardized", "doctors"])
    table["doctors"] = table["doctors"].astype("Int64")
    table["standardized"] = table["standardized"].replace("", None)
    low = county.roles.row["clinic_boundary_low"]
    metric = shapely.get_coordinates(county.polygons[low])
    k = int(np.flatnonzero((metric == county.boundary_vertex).all(axis=1))[0])
    row = int(np.flatnonzero((np.vstack(clinics["xy"]) == county.boundary_vertex).all(axis=1))[0])
    table.loc[row, ["lon", "lat"]] = shapely.get_coordinates(villages.geometry.iloc[low])[k]
    return table


def case_list(county: County) -> list[dict]:
    table, cases = county.table, []
    for role, row in sorted(county.roles.row.items(), key=lambda item: (item[1], item[0])):
        key = role.rstrip("0123456789").rstrip("_") if role.startswith(("water_unserved", "polygon_only")) else role
        standard, expect, note = CASES[key]
        case = dict(code=table["village_code"][row], name=table["village_name"][row], standard=standard,
                    expect=expect, case=role, note=note, seat=county.has_seat(row))
        if role in DISTANCES:
            case["built_m"] = DISTANCES[role]
        if role in WATER_SHARE:
            case["built_share"] = WATER_SHARE[role]
        cases.append(case)
    return sorted(cases, key=lambda c: (c["standard"], c["case"]))


def build(seed: int = SEED) -> Sample:
    rng = np.random.default_rng(seed)
    county = build_county(rng)
    roads = build_roads(rng, county)
    water = build_water(rng, county)
    clinics = build_clinics(rng, county)
    coverage = build_coverage(rng, county)
    fibre = build_fibre(rng, county)
    for k in range(POLYGON_ONLY - len(county.roles.no_seat - {county.roles.row["no_geometry"]})):
        county.roles.pick(f"polygon_only_{k + 1}", lambda i: county.polygons[i] is not None, seat=False)
    villages = village_frame(rng, county)
    seated = [i for i in range(county.n) if county.has_seat(i)]
    xy = lonlat(county.sites[seated])
    seats = pd.DataFrame({"village_code": county.table["village_code"][seated].to_numpy(),
                          "lon": xy[:, 0], "lat": xy[:, 1]})
    return Sample(county, villages, seats, roads, water, clinic_table(county, clinics, villages), coverage,
                  point_table(fibre, ["name"]), case_list(county))


def write(sample: Sample, out: Path) -> list[Path]:
    """Write every file of the sample into out (replacing earlier versions)."""
    out.mkdir(parents=True, exist_ok=True)
    names = ["villages.gpkg", "seats.csv", "roads.shp", "roads.shx", "roads.dbf", "roads.prj", "roads.cpg",
             "water.geojson", "clinics.csv", "coverage.fgb", "fibre.xlsx", "profile.toml", "cases.json"]
    for name in names:
        (out / name).unlink(missing_ok=True)
    pyogrio.write_dataframe(sample.villages, out / "villages.gpkg", layer="villages", promote_to_multi=False)
    sample.seats.to_csv(out / "seats.csv", index=False, encoding="utf-8")
    pyogrio.write_dataframe(sample.roads, out / "roads.shp", encoding="GBK")
    (out / "roads.cpg").unlink(missing_ok=True)      # GBK with no .cpg, as county data often comes
    pyogrio.write_dataframe(sample.water.to_crs(WGS84), out / "water.geojson", driver="GeoJSON",
                            layer_options={"COORDINATE_PRECISION": 7})
    sample.clinics.to_csv(out / "clinics.csv", index=False, encoding="utf-8")
    pyogrio.write_dataframe(sample.coverage.to_crs(WGS84), out / "coverage.fgb", driver="FlatGeobuf")
    pyogrio.write_dataframe(sample.fibre, out / "fibre.xlsx", driver="XLSX", layer="fibre")
    (out / "profile.toml").write_text(PROFILE, encoding="utf-8")
    (out / "cases.json").write_text(json.dumps(sample.cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return [out / name for name in names if (out / name).exists()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m layers.sample.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: the package folder)")
    args = parser.parse_args(argv)
    for path in write(build(), args.out):
        print(f"{path.stat().st_size:>9,d}  {path}")


if __name__ == "__main__":
    main()
