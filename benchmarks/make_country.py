"""A synthetic country for benchmarks: real division codes and names, generated geometry.

    python -m benchmarks.make_country OUTDIR --villages 100000 [--seed 7] [--format gpkg]

Takes the National Bureau of Statistics 2023 village-level units (../shared/data/divisions)
in code order (so whole counties in code order; the last county is cut at the count asked
for) and lays them on a plane in a metric CRS (EPSG:32649 coordinates, extended beyond the
zone: a flat benchmark plane, not real places; with ``--china`` on China's real longitudes
and latitudes instead, written in CGCS2000 degrees and measured county by county in their
own zones), cell by cell along a Hilbert curve so that
each township and county is a compact block. Writes FlatGeobuf files (``--format gpkg``:
GeoPackage; GeoParquet would need GDAL's Parquet driver, which pyogrio's GDAL lacks) and
``profile.toml`` that reads them:

- villages.fgb: one polygon per village (~100 vertices: a jittered lattice cell whose four
  edges are densified and wiggled, edges shared exactly with the neighbours), code, name,
  township code and name, population, registered-poor population, seat_x / seat_y (the
  village committee; 4 % of villages have none);
- roads.fgb: ~6 lines per village, ~40 % hardened (surface asphalt / concrete / 水泥),
  the rest gravel / dirt / 土路, 3 % with no surface, widths 3-8 m on most;
- clinics.fgb: ~1.2 points per village (village clinics near the seat, some elsewhere,
  one township health centre per township), standardized 是/否 and doctors;
- water.fgb: ~0.5 service-area polygons per village with the four status indicators and,
  for a third of them, the code of the village they were built for;
- coverage.fgb: one large jagged polygon (~1,000 vertices, radius 6-15 km) per ~40
  villages, technology 4G / 5G / 3G, 2 % unrecorded;
- fibre.fgb: ~0.6 points per village.

Everything is drawn from one seeded numpy generator, so the same arguments give the same
files. 100,000 villages take well under a minute on a 2-core machine.
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

DIVISIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "divisions"
CRS = "EPSG:32649"
SPACING = 2500.0          # metres between lattice nodes (village ~6 km2)
EDGE_POINTS = 24          # intermediate vertices per cell edge: 4 * 25 = 100 per ring
ORIGIN = (300_000.0, 2_500_000.0)
# place="china": the same lattice in an equal-area projection of China, centred on 105E 33N
# (490,000 villages span about 95E-115E, seven 3-degree zones), written in CGCS2000 degrees
CHINA = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs"
GEOGRAPHIC = "EPSG:4490"


def china_origin(side: int) -> tuple[float, float]:
    """The lattice's south-west corner that puts its middle on 105E 33N."""
    _, y = Transformer.from_crs(GEOGRAPHIC, CHINA, always_xy=True).transform(105.0, 33.0)
    half = side * SPACING / 2
    return -half, y - half

PROFILE = """\
# Synthetic benchmark country ({villages} villages, seed {seed}) written by
# benchmarks/make_country.py: real NBS 2023 codes and names, generated geometry.

[project]
name = "synthetic country ({villages} villages)"
working_crs = "{working}"

[villages]
path = "villages.{ext}"
seat_crs = "{seat_crs}"
[villages.columns]
code = "code"
name = "name"
township_code = "town_code"
township_name = "town_name"
population = "pop"
poor_population = "poor_pop"
seat_x = "seat_x"
seat_y = "seat_y"

[roads]
path = "roads.{ext}"
[roads.columns]
surface = "surface"
width = "width"
name = "name"

[water]
path = "water.{ext}"
[water.columns]
name = "name"
served_codes = "served"
lpcd = "lpcd"
reliability_pct = "reliability"
quality_ok = "quality_ok"
access_min = "access_min"

[clinics]
path = "clinics.{ext}"
[clinics.columns]
name = "name"
type = "type"
standardized = "standardized"
doctors = "doctors"

[network.coverage]
path = "coverage.{ext}"
[network.coverage.columns]
technology = "tech"

[network.fibre]
path = "fibre.{ext}"
[network.fibre.columns]
name = "name"

[standards.roads]
max_distance_m = 500

[standards.water]
min_share = 0.5

[standards.clinics]
share_max_population = 600
share_max_distance_m = 2500

[standards.network]
min_share = 0.9
fibre_max_distance_m = 1000
"""


