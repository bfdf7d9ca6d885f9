"""The benchmark times covermap's read step against the other engines doing the same reads
and checks (benchmarks/read_checks.py). Here plain geopandas' version of those checks must
find what covermap's read step finds, on a synthetic country with faults planted in it;
DuckDB's version needs the ``bench`` extra and is compared by the benchmark itself."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pytest
import shapely

from benchmarks import read_checks
from layers.profile import load_profile


@pytest.fixture(scope="module")
def faulty(country, tmp_path_factory):
    """The session's country with one of each fault the read step looks for; returns the
    folder and the codes of the villages changed."""
    folder = tmp_path_factory.mktemp("faulty") / "country"
    shutil.copytree(country, folder)
    villages = gpd.read_file(folder / "villages.fgb")
    geoms = villages.geometry.to_numpy()
    # a village whose neighbours all lie in its own township: moved 60 m east, it overlaps
    # the next one and leaves a gap inside the township on its west side
    tree = shapely.STRtree(geoms)
    inner = next(i for i in range(len(geoms))
                 if (villages["town_code"].iloc[tree.query(shapely.buffer(geoms[i], 200))] == villages["town_code"][i]).all())
    geoms[inner] = shapely.affinity.translate(geoms[inner], 60, 0)
    far = len(geoms) - 1 if inner != len(geoms) - 1 else 0
    # 50 km north of the country: alone, its seat left behind
    geoms[far] = shapely.affinity.translate(geoms[far], 0, villages.total_bounds[3] - geoms[far].bounds[1] + 50_000)
    seat = 5 if 5 not in (inner, far) else 6
    villages.loc[seat, "seat_x"] += 3_000
    villages.geometry = geoms
    villages.to_file(folder / "villages.fgb")
    roads = gpd.read_file(folder / "roads.fgb")
    roads.geometry = roads.geometry.where(roads.index != 0, roads.geometry.translate(0, -60_000))
    roads.to_file(folder / "roads.fgb")
    coverage = gpd.read_file(folder / "coverage.fgb")
    x0, y0, x1, y1 = coverage.geometry[0].bounds
    coverage.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])   # a bow tie
    coverage.to_file(folder / "coverage.fgb")
    codes = villages["code"]
    return folder, codes[inner], codes[far], codes[seat], geoms[inner].bounds[3] - geoms[inner].bounds[1]


def test_plain_geopandas_finds_what_the_read_step_finds(faulty):
    folder, inner, far, seat, height = faulty
    profile = load_profile(folder / "profile.toml")
    ours = read_checks.covermap_found(profile, read_checks.covermap(profile))
    theirs = read_checks.geopandas(profile)
    assert read_checks.differences(ours, theirs, "geopandas") == []
    # the faults were found, so that agreeing means something
    assert ours["invalid"] == {"villages": 0, "roads": 0, "water": 0, "clinics": 0, "coverage": 1, "fibre": 0}
    assert ours["overlaps"] and all(inner in pair for pair in ours["overlaps"])
    # the land left between the moved village's wiggly west edge and its neighbours' (several holes)
    assert ours["gaps_m2"] and 0 < sum(ours["gaps_m2"]) < 60 * height
    assert ours["alone"] == [far]
    assert ours["seats_outside"] == sorted([far, seat])
    assert ours["far"] == {"roads": 1, "water": 0, "clinics": 0, "coverage": 0, "fibre": 0}
    assert len(ours["town_m2"]) == len(set(gpd.read_file(folder / "villages.fgb")["town_code"]))


def test_differences_name_what_differs(faulty):
    folder, *_ = faulty
    profile = load_profile(folder / "profile.toml")
    ours = read_checks.geopandas(profile)
    assert read_checks.differences(ours, ours, "geopandas") == []
    for key, change in (("alone", lambda f: f["alone"].pop()), ("invalid", lambda f: f["invalid"].update(roads=2)),
                        ("gaps", lambda f: f["gaps_m2"].append(500.0)),
                        ("township", lambda f: f["town_m2"].update({k: v * (1 + 1e-5) for k, v in f["town_m2"].items()}))):
        other = {k: (v.copy() if hasattr(v, "copy") else v) for k, v in ours.items()}
        change(other)
        found = read_checks.differences(ours, other, "geopandas")
        assert len(found) == 1 and found[0].startswith(f"read step {key}"), found
