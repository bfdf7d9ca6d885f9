"""``covermap compare`` on two national runs (issue 20: 490,000 villages x 5 standards within
30 s and 3 GB).

    python -m benchmarks.compare_benchmark --villages 490000
    python -m benchmarks.compare_benchmark --villages 10000 --data /tmp/covermap-bench --repeat 3

Running the whole pipeline twice would take minutes each, so the two output folders are
made directly from the benchmark country's villages (benchmarks/make_country.py, made in
``--data`` unless it is there, on China's longitudes and latitudes as ``run_benchmark
--china``): for each run what ``covermap run`` writes and compare reads, in the same
columns and formats as a real run's (the same CSV and GeoPackage writers):

- villages.csv: every column of a real run's, verdicts drawn in the proportions of a real
  national run (road 54 % meets, water 60 % fails, ...), values drawn to agree with them
  and the reason sentences in a real run's wording;
- run.json: the profile's path and settings and run_at;
- coverage.gpkg: layer ``villages``, the village polygons (~100 vertices each) with the
  table's columns, and layer ``townships`` (each township's code and the union of its
  villages), as a run writes them (a run's other layers are left out: compare reads
  these alone; the change map of runs over several counties draws the townships).

The new run differs from the old as a year's work would: about 10 % of the village x
standard verdicts get better and about 10 % worse (their values and reasons with them),
5 % of the other values move a little, 1,000 villages are removed and 1,000 added, 2,000
are renamed and 1,000 pairs merged (half into one of the two codes, half into a new code;
the merged village's polygon the union of the two), listed in codes.csv (old_code,
new_code), and one setting changed (standards.roads.max_distance_m 500 -> 600, road
verdicts following it). Both are made once and kept in ``--data`` (compare-<villages>-<seed>).

Then ``covermap compare OLD NEW -o OUT --codes codes.csv --overwrite`` is timed end to end
in a subprocess under ``/usr/bin/time -v`` (wall time, CPU time and the command's peak
resident memory), its processes' memory together (PSS) sampled meanwhile (compare writes
changes.gpkg in a spawned child, the county workbooks on both cores), and the same work is timed step by step,
one after the other, in another fresh process (seconds and each step's own peak, the
kernel's high-water mark restarted for each step).
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
COUNTRY_SEED = 7
VERDICTS = ("meets", "basic", "fails", "no_data")
# verdict shares of a real national run (benchmark country, 490,000 villages)
SHARES = {"road": (0.543, 0.0, 0.432, 0.025), "water": (0.142, 0.255, 0.603, 0.0001),
          "clinic": (0.633, 0.0, 0.337, 0.030), "net4g": (0.657, 0.073, 0.255, 0.015),
          "fibre": (0.313, 0.0, 0.687, 0.0)}
LIMITS = {"road": 500.0, "fibre": 1000.0}
CHANGED = 0.10         # share of village x standard verdicts that get better, and that get worse
# per 490,000 villages (as many in proportion at other scales)
REMOVED = ADDED = 1000
RENAMED = 2000
MERGED = 1000          # pairs
OLD_AT, NEW_AT = "2024-12-20T09:30:00+08:00", "2025-12-19T10:15:00+08:00"


# -- the two runs --------------------------------------------------------------------------

def _comma(values: np.ndarray) -> list[str]:
    return [f"{v:,.0f}" for v in values]


def _one(values: np.ndarray) -> list[str]:
    return [f"{v:.1f}" for v in values]


def _pick(mask: np.ndarray, *choices: tuple[np.ndarray, object]) -> np.ndarray:
    out = np.full(len(mask), "", dtype=object)
    for where, text in choices:
        out[where & mask] = text if isinstance(text, str) else np.asarray(text, dtype=object)[where & mask]
    return out


def draw_measures(verdicts: dict[str, np.ndarray], rng: np.random.Generator, road_limit: float) -> dict:
    """Values (and the columns that go with them) agreeing with each standard's verdict."""
    n = len(verdicts["road"])
    v = verdicts
    road = np.where(v["road"] == "meets", rng.uniform(0, road_limit, n), rng.uniform(road_limit + 1, 3000, n))
    road[v["road"] == "no_data"] = 0.0
    water = np.where(v["water"] == "fails", rng.uniform(0, 0.5, n), rng.uniform(0.5, 1.0, n))
    water[(v["water"] == "fails") & (rng.random(n) < 0.14)] = 0.0
    water[(v["water"] != "fails") & (rng.random(n) < 0.2)] = 1.0
    clinic_count = np.where(v["clinic"] == "meets", rng.integers(1, 4, n), rng.integers(0, 2, n))
    clinic_m = np.where(clinic_count > 0, rng.uniform(0, 800, n), rng.uniform(800, 4000, n))
    seat = rng.random(n) >= 0.04
    share = np.where(v["net4g"] == "meets", np.where(rng.random(n) < 0.85, 1.0, rng.uniform(0.9, 1.0, n)),
                     np.where(v["net4g"] == "basic", rng.uniform(0.5, 0.9, n), rng.uniform(0, 0.5, n)))
    share[(v["net4g"] == "fails") & (rng.random(n) < 0.6)] = 0.0
    fibre = np.where(v["fibre"] == "meets", rng.uniform(0, 1000, n), rng.uniform(1000.5, 4000, n))
    return {"road": road, "water": water, "clinic_count": clinic_count, "clinic_m": clinic_m, "seat": seat,
            "net4g": share, "fibre": fibre, "project": rng.integers(1, 250_000, n),
            "clinic_name": rng.integers(1, 600_000, n)}


