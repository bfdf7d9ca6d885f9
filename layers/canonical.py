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
from pyproj import CRS

from gis import values
from gis.crs import local_scale
from gis.errors import DataError
from layers.checks import EXAMPLES, Findings, counted, examples, row_examples, where
from layers.settings import MAX_SERVICE_RADIUS_M, Profile, Source, Water
from layers.sources import POINTS, code_digits_lost

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


# A point project's circle is a polygon of 4 x this many sides: its edges pass within
# 1 - cos(pi / 128) = 0.03 % of the radius (GEOS's default, 8, leaves 0.5 %).
CIRCLE_QUAD_SEGS = 32


def _water(frame: gpd.GeoDataFrame, profile: Profile, findings: Findings,
           source: Source | None = None) -> gpd.GeoDataFrame:
    source, spec = profile.water.source, profile.water
    where_ = source.where
    radius = (_numbers(frame, "radius", source, findings) if "radius" in frame
              else pd.Series(np.nan, index=frame.index))
    if spec.default_radius_m is not None:
        radius = radius.fillna(spec.default_radius_m)
    points = frame.geom_type.isin(list(POINTS)).to_numpy()
    absurd = _absurd_radii(frame, radius, points, source, findings)
    radius = radius.mask(absurd)
    lacking = points & radius.isna().to_numpy() & ~absurd
    if lacking.any():
        raise DataError(f"{where_}: {int(lacking.sum())} point projects have no service radius (first: row "
                        f"{int(np.flatnonzero(lacking)[0]) + 1}); map water.columns.radius or set "
                        "water.default_radius_m")
    geoms = frame.geometry.to_numpy().copy()
    radius_m = radius.to_numpy(dtype=float)[points]
    if profile.working_crs is None and points.any():
        # "auto": the working CRS may be far from a project's zone; a circle of the true
        # radius is drawn with the CRS's scale there (layers.zones decides water in it)
        radius_m = radius_m * local_scale(CRS(frame.crs), geoms[points])
    geoms[points] = shapely.buffer(geoms[points], radius_m, quad_segs=CIRCLE_QUAD_SEGS)
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    if "served_codes" in frame:
        parts = frame["served_codes"].astype("string").str.split(spec.served_codes_separator, regex=False)
        parts = values.codes(_served_cells(parts.explode().astype("string"), source, findings)).dropna()
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


def _absurd_radii(frame: gpd.GeoDataFrame, radius: pd.Series, points: np.ndarray, source: Source,
                  findings: Findings) -> np.ndarray:
    """Mask of point projects whose service radius is above MAX_SERVICE_RADIUS_M (a radius
    in the wrong unit, a typo): an error naming the rows and column."""
    absurd = points & (radius.to_numpy(dtype=float) > MAX_SERVICE_RADIUS_M)
    if absurd.any():
        rows = np.flatnonzero(absurd) + 1
        column = source.columns.get("radius", "radius")
        findings.error(f"column {column!r}: {counted(len(rows), 'service radius is', 'service radii are')} above "
                       f"{MAX_SERVICE_RADIUS_M:,.0f} m ({row_examples(rows)}; first {radius.iloc[rows[0] - 1]:g} m)",
                       fix="give each project's radius in metres (a water-supply project serves a few kilometres "
                           "at most) or draw its service area as a polygon",
                       row=int(rows[0]), column=column, check="radius_out_of_range", **where(source))
    return absurd


def _served_cells(cells: pd.Series, source: Source, findings: Findings) -> pd.Series:
    """The codes listed in ``served_codes`` (one cell per code, labelled by project row),
    with Excel's numbers read as codes as the villages' are (layers.sources)."""
    text, lost, number = values.code_cells(cells)
    column = source.columns["served_codes"]
    if lost.any():
        rows = np.unique(cells.index.to_numpy()[lost]) + 1
        raise DataError(code_digits_lost(source, column, rows, cells[lost].iloc[0]))
    if number.any():
        rows = np.unique(cells.index.to_numpy()[number]) + 1
        findings.warn(f"column {column!r}: {counted(int(number.sum()), 'code is', 'codes are')} written as numbers "
                      f"({row_examples(rows)}; first {cells[number].iloc[0]!r}, read as {text[number].iloc[0]})",
                      fix="format the column as text in Excel (设置单元格格式 → 文本) so that no code is rounded",
                      row=int(rows[0]), column=column, check="code_as_number", **where(source))
    return text


