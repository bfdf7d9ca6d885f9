"""``covermap compare``'s files: two output folders read, CHANGES_DIR written whole
(gis.outdir). The comparing itself is ``layers.compare``.

CHANGES_DIR holds changes.csv (one row per village x standard that changed), summary.csv
(per bureau x township x change), changes.gpkg (layer ``changes``: the rows of changes.csv
on the villages' polygons, the new run's, the old run's for removed villages) and
changes.json (the runs, the settings that differ, the counts, the outputs)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gis.csvfile import write_csv
from gis.errors import DataError, OutputError
from gis.io import ARROW_BATCH, _from_wkb, read_vector, write_gpkg_layers
from gis.memory import release_free_memory
from gis.outdir import OutputFolder
from layers import changebook, trend
from layers import compare as cmp
from layers.standards import ALL
from layers.verdicts import T, check_lang

log = logging.getLogger(__name__)

OUTPUTS = ("changes.csv", "summary.csv", "changes.gpkg", "changes.json")   # always written
ALL_OUTPUTS = (*OUTPUTS, "trend.csv", "changes.html", "trend.html", *changebook.NAMES.values(), changebook.COUNTY_FOLDER)
TEXT_COLUMNS = {"village_code": str, "township_code": str, "village_name": str, "township_name": str}
_USED = {"village_code", "village_name", "township_code", "township_name",
         *(f"{s.key}_{part}" for s in ALL for part in ("verdict", "reason")),
         *(s.value_column for s in ALL)}   # the optional standards' where a run has them


@dataclass
class Run:
    """One covermap output folder as compare reads it."""

    folder: Path
    villages: pd.DataFrame
    settings: dict = field(default_factory=dict)
    profile: str | None = None
    written: str | None = None   # when the run was made (run.json's run_at, else its file time)
    as_of: str | None = None     # the date its data describe (run.json's as_of)

    @property
    def lang(self) -> str | None:
        return self.settings.get("project", {}).get("lang")

    @property
    def label(self) -> str:
        """How the run is named in the trend: the date its data describe, else the folder's name."""
        return self.as_of or self.folder.name

    def record(self) -> dict:
        return {"folder": str(self.folder), "profile": self.profile, "written": self.written, "as_of": self.as_of,
                "villages": len(self.villages)}


def read_run(folder: str | os.PathLike) -> Run:
    """OUTDIR's villages.csv (codes as text) and run.json (profile settings, when written)."""
    folder = Path(folder)
    table = folder / "villages.csv"
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder; give the output folder of a covermap run (covermap run -o)")
    if not table.is_file():
        raise DataError(f"{folder}: not a covermap output folder (it has no villages.csv); give the folder "
                        "'covermap run -o' wrote")
    try:
        villages = pd.read_csv(table, dtype=TEXT_COLUMNS, encoding="utf-8-sig", usecols=lambda c: c in _USED,
                               keep_default_na=False, na_values={s.value_column: [""] for s in ALL})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{table}: cannot be read as covermap's villages table ({exc}); run covermap again "
                        "to write it anew") from exc
    cmp.check_villages(villages, str(table))
    cmp.check_verdicts(villages, str(table))
    run = Run(folder, villages)
    record = folder / "run.json"
    if record.is_file():
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"{record}: is not JSON ({exc}); run covermap again to write it anew") from exc
        run.settings = data.get("profile", {}).get("settings", {}) or {}
        run.profile = data.get("profile", {}).get("path")
        run.as_of = data.get("as_of")
        # run.json's run_at; a folder written before covermap recorded it: the file's time
        run.written = data.get("run_at") or datetime.fromtimestamp(
            record.stat().st_mtime, timezone.utc).astimezone().isoformat(timespec="seconds")
    else:
        log.warning("%s: has no run.json, so its profile settings cannot be compared", folder)
    return run


