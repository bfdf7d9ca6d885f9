"""The pipeline: profile -> inputs -> indicators and verdicts per village -> gap lists
-> files. ``assess`` computes, ``publish`` writes; the map is written by a caller-given
writer so that this package never imports ``maps``."""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from gis import csvfile, geometry, io, memory, progress
from gis.child import Child, PeakWindow, beside, fork_available, peak_mb, under_peak
from gis.crs import reproject
from gis.errors import OutputError
from gis.outdir import OutputFolder, checkpoint
from layers import clinics, consistency, gaps, roadnet, scope, workbook, zones
from layers.inputs import Inputs, load_inputs
from layers.mapdata import drawn, drawn_frames
from layers.settings import LedgerSettings, Profile
from layers.standards import LAYERS, OPTIONAL, STANDARDS, present
from layers.verdicts import NOT_APPLICABLE, VERDICTS

log = logging.getLogger(__name__)

TABLES = ("coverage.gpkg", "villages.csv", "gaps.csv", "no_data.csv", "townships.csv", "consistency.csv")
OUTPUTS = (*TABLES, "map.html", "run.json")


@dataclass
class Result:
    profile: Profile
    inputs: Inputs
    villages: gpd.GeoDataFrame      # one row per input village, in the villages' own CRS
    gaps: pd.DataFrame
    no_data: pd.DataFrame
    townships: gpd.GeoDataFrame
    seconds: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: dict[str, float] = field(default_factory=dict)  # process peak RSS after each step
    cpu_seconds: dict[str, float] = field(default_factory=dict)     # process CPU time per step, all threads
    consistency: gpd.GeoDataFrame | None = None   # ledger vs geometry disagreements (consistency.csv)
    ledger: pd.DataFrame | None = None    # the bureaus' filled-in problem list reviewed (ledger.csv, 整改核查)
    carried: pd.DataFrame | None = None   # their entries under this run's gap rows (the workbook carries them)

    def infrastructure(self) -> dict[str, gpd.GeoDataFrame]:
        """The input layers as the map draws them (working CRS)."""
        found = {name: self.inputs.layer(name) for name in LAYERS}
        if found["clinics"] is not None:
            found["clinics"] = found["clinics"].assign(
                qualifies=clinics.qualifying(found["clinics"], self.profile.standards.clinics).fillna(False))
        for standard in self.checked():   # the optional standards' symbols (never a household row)
            found.update(drawn_frames(standard, self.inputs.extra))
        return {key: frame for key, frame in found.items() if frame is not None}

    def checked(self) -> tuple:
        """The optional standards this run checked (layers.standards.OPTIONAL), in registry order."""
        return tuple(s for s in present(self.villages.columns) if s.plugin is not None)

    def map_standards(self, lang: str) -> tuple[dict, ...]:
        """The optional standards this run checked as the maps draw them (``drawn``: plain data)."""
        return tuple(drawn(standard, self.profile, lang) for standard in self.checked())


@contextmanager
def _timed(seconds: dict[str, float], step: str, peaks: dict[str, float] | None = None,
           cpu: dict[str, float] | None = None):
    progress.begin(step)
    start, start_cpu = time.perf_counter(), time.process_time()
    yield
    seconds[step] = round(seconds.get(step, 0.0) + time.perf_counter() - start, 3)  # a step may come back
    if cpu is not None:   # CPU time of all threads: against wall time, how much ran in parallel
        cpu[step] = round(cpu.get(step, 0.0) + time.process_time() - start_cpu, 3)
    if peaks is not None:
        peaks[step] = peak_memory_mb()
    log.info("%s: %.2f s, peak memory %.0f MB", step, seconds[step], peaks[step] if peaks else peak_memory_mb())
    memory.release_free_memory()   # what the step freed, back to the system before the next


