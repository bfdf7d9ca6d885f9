"""The villages' polygons of two runs for the changes (changes.gpkg, the changes map), as
WKB taken from each run's coverage.gpkg (layer ``villages``) as GDAL reads it: neither
decoded nor encoded again, except those GEOS refuses (repaired as ``gis.io.read_vector``
repairs them).

``Features``: the new run's villages listed once (each code's first feature: its fid and
its WKB's kind), their polygons read again by fid a block of rows at a time, so that the
layer's writer never holds them all (490k villages: 0.8 GB)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS

from gis.io import ARROW_BATCH, _from_wkb, read_vector
from gis.memory import release_free_memory

log = logging.getLogger(__name__)

REMOVED = "village_removed"                            # layers.compare.VILLAGE_REMOVED


def release() -> None:
    """What was freed back to the system: glibc's (``gis.memory.release_free_memory``) and
    Arrow's memory pool's (mimalloc keeps what Arrow frees; 100k villages, after comparing:
    637 -> 297 MB)."""
    release_free_memory()
    pa.default_memory_pool().release_unused()


def on_polygons(changes: pd.DataFrame, old_folder: Path, new_folder: Path) -> pd.DataFrame:
    """The changes on the villages' polygons from each run's coverage.gpkg (layer villages):
    the new run's, the old run's for villages removed; none where a run has no coverage.gpkg.
    Only the polygons the rows need are read (the old run's: the removed villages'), each
    village's decoded once."""
    polygons = polygons_of(pa.Table.from_pandas(changes[["village_code", "old_village_code", "change"]],
                                                 preserve_index=False), old_folder, new_folder)
    if polygons is None:
        return changes.reset_index(drop=True)   # a table without geometry
    chunks, index, crs = polygons
    decoded = np.append(_from_wkb(pa.chunked_array(chunks, type=pa.binary()).to_numpy(), 0, []), None)
    return gpd.GeoDataFrame(changes.reset_index(drop=True),
                            geometry=gpd.array.from_shapely(decoded[index], crs=crs), crs=crs)


def polygons_of(keys: pa.Table, old_folder: Path, new_folder: Path):
    """The polygons of the rows' villages (``keys``: their columns ``KEYS``): their WKB
    (Arrow binary arrays, as read: each village once), the position of each row's in them
    taken as one (their length where a row has none) and their CRS; None when neither run
    has coverage.gpkg. The arrays are not joined (490k villages: 0.8 GB, copied each time
    they were)."""
    release()   # what comparing freed, back to the system before the polygons come
    removed = removed_rows(keys)
    kept = pa.array(~removed)
    shapes_new = _shapes(new_folder, keys.column("village_code").filter(kept))
    shapes_old = removed_shapes(keys, removed, old_folder)
    if shapes_new is None and shapes_old is None:
        return None
    crs = shapes_new[2] if shapes_new is not None else shapes_old[2]
    shapes_old = in_crs(shapes_old, crs)
    index = np.full(len(keys), -1, dtype=np.int64)
    parts, at = [], 0
    for rows, column, shapes in ((~removed, "village_code", shapes_new), (removed, "old_village_code", shapes_old)):
        if shapes is None or not rows.any():
            continue
        codes, wkb, _ = shapes
        # each code once in ``codes`` (a feature per code): the first match is the one
        found = pc.index_in(keys.column(column).filter(pa.array(rows)), value_set=pa.array(codes, type=pa.string()))
        found = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        index[rows] = np.where(found >= 0, found + at, -1)
        parts += wkb
        at += sum(map(len, wkb))
    index[index < 0] = at
    return parts, index, crs


def removed_rows(keys: pa.Table) -> np.ndarray:
    """Which rows are of villages removed (their polygons the old run's)."""
    return np.asarray(pc.equal(keys.column("change"), REMOVED).fill_null(False).to_numpy(zero_copy_only=False),
                      dtype=bool)


def removed_shapes(keys: pa.Table, removed: np.ndarray, old_folder: Path):
    """``_shapes`` of the removed villages (``removed``: their rows) in the old run."""
    return _shapes(old_folder, keys.column("old_village_code").filter(pa.array(removed))) if removed.any() else None


def _shapes(folder: Path, codes: pa.ChunkedArray):
    """The WKB of the villages ``codes`` in the run's coverage.gpkg (layer villages), a
    code's first feature: (codes, Arrow binary, CRS); None without coverage.gpkg. Only the
    codes and geometries are read, through GDAL's Arrow stream; a few (the removed
    villages) are picked out by GDAL itself (490k villages: 9.1 s and +1.9 GB per run when
    every polygon was decoded)."""
    path = folder / "coverage.gpkg"
    if not path.is_file():
        log.warning("%s: has no coverage.gpkg; changes.gpkg has no polygons for its villages", folder)
        return None
    wanted = pd.Index(pc.unique(codes.cast(pa.string())).to_numpy(zero_copy_only=False))
    try:
        return _wanted_wkb(path, wanted)
    except Exception:   # not as covermap writes it: read as any layer (and its errors reported so)
        shapes = read_vector(path, layer="villages", columns=["village_code"])
        shapes["village_code"] = shapes["village_code"].astype(str)
        shapes = shapes.drop_duplicates("village_code").set_index("village_code").geometry
        shapes = shapes[shapes.index.isin(wanted)]
        return shapes.index.to_numpy(dtype=object), [pa.array(shapely.to_wkb(shapes.to_numpy()), type=pa.binary())], \
            shapes.crs