def villages_table(base: pd.DataFrame, verdicts: dict[str, np.ndarray], m: dict, road_limit: float) -> pd.DataFrame:
    """villages.csv's columns, in a real run's order and wording."""
    n = len(base)
    v = verdicts
    limit = f"{road_limit:,.0f}"
    project = np.char.add("water project ", m["project"].astype(str)).astype(object)
    served = v["water"] != "fails"
    water_project = np.where(served, project, "")
    clinic_name = np.char.add("clinic ", m["clinic_name"].astype(str)).astype(object)
    road_m, fibre_m, water_pct, net_pct = _comma(m["road"]), _comma(m["fibre"]), _one(m["water"] * 100), \
        _one(m["net4g"] * 100)
    road_m, fibre_m = np.asarray(road_m, dtype=object), np.asarray(fibre_m, dtype=object)
    water_pct, net_pct = np.asarray(water_pct, dtype=object), np.asarray(net_pct, dtype=object)
    clinic_m = np.asarray(_comma(m["clinic_m"]), dtype=object)
    is_ = {key: {verdict: v[key] == verdict for verdict in VERDICTS} for key in v}
    everywhere = np.ones(n, dtype=bool)
    road_reason = _pick(everywhere,
                        (is_["road"]["meets"], "硬化路距村委会 " + road_m + f" 米，限值 {limit} 米"),
                        (is_["road"]["fails"], "最近的硬化路距村委会 " + road_m + f" 米，超过限值 {limit} 米"),
                        (is_["road"]["no_data"], f"没有硬化路通到村委会，但有未记录路面的道路在 {limit} 米内；"
                                                 "请在道路图层中补录其路面"))
    water_reason = _pick(everywhere,
                         (is_["water"]["meets"], "由" + project + "供水，水量、水质、取水时间和供水保证率均达标"),
                         (is_["water"]["basic"], "由" + project + "供水，基本达标：取水往返 16 分钟，超过 10 分钟"
                                                 "（基本达标线 20 分钟）"),
                         (is_["water"]["fails"], "没有供水工程服务本村：村域只有 " + water_pct
                          + "% 在供水范围内，低于 50%，也没有工程把本村列为受益村"),
                         (is_["water"]["no_data"], "由" + project + "供水，但其水量、水质、取水时间和供水保证率均未"
                                                   "记录；请在供水工程图层中补录"))
    clinic_reason = _pick(everywhere,
                          (is_["clinic"]["meets"], "村内有 1 个标准化卫生室且有合格村医"),
                          (is_["clinic"]["fails"], "合格村医少于 1 名；最近的合格卫生室：" + clinic_name + "，"
                           + clinic_m + " 米"),
                          (is_["clinic"]["no_data"], "村卫生室是否标准化或村医人数未记录；请在卫生室图层中补录"))
    net_reason = _pick(everywhere,
                       (is_["net4g"]["meets"], "村委会在4G覆盖范围内；村域 " + net_pct + "% 有覆盖（限值 90%）"),
                       (is_["net4g"]["basic"], "村委会在4G覆盖范围内，但村域只有 " + net_pct + "% 有覆盖，低于 90%"),
                       (is_["net4g"]["fails"], "村委会不在4G覆盖范围内"),
                       (is_["net4g"]["no_data"], "有未记录制式的覆盖范围与本村重叠；请在覆盖图层中补录其制式"))
    fibre_reason = _pick(everywhere,
                         (is_["fibre"]["meets"], "光纤接入点相距 " + fibre_m + " 米（限值 1,000 米）"),
                         (is_["fibre"]["fails"], "最近的光纤接入点距村委会 " + fibre_m + " 米，超过限值 1,000 米"))
    gaps = sum((v[key] == "fails") | (v[key] == "basic") for key in v).astype(np.int64)
    no_data = sum(v[key] == "no_data" for key in v).astype(np.int64)
    return pd.DataFrame({
        "village_code": base["village_code"].to_numpy(), "village_name": base["village_name"].to_numpy(),
        "township_code": base["township_code"].to_numpy(), "township_name": base["township_name"].to_numpy(),
        "population": base["population"].to_numpy(), "poor_population": base["poor_population"].array,
        "seat_source": np.where(m["seat"], "seat", "polygon").astype(object),
        "road_hardened_m": m["road"], "road_verdict": v["road"], "road_reason": road_reason,
        "water_share": m["water"], "water_project": water_project, "water_verdict": v["water"],
        "water_reason": water_reason,
        "clinic_count": m["clinic_count"], "clinic_nearest_m": m["clinic_m"], "clinic_nearest_name": clinic_name,
        "clinic_verdict": v["clinic"], "clinic_reason": clinic_reason,
        "net4g_seat": np.where(m["seat"], np.where(v["net4g"] == "fails", "no", "yes"), "").astype(object),
        "net4g_share": m["net4g"], "net4g_verdict": v["net4g"], "net4g_reason": net_reason,
        "fibre_nearest_m": m["fibre"], "fibre_verdict": v["fibre"], "fibre_reason": fibre_reason,
        "gap_count": gaps, "no_data_count": no_data})


