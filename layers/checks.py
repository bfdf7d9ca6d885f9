"""Findings: problems found in the inputs, as small records rather than strings.

``covermap check`` collects every finding and reports them together; ``covermap run``
uses a strict collector that raises at the first error and keeps the warnings (they go
to the log and to run.json). The spatial checks here compare the villages with each
other and every layer with the villages, all in the metric working CRS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis import coverage, geometry
from gis.crs import true_areas, true_distances
from gis.errors import CovermapError, DataError

ERROR = "error"      # covermap run stops; covermap check exits 1
WARNING = "warning"  # the run goes on: the row is kept, repaired or treated as not recorded

# How many example rows or codes a finding lists before "...".
EXAMPLES = 5


@dataclass(frozen=True)
class Finding:
    """One problem: where it is (file, layer, row, village code, column), what, and the fix."""

    severity: str
    message: str
    fix: str = ""
    file: str | None = None
    layer: str | None = None
    row: int | None = None        # 1-based data row of the first example
    code: str | None = None       # village code of the first example
    column: str | None = None
    check: str = ""               # short name of the check, e.g. "duplicate_code"

    def __str__(self) -> str:
        where = ""
        if self.file and not self.message.startswith(self.file):
            where = self.file + (f" layer {self.layer!r}" if self.layer else "") + ": "
        return where + self.message + (f"; {self.fix}" if self.fix else "")

    def as_dict(self) -> dict:
        """The fields, and ``text``: the whole finding in one line, as ``check`` prints it."""
        return {**asdict(self), "text": str(self)}


@dataclass
class Findings:
    """Collector of findings. ``strict``: raise DataError at the first error (``run``)."""

    strict: bool = False
    items: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        if self.strict and finding.severity == ERROR:
            raise DataError(str(finding))
        self.items.append(finding)

    def error(self, message: str, **where) -> None:
        self.add(Finding(ERROR, message, **where))

    def warn(self, message: str, **where) -> None:
        self.add(Finding(WARNING, message, **where))

    def exception(self, exc: CovermapError, source=None, check: str = "") -> None:
        """Record an error raised while reading: its message already names the file and
        ends with the fix after the last '; '."""
        text = str(exc)
        if any(str(item) == text for item in self.items):
            return
        message, _, fix = text.rpartition("; ")
        if not message:
            message, fix = fix, ""
        self.items.append(Finding(ERROR, message, fix=fix, check=check or type(exc).__name__,
                                  **(where(source) if source is not None else {})))

    @property
    def errors(self) -> list[Finding]:
        return [item for item in self.items if item.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [item for item in self.items if item.severity == WARNING]


def counted(n: int, one: str, many: str) -> str:
    """'1 feature lies' or '3 features lie': the count and the words that agree with it."""
    return f"{n} {one if n == 1 else many}"


def row_examples(rows, one: str = "row", many: str = "rows") -> str:
    """'row 3' or 'rows 3, 7, 9' (1-based row numbers), or with other words for what is
    listed ('village 5223...', 'villages ...')."""
    return f"{one if len(rows) == 1 else many} {examples(rows)}"


def examples(labels) -> str:
    """'3, 7, 9' or '3, 7, 9, 11, 12, ... (40 in all)'."""
    labels = [str(label) for label in labels]
    text = ", ".join(labels[:EXAMPLES])
    return text + (f", ... ({len(labels)} in all)" if len(labels) > EXAMPLES else "")


def where(source) -> dict:
    """The file and layer fields of a finding about ``source`` (a profile Source)."""
    return {"file": str(source.path), "layer": source.layer}


# --- spatial checks, all in the working CRS (metres) --------------------------------------
# ``ground``: areas and distances as they are on the ground (working_crs "auto", whose one
# zone for the checks may be far from some villages); else as the working CRS shows them
# (a working_crs the profile fixed, as the steps measure in it too).

def village_overlaps(villages: gpd.GeoDataFrame, tolerance_m2: float,
                     suspect: np.ndarray | None = None, ground: bool = False) -> pd.DataFrame:
    """Pairs of villages whose polygons overlap by more than ``tolerance_m2``:
    columns ``code_a``, ``code_b``, ``area_m2`` (code_a < code_b)."""
    geoms = villages.geometry.to_numpy()
    suspect = coverage_suspects(geoms) if suspect is None else suspect
    left, right = geometry.pairs_intersecting(geoms, np.where(suspect, geoms, None))
    left, right = np.minimum(left, right), np.maximum(left, right)
    keep = left < right
    left, right = geometry.distinct_pairs(left[keep], right[keep])
    shared = shapely.intersection(geoms[left], geoms[right]) if len(left) else np.zeros(0, dtype=object)
    area = true_areas(shapely.area(shared), shared, villages.crs) if ground else shapely.area(shared)
    big = area > tolerance_m2
    codes = code_labels(villages["code"])
    a, b = codes[left[big]], codes[right[big]]
    return pd.DataFrame({"code_a": np.where(a < b, a, b), "code_b": np.where(a < b, b, a),
                         "area_m2": area[big]}).sort_values(["code_a", "code_b"], ignore_index=True)


def code_labels(codes: pd.Series) -> np.ndarray:
    """Village codes as text for a message, '(no code, row 3)' where a village has none."""
    labels = codes.astype("string").to_numpy(dtype=object, na_value=None)
    for i in np.flatnonzero(pd.isna(labels)):
        labels[i] = f"(no code, row {i + 1})"
    return labels


def township_unions(villages: gpd.GeoDataFrame, suspect: np.ndarray | None = None) -> gpd.GeoSeries | None:
    """The union of each township's villages (those with a boundary and a township code),
    indexed by township code in order; None when there are none."""
    keep = geometry.usable(villages.geometry.to_numpy()) & villages["township_code"].notna().to_numpy()
    present = villages[keep]
    if present.empty:
        return None
    suspect = coverage_suspects(villages.geometry.to_numpy()) if suspect is None else suspect
    # Townships whose villages form a clean coverage are unioned edge by edge (fast);
    # the others with a full union.
    suspect = pd.Series(suspect[keep], index=present.index)
    messy = suspect.groupby(present["township_code"]).transform("any").to_numpy(dtype=bool)
    codes, geoms = present["township_code"].to_numpy(dtype=object), present.geometry.to_numpy()
    clean_codes, clean_shapes = geometry.union_by_group(geoms[~messy], codes[~messy], coverage=True)
    messy_codes, messy_shapes = geometry.union_by_group(geoms[messy], codes[messy])
    index = pd.Index(np.r_[clean_codes, messy_codes], dtype=present["township_code"].dtype, name="township_code")
    return gpd.GeoSeries(np.r_[clean_shapes, messy_shapes], index=index, crs=villages.crs).sort_index()


def township_gaps(villages: gpd.GeoDataFrame, tolerance_m2: float, suspect: np.ndarray | None = None,
                  towns: gpd.GeoSeries | None = None, ground: bool = False) -> pd.DataFrame:
    """Holes inside the union of each township's villages larger than ``tolerance_m2``:
    land inside a township that no village covers. Columns ``township_code``,
    ``area_m2``, ``x``, ``y`` (a point inside the gap, working CRS). ``towns``: the
    villages' ``township_unions`` when already made."""
    towns = township_unions(villages, suspect) if towns is None else towns
    if towns is None:
        return pd.DataFrame(columns=["township_code", "area_m2", "x", "y"])
    shapes = towns.to_numpy()
    # a few hundred townships at a time: their parts are copies (the whole country's: 0.3 GB)
    found = [_holes(shapes[start:start + 500], start, tolerance_m2, towns.crs, ground)
             for start in range(0, len(shapes), 500)]
    if not found:
        return pd.DataFrame(columns=["township_code", "area_m2", "x", "y"])
    town, area, x, y = (np.concatenate(column) for column in zip(*found))
    return pd.DataFrame({"township_code": towns.index.to_numpy()[town], "area_m2": area, "x": x, "y": y})


