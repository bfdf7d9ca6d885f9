"""Reading and writing vector data through GDAL (pyogrio), and describing files (fiona).

Every error names the file and layer and says what to do about it.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gis.errors import DataError, OutputError
from gis.files import ordinary

log = logging.getLogger(__name__)

TEXT_TABLE_SUFFIXES = {".csv", ".tsv", ".txt"}   # .txt: Excel's "Unicode text" (UTF-16, tab-separated)
TABLE_SUFFIXES = TEXT_TABLE_SUFFIXES | {".xlsx", ".xls", ".ods"}
# A spreadsheet's first row is its header, even when every row is text (GDAL would otherwise
# take such a header for data, and name the columns Field1, Field2...)
TABLE_CONFIG = {"OGR_XLSX_HEADERS": "FORCE", "OGR_ODS_HEADERS": "FORCE"}


def sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file; for a Shapefile only the .shp itself; for a folder dataset (a
    FileGDB) every file in it, in order of their paths, each path hashed before its bytes."""
    path = ordinary(path)
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if file != path:
            digest.update(file.relative_to(path).as_posix().encode("utf-8") + b"\0")
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class Digests:
    """``sha256`` of files, worked out on a thread of their own from the start (hashlib lets
    go of Python's lock), so that hashing overlaps reading: ``digests(path)`` waits for
    that file's (a file not named at the start is hashed there and then)."""

    def __init__(self, paths):
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="covermap-sha256")
        self._started = {Path(path): self._pool.submit(sha256, path) for path in dict.fromkeys(paths)}

    def __call__(self, path: str | os.PathLike) -> str:
        started = self._started.get(Path(path))
        return started.result() if started is not None else sha256(path)

    def close(self) -> None:
        """Stop: files not yet hashed are not."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def list_layers(path: str | os.PathLike) -> list[str]:
    """Layer names of a dataset, or a DataError naming the file."""
    path = _existing(path)
    try:
        return [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:  # GDAL's own errors vary by driver
        raise DataError(f"{path}: GDAL cannot open it ({_first_line(exc)}); is it a GeoPackage, Shapefile, "
                        "GeoJSON, FlatGeobuf, FileGDB, CSV or XLSX file?") from exc


def _existing(path: str | os.PathLike) -> Path:
    """The path of an input that exists and is a file (or a folder dataset), else a
    DataError naming it: a device or a pipe would never be read to its end."""
    path = ordinary(path)
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path in the profile (relative to the profile file)")
    return path


def _check_layer(path: Path, layer: str | None) -> None:
    layers = list_layers(path)
    if layer is not None and layer not in layers:
        raise DataError(f"{path}: no layer {layer!r}; it has {', '.join(map(repr, layers))}. "
                        "Set 'layer' in the profile to one of them")
    if layer is None and len(layers) > 1 and path.suffix.lower() not in TABLE_SUFFIXES:
        raise DataError(f"{path}: has {len(layers)} layers ({', '.join(map(repr, layers))}); "
                        "set 'layer' in the profile to the one to use")


def read_vector(path: str | os.PathLike, layer: str | None = None, encoding: str | None = None,
                columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """Read a vector layer with its CRS as declared by the file (possibly None); with
    ``columns``, only those of them the layer has (and the geometry)."""
    path = Path(path)
    _check_layer(path, layer)
    kwargs = {"layer": layer} if layer is not None else {}
    if encoding:
        kwargs["encoding"] = encoding
    if columns is not None:
        kwargs["columns"] = list(dict.fromkeys(columns))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = _read_arrow(path, **kwargs)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: its text is not {encoding or exc.encoding} ({exc.reason}); set 'encoding' in "
                        "the profile (e.g. roads.encoding = \"GBK\") or correct the .cpg file") from exc
    except Exception as exc:
        where = f"{path}" + (f" layer {layer!r}" if layer else "")
        raise DataError(f"{where}: cannot be read ({_first_line(exc)})") from exc
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        raise DataError(f"{path}: has no geometry column; for a point table (CSV/XLSX) set 'x' and 'y' "
                        "to its longitude and latitude columns in the profile")
    return frame


# Rows per Arrow batch read: each batch's geometries are decoded as it comes, so that the
# whole layer's WKB is never held at once
ARROW_BATCH = 65_536


def _read_arrow(path: Path, **kwargs) -> gpd.GeoDataFrame | pd.DataFrame:
    """The layer as ``geopandas.read_file`` gives it, read through GDAL's Arrow stream
    (490k villages, reading every layer: 43.4 -> 31.1 s, peak 5.2 -> 4.7 GB; text is
    stored as Arrow strings rather than a Python object a cell). The geometries are
    decoded batch by batch, and the attributes are copied out of GDAL's batches, which
    would otherwise be held whole (WKB included: 490k villages +800 MB) as long as any of
    their columns is. Without a geometry column, a plain DataFrame."""
    import pyarrow as pa
    import pyarrow.compute as pc

    batches, geometries, malformed = [], [], []
    with pyogrio.open_arrow(path, batch_size=ARROW_BATCH, use_pyarrow=True, **kwargs) as (meta, reader):
        if _PLAIN_TYPES.intersection([*meta["ogr_types"], *meta["ogr_subtypes"]]):
            return _read_plain(path, **kwargs)
        name = meta["geometry_name"] or "wkb_geometry"
        schema = reader.schema
        at = schema.get_field_index(name)
        for batch in reader:
            if not _valid(batch):
                batches = geometries = None
                return _read_plain(path, **kwargs)
            if at >= 0:
                wkb = batch.column(at).to_numpy(zero_copy_only=False)
                wkb[pc.binary_length(batch.column(at)).to_numpy(zero_copy_only=False) == 0] = None
                # FlatGeobuf gives no geometry as b""
                geometries.append(_from_wkb(wkb, sum(map(len, geometries)), malformed))
                batch = batch.remove_column(at)
            batches.append(batch)
    if at >= 0:
        schema = schema.remove(at)
    table = pa.Table.from_batches(batches, schema=schema)
    del batches
    table = pa.Table.from_arrays([pa.concat_arrays(column.chunks) if column.num_chunks else column
                                  for column in table.columns], schema=schema)   # copied out of GDAL's
    frame = table.to_pandas(self_destruct=True)
    del table
    if at < 0:
        return frame
    frame = gpd.GeoDataFrame(frame, geometry=np.concatenate(geometries) if geometries else np.empty(0, dtype=object),
                             crs=meta["crs"])
    return _mark_malformed(frame, np.concatenate(malformed) if malformed else np.empty(0, dtype=np.int64))


# ``frame.attrs`` key of the 0-based rows whose geometry GEOS could not take as written
# (a ring of fewer than 4 points or not closed, a one-point line, cut-off bytes): they hold
# what ``shapely.from_wkb(on_invalid="fix")`` made of them, or None. The reader of the file
# takes it out at once (``malformed_rows``) and reports those rows.
MALFORMED = "covermap_malformed_rows"


def malformed_rows(frame: pd.DataFrame) -> np.ndarray:
    """The rows ``read_vector`` marked as malformed, taken out of ``frame.attrs``."""
    return np.asarray(frame.attrs.pop(MALFORMED, np.empty(0, dtype=np.int64)), dtype=np.int64)


def _mark_malformed(frame: gpd.GeoDataFrame, rows: np.ndarray) -> gpd.GeoDataFrame:
    if len(rows):
        frame.attrs[MALFORMED] = rows
    return frame


def _from_wkb(wkb: np.ndarray, offset: int, malformed: list) -> np.ndarray:
    """``shapely.from_wkb``; where GEOS refuses some geometry (one broken ring would
    otherwise make the whole file unreadable), each is decoded on its own: repaired where
    GEOS can (``on_invalid="fix"``), else None, and its row (``offset`` + position) is
    appended to ``malformed``."""
    try:
        return shapely.from_wkb(wkb)
    except shapely.errors.GEOSException:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        strict = shapely.from_wkb(wkb, on_invalid="ignore")
        fixed = shapely.from_wkb(wkb, on_invalid="fix")
    bad = np.flatnonzero(shapely.is_missing(strict) & ~pd.isna(wkb))
    malformed.append(bad + offset)
    return fixed


def truncated_records(path: str | os.PathLike) -> np.ndarray:
    """For a Shapefile, the 0-based records its index (.shx) places beyond the end of the
    .shp (a copy cut short): GDAL reads them as features without geometry. Empty for
    other files or when the index cannot be read."""
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return np.empty(0, dtype=np.int64)
    index = next((path.with_suffix(s) for s in (".shx", ".SHX") if path.with_suffix(s).exists()), None)
    try:
        size = path.stat().st_size
        records = np.frombuffer(index.read_bytes()[100:], dtype=">i4") if index is not None else None
    except OSError:
        return np.empty(0, dtype=np.int64)
    if records is None or len(records) < 2:
        return np.empty(0, dtype=np.int64)
    records = records[:len(records) // 2 * 2].reshape(-1, 2).astype(np.int64)   # offset, length in 16-bit words
    return np.flatnonzero((records[:, 0] + 4 + records[:, 1]) * 2 > size)


def _valid(batch) -> bool:
    """Whether GDAL's batch is sound Arrow. Two cases are not, and such a layer is read as
    before, without Arrow: text GDAL could not recode passes through as it is in the file
    (a shapefile without .cpg: GBK bytes, which Arrow text cannot hold), and FlatGeobuf
    features without geometry break the geometry column's offsets (GDAL 3.12; reading
    those values aborts the process)."""
    import pyarrow as pa

    try:
        batch.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


# Fields geopandas converts after reading (dates and times parsed from text, JSON decoded):
# such layers are read without Arrow, so that they come out as they always have
_PLAIN_TYPES = {"OFTDate", "OFTTime", "OFTDateTime", "OFSTJSON"}


def _read_plain(path: Path, **kwargs) -> gpd.GeoDataFrame | pd.DataFrame:
    try:
        return gpd.read_file(path, engine="pyogrio", use_arrow=False, **kwargs)
    except shapely.errors.GEOSException:   # some geometry GEOS refuses: the geometries decoded one by one
        pass
    frame = gpd.read_file(path, engine="pyogrio", use_arrow=False, read_geometry=False, **kwargs)
    meta, _, wkb, _ = pyogrio.raw.read(path, **{**kwargs, "columns": []})
    malformed = []
    geoms = _from_wkb(np.asarray(wkb, dtype=object), 0, malformed)
    return _mark_malformed(gpd.GeoDataFrame(frame, geometry=geoms, crs=meta["crs"]), malformed[0])


def field_names(path: str | os.PathLike, layer: str | None = None, encoding: str | None = None) -> list[str]:
    """The layer's attribute column names, read from its schema alone."""
    kwargs = {"layer": layer} if layer is not None else {}
    if encoding:
        kwargs["encoding"] = encoding
    return [str(name) for name in pyogrio.read_info(path, **kwargs)["fields"]]