def read_codes(path: str | os.PathLike) -> pd.DataFrame:
    """A code-change table: CSV with columns old_code,new_code (codes as text)."""
    path = Path(path)
    try:
        codes = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; give the code-change table (CSV, columns old_code,new_code)") from None
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: cannot be read as a CSV table ({exc}); save it as CSV (UTF-8) with columns "
                        "old_code,new_code") from exc
    codes.columns = [str(name).strip() for name in codes.columns]
    cmp.check_codes(codes, str(path))
    return codes.assign(old_code=codes["old_code"].str.strip(), new_code=codes["new_code"].str.strip())


@dataclass
class Comparison:
    changes: pd.DataFrame
    differences: list[dict]
    lang: str
    runs: list[Run] = field(default_factory=list)   # in time order
    trend: pd.DataFrame | None = None
    outputs: tuple[str, ...] = OUTPUTS
    shapes: pd.DataFrame | None = None   # the changes on the villages' polygons, when the runs have them

    @property
    def title(self) -> str:
        return T(zh="变化：{old} → {new}", en="Changes: {old} → {new}").format(
            self.lang, old=self.runs[-2].label, new=self.runs[-1].label)


def write_changes(old_dir, new_dir, outdir, **options) -> Comparison:
    """Compare the runs in ``old_dir`` and ``new_dir`` and write CHANGES_DIR ``outdir`` whole."""
    return write_comparison([old_dir, new_dir], outdir, **options)


def order_runs(runs: list[Run]) -> list[Run]:
    """The runs in time order: by the date their data describe (run.json's as_of), then when
    they were made (run_at); runs that tie (or have no run.json) stay in the order given."""
    return sorted(runs, key=lambda run: (run.as_of or (run.written or "")[:10], run.written or ""))


def write_comparison(folders, outdir, *, codes: str | os.PathLike | None = None, overwrite: bool = False,
                     lang: str | None = None, pages: Callable[[Path, Comparison], list[str]] | None = None
                     ) -> Comparison:
    """Compare the runs in ``folders`` (two or more, put in time order): the changes between
    the last two, the trend over all; CHANGES_DIR ``outdir`` written whole. ``pages``: writes
    the HTML pages (``maps``, given by the command) into the staging folder, returns their names."""
    outdir = Path(outdir)
    if len(folders) < 2:
        raise DataError("compare needs at least two output folders (the earlier run, then the later)")
    for folder in folders:
        if Path(os.path.realpath(outdir)) == Path(os.path.realpath(folder)):
            raise OutputError(f"{outdir}: is one of the compared output folders; choose another folder for the changes")
    given = [read_run(folder) for folder in folders]
    runs = order_runs(given)
    if [run.folder for run in runs] != [run.folder for run in given]:
        log.info("runs compared in the order of their dates: %s", ", ".join(f"{run.folder} ({run.label})" for run in runs))
    old, new = runs[-2], runs[-1]
    table = read_codes(codes) if codes is not None else None
    lang = check_lang(lang or new.lang or "zh")
    differences = cmp.settings_differences(old.settings, new.settings)
    changed = {key for difference in differences for key in difference["standards"]}
    changes = cmp.compare(old.villages, new.villages, table, changed_standards=changed, lang=lang)
    trends = trend.trend([run.villages for run in runs], [run.label for run in runs], table, last=changes)
    records = {"runs": [run.record() for run in runs], "old": old.record(), "new": new.record()}
    for run in runs:   # the village tables are done with: let go of them before the outputs are written
        run.villages = pd.DataFrame(columns=run.villages.columns)
    _release()
    books = changebook.workbook_names(changes, lang)
    with OutputFolder(outdir, is_output=lambda name: name in ALL_OUTPUTS, record="changes.json") as folder:
        folder.check(ALL_OUTPUTS, overwrite, reads=[run.folder / "villages.csv" for run in runs])
        staging = folder.stage()
        written = [*OUTPUTS, "trend.csv", *books]
        try:
            write_csv(staging / "changes.csv", changes)
            write_csv(staging / "summary.csv", cmp.summary(changes, lang))
            write_csv(staging / "trend.csv", trends)
            write_changes_layer(staging / "changes.gpkg", changes, old, new)
            _release()
            changebook.write_changebook(staging, changes, trends, (old.label, new.label), lang)
            shapes = _on_polygons(changes, old, new) if pages is not None else None
            if pages is not None:
                written += pages(staging, Comparison(changes, differences, lang, runs, trends, shapes=shapes))
            record = {**records, "codes": str(codes) if codes else None,
                      "lang": lang, "settings_differences": differences, "counts": cmp.counts(changes),
                      "open_change": {k: int(v) for k, v in cmp.open_change(changes).items()},
                      "outputs": [*written, "changes.json"]}
            (staging / "changes.json").write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str),
                                                  encoding="utf-8")
        except OutputError as exc:
            raise OutputError(str(exc).replace(str(staging), str(outdir))) from exc
        except OSError as exc:
            raise OutputError(f"{outdir}: cannot write the changes ({exc.strerror or exc}); the previous outputs "
                              "are unchanged") from exc
        folder.switch([*written, "changes.json"])
    return Comparison(changes, differences, lang, runs, trends, tuple([*written, "changes.json"]))