def _holes(shapes: np.ndarray, first: int, tolerance_m2: float, crs, ground: bool) -> tuple[np.ndarray, ...]:
    """The holes larger than ``tolerance_m2`` in ``shapes`` (townships ``first`` on): each
    one's township, area and a point inside it."""
    parts, part_town = shapely.get_parts(shapes, return_index=True)
    polygons = shapely.get_type_id(parts) == 3
    parts, part_town = parts[polygons], part_town[polygons]
    n_holes = shapely.get_num_interior_rings(parts)
    hole_part = np.repeat(np.arange(len(parts)), n_holes)
    hole_no = np.concatenate([np.arange(k) for k in n_holes]) if len(n_holes) else np.zeros(0, dtype=int)
    rings = shapely.get_interior_ring(parts[hole_part], hole_no.astype(int))
    holes = shapely.polygons(rings)
    area = true_areas(shapely.area(holes), holes, crs) if ground else shapely.area(holes)
    big = area > tolerance_m2
    inside = shapely.point_on_surface(holes[big])
    return first + part_town[hole_part[big]], area[big], shapely.get_x(inside), shapely.get_y(inside)


def coverage_suspects(geoms: np.ndarray) -> np.ndarray:
    """Mask of polygons that may overlap a neighbour: those whose edges do not match
    their neighbours' (GEOS coverage validation), and anything not a plain polygon."""
    geoms = np.asarray(geoms, dtype=object)
    usable = geometry.usable(geoms)
    polygonal = usable & np.isin(shapely.get_type_id(geoms), [3, 6])
    suspect = usable & ~polygonal
    if polygonal.any():
        suspect[np.flatnonzero(polygonal)] = coverage.coverage_invalid(geoms[polygonal])
    return suspect


