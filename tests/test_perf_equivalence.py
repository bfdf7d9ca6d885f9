"""The faster paths give the answers of the plain ones they replace: coverage validation
split into strips over threads (matched edges first: test_coverage_matched.py), the
isolated-village and far-outside checks by boxes, reason sentences and texts made only
where a rule applies, township shapes reused from reading and unioned by group, text and
number columns parsed per distinct value or kept as numbers, overlapping pairs by
``touches``, nearest features by boxes first, memory handed back; and CPU seconds kept
out of run.json (area shares: test_shares.py; steps run beside each other:
test_steps_apart.py; sentences a field at a time: test_sentences.py; distinct indices by
sorting: test_distinct.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from gis import coverage, encoding, geometry, memory, values
from layers import checks, verdicts
from layers.pipeline import _townships, assess
from layers.profile import load_profile


def _grid(n_side: int, seed: int) -> np.ndarray:
    """A grid of unit squares with a few defects: overlaps, gaps, a duplicate, a stray."""
    rng = np.random.default_rng(seed)
    cells = [box(i, j, i + 1, j + 1) for i in range(n_side) for j in range(n_side)]
    for k in rng.choice(len(cells), size=12, replace=False):
        x, y = cells[k].bounds[:2]
        cells[k] = box(x, y, x + 1 + rng.uniform(0.01, 0.3), y + 1)   # overlaps its neighbour
    for k in rng.choice(len(cells), size=6, replace=False):
        x, y = cells[k].bounds[:2]
        cells[k] = box(x + 0.1, y, x + 1, y + 1)                       # leaves a gap
    cells.append(cells[3])                                                # duplicate
    cells.append(box(500, 500, 501, 501))                                 # far away
    return np.array(cells, dtype=object)


@pytest.mark.parametrize("seed", [1, 2])
def test_coverage_invalid_in_strips_matches_geos(monkeypatch, seed):
    polygons = _grid(30, seed)
    expected = ~shapely.is_empty(shapely.coverage_invalid_edges(polygons))
    assert expected.any() and not expected.all()
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 50)
    for threads in (2, 3, 8):
        monkeypatch.setattr(geometry, "THREADS", threads)
        assert np.array_equal(coverage.coverage_invalid(polygons), expected)


def _isolated_plain(geoms: np.ndarray, distance_m: float) -> np.ndarray:
    """Every village's exact distance to its nearest other village."""
    ok = np.flatnonzero(geometry.usable(geoms))
    nearest = np.full(len(geoms), np.nan)
    for i in ok:
        others = [j for j in ok if j != i]
        nearest[i] = min(shapely.distance(geoms[i], geoms[j]) for j in others)
    return np.nan_to_num(nearest, nan=0.0) > distance_m, nearest


@pytest.mark.parametrize("distance", [0.5, 3.0, 50.0])
def test_isolated_matches_exact_distances(distance):
    rng = np.random.default_rng(5)
    centres = np.r_[rng.uniform(0, 40, size=(60, 2)), [[200, 200], [203, 200]]]
    sizes = rng.uniform(0.2, 6.0, size=len(centres))
    geoms = np.array([box(x, y, x + s, y + s / 3) for (x, y), s in zip(centres, sizes)] + [None], dtype=object)
    frame = gpd.GeoDataFrame(geometry=geoms)
    alone, nearest = checks.isolated(frame, distance)
    expected_alone, expected_nearest = _isolated_plain(geoms, distance)
    assert np.array_equal(alone, expected_alone)
    assert np.allclose(nearest[alone], expected_nearest[alone])


def test_isolated_when_boxes_meet_but_shapes_are_far():
    diagonal = shapely.buffer(shapely.LineString([(0, 0), (10, 10)]), 0.05)
    corner = box(8, 0, 9, 1)                  # inside the diagonal's box, ~4.9 from it
    geoms = np.array([diagonal, corner, box(30, 30, 31, 31), box(31, 30, 32, 31)], dtype=object)
    alone, nearest = checks.isolated(gpd.GeoDataFrame(geometry=geoms), 3.0)
    expected_alone, expected_nearest = _isolated_plain(geoms, 3.0)
    assert list(alone) == list(expected_alone) == [True, True, False, False]
    assert np.allclose(nearest[alone], expected_nearest[alone])


