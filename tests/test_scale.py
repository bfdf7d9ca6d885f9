"""The benchmark country generator and the large-input paths of the metric primitives,
on a small synthetic country (real division codes, generated geometry)."""

from __future__ import annotations

import json

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from benchmarks.make_country import make_country, read_divisions
from gis import geometry, shares
from layers.pipeline import assess, publish
from layers.profile import load_profile

# A small extract of the real division codes shipped with the tests (tests/data/README.txt).
DIVISIONS = Path(__file__).parent / "data" / "divisions"
VILLAGES = 600


@pytest.fixture(scope="module")
def country(tmp_path_factory):
    folder = tmp_path_factory.mktemp("country")
    make_country(folder, VILLAGES, seed=3, divisions=DIVISIONS)
    return folder


def test_generator_follows_the_division_hierarchy(country):
    villages = gpd.read_file(country / "villages.fgb").sort_values("code")
    expected = read_divisions(VILLAGES, DIVISIONS)
    assert list(villages["code"]) == list(expected["code"])  # the first 600 codes, in code order
    assert villages["code"].iloc[0] == "110101001001"
    assert (villages["code"].str[:9] == villages["town_code"]).all()
    assert villages.loc[villages["code"] == "110101001001", "name"].item() == "多福巷社区居委会"
    geoms = villages.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_num_coordinates(geoms) == 101).all()
    # the cells tile the plane: no overlaps, no holes between neighbours
    assert shapely.area(shapely.union_all(geoms)) == pytest.approx(shapely.area(geoms).sum(), rel=1e-9)
    roads = gpd.read_file(country / "roads.fgb")
    assert 5.5 < len(roads) / VILLAGES < 6.5
    hardened = roads["surface"].isin(["asphalt", "concrete", "水泥"]).mean()
    assert 0.35 < hardened < 0.45
    assert 1.1 < len(gpd.read_file(country / "clinics.fgb")) / VILLAGES < 1.3
    coverage = gpd.read_file(country / "coverage.fgb")
    assert shapely.get_num_coordinates(coverage.geometry.to_numpy()).min() == 1001


def test_generator_is_deterministic(country, tmp_path):
    make_country(tmp_path / "again", VILLAGES, seed=3, divisions=DIVISIONS)
    make_country(tmp_path / "other", VILLAGES, seed=4, divisions=DIVISIONS)
    for name in ("villages", "roads", "coverage"):
        a = gpd.read_file(country / f"{name}.fgb")
        b = gpd.read_file(tmp_path / "again" / f"{name}.fgb")
        c = gpd.read_file(tmp_path / "other" / f"{name}.fgb")
        assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), tolerance=0).all()
        assert not (len(a) == len(c) and shapely.equals_exact(a.geometry.to_numpy(), c.geometry.to_numpy(),
                                                              tolerance=0).all())


def test_generator_writes_geopackage_with_the_same_country(country, tmp_path):
    # --format gpkg: the same layers as GeoPackage files and a profile reading them; the run
    # decides every village as on the FlatGeobuf files
    import pyogrio

    from layers.pipeline import assess
    from layers.profile import load_profile

    make_country(tmp_path, VILLAGES, seed=3, divisions=DIVISIONS, fmt="gpkg")
    for name in ("villages", "roads", "water", "clinics", "coverage", "fibre"):
        assert pyogrio.read_info(tmp_path / f"{name}.gpkg")["driver"] == "GPKG"
        assert not (tmp_path / f"{name}.fgb").exists()
        a = gpd.read_file(country / f"{name}.fgb")    # FlatGeobuf's spatial index reorders the rows
        b = gpd.read_file(tmp_path / f"{name}.gpkg")
        assert sorted(shapely.to_wkb(a.geometry.to_numpy())) == sorted(shapely.to_wkb(b.geometry.to_numpy()))
    # same verdicts and measures (names chosen among equals may follow the row order)
    ours = assess(load_profile(tmp_path / "profile.toml")).villages.sort_values("village_code", ignore_index=True)
    theirs = assess(load_profile(country / "profile.toml")).villages.sort_values("village_code", ignore_index=True)
    verdicts = [c for c in ours.columns if c.endswith("_verdict")] + ["gap_count", "clinic_count"]
    assert len(verdicts) == 7 and ours[verdicts].equals(theirs[verdicts])
    for column in ("road_hardened_m", "water_share", "clinic_nearest_m", "net4g_share", "fibre_nearest_m"):
        np.testing.assert_allclose(ours[column], theirs[column], rtol=1e-9, atol=1e-9, err_msg=column)


def _share_by_dissolving(polygons, cover):
    """The straightforward definition: dissolve all cover, intersect, sum areas."""
    whole = shapely.union_all(cover)
    return np.clip(shapely.area(shapely.intersection(polygons, whole)) / shapely.area(polygons), 0, 1)


def test_covered_share_matches_the_dissolve_definition_on_jagged_cover(country):
    villages = gpd.read_file(country / "villages.fgb").geometry.to_numpy()
    coverage = gpd.read_file(country / "coverage.fgb").geometry.to_numpy()
    water = gpd.read_file(country / "water.fgb").geometry.to_numpy()
    for cover in (coverage, water):  # large jagged polygons (per pair) and small circles (dissolved first)
        share = shares.covered_share(villages, cover)
        expected = _share_by_dissolving(villages, cover)
        np.testing.assert_allclose(share, expected, rtol=0, atol=1e-9)
    share = shares.covered_share(villages, coverage)
    # the sample must exercise every branch: wholly inside, partly covered by one and by several, uncovered
    inside_one = np.zeros(len(villages), dtype=bool)
    ci, vi = shapely.STRtree(villages).query(coverage, predicate="contains")
    inside_one[vi] = True
    hits = np.bincount(shapely.STRtree(coverage).query(villages, predicate="intersects")[0], minlength=len(villages))
    assert inside_one.any() and ((hits >= 2) & ~inside_one & (share < 1)).any()
    assert ((hits == 1) & (share > 0) & (share < 1)).any() and (share == 0).any()