def assess(profile: Profile, inputs: Inputs | None = None, *, keep_layers: bool = True) -> Result:
    """Read the profile's inputs (unless given, already read) and decide every standard
    for every village.

    ``keep_layers=False`` where nothing will draw the input layers (no maps): they are let
    go once every check is done (the result's ``inputs`` then hold the villages and their
    seats alone), which leaves a large run room to write its CSV tables in a child
    process (``publish``)."""
    seconds: dict[str, float] = {}
    peaks: dict[str, float] = {}
    cpu: dict[str, float] = {}
    with _timed(seconds, "read", peaks, cpu):
        inputs = inputs if inputs is not None else load_inputs(profile)
    log.info("%d villages, working CRS %s", len(inputs.villages), inputs.crs.to_string())
    rules, lang = profile.standards, profile.lang   # the reasons in the profile's language
    standards = {s.key: partial(_decided, s, rules, lang) for s in STANDARDS}
    if profile.working_crs is None:   # "auto": each county in its own zone
        inputs.meridians = zones.village_meridians(inputs)
    # on the whole: which roads connect, no zone changes it; the paths along them may run anywhere
    along = []
    if network_wanted(profile):
        with _timed(seconds, "road network", peaks, cpu):
            along = network_tables(profile, inputs)
    # on the whole too, and before the zones' step lets the roads go (keep_layers=False)
    plugged = plugin_tables(profile, inputs, seconds, peaks, cpu)

    measures = zoned_measures(rules, lang)

    def zoned(part: Inputs) -> list[pd.DataFrame]:
        tables = []
        for key in ZONED:
            with _timed(seconds, key, peaks, cpu):   # summed over the zones
                tables.append(measures[key](part))
        return tables

    in_zones = zones.assess(inputs, rules, zoned)
    if in_zones is not None:
        found = dict(zip(ZONED, in_zones))
        for standard in STANDARDS:   # the zones measured a part of it: completed on the whole
            if standard.settle is not None:
                standards[standard.key] = partial(_settled, standard, rules, lang, found.pop(standard.key))
        if not keep_layers:   # done with: the layers only the zones measure, unless the ledger is checked against them
            for name in ZONED_ONLY - consistency.layers_checked(inputs):
                inputs.layers[name] = None
            memory.release_free_memory()
        for key in standards.keys() - found.keys():   # shares and containment: no zone changes them
            with _timed(seconds, key, peaks, cpu):
                found[key] = standards[key](inputs)
        parts = [found[key] for key in standards]
    else:   # one zone, the working CRS's own
        steps = {key: partial(step, inputs) for key, step in standards.items()}
        forking = FORK_ABOVE < len(inputs.villages) <= FORK_UP_TO and fork_available()
        parts = _run_steps(steps, APART if forking else (), seconds, peaks, cpu)
    parts += along
    parts += plugged
    with _timed(seconds, "gaps", peaks, cpu):
        villages = _village_table(inputs, parts)
        inputs.villages_as_read = None   # in the table now
    result = finish(profile, inputs, villages, seconds, peaks, cpu)
    if not keep_layers:
        for name in LAYERS:
            inputs.layers[name] = None
        inputs.every_road = None
        inputs.extra = {}
        memory.release_free_memory()
    return result


def network_wanted(profile: Profile) -> bool:
    """Whether the profile asks anything of the road network (``network_tables``)."""
    return profile.roads is not None and (profile.standards.roads.require_connected or profile.towns is not None)


def network_tables(profile: Profile, inputs: Inputs) -> list[pd.DataFrame]:
    """On the whole layer, once: the roads' ``connected`` column where the road standard
    asks for it, and the road network's columns the profile asks for (``layers.roadnet``),
    a table a row of ``inputs.villages``; the hardened roads' graph built once for both."""
    rules = profile.standards.roads
    net = roadnet.Network(inputs, rules, true_distances=profile.working_crs is None)
    for standard in STANDARDS:
        if standard.on_whole is not None:
            standard.on_whole(inputs, profile.standards, net.hardened)
    return roadnet.village_tables(net)


def plugin_tables(profile: Profile, inputs: Inputs, seconds: dict[str, float] | None = None,
                  peaks: dict[str, float] | None = None, cpu: dict[str, float] | None = None) -> list[pd.DataFrame]:
    """The tables of the optional standards the profile switches on (layers/standards:
    ``Plugin.assess``), in registry order, decided on the whole: their distances are
    measured on the ellipsoid (``nearest_on_ground``) or along the roads (on the whole
    layer), which no zone changes. They read which clinics qualify (``clinics.qualifying``
    under [standards.clinics]) from the clinics' ``qualifies`` column."""
    tables = []
    if profile.plugins:
        clinics.mark_qualifying(inputs, profile.standards.clinics)
    for standard in OPTIONAL:
        if standard.key in profile.plugins:
            with _timed({} if seconds is None else seconds, standard.key, peaks, cpu):
                tables.append(standard.plugin.assess(inputs, profile.plugins[standard.key].rules, profile.lang))
    return tables