def read_table(path: str | os.PathLike, layer: str | None = None,
               encoding: str | None = None) -> pd.DataFrame:
    """Read an attribute table (CSV, XLSX, or any vector layer without its geometry).

    A text table (.csv, .tsv, .txt; comma, semicolon or tab between the cells) is read in
    ``encoding`` (None: UTF-8); one in UTF-16 (Excel's "Unicode text") is recoded to UTF-8
    first, which GDAL cannot read."""
    path = Path(path)
    if path.suffix.lower() in TEXT_TABLE_SUFFIXES and layer is None:
        _existing(path)
        if encoding and codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
            with tempfile.TemporaryDirectory(prefix="covermap-") as folder:
                copy = Path(folder) / "table.csv"
                try:
                    copy.write_text(path.read_bytes().decode(encoding), encoding="utf-8")
                except UnicodeDecodeError as exc:
                    raise _not_encoded(path, encoding, exc) from None
                return _read_table(copy, path, {})
        source = path if path.suffix.lower() == ".csv" else f"CSV:{path}"
        return _read_table(source, path, {"encoding": encoding} if encoding else {})
    _check_layer(path, layer)
    kwargs = {"layer": layer} if layer is not None else {}
    if encoding:
        kwargs["encoding"] = encoding
    frame = _read_table(path, path, kwargs)
    if (path.suffix.lower() in TABLE_SUFFIXES and len(frame) == 1
            and list(frame.columns) == [f"Field{i}" for i in range(1, frame.shape[1] + 1)]):
        # a sheet of one row: GDAL takes it for data whatever TABLE_CONFIG says; it is the header
        frame = pd.DataFrame(columns=[str(cell) for cell in frame.iloc[0]])
    return frame