def test_sentences_formatted_on_demand_match_all_rows():
    d = np.array([1234.5, np.nan, 7.0, 99999.0])
    names = np.array(["a", None, "c", "d"], dtype=object)
    lazy = verdicts.sentences("clinic {c} at {d:,.0f} m", c=names, d=d)
    eager = np.array([f"clinic {c} at {x:,.0f} m" for c, x in zip(names, d)], dtype=object)
    assert list(np.asarray(lazy)) == list(eager)
    grades = verdicts.Grades(4)
    grades.rule(np.array([False, True, False, True]), verdicts.FAILS, lazy)
    grades.rule(np.ones(4, dtype=bool), verdicts.MEETS, lazy)
    assert list(grades.reason) == list(eager)
    assert list(grades.verdict) == [verdicts.MEETS, verdicts.FAILS, verdicts.MEETS, verdicts.FAILS]
    texts = verdicts.Texts(lambda x, c: "none" if np.isnan(x) else f"{c} at {x:,.0f} m", d, names)
    nested = verdicts.sentences("nearest {t}", t=texts)
    assert list(nested[np.array([True, True, False, True])]) == ["nearest a at 1,234 m", "nearest none",
                                                                   "nearest d at 99,999 m"]


def test_township_shapes_reused_from_reading_are_the_ones_made_afresh(country):
    result = assess(load_profile(country / "profile.toml"))
    assert result.inputs.township_shapes is not None      # a clean coverage: reading's unions are reused
    afresh = _townships(result.villages)
    assert list(afresh.columns) == list(result.townships.columns)
    assert afresh.drop(columns="geometry").equals(result.townships.drop(columns="geometry"))
    assert all(shapely.equals_identical(afresh.geometry.to_numpy(), result.townships.geometry.to_numpy()))


def _text_column(n: int, seed: int, dtype) -> pd.Series:
    rng = np.random.default_rng(seed)
    pool = np.array([" Asphalt", "asphalt", "水泥 ", "", "  ", "YES", "是", "no", None, "Gravel", "锟斤拷x", "Ã©",
                     "鍙鐨村", "1", "0.0"], dtype=object)
    return pd.Series(pool[rng.integers(0, len(pool), n)], dtype=dtype)


@pytest.mark.parametrize("dtype", ["str", object, "string"])
def test_text_parsing_per_distinct_value_matches_cell_by_cell(dtype):
    series = _text_column(5000, 3, dtype)
    text = series.astype("string")
    assert values.words(series).equals(text.str.strip().str.lower().replace("", pd.NA))
    assert np.array_equal(values.blank(series), (series.isna() | (text.str.strip() == "").fillna(True)).to_numpy(bool))
    flags, bad = values.parse_flags(series)
    lowered = text.str.strip().str.lower()
    expected = pd.Series(pd.NA, index=series.index, dtype="boolean")
    expected[lowered.isin(values.TRUE_WORDS).fillna(False).to_numpy(dtype=bool)] = True
    expected[lowered.isin(values.FALSE_WORDS).fillna(False).to_numpy(dtype=bool)] = False
    assert flags.equals(expected) and bad.sum() > 0
    marks = "|".join([*encoding.MOJIBAKE_MARKS, encoding._LATIN1_HIGH])
    plain = (text.str.contains(marks, regex=True).fillna(False)
             | (text.str.count(encoding._UTF8_AS_GBK) >= 2).fillna(False)).to_numpy(dtype=bool)
    assert np.array_equal(encoding.garbled(series), plain) and plain.any()
    clean = series.where(~pd.Series(plain, index=series.index), "村")
    assert not encoding.garbled(clean).any()


