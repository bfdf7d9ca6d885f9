"""The pipeline partitioned by county on dask.distributed (``covermap run --workers N`` or
``--scheduler ADDRESS``), with results identical to the single-process ``assess``.

The client reads every input once, then cuts it by county (the first six digits of the
village code, which the data already carries: no spatial shuffle). Each county's part
holds:

- its villages (the ones whose results are kept), plus the villages of other counties
  whose boundary or seat reaches into the county's bounding box, so that a clinic on a
  county border is still given to the village with the lowest code;
- every infrastructure feature within the county's bounding box grown by a margin per
  layer: the layer's distance limit in the profile (roads, clinic sharing, fibre), or,
  where it is larger, the farthest nearest-feature distance of the county's villages in
  that layer (computed once on the client with bulk nearest queries), plus 1 m; so every
  feature that can be a village's nearest, or within a limit, is in its part. Water and
  coverage polygons are taken where they reach the box itself (1 m);
- every water project that lists one of its villages' codes, wherever it lies.

Workers run the five standards on their part; the client joins the village rows in
input order and finishes with ``pipeline.finish`` (gap lists, township table, consistency
ledger) on the whole, as ``assess`` does.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis import geometry
from gis.errors import ConfigError
from layers import clinics, network, pipeline, roads, water
from layers.inputs import Inputs, load_inputs
from layers.settings import Profile, Standards

log = logging.getLogger(__name__)

MARGIN_M = 1.0
LAYERS = ("roads", "water", "clinics", "coverage", "fibre")
CLUSTER_HINT = "install the cluster extra: pip install 'covermap[cluster]'"


def county_of(codes: pd.Series) -> np.ndarray:
    """The partition key: the six-digit county prefix of each village code."""
    return codes.astype(str).str[:6].to_numpy(dtype=object)


def _extent(geoms: np.ndarray, groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Bounding box (xmin, ymin, xmax, ymax) of each group's usable geometries."""
    bounds = shapely.bounds(np.where(geometry.usable(geoms), geoms, None))
    frame = pd.DataFrame(bounds, columns=["x0", "y0", "x1", "y1"]).assign(g=groups)
    agg = frame.groupby("g").agg(x0=("x0", "min"), y0=("y0", "min"), x1=("x1", "max"), y1=("y1", "max"))
    return agg.reindex(keys).to_numpy()


def _reach(inputs: Inputs, rules: Standards) -> dict[str, tuple[float, np.ndarray]]:
    """Per layer: its distance limit in the profile and, per village, how far its nearest
    feature of that layer lies (NaN: none). Overlays (water, coverage) need no reach."""
    origins = inputs.origins
    found = {}
    if inputs.roads is not None:
        hardened = inputs.roads["hardened"].fillna(False).to_numpy(bool)
        found["roads"] = (rules.roads.max_distance_m, inputs.roads.geometry.to_numpy()[hardened])
    if inputs.clinics is not None:
        ok = clinics.qualifying(inputs.clinics, rules.clinics).fillna(False).to_numpy(bool)
        found["clinics"] = (rules.clinics.share_max_distance_m, inputs.clinics.geometry.to_numpy()[ok])
    if inputs.fibre is not None:
        found["fibre"] = (rules.network.fibre_max_distance_m, inputs.fibre.geometry.to_numpy())
    return {key: (limit, geometry.nearest(origins, targets)[1]) for key, (limit, targets) in found.items()}


