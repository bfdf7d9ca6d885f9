"""Reading one source of the profile: file or point table, its CRS, columns, geometry and text.

``_read_source`` checks as it reads (a point table's longitude/latitude order, whether the
coordinates fit the declared CRS, the mapped columns, the geometry types, garbled text),
undoes a GCJ-02 / BD-09 shift, records what was read and returns the frame with covermap's
column names, still in the source's own CRS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gis import chinacrs, encoding, geometry, io, values
from gis.crs import WGS84, fitting_crs, reproject, resolve_crs, swapped_lonlat
from gis.errors import CRSError, DataError
from layers.checks import Findings, counted, row_examples, where
from layers.settings import Source

log = logging.getLogger(__name__)

POLYGONS = {"Polygon", "MultiPolygon"}
LINES = {"LineString", "MultiLineString"}
POINTS = {"Point", "MultiPoint"}
# shapely.get_type_id's numbers, as geom_type names them
_TYPE_NAMES = ["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
               "GeometryCollection"]


@dataclass(frozen=True)
class InputRecord:
    key: str
    path: str
    layer: str | None
    sha256: str
    rows: int
    encoding: str | None = None


def _to_crs(frame: gpd.GeoDataFrame, crs: CRS, *, consume: bool = False) -> gpd.GeoDataFrame:
    """Reproject; geometries that cannot be reprojected (non-finite) become None.
    ``consume``: ``frame``'s geometries are let go as they are moved (``gis.crs.reproject``)."""
    out = reproject(frame, crs, consume=consume)
    geoms = out.geometry.to_numpy()
    bad = geometry.usable(geoms) & ~geometry.finite_rows(shapely.bounds(geoms))
    if bad.any():
        out[out.geometry.name] = gpd.GeoSeries(np.where(bad, None, geoms), index=out.index, crs=crs)
    return out


def _read_source(source: Source, kinds: set[str], records: list[InputRecord],
                 findings: Findings, digest: Callable[[Path], str] = io.sha256) -> gpd.GeoDataFrame:
    if source.x:
        text_encoding = encoding.table_encoding(source.path, source.encoding)
        table = io.read_table(source.path, source.layer, text_encoding.name if text_encoding else None)
        _report_encoding(source, text_encoding, findings)
        _check_table(source, table)
        if source.assume_crs is None:
            raise CRSError(f"{source.where}: a point table has no CRS of its own; set {source.key}.assume_crs "
                           "(e.g. \"EPSG:4490\" for CGCS2000 longitude/latitude)")
        points = io.points_from_columns(table, source.x, source.y, source.where)
        used = list(dict.fromkeys(source.columns.values()))   # x and y too, when mapped as well
        frame = gpd.GeoDataFrame(table[used], geometry=points, crs=source.assume_crs)
        damage = _Damage()
        frame = _clean(frame, kinds, damage)
        _check_lonlat(source, frame)
    else:
        text_encoding = encoding.shapefile_encoding(source.path, source.encoding)
        # only the mapped columns: a bureau's layer may carry dozens more
        frame = io.read_vector(source.path, source.layer, text_encoding.name, list(source.columns.values()))
        damage = _Damage(io.malformed_rows(frame), io.truncated_records(source.path))
        frame = _clean(frame, kinds, damage)
        frame = resolve_crs(frame, source.assume_crs, source.where, f"{source.key}.assume_crs")
        _report_encoding(source, text_encoding, findings)
    _check_fit(source, frame)
    if source.datum_shift:
        frame = _unshift(frame, source.datum_shift)
    _require_columns(source, frame, list(source.columns.values()),
                     None if source.x else lambda: io.field_names(source.path, source.layer, text_encoding.name))
    records.append(InputRecord(source.key, str(source.path), source.layer, digest(source.path), len(frame),
                               text_encoding.describe() if text_encoding else None))
    frame = _mapped(source, frame)
    for column in source.columns:   # repeated words held once (a national road layer: ~300 MB less)
        frame[column] = values.shared_text(frame[column])
    _check_codes(source, frame, findings)
    _check_geometry(source, frame, kinds, findings, damage)
    _check_text(source, frame, findings)
    return frame


