"""changes.gpkg, layer ``changes``: the rows of changes.csv on their villages' polygons (the
new run's, the old run's for villages removed), taken from each run's coverage.gpkg (layer
``villages``) as WKB, neither decoded nor encoded again, and written through GDAL's Arrow
writer a block of rows at a time.

GDAL holds Python's lock while it writes, so a large layer is written by a child process
of its own (spawned: it starts empty, not with a copy of this one's memory; a forked one
copied 1.7 GB of it) while this one writes the other outputs: ``LayerWriter``. The child
lists the new run's villages while this one compares (``layers.polygons.Features``), is
then given the changes as an Arrow IPC file beside the layer, and reads the polygons by
fid a block of rows at a time."""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gis.errors import CovermapError, OutputError
from gis.io import GPKG_ROWS, write_gpkg_layers
from layers import polygons
from layers.polygons import release

log = logging.getLogger(__name__)

KEYS = ["village_code", "old_village_code", "change"]   # what says which polygon a row takes
CHILD_VILLAGES = 50_000   # from this many villages in the new run the layer is written by a child process


# -- the writer ------------------------------------------------------------------------------

class LayerWriter:
    """changes.gpkg written beside the caller's work. Made once the runs are read: for runs
    of ``CHILD_VILLAGES`` villages or more (and two cores) a child process is spawned then,
    and reads the new run's polygons while the caller compares; ``write`` hands it the
    changes (else writes the layer here and now), ``wait`` returns once it is written
    (raising the child's error), ``stop`` ends it unwritten."""

    def __init__(self, old_folder: Path, new_folder: Path, villages: int):
        self.old_folder, self.new_folder = Path(old_folder), Path(new_folder)
        self._process = self._ipc = None
        if villages < CHILD_VILLAGES or (os.cpu_count() or 1) < 2:
            return
        context = multiprocessing.get_context("spawn")
        self._conn, there = context.Pipe()
        self._process = context.Process(target=_child, args=(there, str(self.old_folder), str(self.new_folder),
                                                             log.getEffectiveLevel()),
                                        name="covermap changes.gpkg", daemon=True)
        self._process.start()
        there.close()

    def write(self, path: Path, changes: pd.DataFrame) -> None:
        """The layer at ``path``: by the child, meanwhile, or here."""
        self.path = Path(path)
        if self._process is None:
            write_layer(self.path, _FrameRows(changes), self.old_folder, self.new_folder)
            return
        handle, name = tempfile.mkstemp(prefix=".changes-", suffix=".arrow", dir=self.path.parent)
        os.close(handle)
        self._ipc = Path(name)
        _write_ipc(self._ipc, changes)
        self._conn.send((str(self.path), name))

    def wait(self) -> None:
        if self._process is None:
            return
        try:
            kind, payload, records, peak = self._conn.recv()
        except EOFError:
            self._process.join()
            raise CovermapError(f"the child process writing {self.path.name} stopped without an answer (exit code "
                                f"{self._process.exitcode}); was it killed for lack of memory? Run again with "
                                "fewer other jobs on the machine") from None
        finally:
            self.stop()
        for level, message in records:
            log.log(level, "%s", message)
        if kind == "failed":
            raise payload
        log.info("%s: in a child process, %.0f MB more memory", self.path.name, peak)

    def stop(self) -> None:
        """The child ended (if it still runs) and its file removed."""
        if self._process is not None:
            self._process.terminate()
            self._process.join()
            self._conn.close()
            self._process = None
        if self._ipc is not None:
            self._ipc.unlink(missing_ok=True)
            self._ipc = None


def _write_ipc(path: Path, changes: pd.DataFrame) -> None:
    """The changes as an Arrow IPC file, in batches of ``GPKG_ROWS`` rows (each made Arrow
    in turn, as the layer's blocks are)."""
    schema = pa.Schema.from_pandas(changes, preserve_index=False)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for start in range(0, len(changes), GPKG_ROWS):
            part = pa.Table.from_pandas(changes.iloc[start:start + GPKG_ROWS], schema=schema, preserve_index=False)
            writer.write_batch(pa.RecordBatch.from_arrays([column.combine_chunks() for column in part.columns],
                                                          schema=schema))


