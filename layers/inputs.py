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

from gis import chinacrs, encoding, geometry, io, values
from gis.crs import (WGS84, check_metric, fitting_crs, resolve_crs, swapped_lonlat, working_crs,
                     zone_alternatives)
from gis.errors import CovermapError, CRSError, DataError
from layers import checks
from layers.checks import Finding, Findings, examples, where
from layers.profile import Profile, Source

log = logging.getLogger(__name__)

POLYGONS = {"Polygon", "MultiPolygon"}
LINES = {"LineString", "MultiLineString"}
POINTS = {"Point", "MultiPoint"}


@dataclass(frozen=True)
class InputRecord:
    key: str
    path: str
    layer: str | None
    sha256: str
    rows: int
    encoding: str | None = None


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
    findings: list[Finding] = field(default_factory=list)   # warnings found while reading

    @property
    def origins(self) -> np.ndarray:
        """Where distances are measured from: the seat, else the village polygon."""
        seats = self.seats.to_numpy()
        return np.where(geometry.usable(seats), seats, self.villages.geometry.to_numpy())


def load_inputs(profile: Profile, findings: Findings | None = None) -> Inputs:
    """Read every source; with ``findings`` collect problems instead of raising.

    Without ``findings`` (``covermap run``) the first error raises; the warnings are
    logged and kept in ``Inputs.findings`` for run.json.
    """
    findings = findings if findings is not None else Findings(strict=True)

    def attempt(step, *args):
        try:
            return step(*args)
        except CovermapError as exc:
            if findings.strict:
                raise
            source = next((arg for arg in args if isinstance(arg, Source)), None)
            if step is _read_villages:
                source = profile.villages.source
            elif step is _attach_seats:
                source = profile.villages.seats
            findings.exception(exc, source=source)
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
        raise DataError(str(findings.errors[0]))
    crs = profile.working_crs or attempt(working_crs, [villages])
    if crs is None:
        raise DataError(str(findings.errors[-1]))
    crs = check_metric(crs, "project.working_crs")
    inputs = Inputs(crs=crs, villages_crs=CRS(villages.crs), villages=_to_crs(villages, crs),
                    seats=gpd.GeoSeries([None] * len(villages), index=villages.index, crs=crs), records=records)
    attempt(_attach_seats, inputs, profile, villages, seats_frame, findings)
    attempt(_check_villages, inputs, profile, findings)
    sources = {"roads": profile.roads and profile.roads.source, "water": profile.water and profile.water.source,
               "clinics": profile.clinics and profile.clinics.source,
               "coverage": profile.network and profile.network.coverage,
               "fibre": profile.network and profile.network.fibre}
    assemble = {"roads": _roads, "water": _water, "clinics": _clinics, "coverage": _coverage, "fibre": _fibre}
    for key, original in raw.items():
        if original is not None:
            frame = _to_crs(original, crs)
            if attempt(_check_extent, inputs, sources[key], frame, profile, findings, original):
                setattr(inputs, key, attempt(assemble[key], frame, profile, findings, sources[key]))
    inputs.findings = findings.warnings
    if findings.strict:
        for finding in findings.warnings:
            log.warning("warning: %s", finding)
    return inputs


