"""Reading the profile's sources into canonical frames in one metric working CRS.

Every frame keeps one row per input feature with covermap's own column names. Reading
order: check (files, layers, columns, CRS), then assemble. ``run`` stops at the first
fatal problem; ``check`` passes a ``Findings`` collector and reads on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gis import geometry, io, memory, progress
from gis.crs import check_metric, geographic_centres, largest_scale_error, working_crs
from gis.errors import CovermapError, DataError
from layers import placement, plugins
from layers.canonical import _towns, townships_without_seat
from layers.checks import Finding, Findings
from layers.settings import Profile, Source
from layers.sources import LINES, POINTS, InputRecord, _read_source, _to_crs, read_rows
from layers.standards import LINES as PLUGIN_LINES
from layers.standards import DECLARED, TABLE
from layers.villages import EarlyVillages, attach_seats, check_villages, read_villages

__all__ = ["Findings", "InputRecord", "Inputs", "load_inputs"]

log = logging.getLogger(__name__)


@dataclass
class Inputs:
    """Everything the indicators need, in ``crs`` (metres)."""

    crs: CRS
    villages_crs: CRS
    villages: gpd.GeoDataFrame          # code, name, township_code, township_name, population, poor_population
    seats: gpd.GeoSeries                # aligned to villages; None where a village has no seat
    # the five first standards' input layers by key (layers/standards: ``Layer``), each as its
    # ``assemble`` made it: roads (hardened, boolean, NA unknown; surface, width, name), water
    # (service areas; name, served_codes, status columns), clinics (name, kind, standardized,
    # doctors), coverage (technology, counts), fibre (name); a layer not read is absent
    layers: dict[str, gpd.GeoDataFrame | None] = field(default_factory=dict)
    # the optional standards' input layers (layers/standards: Plugin.inputs) by section, as
    # their ``prepare`` made them: points or lines in ``crs``, or tables of rows by village code
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    towns: gpd.GeoDataFrame | None = None      # township seats: township_code, name
    records: list[InputRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)   # warnings found while reading
    # Villages whose edges do not match their neighbours' (checks.coverage_suspects of
    # villages.geometry, found while reading); None when not checked.
    village_suspects: np.ndarray | None = None
    # The union of each township's villages (checks.township_unions) when every village
    # has a boundary and a township code and they form a clean coverage; else None.
    township_shapes: gpd.GeoSeries | None = None
    # The central meridian of the Gauss-Krüger zone each village is measured in
    # (layers.zones), aligned to villages; None: everything is measured in ``crs``.
    meridians: np.ndarray | None = None
    # The villages' geometries as read, in ``villages_crs`` (aligned to villages), as WKB
    # (``as_read``), where that is not ``crs``: what the outputs are written with. None:
    # project them back.
    villages_as_read: np.ndarray | None = None
    # The graph of every road (layers.roadnet.every_road), built once for all who ask, with
    # the roads layer it was built from
    every_road: tuple | None = None

    def layer(self, key: str) -> gpd.GeoDataFrame | None:
        """The input layer ``key`` of the five first standards (``layers``), None if not read."""
        return self.layers.get(key)

    @property
    def roads(self) -> gpd.GeoDataFrame | None:
        """The roads, which the road standard, time to care, bus and the road network read."""
        return self.layers.get("roads")

    @roads.setter
    def roads(self, frame: gpd.GeoDataFrame | None) -> None:
        self.layers["roads"] = frame

    @property
    def clinics(self) -> gpd.GeoDataFrame | None:
        """The clinics and health centres, which the clinic standard and time to care read."""
        return self.layers.get("clinics")

    @clinics.setter
    def clinics(self, frame: gpd.GeoDataFrame | None) -> None:
        self.layers["clinics"] = frame

    def as_read(self) -> np.ndarray | None:
        """The villages' geometries as read (``villages_as_read`` decoded), or None."""
        return None if self.villages_as_read is None else shapely.from_wkb(self.villages_as_read)

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
    _check_settings(profile, findings)

    read = [0]

    def attempt(step, *args, into: Findings = findings):
        try:
            return step(*args)
        except CovermapError as exc:
            if into.strict:
                raise
            source = next((arg for arg in args if isinstance(arg, Source)), None)
            if step is read_villages:
                source = profile.villages.source
            elif step is attach_seats:
                source = profile.villages.seats
            into.exception(exc, source=source)
            return None
        finally:
            if step in (read_villages, _read_source, read_rows):
                read[0] += 1
                progress.advance("files", read[0], sum(1 for source in given if source))

    records: list[InputRecord] = []
    given = [profile.villages.source, profile.villages.seats, *(table.source for table in profile.layers.values()),
             profile.towns and profile.towns.source]
    given += [source for source, _, _ in plugins.inputs_of(profile).values()]
    digests = io.Digests(source.path for source in given if source)   # hashed while the files are read
    early, as_read, stretch = None, None, None
    try:
        villages = attempt(read_villages, profile, findings, records, digests)
        # the villages' own checks begin on a thread while the other layers are read
        early = EarlyVillages.start(profile, villages) if villages is not None else None
        if early is not None:
            villages, as_read, stretch = _compact(villages, early.crs, profile, findings)
        seats_frame = None
        if profile.villages.seats:
            seats_frame = attempt(_read_source, profile.villages.seats, POINTS, records, findings, digests)
        raw = {}

        def read_layer(key: str, source: Source, kinds: set[str]) -> None:
            # each layer into the working CRS as soon as it is read, where that is settled:
            # the copy as read is let go before the next is read (of it the extent is kept)
            frame = attempt(_read_source, source, kinds, records, findings, digests)
            if frame is None or early is None:
                raw[key] = (frame, None)
                return
            extent = _extent_of(frame)
            raw[key] = (extent, _to_crs(frame, early.crs, consume=True))
            del frame
            memory.release_free_memory()   # the copy as read, back to the system before the next layer is read

        for layer in DECLARED:
            if profile.layer(layer.key):
                read_layer(layer.key, profile.layer(layer.key).source, layer.kinds)
        if profile.towns:
            read_layer("towns", profile.towns.source, POINTS)
        rows = {}   # the plug-ins' tables of rows by village code: no geometry to bring into the working CRS
        for section, (source, spec, _) in plugins.inputs_of(profile).items():
            if spec.geometry == TABLE and "code" in source.columns:
                rows[section] = attempt(read_rows, source, records, findings, digests)
            else:
                read_layer(section, source, LINES if spec.geometry == PLUGIN_LINES else POINTS)   # a table's rows: points
    except Exception:
        if early is not None:   # its GEOS calls cannot be interrupted: the error waits for them
            early.wait()
        raise
    finally:
        digests.close()
    if villages is None:
        raise DataError(str(findings.errors[0]))
    if early is not None:
        crs, projected = early.crs, early.villages
    else:
        crs = profile.working_crs or attempt(working_crs, [villages])
        if crs is None:
            raise DataError(str(findings.errors[-1]))
        crs = check_metric(crs, "project.working_crs")
        projected = _to_crs(villages, crs)
    inputs = Inputs(crs=crs, villages_crs=CRS(villages.crs), villages=projected,
                    seats=gpd.GeoSeries([None] * len(villages), index=villages.index, crs=crs), records=records)
    attempt(attach_seats, inputs, profile, villages, seats_frame, findings)
    if stretch is not None:   # found before the villages' polygons as read were compacted
        findings.items.extend(stretch.items)
    elif profile.working_crs is not None:
        _check_stretch(crs, profile, villages, findings)
    if as_read is not None:
        inputs.villages_as_read = as_read
    elif not CRS(villages.crs).equals(crs):   # the outputs' geometry, never projected back and forth
        inputs.villages_as_read = shapely.to_wkb(villages.geometry.to_numpy())
    del villages   # the rest of it as read: the working CRS's copy is inputs.villages
    # The other layers are assembled while the villages' checks finish on their thread;
    # what that finds is recorded after the villages' findings, as if made in turn.
    later = Findings(strict=findings.strict)
    try:
        _assemble_layers(inputs, raw, profile, later, attempt)
    except Exception:
        if early is not None:
            early.wait()
        raise
    for section, frame in rows.items():
        if frame is not None:
            source, spec, rules = plugins.inputs_of(profile)[section]
            inputs.extra[section] = attempt(plugins.prepared, frame, profile, later, source, spec, rules, into=later)
            plugins.unknown_codes(frame, inputs.villages, source, later)
    plugins.check_inputs(inputs, profile, later)
    attempt(check_villages, inputs, profile, findings, early)
    findings.items.extend(later.items)
    inputs.findings = findings.warnings
    if findings.strict:
        for finding in findings.warnings:
            log.warning("warning: %s", finding, extra={"finding": finding})
    return inputs


