"""covermap against DuckDB spatial and plain geopandas on synthetic countries.

    python -m benchmarks.run_benchmark --quick          # 10,000 and 100,000 villages
    python -m benchmarks.run_benchmark --villages 490000
    python -m benchmarks.run_benchmark --villages 10000 --data /tmp/covermap-bench
    python -m benchmarks.run_benchmark --villages 10000 --format gpkg   # GeoPackage inputs

For every scale (each in a fresh subprocess, so that peak memory is that scale's own):

1. makes the synthetic country (benchmarks/make_country.py) unless it is already in
   ``--data``;
2. runs covermap's pipeline (read, road, water, clinic, net4g, fibre, gaps, write tables,
   into ``--data``'s ``<country>-tables``, replaced by the next run; the maps are not
   written) and records seconds and peak resident memory per step, as
   run.json does, and the CPU seconds of each step (all threads);
3. does the same spatial work with plain geopandas (``sjoin_nearest``, ``sjoin``,
   ``overlay`` + ``dissolve``) and with DuckDB's spatial extension (spatial joins; the
   extension is loaded from the PyPI package ``duckdb-extension-spatial``'s installed
   file, never downloaded), and covermap's own primitive for each (``gis.geometry``);
   then, in another fresh process (benchmarks/engines.py), every engine in turn:
   - "read": the read step: covermap's ``load_inputs``, and the six files read by
     geopandas' ``read_file`` and DuckDB's ``ST_Read`` followed by the same geometric
     checks in each (benchmarks/read_checks.py: validity, the villages' coverage,
     overlaps, township unions and their gaps, isolated villages, seats, far features);
   - "read files": the plain reads, checking nothing: those two and covermap's reader
     alone (``gis.io``, the read step without its checks);
4. checks that the engines agree: pair counts exactly, distances to 1e-6 m, shares to
   1e-9, the read step's findings exactly and township areas to 1e-6; mismatches are
   printed (and make the exit code 1);
5. prints a table of seconds and the ratio covermap / fastest other engine (a join that
   takes under a second is timed three times, the reads twice, every engine alike, and
   the quickest kept).

Needs the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import read_checks
from benchmarks.engines import duckdb_connection, timed_reads

HARDENED = ("asphalt", "concrete", "水泥")
COUNTING = ("4G", "5G")
ROAD_SEARCH_M = 3000.0      # DuckDB has no nearest-neighbour join: nearest within this radius
FIBRE_LIMIT_M = 1000.0


def peak_mb() -> float:
    from gis.child import peak_mb   # this process's peak, across the pipeline's restarts of it

    return peak_mb()


def _clock(timings: dict, key: str, func):
    """Seconds of ``func()``; a call under ``REPEAT_UNDER`` s is made twice more and the
    quickest kept (a single run of a few hundredths of a second is mostly noise on a
    shared machine). Every engine's join builds its own index inside ``func``."""
    start = time.perf_counter()
    value = func()
    best = time.perf_counter() - start
    if best < REPEAT_UNDER:
        for _ in range(2):
            start = time.perf_counter()
            func()
            best = min(best, time.perf_counter() - start)
    timings[key] = best
    return value