class Features:
    """A run's villages in its coverage.gpkg listed without their polygons: each code's first
    feature (``codes``), its fid, its WKB's kind (``_wkb_kinds``) and, where GEOS refuses the
    WKB, the repaired one; ``wkb`` reads polygons again by fid. The layer's CRS: ``crs``."""

    def __init__(self, path: Path):
        import pyogrio

        codes, fids, kinds, self.fixed = [], [], [], {}
        every: set = set()
        with pyogrio.open_arrow(path, layer="villages", columns=["village_code"], batch_size=ARROW_BATCH,
                                use_pyarrow=True, return_fids=True) as (meta, reader):
            name, self.fid = meta["geometry_name"] or "wkb_geometry", meta["fid_column"]
            if not self.fid:
                raise ValueError("no fid column")
            for batch in reader:
                batch_codes = _codes(batch.column("village_code"))
                keep = ~pd.Index(batch_codes).duplicated() & \
                    ~np.fromiter((code in every for code in batch_codes), bool, len(batch_codes))
                every.update(batch_codes[keep].tolist())
                if not keep.any():
                    continue
                wkb, refused = _checked(_picked(batch.column(name), keep))
                at = sum(map(len, codes))
                self.fixed.update((at + k, wkb[k].as_py()) for k in refused)
                kinds.append(wkb_kinds(wkb))
                codes.append(batch_codes[keep])
                fids.append(np.asarray(batch.column(self.fid).to_numpy(zero_copy_only=False), dtype=np.int64)[keep])
        self.path, self.crs = path, None if meta["crs"] is None else CRS.from_user_input(meta["crs"])
        self.codes = pa.array(np.concatenate(codes) if codes else np.empty(0, dtype=object), type=pa.string())
        self.fids = np.concatenate(fids) if fids else np.empty(0, dtype=np.int64)
        self.kinds = pd.concat(kinds, ignore_index=True) if kinds else wkb_kinds(pa.array([], type=pa.binary()))

    def wkb(self, positions: np.ndarray):
        """The WKB of the features at ``positions`` (ascending, each once) as GDAL reads them
        (in the order of their fids), and the row of each position's in it: not put in order
        here, so that the block's rows are taken from it once (``gathered``)."""
        import pyogrio

        if not len(positions):
            return pa.array([], type=pa.binary()), np.empty(0, dtype=np.int64)
        fids = self.fids[positions]
        where = '"{}" IN ({})'.format(self.fid.replace('"', '""'), ",".join(map(str, fids.tolist())))
        found, parts = [], []
        with pyogrio.open_arrow(self.path, layer="villages", columns=[], where=where, use_pyarrow=True,
                                return_fids=True, batch_size=ARROW_BATCH) as (meta, reader):
            name = meta["geometry_name"] or "wkb_geometry"
            for batch in reader:
                found.append(np.asarray(batch.column(self.fid).to_numpy(zero_copy_only=False), dtype=np.int64))
                parts.append(_picked(batch.column(name), None))
        at = pd.Index(fids).get_indexer(np.concatenate(found) if found else np.empty(0, dtype=np.int64))
        if len(at) != len(fids) or (at < 0).any() or len(np.unique(at)) != len(at):
            raise OSError(f"{self.path}: its features changed while it was read; run compare again")
        wkb = parts[0] if len(parts) == 1 else pa.concat_arrays(parts)
        rows = np.empty(len(at), dtype=np.int64)
        rows[at] = np.arange(len(at))
        fixed = [k for k, position in enumerate(positions.tolist()) if position in self.fixed]
        if fixed:
            values = wkb.to_numpy(zero_copy_only=False)
            values[rows[fixed]] = np.array([self.fixed[positions[k]] for k in fixed] + [None], dtype=object)[:-1]
            wkb = pa.array(values, type=pa.binary())
        return wkb, rows


def features(folder: Path):
    """``Features`` of the run's coverage.gpkg; None without one; the exception when it is
    not as covermap writes it (then read as ``polygons_of`` reads it)."""
    path = folder / "coverage.gpkg"
    if not path.is_file():
        return None
    try:
        return Features(path)
    except Exception as exc:
        return exc


def _codes(column) -> np.ndarray:
    values = (column.to_numpy(zero_copy_only=False) if pa.types.is_string(column.type)
              or pa.types.is_large_string(column.type) else [str(code) for code in column.to_pylist()])
    return np.asarray(values, dtype=object)


