"""The read step as every engine does it: the six files read and the same geometric checks
made of them, so that covermap's read step (``layers.inputs.load_inputs``) is compared
with the same work, not with a plain read that checks nothing.

The checks are the read step's geometric ones, each engine in its own way:

- every layer's invalid geometries counted and repaired (``make_valid``);
- the villages' coverage validated (edges that do not match a neighbour's); among the
  villages it flags, pairs overlapping by more than ``checks.overlap_tolerance_m2``;
- each township's villages unioned (a coverage union where they form a clean coverage,
  else a full union), and holes in the unions larger than ``checks.gap_tolerance_m2``;
- villages farther than ``checks.far_outside_m`` from every other village (those that
  meet no other village, then measured);
- seats more than 1 m outside their own village;
- each other layer's features farther than ``checks.far_outside_m`` from the villages'
  extent.

Each returns what it found as plain values (``found``), and the benchmark checks that
the engines agree. covermap's read step also does what the others do not: text
encodings, village codes, the files' SHA-256 and the layers' own columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

SEAT_MARGIN_M = 1.0   # as checks.seats_outside


def sources(profile) -> dict:
    """The six files by layer name."""
    return {"villages": profile.villages.source, **{key: table.source for key, table in profile.layers.items()}}


def found(invalid: dict, overlaps, gaps_m2, town_m2: pd.Series, alone, seats_outside, far: dict) -> dict:
    """What one engine found, in one form for every engine: counts, sorted codes (each
    overlapping pair in code order) and areas (townships' union areas by township code)."""
    return {"invalid": {k: int(v) for k, v in invalid.items()},
            "overlaps": sorted(tuple(sorted((str(a), str(b)))) for a, b in overlaps),
            "gaps_m2": sorted(float(x) for x in gaps_m2),
            "town_m2": {str(k): float(v) for k, v in town_m2.sort_index().items()},
            "alone": sorted(map(str, alone)), "seats_outside": sorted(map(str, seats_outside)),
            "far": {k: int(v) for k, v in far.items()}}


def differences(ours: dict, other: dict, engine: str) -> list[str]:
    """Where ``other`` differs from ``ours``: areas to 1e-6 m² relative, the rest exactly."""
    out = []
    for key in ("invalid", "overlaps", "alone", "seats_outside", "far"):
        if ours[key] != other[key]:
            out.append(f"read step {key}: covermap {ours[key]!r:.200} vs {engine} {other[key]!r:.200}")
    if len(ours["gaps_m2"]) != len(other["gaps_m2"]) or not np.allclose(ours["gaps_m2"], other["gaps_m2"], rtol=1e-6):
        out.append(f"read step gaps: covermap {len(ours['gaps_m2'])} vs {engine} {len(other['gaps_m2'])}")
    a, b = ours["town_m2"], other["town_m2"]
    if a.keys() != b.keys() or not np.allclose(list(a.values()), [b[k] for k in a], rtol=1e-6):
        out.append(f"read step township unions: {len(a)} (covermap) vs {len(b)} ({engine}), or their areas differ")
    return out


# ---- covermap ------------------------------------------------------------------------

def covermap(profile):
    """The read step itself, as ``covermap run`` makes it."""
    from layers.inputs import load_inputs

    return load_inputs(profile)


def covermap_found(profile, inputs) -> dict:
    """What the read step found (made again, untimed, by the functions it calls)."""
    from layers import checks

    tol = profile.checks
    villages, codes = inputs.villages, inputs.villages["code"].to_numpy(dtype=object)
    invalid = dict.fromkeys(sources(profile), 0)
    layer_of = {str(s.path): key for key, s in sources(profile).items()}
    for finding in inputs.findings:
        if finding.check == "invalid_geometry":   # "repaired N invalid geometries ..."
            invalid[layer_of[finding.file]] = int(finding.message.split()[1])
    overlaps = checks.village_overlaps(villages, tol.overlap_tolerance_m2)
    towns = inputs.township_shapes if inputs.township_shapes is not None else checks.township_unions(villages)
    gaps = checks.township_gaps(villages, tol.gap_tolerance_m2, towns=towns)
    alone, _ = checks.isolated(villages, tol.far_outside_m)
    outside = checks.seats_outside(villages, inputs.seats, SEAT_MARGIN_M)
    far = {key: int(checks.far_outside(villages, inputs.layer(key), tol.far_outside_m).sum())
           for key in ("roads", "water", "clinics", "coverage", "fibre")}
    return found(invalid, zip(overlaps["code_a"], overlaps["code_b"]), gaps["area_m2"], towns.area, codes[alone],
                 codes[outside], far)


# ---- plain geopandas ---------------------------------------------------------------------

def geopandas(profile) -> dict:
    """The six files by ``read_file`` and the checks by GeoSeries methods and ``sjoin``."""
    import geopandas as gpd

    tol, columns = profile.checks, profile.villages.source.columns
    frames = {key: gpd.read_file(s.path, engine="pyogrio") for key, s in sources(profile).items()}
    invalid = {}
    for key, frame in frames.items():
        bad = frame.geometry.notna() & ~frame.is_valid
        invalid[key] = int(bad.sum())
        if bad.any():
            frame.loc[bad, "geometry"] = frame.geometry[bad].make_valid()
    v = frames.pop("villages")
    codes, town = v[columns["code"]].astype(str), columns["township_code"]
    suspect = ~v.geometry.invalid_coverage_edges().is_empty
    odd = v[suspect][["geometry"]]
    pairs = gpd.sjoin(odd, odd, predicate="intersects")
    pairs = pairs[pairs.index < pairs["index_right"]]
    area = v.geometry[pairs.index].intersection(v.geometry[pairs["index_right"]], align=False).area.to_numpy()
    big = area > tol.overlap_tolerance_m2
    overlaps = zip(codes[pairs.index[big]], codes[pairs["index_right"].to_numpy()[big]])
    messy = suspect.groupby(v[town]).transform("any")
    towns = pd.concat([v[~messy][[town, "geometry"]].dissolve(town, method="coverage"),
                       v[messy][[town, "geometry"]].dissolve(town)]).geometry
    parts = towns.explode()
    holes = gpd.GeoSeries([shapely.Polygon(ring) for rings in parts.interiors for ring in rings], crs=v.crs)
    gaps = holes.area[holes.area > tol.gap_tolerance_m2]
    met = gpd.sjoin(v[["geometry"]], v[["geometry"]], predicate="intersects")
    lonely = v.index.difference(met.index[met.index != met["index_right"]].unique())
    alone = []
    if len(lonely):
        near = gpd.sjoin_nearest(v.loc[lonely, ["geometry"]], v[["geometry"]], exclusive=True, distance_col="d")
        alone = codes[near.index[near["d"] > tol.far_outside_m].unique()]
    seats = gpd.GeoSeries.from_xy(v[columns["seat_x"]], v[columns["seat_y"]], crs=v.crs)
    seats[v[columns["seat_x"]].isna() | v[columns["seat_y"]].isna()] = None   # no seat (POINT (NaN NaN) is inf m away)
    outside = codes[(seats.distance(v.geometry) > SEAT_MARGIN_M).to_numpy()]
    x0, y0, x1, y1 = v.total_bounds
    extent, far = shapely.box(x0, y0, x1, y1), {}
    for key, frame in frames.items():   # a feature whose box lies within the villages' is 0 m away
        b = frame.bounds
        beyond = ~((b["minx"] >= x0) & (b["miny"] >= y0) & (b["maxx"] <= x1) & (b["maxy"] <= y1))
        far[key] = int((frame[beyond].distance(extent) > tol.far_outside_m).sum())
    return found(invalid, overlaps, gaps, towns.area, alone, outside, far)


# ---- DuckDB spatial ----------------------------------------------------------------------

def duckdb(profile, con) -> dict:
    """The six files by ``ST_Read`` and the checks in SQL (the coverage by
    ``ST_CoverageInvalidEdges_Agg`` and ``ST_CoverageUnion_Agg``)."""
    tol, columns = profile.checks, profile.villages.source.columns
    code, town = columns["code"], columns["township_code"]

    def rows(sql: str) -> list:
        return con.execute(sql).fetchall()

    invalid = {}
    for key, s in sources(profile).items():
        con.execute(f"CREATE OR REPLACE TABLE l_{key} AS SELECT * FROM ST_Read('{s.path}')")
        invalid[key] = rows(f"SELECT count(*) FILTER (WHERE NOT ST_IsValid(geom)) FROM l_{key}")[0][0]
        if invalid[key]:
            con.execute(f"UPDATE l_{key} SET geom = ST_MakeValid(geom) WHERE NOT ST_IsValid(geom)")
    # villages touching an invalid edge (a neighbour of a flagged village may be taken too:
    # only more pairs are measured and more townships fully unioned, the answers the same).
    # Each spatial join is a query of its own: with DISTINCT, or more tables, in the same
    # query, DuckDB 1.5 plans a nested-loop join instead (10k villages: 136 s for 0.2 s).
    con.execute("CREATE OR REPLACE TABLE edges AS SELECT unnest(ST_Dump(ST_CoverageInvalidEdges_Agg(geom))).geom "
                "AS geom FROM l_villages")
    con.execute(f"CREATE OR REPLACE TABLE touched AS SELECT v.rowid AS id, v.{code} AS c, v.geom FROM l_villages v "
                "JOIN edges e ON ST_Intersects(v.geom, e.geom)")
    con.execute("CREATE OR REPLACE TABLE odd AS SELECT DISTINCT * FROM touched")
    con.execute("CREATE OR REPLACE TABLE odd_pairs AS SELECT a.c AS ca, b.c AS cb, a.id AS i, b.id AS j, "
                "ST_Area(ST_Intersection(a.geom, b.geom)) AS area FROM odd a JOIN odd b ON ST_Intersects(a.geom, b.geom)")
    overlaps = rows(f"SELECT ca, cb FROM odd_pairs WHERE i < j AND area > {tol.overlap_tolerance_m2}")
    con.execute(f"""CREATE OR REPLACE TABLE towns AS
        WITH messy AS (SELECT DISTINCT {town} AS t FROM l_villages WHERE rowid IN (SELECT id FROM odd))
        SELECT {town} AS t, ST_CoverageUnion_Agg(geom) AS geom FROM l_villages
            WHERE {town} NOT IN (SELECT t FROM messy) GROUP BY {town}
        UNION ALL
        SELECT {town} AS t, ST_Union_Agg(geom) AS geom FROM l_villages
            WHERE {town} IN (SELECT t FROM messy) GROUP BY {town}""")
    town_m2 = pd.Series(dict(rows("SELECT t, ST_Area(geom) FROM towns")))
    gaps = [a for (a,) in rows(f"""
        WITH parts AS (SELECT unnest(ST_Dump(geom)).geom AS p FROM towns)
        SELECT ST_Area(ST_MakePolygon(ST_InteriorRingN(p, k))) AS a
        FROM parts, generate_series(1, ST_NumInteriorRings(p)) AS s(k) WHERE a > {tol.gap_tolerance_m2}""")]
    con.execute("CREATE OR REPLACE TABLE met AS SELECT a.rowid AS i, b.rowid AS j FROM l_villages a "
                "JOIN l_villages b ON ST_Intersects(a.geom, b.geom)")
    con.execute(f"CREATE OR REPLACE TABLE lonely AS SELECT rowid AS id, {code} AS c, geom FROM l_villages "
                "WHERE rowid NOT IN (SELECT i FROM met WHERE i <> j)")
    alone = [c for (c,) in rows(f"""SELECT c FROM lonely l WHERE NOT EXISTS (SELECT 1 FROM l_villages b
        WHERE b.rowid <> l.id AND ST_DWithin(l.geom, b.geom, {tol.far_outside_m}))""")]
    outside = [c for (c,) in rows(f"SELECT {code} FROM l_villages WHERE ST_Distance(ST_Point({columns['seat_x']}, "
                                  f"{columns['seat_y']}), geom) > {SEAT_MARGIN_M}")]
    x0, y0, x1, y1 = rows("SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom)) "
                          "FROM l_villages")[0]
    far = {key: rows(f"SELECT count(*) FROM l_{key} WHERE NOT (ST_XMin(geom) >= {x0!r} AND ST_YMin(geom) >= {y0!r} "
                     f"AND ST_XMax(geom) <= {x1!r} AND ST_YMax(geom) <= {y1!r}) "   # within the villages' box: 0 m
                     f"AND ST_Distance(geom, ST_MakeEnvelope({x0!r}, {y0!r}, {x1!r}, {y1!r})) > {tol.far_outside_m}")[0][0]
           for key in ("roads", "water", "clinics", "coverage", "fibre")}
    return found(invalid, overlaps, gaps, town_m2, alone, outside, far)