REPEAT_UNDER = 1.0
def one_scale(folder: Path, outdir: Path, engines: bool = True) -> dict:
    """Everything for one synthetic country; returns figures and mismatches."""
    import geopandas as gpd
    import shapely

    from gis import geometry, memory, shares
    from layers.inputs import load_inputs
    from layers.pipeline import assess, publish
    from layers.profile import load_profile

    figures: dict = {"covermap_steps": {}, "joins": {}, "mismatches": []}
    rss: dict[str, float] = {}
    memory.limit_malloc_arenas()   # as the covermap command does
    start = time.perf_counter()
    profile = load_profile(folder / "profile.toml")
    result = assess(profile, keep_layers=False)   # as `covermap run --no-maps`
    publish(result, outdir, overwrite=True)
    # the wall time of the whole: the water step may run in a child process alongside others
    figures["covermap_seconds"] = round(time.perf_counter() - start, 3)
    figures["covermap_steps"] = dict(result.seconds)
    figures["covermap_cpu"] = dict(result.cpu_seconds)   # all threads; wall below CPU = parallel work
    # this process's peak, or a step's while a child process ran beside it (its pages added)
    figures["covermap_peak_mb"] = max(peak_mb(), *result.peak_memory_mb.values())
    figures["villages"] = len(result.villages)
    rss["covermap"] = peak_mb()
    if not engines:
        figures["peak_mb"] = rss
        return figures
    inputs = load_inputs(profile)   # read again: the run let go of the layers it was done with
    n = len(inputs.villages)
    vill = inputs.villages.geometry.to_numpy()
    seats = inputs.seats.to_numpy()
    seated = np.flatnonzero(geometry.usable(seats))
    seat_geoms = seats[seated]   # taken before every engine's clock, as DuckDB's table of seats is
    roads = inputs.roads
    hardened = roads.geometry.to_numpy()[roads["surface"].isin(HARDENED).to_numpy()]
    coverage = inputs.layer("coverage")
    cover = coverage.geometry.to_numpy()[coverage["technology"].isin(COUNTING).to_numpy()]
    water = inputs.layer("water").geometry.to_numpy()
    clinics_g = inputs.clinics.geometry.to_numpy()
    fibre = inputs.layer("fibre").geometry.to_numpy()
    joins = figures["joins"]

    def record(name: str, engine: str, seconds: float) -> None:
        joins.setdefault(name, {})[engine] = seconds

    def mismatch(text: str) -> None:
        figures["mismatches"].append(text)

    # ---- covermap's primitives (the work inside each step) ----
    t: dict = {}
    _, cm_road = _clock(t, "road", lambda: geometry.nearest(seat_geoms, hardened))
    cm_clinic = _clock(t, "clinic", lambda: geometry.pairs_intersecting(clinics_g, vill))
    _, cm_fibre = _clock(t, "fibre", lambda: geometry.nearest(seat_geoms, fibre))
    cm_net4g = _clock(t, "net4g", lambda: shares.covered_share(vill, cover))
    cm_water = _clock(t, "water", lambda: shares.covered_share(vill, water))
    for key, seconds in t.items():
        record(key, "covermap", seconds)

    # ---- plain geopandas (the reads are timed apart: timed_reads) ----
    t = {}
    crs = inputs.crs

    def frame(geoms, **columns):   # made inside each timed join: geopandas keeps a frame's index once built
        return lambda: gpd.GeoDataFrame(columns, geometry=geoms, crs=crs)
    g_v = frame(vill, vid=np.arange(n))
    g_s = frame(seat_geoms, vid=seated)
    g_h = frame(hardened)
    g_c = frame(clinics_g, cid=np.arange(len(clinics_g)))
    g_f = frame(fibre)
    g_cov = frame(cover)
    g_w = frame(water)
    near = _clock(t, "road", lambda: gpd.sjoin_nearest(g_s(), g_h(), distance_col="d"))
    gp_road = near.groupby("vid")["d"].min().reindex(seated).to_numpy()
    gp_clinic = _clock(t, "clinic", lambda: gpd.sjoin(g_c(), g_v(), predicate="intersects"))
    near = _clock(t, "fibre", lambda: gpd.sjoin_nearest(g_s(), g_f(), distance_col="d"))
    gp_fibre = near.groupby("vid")["d"].min().reindex(seated).to_numpy()

    def gp_share(layer):
        villages = g_v()
        pieces = gpd.overlay(villages, layer(), how="intersection", keep_geom_type=True)
        area = pieces.dissolve("vid").area
        return (area.reindex(np.arange(n)).fillna(0.0) / villages.area).clip(0, 1).to_numpy()

    gp_net4g = _clock(t, "net4g", lambda: gp_share(g_cov))
    gp_water = _clock(t, "water", lambda: gp_share(g_w))
    for key, seconds in t.items():
        record(key, "geopandas", seconds)
    rss["geopandas"] = peak_mb()

    # ---- DuckDB spatial ----
    t = {}
    con = duckdb_connection()
    # the same geometries covermap holds, so that the joins compare like with like
    def table(name, geoms, **columns):
        frame = pd.DataFrame({**columns, "wkb": shapely.to_wkb(geoms)})
        con.register("frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * EXCLUDE (wkb), ST_GeomFromWKB(wkb) AS geom "
                    "FROM frame")
        con.unregister("frame")
    table("v", vill, vid=np.arange(n))
    table("s", seat_geoms, vid=seated)
    table("h", hardened, hid=np.arange(len(hardened)))
    table("c", clinics_g, cid=np.arange(len(clinics_g)))
    table("f", fibre, fid=np.arange(len(fibre)))
    table("cov", cover, gid=np.arange(len(cover)))
    table("w", water, gid=np.arange(len(water)))
    dk_road = _clock(t, "road", lambda: con.execute(
        f"SELECT s.vid, min(ST_Distance(s.geom, h.geom)) AS d FROM s JOIN h ON ST_DWithin(s.geom, h.geom, "
        f"{ROAD_SEARCH_M}) GROUP BY s.vid").df())
    dk_clinic = _clock(t, "clinic", lambda: con.execute(
        "SELECT c.cid, v.vid FROM c JOIN v ON ST_Intersects(c.geom, v.geom)").df())
    dk_fibre = _clock(t, "fibre", lambda: con.execute(
        f"SELECT s.vid, min(ST_Distance(s.geom, f.geom)) AS d FROM s JOIN f ON ST_DWithin(s.geom, f.geom, "
        f"{FIBRE_LIMIT_M}) GROUP BY s.vid").df())

    def dk_share(layer):
        return con.execute(
            f"SELECT v.vid, least(1.0, ST_Area(ST_Union_Agg(ST_Intersection(v.geom, x.geom))) / ST_Area(any_value(v.geom))) "
            f"AS share FROM v JOIN {layer} x ON ST_Intersects(v.geom, x.geom) GROUP BY v.vid").df()
    dk_net4g = _clock(t, "net4g", lambda: dk_share("cov"))
    dk_water = _clock(t, "water", lambda: dk_share("w"))
    for key, seconds in t.items():
        record(key, "duckdb", seconds)
    rss["duckdb"] = peak_mb()   # the reads and the read step: timed_reads, in a process of its own

    # ---- the engines must agree ----
    def same_distances(name, ours, other, engine):
        bad = ~(np.isclose(ours, other, rtol=0, atol=1e-6) | (np.isnan(ours) & np.isnan(other)))
        if bad.any():
            mismatch(f"{name}: {engine} differs for {int(bad.sum())} villages (first: ours {ours[bad][0]!r}, "
                     f"{engine} {other[bad][0]!r})")

    for name, ours, gp, dk, radius in (("road", cm_road, gp_road, dk_road, ROAD_SEARCH_M),
                                       ("fibre", cm_fibre, gp_fibre, dk_fibre, FIBRE_LIMIT_M)):
        same_distances(f"{name} nearest", ours, gp, "geopandas")
        within = np.where(ours <= radius, ours, np.nan)
        dk = pd.Series(dk["d"].to_numpy(), index=dk["vid"].to_numpy()).reindex(seated).to_numpy()
        same_distances(f"{name} nearest within {radius:.0f} m", within, dk, "duckdb")

    def same_pairs(name, ours, other, engine):
        a = set(zip(*(np.asarray(x).tolist() for x in ours)))
        b = set(zip(*(np.asarray(x).tolist() for x in other)))
        if a != b:
            mismatch(f"{name}: {len(a)} pairs (covermap) vs {len(b)} ({engine}); {len(a - b)} only ours, "
                     f"{len(b - a)} only {engine}")

    same_pairs("clinic in village", cm_clinic, (gp_clinic["cid"], gp_clinic["vid"]), "geopandas")
    same_pairs("clinic in village", cm_clinic, (dk_clinic["cid"], dk_clinic["vid"]), "duckdb")

    def same_shares(name, ours, other, engine):
        bad = ~np.isclose(ours, other, rtol=0, atol=1e-9)
        if bad.any():
            mismatch(f"{name}: {engine} differs for {int(bad.sum())} villages (max difference "
                     f"{np.nanmax(np.abs(ours - other)):.3g})")

    for name, ours, gp, dk in (("net4g share", cm_net4g, gp_net4g, dk_net4g), ("water share", cm_water, gp_water,
                                                                               dk_water)):
        same_shares(name, ours, gp, "geopandas")
        dks = pd.Series(dk["share"].to_numpy(), index=dk["vid"].to_numpy()).reindex(np.arange(n)).fillna(0.0)
        same_shares(name, ours, dks.to_numpy(), "duckdb")
    figures["peak_mb"] = rss
    figures["pairs"] = {"clinic": int(len(cm_clinic[0])), "fibre_within_limit": int((cm_fibre <= FIBRE_LIMIT_M).sum()),
                        "net4g_covered_villages": int((cm_net4g > 0).sum())}
    return figures