def read_rows(source: Source, records: list[InputRecord], findings: Findings,
              digest: Callable[[Path], str] = io.sha256) -> pd.DataFrame:
    """A table whose rows name their village by code (a plug-in's TABLE input: CSV, XLSX
    or any layer, its geometry not read): the mapped columns with covermap's names."""
    text_encoding = encoding.table_encoding(source.path, source.encoding)
    table = io.read_table(source.path, source.layer, text_encoding.name if text_encoding else None)
    _report_encoding(source, text_encoding, findings)
    if len(table) == 0:
        raise DataError(f"{source.where}: holds no rows (only a header, or nothing); export it again with its "
                        f"rows, or remove [{source.key}] from the profile if there is no such data")
    _require_columns(source, table, list(dict.fromkeys(source.columns.values())))
    records.append(InputRecord(source.key, str(source.path), source.layer, digest(source.path), len(table),
                               text_encoding.describe() if text_encoding else None))
    frame = pd.DataFrame({name: values.shared_text(table[column]) for name, column in source.columns.items()})
    _check_codes(source, frame, findings)
    frame["code"] = values.codes(frame["code"])
    return frame


@dataclass
class _Damage:
    """What reading and ``geometry.clean`` did to a layer's geometries, row by row."""

    malformed: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))   # rows GEOS refused as written
    truncated: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))   # rows past the .shp's end
    cleaned: geometry.Cleaned | None = None


def _clean(frame: gpd.GeoDataFrame, kinds: set[str], damage: _Damage) -> gpd.GeoDataFrame:
    damage.cleaned = geometry.clean(frame.geometry.to_numpy(), {_DIMENSIONS[kind] for kind in kinds})
    frame[frame.geometry.name] = gpd.GeoSeries(damage.cleaned.geoms, index=frame.index, crs=frame.crs)
    return frame


_DIMENSIONS = {"Point": 0, "MultiPoint": 0, "LineString": 1, "MultiLineString": 1, "Polygon": 2, "MultiPolygon": 2}


def _report_encoding(source: Source, text_encoding: encoding.Encoding | None, findings: Findings) -> None:
    """An encoding found by looking at the text (a Shapefile without .cpg, a CSV not in
    UTF-8) is logged and reported, for the names may still be garbled."""
    if text_encoding is None or text_encoding.how not in ("detected", "bom", ".cpg"):
        return
    log.info("%s: text read as %s", source.where, text_encoding.describe())
    if text_encoding.how == ".cpg":
        return
    table = source.x is not None
    findings.warn(f"{'' if table else 'no .cpg file; '}text read as {text_encoding.describe()}", check="encoding",
                  fix=(f"set {source.key}.encoding = \"GBK\" (or the file's encoding) if the names look wrong"
                       if table else f"add a .cpg file or set {source.key}.encoding if the names look wrong"),
                  **where(source))


def _check_table(source: Source, table: pd.DataFrame) -> None:
    """A point table must have rows, and one column of each name the profile maps."""
    if len(table) == 0 and source.key != "villages":
        raise DataError(f"{source.where}: holds no rows (only a header, or nothing); export it again with its "
                        f"rows, or remove [{source.key}] from the profile if there is no such data")
    used = [source.x, source.y, *source.columns.values()]
    labels = [str(label) for label in table.columns]
    for name in sorted({label for label in labels if labels.count(label) > 1} & set(used)):
        at = [str(i + 1) for i, label in enumerate(labels) if label == name]
        raise DataError(f"{source.where}: has {len(at)} columns named {name!r} (columns {' and '.join(at)}), "
                        f"so [{source.key}] cannot tell which is meant; rename all but one of them in the file")
    _require_columns(source, table, list(dict.fromkeys(used)))