# The standards decided by distances, measured in each village's zone (layers.zones); the
# layers of those the zones decide whole.
ZONED = tuple(s.key for s in STANDARDS if s.zoned is not None)
ZONED_ONLY = {name for s in STANDARDS if s.zoned is not None and s.settle is None for name in s.layers}


def _decided(standard, rules, lang: str, part: Inputs) -> pd.DataFrame:
    return standard.decide(part, rules, lang)


def _settled(standard, rules, lang: str, measured: pd.DataFrame, part: Inputs) -> pd.DataFrame:
    return standard.settle(part, rules, lang, measured)


def zoned_measures(rules, lang: str) -> dict[str, Callable[[Inputs], pd.DataFrame]]:
    """What is measured in each village's zone, by ``ZONED`` key (``Standard.zoned``): a
    standard decided by distances alone, or of one that also asks which feature lies in
    which village (the clinics: the same in any CRS) only the distances, the rest then
    decided on the whole (``Standard.settle``), so the zones' parts need no village polygon
    where there is a seat."""
    return {s.key: partial(s.zoned, rules=rules, lang=lang) for s in STANDARDS if s.zoned is not None}

# Between these many villages the water, clinic and fibre steps run in a forked child
# process while this one does roads and 4G (gis.child): 30k villages 10.7-11.1 -> 9.1-9.2
# s for +125-129 MB (both processes' memory, sampled). Their transient memory adds up, so
# larger runs keep to one process: the whole country (490k, water alone apart) gained 17 s
# (207 -> 191 s) for +1.0 GB (5.8 -> 6.8 GB); since the overlays went on threads it gains
# nothing (water and 4G side by side, the roads let go first: water 31 -> 61 s, 4G 28 ->
# 58 s, both on both cores).
APART = tuple(s.key for s in STANDARDS if s.apart)
FORK_ABOVE = 10_000
FORK_UP_TO = 200_000


def _run_steps(steps: dict[str, Callable[[], pd.DataFrame]], apart: tuple[str, ...], seconds: dict[str, float],
               peaks: dict[str, float], cpu: dict[str, float]) -> list[pd.DataFrame]:
    """Every step's table, in the order of ``steps``; those named in ``apart`` one after
    another in a child process meanwhile. Their seconds and CPU seconds are the child's
    own; their peak memory is this process's peak while they ran plus what the child added."""
    child = Child(lambda: _one_by_one(steps, apart), ", ".join(apart)) if apart else None
    done = {}
    with PeakWindow() as window:   # this process's peak while the child runs
        try:
            for key, step in steps.items():
                if key in apart:   # its place in the records, filled in when it is back
                    seconds[key], cpu[key], peaks[key] = 0.0, 0.0, 0.0
                    continue
                with _timed(seconds, key, peaks, cpu):
                    done[key] = step()
        except BaseException:   # an error here (or Ctrl-C) ends the child too
            if child is not None:
                child.stop()
            raise
        outcome = child.outcome() if child is not None else None
    if outcome is not None:
        for key, (table, wall, used) in outcome.value.items():
            done[key] = table
            seconds[key], cpu[key] = round(wall, 3), round(used, 3)
            peaks[key] = round(max(peak_memory_mb(), window.mb + outcome.extra_mb), 1)
            log.info("%s (in a child process, alongside the others): %.2f s", key, seconds[key])
    return [done[key] for key in steps]


def _one_by_one(steps: dict[str, Callable[[], pd.DataFrame]], keys: tuple[str, ...]) -> dict:
    """key -> (table, wall seconds, CPU seconds) of each step in ``keys``, run in turn."""
    found = {}
    for key in keys:
        start, start_cpu = time.perf_counter(), time.process_time()
        table = steps[key]()
        found[key] = (table, time.perf_counter() - start, time.process_time() - start_cpu)
    return found