def seats_outside(villages: gpd.GeoDataFrame, seats: gpd.GeoSeries, margin_m: float = 1.0) -> np.ndarray:
    """Mask of villages whose seat lies more than ``margin_m`` outside their own polygon."""
    polygons, points = villages.geometry.to_numpy(), seats.to_numpy()
    both = geometry.usable(polygons) & geometry.usable(points)
    outside = np.zeros(len(polygons), dtype=bool)
    if both.any():
        outside[both] = shapely.distance(points[both], polygons[both]) > margin_m
    return outside


def isolated(villages: gpd.GeoDataFrame, distance_m: float, ground: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Mask of villages farther than ``distance_m`` from every other village (a row in
    the wrong place), and the distance to the nearest other village for the villages
    not settled by a close neighbour (NaN for the others; 0 for those touching one)."""
    geoms = villages.geometry.to_numpy()
    ok = np.flatnonzero(geometry.usable(geoms))
    nearest = np.full(len(geoms), np.nan)
    if len(ok) < 2:
        return np.zeros(len(geoms), dtype=bool), nearest
    tree = shapely.STRtree(geoms[ok])
    # Two geometries whose boxes meet are at most the sum of their box diagonals apart:
    # a box neighbour with a short enough sum settles a village (nearly all of them)
    # without any exact geometry test.
    src, tgt = tree.query(geoms[ok])
    other = src != tgt
    src, tgt = src[other], tgt[other]
    bounds = shapely.bounds(geoms[ok])
    diagonal = np.hypot(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    close = diagonal[src] + diagonal[tgt] <= distance_m
    settled = np.bincount(src[close], minlength=len(ok)) > 0
    # The others: touching a neighbour (distance 0), else the exact nearest distance.
    open_pair = ~settled[src]
    src, tgt = src[open_pair], tgt[open_pair]
    touches = shapely.intersects(geoms[ok][src], geoms[ok][tgt]) if len(src) else np.zeros(0, dtype=bool)
    touching = np.bincount(src[touches], minlength=len(ok)) > 0
    nearest[ok[touching & ~settled]] = 0.0
    lonely = np.flatnonzero(~touching & ~settled)
    if len(lonely):
        (i, j), dist = tree.query_nearest(geoms[ok[lonely]], return_distance=True, exclusive=True,
                                          all_matches=False)
        if ground:
            dist = true_distances(geoms[ok[lonely[i]]], geoms[ok[j]], villages.crs)
        nearest[ok[lonely[i]]] = dist
    alone = np.zeros(len(geoms), dtype=bool)
    alone[ok[lonely]] = np.nan_to_num(nearest[ok[lonely]], nan=0.0) > distance_m
    return alone, nearest


def layer_overlaps_villages(villages: gpd.GeoDataFrame, layer: gpd.GeoDataFrame, margin_m: float) -> bool:
    """Does the layer's extent come within ``margin_m`` of the villages' extent?"""
    a = _bounds(villages.geometry.to_numpy())
    b = _bounds(layer.geometry.to_numpy())
    if a is None or b is None:
        return True
    return not (b[0] > a[2] + margin_m or b[2] < a[0] - margin_m or b[1] > a[3] + margin_m
                or b[3] < a[1] - margin_m)


def far_outside(villages: gpd.GeoDataFrame, layer: gpd.GeoDataFrame, distance_m: float,
                ground: bool = False) -> np.ndarray:
    """Mask of the layer's features farther than ``distance_m`` from the villages' extent."""
    bounds = _bounds(villages.geometry.to_numpy())
    geoms = layer.geometry.to_numpy()
    mask = np.zeros(len(geoms), dtype=bool)
    if bounds is None:
        return mask
    ok = geometry.usable(geoms)
    # a feature whose own box lies within the villages' box is 0 m from it: only the
    # others are measured
    own = shapely.bounds(geoms)
    within = ((own[:, 0] >= bounds[0]) & (own[:, 1] >= bounds[1]) & (own[:, 2] <= bounds[2])
              & (own[:, 3] <= bounds[3]))
    measure = ok & ~within
    extent = shapely.box(*bounds)
    if ground:
        distance = true_distances(geoms[measure], np.full(int(measure.sum()), extent), layer.crs)
    else:
        distance = shapely.distance(geoms[measure], extent)
    mask[measure] = distance > distance_m
    return mask


def _bounds(geoms: np.ndarray):
    geoms = geoms[geometry.usable(geoms)]
    if len(geoms) == 0:
        return None
    bounds = shapely.total_bounds(geoms)
    return None if not np.isfinite(bounds).all() else bounds
