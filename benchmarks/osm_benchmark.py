"""Reading OpenStreetMap: ``covermap osm`` against pyrosm and QuackOSM, side by side.

    .venv/bin/python -m benchmarks.osm_benchmark [--copies 220] [--bench-python PY]

On the real extract (tests/data/liechtenstein-2013-08-03.osm.pbf, 0.6 MB) and on a larger
one built from it: ``--copies`` copies side by side, each shifted by 0.25 degrees with its
own ids (220 copies: 104 MB, 14.5 million nodes, 1.6 million ways: the size of a province's
extract, though its data repeat). Each reader runs in a process of its own, so that its
time and peak memory (ru_maxrss) are its alone:

- covermap osm: the whole command's work (roads, clinics, bus stops, post, boundaries,
  bus routes into osm.gpkg; four streamed passes of GDAL's OSM driver);
- lines (own config) / lines (other_tags): GDAL's lines pass alone, with the tags as columns
  (covermap's way) and with GDAL's default configuration and other_tags parsed by
  ``gis.osm.tag_values`` (the way not taken);
- pyrosm: get_network("all") + get_pois(health, bus stops, post) + get_boundaries();
- quackosm: the same tags into one GeoDataFrame (DuckDB).

pyrosm, QuackOSM and pyosmium (to build the larger extract) are no dependencies of
covermap: they are run from another virtual environment (``--bench-python``, default
/tmp/osmbench-venv/bin/python, made with ``python -m venv`` and ``pip install pyrosm
quackosm osmium``); a reader that environment lacks is reported as missing. Data (c)
OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "liechtenstein-2013-08-03.osm.pbf"

_MEASURE = """
import json, resource, sys, time
start = time.perf_counter()
result = run(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **result}))
"""

READERS = {
    "covermap osm": ("own", """
import tempfile
from layers.osm import convert
def run(path):
    with tempfile.TemporaryDirectory() as folder:
        result = convert(path, folder)
    return {"roads": result.counts["roads"], "clinics": result.counts["clinics"], "bus_stops": result.counts["bus_stops"],
            "bus_routes": result.counts["bus_routes"]}
"""),
    "lines (own config)": ("own", """
import pyarrow.compute as pc
from gis import osm
from layers.osm import LINE_TAGS
def run(path):
    n = 0
    for batch in osm.stream(path, "lines", LINE_TAGS):
        n += int(pc.sum(pc.is_valid(batch.column("highway"))).as_py() or 0)
    return {"roads": n}
"""),
    "lines (other_tags)": ("own", """
import pyarrow.compute as pc
from pyogrio.raw import open_arrow
from gis import osm
from layers.osm import LINE_TAGS
def run(path):
    n = 0
    with open_arrow(path, layer="lines", use_pyarrow=True) as (_, reader):
        for batch in reader:
            batch = batch.filter(pc.is_valid(batch.column("highway")))
            osm.tag_values(batch.column("other_tags"), [tag for tag in LINE_TAGS if tag not in ("name", "highway")])
            n += batch.num_rows
    return {"roads": n}
"""),
    "pyrosm": ("bench", """
from pyrosm import OSM
def run(path):
    data = OSM(path)
    roads = data.get_network(network_type="all")
    pois = data.get_pois(custom_filter={"amenity": ["clinic", "doctors", "hospital", "post_office"], "healthcare": True,
                                        "highway": ["bus_stop"], "public_transport": ["platform"]})
    boundaries = data.get_boundaries()
    return {"roads": 0 if roads is None else len(roads), "pois": 0 if pois is None else len(pois),
            "boundaries": 0 if boundaries is None else len(boundaries)}
"""),
    "quackosm": ("bench", """
import tempfile
import quackosm
def run(path):
    with tempfile.TemporaryDirectory() as folder:
        frame = quackosm.convert_pbf_to_geodataframe(
            path, tags_filter={"highway": True, "amenity": ["clinic", "doctors", "hospital", "post_office"],
                               "healthcare": True, "public_transport": ["platform"], "boundary": ["administrative"]},
            working_directory=folder, ignore_cache=True, verbosity_mode="silent")
    return {"features": len(frame), "roads": int(frame["tags"].map(lambda t: "highway" in t).sum())
            if "tags" in frame else int(frame["highway"].notna().sum())}