def _release() -> None:
    """What was freed back to the system: glibc's (``gis.memory.release_free_memory``) and
    Arrow's memory pool's (mimalloc keeps what Arrow frees; 100k villages, after comparing:
    637 -> 297 MB)."""
    import pyarrow as pa

    release_free_memory()
    pa.default_memory_pool().release_unused()


def _on_polygons(changes: pd.DataFrame, old: Run, new: Run) -> pd.DataFrame:
    """The changes on the villages' polygons from each run's coverage.gpkg (layer villages):
    the new run's, the old run's for villages removed; none where a run has no coverage.gpkg.
    Only the polygons the rows need are read (the old run's: the removed villages'), each
    village's decoded once."""
    import pyarrow as pa

    polygons = _polygons(changes, old, new)
    if polygons is None:
        return changes.reset_index(drop=True)   # a table without geometry
    chunks, index, crs = polygons
    decoded = np.append(_from_wkb(pa.chunked_array(chunks, type=pa.binary()).to_numpy(), 0, []), None)
    return gpd.GeoDataFrame(changes.reset_index(drop=True),
                            geometry=gpd.array.from_shapely(decoded[index], crs=crs), crs=crs)


def write_changes_layer(path: Path, changes: pd.DataFrame, old: Run, new: Run) -> None:
    """changes.gpkg: layer ``changes``, the rows of ``changes`` on their villages' polygons
    (as ``_on_polygons``), as ``gis.io.write_gpkg_layers`` writes such a frame; but the
    polygons go as the runs hold them (WKB: neither decoded nor encoded again), through
    GDAL's Arrow writer a block of rows at a time (each block's cells made Arrow and its WKB
    taken then, from the arrays as read: 490k villages, peak 4.5 -> 2.9 GB)."""
    polygons = _polygons(changes, old, new)
    if polygons is not None:
        try:
            kinds = pd.concat([_wkb_kinds(chunk) for chunk in polygons[0]], ignore_index=True) if polygons[0] \
                else _wkb_kinds(pa.array([], type=pa.binary()))
        except ValueError:   # not WKB as GDAL writes it: decoded and written as any layer
            polygons = None
    if polygons is None:
        write_gpkg_layers(path, {"changes": _on_polygons(changes, old, new)})
        return
    import pyarrow as pa
    import pyogrio

    from gis.io import GPKG_ROWS, GPKG_WRITE_CONFIG, _first_line, _gdal_config

    chunks, index, crs = polygons
    kind, promote = _layer_type(kinds)
    if promote:
        chunks = [_promoted(chunk, kinds.iloc[start:start + len(chunk)].reset_index(drop=True))
                  for chunk, start in zip(chunks, np.cumsum([0, *map(len, chunks)]))]
    del kinds
    schema = pa.Schema.from_pandas(changes, preserve_index=False)
    schema = schema.append(pa.field("geometry", pa.binary()))

    def blocks():
        for start in range(0, len(changes), GPKG_ROWS):
            part = pa.Table.from_pandas(changes.iloc[start:start + GPKG_ROWS], schema=schema.remove(len(schema) - 1),
                                        preserve_index=False)
            yield pa.RecordBatch.from_arrays([*(column.combine_chunks() for column in part.columns),
                                              _taken(chunks, index[start:start + len(part)])], schema=schema)

    if path.exists():
        path.unlink()
    epsg = crs.to_epsg() if crs is not None else None
    try:
        with _gdal_config(GPKG_WRITE_CONFIG):
            pyogrio.write_arrow(pa.RecordBatchReader.from_batches(schema, blocks()), path, layer="changes",
                                driver="GPKG", geometry_name="geometry", geometry_type=kind,
                                crs=None if crs is None else f"EPSG:{epsg}" if epsg else crs.to_wkt("WKT1_GDAL"))
    except (OSError, RuntimeError) as exc:
        raise OutputError(f"{path} layer 'changes': cannot be written ({_first_line(exc)})") from exc