def read_divisions(count: int, divisions: Path = DIVISIONS) -> pd.DataFrame:
    """The first ``count`` village-level units in code order, with township names."""
    with gzip.open(divisions / "villages.csv.gz", "rt", encoding="utf-8") as fh:
        villages = pd.read_csv(fh, dtype=str, usecols=["code", "name", "streetCode"])
    if count > len(villages):
        raise SystemExit(f"--villages {count}: the divisions hold only {len(villages)} village-level units")
    villages = villages.sort_values("code", kind="stable").head(count).reset_index(drop=True)
    with gzip.open(divisions / "streets.csv.gz", "rt", encoding="utf-8") as fh:
        streets = pd.read_csv(fh, dtype=str, usecols=["code", "name"])
    names = pd.Series(streets["name"].to_numpy(), index=streets["code"].to_numpy())
    villages["town_code"] = villages["streetCode"]
    villages["town_name"] = villages["streetCode"].map(names).fillna("")
    return villages.drop(columns=["streetCode"])


def hilbert_cells(count: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Row and column of ``count`` lattice cells in Hilbert-curve order, and the side."""
    side = int(np.ceil(np.sqrt(count)))
    order = max(1, int(np.ceil(np.log2(side))))
    n = 1 << order
    rows, cols = np.divmod(np.arange(side * side, dtype=np.int64), side)
    d = _xy2d(n, cols, rows)
    chosen = np.argsort(d, kind="stable")[:count]
    return rows[chosen], cols[chosen], side


def _xy2d(n: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x, y = x.copy(), y.copy()
    d = np.zeros_like(x)
    s = n // 2
    while s > 0:
        rx = ((x & s) > 0).astype(np.int64)
        ry = ((y & s) > 0).astype(np.int64)
        d += s * s * ((3 * rx) ^ ry)
        flip = ry == 0
        swap_x = np.where(flip & (rx == 1), s - 1 - x, x)
        swap_y = np.where(flip & (rx == 1), s - 1 - y, y)
        x, y = np.where(flip, swap_y, swap_x), np.where(flip, swap_x, swap_y)
        s //= 2
    return d


def village_polygons(rng: np.random.Generator, rows: np.ndarray, cols: np.ndarray, side: int,
                     origin: tuple[float, float] = ORIGIN) -> np.ndarray:
    """Cells of a jittered lattice with wiggled, densified edges shared by neighbours."""
    nodes = (np.stack(np.meshgrid(np.arange(side + 1), np.arange(side + 1), indexing="ij"), axis=-1)
             .astype(float)[..., ::-1])  # [row, col] -> (x=col, y=row)
    nodes = nodes + rng.uniform(-0.2, 0.2, nodes.shape)
    t = np.linspace(0.0, 1.0, EDGE_POINTS + 2)[1:-1]
    taper = np.sin(np.pi * t)

    def edges(start: np.ndarray, end: np.ndarray) -> np.ndarray:
        vector = end - start
        normal = np.stack([-vector[..., 1], vector[..., 0]], axis=-1)
        wiggle = rng.uniform(-0.05, 0.05, start.shape[:-1] + (EDGE_POINTS,)) * taper
        return (start[..., None, :] + t[:, None] * vector[..., None, :]
                + wiggle[..., None] * normal[..., None, :])

    horizontal = edges(nodes[:, :-1], nodes[:, 1:])     # (side+1, side, k, 2): node (r, c) -> (r, c+1)
    vertical = edges(nodes[:-1, :], nodes[1:, :])       # (side, side+1, k, 2): node (r, c) -> (r+1, c)
    r, c = rows, cols
    ring = np.concatenate([
        nodes[r, c][:, None], horizontal[r, c],            # bottom, left to right
        nodes[r, c + 1][:, None], vertical[r, c + 1],      # right, bottom to top
        nodes[r + 1, c + 1][:, None], horizontal[r + 1, c][:, ::-1],   # top, right to left
        nodes[r + 1, c][:, None], vertical[r, c][:, ::-1],  # left, top to bottom
        nodes[r, c][:, None],
    ], axis=1)
    ring = ring * SPACING + np.array(origin)
    return shapely.polygons(ring)


def _lines(rng: np.random.Generator, starts: np.ndarray, vertices: int = 6) -> np.ndarray:
    steps = rng.normal(0.0, 1.0, (len(starts), vertices - 1, 2)) * rng.uniform(80, 350, (len(starts), 1, 1))
    heading = rng.uniform(-1, 1, (len(starts), 1, 2)) * 250
    coords = starts[:, None, :] + np.cumsum(np.concatenate([np.zeros((len(starts), 1, 2)),
                                                            steps + heading], axis=1), axis=1)
    return shapely.linestrings(coords)


def _jagged(rng: np.random.Generator, centres: np.ndarray, vertices: int = 1000) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    base = rng.uniform(6000, 15000, (len(centres), 1))
    # low-frequency lobes plus high-frequency teeth: large and jagged but star-shaped (valid)
    lobes = sum(rng.uniform(0, 0.15, (len(centres), 1)) * np.cos(k * angle + rng.uniform(0, 6.3, (len(centres), 1)))
                for k in (2, 3, 5, 7))
    teeth = rng.uniform(-0.06, 0.06, (len(centres), vertices))
    radius = base * (1 + lobes + teeth)
    ring = np.stack([np.cos(angle) * radius, np.sin(angle) * radius], axis=-1) + centres[:, None, :]
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return shapely.polygons(ring)


# --format: file suffix -> GDAL driver and its options. GeoParquet would need GDAL's Parquet
# driver, which the GDAL in pyogrio's wheels lacks.
FORMATS = {"fgb": ("FlatGeobuf", {"SPATIAL_INDEX": "YES"}), "gpkg": ("GPKG", {})}


def make_country(outdir: Path, villages: int, seed: int = 7, divisions: Path = DIVISIONS,
                 fmt: str = "fgb", place: str = "plane") -> dict[str, int]:
    """Write the synthetic country into ``outdir`` as ``fmt`` files (a key of ``FORMATS``,
    one file per layer); returns feature counts per file. ``place="china"``: laid on
    China's real longitudes and latitudes (``CHINA``) and written in CGCS2000 degrees,
    measured with working_crs "auto" (each county in its own zone)."""
    driver, options = FORMATS[fmt]
    rng = np.random.default_rng(seed)
    outdir.mkdir(parents=True, exist_ok=True)
    table = read_divisions(villages, divisions)
    n = len(table)
    rows, cols, side = hilbert_cells(n)
    crs, origin = (CHINA, china_origin(side)) if place == "china" else (CRS, ORIGIN)
    polygons = village_polygons(rng, rows, cols, side, origin)
    centre = (np.c_[cols + 0.5, rows + 0.5] * SPACING + np.array(origin)
              + rng.uniform(-0.1, 0.1, (n, 2)) * SPACING)
    has_seat = rng.random(n) >= 0.04
    population = rng.integers(150, 4000, n).astype(float)
    poor = np.where(rng.random(n) < 0.7, np.floor(population * rng.uniform(0, 0.3, n)), np.nan)
    written = {}

    def write(name: str, frame: gpd.GeoDataFrame) -> None:
        path = outdir / f"{name}.{fmt}"
        if path.exists():
            path.unlink()
        frame = frame.set_crs(crs, allow_override=True)
        if place == "china":
            frame = frame.to_crs(GEOGRAPHIC)
            if "seat_x" in frame:
                lon, lat = Transformer.from_crs(crs, GEOGRAPHIC, always_xy=True).transform(
                    frame["seat_x"].to_numpy(), frame["seat_y"].to_numpy())
                frame["seat_x"], frame["seat_y"] = np.round(lon, 8), np.round(lat, 8)
        pyogrio.write_dataframe(frame, path, driver=driver, **options)
        written[name] = len(frame)

    write("villages", gpd.GeoDataFrame({
        "code": table["code"], "name": table["name"], "town_code": table["town_code"],
        "town_name": table["town_name"], "pop": population, "poor_pop": poor,
        "seat_x": np.where(has_seat, centre[:, 0], np.nan), "seat_y": np.where(has_seat, centre[:, 1], np.nan),
    }, geometry=polygons, crs=CRS))

    # roads: ~6 per village, starting anywhere in the village's cell neighbourhood
    per = rng.poisson(6.0, n)
    owner = np.repeat(np.arange(n), per)
    starts = centre[owner] + rng.uniform(-0.6, 0.6, (len(owner), 2)) * SPACING
    kind = rng.random(len(owner))
    surface = np.where(kind < 0.40, rng.choice(np.array(["asphalt", "concrete", "水泥"], dtype=object), len(owner)),
                       rng.choice(np.array(["gravel", "dirt", "土路"], dtype=object), len(owner)))
    surface = np.where(kind > 0.97, None, surface)
    width = np.where(rng.random(len(owner)) < 0.8, np.round(rng.uniform(3, 8, len(owner)), 1), np.nan)
    write("roads", gpd.GeoDataFrame({"surface": surface, "width": width,
                                     "name": np.char.add("road ", np.arange(len(owner)).astype(str))},
                                    geometry=_lines(rng, starts), crs=CRS))

    # clinics: a village clinic near most seats, extra points anywhere, one health centre per township
    near = rng.random(n) < 0.85
    extra = int(round(0.33 * n))
    towns = table.groupby("town_code", sort=False).head(1).index.to_numpy()
    points = np.concatenate([centre[near] + rng.normal(0, 150, (int(near.sum()), 2)),
                             centre[rng.integers(0, n, extra)] + rng.uniform(-1, 1, (extra, 2)) * SPACING,
                             centre[towns] + rng.normal(0, 100, (len(towns), 2))])
    m = len(points)
    ctype = np.where(np.arange(m) >= m - len(towns), "乡镇卫生院", "村卫生室").astype(object)
    standardized = rng.choice(np.array(["是", "否"], dtype=object), m, p=[0.8, 0.2])
    standardized = np.where(rng.random(m) < 0.02, None, standardized)
    doctors = np.where(rng.random(m) < 0.03, np.nan, rng.integers(0, 4, m).astype(float))
    write("clinics", gpd.GeoDataFrame({"name": np.char.add("clinic ", np.arange(m).astype(str)), "type": ctype,
                                       "standardized": standardized, "doctors": doctors},
                                      geometry=shapely.points(points), crs=CRS))

    # water service areas: ~0.5 per village, radius 600-2500 m; a third list the village they serve
    w = int(round(0.5 * n))
    host = rng.integers(0, n, w)
    areas = shapely.buffer(shapely.points(centre[host] + rng.normal(0, 600, (w, 2))), rng.uniform(600, 2500, w),
                           quad_segs=8)
    served = np.where(rng.random(w) < 0.33, table["code"].to_numpy()[host], None)
    write("water", gpd.GeoDataFrame({
        "name": np.char.add("water project ", np.arange(w).astype(str)), "served": served,
        "lpcd": np.where(rng.random(w) < 0.1, np.nan, rng.uniform(15, 80, w).round(1)),
        "reliability_pct": np.where(rng.random(w) < 0.1, np.nan, rng.uniform(85, 100, w).round(1)),
        "quality_ok": rng.choice(np.array(["是", "否", None], dtype=object), w, p=[0.8, 0.1, 0.1]),
        "access_min": np.where(rng.random(w) < 0.1, np.nan, rng.uniform(2, 30, w).round(0)),
    }, geometry=areas, crs=CRS).rename(columns={"reliability_pct": "reliability"}))

    # 4G coverage: large jagged polygons, overlapping one another
    k = max(1, n // 40)
    centres = centre[rng.integers(0, n, k)]
    tech = rng.choice(np.array(["4G", "5G", "3G"], dtype=object), k, p=[0.7, 0.2, 0.1])
    tech = np.where(rng.random(k) < 0.02, None, tech)
    write("coverage", gpd.GeoDataFrame({"tech": tech}, geometry=_jagged(rng, centres), crs=CRS))

    f = int(round(0.6 * n))
    write("fibre", gpd.GeoDataFrame({"name": np.char.add("fibre ", np.arange(f).astype(str))},
                                    geometry=shapely.points(centre[rng.integers(0, n, f)]
                                                            + rng.normal(0, 900, (f, 2))), crs=CRS))
    if place == "china":
        text = PROFILE.format(villages=n, seed=seed, working="auto", seat_crs=GEOGRAPHIC, ext=fmt)
    else:
        text = PROFILE.format(villages=n, seed=seed, working=CRS, seat_crs=CRS, ext=fmt)
    (outdir / "profile.toml").write_text(text, encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--villages", type=int, default=10_000, help="number of villages (default 10000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=sorted(FORMATS), default="fgb",
                        help="FlatGeobuf (fgb, the default) or GeoPackage (gpkg) files")
    parser.add_argument("--china", action="store_true",
                        help="lay the country on China's real longitudes and latitudes (CGCS2000 degrees, "
                             "working_crs auto) instead of a flat benchmark plane")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    written = make_country(args.outdir, args.villages, args.seed, fmt=args.format,
                           place="china" if args.china else "plane")
    print(f"{args.outdir}: " + ", ".join(f"{name} {count:,}" for name, count in written.items())
          + f" in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
