"""Each layer's raw frame turned into covermap's canonical columns.

Numbers and yes/no cells are parsed here; cells that do not parse are reported and treated
as not recorded. Every function takes a frame already in the working CRS. The water layer's
(its projects' circles and served lists) is the drinking-water standard's own
(layers/standards/water.py ``canonical``).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from gis import values
from layers.checks import Findings, counted, examples, row_examples, where
from layers.settings import Profile, Source

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