def _polygons(changes: pd.DataFrame, old: Run, new: Run):
    """The polygons of the rows' villages: their WKB (Arrow binary arrays, as read: each
    village once), the position of each row's in them taken as one (their length where a
    row has none) and their CRS; None when neither run has coverage.gpkg. The arrays are
    not joined (490k villages: 0.8 GB, copied each time they were)."""
    import pyarrow as pa

    _release()   # what comparing freed, back to the system before the polygons come
    removed = (changes["change"] == cmp.VILLAGE_REMOVED).to_numpy()
    shapes_new = _shapes(new, changes.loc[~removed, "village_code"])
    shapes_old = _shapes(old, changes.loc[removed, "old_village_code"]) if removed.any() else None
    if shapes_new is None and shapes_old is None:
        return None
    crs = shapes_new[2] if shapes_new is not None else shapes_old[2]
    if shapes_old is not None and crs is not None and shapes_old[2] is not None and shapes_old[2] != crs:
        codes, wkb, old_crs = shapes_old   # the old run's polygons put into the new run's CRS
        moved = gpd.GeoSeries(_from_wkb(pa.chunked_array(wkb, type=pa.binary()).to_numpy(), 0, []),
                              crs=old_crs).to_crs(crs)
        shapes_old = codes, [pa.array(shapely.to_wkb(moved.to_numpy()), type=pa.binary())], crs
    index = np.full(len(changes), -1, dtype=np.int64)
    parts, at = [], 0
    for rows, column, shapes in ((~removed, "village_code", shapes_new), (removed, "old_village_code", shapes_old)):
        if shapes is None or not rows.any():
            continue
        codes, wkb, _ = shapes
        found = pd.Index(codes).get_indexer(changes.loc[rows, column].to_numpy())
        index[rows] = np.where(found >= 0, found + at, -1)
        parts += wkb
        at += sum(map(len, wkb))
    index[index < 0] = at
    return parts, index, crs


def _shapes(run: Run, codes: pd.Series):
    """The WKB of the villages ``codes`` in the run's coverage.gpkg (layer villages), a
    code's first feature: (codes, Arrow binary, CRS); None without coverage.gpkg. Only the
    codes and geometries are read, through GDAL's Arrow stream; a few (the removed
    villages) are picked out by GDAL itself (490k villages: 9.1 s and +1.9 GB per run when
    every polygon was decoded)."""
    path = run.folder / "coverage.gpkg"
    if not path.is_file():
        log.warning("%s: has no coverage.gpkg; changes.gpkg has no polygons for its villages", run.folder)
        return None
    wanted = pd.Index(pd.unique(codes.to_numpy()))
    try:
        return _wanted_wkb(path, wanted)
    except Exception:   # not as covermap writes it: read as any layer (and its errors reported so)
        import pyarrow as pa

        shapes = read_vector(path, layer="villages", columns=["village_code"])
        shapes["village_code"] = shapes["village_code"].astype(str)
        shapes = shapes.drop_duplicates("village_code").set_index("village_code").geometry
        shapes = shapes[shapes.index.isin(wanted)]
        return shapes.index.to_numpy(dtype=object), [pa.array(shapely.to_wkb(shapes.to_numpy()), type=pa.binary())], \
            shapes.crs


