"""The pipeline partitioned by county on dask.distributed (``covermap run --workers N`` or
``--scheduler ADDRESS``), with results identical to the single-process ``assess``.

The client reads every input once, then cuts it by county (the first six digits of the
village code, which the data already carries: no spatial shuffle; what a county's part
holds is in ``layers.partition``).

Workers run the five standards on their part, measured in the zones of its villages as
``assess`` measures them (``layers.zones``); the client joins the village rows in
input order and finishes with ``pipeline.finish`` (gap lists, township table, consistency
ledger) on the whole, as ``assess`` does.
"""

from __future__ import annotations

import logging
import time

import geopandas as gpd
import numpy as np
import pandas as pd

from gis import progress
from gis import geometry
from gis.errors import ConfigError
from layers import pipeline, zones
from layers.inputs import Inputs, load_inputs
from layers.partition import county_of, partitions  # noqa: F401 (partitions: part of this module's API)
from layers.settings import Profile
from layers.standards import STANDARDS

log = logging.getLogger(__name__)

CLUSTER_HINT = "install the cluster extra: pip install 'covermap[cluster]'"


def assess_part(profile: Profile, part: Inputs, rows: np.ndarray, county: str,
                along: list[pd.DataFrame] = ()) -> gpd.GeoDataFrame:
    """The village rows of one county (indexed by global row), from its part. ``along``:
    the road network's tables of the part's villages, made on the whole
    (``pipeline.network_tables``)."""
    rules, lang = profile.standards, profile.lang

    # as assess does: the distances in each village's zone, the shares on the part itself
    measures = pipeline.zoned_measures(rules, lang)
    in_zones = zones.assess(part, rules, lambda where: [measures[key](where) for key in pipeline.ZONED])
    found = dict(zip(pipeline.ZONED, in_zones or []))
    for standard in STANDARDS:   # what the zones measured of it completed on the part
        if in_zones is not None and standard.settle is not None:
            found[standard.key] = standard.settle(part, rules, lang, found[standard.key])
    table = pipeline._village_table(part, [found[s.key] if s.key in found else s.decide(part, rules, lang)
                                           for s in STANDARDS]
                                    + [frame.set_axis(part.villages.index) for frame in along])
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
        progress.begin("read")
        inputs = load_inputs(profile)
        step("read", start)
        start = time.perf_counter()
        progress.begin("partition")
        auto = profile.working_crs is None
        if auto:   # each county in its own zone, as assess measures it
            inputs.meridians = zones.village_meridians(inputs)
        along = pipeline.network_tables(profile, inputs)   # on the whole, as assess does
        along = [*along, *pipeline.plugin_tables(profile, inputs)]   # the optional standards too
        parts = partitions(inputs, profile.standards, stretch=zones.stretch_of(inputs.crs) if auto else None)
        step("partition", start)
        log.info("%d villages in %d county partitions", len(inputs.villages), len(parts))
        start = time.perf_counter()
        futures = [client.submit(assess_part, profile, part, rows, county,
                                 [frame.iloc[rows] for frame in along], pure=False)
                   for county, rows, part in parts]
        tables = client.gather(futures)
        step("assess (distributed)", start)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    villages = gpd.GeoDataFrame(pd.concat(tables).sort_index(), crs=inputs.villages_crs)
    villages.index = inputs.villages.index
    if inputs.villages_as_read is not None:   # as the single-process table has them
        usable = geometry.usable(inputs.villages.geometry.to_numpy())
        villages = villages.set_geometry(gpd.GeoSeries(np.where(usable, inputs.as_read(), None),
                                                       index=villages.index, crs=inputs.villages_crs))
    return pipeline.finish(profile, inputs, villages, seconds, peaks)
