"""Each layer's raw frame turned into covermap's canonical columns.

Numbers and yes/no cells are parsed here; cells that do not parse are reported and treated
as not recorded. Every function takes a frame already in the working CRS.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis import values
from gis.errors import DataError
from layers.checks import Findings, counted, row_examples, where
from layers.settings import Profile, Source
from layers.sources import POINTS

log = logging.getLogger(__name__)


def _numbers(frame: pd.DataFrame, name: str, source: Source, findings: Findings,
             labels: pd.Series | None = None, minimum: float | None = 0.0) -> pd.Series:
    """A numeric column; cells that are not numbers (or negative) are reported and
    treated as not recorded, so the village gets no_data where it matters, never a drop."""
    parsed, bad = values.parse_numbers(frame[name], minimum)
    if bad.any():
        _report_cells(frame[name], bad, name, source, findings, labels,
                      "not a number" + (f" or below {minimum:g}" if minimum is not None else ""))
    return parsed


def _flags(frame: pd.DataFrame, name: str, source: Source, findings: Findings,
           labels: pd.Series | None = None) -> pd.Series:
    parsed, bad = values.parse_flags(frame[name])
    if bad.any():
        _report_cells(frame[name], bad, name, source, findings, labels, "not yes/no (是/否, true/false, 1/0)")
    return parsed


def _report_cells(raw: pd.Series, bad: np.ndarray, name: str, source: Source, findings: Findings,
                  labels: pd.Series | None, what: str) -> None:
    rows = np.flatnonzero(bad)
    column = source.columns.get(name, name)
    shown = row_examples(labels.iloc[rows], "village", "villages") if labels is not None else row_examples(rows + 1)
    findings.warn(f"column {column!r}: {counted(len(rows), 'cell is', 'cells are')} {what} "
                  f"({shown}; first {raw.iloc[rows[0]]!r}); treated as not recorded",
                  fix="correct the cells or leave them empty", row=int(rows[0]) + 1, column=column,
                  code=None if labels is None else str(labels.iloc[rows[0]]), check="bad_value", **where(source))


def _roads(frame: gpd.GeoDataFrame, profile: Profile, findings: Findings,
           source: Source | None = None) -> gpd.GeoDataFrame:
    source = profile.roads.source
    surface = values.words(frame["surface"])
    hardened_words = {word.strip().lower() for word in profile.roads.hardened_values}
    frame["hardened"] = pd.Series(surface.isin(hardened_words), dtype="boolean").mask(surface.isna())
    frame["width"] = _numbers(frame, "width", source, findings) if "width" in frame else np.nan
    return _with_defaults(frame, {"name": pd.NA})


def _water(frame: gpd.GeoDataFrame, profile: Profile, findings: Findings,
           source: Source | None = None) -> gpd.GeoDataFrame:
    source, spec = profile.water.source, profile.water
    where_ = source.where
    radius = (_numbers(frame, "radius", source, findings) if "radius" in frame
              else pd.Series(np.nan, index=frame.index))
    if spec.default_radius_m is not None:
        radius = radius.fillna(spec.default_radius_m)
    points = frame.geom_type.isin(list(POINTS)).to_numpy()
    lacking = points & radius.isna().to_numpy()
    if lacking.any():
        raise DataError(f"{where_}: {int(lacking.sum())} point projects have no service radius (first: row "
                        f"{int(np.flatnonzero(lacking)[0]) + 1}); map water.columns.radius or set "
                        "water.default_radius_m")
    geoms = frame.geometry.to_numpy().copy()
    centres = geoms.copy()
    geoms[points] = shapely.buffer(geoms[points], radius.to_numpy()[points])
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    # a point project's centre and radius, to draw its circle again in another CRS (layers.zones)
    frame["service_centre"] = np.where(points, centres, None)
    frame["service_radius_m"] = np.where(points, radius.to_numpy(dtype=float), np.nan)
    if "served_codes" in frame:
        parts = frame["served_codes"].astype("string").str.split(spec.served_codes_separator, regex=False)
        parts = values.codes(parts.explode().astype("string")).dropna()
        listed: dict = {}
        for row, code in zip(parts.index.tolist(), parts.tolist()):
            listed.setdefault(row, []).append(code)
        nothing = frozenset()
        frame["served_codes"] = [frozenset(listed[i]) if i in listed else nothing for i in frame.index]
    for name in ("lpcd", "reliability_pct", "access_min"):
        if name in frame:
            frame[name] = _numbers(frame, name, source, findings)
    if "quality_ok" in frame:
        frame["quality_ok"] = _flags(frame, "quality_ok", source, findings)
    return _with_defaults(frame, {"name": pd.NA, "served_codes": frozenset()})


def _clinics(frame: gpd.GeoDataFrame, profile: Profile, findings: Findings,
             source: Source | None = None) -> gpd.GeoDataFrame:
    spec, where_ = profile.clinics, profile.clinics.source.where
    if "type" in frame:
        kind = values.words(frame["type"])
        village = {word.strip().lower() for word in spec.village_clinic_values}
        centre = {word.strip().lower() for word in spec.health_centre_values}
        frame["kind"] = np.where(kind.isin(village).fillna(False), "village_clinic",
                                 np.where(kind.isin(centre).fillna(False), "health_centre", None))
        other = kind.notna() & frame["kind"].isna()
        if other.any():
            log.info("%s: %d points of other types (first %r) are not clinics here", where_, int(other.sum()),
                     frame["type"][other].iloc[0])
    else:
        frame["kind"] = "village_clinic"
    if "standardized" in frame:
        frame["standardized"] = _flags(frame, "standardized", spec.source, findings)
    if "doctors" in frame:
        frame["doctors"] = _numbers(frame, "doctors", spec.source, findings)
    return _with_defaults(frame, {"name": pd.NA})


def _coverage(frame: gpd.GeoDataFrame, profile: Profile, findings: Findings,
              source: Source | None = None) -> gpd.GeoDataFrame:
    if "technology" in frame:
        tech = values.words(frame["technology"])
        wanted = {word.strip().lower() for word in profile.network.technologies}
        frame["counts"] = pd.Series(tech.isin(wanted), dtype="boolean").mask(tech.isna())
    else:
        frame["technology"] = "4G"
        frame["counts"] = pd.Series(True, index=frame.index, dtype="boolean")
    return frame


def _fibre(frame: gpd.GeoDataFrame, profile: Profile, findings: Findings,
           source: Source | None = None) -> gpd.GeoDataFrame:
    return _with_defaults(frame, {"name": pd.NA})


def _with_defaults(frame: gpd.GeoDataFrame, defaults: dict) -> gpd.GeoDataFrame:
    for name, default in defaults.items():
        if name not in frame:
            frame[name] = [default] * len(frame)
    return frame