@pytest.mark.parametrize("dtype", [pd.StringDtype("python", na_value=np.nan), pd.StringDtype("python")])
def test_shared_text_holds_equal_cells_once_with_the_same_values(dtype):
    # cells made one by one, as GDAL makes them without Arrow: equal text, distinct objects
    series = pd.Series([None if v is None else "".join(list(v)) for v in _text_column(5000, 4, object)],
                       dtype=dtype, index=np.arange(5000) * 3, name="surface")
    shared = values.shared_text(series)
    assert shared.equals(series) and shared.dtype == series.dtype and shared.name == "surface"
    assert shared.index.equals(series.index) and shared.isna().sum() == series.isna().sum() > 0
    objects = {id(v) for v in shared if isinstance(v, str)}
    assert len(objects) == series.dropna().nunique() < len({id(v) for v in series if isinstance(v, str)})
    unique = pd.Series([f"name {i}" for i in range(5000)], dtype=dtype)   # seldom repeats: left as it is
    assert values.shared_text(unique) is unique


@pytest.mark.parametrize("storage", ["pyarrow", "python", "object"])
def test_positions_of_codes_match_a_lookup_one_by_one(storage):
    rng = np.random.default_rng(5)
    codes = [f"5223{i:08d}" for i in rng.permutation(3000)]
    series = pd.Series(codes, dtype=object if storage == "object" else pd.StringDtype(storage, na_value=np.nan),
                       index=np.arange(3000) * 7)
    wanted = np.array([codes[i] for i in rng.integers(0, 3000, 500)] + ["522300000000", "x", None], dtype=object)
    rng.shuffle(wanted)
    plain = {code: i for i, code in enumerate(codes)}
    assert values.positions(series, wanted).tolist() == [plain.get(code, -1) for code in wanted]


@pytest.mark.parametrize("dtype", ["str", "string"])
def test_text_stored_by_arrow_is_left_as_it_is(dtype):
    series = pd.Series(_text_column(5000, 4, object), dtype=pd.StringDtype("pyarrow", na_value=np.nan)
                       if dtype == "str" else pd.StringDtype("pyarrow"))
    assert values.shared_text(series) is series


def test_text_read_from_a_layer_is_held_by_arrow(country):
    """Read through GDAL's Arrow stream: a national road layer's text in Arrow buffers,
    not three million Python objects."""
    from layers.inputs import load_inputs
    roads = load_inputs(load_profile(country / "profile.toml")).roads
    assert len(roads) > 1000 and roads["surface"].dtype.storage == "pyarrow"
    assert roads["name"].dtype.storage == "pyarrow"


