"""The road network as a graph (issue 22): ``gis.roadgraph`` on a synthetic national network,
side by side with reference libraries on the same queries.

    python -m benchmarks.network_benchmark                        # 3M segments, covermap + pandana
    python -m benchmarks.network_benchmark --segments 200000 --engines covermap,pandana,networkx
    python -m benchmarks.network_benchmark --engines scipy,igraph,networkit   # the candidates

The reference and candidate libraries are not covermap's dependencies: run this with a
Python that has them besides covermap's own (``pip install pandana networkx igraph
networkit`` in a venv of its own, covermap on ``PYTHONPATH``).

The network: a perturbed grid of two-way roads (one vertex mid-way, jittered), 8 % of them
removed, 6 % one-way (a sixth of those drawn against the direction of travel); dead-end
stubs at a tenth of the crossings, a fifth of them drawn 1-2 m short of the road (so
snapping has work); bridges (layer 1) of a highway every 25th row and column, crossing
the roads they pass over without a vertex and joining at an interchange every 10th
crossing; 85 % of the roads hardened, 5 % not recorded. In metres, about 1.4 km between
crossings: ~3 million segments cover 2,000 x 1,500 km. The villages (490,000), township
seats, clinics and bus stops (40,000 each) are points scattered over it, off the roads.

Each engine runs in a fresh process (the network made there first, not timed); each step's
wall time and its own peak resident memory (the kernel's high-water mark restarted before
it) are printed, then the process's peak. The queries:

- build: the graph from the lines (covermap: nodes, levels, snapping; the others: their
  graph from covermap's arcs, the nodes the same);
- components: weakly connected components of the whole graph and of the hardened roads';
- connected: which villages connect through hardened roads to a township seat;
- clinic, bus stop: from every village, the network distance to the nearest clinic and to
  the nearest bus stop;
- township, township min (covermap only): from every village to its own township seat (the nearest
  in a straight line, a seventh of them the second nearest) along hardened roads, and by
  travel time on every road (60 km/h hardened, 15 km/h not, legs walked at 4 km/h).

covermap joins points to the nearest position on the nearest road; pandana and networkx
to the nearest node (the closest they offer), found with a k-d tree and timed with them.
networkx is slow beyond a few hundred thousand segments: run it with ``--segments``
smaller and compare there.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CRS = "EPSG:4544"   # a label for metres: the synthetic plane is wider than one zone
SPACING_M = 1400.0


def make_network(segments: int, seed: int = 22):
    """(lines, villages, towns, clinics, stops): a GeoDataFrame of about ``segments``
    lines and four arrays of points, as described in the module's docstring."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    cells = segments / 2.0
    nx = int(np.sqrt(cells * 4 / 3))
    ny = int(cells / nx)
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="xy")
    x = gx.ravel() * SPACING_M + rng.normal(0, 120, gx.size)
    y = gy.ravel() * SPACING_M + rng.normal(0, 120, gx.size)
    node = np.arange(nx * ny).reshape(ny, nx)
    a = np.r_[node[:, :-1].ravel(), node[:-1, :].ravel()]
    b = np.r_[node[:, 1:].ravel(), node[1:, :].ravel()]
    keep = rng.random(len(a)) > 0.08
    a, b = a[keep], b[keep]
    mid_x = (x[a] + x[b]) / 2 + rng.normal(0, 80, len(a))
    mid_y = (y[a] + y[b]) / 2 + rng.normal(0, 80, len(a))
    road_xy = np.stack([np.c_[x[a], y[a]], np.c_[mid_x, mid_y], np.c_[x[b], y[b]]], axis=1)
    # stubs: dead ends from a tenth of the crossings, a fifth drawn 1-2 m short
    s = rng.choice(nx * ny, size=int(0.1 * nx * ny), replace=False)
    angle = rng.uniform(0, 2 * np.pi, len(s))
    reach = rng.uniform(300, 800, len(s))
    short = rng.random(len(s)) < 0.2
    gap = np.where(short, rng.uniform(1.0, 2.0, len(s)), 0.0)
    sx0, sy0 = x[s] + gap * np.cos(angle), y[s] + gap * np.sin(angle)
    stub_xy = np.stack([np.c_[sx0, sy0], np.c_[x[s] + reach * np.cos(angle), y[s] + reach * np.sin(angle)]], axis=1)
    # highways over the grid (bridges), joined at every 10th crossing
    hw = []
    for row in range(12, ny, 25):
        for c0 in range(0, nx - 10, 10):
            hw.append(np.c_[x[node[row, c0:c0 + 11:10]], y[node[row, c0:c0 + 11:10]]])
    for col in range(12, nx, 25):
        for r0 in range(0, ny - 10, 10):
            hw.append(np.c_[x[node[r0:r0 + 11:10, col]], y[node[r0:r0 + 11:10, col]]])
    hw_xy = np.stack(hw) if hw else np.empty((0, 2, 2))
    lines = np.r_[shapely.linestrings(road_xy), shapely.linestrings(stub_xy), shapely.linestrings(hw_xy)]
    n = len(lines)
    kind = np.r_[np.zeros(len(road_xy), int), np.ones(len(stub_xy), int), np.full(len(hw_xy), 2)]
    r = rng.random(n)
    oneway = np.where((kind == 0) & (r < 0.05), "yes", np.where((kind == 0) & (r < 0.06), "-1", "no"))
    h = rng.random(n)
    hardened = np.where(h < 0.85, True, np.where(h < 0.90, None, False))
    hardened[kind == 2] = True
    frame = gpd.GeoDataFrame({"oneway": oneway, "layer": np.where(kind == 2, 1, 0),
                              "bridge": np.where(kind == 2, "yes", "no"),
                              "hardened": pd_boolean(hardened)}, geometry=lines, crs=CRS)
    extent = (x.min(), y.min(), x.max(), y.max())

    def scatter(count):
        return shapely.points(rng.uniform(extent[0], extent[2], count), rng.uniform(extent[1], extent[3], count))
    return frame, scatter(490_000 if segments >= 1_000_000 else max(1000, segments // 6)), *(
        scatter(40_000 if segments >= 1_000_000 else max(100, segments // 75)) for _ in range(3))


def pd_boolean(values):
    import pandas as pd
    return pd.array(values, dtype="boolean")


# -- measuring ---------------------------------------------------------------------------

def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Steps:
    """Each step's seconds and own peak (MB), the high-water mark restarted before it."""

    def __init__(self):
        self.figures: dict[str, dict] = {}

    def run(self, name: str, func, *args):
        before = _status_mb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")
        t0 = time.perf_counter()
        out = func(*args)
        seconds = time.perf_counter() - t0
        self.figures[name] = {"s": round(seconds, 2), "before_mb": round(before), "peak_mb": round(_status_mb("VmHWM"))}
        return out


# -- engines -------------------------------------------------------------------------------

def engine_covermap(data, steps: Steps) -> dict:
    import geopandas as gpd

    from gis import roadgraph, routes, traveltime
    lines, villages, towns, clinics, stops = data
    graph = steps.run("build", roadgraph.build, lines)
    hard = steps.run("subset", graph.subset, lines["hardened"])

    def components():
        return len(np.unique(graph.components)), len(np.unique(hard.components))
    whole, hardened = steps.run("components", components)
    v = gpd.GeoSeries(villages, crs=lines.crs)
    conn = steps.run("connected", hard.connected, v, gpd.GeoSeries(towns, crs=lines.crs))
    clinic = steps.run("clinic", graph.nearest_target, v, gpd.GeoSeries(clinics, crs=lines.crs))
    stop = steps.run("bus stop", graph.nearest_target, v, gpd.GeoSeries(stops, crs=lines.crs))
    # each village to its own township seat (the nearest in a straight line, a seventh of them the
    # second nearest: villages nearer a neighbouring seat), by hardened road and by time on all roads
    own = _own_towns(villages, towns)
    t = gpd.GeoSeries(towns, crs=lines.crs)
    township = steps.run("township", routes.to_own_target, hard, v, t, own)
    speed = np.where(lines["hardened"].fillna(False).to_numpy(dtype=bool), 60.0, 15.0) / 3.6
    minutes = steps.run("township min", traveltime.own_time, traveltime.timed(graph, speed, 4 / 3.6), v, t,
                        own) / 60
    return {"nodes": graph.node_count, "edges": graph.edge_count, "snapped": graph.snapped,
            "dangles": graph.dangles, "components": whole, "hardened_components": hardened,
            "connected": int(conn["connected"].sum()), "clinic_mean_km": _mean_km(clinic),
            "stop_mean_km": _mean_km(stop), "township_mean_km": _mean_km(township),
            "township_mean_min": round(float(np.nanmean(minutes)), 1)}


def _own_towns(villages, towns):
    import shapely
    tree = shapely.STRtree(towns)
    own = tree.nearest(villages)
    rng = np.random.default_rng(7)
    flip = np.flatnonzero(rng.random(len(own)) < 1 / 7)
    near, far = tree.query(shapely.buffer(villages[flip], 8000))
    second = far != own[flip][near]
    first = np.unique(near[second], return_index=True)[1]
    own[flip[near[second][first]]] = far[second][first]
    return own


def _mean_km(frame) -> float:
    return round(float(np.nanmean(frame["network_m"] + frame["walk_m"] + frame["target_walk_m"])) / 1000, 3)


def _arcs_and_points(data):
    """covermap's graph (built untimed) as arcs, and the points' nearest nodes."""
    from gis import roadgraph
    lines = data[0]
    graph = roadgraph.build(lines)
    hard = lines["hardened"].fillna(False).to_numpy(dtype=bool)
    u, v, w = graph._arcs
    line = _arc_lines(graph, u, v)
    return graph, u, v, w, hard[line]


def _arc_lines(graph, u, v):
    """The line of each arc (u, v): the line of an edge or connector between those nodes."""
    e, c = graph.edges, graph.connectors
    lines = graph.edge_lines()
    eu = np.r_[e.tail, e.head, c[:, 0], c[:, 1]]
    ev = np.r_[e.head, e.tail, c[:, 1], c[:, 0]]
    el = np.r_[lines[:len(e.tail)], lines[:len(e.tail)], lines[len(e.tail):], lines[len(e.tail):]]
    n = graph.node_count
    key = eu.astype(np.int64) * n + ev
    order = np.argsort(key)
    at = np.searchsorted(key[order], u.astype(np.int64) * n + v)
    return el[order[at]]


def _nearest_nodes(graph, points):
    import shapely
    from scipy.spatial import cKDTree
    tree = cKDTree(graph.nodes_xy)
    _, node = tree.query(shapely.get_coordinates(points))
    return node


def engine_pandana(data, steps: Steps) -> dict:
    import pandana
    import pandas as pd
    import shapely
    graph, u, v, w, hard = _arcs_and_points(data)
    _, villages, towns, clinics, stops = data
    xy = graph.nodes_xy

    def build():
        nodes = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
        edges = pd.DataFrame({"from": u, "to": v, "m": w})
        return pandana.Network(nodes.x, nodes.y, edges["from"], edges["to"], edges[["m"]], twoway=False)
    net = steps.run("build", build)
    far = 200_000.0

    def nearest(targets):
        net.set_pois("t", far, 1, *shapely.get_coordinates(targets).T)
        d = net.nearest_pois(far, "t", num_pois=1)[1].to_numpy()
        at = net.get_node_ids(*shapely.get_coordinates(villages).T).to_numpy()
        return d[at]
    clinic = steps.run("clinic", nearest, clinics)
    stop = steps.run("bus stop", nearest, stops)
    return {"nodes": len(xy), "arcs": len(u), "clinic_mean_km": round(float(np.mean(clinic[clinic < far])) / 1000, 3),
            "stop_mean_km": round(float(np.mean(stop[stop < far])) / 1000, 3),
            "note": "pandana has no components query; distances node to node"}


def engine_networkx(data, steps: Steps) -> dict:
    import networkx as nx
    graph, u, v, w, hard = _arcs_and_points(data)
    _, villages, towns, clinics, stops = data

    def build():
        g = nx.DiGraph()
        g.add_nodes_from(range(graph.node_count))
        g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()), weight="m")
        return g
    g = steps.run("build", build)
    h = steps.run("subset", lambda: g.edge_subgraph(zip(u[hard].tolist(), v[hard].tolist())).copy())

    def components():
        return (sum(1 for _ in nx.weakly_connected_components(g)),
                sum(1 for _ in nx.weakly_connected_components(h)) + graph.node_count - h.number_of_nodes())
    whole, hardened = steps.run("components", components)

    def connected():
        label = {}
        for k, comp in enumerate(nx.weakly_connected_components(h)):
            for node in comp:
                label[node] = k
        vn, tn = _nearest_nodes(graph, villages), _nearest_nodes(graph, towns)
        wanted = {label[t] for t in tn.tolist() if t in label}
        return sum(1 for node in vn.tolist() if label.get(node, -1) in wanted)
    conn = steps.run("connected", connected)
    reverse = g.reverse(copy=False)

    def nearest(targets):
        tn = _nearest_nodes(graph, targets)
        d = nx.multi_source_dijkstra_path_length(reverse, set(tn.tolist()), weight="m")
        vn = _nearest_nodes(graph, villages)
        return np.array([d.get(node, np.nan) for node in vn.tolist()])
    clinic = steps.run("clinic", nearest, clinics)
    stop = steps.run("bus stop", nearest, stops)
    return {"nodes": graph.node_count, "arcs": len(u), "components": whole, "hardened_components": hardened,
            "connected_node_level": conn, "clinic_mean_km": round(float(np.nanmean(clinic)) / 1000, 3),
            "stop_mean_km": round(float(np.nanmean(stop)) / 1000, 3)}


# the candidates: each library's own graph from the same arcs, weak components, and one
# search from every target at once (scipy: min_only; igraph, networkit: a node of its own
# with an arc of 0 m to each target's node)

def engine_scipy(data, steps: Steps) -> dict:
    from scipy.sparse import csgraph, csr_array
    graph, u, v, w, _ = _arcs_and_points(data)
    n = graph.node_count
    m = steps.run("build", lambda: csr_array((w, (v, u)), shape=(n, n)))
    comps = steps.run("components", lambda: csgraph.connected_components(m, directed=True, connection="weak")[0])

    def nearest(targets):
        tn = np.unique(_nearest_nodes(graph, targets))
        return csgraph.dijkstra(m, directed=True, indices=tn, min_only=True)
    d = steps.run("clinic", nearest, data[3])
    return {"components": int(comps), "mean_km": round(float(np.mean(d[np.isfinite(d)])) / 1000, 3)}


def engine_igraph(data, steps: Steps) -> dict:
    import igraph
    graph, u, v, w, _ = _arcs_and_points(data)
    n = graph.node_count

    def build():
        g = igraph.Graph(n=n + 1, edges=np.c_[v, u], directed=True)
        g.es["m"] = w
        return g
    g = steps.run("build", build)
    comps = steps.run("components", lambda: len(g.connected_components(mode="weak")) - 1)

    def nearest(targets):
        tn = np.unique(_nearest_nodes(graph, targets))
        g.add_edges(np.c_[np.full(len(tn), n), tn], attributes={"m": np.zeros(len(tn))})
        d = np.asarray(g.distances(source=[n], weights="m", mode="out")[0][:n])
        g.delete_edges(range(g.ecount() - len(tn), g.ecount()))
        return d
    d = steps.run("clinic", nearest, data[3])
    return {"components": comps, "mean_km": round(float(np.mean(d[np.isfinite(d)])) / 1000, 3)}


def engine_networkit(data, steps: Steps) -> dict:
    import networkit as nk
    graph, u, v, w, _ = _arcs_and_points(data)
    n = graph.node_count

    def build():
        g = nk.GraphFromCoo((w, (v.astype(np.uint64), u.astype(np.uint64))), n=n + 1, weighted=True, directed=True)
        return g
    g = steps.run("build", build)

    def components():
        cc = nk.components.WeaklyConnectedComponents(g)
        cc.run()
        return cc.numberOfComponents() - 1
    comps = steps.run("components", components)

    def nearest(targets):
        tn = np.unique(_nearest_nodes(graph, targets))
        for t in tn.tolist():
            g.addEdge(n, t, 0.0)
        dj = nk.distance.Dijkstra(g, n, storePaths=False)
        dj.run()
        d = np.asarray(dj.getDistances())[:n]
        for t in tn.tolist():
            g.removeEdge(n, t)
        return d
    d = steps.run("clinic", nearest, data[3])
    d = d[(d < 1e300) & np.isfinite(d)]
    return {"components": comps, "mean_km": round(float(np.mean(d)) / 1000, 3)}


ENGINES = {"covermap": engine_covermap, "pandana": engine_pandana, "networkx": engine_networkx,
           "scipy": engine_scipy, "igraph": engine_igraph, "networkit": engine_networkit}


def child(engine: str, segments: int, seed: int) -> None:
    t0 = time.perf_counter()
    data = make_network(segments, seed)
    made = time.perf_counter() - t0
    steps = Steps()
    result = ENGINES[engine](data, steps)
    print(json.dumps({"engine": engine, "lines": len(data[0]), "villages": len(data[1]), "made_s": round(made, 1),
                      "steps": steps.figures, "result": result}))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=3_000_000)
    parser.add_argument("--engines", default="covermap,pandana")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.segments, args.seed)
        return
    for engine in args.engines.split(","):
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "benchmarks.network_benchmark", "--child", engine,
                               "--segments", str(args.segments), "--seed", str(args.seed)],
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            print(f"{engine}: failed\n{done.stderr[-2000:]}")
            continue
        out = json.loads(done.stdout.strip().splitlines()[-1])
        steps = out["steps"]
        total = sum(s["s"] for s in steps.values())
        peak = max(s["peak_mb"] for s in steps.values())
        print(f"\n{engine}: {out['lines']:,} lines, {out['villages']:,} villages (network made in {out['made_s']} s, "
              f"process {wall:.0f} s)")
        for name, s in steps.items():
            print(f"  {name:<11} {s['s']:>7.2f} s   peak {s['peak_mb']:>6,} MB (held before {s['before_mb']:,} MB)")
        print(f"  {'all steps':<11} {total:>7.2f} s   peak {peak:>6,} MB")
        print(f"  {json.dumps(out['result'])}")


if __name__ == "__main__":
    main()
