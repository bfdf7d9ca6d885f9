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
from layers.partition import county_of, partitions  # noqa: F401 (partitions: part of this module's API)
from layers.settings import Profile, Standards

log = logging.getLogger(__name__)

CLUSTER_HINT = "install the cluster extra: pip install 'covermap[cluster]'"


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