def test_malloc_arenas_limited_unless_the_user_chose(monkeypatch):
    calls = []

    class LibC:
        def mallopt(self, option, value):
            calls.append((option, value))
            return 1

    monkeypatch.setattr(memory.ctypes, "CDLL", lambda name: LibC())
    monkeypatch.setattr(memory.sys, "platform", "linux")
    monkeypatch.setattr(geometry, "THREADS", 4)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    memory.limit_malloc_arenas()
    assert calls == [(-8, 5)]   # the main thread and four in the pools
    monkeypatch.setenv("MALLOC_ARENA_MAX", "16")
    memory.limit_malloc_arenas()
    assert calls == [(-8, 5)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: Linux only")
def test_memory_freed_by_a_step_goes_back_to_the_system():
    # 256 MB in 64 kB blocks (glibc serves those from its heap, not mmap); every 50th kept,
    # so that freed memory lies in holes between blocks still in use, as after a step
    script = """
import numpy as np
from gis import memory
def rss():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) // 1024 for line in fh if line.startswith("VmRSS:"))
blocks = [np.ones(8000) for _ in range(4000)]
keep = blocks[::50]
del blocks
before = rss()
memory.release_free_memory()
print(before, rss())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parent.parent)
    before, after = map(int, done.stdout.split())
    assert before - after > 200, (before, after)


@pytest.mark.parametrize("raw", [np.array([0.1 + 0.2, 1e-300, 5e-324, np.inf, np.nan, -0.0, 1 / 3, -4.0, 2.5e-7]),
                                 np.array([1, 2, -3, 2 ** 62, 0], dtype=np.int64)])
def test_numbers_already_numeric_match_the_text_route(raw):
    series = pd.Series(raw)
    parsed, bad = values.parse_numbers(series, minimum=0.0)
    via_text = pd.to_numeric(series.astype("string").str.strip().replace("", pd.NA), errors="coerce").astype(float)
    expected_bad = (via_text < 0.0).to_numpy()
    assert np.array_equal(bad, expected_bad)
    assert parsed.equals(pd.Series(via_text.to_numpy(), dtype=float).mask(expected_bad))


@pytest.mark.parametrize("coverage", [False, True])
def test_union_by_group_is_dissolve(monkeypatch, coverage):
    monkeypatch.setattr(geometry, "THREADS", 2)
    polygons = _grid(12, 4)[:144] if not coverage else np.array(
        [box(i, j, i + 1, j + 1) for i in range(12) for j in range(12)], dtype=object)
    keys = np.array([f"t{(i * 7) % 13:02d}" for i in range(len(polygons))], dtype=object)
    frame = gpd.GeoDataFrame({"key": keys}, geometry=polygons)
    expected = frame.dissolve("key", method="coverage" if coverage else "unary")
    found, unions = geometry.union_by_group(polygons, keys, coverage=coverage)
    assert list(found) == list(expected.index)
    assert all(shapely.equals_identical(unions, expected.geometry.to_numpy()))


def test_pairs_overlapping_by_touches_matches_the_de9im_pattern(monkeypatch):
    monkeypatch.setattr(geometry, "THREADS", 2)     # the tests split over threads, in chunks
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 50)
    rng = np.random.default_rng(8)
    corners = rng.integers(0, 20, size=(150, 2)).astype(float)
    squares = np.array([box(x, y, x + w, y + w) for (x, y), w in zip(corners, rng.integers(1, 4, 150))], dtype=object)
    lines = np.array([shapely.LineString([(x, y), (x + 3, y)]) for x, y in corners[:40]], dtype=object)
    for left, right in ((squares, squares[::-1]), (squares, lines), (lines, lines[::-1])):
        li, ri = geometry.pairs_intersecting(left, right)
        expected = shapely.relate_pattern(left[li], right[ri], "T********")
        assert 0 < expected.sum() < len(li)      # both kinds of pairs occur
        oi, oj = geometry.pairs_overlapping(left, right)
        assert np.array_equal(oi, li[expected]) and np.array_equal(oj, ri[expected])   # same pairs, same order
        # pairs the caller already holds (overlapping or not, some no pair at all) are left out, the rest kept
        held = (np.r_[li[::3], 0, len(left) - 1], np.r_[ri[::3], len(right) - 1, 0])
        ki, kj = geometry.pairs_overlapping(left, right, known=held)
        rest = ~np.isin(li * len(right) + ri, held[0] * len(right) + held[1]) & expected
        assert 0 < rest.sum() < expected.sum()
        assert np.array_equal(ki, li[rest]) and np.array_equal(kj, ri[rest])


def test_points_paired_by_box_then_tested_match_the_tree_predicate(monkeypatch):
    # points (some on polygon edges and corners, some missing or empty) against polygons
    # and lines: the pairs, in order, of one tree query with the intersects predicate
    monkeypatch.setattr(geometry, "THREADS", 2)
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 50)
    rng = np.random.default_rng(9)
    corners = rng.integers(0, 30, size=(200, 2)).astype(float)
    squares = np.array([box(x, y, x + 2, y + 2) for x, y in corners], dtype=object)
    lines = np.array([shapely.LineString([(x, y), (x + 3, y + 1)]) for x, y in corners[:60]], dtype=object)
    points = shapely.points(np.r_[rng.uniform(0, 32, (900, 2)), corners[:50], corners[50:100] + [1.0, 0.0]])
    points = points.astype(object)
    points[::97], points[1::97] = None, shapely.Point()
    for right in (squares, lines):
        li, ri = geometry.pairs_intersecting(points, right)
        expected = geometry._pairs(points, right, predicate="intersects")
        assert len(li) > 50 and np.array_equal(li, expected[0]) and np.array_equal(ri, expected[1])
    on_corner = geometry.pairs_intersecting(points[900:950], squares)   # each on its own square's corner
    assert len(np.unique(on_corner[0])) == 50


def test_far_outside_by_boxes_matches_distances():
    rng = np.random.default_rng(9)
    villages = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(100, 0, 200, 80)])
    xy = rng.uniform(-150, 350, size=(400, 2))
    features = np.array([shapely.LineString([(x, y), (x + dx, y + dy)])
                         for (x, y), (dx, dy) in zip(xy, rng.uniform(-60, 60, size=(400, 2)))] + [None], dtype=object)
    layer = gpd.GeoDataFrame(geometry=features)
    extent = shapely.box(*shapely.total_bounds(villages.geometry.to_numpy()))
    for distance in (0.0, 10.0, 80.0):
        expected = np.r_[shapely.distance(features[:-1], extent) > distance, False]
        assert np.array_equal(checks.far_outside(villages, layer, distance), expected)
        assert 0 < expected.sum() < len(features) - 1


def test_cpu_seconds_per_step_kept_out_of_run_json(country, tmp_path):
    import json

    from layers.pipeline import publish
    result = assess(load_profile(country / "profile.toml"))
    assert list(result.cpu_seconds) == list(result.seconds)
    assert all(value >= 0 for value in result.cpu_seconds.values()) and sum(result.cpu_seconds.values()) > 0
    publish(result, tmp_path / "out")
    assert "write tables" in result.cpu_seconds
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert "cpu_seconds" not in record and list(record["seconds"]) == list(result.seconds)


def _nearest_plain(sources: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One unbounded query_nearest for every usable source; ties to the lowest target index."""
    index, distance = np.full(len(sources), -1), np.full(len(sources), np.nan)
    ok_s, ok_t = np.flatnonzero(geometry.usable(sources)), np.flatnonzero(geometry.usable(targets))
    (s, t), d = shapely.STRtree(targets[ok_t]).query_nearest(sources[ok_s], return_distance=True, all_matches=True)
    for source, target, dist in sorted(zip(ok_s[s].tolist(), ok_t[t].tolist(), d.tolist()), reverse=True):
        index[source], distance[source] = target, dist
    return index, distance


def test_nearest_by_boxes_first_matches_one_unbounded_query():
    # 6,000 sources (points, polygons, missing, empty, some far from every target) against
    # lines and points with exact ties (duplicates, and targets mirrored about a source)
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 10_000, (6000, 2))
    xy[40:60] = np.round(xy[40:60])     # whole metres: the mirrored targets below are exactly as far
    sources = shapely.points(xy).astype(object)
    sources[::7] = shapely.buffer(sources[::7], 40.0)
    sources[5::97] = None
    sources[6::97] = shapely.Point()
    sources[:30] = shapely.points(rng.uniform(50_000, 60_000, (30, 2)))     # nothing within the spacing
    start = rng.uniform(0, 10_000, (3000, 2))
    targets = shapely.linestrings(np.stack([start, start + rng.uniform(-80, 80, (3000, 2))], axis=1)).astype(object)
    targets = np.r_[targets, targets[:200], shapely.points(xy[40:60] + [25.0, 0.0]), shapely.points(xy[40:60] - [25.0, 0.0])]
    targets[3100] = None
    index, distance = geometry.nearest(sources, targets)
    expected_index, expected_distance = _nearest_plain(sources, targets)
    assert np.array_equal(index, expected_index) and np.array_equal(distance, expected_distance, equal_nan=True)
    assert (index[102::97] == -1).all() and (distance[:30] > 30_000).all()
    tied = np.flatnonzero(distance[40:60] == 25.0) + 40    # the lower of two equally near targets
    assert len(tied) >= 10 and (index[tied] == 3200 + tied - 40).all()
    assert np.isin(index, np.arange(200)).sum() > 0 and not np.isin(index, np.arange(3000, 3200)).any()
    # polygons meeting lines (distance 0, settled by the prepared test), the duplicated ones among them
    meeting = np.flatnonzero(distance[::7] == 0) * 7
    assert len(meeting) > 100 and np.isin(index[meeting], np.arange(200)).sum() > 5