def _read_table(source, path: Path, kwargs: dict) -> pd.DataFrame:
    try:
        with _gdal_config(TABLE_CONFIG):
            frame = pyogrio.read_dataframe(source, read_geometry=False, **kwargs)
    except UnicodeDecodeError as exc:
        raise _not_encoded(path, kwargs.get("encoding") or exc.encoding, exc) from None
    except Exception as exc:
        raise DataError(f"{path}: cannot be read as a table ({_first_line(exc)})") from exc
    return pd.DataFrame(frame)


def _not_encoded(path: Path, encoding: str, exc: UnicodeDecodeError) -> DataError:
    return DataError(f"{path}: its text is not {encoding} ({exc.reason} at byte {exc.start}); set encoding = "
                     "\"GBK\" (or the file's encoding) in the profile's section for this file, or save it from "
                     "Excel as \"CSV UTF-8\"")


def points_from_columns(table: pd.DataFrame, x: str, y: str, where: str) -> gpd.GeoSeries:
    """Points from two coordinate columns; rows with an empty cell get no geometry.

    A cell that is present but not a number is an error naming the column and row.
    """
    coords = {}
    for column in (x, y):
        raw = table[column]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna()
        if bad.any():   # text only where a cell did not parse (a number column has none)
            bad &= raw.astype("string").str.strip() != ""
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{where}: column {column!r} row {row + 1} is {raw.iloc[row]!r}, not a number; "
                            "fix the cell or leave it empty")
        coords[column] = values.to_numpy(dtype=float)
    return gpd.GeoSeries(gpd.points_from_xy(coords[x], coords[y]), index=table.index).where(
        ~(np.isnan(coords[x]) | np.isnan(coords[y])), None)