def _picked(column, keep: np.ndarray | None):
    """The WKB of the rows ``keep`` (None: all) as binary, none where empty (FlatGeobuf's b"")."""
    picked = column if keep is None or keep.all() else column.filter(pa.array(keep))
    picked = picked.cast(pa.binary())
    empty = pc.equal(pc.binary_length(picked), 0)
    return pc.if_else(empty, pa.scalar(None, pa.binary()), picked) if pc.any(empty).as_py() else picked


_PICKED_BY_GDAL = 10_000   # at most this many wanted codes are selected by a WHERE clause


def _wanted_wkb(path: Path, wanted: pd.Index):
    """``_shapes``' reading: the layer's codes and WKB a batch at a time (or the features of
    a few wanted codes, by GDAL), the first feature of each wanted code kept as read.
    Geometries GEOS would refuse as written are repaired as ``gis.io.read_vector`` repairs
    them (decoded and encoded again)."""
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
            batch_codes = _codes(batch.column("village_code"))
            at = wanted.get_indexer(batch_codes)   # a wanted code's first feature, in this batch and before
            hits = np.flatnonzero(at >= 0)
            hits = hits[np.unique(at[hits], return_index=True)[1]]
            hits = hits[~seen[at[hits]]]
            seen[at[hits]] = True
            keep = np.zeros(len(batch_codes), dtype=bool)
            keep[hits] = True
            if not keep.any():
                continue
            codes.append(batch_codes[keep])
            geometries.append(_checked(_picked(batch.column(name), keep))[0])
    codes = np.concatenate(codes) if codes else np.empty(0, dtype=object)
    return codes, geometries, None if meta["crs"] is None else CRS.from_user_input(meta["crs"])


def gathered(chunks: list, index: np.ndarray):
    """The WKB at the positions ``index`` (-1: none) in ``chunks`` taken as one array: the
    chunks joined, then taken once (taking each chunk's rows, joining them and putting them
    in order copied a block's WKB three times, each into fresh memory the kernel had to zero:
    at 100k villages a second of the child's kernel time)."""
    whole = chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks)
    return whole.take(pa.array(index, mask=index < 0))


def _checked(wkb):
    """The WKB as read where GEOS takes it, each one it refuses decoded as ``gis.io._from_wkb``
    decodes it (repaired where it can) and encoded again; and the positions of those.
    Checked a slice at a time (GEOS's copies of 65,536 polygons took 0.6 GB at once)."""
    values = wkb.to_numpy(zero_copy_only=False)
    refused = []
    for start in range(0, len(values), _CHECKED):
        try:
            shapely.from_wkb(values[start:start + _CHECKED])   # the check only: GEOS takes every one
        except shapely.errors.GEOSException:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                taken = shapely.from_wkb(values[start:start + _CHECKED], on_invalid="ignore")
            refused += (start + np.flatnonzero(shapely.is_missing(taken) & ~pd.isna(values[start:start + _CHECKED]))
                        ).tolist()
    if not refused:
        return wkb, refused
    values[refused] = shapely.to_wkb(_from_wkb(values[refused], 0, []))
    return pa.array(values, type=pa.binary()), refused


_CHECKED = 4096


_TYPE_NAMES = {1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon",
               7: "GeometryCollection"}


def wkb_kinds(wkb) -> pd.DataFrame:
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


def layer_type(kinds: pd.DataFrame) -> tuple[str, bool]:
    """The layer's geometry type and whether singles become multis, as ``gis.io._geometry_type``
    works them out for decoded geometries."""
    names = frozenset(kinds.loc[kinds["type"] > 0, "type"].map(_TYPE_NAMES))
    promote = names in _MULTI
    kind = _MULTI[names] if promote else next(iter(names)) if len(names) == 1 else "Unknown"
    if kind != "Unknown" and (kinds["z"] & ~kinds["empty"] & (kinds["type"] > 0)).any():
        kind += " Z"
    return kind, promote


def promoted(wkb, kinds: pd.DataFrame):
    """Single geometries as one-part multis (a Polygon as a MultiPolygon of it), as pyogrio
    promotes them, in WKB: the multi's header (byte order, type, one part) before the
    single's bytes."""
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


def in_crs(shapes, crs):
    """The old run's polygons (codes, WKB chunks, CRS) put into the new run's ``crs``, where
    both are known and differ; else as given."""
    if shapes is None or crs is None or shapes[2] is None or shapes[2] == crs:
        return shapes
    codes, wkb, old_crs = shapes
    moved = gpd.GeoSeries(_from_wkb(pa.chunked_array(wkb, type=pa.binary()).to_numpy(), 0, []),
                          crs=old_crs).to_crs(crs)
    return codes, [pa.array(shapely.to_wkb(moved.to_numpy()), type=pa.binary())], crs