def _better(verdict: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = verdict.copy()
    out[verdict == "fails"] = np.where(rng.random(int((verdict == "fails").sum())) < 0.25, "basic", "meets")
    out[verdict == "basic"] = "meets"
    out[verdict == "no_data"] = "meets"
    return out


def _worse(verdict: np.ndarray, rng: np.random.Generator, has_basic: bool) -> np.ndarray:
    out = verdict.copy()
    meets = verdict == "meets"
    out[meets] = np.where(has_basic & (rng.random(int(meets.sum())) < 0.3), "basic", "fails")
    out[verdict == "basic"] = "fails"
    out[(verdict == "fails") & (rng.random(len(verdict)) < 0.1)] = "no_data"   # data lost now and then
    return out


def township_layer(villages):
    """coverage.gpkg's layer ``townships`` as a run writes it (layers.pipeline): each
    township's code and the union of its villages (the counts a run adds left out: compare
    reads the code and the shape alone)."""
    return villages[["township_code", villages.geometry.name]].dissolve("township_code", method="coverage") \
        .reset_index()


def make_runs(country: Path, folder: Path, seed: int) -> dict:
    """The old and the new run's folders and codes.csv in ``folder``; returns their counts."""
    import geopandas as gpd
    import shapely

    from gis.csvfile import write_csv
    from gis.io import read_vector, write_gpkg_layers

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    shapes = read_vector(country / "villages.fgb", columns=["code", "name", "town_code", "town_name", "pop",
                                                           "poor_pop"])
    base = pd.DataFrame({"village_code": shapes["code"].astype(str).to_numpy(dtype=object),
                         "village_name": shapes["name"].astype(str).to_numpy(dtype=object),
                         "township_code": shapes["town_code"].astype(str).to_numpy(dtype=object),
                         "township_name": shapes["town_name"].astype(str).to_numpy(dtype=object),
                         "population": shapes["pop"].round().astype(np.int64).to_numpy(),
                         "poor_population": pd.array(shapes["poor_pop"].round(), dtype="Int64")})
    geometry = shapes.geometry.to_numpy()
    crs = shapes.crs
    del shapes
    n = len(base)
    settings = tomllib.loads((country / "profile.toml").read_text(encoding="utf-8"))
    old_limit = float(settings["standards"]["roads"]["max_distance_m"])
    new_limit = old_limit + 100
    new_settings = copy.deepcopy(settings)
    new_settings["standards"]["roads"]["max_distance_m"] = int(new_limit)

    # old verdicts and values; new ones: ~10 % better, ~10 % worse, the road limit moved
    old_v = {key: np.asarray(VERDICTS, dtype=object)[rng.choice(4, n, p=np.asarray(p) / sum(p))]
             for key, p in SHARES.items()}
    old_m = draw_measures(old_v, rng, old_limit)
    new_v, changed = {}, {}
    for key, verdict in old_v.items():
        u = rng.random(n)
        better, worse = _better(verdict, rng), _worse(verdict, rng, SHARES[key][1] > 0)
        kept = np.where(u < CHANGED, better, np.where(u >= 1 - CHANGED, worse, verdict))
        new_v[key] = kept
        changed[key] = kept != verdict
    fresh = draw_measures(new_v, rng, new_limit)
    new_m = {}
    for name, values in old_m.items():
        key = {"clinic_count": "clinic", "clinic_m": "clinic", "seat": None, "project": "water",
               "clinic_name": "clinic"}.get(name, name)
        moved = changed[key] if key else np.zeros(n, dtype=bool)
        new_m[name] = np.where(moved, fresh[name], values)
    jitter = rng.random(n) < 0.05   # a value moves a little with its verdict kept
    for name in ("water", "net4g"):
        new_m[name] = np.where(jitter & (new_m[name] > 0) & (new_m[name] < 1),
                               np.clip(new_m[name] * rng.uniform(0.99, 1.01, n), 0, 1), new_m[name])
    for name in ("road", "fibre", "clinic_m"):   # a metre or so
        new_m[name] = np.where(jitter & (new_m[name] > 0), new_m[name] + rng.uniform(-1, 1, n), new_m[name]).clip(0)
    # the road verdicts by the wider limit: a seat between the two limits now meets
    new_v["road"] = np.where(new_v["road"] == "no_data", "no_data",
                             np.where(new_m["road"] <= new_limit, "meets", "fails")).astype(object)

    # villages removed (old only), added (new only), renamed, merged
    scale = n / 490_000
    removed_n, added_n, renamed_n, merged_n = (max(1, round(k * scale)) for k in (REMOVED, ADDED, RENAMED, MERGED))
    order = rng.permutation(n)
    removed, added = order[:removed_n], order[removed_n:removed_n + added_n]
    in_old, in_new = np.ones(n, dtype=bool), np.ones(n, dtype=bool)
    in_old[added] = False
    in_new[removed] = False
    codes = base["village_code"].to_numpy(dtype=object)
    towns = base["township_code"].to_numpy(dtype=object)
    taken = set(codes)
    rest = order[removed_n + added_n:]
    # merges: a village and the next in code order, in the same township (neighbours on the ground)
    pairs = np.flatnonzero((towns[:-1] == towns[1:]) & in_old[:-1] & in_old[1:] & in_new[:-1] & in_new[1:])
    pairs = rng.choice(pairs[np.diff(pairs, prepend=-2) > 1], merged_n, replace=False)   # no village in two
    first, second = pairs, pairs + 1
    used = np.zeros(n, dtype=bool)
    used[first] = used[second] = True
    renamed = rest[~used[rest]][:renamed_n]

    def new_code(town: str) -> str:
        for k in range(900, 1000):
            code = f"{town}{k:03d}"
            if code not in taken:
                taken.add(code)
                return code
        raise RuntimeError(f"no free code in township {town}")

    new_codes = codes.copy()
    table = []
    for i in renamed:
        new_codes[i] = new_code(towns[i])
        table.append((codes[i], new_codes[i]))
    into_new = rng.random(merged_n) < 0.5
    new_geometry = geometry.copy()
    new_geometry[first] = shapely.union(geometry[first], geometry[second])
    for a, b, fresh_code in zip(first, second, into_new):
        target = new_code(towns[a]) if fresh_code else codes[a]
        if fresh_code:
            table.append((codes[a], target))
            new_codes[a] = target
        table.append((codes[b], target))
    in_new[second] = False   # the merged village is the first's row

    old_table = villages_table(base, old_v, old_m, old_limit)
    new_base = base.assign(village_code=new_codes)
    new_table = villages_table(new_base, new_v, new_m, new_limit)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame, geoms, keep, at, profile in (
            ("old", old_table, geometry, in_old, OLD_AT, settings),
            ("new", new_table, new_geometry, in_new, NEW_AT, new_settings)):
        out = folder / name
        out.mkdir(exist_ok=True)
        rows = np.flatnonzero(keep)
        frame = frame.iloc[rows].reset_index(drop=True)
        write_csv(out / "villages.csv", frame)
        layer = gpd.GeoDataFrame(frame, geometry=geoms[rows], crs=crs)
        write_gpkg_layers(out / "coverage.gpkg", {"villages": layer, "townships": township_layer(layer)})
        del layer
        record = {"profile": {"path": str(country / ("profile.toml" if name == "old" else "profile-2025.toml")),
                              "settings": profile},
                  "run_at": at, "villages": {"count": len(frame)},
                  "outputs": ["villages.csv", "coverage.gpkg", "run.json"]}
        (out / "run.json").write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    pd.DataFrame(table, columns=["old_code", "new_code"]).to_csv(folder / "codes.csv", index=False,
                                                                 encoding="utf-8-sig")
    counts = {"old_villages": int(in_old.sum()), "new_villages": int(in_new.sum()), "removed": removed_n,
              "added": added_n, "renamed": renamed_n, "merged_pairs": merged_n, "code_rows": len(table),
              "verdicts_changed": {key: round(float(c.mean()), 3) for key, c in changed.items()},
              "seconds": round(time.perf_counter() - start, 1)}
    (folder / "made.json").write_text(json.dumps(counts, indent=2), encoding="utf-8")
    return counts


# -- timing --------------------------------------------------------------------------------

def timed_command(folder: Path, out: Path, no_maps: bool = False) -> dict:
    """``covermap compare`` end to end under /usr/bin/time -v: wall seconds, CPU seconds, the
    command's own peak resident memory (MB) and the peak of its processes' together (the
    child that writes changes.gpkg and changes.csv beside it included), sampled."""
    covermap = Path(sys.executable).with_name("covermap")
    command = ["/usr/bin/time", "-v", str(covermap), "-v", "compare", str(folder / "old"), str(folder / "new"),
               "-o", str(out), "--codes", str(folder / "codes.csv"), "--overwrite", *(["--no-maps"] if no_maps else [])]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampled = _TreeSampler(process.pid)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    sampled.stop()
    if process.returncode:
        raise SystemExit(f"covermap compare failed:\n{stdout}\n{stderr}")
    # /usr/bin/time's maximum resident set size is the largest of the processes', not their sum
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr).group(1)) / 1024
    elapsed = re.search(r"Elapsed \(wall clock\) time.*: (.+)", stderr).group(1).strip()
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", stderr).group(1))
    system = float(re.search(r"System time \(seconds\): ([\d.]+)", stderr).group(1))
    child = sum(float(mb) for mb in re.findall(r"in a child process, ([\d.]+) MB more memory", stderr))
    # the county workbooks' forked children (gis.child.share_out): what they added, shared pages aside
    books = sum(float(mb) for mb in re.findall(r"county workbooks: \d+ processes, ([\d.]+) MB more memory", stderr))
    return {"wall_s": round(wall, 2), "time_elapsed": elapsed, "cpu_s": round(user + system, 1),
            "peak_mb": round(peak), "child_mb": round(child), "books_mb": round(books),
            "together_mb": round(sampled.peak_mb),
            "summary": stdout.strip().splitlines()[-1]}