_PICKED_BY_GDAL = 10_000   # at most this many wanted codes are selected by a WHERE clause


def _wanted_wkb(path: Path, wanted: pd.Index):
    """``_shapes``' reading: the layer's codes and WKB a batch at a time (or the features of
    a few wanted codes, by GDAL), the first feature of each wanted code kept as read.
    Geometries GEOS would refuse as written are repaired as ``gis.io.read_vector`` repairs
    them (decoded and encoded again)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyogrio

    kwargs = {"layer": "villages", "columns": ["village_code"], "batch_size": ARROW_BATCH, "use_pyarrow": True}
    if len(wanted) <= _PICKED_BY_GDAL:
        kwargs["where"] = "village_code IN ({})".format(
            ",".join("'" + str(code).replace("'", "''") + "'" for code in wanted) or "NULL")
    wanted = pd.Index(wanted)
    seen = np.zeros(len(wanted), dtype=bool)
    codes, geometries = [], []
    with pyogrio.open_arrow(path, **kwargs) as (meta, reader):
        name = meta["geometry_name"] or "wkb_geometry"
        for batch in reader:
            column = batch.column("village_code")
            batch_codes = (column.to_numpy(zero_copy_only=False) if pa.types.is_string(column.type)
                           or pa.types.is_large_string(column.type) else [str(code) for code in column.to_pylist()])
            batch_codes = np.asarray(batch_codes, dtype=object)
            at = wanted.get_indexer(batch_codes)   # a wanted code's first feature, in this batch and before
            hits = np.flatnonzero(at >= 0)
            hits = hits[np.unique(at[hits], return_index=True)[1]]
            hits = hits[~seen[at[hits]]]
            seen[at[hits]] = True
            keep = np.zeros(len(batch_codes), dtype=bool)
            keep[hits] = True
            if not keep.any():
                continue
            picked = batch.column(name).filter(pa.array(keep)).cast(pa.binary())
            empty = pc.equal(pc.binary_length(picked), 0)   # no geometry (FlatGeobuf's b"")
            picked = pc.if_else(empty, pa.scalar(None, pa.binary()), picked)
            codes.append(batch_codes[keep])
            geometries.append(_repaired(picked))
    codes = np.concatenate(codes) if codes else np.empty(0, dtype=object)
    return codes, geometries, None if meta["crs"] is None else CRS.from_user_input(meta["crs"])


def _taken(chunks: list, index: np.ndarray):
    """The WKB at the positions ``index`` in ``chunks`` taken as one array (None at their
    length), without joining the chunks: each chunk's rows taken from it, then put in order."""
    import pyarrow as pa

    ends = np.cumsum([len(chunk) for chunk in chunks], dtype=np.int64)
    which = np.searchsorted(ends, index, side="right")   # the chunk of each row; len(chunks): none
    order = np.argsort(which, kind="stable")
    pieces, starts = [], np.concatenate([[0], ends])
    for k in np.unique(which):
        rows = order[np.searchsorted(which[order], k):np.searchsorted(which[order], k, side="right")]
        pieces.append(pa.nulls(len(rows), pa.binary()) if k == len(chunks)
                      else chunks[k].take(pa.array(index[rows] - starts[k])))
    taken = pa.concat_arrays(pieces) if pieces else pa.array([], type=pa.binary())
    if (np.diff(which) >= 0).all():   # in order already (one chunk)
        return taken
    return taken.take(pa.array(np.argsort(order, kind="stable")))


def _repaired(wkb):
    """The WKB as read where GEOS takes it; where it refuses some, those decoded as
    ``gis.io._from_wkb`` decodes them (repaired where it can) and encoded again."""
    import pyarrow as pa

    values = wkb.to_numpy(zero_copy_only=False)
    try:
        shapely.from_wkb(values)   # the check only: GEOS takes every one
        return wkb
    except shapely.errors.GEOSException:
        return pa.array(shapely.to_wkb(_from_wkb(values, 0, [])), type=pa.binary())


_TYPE_NAMES = {1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon",
               7: "GeometryCollection"}