def _check_settings(profile: Profile, findings: Findings) -> None:
    """Settings that would silently do nothing for want of the column they work on."""
    rules, file = profile.standards, str(profile.path)
    if profile.roads and rules.roads.min_width_m > 0 and "width" not in profile.roads.source.columns:
        findings.warn(f"standards.roads.min_width_m = {rules.roads.min_width_m:g} has no effect: [roads.columns] "
                      "maps no width, so no road is checked for it",
                      fix="map width in [roads.columns], or remove the setting", check="setting_unused", file=file)
    if (profile.clinics and rules.clinics.share_max_population > 0
            and "population" not in profile.villages.source.columns):
        findings.warn(f"standards.clinics.share_max_population = {rules.clinics.share_max_population:g} has no "
                      "effect: [villages.columns] maps no population, so no village may share a clinic",
                      fix="map population in [villages.columns], or remove the setting",
                      check="setting_unused", file=file)
    for layer in DECLARED:   # those its own module declares (layers/standards: ``Layer.check_settings``)
        if layer.check_settings is not None and profile.layer(layer.key):
            layer.check_settings(profile, findings)


# A fixed working CRS that stretches distances among the villages by more than this is
# reported: the promise of true distances is 0.1 %.
STRETCH_WARNED_ABOVE = 0.001