def finish(profile: Profile, inputs: Inputs, villages: gpd.GeoDataFrame, seconds: dict[str, float],
           peaks: dict[str, float], cpu: dict[str, float] | None = None) -> Result:
    """Gap lists, township table and consistency ledger from the whole village table;
    shared by ``assess`` and the county-partitioned run (``layers.distributed``)."""
    cpu = {} if cpu is None else cpu
    with _timed(seconds, "gaps", peaks, cpu):
        villages = scope.apply_scopes(villages, inputs.villages, profile)   # [apply.<standard>]
        result = Result(profile, inputs, villages, gaps.gap_list(villages), gaps.no_data_list(villages),
                        _townships(villages, *_read_coverage(inputs, villages), scoped=scope.scoped(profile)),
                        seconds, peaks)
    result.cpu_seconds = cpu
    with _timed(seconds, "consistency", peaks, cpu):
        result.consistency = _consistency(inputs, profile, villages)
    return result


def read_back(result: Result, ledger) -> None:
    """The previous period's problem list as the bureaus filled it in (``layers.ledger.Ledger``),
    reviewed against this run: ``result.ledger`` and ``result.carried``."""
    from layers import review

    days = (result.profile.ledger or LedgerSettings()).max_days_without_measure
    with _timed(result.seconds, "ledger", result.peak_memory_mb, result.cpu_seconds):
        result.ledger = review.review(ledger, result.villages, as_of(result.profile), days, result.profile.lang)
        result.carried = review.carried(result.ledger, result.gaps, as_of(result.profile))