def prepare_output_dir(outdir: str | os.PathLike, names: list[str], overwrite: bool) -> Path:
    """Create OUTDIR; refuse when any of ``names`` exists there and overwrite is off."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(f"{outdir}: exists and is not a folder; choose another output folder")
    existing = [name for name in names if (outdir / name).exists()]
    if existing and not overwrite:
        raise OutputError(f"{outdir}: already holds {', '.join(existing)}; pass --overwrite to replace them "
                          "or choose another output folder")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{outdir}: cannot create the output folder ({exc.strerror})") from exc
    return outdir


def write_gpkg_layers(path: str | os.PathLike, layers: dict[str, pd.DataFrame]) -> None:
    """Write several layers (GeoDataFrames or plain tables) into one new GeoPackage.

    Each layer goes in blocks of ``GPKG_ROWS`` rows, appended in turn, so that only one
    block's geometries are ever held as WKB (490k villages: +817 MB at once, +146 MB in
    blocks), with the layer's geometry type worked out once for all of its rows, as
    pyogrio would for the whole frame."""
    path = Path(path)
    if path.exists():
        path.unlink()
    with _gdal_config(GPKG_WRITE_CONFIG):
        for name, frame in layers.items():
            kinds = _geometry_type(frame) if isinstance(frame, gpd.GeoDataFrame) else {}
            arrow = through_arrow(frame)
            try:
                for start in range(0, max(len(frame), 1), GPKG_ROWS):
                    pyogrio.write_dataframe(frame.iloc[start:start + GPKG_ROWS], path, layer=name, driver="GPKG",
                                            append=start > 0, use_arrow=arrow, **kinds)
            except (OSError, RuntimeError) as exc:   # pyogrio's errors are RuntimeErrors
                raise OutputError(f"{path} layer {name!r}: cannot be written ({_first_line(exc)})") from exc


GPKG_ROWS = 50_000


def through_arrow(frame: pd.DataFrame) -> bool:
    """Whether a layer is written through GDAL's Arrow writer: it takes text in bulk (the
    other way hands every cell over as a Python string) but is slower with large
    geometries. 490k villages (100 vertices, 30 text columns each) 12.2-14.9 -> 7.2-7.8 s,
    their 1.1 million gap rows 7.0 -> 2.4-2.8 s, but their 30k townships (480 vertices, 2
    text columns) 0.92 -> 2.22 s; so Arrow where the layer holds at most
    ``ARROW_VERTICES_PER_TEXT`` vertices per text cell."""
    text = sum(len(frame) for column in frame.columns
               if isinstance(frame[column].dtype, pd.StringDtype) or frame[column].dtype == object)
    vertices = (int(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum())
                if isinstance(frame, gpd.GeoDataFrame) else 0)
    return vertices <= ARROW_VERTICES_PER_TEXT * text


ARROW_VERTICES_PER_TEXT = 20

_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
               6: "MultiPolygon", 7: "GeometryCollection"}
_MULTI = {frozenset({"Point", "MultiPoint"}): "MultiPoint",
          frozenset({"LineString", "MultiLineString"}): "MultiLineString",
          frozenset({"Polygon", "MultiPolygon"}): "MultiPolygon"}


def _geometry_type(frame: gpd.GeoDataFrame) -> dict:
    """``geometry_type`` and ``promote_to_multi`` for pyogrio, as it infers them for the
    whole frame when writing a GeoPackage: the one type there is; single and multi of one
    kind as multi (singles promoted); anything else, and an empty frame, Unknown."""
    geoms = frame.geometry.to_numpy()
    kinds = frozenset(pd.Series(shapely.get_type_id(geoms)).map(_TYPE_NAMES).dropna())   # empty ones too
    promote = kinds in _MULTI
    kind = _MULTI[kinds] if promote else next(iter(kinds)) if len(kinds) == 1 else "Unknown"
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if kind != "Unknown" and shapely.has_z(geoms[present]).any():
        kind += " Z"
    return {"geometry_type": kind, "promote_to_multi": promote}


# While a GeoPackage is written: no fsync (outputs are staged and moved into place, as the
# CSVs, which are not synced either; a killed run leaves the previous outputs whole), and
# 16 KiB pages: a row of a ~100-vertex polygon leaves much of a 4 KiB page empty (100,000
# villages: 440 -> 271 MB, a little less CPU). SQLite caps an R-tree node at 51 entries
# whatever the page size, so the spatial index is the same.
GPKG_WRITE_CONFIG = {"OGR_SQLITE_SYNCHRONOUS": "OFF", "OGR_SQLITE_PRAGMA": "page_size=16384"}


@contextmanager
def _gdal_config(options: dict[str, str]) -> Iterator[None]:
    """GDAL configuration options set for the block and put back as they were after it."""
    before = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