def _child(conn, old_folder: str, new_folder: str, level: int) -> None:
    """The spawned child: the new run's polygons read at once, then the layer written when
    the parent sends where (the layer and the IPC file of the changes); back go how it
    went, the log records it made and its peak memory (MB)."""
    records: list[tuple[int, str]] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append((record.levelno, record.getMessage()))

    root = logging.getLogger()
    root.addHandler(Keep())
    root.setLevel(level)
    try:
        listed = polygons.features(Path(new_folder))
        release()
        path, ipc = conn.recv()
        rows = _FileRows(Path(ipc))
        write_layer(Path(path), rows, Path(old_folder), Path(new_folder), listed)
        conn.send(("done", None, records, _peak_mb()))
    except EOFError:   # the parent stopped
        pass
    except BaseException as exc:   # a CovermapError goes to the user as raised; anything else too
        conn.send(("failed", exc, records, _peak_mb()))
    finally:
        conn.close()


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            return next(float(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0.0


class _FrameRows:
    """The changes as a DataFrame (written in this process)."""

    def __init__(self, changes: pd.DataFrame):
        self.changes = changes
        self.schema = pa.Schema.from_pandas(changes, preserve_index=False)

    def keys(self) -> pa.Table:
        return pa.Table.from_pandas(self.changes[KEYS], preserve_index=False)

    def frame(self) -> pd.DataFrame:
        return self.changes

    def batches(self):
        for start in range(0, len(self.changes), GPKG_ROWS):
            part = pa.Table.from_pandas(self.changes.iloc[start:start + GPKG_ROWS], schema=self.schema,
                                        preserve_index=False)
            yield pa.RecordBatch.from_arrays([column.combine_chunks() for column in part.columns], schema=self.schema)


class _FileRows:
    """The changes as ``_write_ipc`` wrote them (read a batch at a time)."""

    def __init__(self, path: Path):
        self.path = path
        with pa.OSFile(str(path)) as source:
            self.schema = pa.ipc.open_file(source).schema

    def keys(self) -> pa.Table:
        options = pa.ipc.IpcReadOptions(included_fields=[self.schema.get_field_index(name) for name in KEYS])
        with pa.OSFile(str(self.path)) as source:
            return pa.ipc.open_file(source, options=options).read_all()

    def frame(self) -> pd.DataFrame:
        with pa.OSFile(str(self.path)) as source:
            return pa.ipc.open_file(source).read_all().to_pandas()

    def batches(self):
        with pa.OSFile(str(self.path)) as source:
            reader = pa.ipc.open_file(source)
            for k in range(reader.num_record_batches):
                yield reader.get_batch(k)


# -- the layer -------------------------------------------------------------------------------

def write_layer(path: Path, rows, old_folder: Path, new_folder: Path, listed=None) -> None:
    """changes.gpkg: layer ``changes``, the rows (``_FrameRows`` or ``_FileRows``) on their
    villages' polygons (as ``polygons.on_polygons``), as ``gis.io.write_gpkg_layers`` writes
    such a frame; but the polygons go as the runs hold them (WKB: neither decoded nor encoded
    again), through GDAL's Arrow writer a block of rows at a time, the new run's read for
    each block by fid (``polygons.Features``; ``listed``: made already). A coverage.gpkg not
    as covermap writes it: the rows decoded and written as any layer."""
    keys = rows.keys()
    if listed is None:
        listed = polygons.features(new_folder)
    removed = polygons.removed_rows(keys)
    try:
        if isinstance(listed, Exception):
            raise ValueError("not as covermap writes it")
        old = polygons.removed_shapes(keys, removed, old_folder)
        layout = _layout(keys, removed, listed, old)
    except ValueError:   # not WKB as GDAL writes it: decoded and written as any layer
        layout = None
    del keys
    if layout is None:
        write_gpkg_layers(path, {"changes": polygons.on_polygons(rows.frame(), old_folder, new_folder)})
        return
    import pyogrio

    from gis.io import GPKG_WRITE_CONFIG, _first_line, _gdal_config

    new_at, old_chunks, kind, promote, crs = layout
    schema = rows.schema.append(pa.field("geometry", pa.binary()))

    def blocks():
        start = 0
        for batch in rows.batches():
            yield pa.RecordBatch.from_arrays([*batch.columns, _block_wkb(new_at[start:start + len(batch)], listed,
                                                                         old_chunks, promote)], schema=schema)
            start += len(batch)
            release()   # the block written: what it took, back to the system (else kept: 100k villages +0.5 GB)

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


def _layout(keys: pa.Table, removed: np.ndarray, listed, old):
    """Where each row's polygon is: in the new run's listed features (its position; -1 none)
    or the old run's removed villages (-2 - its position in ``old``'s arrays), the old ones
    (promoted as the layer needs), the layer's geometry type, whether singles are promoted,
    and its CRS; None when neither run has coverage.gpkg. Raises ValueError for WKB not as
    GDAL writes it."""
    if listed is None and old is None:
        return None
    crs = listed.crs if listed is not None else old[2]
    old = polygons.in_crs(old, crs)
    at = np.full(len(keys), -1, dtype=np.int64)
    kinds = []
    if listed is not None and (~removed).any():
        found = pc.index_in(keys.column("village_code").filter(pa.array(~removed)), value_set=listed.codes)
        at[~removed] = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        used = np.unique(at[at >= 0])
        kinds.append(listed.kinds.iloc[used])
    chunks = []
    if old is not None and removed.any():
        codes, chunks, _ = old
        found = pc.index_in(keys.column("old_village_code").filter(pa.array(removed)),
                            value_set=pa.array(codes, type=pa.string()))
        found = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        at[removed] = np.where(found >= 0, -2 - found, -1)
        old_kinds = [polygons.wkb_kinds(chunk) for chunk in chunks]
        kinds += old_kinds
    kinds = pd.concat(kinds, ignore_index=True) if kinds else polygons.wkb_kinds(pa.array([], type=pa.binary()))
    kind, promote = polygons.layer_type(kinds)
    if promote:
        chunks = [polygons.promoted(chunk, chunk_kinds) for chunk, chunk_kinds in zip(chunks, old_kinds)]
    return at, chunks, kind, promote, crs


def _block_wkb(at: np.ndarray, listed, old_chunks: list, promote: bool):
    """A block's WKB: the new run's polygons read by fid (each once), the old run's taken."""
    new = np.unique(at[at >= 0])
    wkb, rows = listed.wkb(new) if listed is not None else (pa.array([], type=pa.binary()), np.empty(0, np.int64))
    if promote:
        read = np.empty(len(rows), dtype=np.int64)
        read[rows] = new
        wkb = polygons.promoted(wkb, listed.kinds.iloc[read].reset_index(drop=True))
    index = np.full(len(at), -1, dtype=np.int64)
    index[at >= 0] = rows[np.searchsorted(new, at[at >= 0])]
    index[at <= -2] = len(wkb) + (-2 - at[at <= -2])
    return polygons.gathered([wkb, *old_chunks], index)