def _consistency(inputs: Inputs, profile: Profile, villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    found = consistency.mismatches(inputs, profile)
    geoms = villages.geometry.to_numpy()[found["row"].to_numpy(dtype=np.int64)]
    return gpd.GeoDataFrame(found.drop(columns=["row"]), geometry=geoms, crs=villages.crs)


def _village_table(inputs: Inputs, parts: list[pd.DataFrame]) -> gpd.GeoDataFrame:
    v = inputs.villages
    seat_source = np.where(geometry.usable(inputs.seats.to_numpy()), "seat",
                           np.where(geometry.usable(v.geometry.to_numpy()), "polygon", "none"))
    table = pd.DataFrame({"village_code": v["code"], "village_name": v["name"],
                          "township_code": v["township_code"], "township_name": v["township_name"],
                          "population": v["population"], "poor_population": v["poor_population"],
                          "seat_source": seat_source}, index=v.index)
    table = pd.concat([table, *parts], axis=1)
    table = pd.concat([table, gaps.count_gaps(table)], axis=1)
    projected = v.geometry.to_numpy()
    read = inputs.as_read()
    if read is not None and len(read) == len(projected):   # as read, where it could be measured at all
        return gpd.GeoDataFrame(table, geometry=np.where(geometry.usable(projected), read, None),
                                crs=inputs.villages_crs)
    return reproject(gpd.GeoDataFrame(table, geometry=projected, crs=inputs.crs), inputs.villages_crs)


def _read_coverage(inputs: Inputs, villages: gpd.GeoDataFrame) -> tuple[bool | None, gpd.GeoSeries | None]:
    """What reading found about these villages' polygons, when ``villages`` holds the
    villages read (the same codes in the same order, each geometry with as many vertices:
    the very geometries, or the same reprojected to the villages' own CRS): True when they
    form a clean coverage, and then the township unions made for the gap check, in
    ``villages``' CRS; else (None, None), to be worked out."""
    suspect = inputs.village_suspects
    geoms = villages.geometry.to_numpy()
    read = inputs.villages.geometry.to_numpy()
    if (suspect is None or len(suspect) != len(geoms) or len(read) != len(geoms) or suspect.any()
            or not np.array_equal(villages["village_code"].to_numpy(dtype=object),
                                  inputs.villages["code"].to_numpy(dtype=object))
            or not np.array_equal(shapely.get_num_coordinates(geoms), shapely.get_num_coordinates(read))):
        return None, None
    shapes = inputs.township_shapes
    if shapes is not None and not villages["township_code"].reset_index(drop=True).equals(
            inputs.villages["township_code"].reset_index(drop=True)):
        shapes = None
    if shapes is not None and not CRS(shapes.crs).equals(CRS(villages.crs)):
        shapes = reproject(shapes, villages.crs)
    return True, shapes


def _townships(villages: gpd.GeoDataFrame, clean: bool | None = None,
               shapes: gpd.GeoSeries | None = None, scoped: bool = False) -> gpd.GeoDataFrame:
    """Counts per township and its shape, the union of its villages (``shapes``, indexed
    by township code, when already made)."""
    summary = gaps.township_summary(villages, not_applicable=scoped)
    # Villages that form a clean coverage (no overlaps, shared edges) dissolve by GEOS'
    # coverage union, about 10x faster; anything else by the general union. ``clean``
    # comes from the check made while reading when it applies to these geometries.
    if shapes is None:
        if clean is None:
            clean = bool(shapely.coverage_is_valid(villages.geometry.to_numpy()))
        shapes = villages[["township_code", villages.geometry.name]].dissolve(
            "township_code", dropna=False, method="coverage" if clean else "unary").geometry
    return gpd.GeoDataFrame(summary, geometry=shapes.reindex(summary["township_code"]).to_numpy(),
                            crs=villages.crs)


def counts(villages: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Villages per standard and verdict, as recorded in run.json (not_applicable only where
    a profile scoped the standard)."""
    found = {s.key: {v: int((villages[f"{s.key}_verdict"] == v).sum()) for v in VERDICTS}
             for s in present(villages.columns)}
    for verdicts in found.values():
        if not verdicts[NOT_APPLICABLE]:
            del verdicts[NOT_APPLICABLE]
    return found


@contextmanager
def claim(outdir: str | os.PathLike, *, overwrite: bool = False):
    """OUTDIR locked for one run (gis.outdir.OutputFolder), to enter before the assessment
    and give to ``publish``: a second run into the same folder, or one without ``overwrite``
    over earlier outputs, stops at once rather than at the end."""
    with OutputFolder(outdir, is_output=is_output) as folder:
        folder.check((*TABLES, "run.json"), overwrite)
        yield folder


def is_output(name: str) -> bool:
    """A name covermap writes in OUTDIR (for a folder whose run.json does not list its outputs)."""
    return name in (*TABLES, LEDGER_TABLE, "run.json", "index.html", "townships", "counties",
                    *workbook.WORKBOOK_NAMES.values()) \
        or bool(MAP_FILE.fullmatch(name))


LEDGER_TABLE = "ledger.csv"   # a run that read a ledger back: its entries reviewed
MAP_FILE = re.compile(r"map(_\w+)?\.html")


def publish(result: Result, outdir: str | os.PathLike | OutputFolder, *, overwrite: bool = False,
            extras: dict[str, Callable[[Path], None]] | None = None, lang: str | None = None) -> Path:
    """Write every output into a staging folder, then switch it in as OUTDIR whole
    (gis.outdir): a reader sees the previous outputs or the new ones, never some of each;
    the previous run's outputs that this one does not write go with them, the user's other
    files stay. ``outdir``: a folder, or the one ``claim`` locked. ``lang``: the workbook's
    language (layers.workbook.output_language: the profile's when None)."""
    extras = extras or {}
    lang = lang or workbook.output_language(result.profile)
    books = workbook.workbook_names(result.villages, lang)
    # a writer of several outputs lists them in its ``outputs`` (maps.atlas: the bureau maps)
    outputs = {name: tuple(getattr(writer, "outputs", (name,))) for name, writer in extras.items()}
    # the county folder holds both the county maps and the county workbooks: listed once
    ledger = (LEDGER_TABLE,) if result.ledger is not None else ()
    names = list(dict.fromkeys([*TABLES, *ledger, *books, *(output for group in outputs.values() for output in group),
                                "run.json"]))
    with ExitStack() as stack:
        folder = outdir if isinstance(outdir, OutputFolder) else \
            stack.enter_context(OutputFolder(outdir, is_output=is_output))
        folder.check(names, overwrite, reads=_reads(result))
        staging = folder.stage()
        with _timed(result.seconds, "write tables", result.peak_memory_mb, result.cpu_seconds), \
                PeakWindow() as window, _naming(folder, "coverage.gpkg and the CSV tables"):
            extra_mb, extra_cpu = _write_tables(result, staging)
        if extra_mb or extra_cpu:   # the CSVs written by a child meanwhile: its memory and CPU count too
            result.peak_memory_mb["write tables"] = round(max(peak_memory_mb(), window.mb + extra_mb), 1)
            result.cpu_seconds["write tables"] = round(result.cpu_seconds["write tables"] + extra_cpu, 3)
        if result.ledger is not None:
            with _naming(folder, LEDGER_TABLE):
                csvfile.write_csv(staging / LEDGER_TABLE, _ledger_table(result.ledger))
        checkpoint("tables")
        with _timed(result.seconds, "write workbook", result.peak_memory_mb, result.cpu_seconds), \
                _naming(folder, books[0]):
            workbook.write_workbooks(staging, _workbook_tables(result), lang)
        for name, writer in extras.items():
            with _timed(result.seconds, f"write {', '.join(outputs[name])}", result.peak_memory_mb), \
                    _naming(folder, ", ".join(outputs[name])):
                writer(staging / name)
        record = {**run_record(result), "outputs": names}
        with _naming(folder, "run.json"):
            (staging / "run.json").write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str),
                                              encoding="utf-8")
        folder.switch(names)
    return folder.path


def _workbook_tables(result: Result) -> workbook.Tables:
    return workbook.Tables(result.villages, result.gaps, result.no_data, result.consistency, result.profile,
                           data=[record.path for record in result.inputs.records if record.path],
                           as_of=as_of(result.profile), carried=result.carried, ledger=result.ledger)


def _ledger_table(reviewed: pd.DataFrame) -> pd.DataFrame:
    """ledger.csv: the review's columns first, dates as 2026-03-31, then the bureaus' own."""
    from layers.ledger import ENTRY_COLUMNS

    first = ["village_code", "village_name", "township_code", "township_name", "standard", "bureau", "status",
             "status_text", "verdict", "value", "reason", *[c for c in ENTRY_COLUMNS if c not in (
                 "village_code", "standard", "bureau")], "days_listed"]
    first += ["ledger_code"] if "ledger_code" in reviewed else []   # as the bureau wrote it, before [ledger] codes
    table = reviewed[first + [c for c in reviewed.columns if c not in first]].copy()
    for name in ("planned_date", "completed_date", "first_listed"):
        table[name] = pd.to_datetime(table[name], errors="coerce").dt.strftime("%Y-%m-%d")
    return table


@contextmanager
def _naming(folder: OutputFolder, what: str):
    """An OSError while writing ``what`` as an OutputError naming it in OUTDIR, not in the
    staging folder; the previous outputs stay."""
    try:
        yield
    except OutputError as exc:
        raise OutputError(str(exc).replace(str(folder.staging), str(folder.path))) from exc
    except OSError as exc:
        raise OutputError(f"{folder.path}: cannot write {what} ({exc.strerror or exc}); the previous outputs "
                          "are unchanged") from exc


def _reads(result: Result) -> list[str]:
    """Every file the run read: the profile, each input, the village code list."""
    reads = [result.profile.path, *(record.path for record in result.inputs.records)]
    code_list = getattr(result.profile.villages, "code_list", None)
    ledgers = sorted(set(result.ledger["file"].astype(str))) if result.ledger is not None else []
    return [str(path) for path in (*reads, code_list, *ledgers) if path]


def _write_tables(result: Result, folder: Path) -> tuple[float, float]:
    """coverage.gpkg in this process and, for runs of ``FORK_ABOVE`` to ``FORK_UP_TO``
    villages, the CSV files in a forked child meanwhile (gis.child.beside; in turn where
    there is one core or too little memory): pyogrio holds Python's lock while it writes,
    so a thread would only wait. Returns the memory (MB) and CPU seconds the child added.

    Side by side, the same result written three times each way (PSS of both processes,
    sampled): 30k villages 1.50-1.62 s -> 1.18-1.23 s for +70-99 MB; 100k 5.1-6.5 s ->
    3.9-5.5 s for +150-210 MB. Larger runs use the child only where it is expected to keep
    within the run's peak memory so far (``CSV_CHILD_SHARE``): at 490k it copies 0.9 GB of
    pages on write (it touches every row's Python objects), which on top of the 4.9 GB
    held with the input layers would break the 6 GB target, but not on the 3.1-3.2 GB held
    once they are let go (``assess(keep_layers=False)``, ``covermap run --no-maps``): 27.9
    -> 21.1-22.7 s, both processes' PSS at most 4.1 GB against the read's 5.4 GB."""
    villages = _plain(result.villages)
    tables = {"villages": villages, "gaps": result.gaps, "no_data": result.no_data,
              "townships": result.townships, "consistency": result.consistency}

    def gpkg() -> None:
        io.write_gpkg_layers(folder / "coverage.gpkg", tables)

    def csvs() -> None:
        for name, frame in tables.items():
            csvfile.write_csv(folder / f"{name}.csv", frame)

    n = len(villages)
    if not (FORK_ABOVE < n <= FORK_UP_TO or n > FORK_UP_TO and under_peak(CSV_CHILD_SHARE)):
        gpkg()
        csvs()
        return 0.0, 0.0
    return beside(gpkg, csvs, "the CSV tables")


# The pages a child writing the CSV tables copies on write, as a share of this process's
# resident memory: 0.12-0.16 measured at 100k villages, 0.17-0.29 at 490k (it touches every row's
# Python objects).
CSV_CHILD_SHARE = 0.35


def _plain(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Nullable booleans as text so that every format stores them the same way; populations
    as whole numbers where they are (1432, not 1432.0)."""
    return villages.assign(**{name: villages[name].map({True: "yes", False: "no"}).astype(object) for name in YES_NO
                              if name in villages},   # an optional standard's where the run checked it
                           **{name: gaps.whole(villages[name].to_numpy(dtype=float))
                              for name in ("population", "poor_population")})


YES_NO = tuple(name for s in (*STANDARDS, *OPTIONAL) for name in s.yes_no)


def as_of(profile: Profile) -> date:
    """The date the run's data describe: project.as_of, else today."""
    return profile.as_of or date.today()


def run_record(result: Result) -> dict:
    """What run.json holds: inputs with hashes, profile, CRS, versions, counts, timings."""
    crs = result.inputs.crs
    return {
        # when the run was made (local time with its offset): orders runs for comparing them
        "run_at": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
        # the date the data describe (project.as_of, else the day of the run): orders periods, dates 逾期
        "as_of": as_of(result.profile).isoformat(),
        "profile": {"path": str(result.profile.path), "settings": dict(result.profile.raw)},
        "inputs": [record.__dict__ for record in result.inputs.records],
        "warnings": [finding.as_dict() for finding in result.inputs.findings],
        "working_crs": {"name": crs.name, "epsg": crs.to_epsg(), "wkt": crs.to_wkt()},
        "measuring_zones": _measuring_zones(result.inputs),
        "villages": len(result.villages),
        "verdicts": counts(result.villages),
        "gaps": len(result.gaps),
        "ledger": _ledger_record(result),
        "no_data": len(result.no_data),
        "seconds": dict(result.seconds),
        "peak_memory_mb": dict(result.peak_memory_mb),
        "versions": _versions(),
    }


def _ledger_record(result: Result) -> dict | None:
    if result.ledger is None:
        return None
    from layers.review import counts as ledger_counts

    files = sorted(set(result.ledger["file"].astype(str))) if len(result.ledger) else []
    return {"files": files, "rows": len(result.ledger), "statuses": ledger_counts(result.ledger)}


def _measuring_zones(inputs: Inputs) -> dict[str, int]:
    """Villages measured in each CRS: the zones of "auto", else the one working CRS."""
    if inputs.meridians is None:
        return {inputs.crs.to_string(): len(inputs.villages)}
    meridians, n = np.unique(inputs.meridians, return_counts=True)
    return {zones.zone_crs(m).to_string(): int(k) for m, k in zip(meridians, n)}


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB (NaN where the OS does not say)."""
    return round(peak_mb(), 1)


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "gdal": pyogrio.__gdal_version_string__}
    for package in ("covermap", "geopandas", "shapely", "pyogrio", "pyproj", "fiona", "folium", "pandas", "numpy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found