class _TreeSampler:
    """The memory of a process and its descendants together, every 50 ms on a thread of its
    own; ``peak_mb`` the most seen. Each process's proportional set size (PSS: a page shared
    by n processes counted 1/n in each), so that a forked child's pages still shared with
    its parent (compare writes the county workbooks on both cores) are counted once, not in
    both processes' resident memory; VmRSS where PSS cannot be read."""

    def __init__(self, pid: int):
        import threading

        self.pid, self.peak_mb, self._done = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(0.05):
            pids, k, total = [self.pid], 0, 0.0
            while k < len(pids):
                try:
                    pids += [int(p) for p in Path(f"/proc/{pids[k]}/task/{pids[k]}/children").read_text().split()]
                    total += _pss_mb(pids[k])
                except OSError:
                    pass
                k += 1
            self.peak_mb = max(self.peak_mb, total)


def steps(folder: Path, out: Path, maps: bool) -> dict:
    """write_comparison's work step by step in this process: seconds, resident memory before
    and the step's own peak (MB)."""
    from gis.csvfile import write_csv
    from layers import changebook, changelayer, trend
    from layers import changes as ch
    from layers import compare as cmp

    figures = {}
    out.mkdir(parents=True, exist_ok=True)

    def step(name, func):
        before = _status_mb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")   # restarts the high-water mark (VmHWM)
        start = time.perf_counter()
        value = func()
        seconds = time.perf_counter() - start
        figures[name] = {"s": round(seconds, 2), "before_mb": round(before), "peak_mb": round(_status_mb("VmHWM"))}
        return value

    old = step("read old run", lambda: ch.read_run(folder / "old"))
    new = step("read new run", lambda: ch.read_run(folder / "new"))
    table = step("read codes.csv", lambda: ch.read_codes(folder / "codes.csv"))
    differences = cmp.settings_differences(old.settings, new.settings)
    changed = {key for difference in differences for key in difference["standards"]}
    changes = step("compare", lambda: cmp.compare(old.villages, new.villages, table, changed_standards=changed))
    trends = step("trend", lambda: trend.trend([old.villages, new.villages], [old.label, new.label], table, last=changes))
    step("write changes.csv", lambda: write_csv(out / "changes.csv", changes))
    step("summary.csv", lambda: write_csv(out / "summary.csv", cmp.summary(changes, "zh")))
    step("write trend.csv", lambda: write_csv(out / "trend.csv", trends))
    step("changes.gpkg", lambda: changelayer.write_layer(out / "changes.gpkg", changelayer._FrameRows(changes),
                                                          old.folder, new.folder))
    step("变化清单.xlsx", lambda: changebook.write_changebook(out, changes, trends, (old.label, new.label), "zh"))
    if maps:
        counties = changebook.COUNTY_FOLDER in changebook.workbook_names(changes, "zh")
        shapes = step("shapes for the map", lambda: ch._map_shapes(changes, old, new, counties))
        from cli import _comparison_pages

        comparison = ch.Comparison(changes, differences, "zh", [old, new], trends, **shapes)
        step("changes.html, trend.html", lambda: _comparison_pages(out, comparison))
    figures["changes rows"] = len(changes)
    return figures