def _compact(villages: gpd.GeoDataFrame, crs: CRS, profile: Profile, findings: Findings
             ) -> tuple[gpd.GeoDataFrame, np.ndarray | None, Findings | None]:
    """The villages as read, their polygons kept as WKB (16.7 bytes a vertex against GEOS's
    26.6) for the outputs while every other layer is read and measured; what the polygons
    are still needed for (the stretch of a fixed working CRS) is found first. Returns the
    villages without their polygons, the WKB, and those findings (None: none looked for)."""
    if CRS(villages.crs).equals(crs):
        return villages, None, None   # the outputs are written from the working copy
    stretch = None
    if profile.working_crs is not None:
        stretch = Findings(strict=findings.strict)
        _check_stretch(crs, profile, villages, stretch)
    as_read = shapely.to_wkb(villages.geometry.to_numpy())
    villages = villages.copy(deep=False)
    villages[villages.geometry.name] = gpd.GeoSeries(np.full(len(villages), None, dtype=object),
                                                     index=villages.index, crs=villages.crs)
    return villages, as_read, stretch


def _check_stretch(crs: CRS, profile: Profile, villages: gpd.GeoDataFrame, findings: Findings) -> None:
    """Warn when a fixed ``project.working_crs`` measures some village's distances wrongly
    by more than ``STRETCH_WARNED_ABOVE`` (a transverse Mercator far from its meridian)."""
    geoms = villages.geometry.to_numpy()
    lon, lat = geographic_centres(geoms[geometry.usable(geoms)], CRS(villages.crs))
    error, at_lon, at_lat = largest_scale_error(crs, lon, lat)
    if error > STRETCH_WARNED_ABOVE:
        findings.warn(f"project.working_crs = {crs.to_string()} ({crs.name}) measures distances "
                      f"wrongly by up to {error:.1%} (areas {(1 + error) ** 2 - 1:.1%}) among these villages, "
                      f"worst near {at_lon:.2f}E {at_lat:.2f}N",
                      fix='set working_crs = "auto" to measure each county in its own Gauss-Kruger zone',
                      check="working_crs_stretch", file=str(profile.path))


def _extent_of(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """What the placement checks need of a layer as read: the box of its usable geometries,
    in its own CRS (no row where it has none)."""
    geoms = frame.geometry.to_numpy()
    geoms = geoms[geometry.usable(geoms)]
    return gpd.GeoDataFrame(geometry=[shapely.box(*shapely.total_bounds(geoms))] if len(geoms) else [], crs=frame.crs)


def _assemble_layers(inputs: Inputs, raw: dict[str, tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]],
                     profile: Profile, findings: Findings, attempt: Callable) -> None:
    """Each layer read into the working CRS, checked against the villages' extent and
    assembled into its canonical frame on ``inputs``. ``raw``: each layer as read (or its
    extent, ``_extent_of``), with its copy in the working CRS where already made."""
    declared = {layer.key: layer for layer in DECLARED if profile.layer(layer.key)}
    sources = {key: profile.layer(key).source for key in declared}
    sources["towns"] = profile.towns and profile.towns.source
    assemble = {key: layer.assemble for key, layer in declared.items()}
    assemble["towns"] = _towns
    plugged = plugins.inputs_of(profile)
    for section, (source, spec, rules) in plugged.items():
        sources[section] = source
        assemble[section] = partial(plugins.prepared, spec=spec, rules=rules, villages=inputs.villages)
    as_read = {key: original for key, (original, _) in raw.items()}
    if not attempt(placement.check_villages_crs, profile.villages.source, inputs, as_read, profile, into=findings):
        return   # the villages' CRS is wrong: no layer can be measured against them
    del as_read
    for key in list(raw):
        original, frame = raw.pop(key)   # as read, in its own CRS: let go once it is in the working CRS
        if original is not None:
            frame = _to_crs(original, inputs.crs) if frame is None else frame
            if not attempt(placement.check_extent, inputs, sources[key], frame, profile, findings, original, into=findings):
                continue
            del original
            made = attempt(assemble[key], frame, profile, findings, sources[key], into=findings)
            if key in plugged:
                inputs.extra[key] = made
            elif key in declared:
                inputs.layers[key] = made
            else:
                inputs.towns = made
    for layer in declared.values():
        if layer.check is not None:
            layer.check(inputs, profile, findings)
    if inputs.towns is not None:
        townships_without_seat(inputs.towns, inputs.villages, profile.towns.source, findings)