@pytest.mark.parametrize("spread", [10_000, 3])
def test_nearest_points_to_points_match_one_unbounded_query(spread):
    # to points (fibre, clinics): ties (duplicates, targets mirrored about a source, a target
    # a hair farther but earlier), sources on the corners of squares of the mean spacing,
    # polygon, missing, empty and far sources; at two spreads of coordinates
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, spread, (6000, 2))
    unit = 2.0 ** np.floor(np.log2(spread / 1000))     # a power of two: mirrored targets exactly as far
    xy[40:60] = np.round(xy[40:60] / unit) * unit
    sources = shapely.points(xy).astype(object)
    sources[::7] = shapely.buffer(sources[::7], 40.0)
    sources[5::97] = None
    sources[6::97] = shapely.Point()
    sources[:30] = shapely.points(rng.uniform(5 * spread, 6 * spread, (30, 2)))
    start = rng.uniform(0, spread, (3000, 2))
    targets = shapely.points(start).astype(object)
    spacing = spread / np.sqrt(3000)
    sources[60:80] = shapely.points(np.floor(start[:20] / spacing) * spacing)     # on the corners
    targets = np.r_[targets, targets[:200], shapely.points(xy[40:60] + [unit / 2, 0.0]),
                    shapely.points(xy[40:60] - [unit / 2, 0.0])]
    targets[3100] = None
    # a target a hair (1e-7) farther than another, but earlier in the list: the nearer wins
    targets[200:220] = shapely.points(xy[80:100] + [unit * (1 + 1e-7), 0.0])
    targets = np.r_[targets, shapely.points(xy[80:100] + [0.0, unit])]
    index, distance = geometry.nearest(sources, targets)
    expected_index, expected_distance = _nearest_plain(sources, targets)
    assert np.array_equal(index, expected_index) and np.array_equal(distance, expected_distance, equal_nan=True)
    assert (index[102::97] == -1).all() and (distance[:30] > 3 * spread).all()
    tied = np.flatnonzero(distance[40:60] == unit / 2) + 40
    assert len(tied) >= 10 and (index[tied] == 3200 + tied - 40).all()
    hair = np.flatnonzero(shapely.get_type_id(sources[80:100]) == 0) + 80
    assert len(hair) > 10 and (index[hair] == 3240 + hair - 80).all()
    assert not np.isin(index, np.arange(3000, 3200)).any()    # a duplicate never beats its lower original


def test_length_of_roads_inside_villages_over_threads_is_the_plain_overlay(monkeypatch):
    monkeypatch.setattr(geometry, "THREADS", 2)
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 50)
    rng = np.random.default_rng(3)
    start = rng.uniform(0, 1000, (400, 2))
    lines = shapely.linestrings(np.stack([start, start + rng.uniform(-300, 300, (400, 2))], axis=1))
    polygons = shapely.buffer(shapely.points(start + rng.uniform(-150, 150, (400, 2))), rng.uniform(10, 200, 400))
    lines[::37], polygons[5::41] = None, shapely.Polygon()
    got = geometry.length_inside(lines, polygons)
    assert np.array_equal(got, shapely.length(shapely.intersection(polygons, lines)), equal_nan=True)
    assert (got > 0).sum() > 150 and np.isnan(got[::37]).all()