def _wkb_kinds(wkb) -> pd.DataFrame:
    """Of each WKB (as GDAL and shapely write it): its type (1 Point ... 7
    GeometryCollection, 0 none), whether it has Z, whether it is empty, and its byte order
    (1 little-endian); ValueError for what is not WKB so read."""
    n = len(wkb)
    offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int32)[wkb.offset:wkb.offset + n + 1]
    data = np.frombuffer(wkb.buffers()[2], dtype=np.uint8) if n and wkb.buffers()[2] is not None \
        else np.zeros(0, dtype=np.uint8)
    present = np.asarray(wkb.is_valid(), dtype=bool) & (np.diff(offsets) >= 9)
    at = offsets[:-1][present]
    order = data[at]
    if not np.isin(order, (0, 1)).all():
        raise ValueError("not WKB")

    def uint32(start):
        b = [data[start + k].astype(np.uint32) for k in range(4)]
        return np.where(order == 1, b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24,
                        b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24)

    code = uint32(at + 1)
    flagged = (code & 0x80000000) != 0   # EWKB's Z flag
    iso = (code & 0x0FFFFFFF)
    base, z = iso % 1000, flagged | np.isin(iso // 1000, (1, 3))
    if not np.isin(base, list(_TYPE_NAMES)).all() or ((code & 0x60000000) != 0).any():
        raise ValueError("not WKB")
    count = uint32(at + 5)
    out = pd.DataFrame({"type": np.zeros(n, dtype=np.int64), "z": False, "empty": False, "order": 1})
    out.loc[present, "type"] = base.astype(np.int64)
    out.loc[present, "z"] = z
    out.loc[present, "empty"] = (base != 1) & (count == 0)
    out.loc[present, "order"] = order
    if (np.asarray(wkb.is_valid(), dtype=bool) & ~present).any():
        raise ValueError("not WKB")
    return out


_MULTI = {frozenset({"Point", "MultiPoint"}): "MultiPoint",
          frozenset({"LineString", "MultiLineString"}): "MultiLineString",
          frozenset({"Polygon", "MultiPolygon"}): "MultiPolygon"}


def _layer_type(kinds: pd.DataFrame) -> tuple[str, bool]:
    """The layer's geometry type and whether singles become multis, as ``gis.io._geometry_type``
    works them out for decoded geometries."""
    names = frozenset(kinds.loc[kinds["type"] > 0, "type"].map(_TYPE_NAMES))
    promote = names in _MULTI
    kind = _MULTI[names] if promote else next(iter(names)) if len(names) == 1 else "Unknown"
    if kind != "Unknown" and (kinds["z"] & ~kinds["empty"] & (kinds["type"] > 0)).any():
        kind += " Z"
    return kind, promote


def _promoted(wkb, kinds: pd.DataFrame):
    """Single geometries as one-part multis (a Polygon as a MultiPolygon of it), as pyogrio
    promotes them, in WKB: the multi's header (byte order, type, one part) before the
    single's bytes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    single = kinds["type"].isin([1, 2, 3]).to_numpy()
    if not single.any():
        return wkb
    little = kinds["order"].to_numpy() == 1
    code = (kinds["type"].to_numpy() + 3 + np.where(kinds["z"].to_numpy(), 1000, 0)).astype(np.uint32)
    parts = (~kinds["empty"].to_numpy()).astype(np.uint32)
    headers = np.empty((len(wkb), 9), dtype=np.uint8)
    headers[:, 0] = little
    headers[:, 1:5] = np.where(little[:, None], code.astype("<u4")[:, None].view(np.uint8),
                               code.astype(">u4")[:, None].view(np.uint8))
    headers[:, 5:9] = np.where(little[:, None], parts.astype("<u4")[:, None].view(np.uint8),
                               parts.astype(">u4")[:, None].view(np.uint8))
    headers = pa.FixedSizeBinaryArray.from_buffers(pa.binary(9), len(wkb), [None, pa.py_buffer(headers.tobytes())])
    joined = pc.binary_join_element_wise(headers.cast(pa.binary()), wkb, b"")
    return pc.if_else(pa.array(single), joined, wkb)