def _pss_mb(pid: int) -> float:
    """A process's proportional set size (/proc/<pid>/smaps_rollup) in MB, else its VmRSS."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return float(line.split()[1]) / 1024
    except OSError:
        pass
    return _status_mb("VmRSS", pid)


def _status_mb(field: str, pid: int | str = "self") -> float:
    """A field of /proc/<pid>/status (VmRSS, VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1]) / 1024
    return float("nan")


def country_folder(data: Path, villages: int) -> Path:
    folder = data / f"country-{villages}-{COUNTRY_SEED}-china"
    if not (folder / "villages.fgb").is_file():
        from benchmarks.make_country import make_country

        print(f"making the benchmark country in {folder} ...", flush=True)
        make_country(folder, villages, COUNTRY_SEED, place="china")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=490_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--data", type=Path, default=Path("/tmp/covermap-bench"))
    parser.add_argument("--repeat", type=int, default=1, help="end-to-end runs (the quickest and the slowest shown)")
    parser.add_argument("--no-steps", action="store_true", help="only the end-to-end run")
    parser.add_argument("--no-maps", action="store_true", help="compare --no-maps: no HTML pages")
    parser.add_argument("--steps-only", type=Path, help=argparse.SUPPRESS)   # the step-by-step child
    args = parser.parse_args(argv)
    if args.steps_only:
        print(json.dumps(steps(args.steps_only, args.data, not args.no_maps)))
        return 0
    folder = args.data / f"compare-{args.villages}-{args.seed}"
    if not (folder / "made.json").is_file():
        country = country_folder(args.data, args.villages)
        if folder.exists():
            shutil.rmtree(folder)
        print(f"making the two runs in {folder} ...", flush=True)
        made = make_runs(country, folder, args.seed)
    else:
        made = json.loads((folder / "made.json").read_text(encoding="utf-8"))
    print("runs:", json.dumps(made, ensure_ascii=False))
    out = args.data / f"compare-{args.villages}-{args.seed}-changes"
    runs = [timed_command(folder, out, args.no_maps) for _ in range(args.repeat)]
    def span(key: str) -> str:
        values = sorted(run[key] for run in runs)
        return f"{values[0]}" + (f"-{values[-1]}" if len(values) > 1 else "")

    print(f"covermap compare, {made['old_villages']:,} -> {made['new_villages']:,} villages: "
          f"wall {span('wall_s')} s, CPU {span('cpu_s')} s, peak of its processes together {span('together_mb')} MB "
          f"(the command's own {span('peak_mb')} MB"
          + (f", the child's {span('child_mb')} MB" if runs[0]["child_mb"] else "")
          + (f", the workbooks' forked children's {span('books_mb')} MB" if runs[0]["books_mb"] else "") + ")")
    print("  " + runs[0]["summary"])
    print(f"  changes.csv {(out / 'changes.csv').stat().st_size / 1e6:.0f} MB, "
          f"changes.gpkg {(out / 'changes.gpkg').stat().st_size / 1e6:.0f} MB")
    if not args.no_steps:
        scratch = args.data / f"compare-{args.villages}-{args.seed}-steps"
        done = subprocess.run([sys.executable, "-m", "benchmarks.compare_benchmark", "--steps-only", str(folder),
                               "--data", str(scratch), *(["--no-maps"] if args.no_maps else [])],
                              capture_output=True, text=True, cwd=ROOT)
        if done.returncode:
            raise SystemExit(f"the step-by-step run failed:\n{done.stderr}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        shutil.rmtree(scratch, ignore_errors=True)
        rows = figures.pop("changes rows")
        print(f"step by step ({rows:,} change rows):")
        for name, figure in figures.items():
            print(f"  {name:26s} {figure['s']:7.2f} s   {figure['before_mb']:6d} MB before, peak {figure['peak_mb']:6d} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