def test_overlapping_cover_counts_once_even_when_split_over_threads(monkeypatch):
    # two identical big jagged squares over 5,000 unit squares: shares must stay 1, not 2
    monkeypatch.setattr(geometry, "_MIN_CHUNK", 100)
    xs, ys = np.meshgrid(np.arange(100), np.arange(50))
    squares = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 1, ys.ravel() + 1)
    t = np.linspace(0, 1, 400)
    ring = np.r_[np.c_[t * 60, -0.5 + 0.2 * np.sin(t * 300)], np.c_[60 + 0 * t, t * 60], [[0, 60]], [[0, -0.5]]]
    cover = np.array([shapely.Polygon(ring), shapely.Polygon(ring + [0.3, 0])], dtype=object)
    share = shares.covered_share(squares, cover)
    np.testing.assert_allclose(share, _share_by_dissolving(squares, cover), rtol=0, atol=1e-9)
    assert share.max() == 1.0 and share[(xs.ravel() == 10) & (ys.ravel() == 10)][0] == 1.0


def test_several_overlapping_pieces_cut_away_in_turn():
    # villages met by two or more cover polygons each. 40 irregular villages each touched
    # along two runs of their own edges by two covers: nothing covered, exactly 0 (cutting
    # a touching piece away redraws the village, whose area then differs in the last bits
    # about one time in six); one square covered by two overlapping pieces (exactly 1),
    # one half covered by two overlapping pieces (the overlap counted once)
    rng = np.random.default_rng(3)
    villages, cover = [], []
    for k in range(40):
        angle = np.sort(rng.uniform(0, 2 * np.pi, 60))
        ring = np.c_[3000 * k + 400 * np.cos(angle), 400 * np.sin(angle)]
        villages.append(shapely.Polygon(ring))
        for first in (5, 35):   # outward from five consecutive vertices: a far side of 300
            theta = np.linspace(angle[first], angle[first + 4], 300)
            radius = 800 + 5 * np.sin(np.linspace(0, 90, 300))
            far = np.c_[3000 * k + radius * np.cos(theta), radius * np.sin(theta)]
            cover.append(shapely.Polygon(np.r_[ring[first:first + 5][::-1], far]))
    villages += [shapely.box(-10, -2000, -9, -1999), shapely.box(-20, -2000, -19, -1999)]
    cover += [shapely.box(-10.5, -2001, -9.4, -1998), shapely.box(-9.6, -2001, -8, -1998),
              shapely.box(-20, -2001, -19.5, -1999.5), shapely.box(-19.8, -2001, -19.5, -1999.5)]
    # jagged cover (many vertices): no dissolving first, each piece clipped to its village's box
    villages, cover = np.array(villages, dtype=object), np.array(cover, dtype=object)
    hits = np.bincount(shapely.STRtree(cover).query(villages, predicate="intersects")[0], minlength=len(villages))
    assert (hits >= 2).all() and shapely.is_valid(cover).all()
    assert np.median(shapely.get_num_coordinates(cover)) > shares.CLIP_MIN_VERTICES
    assert (shapely.area(shapely.intersection(villages[:40, None], cover[None, :80])) == 0).all()
    share = shares.covered_share(villages, cover)
    assert (share[:40] == 0).all()
    assert share[40] == 1.0 and share[41] == pytest.approx(0.25, abs=1e-12)


def test_pairs_overlapping_are_the_pairs_sharing_area(country):
    villages = gpd.read_file(country / "villages.fgb").geometry.to_numpy()
    water = gpd.read_file(country / "water.fgb").geometry.to_numpy()
    li, ri = geometry.pairs_intersecting(villages, water)
    sharing = shapely.area(shapely.intersection(villages[li], water[ri])) > 0
    oi, ori = geometry.pairs_overlapping(villages, water)
    assert sorted(zip(oi.tolist(), ori.tolist())) == sorted(zip(li[sharing].tolist(), ri[sharing].tolist()))
    # neighbouring villages touch along an edge: they intersect but do not overlap
    vi, vj = geometry.pairs_overlapping(villages, villages)
    assert (vi == vj).all() and len(vi) == len(villages)
    ti, tj = geometry.pairs_intersecting(villages, villages)
    assert (ti != tj).sum() > 2 * len(villages)


def test_run_json_records_seconds_and_peak_memory_per_step(country, tmp_path):
    result = assess(load_profile(country / "profile.toml"))
    publish(result, tmp_path / "out")
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    steps = ["read", "road", "water", "clinic", "net4g", "fibre", "gaps", "write tables"]
    assert set(steps) <= set(record["seconds"]) and set(steps) <= set(record["peak_memory_mb"])
    peaks = [record["peak_memory_mb"][step] for step in steps]
    assert peaks == sorted(peaks)  # a process's peak never goes down
    assert 50 < peaks[0] < 4000
    assert record["villages"] == VILLAGES
    assert sum(record["verdicts"]["net4g"].values()) == VILLAGES