"""),
}

_REPLICATE = """
import sys, osmium
from osmium.osm import mutable
src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
nodes, ways, rels = [], [], []
for o in osmium.FileProcessor(src):
    tags = [(t.k, t.v) for t in o.tags]
    if o.is_node():
        nodes.append((o.id, o.location.lon, o.location.lat, tags))
    elif o.is_way():
        ways.append((o.id, [n.ref for n in o.nodes], tags))
    else:
        rels.append((o.id, [(m.type, m.ref, m.role) for m in o.members], tags))
step = {"n": 10**6, "w": 10**5, "r": 10**4}   # the extract's ids are below these
side = int(copies ** 0.5 + 0.999)
grid = [(k, (k % side) * 0.25, (k // side) * 0.25) for k in range(copies)]
when = "2013-08-03T00:00:00Z"
writer = osmium.SimpleWriter(dst, overwrite=True)
for k, dx, dy in grid:   # every node before any way, every way before any relation
    for i, x, y, tags in nodes:
        writer.add_node(mutable.Node(id=i + k * step["n"], location=(x + dx, y + dy), tags=tags, version=1, timestamp=when))
for k, _, _ in grid:
    for i, refs, tags in ways:
        writer.add_way(mutable.Way(id=i + k * step["w"], nodes=[r + k * step["n"] for r in refs], tags=tags, version=1,
                                   timestamp=when))
for k, _, _ in grid:
    for i, members, tags in rels:
        writer.add_relation(mutable.Relation(id=i + k * step["r"], members=[(t, r + k * step[t], role) for t, r, role in members],
                                             tags=tags, version=1, timestamp=when))
writer.close()
"""


def replicate(copies: int, folder: Path, python: str) -> Path:
    """The real extract copied ``copies`` times side by side (built once, with pyosmium)."""
    path = folder / f"liechtenstein-x{copies}.osm.pbf"
    if not path.exists():
        print(f"building {path} ({copies} copies) …", file=sys.stderr)
        subprocess.run([python, "-c", _REPLICATE, str(REAL), str(path), str(copies)], check=True)
    return path


def measure(reader: str, path: Path, python: str) -> dict:
    where, code = READERS[reader]
    command = [sys.executable if where == "own" else python, "-c", code + _MEASURE, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:100]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=220, help="copies of the real extract in the larger one (0: none)")
    parser.add_argument("--bench-python", default="/tmp/osmbench-venv/bin/python",
                        help="python of the environment with pyrosm, quackosm and osmium")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "osm-bench")
    parser.add_argument("--readers", default=",".join(READERS), help="comma-separated, of: " + ", ".join(READERS))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    python = args.bench_python if Path(args.bench_python).exists() else None
    files = [REAL] + ([replicate(args.copies, args.work, python)] if args.copies and python else [])
    print(f"{'file':<38} {'MB':>6}  {'reader':<18} {'seconds':>8} {'peak MB':>8}  counts")
    for path in files:
        for reader in args.readers.split(","):
            if READERS[reader][0] == "bench" and python is None:
                result = {"error": f"missing: no {args.bench_python}"}
            else:
                result = measure(reader, path, python)
            size = path.stat().st_size / 1e6
            if "error" in result:
                print(f"{path.name:<38} {size:6.1f}  {reader:<18} {'-':>8} {'-':>8}  {result['error']}")
                continue
            counts = ", ".join(f"{key} {value:,}" for key, value in result.items() if key not in ("seconds", "peak_mb"))
            print(f"{path.name:<38} {size:6.1f}  {reader:<18} {result['seconds']:8.1f} {result['peak_mb']:8.0f}  {counts}",
                  flush=True)


if __name__ == "__main__":
    main()
