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
import pyarrow as pa
import shapely
from pyproj import CRS

from gis.csvfile import write_csv
from gis.geometry import usable
from gis.io import ARROW_BATCH, _from_wkb, read_vector
from gis.errors import DataError, OutputError
from gis.outdir import OutputFolder
from layers import changebook, polygons, trend
from layers import compare as cmp
from layers.changelayer import LayerWriter
from layers.changelayer import release as _release
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
    # runs over several counties: the new run's township polygons (the map draws areas, not villages)
    townships: pd.DataFrame | None = None

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
    layer = LayerWriter(old.folder, new.folder, len(new.villages))   # a child reads the polygons meanwhile
    try:
        return _compared(runs, outdir, layer, codes, overwrite, lang, pages)
    finally:
        layer.stop()


def _compared(runs: list[Run], outdir: Path, layer: LayerWriter, codes, overwrite: bool, lang: str | None,
              pages) -> Comparison:
    """``write_comparison``'s work once the runs are read."""
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
            layer.write(staging / "changes.gpkg", changes)   # by the child, if there is one, meanwhile:
            write_csv(staging / "changes.csv", changes)
            write_csv(staging / "summary.csv", cmp.summary(changes, lang))
            write_csv(staging / "trend.csv", trends)
            _release()
            changebook.write_changebook(staging, changes, trends, (old.label, new.label), lang)
            layer.wait()
            if pages is not None:
                written += pages(staging, Comparison(changes, differences, lang, runs, trends,
                                                     **_map_shapes(changes, old, new, changebook.COUNTY_FOLDER in books)))
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


def _map_shapes(changes: pd.DataFrame, old: Run, new: Run, counties: bool) -> dict:
    """What the change map draws: for runs over several ``counties`` (12-digit codes of more
    than one, as the run's own maps and the workbooks split them) the new run's township
    polygons, the map drawing townships or counties (maps/change_areas.py); else every
    changed village's polygon (``shapes``)."""
    if counties:
        return {"townships": township_shapes(new.folder)}
    return {"shapes": _on_polygons(changes, old, new)}


def township_shapes(folder: Path) -> gpd.GeoDataFrame | None:
    """The run's township polygons (``township_code``, geometry): layer ``townships`` of its
    coverage.gpkg as a run writes it, else its villages dissolved per township a batch at a
    time (never all decoded at once: 490k villages, 1.5 GB); None without coverage.gpkg."""
    import pyogrio

    path = folder / "coverage.gpkg"
    if not path.is_file():
        log.warning("%s: has no coverage.gpkg; the change map has no shapes to draw", folder)
        return None
    layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    if "townships" in layers:
        shapes = read_vector(path, layer="townships", columns=["township_code"])
        if "township_code" in shapes.columns:
            return shapes.assign(township_code=shapes["township_code"].astype(str))[["township_code", "geometry"]]
    parts = []
    with pyogrio.open_arrow(path, layer="villages", columns=["township_code"], batch_size=ARROW_BATCH,
                            use_pyarrow=True) as (meta, reader):
        name = meta["geometry_name"] or "wkb_geometry"
        crs = None if meta["crs"] is None else CRS.from_user_input(meta["crs"])
        for batch in reader:
            geoms = _from_wkb(batch.column(name).to_numpy(zero_copy_only=False), 0, [])
            codes = np.asarray(batch.column("township_code").cast(pa.string()).fill_null("").to_numpy(
                zero_copy_only=False), dtype=object)
            parts.append(_dissolved(gpd.GeoDataFrame({"township_code": codes}, geometry=geoms, crs=crs)))
    townships = pd.concat(parts, ignore_index=True) if parts else gpd.GeoDataFrame(
        {"township_code": []}, geometry=[], crs=crs)
    split = townships["township_code"].duplicated(keep=False)   # a township over two batches
    if split.any():
        townships = pd.concat([townships[~split], _dissolved(townships[split], "unary")], ignore_index=True)
    return gpd.GeoDataFrame(townships, geometry="geometry", crs=crs)


def _dissolved(frame: gpd.GeoDataFrame, method: str | None = None) -> gpd.GeoDataFrame:
    """``frame``'s polygons united per township: by GEOS' coverage union where they form a
    clean coverage (far faster), else the general union."""
    frame = frame[usable(frame.geometry.values)]
    if method is None:
        method = "coverage" if bool(shapely.coverage_is_valid(frame.geometry.values)) else "unary"
    return frame.dissolve("township_code", method=method).reset_index()[["township_code", "geometry"]]


def _on_polygons(changes: pd.DataFrame, old: Run, new: Run) -> pd.DataFrame:
    """The changes on the villages' polygons (``layers.polygons.on_polygons``)."""
    return polygons.on_polygons(changes, old.folder, new.folder)