def _mapped(source: Source, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """covermap's columns, in the profile's order, then the geometry; a file column mapped
    to two of covermap's (township_code and township_name both the 乡镇 column) serves both."""
    name = frame.geometry.name
    columns = {column: frame[mapped] for column, mapped in source.columns.items()}
    out = gpd.GeoDataFrame({**columns, name: frame.geometry}, index=frame.index, geometry=name, crs=frame.crs)
    return out.reset_index(drop=True)


def _check_codes(source: Source, frame: gpd.GeoDataFrame, findings: Findings) -> None:
    """Village and township codes as Excel leaves them: in scientific notation (5.22326E+11,
    the last digits lost) an error; written as a number (522326101200.0) read as the code
    it is, and reported."""
    for name in ("code", "township_code"):
        if name not in frame:
            continue
        column = source.columns[name]
        text, lost, number = values.code_cells(frame[name])
        if lost.any():
            rows = np.flatnonzero(lost)
            raise DataError(code_digits_lost(source, column, rows + 1, frame[name].iloc[rows[0]]))
        if number.any():
            rows = np.flatnonzero(number)
            findings.warn(f"column {column!r}: {counted(len(rows), 'code is', 'codes are')} written as numbers "
                          f"({row_examples(rows + 1)}; first {frame[name].iloc[rows[0]]!r}, read as "
                          f"{text.iloc[rows[0]]})",
                          fix="format the column as text in Excel (设置单元格格式 → 文本) so that no code is rounded",
                          row=int(rows[0]) + 1, column=column, code=str(text.iloc[rows[0]]), check="code_as_number",
                          **where(source))
            frame[name] = text


def code_digits_lost(source: Source, column: str, rows, first: str) -> str:
    """The message for codes that Excel wrote in scientific notation (5.22326E+11) in
    ``rows`` (1-based), the first of them ``first``."""
    return (f"{source.where}: column {column!r} holds {counted(len(rows), 'code', 'codes')} in scientific "
            f"notation ({row_examples(rows)}; first {first!r}): Excel rounded them and their last "
            "digits are lost; format the column as text in Excel (设置单元格格式 → 文本), enter the full codes "
            "again and save the file")


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


def _require_columns(source: Source, frame: pd.DataFrame, columns: list[str],
                     all_columns: Callable[[], list[str]] | None = None) -> None:
    """``all_columns``: the file's columns, where ``frame`` holds only those asked for."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        have = all_columns() if all_columns else [str(c) for c in frame.columns if c != "geometry"]
        hint = (f"; those names look garbled: the text encoding is wrong, set {source.key}.encoding (e.g. \"GBK\" "
                "or \"UTF-8\")" if encoding.garbled(pd.Series(have, dtype=object)).any() else "")
        raise DataError(f"{source.where}: no column {', '.join(map(repr, missing))} (mapped in profile "
                        f"[{source.key}]); its columns are: {', '.join(have)}{hint}; map [{source.key}.columns] "
                        "to columns the file has")


# A layer of which more than this share of features has no usable geometry (an XLSX whose
# coordinates are formulas without stored values, a .shp cut short, a broken export) is an
# error, not a warning: the answer would be silently wrong for every village near them. For
# villages, only the boundaries the file holds but that cannot be used count (a village
# without a boundary is a known state, measured from its seat). One feature alone stays a
# warning naming it, unless it is the whole layer (a five-village county is not lost by one).
UNUSABLE_SHARE_LIMIT = 0.10


def _check_geometry(source: Source, frame: gpd.GeoDataFrame, kinds: set[str], findings: Findings,
                    damage: _Damage) -> None:
    cleaned = damage.cleaned
    villages = source.key == "villages"
    lost = "kept without a boundary" if villages else "left out"
    present = geometry.usable(frame.geometry.to_numpy())
    malformed = np.zeros(len(frame), dtype=bool)
    malformed[damage.malformed] = True
    truncated = np.zeros(len(frame), dtype=bool)
    truncated[damage.truncated[damage.truncated < len(frame)]] = True

    def report(mask: np.ndarray, verbs: tuple[str, str], what: str, then: str, fix: str, check: str) -> None:
        if mask.any():
            rows = np.flatnonzero(mask) + 1
            one, many = ("village", "villages") if villages else ("feature", "features")
            findings.warn(f"{counted(len(rows), f'{one} {verbs[0]}', f'{many} {verbs[1]}')} {what} "
                          f"({row_examples(rows)}); {then.format('it is' if len(rows) == 1 else 'they are')}",
                          fix=fix, row=int(rows[0]), check=check, **where(source))

    report(truncated, ("lies", "lie"), "beyond the end of the .shp file (shorter than its .shx index says)",
           f"{{}} {lost}", "copy or export the Shapefile again (all of .shp, .shx, .dbf)", "truncated_file")
    unread = malformed & ~truncated
    report(unread, ("has", "have"), "a geometry GEOS cannot read as written (a ring of fewer than 4 points or not "
           "closed, a line of one point)",
           f"repaired where possible{f', else {lost}' if (unread & ~present).any() else ''}",
           "fix them in a GIS (check geometry validity) or export the layer again", "malformed_geometry")
    report(cleaned.non_finite, ("has", "have"), "a coordinate that is not a number (NaN or infinite)",
           f"{{}} {lost}", "correct the coordinates in a GIS", "non_finite")
    wanted = " or ".join(sorted({_PLAIN[kind] for kind in kinds}))
    report(cleaned.mixed, ("is a", "are"), f"geometry collection{'' if cleaned.mixed.sum() == 1 else 's'} holding "
           f"other parts besides {wanted}s", f"only the {wanted} parts are kept",
           "keep only those parts in the source", "geometry_collection")
    report(cleaned.lacking, ("is a", "are"), f"geometry collection{'' if cleaned.lacking.sum() == 1 else 's'} "
           f"holding no {wanted}", f"{{}} {lost}", "replace them with plain geometries", "geometry_collection")
    repaired = cleaned.repaired & ~malformed
    if repaired.any():
        rows = np.flatnonzero(repaired) + 1
        findings.warn(f"repaired {counted(len(rows), 'invalid geometry', 'invalid geometries')} with make_valid "
                      f"({row_examples(rows)})",
                      fix="check them in a GIS and fix the source", row=int(rows[0]), check="invalid_geometry",
                      **where(source))
    report(cleaned.collapsed & ~malformed, ("is", "are"), f"invalid and hold no {wanted} once repaired",
           f"{{}} {lost}", "redraw them in a GIS", "invalid_geometry")
    broken = cleaned.broken | truncated | (malformed & ~present)
    if not villages and not present.all():
        rows = np.flatnonzero(~present & ~broken) + 1
        if len(rows):
            findings.warn(f"{counted(len(rows), 'feature has', 'features have')} no geometry or an empty one "
                          f"({row_examples(rows)}); {'it is' if len(rows) == 1 else 'they are'} left out",
                          fix="draw them or delete the rows", row=int(rows[0]), check="empty_geometry",
                          **where(source))
    _check_share(source, frame, broken if villages else ~present, truncated, findings)
    # by GEOS's type numbers: the names as strings took 80 ms for 100k villages' roads
    kind = shapely.get_type_id(frame.geometry.to_numpy())
    wrong = present & ~np.isin(kind, [_TYPE_NAMES.index(name) for name in kinds])
    if wrong.any():
        rows = np.flatnonzero(wrong) + 1
        found = ", ".join(sorted({_TYPE_NAMES[k] for k in kind[wrong]}))
        raise DataError(f"{source.where}: holds {found} geometries ({row_examples(rows)}) but [{source.key}] needs "
                        f"{' or '.join(sorted(kinds))}; point the profile at the right file or layer")


_PLAIN = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
          "Polygon": "polygon", "MultiPolygon": "polygon"}


def _check_share(source: Source, frame: gpd.GeoDataFrame, unusable: np.ndarray, truncated: np.ndarray,
                 findings: Findings) -> None:
    """An error when more than ``UNUSABLE_SHARE_LIMIT`` of the layer has no usable geometry."""
    n = int(unusable.sum())
    if len(frame) == 0 or (n <= max(UNUSABLE_SHARE_LIMIT * len(frame), 1) and n < len(frame)):
        return   # one feature alone is reported as a warning, unless it is the whole layer
    rows = np.flatnonzero(unusable) + 1
    things = ("village boundary", "village boundaries") if source.key == "villages" else ("feature", "features")
    if truncated.any():
        fix = "the .shp file is cut short: copy or export the Shapefile again (all of .shp, .shx, .dbf)"
    elif source.x and source.path.suffix.lower() in {".xlsx", ".xls", ".ods"}:
        fix = (f"fill in {source.x!r} and {source.y!r} in those rows; if they are formulas, open the workbook and "
               "save it in Excel or LibreOffice so that their values are stored (or paste them as values)")
    elif source.x:
        fix = f"fill in {source.x!r} and {source.y!r} in those rows, or delete the rows"
    else:
        fix = "export the layer again, or repair or draw those geometries in a GIS"
    findings.error(f"{n} of {counted(len(frame), things[0], things[1])} ({n / len(frame):.0%}) cannot be used "
                   f"({row_examples(rows)}): more than {UNUSABLE_SHARE_LIMIT:.0%} of the layer would be lost",
                   fix=fix, row=int(rows[0]), check="unusable_share", **where(source))


def _check_text(source: Source, frame: gpd.GeoDataFrame, findings: Findings) -> None:
    for column in frame.columns:
        if column == frame.geometry.name or not (pd.api.types.is_object_dtype(frame[column])
                                                 or pd.api.types.is_string_dtype(frame[column])):
            continue
        bad = encoding.garbled(frame[column])
        if bad.any():
            rows = np.flatnonzero(bad) + 1
            findings.warn(f"column {source.columns.get(column, column)!r} looks garbled in {counted(len(rows), 'row', 'rows')} "
                          f"({row_examples(rows)}, first {frame[column].iloc[rows[0] - 1]!r})",
                          fix=f"set {source.key}.encoding (\"GBK\" or \"UTF-8\") or add a .cpg file naming the "
                              "file's encoding", row=int(rows[0]), column=source.columns.get(column, column),
                          check="garbled_text", **where(source))