def _to_crs(frame: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Reproject; geometries that cannot be reprojected (non-finite) become None."""
    out = frame.to_crs(crs)
    geoms = out.geometry.to_numpy()
    bad = geometry.usable(geoms) & ~np.isfinite(shapely.bounds(geoms)).all(axis=1)
    if bad.any():
        out[out.geometry.name] = gpd.GeoSeries(np.where(bad, None, geoms), index=out.index, crs=crs)
    return out


def _read_source(source: Source, kinds: set[str], records: list[InputRecord],
                 findings: Findings) -> gpd.GeoDataFrame:
    text_encoding = encoding.Encoding(source.encoding, "profile") if source.encoding else None
    if source.x:
        table = io.read_table(source.path, source.layer, source.encoding)
        _require_columns(source, table, [source.x, source.y])
        if source.assume_crs is None:
            raise CRSError(f"{source.where}: a point table has no CRS of its own; set {source.key}.assume_crs "
                           "(e.g. \"EPSG:4490\" for CGCS2000 longitude/latitude)")
        points = io.points_from_columns(table, source.x, source.y, source.where)
        frame = gpd.GeoDataFrame(table.drop(columns=[source.x, source.y]), geometry=points, crs=source.assume_crs)
        _check_lonlat(source, frame)
    else:
        text_encoding = encoding.shapefile_encoding(source.path, source.encoding)
        frame = io.read_vector(source.path, source.layer, text_encoding.name)
        frame = resolve_crs(frame, source.assume_crs, source.where, f"{source.key}.assume_crs")
        if text_encoding.how in ("detected", ".cpg"):
            log.info("%s: text read as %s", source.where, text_encoding.describe())
        if text_encoding.how == "detected":
            findings.warn(f"no .cpg file; text read as {text_encoding.describe()}", check="encoding",
                          fix=f"add a .cpg file or set {source.key}.encoding if the names look wrong", **where(source))
    _check_fit(source, frame)
    if source.datum_shift:
        frame = _unshift(frame, source.datum_shift)
    _require_columns(source, frame, list(source.columns.values()))
    records.append(InputRecord(source.key, str(source.path), source.layer, io.sha256(source.path), len(frame),
                               text_encoding.describe() if text_encoding else None))
    frame = frame.rename(columns={column: name for name, column in source.columns.items()})
    frame = frame[[*source.columns.keys(), frame.geometry.name]].reset_index(drop=True)
    _check_geometry(source, frame, kinds, findings)
    _check_text(source, frame, findings)
    return frame


def _check_lonlat(source: Source, frame: gpd.GeoDataFrame) -> None:
    if not CRS(frame.crs).is_geographic:
        return
    x, y = frame.geometry.x.to_numpy(dtype=float), frame.geometry.y.to_numpy(dtype=float)
    if swapped_lonlat(x, y):
        raise CRSError(f"{source.where}: x column {source.x!r} looks like latitude and y column {source.y!r} like "
                       f"longitude; swap {source.key}.x and {source.key}.y in the profile")


def _check_fit(source: Source, frame: gpd.GeoDataFrame) -> None:
    geoms = frame.geometry.to_numpy()
    geoms = geoms[geometry.usable(geoms)]
    if len(geoms) == 0:
        return
    problem = fitting_crs(CRS(frame.crs), shapely.total_bounds(geoms))
    if problem:
        key = f"{source.key}.assume_crs"
        fix = f"set {key} to it" if source.x else f"correct the file's CRS (.prj), or delete it and set {key}"
        raise CRSError(f"{source.where}: {problem}; {fix}")


def _unshift(frame: gpd.GeoDataFrame, shift: str) -> gpd.GeoDataFrame:
    """GCJ-02 / BD-09 longitude and latitude to WGS84, before any measurement."""
    inverse = chinacrs.gcj02_to_wgs84 if shift == "GCJ-02" else (
        lambda lon, lat: chinacrs.gcj02_to_wgs84(*chinacrs.bd09_to_gcj02(lon, lat)))

    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = inverse(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    geoms = shapely.transform(frame.geometry.to_numpy(), convert)
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=WGS84))


def _require_columns(source: Source, frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        have = [str(c) for c in frame.columns if c != "geometry"]
        hint = (f"; those names look garbled: the text encoding is wrong, set {source.key}.encoding (e.g. \"GBK\" "
                "or \"UTF-8\")" if encoding.garbled(pd.Series(have, dtype=object)).any() else "")
        raise DataError(f"{source.where}: no column {', '.join(map(repr, missing))} (mapped in profile "
                        f"[{source.key}]); its columns are: {', '.join(have)}{hint}; map [{source.key}.columns] "
                        "to columns the file has")


def _check_geometry(source: Source, frame: gpd.GeoDataFrame, kinds: set[str], findings: Findings) -> None:
    geoms, repaired = geometry.repair(frame.geometry.to_numpy())
    if repaired.any():
        rows = np.flatnonzero(repaired) + 1
        findings.warn(f"repaired {len(rows)} invalid geometries with make_valid (rows {examples(rows)})",
                      fix="check them in a GIS and fix the source", row=int(rows[0]), check="invalid_geometry",
                      **where(source))
        frame[frame.geometry.name] = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)
    present = geometry.usable(frame.geometry.to_numpy())
    if source.key != "villages" and not present.all():
        rows = np.flatnonzero(~present) + 1
        findings.warn(f"{len(rows)} features have no geometry or an empty one (rows {examples(rows)}); "
                      "they are left out", fix="draw them or delete the rows", row=int(rows[0]),
                      check="empty_geometry", **where(source))
    types = frame.geometry.geom_type.to_numpy(dtype=object)
    wrong = present & ~np.isin(types, list(kinds | {"GeometryCollection"}))
    if wrong.any():
        rows = np.flatnonzero(wrong) + 1
        found = ", ".join(sorted(set(types[wrong])))
        raise DataError(f"{source.where}: holds {found} geometries (rows {examples(rows)}) but [{source.key}] needs "
                        f"{' or '.join(sorted(kinds))}; point the profile at the right file or layer")


def _check_text(source: Source, frame: gpd.GeoDataFrame, findings: Findings) -> None:
    for column in frame.columns:
        if column == frame.geometry.name or not (pd.api.types.is_object_dtype(frame[column])
                                                 or pd.api.types.is_string_dtype(frame[column])):
            continue
        bad = encoding.garbled(frame[column])
        if bad.any():
            rows = np.flatnonzero(bad) + 1
            findings.warn(f"column {source.columns.get(column, column)!r} looks garbled in {len(rows)} rows "
                          f"(rows {examples(rows)}, first {frame[column].iloc[rows[0] - 1]!r})",
                          fix=f"set {source.key}.encoding (\"GBK\" or \"UTF-8\") or add a .cpg file naming the "
                              "file's encoding", row=int(rows[0]), column=source.columns.get(column, column),
                          check="garbled_text", **where(source))


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
    shown = examples(labels.iloc[rows] if labels is not None else rows + 1)
    findings.warn(f"column {column!r}: {len(rows)} cells are {what} ({'villages' if labels is not None else 'rows'} "
                  f"{shown}; first {raw.iloc[rows[0]]!r}); treated as not recorded",
                  fix="correct the cells or leave them empty", row=int(rows[0]) + 1, column=column,
                  code=None if labels is None else str(labels.iloc[rows[0]]), check="bad_value", **where(source))


def _read_villages(profile: Profile, findings: Findings, records: list[InputRecord]) -> gpd.GeoDataFrame:
    source = profile.villages.source
    frame = _read_source(source, POLYGONS, records, findings)
    if frame.empty:
        raise DataError(f"{source.where}: holds no villages; point [villages] at the file and layer with the "
                        "village boundaries")
    column = source.columns["code"]
    frame["code"] = values.codes(frame["code"])
    if frame["code"].isna().any():
        rows = np.flatnonzero(frame["code"].isna().to_numpy()) + 1
        findings.error(f"column {column!r} has no village code in rows {examples(rows)}",
                       fix="every village needs its 12-digit code", row=int(rows[0]), column=column,
                       check="missing_code", **where(source))
    duplicated = frame["code"].duplicated(keep=False) & frame["code"].notna()
    for code in frame["code"][duplicated].unique():
        rows = np.flatnonzero((frame["code"] == code).fillna(False).to_numpy(dtype=bool))
        findings.error(f"village code {code} appears more than once (rows {examples(np.asarray(rows) + 1)})",
                       fix="merge or correct those rows so that each code is one village", code=str(code),
                       row=int(rows[0]) + 1, column=column, check="duplicate_code", **where(source))
    odd = frame["code"].notna() & ~frame["code"].str.fullmatch(r"\d{12}").fillna(False).astype(bool)
    if odd.any():
        codes = frame["code"][odd]
        findings.warn(f"{len(codes)} village codes are not 12 digits ({examples(codes.map(repr))})",
                      fix="use the 12-digit statistical division codes (统计用区划代码)", code=codes.iloc[0],
                      row=int(np.flatnonzero(odd.to_numpy())[0]) + 1, column=column, check="code_format",
                      **where(source))
    if profile.villages.code_list:
        _check_code_list(frame["code"], profile.villages.code_list, source, findings)
    frame["township_code"] = values.codes(frame["township_code"])
    labels = frame["code"].fillna("(no code)")
    for name in ("population", "poor_population"):
        frame[name] = _numbers(frame, name, source, findings, labels) if name in frame else np.nan
    for name in ("has_clinic", "road_hardened"):
        if name in frame:
            frame[name] = _flags(frame, name, source, findings, labels)
    if "seat_x" in frame:
        points = io.points_from_columns(frame, "seat_x", "seat_y", source.where)
        frame["seat"] = gpd.GeoSeries(points, crs=profile.villages.seat_crs).to_crs(frame.crs)
        frame = frame.drop(columns=["seat_x", "seat_y"])
    for name in ("name", "township_name"):
        frame[name] = frame[name].astype("string")
    missing = ~geometry.usable(frame.geometry.to_numpy())
    if missing.any():
        findings.warn(f"{int(missing.sum())} villages have no boundary ({examples(frame['code'][missing])}); "
                      "they are kept, measured from their seat where one is given, else reported as no_data",
                      fix="add their boundaries", code=str(frame["code"][missing].iloc[0]),
                      row=int(np.flatnonzero(missing)[0]) + 1, check="empty_geometry", **where(source))
    return frame


def _check_code_list(codes: pd.Series, path, source: Source, findings: Findings) -> None:
    try:
        known = pd.read_csv(path, dtype=str, usecols=["code"])["code"].str.strip()
    except FileNotFoundError:
        raise DataError(f"{path}: national code list not found; fix villages.code_list in the profile") from None
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the national code list ({io._first_line(exc)}); it must be a CSV "
                        "(optionally .gz) with a 'code' column") from None
    unknown = codes.notna() & ~codes.isin(set(known))
    if unknown.any():
        findings.warn(f"{int(unknown.sum())} village codes are not in the national code list {path.name} "
                      f"({examples(codes[unknown])})", fix="check the codes against 统计用区划代码",
                      code=str(codes[unknown].iloc[0]), row=int(np.flatnonzero(unknown.to_numpy())[0]) + 1,
                      column=source.columns["code"], check="code_not_in_list", **where(source))


def _attach_seats(inputs: Inputs, profile: Profile, villages: gpd.GeoDataFrame,
                  seats: gpd.GeoDataFrame | None, findings: Findings) -> None:
    if "seat" in villages:
        inputs.seats = _to_crs(gpd.GeoDataFrame(geometry=villages["seat"]), inputs.crs).geometry
        inputs.villages = inputs.villages.drop(columns=["seat"])
    if seats is None:
        return
    source = profile.villages.seats
    seats = _to_crs(seats, inputs.crs)
    seats["code"] = values.codes(seats["code"])
    dupes = seats["code"].dropna()[seats["code"].dropna().duplicated()].unique()
    for code in dupes:
        findings.error(f"village code {code} has more than one seat", fix="keep one per village", code=str(code),
                       column=source.columns["code"], check="duplicate_seat", **where(source))
    if len(dupes):
        seats = seats[~seats["code"].isin(set(dupes))]
    unknown = sorted(set(seats["code"].dropna()) - set(inputs.villages["code"].dropna()))
    if unknown:
        findings.warn(f"{len(unknown)} seats name codes that are not villages ({examples(unknown)})",
                      fix="correct their codes", code=unknown[0], column=source.columns["code"],
                      check="unknown_seat", **where(source))
    by_code = pd.Series(seats.geometry.to_numpy(), index=seats["code"].to_numpy())
    by_code = by_code[by_code.index.notna()]
    looked_up = inputs.villages["code"].map(by_code)
    inputs.seats = gpd.GeoSeries(looked_up.where(looked_up.notna(), None).to_numpy(),
                                 index=inputs.villages.index, crs=inputs.crs)


def _check_villages(inputs: Inputs, profile: Profile, findings: Findings) -> None:
    """Villages against each other: overlaps, gaps inside townships, seats outside."""
    source, tolerances = profile.villages.source, profile.checks
    villages = inputs.villages
    suspect = checks.coverage_suspects(villages.geometry.to_numpy())
    for row in checks.village_overlaps(villages, tolerances.overlap_tolerance_m2, suspect).itertuples():
        findings.warn(f"villages {row.code_a} and {row.code_b} overlap by {row.area_m2:,.0f} m² "
                      f"(tolerance {tolerances.overlap_tolerance_m2:g} m²)",
                      fix="fix the shared boundary, or raise checks.overlap_tolerance_m2", code=row.code_a,
                      check="overlap", **where(source))
    for row in checks.township_gaps(villages, tolerances.gap_tolerance_m2, suspect).itertuples():
        findings.warn(f"township {row.township_code} has a gap of {row.area_m2:,.0f} m² that no village covers "
                      f"(around x={row.x:,.0f}, y={row.y:,.0f} in {inputs.crs.to_string()})",
                      fix="close the gap between the neighbouring villages, or raise checks.gap_tolerance_m2",
                      check="gap", **where(source))
    alone, nearest = checks.isolated(villages, tolerances.far_outside_m)
    for i in np.flatnonzero(alone):
        findings.warn(f"village {villages['code'].iloc[i]} lies {nearest[i]:,.0f} m from any other village",
                      fix="check its boundary's coordinates (a wrong CRS or a typo?), or raise checks.far_outside_m",
                      code=str(villages["code"].iloc[i]), row=int(i) + 1, check="far_outside", **where(source))
    outside = checks.seats_outside(villages, inputs.seats)
    if outside.any():
        codes = villages["code"][outside]
        seat_source = profile.villages.seats or source
        findings.warn(f"{len(codes)} village seats lie outside their own village ({examples(codes)})",
                      fix="check the seat coordinates and the village codes of the seats", code=str(codes.iloc[0]),
                      check="seat_outside", **where(seat_source))


def _check_extent(inputs: Inputs, source: Source, frame: gpd.GeoDataFrame, profile: Profile,
                  findings: Findings, original: gpd.GeoDataFrame | None = None) -> bool:
    """A layer must lie where the villages are; features far away are reported."""
    distance = profile.checks.far_outside_m
    if not checks.layer_overlaps_villages(inputs.villages, frame, distance):
        hint = _fitting_zone(inputs, original, distance) if original is not None else None
        raise CRSError(f"{source.where}: its extent does not overlap the villages (more than {distance:,.0f} m "
                       f"away), so its CRS is probably wrong; "
                       + (f"its coordinates fit {hint}: correct its .prj or set {source.key}.assume_crs"
                          if hint else f"check its .prj or {source.key}.assume_crs"))
    far = checks.far_outside(inputs.villages, frame, distance)
    if far.any():
        rows = np.flatnonzero(far) + 1
        findings.warn(f"{len(rows)} features lie more than {distance:,.0f} m outside the villages' extent "
                      f"(rows {examples(rows)})", fix="check their coordinates, or raise checks.far_outside_m",
                      row=int(rows[0]), check="far_outside", **where(source))
    return True


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
    geoms[points] = shapely.buffer(geoms[points], radius.to_numpy()[points])
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    if "served_codes" in frame:
        parts = frame["served_codes"].astype("string").str.split(spec.served_codes_separator, regex=False)
        parts = values.codes(parts.explode().astype("string")).dropna()
        grouped = parts.groupby(level=0).agg(frozenset)
        frame["served_codes"] = [grouped.get(i, frozenset()) for i in frame.index]
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
