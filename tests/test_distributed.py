"""The county-partitioned run on a real (small, in-process) dask.distributed cluster gives
exactly the single-process results, including features near county borders."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from benchmarks.make_country import make_country
from layers import distributed
from layers.inputs import load_inputs
from layers.pipeline import assess
from layers.profile import load_profile

# A small extract of the real division codes shipped with the tests (tests/data/README.txt).
DIVISIONS = Path(__file__).parent / "data" / "divisions"
VILLAGES = 700  # the first 700 codes span several Beijing districts (counties)


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("country")
    make_country(folder, VILLAGES, seed=11, divisions=DIVISIONS)
    # Border cases a careless partitioning gets wrong: clinics exactly on vertices that
    # villages of two counties share (each counts once, for the lower code), and only
    # three fibre points in the whole country (nearest ones lie far outside any county).
    villages = gpd.read_file(folder / "villages.fgb")
    county = villages["code"].str[:6].to_numpy()
    left, right = shapely.STRtree(villages.geometry.to_numpy()).query(villages.geometry.to_numpy(),
                                                                      predicate="touches")
    across = (county[left] < county[right])
    shared = shapely.intersection(villages.boundary.to_numpy()[left[across]],
                                  villages.boundary.to_numpy()[right[across]])
    corners = shapely.get_parts(shapely.extract_unique_points(shared))[:40]
    clinics = gpd.read_file(folder / "clinics.fgb")
    border = gpd.GeoDataFrame({"name": [f"border clinic {i}" for i in range(len(corners))], "type": "村卫生室",
                               "standardized": "是", "doctors": 2.0}, geometry=corners, crs=clinics.crs)
    pyogrio.write_dataframe(pd.concat([clinics, border], ignore_index=True), folder / "clinics.fgb",
                            driver="FlatGeobuf")
    fibre = gpd.read_file(folder / "fibre.fgb")
    pyogrio.write_dataframe(fibre.iloc[[0, len(fibre) // 2, len(fibre) - 1]], folder / "fibre.fgb",
                            driver="FlatGeobuf")
    return load_profile(folder / "profile.toml")


@pytest.fixture(scope="module")
def single(profile):
    return assess(profile)


def test_partitions_are_counties_and_reach_across_their_borders(profile):
    inputs = load_inputs(profile)
    parts = distributed.partitions(inputs, profile.standards)
    counties = [county for county, _, _ in parts]
    assert len(counties) >= 3 and counties == sorted(counties)
    assert counties == sorted(set(inputs.villages["code"].str[:6]))
    codes = inputs.villages["code"].str[:6].to_numpy()
    own = np.concatenate([rows[codes[rows] == county] for county, rows, _ in parts])
    assert sorted(own.tolist()) == list(range(VILLAGES))  # every village kept by exactly one partition
    for county, rows, part in parts:
        others = part.villages["code"].str[:6] != county
        assert others.any()  # neighbours across the border come along as context
        assert len(part.roads) < len(inputs.roads)  # but not the whole country


def test_local_cluster_gives_the_single_process_villages_table(profile, single):
    result = distributed.assess_distributed(profile, workers=2, processes=False)
    ours, theirs = single.villages, result.villages
    assert list(theirs["village_code"]) == list(ours["village_code"])
    text = [c for c in ours.columns if ours[c].dtype == object and c != ours.geometry.name]
    pd.testing.assert_frame_equal(pd.DataFrame(theirs[text]), pd.DataFrame(ours[text]))
    numbers = [c for c in ours.columns if c not in text and c != ours.geometry.name]
    pd.testing.assert_frame_equal(pd.DataFrame(theirs[numbers]), pd.DataFrame(ours[numbers]),
                                  check_exact=False, rtol=0, atol=1e-9)
    assert shapely.equals_exact(theirs.geometry.to_numpy(), ours.geometry.to_numpy(), tolerance=0).all()
    pd.testing.assert_frame_equal(result.gaps.reset_index(drop=True), single.gaps.reset_index(drop=True),
                                  check_exact=False, rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(pd.DataFrame(result.townships.drop(columns="geometry")),
                                  pd.DataFrame(single.townships.drop(columns="geometry")))
    assert {"read", "partition", "assess (distributed)", "gaps", "consistency"} <= set(result.seconds)
    pd.testing.assert_frame_equal(pd.DataFrame(result.consistency), pd.DataFrame(single.consistency))
    # the run met the border cases: far nearest fibre, partly covered villages
    assert ours["fibre_nearest_m"].max() > 20_000
    assert ((ours["net4g_share"] > 0) & (ours["net4g_share"] < 1)).any()


def test_a_scheduler_that_is_not_there_is_a_one_line_error(profile):
    with pytest.raises(distributed.ConfigError, match="cannot reach the Dask scheduler"):
        distributed.assess_distributed(profile, scheduler="tcp://127.0.0.1:9",
                                         connect_timeout="2s")


def test_connected_roads_reach_across_county_partitions(profile):
    """standards.roads.require_connected: which roads join the main network is decided on
    the whole, and each county's part carries the nearest connected road of its villages,
    however far: the partitioned run gives the single-process road columns."""
    import dataclasses

    rules = dataclasses.replace(profile.standards, roads=dataclasses.replace(profile.standards.roads,
                                                                             require_connected=True))
    connected = dataclasses.replace(profile, standards=rules)
    single = assess(connected).villages
    parted = distributed.assess_distributed(connected, workers=2, processes=False).villages
    assert (single["road_connected"] == "no").any() and (single["road_connected"] == "yes").any()
    assert single["road_connected_m"].max() > 1_000   # some connected roads lie far away
    for column in ("road_verdict", "road_reason", "road_connected"):
        assert parted[column].tolist() == single[column].tolist(), column
    np.testing.assert_allclose(parted["road_connected_m"], single["road_connected_m"], rtol=0, atol=1e-9)


def test_township_network_distances_do_not_depend_on_the_partition(tmp_path):
    """[towns], connected_to = "towns" and [standards.care]: the paths to each village's own
    township seat and health centre run anywhere on the network (a hardened grid across every
    county), decided on the whole, so the partitioned run gives the single-process columns."""
    make_country(tmp_path, VILLAGES, seed=11, divisions=DIVISIONS)
    roads = gpd.read_file(tmp_path / "roads.fgb")
    x0, y0, x1, y1 = roads.total_bounds
    xs, ys = np.arange(x0, x1, 3000.0), np.arange(y0, y1, 3000.0)   # a vertex at every crossing: joined
    grid = [shapely.LineString([(x, y) for y in ys]) for x in xs] + [shapely.LineString([(x, y) for x in xs]) for y in ys]
    trunk = gpd.GeoDataFrame({"surface": ["asphalt"] * len(grid), "width": 6.0, "name": "trunk"}, geometry=grid,
                             crs=roads.crs)
    pyogrio.write_dataframe(pd.concat([roads, trunk], ignore_index=True), tmp_path / "roads.fgb", driver="FlatGeobuf")
    villages = gpd.read_file(tmp_path / "villages.fgb")
    first = villages.groupby("town_code").head(1)
    towns = gpd.GeoDataFrame({"town_code": first["town_code"].iloc[1:], "name": first["town_name"].iloc[1:]},
                             geometry=first.geometry.iloc[1:].representative_point(), crs=villages.crs)
    pyogrio.write_dataframe(towns, tmp_path / "towns.fgb", driver="FlatGeobuf")   # the first township: no seat
    text = (tmp_path / "profile.toml").read_text(encoding="utf-8")
    text = text.replace("[standards.roads]", '[towns]\npath = "towns.fgb"\n[towns.columns]\n'
                        'township_code = "town_code"\nname = "name"\n\n[standards.roads]\n'
                        'require_connected = true\nconnected_to = "towns"') + "\n[standards.care]\n"
    (tmp_path / "profile.toml").write_text(text, encoding="utf-8")
    towned = load_profile(tmp_path / "profile.toml")
    single = assess(towned).villages
    parted = distributed.assess_distributed(towned, workers=2, processes=False).villages
    km = single["road_network_km_to_township"]
    assert km.notna().sum() > VILLAGES // 4 and km.isna().any() and km.max() > 10   # paths across counties
    assert (single["road_connected"] == "no").any() and (single["road_connected"] == "yes").any()
    assert list(parted.columns) == list(single.columns)
    assert single["health_centre_travel_min"].notna().sum() >= 50   # [standards.care]: along every road
    for column in ("road_verdict", "road_reason", "road_connected", "care_verdict", "care_reason"):
        assert parted[column].tolist() == single[column].tolist(), column
    for column in ("road_network_km_to_township", "township_walk_m", "road_connected_m", "clinic_network_m",
                   "clinic_travel_min", "health_centre_network_m", "health_centre_travel_min"):
        np.testing.assert_allclose(parted[column], single[column], rtol=0, atol=1e-9)