def partitions(inputs: Inputs, rules: Standards) -> list[tuple[str, np.ndarray, Inputs]]:
    """(county, global rows of its villages, its part) for every county, in code order."""
    villages = inputs.villages
    county = county_of(villages["code"])
    keys = np.unique(county)
    seats = inputs.seats.to_numpy()
    polygons = villages.geometry.to_numpy()
    both = np.concatenate([polygons, seats])
    box = _extent(polygons, county, keys)
    seat_box = _extent(seats, county, keys)
    box = np.c_[np.fmin(box[:, 0], seat_box[:, 0]), np.fmin(box[:, 1], seat_box[:, 1]),
                np.fmax(box[:, 2], seat_box[:, 2]), np.fmax(box[:, 3], seat_box[:, 3])]
    known = ~np.isnan(box).any(axis=1)
    boxes = shapely.box(*np.nan_to_num(box).T)
    inner = np.where(known, boxes, None)
    reach = _reach(inputs, rules)

    def outer(key: str) -> np.ndarray:
        limit, distance = reach.get(key, (0.0, np.zeros(len(villages))))
        farthest = pd.Series(distance).groupby(county).max().reindex(keys).to_numpy()
        margin = np.fmax(limit, np.nan_to_num(farthest, nan=0.0)) + MARGIN_M
        return np.where(known, shapely.buffer(boxes, margin, join_style="mitre"), None)

    def grouped(tree_geoms: np.ndarray, boxes: np.ndarray) -> list[np.ndarray]:
        box_i, geom_i = shapely.STRtree(tree_geoms).query(boxes) if len(tree_geoms) else (np.zeros(0, int),) * 2
        order = np.lexsort((geom_i, box_i))
        box_i, geom_i = box_i[order], geom_i[order]
        cuts = np.searchsorted(box_i, np.arange(len(boxes) + 1))
        return [np.unique(geom_i[cuts[k]:cuts[k + 1]]) for k in range(len(boxes))]

    n = len(villages)
    context = [np.unique(rows % n) for rows in grouped(both, inner)]
    features = {key: grouped(getattr(inputs, key).geometry.to_numpy(), outer(key))
                for key in LAYERS if getattr(inputs, key) is not None}
    if inputs.water is not None and "served_codes" in inputs.water:
        listed = inputs.water["served_codes"].explode().dropna()
        listed_county = pd.Series(listed.astype(str).str[:6].to_numpy(), index=listed.index.to_numpy())
        by_county = listed_county.groupby(listed_county).groups
        features["water"] = [np.union1d(rows, np.asarray(by_county.get(key, []), dtype=np.int64))
                             for key, rows in zip(keys, features["water"])]
    parts = []
    for k, key in enumerate(keys):
        own = np.flatnonzero(county == key)
        rows = np.union1d(own, context[k])
        part = dataclasses.replace(
            inputs, villages=villages.iloc[rows].reset_index(drop=True),
            seats=inputs.seats.iloc[rows].reset_index(drop=True), village_suspects=None, township_shapes=None,
            **{name: getattr(inputs, name).iloc[chosen[k]].reset_index(drop=True)
               for name, chosen in features.items()})
        parts.append((str(key), rows, part))
    return parts


def assess_part(profile: Profile, part: Inputs, rows: np.ndarray, county: str) -> gpd.GeoDataFrame:
    """The village rows of one county (indexed by global row), from its part."""
    rules = profile.standards
    found = [roads.assess(part, rules.roads), water.assess(part, rules.water), clinics.assess(part, rules.clinics),
             network.assess_4g(part, rules.network), network.assess_fibre(part, rules.network)]
    table = pipeline._village_table(part, found)
    table.index = rows
    return table[county_of(table["village_code"]) == county]


def _client(workers: int | None, scheduler: str | None, processes: bool, timeout: str):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(f"--workers and --scheduler need dask.distributed, which is not installed; "
                          f"{CLUSTER_HINT}") from None
    if scheduler:
        try:
            return Client(scheduler, timeout=timeout), None
        except OSError as exc:
            raise ConfigError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc}); check the address "
                              "(e.g. tcp://10.0.0.5:8786) and that the scheduler is running") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=None)
    return Client(cluster), cluster


def assess_distributed(profile: Profile, *, workers: int | None = None, scheduler: str | None = None,
                       processes: bool = True, connect_timeout: str = "20s") -> pipeline.Result:
    """``pipeline.assess`` partitioned by county over a local cluster of ``workers``
    processes, or over the existing cluster at ``scheduler``."""
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: give at least 1 worker")
    seconds: dict[str, float] = {}
    peaks: dict[str, float] = {}

    def step(name: str, start: float) -> None:
        seconds[name] = round(time.perf_counter() - start, 3)
        peaks[name] = pipeline.peak_memory_mb()
        log.info("%s: %.2f s", name, seconds[name])

    client, cluster = _client(workers, scheduler, processes, connect_timeout)
    try:
        start = time.perf_counter()
        inputs = load_inputs(profile)
        step("read", start)
        start = time.perf_counter()
        parts = partitions(inputs, profile.standards)
        step("partition", start)
        log.info("%d villages in %d county partitions", len(inputs.villages), len(parts))
        start = time.perf_counter()
        futures = [client.submit(assess_part, profile, part, rows, county, pure=False)
                   for county, rows, part in parts]
        tables = client.gather(futures)
        step("assess (distributed)", start)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    villages = gpd.GeoDataFrame(pd.concat(tables).sort_index(), crs=inputs.villages_crs)
    villages.index = inputs.villages.index
    return pipeline.finish(profile, inputs, villages, seconds, peaks)