def print_table(figures: dict) -> None:
    n = figures["villages"]
    steps = figures["covermap_steps"]
    total = figures["covermap_seconds"]
    print(f"\n== {n:,} villages: covermap pipeline {total:.1f} s, peak {figures['covermap_peak_mb']:,.0f} MB "
          "(maps not written)")
    print("   " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
          + (" (steps overlap: water, clinic and fibre ran in a child process beside road and net4g)"
             if sum(steps.values()) > total + 0.5 else ""))
    if figures.get("covermap_cpu"):
        cpu = figures["covermap_cpu"]
        print(f"   CPU seconds (all threads; on a shared machine the steadier figure), total {sum(cpu.values()):.1f}: "
              + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    if not figures["joins"]:
        print("   peak MB: " + ", ".join(f"{k} {v:,.0f}" for k, v in figures["peak_mb"].items()))
        return
    print(f"   {'join (step)':<12} {'covermap':>9} {'geopandas':>10} {'duckdb':>9} {'ratio':>7}")
    for name, row in figures["joins"].items():
        others = [row[k] for k in ("geopandas", "duckdb") if k in row]
        ratio = row["covermap"] / min(others) if others else float("nan")
        print(f"   {name:<12} {row['covermap']:>9.2f} {row.get('geopandas', float('nan')):>10.2f} "
              f"{row.get('duckdb', float('nan')):>9.2f} {ratio:>6.2f}x")
    if "read files" in figures["joins"]:
        row, files = figures["joins"]["read"], figures["joins"]["read files"]
        print(f"   the read step against the other engines' plain reads, which check nothing: "
              f"{row['covermap'] / min(files['geopandas'], files['duckdb']):.2f}x")
    print("   peak MB after each engine: " + ", ".join(f"{k} {v:,.0f}" for k, v in figures["peak_mb"].items()))
    if figures["mismatches"]:
        for line in figures["mismatches"]:
            print(f"   MISMATCH {line}")
    else:
        print("   results identical across engines (pairs exactly, distances to 1e-6 m, shares to 1e-9, "
              "the read step's findings exactly)")


def _folder(data: Path, villages: int, seed: int, fmt: str, china: bool = False) -> Path:
    """Where a synthetic country is kept: FlatGeobuf ones as before, others by format."""
    return data / (f"country-{villages}-{seed}" + ("" if fmt == "fgb" else f"-{fmt}") + ("-china" if china else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 and 100,000 villages")
    parser.add_argument("--villages", type=int, action="append", help="a scale (repeatable), e.g. 490000")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "covermap-bench",
                        help="where synthetic countries, and the tables of the last run at each "
                             "scale, are kept between runs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write all figures to this file")
    parser.add_argument("--covermap-only", action="store_true",
                        help="time covermap's pipeline only (no geopandas or DuckDB joins)")
    parser.add_argument("--format", choices=("fgb", "gpkg"), default="fgb",
                        help="the synthetic country's files: FlatGeobuf (default) or GeoPackage")
    parser.add_argument("--china", action="store_true",
                        help="countries laid on China's real longitudes and latitudes (working_crs auto: "
                             "each county measured in its own zone); with --covermap-only, as the other "
                             "engines measure in one plane")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reads", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.covermap_only = args.covermap_only or args.china
    if args.one:
        folder = _folder(args.data, args.one, args.seed, args.format, args.china)
        # the tables go beside the country, replaced by each run: a temporary folder is
        # left behind whenever a run is stopped (2 GB at 490,000 villages)
        out = folder.parent / f"{folder.name}-tables"
        print(json.dumps(one_scale(folder, out, engines=not args.covermap_only)))
        return 0
    if args.reads:
        print(json.dumps(timed_reads(_folder(args.data, args.reads, args.seed, args.format))))
        return 0
    scales = args.villages or ([10_000, 100_000] if args.quick else [10_000])
    collected = []
    for count in scales:
        folder = _folder(args.data, count, args.seed, args.format, args.china)
        if not (folder / "profile.toml").exists():
            from benchmarks.make_country import make_country

            start = time.perf_counter()
            make_country(folder, count, args.seed, fmt=args.format, place="china" if args.china else "plane")
            print(f"generated {folder} in {time.perf_counter() - start:.1f} s", flush=True)
        def fresh(*flags):   # a process of its own, so that each figure is of a fresh process
            done = subprocess.run([sys.executable, "-m", "benchmarks.run_benchmark", *flags, "--data", str(args.data),
                                   "--seed", str(args.seed), "--format", args.format,
                                   *(["--china"] if args.china else [])],
                                  capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return None
            return json.loads(done.stdout.strip().splitlines()[-1])

        figures = fresh("--one", str(count), *(["--covermap-only"] if args.covermap_only else []))
        if figures is None:
            return 1
        if not args.covermap_only:
            reads = fresh("--reads", str(count))
            if reads is None:
                return 1
            figures["joins"] = {"read": reads["step"], "read files": reads["files"], **figures["joins"]}
            ours = reads["found"]["covermap"]
            for engine in ("geopandas", "duckdb"):
                figures["mismatches"] += read_checks.differences(ours, reads["found"][engine], engine)
        collected.append(figures)
        print_table(figures)
    for smaller, larger in zip(collected, collected[1:]):   # each scale against the one before
        growth = larger["covermap_seconds"] / smaller["covermap_seconds"]
        print(f"\ngrowth {smaller['villages']:,} -> {larger['villages']:,} villages: {growth:.2f}x time for "
              f"{larger['villages'] / smaller['villages']:.1f}x villages")
    if args.json:
        args.json.write_text(json.dumps(collected, indent=2))
    return 1 if any(f["mismatches"] for f in collected) else 0


if __name__ == "__main__":
    sys.exit(main())
