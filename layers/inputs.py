"""Reading the profile's sources into canonical frames in one metric working CRS.

Every frame keeps one row per input feature with covermap's own column names. Reading
order: check (files, layers, columns, CRS), then assemble. ``run`` stops at the first
fatal problem; ``check`` passes a ``Findings`` collector and reads on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gis import geometry, io, values
from gis.crs import check_metric, resolve_crs, working_crs
from gis.errors import CovermapError, DataError
from layers.profile import Profile, Source

log = logging.getLogger(__name__)

POLYGONS = {"Polygon", "MultiPolygon"}
LINES = {"LineString", "MultiLineString"}
POINTS = {"Point", "MultiPoint"}


@dataclass
class Findings:
    """Problems collected by ``covermap check``: errors stop a run, warnings do not."""

    errors: list[CovermapError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@dataclass(frozen=True)
class InputRecord:
    key: str
    path: str
    layer: str | None
    sha256: str
    rows: int


@dataclass
class Inputs:
    """Everything the indicators need, in ``crs`` (metres)."""

    crs: CRS
    villages_crs: CRS
    villages: gpd.GeoDataFrame          # code, name, township_code, township_name, population, poor_population
    seats: gpd.GeoSeries                # aligned to villages; None where a village has no seat
    roads: gpd.GeoDataFrame | None = None      # hardened (boolean, NA unknown), surface, width, name
    water: gpd.GeoDataFrame | None = None      # service areas; name, served_codes (frozenset), status columns
    clinics: gpd.GeoDataFrame | None = None    # name, kind, standardized, doctors
    coverage: gpd.GeoDataFrame | None = None   # technology, counts (boolean, NA unknown)
    fibre: gpd.GeoDataFrame | None = None      # name
    records: list[InputRecord] = field(default_factory=list)

    @property
    def origins(self) -> np.ndarray:
        """Where distances are measured from: the seat, else the village polygon."""
        seats = self.seats.to_numpy()
        return np.where(geometry.usable(seats), seats, self.villages.geometry.to_numpy())


def load_inputs(profile: Profile, findings: Findings | None = None) -> Inputs:
    """Read every source; with ``findings`` collect problems instead of raising."""
    strict = findings is None
    findings = findings or Findings()

    def attempt(step, *args):
        try:
            return step(*args)
        except CovermapError as exc:
            if strict:
                raise
            findings.errors.append(exc)
            return None

    records: list[InputRecord] = []
    villages = attempt(_read_villages, profile, findings, records)
    seats_frame = None
    if profile.villages.seats:
        seats_frame = attempt(_read_source, profile.villages.seats, POINTS, records, findings)
    raw = {}
    if profile.roads:
        raw["roads"] = attempt(_read_source, profile.roads.source, LINES, records, findings)
    if profile.water:
        raw["water"] = attempt(_read_source, profile.water.source, POLYGONS | POINTS, records, findings)
    if profile.clinics:
        raw["clinics"] = attempt(_read_source, profile.clinics.source, POINTS, records, findings)
    if profile.network and profile.network.coverage:
        raw["coverage"] = attempt(_read_source, profile.network.coverage, POLYGONS, records, findings)
    if profile.network and profile.network.fibre:
        raw["fibre"] = attempt(_read_source, profile.network.fibre, POINTS, records, findings)
    if villages is None:
        raise findings.errors[0]
    crs = profile.working_crs or attempt(working_crs, [villages])
    if crs is None:
        raise findings.errors[-1]
    crs = check_metric(crs, "project.working_crs")
    inputs = Inputs(crs=crs, villages_crs=CRS(villages.crs), villages=villages.to_crs(crs),
                    seats=gpd.GeoSeries([None] * len(villages), index=villages.index, crs=crs), records=records)
    attempt(_attach_seats, inputs, profile, villages, seats_frame, findings)
    assemble = {"roads": _roads, "water": _water, "clinics": _clinics, "coverage": _coverage, "fibre": _fibre}
    for key, frame in raw.items():
        if frame is not None:
            setattr(inputs, key, attempt(assemble[key], frame.to_crs(crs), profile))
    if strict:
        for message in findings.warnings:
            log.warning(message)
    return inputs


def _read_source(source: Source, kinds: set[str], records: list[InputRecord],
                 findings: Findings) -> gpd.GeoDataFrame:
    if source.x:
        table = io.read_table(source.path, source.layer, source.encoding)
        _require_columns(source, table, [source.x, source.y])
        if source.assume_crs is None:
            raise DataError(f"{source.where}: a point table has no CRS of its own; set {source.key}.assume_crs "
                            "(e.g. \"EPSG:4490\" for CGCS2000 longitude/latitude)")
        points = io.points_from_columns(table, source.x, source.y, source.where)
        frame = gpd.GeoDataFrame(table.drop(columns=[source.x, source.y]), geometry=points, crs=source.assume_crs)
    else:
        frame = io.read_vector(source.path, source.layer, source.encoding)
        frame = resolve_crs(frame, source.assume_crs, source.where, f"{source.key}.assume_crs")
    _require_columns(source, frame, list(source.columns.values()))
    records.append(InputRecord(source.key, str(source.path), source.layer, io.sha256(source.path), len(frame)))
    frame = frame.rename(columns={column: name for name, column in source.columns.items()})
    frame = frame[[*source.columns.keys(), frame.geometry.name]].reset_index(drop=True)
    _check_geometry(source, frame, kinds, findings)
    return frame


def _require_columns(source: Source, frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        have = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise DataError(f"{source.where}: no column {', '.join(map(repr, missing))} (mapped in profile "
                        f"[{source.key}]); its columns are: {have}")


def _check_geometry(source: Source, frame: gpd.GeoDataFrame, kinds: set[str], findings: Findings) -> None:
    geoms, repaired = geometry.repair(frame.geometry.to_numpy())
    if repaired.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(repaired)[:5])
        findings.warn(f"{source.where}: repaired {int(repaired.sum())} invalid geometries with make_valid "
                      f"(rows {rows}); check them in a GIS")
        frame[frame.geometry.name] = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)
    present = geometry.usable(frame.geometry.to_numpy())
    types = set(frame.geometry[present].geom_type)
    wrong = types - kinds - {"GeometryCollection"}
    if wrong:
        raise DataError(f"{source.where}: holds {', '.join(sorted(wrong))} geometries but [{source.key}] needs "
                        f"{' or '.join(sorted(kinds))}; point the profile at the right file or layer")


def _read_villages(profile: Profile, findings: Findings, records: list[InputRecord]) -> gpd.GeoDataFrame:
    source = profile.villages.source
    frame = _read_source(source, POLYGONS, records, findings)
    frame["code"] = values.codes(frame["code"])
    if frame["code"].isna().any():
        row = int(np.flatnonzero(frame["code"].isna().to_numpy())[0]) + 1
        raise DataError(f"{source.where}: column {source.columns['code']!r} row {row} has no village code; "
                        "every village needs its 12-digit code")
    dupes = frame["code"][frame["code"].duplicated()].unique()
    if len(dupes):
        raise DataError(f"{source.where}: village code {dupes[0]} appears more than once ({len(dupes)} duplicated "
                        "codes); merge or correct those rows so that each code is one village")
    odd = frame["code"][~frame["code"].str.fullmatch(r"\d{12}").fillna(False).astype(bool)]
    if len(odd):
        findings.warn(f"{source.where}: {len(odd)} village codes are not 12 digits (first: {odd.iloc[0]!r})")
    frame["township_code"] = values.codes(frame["township_code"])
    for name in ("population", "poor_population"):
        if name in frame:
            frame[name] = values.numbers(frame[name], source.where, source.columns[name], minimum=0,
                                         labels=frame["code"])
        else:
            frame[name] = np.nan
    if "seat_x" in frame:
        points = io.points_from_columns(frame, "seat_x", "seat_y", source.where)
        frame["seat"] = gpd.GeoSeries(points, crs=profile.villages.seat_crs).to_crs(frame.crs)
        frame = frame.drop(columns=["seat_x", "seat_y"])
    for name in ("name", "township_name"):
        frame[name] = frame[name].astype("string")
    missing = int((~geometry.usable(frame.geometry.to_numpy())).sum())
    if missing:
        findings.warn(f"{source.where}: {missing} villages have no boundary; they are kept, measured from their "
                      "seat where one is given, else reported as no_data")
    return frame


def _attach_seats(inputs: Inputs, profile: Profile, villages: gpd.GeoDataFrame,
                  seats: gpd.GeoDataFrame | None, findings: Findings) -> None:
    if "seat" in villages:
        inputs.seats = villages["seat"].to_crs(inputs.crs)
        inputs.villages = inputs.villages.drop(columns=["seat"])
    if seats is None:
        return
    source = profile.villages.seats
    seats = seats.to_crs(inputs.crs)
    seats["code"] = values.codes(seats["code"])
    dupes = seats["code"].dropna()[seats["code"].dropna().duplicated()].unique()
    if len(dupes):
        raise DataError(f"{source.where}: village code {dupes[0]} has more than one seat; keep one per village")
    unknown = sorted(set(seats["code"].dropna()) - set(inputs.villages["code"]))
    if unknown:
        findings.warn(f"{source.where}: {len(unknown)} seats name codes that are not villages (first: {unknown[0]})")
    by_code = pd.Series(seats.geometry.to_numpy(), index=seats["code"].to_numpy())
    by_code = by_code[by_code.index.notna()]
    looked_up = inputs.villages["code"].map(by_code)
    inputs.seats = gpd.GeoSeries(looked_up.where(looked_up.notna(), None).to_numpy(),
                                 index=inputs.villages.index, crs=inputs.crs)


def _roads(frame: gpd.GeoDataFrame, profile: Profile) -> gpd.GeoDataFrame:
    source = profile.roads.source
    surface = values.words(frame["surface"])
    hardened_words = {word.strip().lower() for word in profile.roads.hardened_values}
    frame["hardened"] = pd.Series(surface.isin(hardened_words), dtype="boolean").mask(surface.isna())
    frame["width"] = (values.numbers(frame["width"], source.where, source.columns["width"], minimum=0)
                      if "width" in frame else np.nan)
    return _with_defaults(frame, {"name": pd.NA})


def _water(frame: gpd.GeoDataFrame, profile: Profile) -> gpd.GeoDataFrame:
    source, spec = profile.water.source, profile.water
    where = source.where
    radius = (values.numbers(frame["radius"], where, source.columns["radius"], minimum=0)
              if "radius" in frame else pd.Series(np.nan, index=frame.index))
    if spec.default_radius_m is not None:
        radius = radius.fillna(spec.default_radius_m)
    points = frame.geom_type.isin(list(POINTS)).to_numpy()
    lacking = points & radius.isna().to_numpy()
    if lacking.any():
        raise DataError(f"{where}: {int(lacking.sum())} point projects have no service radius (first: row "
                        f"{int(np.flatnonzero(lacking)[0]) + 1}); map water.columns.radius or set "
                        "water.default_radius_m")
    geoms = frame.geometry.to_numpy().copy()
    geoms[points] = shapely.buffer(geoms[points], radius.to_numpy()[points])
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    if "served_codes" in frame:
        separator = spec.served_codes_separator
        frame["served_codes"] = frame["served_codes"].map(
            lambda cell: frozenset() if pd.isna(cell) else frozenset(
                values.codes(pd.Series(str(cell).split(separator))).dropna()))
    for name in ("lpcd", "reliability_pct", "access_min"):
        if name in frame:
            frame[name] = values.numbers(frame[name], where, source.columns[name], minimum=0)
    if "quality_ok" in frame:
        frame["quality_ok"] = values.flags(frame["quality_ok"], where, source.columns["quality_ok"])
    return _with_defaults(frame, {"name": pd.NA, "served_codes": frozenset()})


def _clinics(frame: gpd.GeoDataFrame, profile: Profile) -> gpd.GeoDataFrame:
    spec, where = profile.clinics, profile.clinics.source.where
    columns = spec.source.columns
    if "type" in frame:
        kind = values.words(frame["type"])
        village = {word.strip().lower() for word in spec.village_clinic_values}
        centre = {word.strip().lower() for word in spec.health_centre_values}
        frame["kind"] = np.where(kind.isin(village).fillna(False), "village_clinic",
                                 np.where(kind.isin(centre).fillna(False), "health_centre", None))
        other = kind.notna() & frame["kind"].isna()
        if other.any():
            log.info("%s: %d points of other types (first %r) are not clinics here", where, int(other.sum()),
                     frame["type"][other].iloc[0])
    else:
        frame["kind"] = "village_clinic"
    if "standardized" in frame:
        frame["standardized"] = values.flags(frame["standardized"], where, columns["standardized"])
    if "doctors" in frame:
        frame["doctors"] = values.numbers(frame["doctors"], where, columns["doctors"], minimum=0)
    return _with_defaults(frame, {"name": pd.NA})


def _coverage(frame: gpd.GeoDataFrame, profile: Profile) -> gpd.GeoDataFrame:
    if "technology" in frame:
        tech = values.words(frame["technology"])
        wanted = {word.strip().lower() for word in profile.network.technologies}
        frame["counts"] = pd.Series(tech.isin(wanted), dtype="boolean").mask(tech.isna())
    else:
        frame["technology"] = "4G"
        frame["counts"] = pd.Series(True, index=frame.index, dtype="boolean")
    return frame


def _fibre(frame: gpd.GeoDataFrame, profile: Profile) -> gpd.GeoDataFrame:
    return _with_defaults(frame, {"name": pd.NA})


def _with_defaults(frame: gpd.GeoDataFrame, defaults: dict) -> gpd.GeoDataFrame:
    for name, default in defaults.items():
        if name not in frame:
            frame[name] = [default] * len(frame)
    return frame