def unknown_served(water: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, spec: Water, findings: Findings) -> None:
    """Codes listed in ``served_codes`` that are no village: a warning naming each
    project's row and its unknown codes (the listing serves no village by them)."""
    if "served_codes" not in spec.source.columns:
        return
    source = spec.source
    listed = water["served_codes"].explode().dropna()
    if listed.empty:
        return
    known = set(villages["code"].dropna().tolist())   # codes may repeat here (an error of their own)
    unknown = listed[[code not in known for code in listed.tolist()]]
    if unknown.empty:
        return
    by_row = unknown.groupby(level=0, sort=True).agg(lambda codes: sorted(codes))
    names = water["name"].astype("string")
    shown = [f"row {row + 1}" + (f" {names.iloc[row]}" if pd.notna(names.iloc[row]) else "")
             + f": {examples(codes)}" for row, codes in by_row.head(EXAMPLES).items()]
    more = f"; ... ({len(by_row)} projects in all)" if len(by_row) > EXAMPLES else ""
    column = source.columns["served_codes"]
    findings.warn(f"column {column!r}: {counted(len(by_row), 'project lists', 'projects list')} "
                  f"{counted(len(unknown), 'code that is not a village', 'codes that are not villages')} "
                  f"({'; '.join(shown)}{more})",
                  fix="correct the codes (12-digit village codes, separated by "
                      f"{spec.served_codes_separator!r}), or set water.served_codes_separator to the separator used",
                  row=int(by_row.index[0]) + 1, code=str(by_row.iloc[0][0]), column=column,
                  check="unknown_served_code", **where(source))


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


def _towns(frame: gpd.GeoDataFrame, profile: Profile, findings: Findings,
           source: Source | None = None) -> gpd.GeoDataFrame:
    """Township seats: ``township_code`` as text, one seat a township (the first kept, the
    others reported), rows without a code left out and reported."""
    source = profile.towns.source
    column = source.columns["township_code"]
    frame["township_code"] = values.codes(frame["township_code"])
    missing = frame["township_code"].isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing) + 1
        findings.warn(f"column {column!r}: {counted(len(rows), 'seat has', 'seats have')} no township code "
                      f"({row_examples(rows)}) and {'is' if len(rows) == 1 else 'are'} left out",
                      fix="fill in each seat's township code",
                      row=int(rows[0]), column=column, check="town_code", **where(source))
    again = frame["township_code"].duplicated() & ~missing
    if again.any():
        rows = np.flatnonzero(again.to_numpy()) + 1
        findings.warn(f"column {column!r}: {counted(len(rows), 'seat repeats', 'seats repeat')} a township code "
                      f"given before ({examples(frame['township_code'][again].tolist())}); the first seat of each "
                      "township is used",
                      fix="keep one seat a township", row=int(rows[0]), column=column, check="town_code",
                      **where(source))
    frame = frame[~missing & ~again.to_numpy()].reset_index(drop=True)
    return _with_defaults(frame, {"name": pd.NA})


def townships_without_seat(towns: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, source: Source,
                           findings: Findings) -> None:
    """Report the villages' townships that [towns] gives no seat (their villages'
    road_network_km_to_township stays empty)."""
    given = set(towns["township_code"].dropna())
    wanted = villages["township_code"].dropna()
    lacking = sorted(set(wanted) - given)
    if lacking:
        findings.warn(f"{counted(len(lacking), 'township of the villages has', 'townships of the villages have')} no "
                      f"seat in [towns] ({examples(lacking)}): the distance to the township seat stays empty for "
                      f"{counted(int(wanted.isin(lacking).sum()), 'village', 'villages')}",
                      fix="add each township's seat with its township code (the villages' township_code)",
                      column=source.columns["township_code"], check="town_missing", **where(source))


def _with_defaults(frame: gpd.GeoDataFrame, defaults: dict) -> gpd.GeoDataFrame:
    for name, default in defaults.items():
        if name not in frame:
            frame[name] = [default] * len(frame)
    return frame
