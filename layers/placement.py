"""Is each layer where the villages are? A layer's extent against the villages' (a wrong
CRS far away, features far outside), and the villages' own CRS blamed once when every other
layer disagrees with them the same way (a neighbouring Gauss-Krüger zone)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from gis import geometry
from gis.crs import zone_alternatives
from gis.errors import CRSError
from layers import checks
from layers.checks import Findings, counted, row_examples, where
from layers.settings import Profile, Source
from layers.sources import _to_crs

if TYPE_CHECKING:   # layers.inputs calls this module
    from layers.inputs import Inputs


def check_extent(inputs: Inputs, source: Source, frame: gpd.GeoDataFrame, profile: Profile,
                  findings: Findings, original: gpd.GeoDataFrame | None = None) -> bool:
    """A layer must lie where the villages are; features far away are reported."""
    distance = profile.checks.far_outside_m
    if not checks.layer_overlaps_villages(inputs.villages, frame, distance):
        hint = _fitting_zone(inputs, original, distance) if original is not None else None
        raise CRSError(f"{source.where}: its extent does not overlap the villages (more than {distance:,.0f} m "
                       f"away), so its CRS is probably wrong; "
                       + (f"its coordinates fit {hint}: correct its .prj or set {source.key}.assume_crs"
                          if hint else f"check its .prj or {source.key}.assume_crs"))
    far = checks.far_outside(inputs.villages, frame, distance, ground=profile.working_crs is None)
    if far.any():
        rows = np.flatnonzero(far) + 1
        findings.warn(f"{counted(len(rows), 'feature lies', 'features lie')} more than {distance:,.0f} m outside the villages' extent "
                      f"({row_examples(rows)})", fix="check their coordinates, or raise checks.far_outside_m",
                      row=int(rows[0]), check="far_outside", **where(source))
    return True


def check_villages_crs(source: Source, inputs: Inputs, raw: dict[str, gpd.GeoDataFrame | None],
                       profile: Profile) -> bool:
    """The villages are the reference, but their CRS can be the wrong one: when every other
    layer (two or more) lies away from them, and all of them would lie on the villages were
    these in another Gauss-Krüger zone of their datum, that zone is named in one error on
    the villages (rather than one on each layer, blaming the right files). Extents only."""
    distance = profile.checks.far_outside_m
    candidates = zone_alternatives(inputs.villages_crs)
    layers = [key for key, frame in raw.items() if frame is not None]
    boxes = [_extent(raw[key], CRS(raw[key].crs), inputs.crs) for key in layers]
    home = _extent(inputs.villages, inputs.crs, inputs.crs)
    if not candidates or home is None or sum(box is not None for box in boxes) < 2:
        return True
    if any(box is None or _near(box, home, distance) for box in boxes):
        return True
    own = _extent(gpd.GeoDataFrame(geometry=[shapely.box(*home)], crs=inputs.crs), inputs.crs, inputs.villages_crs)
    for candidate in candidates:
        moved = _extent(gpd.GeoDataFrame(geometry=[shapely.box(*own)], crs=candidate), candidate, inputs.crs)
        if moved is not None and all(_near(box, moved, distance) for box in boxes):
            code = f"EPSG:{candidate.to_epsg()}"
            fix = (f"set villages.assume_crs = \"{code}\"" if source.assume_crs is not None
                   else f"correct the villages' .prj (or the file's CRS) to {code}")
            raise CRSError(f"{source.where}: the villages' CRS {inputs.villages_crs.to_string()} is probably wrong: "
                           f"every other layer ({', '.join(layers)}) lies more than {distance:,.0f} m from the "
                           f"villages but would lie on them were the villages in {code} ({candidate.name}); {fix}")
    return True


def _extent(frame: gpd.GeoDataFrame, crs: CRS, to: CRS) -> np.ndarray | None:
    """The box of a frame's usable geometries (in ``crs``), as a box in ``to``."""
    geoms = frame.geometry.to_numpy()
    geoms = geoms[geometry.usable(geoms)]
    if len(geoms) == 0:
        return None
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    if crs.equals(to):
        return np.array([x0, y0, x1, y1])
    t = np.linspace(0, 1, 17)   # points along the edges: a box's edges bend in another CRS
    x = np.r_[x0 + (x1 - x0) * t, x0 + (x1 - x0) * t, np.full(17, x0), np.full(17, x1)]
    y = np.r_[np.full(17, y0), np.full(17, y1), y0 + (y1 - y0) * t, y0 + (y1 - y0) * t]
    x, y = Transformer.from_crs(crs, to, always_xy=True).transform(x, y, errcheck=False)
    bounds = np.array([np.min(x), np.min(y), np.max(x), np.max(y)])
    return bounds if np.isfinite(bounds).all() else None


def _near(a: np.ndarray, b: np.ndarray, margin: float) -> bool:
    """Do two boxes come within ``margin`` of each other?"""
    return not (a[0] > b[2] + margin or a[2] < b[0] - margin or a[1] > b[3] + margin or a[3] < b[1] - margin)


def _fitting_zone(inputs: Inputs, original: gpd.GeoDataFrame, distance: float) -> str | None:
    """The Gauss-Krüger zone (same datum) in which the layer would lie on the villages."""
    geoms = original.geometry.to_numpy()
    geoms = geoms[geometry.usable(geoms)]
    if len(geoms) == 0:
        return None
    extent = shapely.box(*shapely.total_bounds(geoms))
    for candidate in zone_alternatives(CRS(original.crs)):
        moved = gpd.GeoDataFrame(geometry=[extent], crs=candidate)
        if checks.layer_overlaps_villages(inputs.villages, _to_crs(moved, inputs.crs), distance):
            return f"EPSG:{candidate.to_epsg()} ({candidate.name})"
    return None
