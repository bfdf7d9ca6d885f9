"""The sample county: real divisions, generated outline, townships and village polygons
(an exact coverage with an exclave and a shared boundary vertex), and the Roles register of
the villages chosen for deliberate cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

from .shapes import GEOGRAPHIC, METRIC, best_overlap, polar_blob, polygonal, relax, sample_inside, voronoi_cells

HERE = Path(__file__).parent
CENTRE_LONLAT = (106.15, 25.225)
GRID_M = 0.5                    # village vertices snapped to a 0.5 m grid: neighbours share them exactly
TO_METRIC = Transformer.from_crs(GEOGRAPHIC, METRIC, always_xy=True)


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
