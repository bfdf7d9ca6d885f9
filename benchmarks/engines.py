"""The other engines' side of the benchmark: DuckDB with its spatial extension from the
installed PyPI package, and the reads of the six files by every engine (plain, and with
the read step's checks), timed in a fresh process of their own (``run_benchmark --reads``,
internal)."""

from __future__ import annotations

import time
from pathlib import Path

# the plain reads of the six files (covermap's reader alone, geopandas, DuckDB): the
# quickest of this many rounds, as a single read of 100k villages' files varied by
# 1.3-2.9 s within one process
READ_TIMES = 2


def duckdb_connection():
    """DuckDB with the spatial extension loaded from the installed PyPI package."""
    import duckdb
    import duckdb_extension_spatial

    found = sorted(Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
    if not found:
        raise SystemExit("duckdb-extension-spatial is installed but holds no spatial.duckdb_extension file")
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false")
    con.execute(f"LOAD '{found[-1]}'")
    return con


def timed_reads(folder: Path) -> dict:
    """Seconds to read the six files, in a fresh process of their own, every engine alike,
    ``READ_TIMES`` rounds, the quickest of each kept:

    - ``files``: the plain reads: covermap's reader alone (``gis.io``, the profile's
      columns: the read step without its checks), geopandas' ``read_file`` and DuckDB's
      ``ST_Read``;
    - ``step``: the read step: covermap's ``load_inputs``, and the other engines' reads
      followed by the same geometric checks (benchmarks/read_checks.py); ``found``: what
      each engine's checks found, for the benchmark to compare.

    Timed in the process that had run the pipeline and the joins, the same plain read of
    100k villages took 2.5 s against 1.3-1.8 s fresh (GDAL's batches of large polygons
    slower to come: a heap left by the other work)."""
    import geopandas as gpd

    from benchmarks import read_checks
    from gis import encoding, io, memory
    from layers.profile import load_profile

    memory.limit_malloc_arenas()   # as the covermap command does
    profile = load_profile(folder / "profile.toml")
    sources = list(read_checks.sources(profile).values())
    con = duckdb_connection()

    def covermap():
        return [io.read_vector(s.path, s.layer, encoding.shapefile_encoding(s.path, s.encoding).name,
                               list(s.columns.values())) for s in sources]

    def geopandas():
        return [gpd.read_file(s.path, engine="pyogrio") for s in sources]

    def duckdb():
        for k, s in enumerate(sources):
            con.execute(f"CREATE OR REPLACE TABLE raw_{k} AS SELECT * FROM ST_Read('{s.path}')")

    steps = (("covermap", lambda: read_checks.covermap(profile)), ("geopandas", lambda: read_checks.geopandas(profile)),
             ("duckdb", lambda: read_checks.duckdb(profile, con)))
    best: dict[str, dict[str, float]] = {"files": {}, "step": {}}
    found: dict[str, dict] = {}
    for _ in range(READ_TIMES):
        for kind, work in (("files", (("covermap", covermap), ("geopandas", geopandas), ("duckdb", duckdb))),
                           ("step", steps)):
            for engine, read in work:
                start = time.perf_counter()
                data = read()
                seconds = time.perf_counter() - start
                best[kind][engine] = min(best[kind].get(engine, float("inf")), seconds)
                if kind == "step" and engine not in found:
                    found[engine] = read_checks.covermap_found(profile, data) if engine == "covermap" else data
                del data
                if engine == "duckdb":   # its tables let go before the next engine reads
                    for (table,) in con.execute("SHOW TABLES").fetchall():
                        con.execute(f"DROP TABLE {table}")
    con.close()
    return {**best, "found": found}
