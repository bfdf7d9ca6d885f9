"""Measuring zones: with ``project.working_crs = "auto"`` every village is measured in the
CGCS2000 3-degree Gauss-Krüger zone of its county, as Chinese surveying measures a county
in the zone of its own central meridian, so that a distance or area is true to within
0.1 % anywhere in China in one run (a single zone for a whole province or country
stretches distances by several per cent far from its meridian).

A county's zone is the one holding the median longitude of its villages, so a stray
village (a typo) does not move it; a village more than ``OWN_ZONE_BEYOND_DEG`` from its
county's meridian (a stray, or the far end of a vast county) is measured in its own zone.
Features near a county's edge are measured in that county's zone: each zone's part
carries the features its villages can reach (``layers.partition``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from gis import geometry, progress
from gis.crs import geographic_centres, reproject, zone_crs, zone_meridian
from layers import clinics
from layers.inputs import Inputs
from layers.partition import Stretch, county_of, iter_partitions
from layers.standards import STANDARDS, Standards

log = logging.getLogger(__name__)

# Beyond this many degrees from its county's central meridian a village gets its own zone:
# at 2.25 degrees a distance is stretched by 0.07 % at 18N (Sanya), less farther north.
OWN_ZONE_BEYOND_DEG = 2.25
# The least radius of curvature of the GRS80 ellipsoid (m): the sphere of this radius
# stretches a transverse Mercator's distances at least as much as the ellipsoid does.
_LEAST_RADIUS_M = 6_335_439.0


def village_meridians(inputs: Inputs) -> np.ndarray:
    """The central meridian of the zone each village is measured in (see the module)."""
    lon, _ = geographic_centres(inputs.origins, inputs.crs)
    lon = np.where(np.isfinite(lon), lon, np.nan)
    county = pd.Series(lon).groupby(county_of(inputs.villages["code"].fillna(""))).transform("median")
    meridian = zone_meridian(county.to_numpy())
    away = np.abs((lon - meridian + 180) % 360 - 180)
    meridian = np.where(away > OWN_ZONE_BEYOND_DEG, zone_meridian(lon), meridian)
    # a village with neither boundary nor seat (nothing to measure): the run's own zone
    fallback = zone_meridian(np.nanmedian(lon)) if np.isfinite(lon).any() else 0.0
    return np.where(np.isfinite(meridian), meridian, fallback)


Steps = Callable[[Inputs], list[pd.DataFrame]]

# What the zones' parts carry: the layers of the standards decided by distances
# (``Standard.zoned``). The others (shares of each village's area, a seat inside a polygon)
# no zone changes; they are decided on the whole, in the working CRS.
ZONED_LAYERS = tuple(name for s in STANDARDS if s.zoned is not None for name in s.layers)
_UNZONED = tuple(name for s in STANDARDS if s.zoned is None for name in s.layers)


def assess(inputs: Inputs, rules: Standards, steps: Steps) -> list[pd.DataFrame] | None:
    """``steps(part)`` for the villages of every zone in ``inputs.meridians``, each part
    measured in its zone and holding the ``ZONED_LAYERS`` alone, the tables joined back
    in the villages' order (aligned to ``inputs.villages.index``); None when every
    village lies in the zone of ``inputs.crs`` (or no zones are set): the caller runs the
    steps on ``inputs`` itself."""
    meridians = inputs.meridians
    if meridians is None:
        return None
    zones = np.unique(meridians)
    inputs = _measured(inputs, rules)
    if len(zones) == 1:
        crs = zone_crs(zones[0])
        if crs.equals(inputs.crs):
            return None
        log.info("measuring in %s", crs.name)
        return [table.set_axis(inputs.villages.index) for table in steps(in_crs(inputs, crs))]
    found: list[list[pd.DataFrame]] = []
    rows_of: list[np.ndarray] = []
    parts = iter_partitions(inputs, rules, meridians, stretch_of(inputs.crs), layers=ZONED_LAYERS,
                            into=lambda meridian, part: in_crs(part, zone_crs(meridian)), neighbours=False)
    for meridian, rows, part in parts:
        progress.advance("zones", len(found), len(zones))
        own = part.meridians == meridian
        log.info("measuring %d villages in %s", int(own.sum()), part.crs.name)
        tables = steps(part)
        del part
        found.append([table.iloc[np.flatnonzero(own)] for table in tables])
        rows_of.append(rows[own])
    order = np.argsort(np.concatenate(rows_of), kind="stable")
    joined = []
    for k in range(len(found[0])):
        table = pd.concat([tables[k] for tables in found], ignore_index=True).iloc[order]
        joined.append(table.set_axis(inputs.villages.index))
    return joined


def _measured(inputs: Inputs, rules: Standards) -> Inputs:
    """What the zones' parts measure from: each village's seat, and its polygon only where
    it has none (roads entering it; the distances from it), with the ``ZONED_LAYERS``'
    features that can count: roads hardened or of unknown surface, qualifying clinics.
    The polygons of seated villages, most of the vertices, are neither cut nor reprojected."""
    polygons = np.where(geometry.usable(inputs.seats.to_numpy()), None, inputs.villages.geometry.to_numpy())
    villages = gpd.GeoDataFrame({"code": inputs.villages["code"]}, geometry=polygons, crs=inputs.crs)
    kept = {name: frame for name, frame in inputs.layers.items() if name not in _UNZONED}
    if inputs.roads is not None:   # roads.assess looks at no road known to be unhardened
        kept["roads"] = inputs.roads[inputs.roads["hardened"].fillna(True).to_numpy(dtype=bool)]
    if inputs.clinics is not None:   # clinics.nearest_table measures to qualifying ones alone
        kept["clinics"] = inputs.clinics[clinics.qualifying(inputs.clinics, rules.clinics).fillna(False)
                                         .to_numpy(dtype=bool)]
    return dataclasses.replace(inputs, villages=villages, village_suspects=None, township_shapes=None,
                               villages_as_read=None, layers=kept)


def in_crs(inputs: Inputs, crs: CRS) -> Inputs:
    """The villages, their seats and the ``ZONED_LAYERS`` of ``inputs`` in ``crs`` (the
    other layers left out)."""
    def moved(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
        return None if frame is None else reproject(frame, crs)

    seats = reproject(gpd.GeoSeries(inputs.seats.to_numpy(), index=inputs.seats.index, crs=inputs.crs), crs)
    return Inputs(crs=crs, villages_crs=inputs.villages_crs, villages=moved(inputs.villages), seats=seats,
                  layers={name: moved(inputs.layer(name)) for name in ZONED_LAYERS}, records=inputs.records,
                  findings=inputs.findings, meridians=inputs.meridians)


def stretch_of(crs: CRS) -> Stretch:
    """How much more than the truth ``crs`` (a zone: central meridian at false easting
    500 km, scale 1 on it) can show a distance within a part's box grown by a margin:
    the sphere's cosh(x / R) at the farthest easting, which bounds the ellipsoid's."""
    easting = next((float(param.value) for param in crs.coordinate_operation.params
                    if param.name == "False easting"), 500_000.0)

    def factor(box: np.ndarray, margin: np.ndarray) -> np.ndarray:
        x = np.fmax(np.abs(box[:, 0] - easting), np.abs(box[:, 2] - easting))
        x = np.nan_to_num(x, nan=0.0)
        grown = np.cosh((x + margin) / _LEAST_RADIUS_M)
        return np.cosh((x + margin * grown) / _LEAST_RADIUS_M) * 1.001

    return factor
