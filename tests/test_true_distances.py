"""True ground distances anywhere in China in one run: villages with real codes at the
edges of the country (Kashgar, Wuqia, Mohe, Fuyuan, Harbin, Lhasa, Kunming, Sanya), each
with a hardened road, a clinic, a fibre point and a water project at an exact geodesic
distance from its seat (built in an azimuthal equidistant projection centred on the
seat), just inside and just outside each limit. A single zone for the whole country
stretches these distances by up to 13 %; covermap's must be within 0.1 % and every
verdict right."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Geod, Transformer

from county_files import SEATS   # tests/ is on the path, as for every test
from layers.pipeline import assess
from layers.profile import load_profile

GEO = CRS.from_epsg(4490)
GEOD = Geod(ellps="GRS80")

# real county seats' surroundings, and two real village codes of each county (统计用区划代码 2023)
PLACES = {
    "Wuqia": (75.26, 39.72, ["653024101200", "653024101201"]),
    "Kashgar": (75.86, 39.38, ["653121100200", "653121100201"]),
    "Lhasa": (91.13, 29.88, ["540121100201", "540121100202"]),
    "Kunming": (103.04, 25.34, ["530127102202", "530127102203"]),
    "Sanya": (109.70, 18.40, ["460202198200", "460202198201"]),
    "Mohe": (122.54, 52.97, ["232701100200", "232701103200"]),
    "Harbin": (126.60, 45.98, ["230111001200", "230111002200"]),
    "Fuyuan": (134.29, 48.36, ["230883100202", "230883100203"]),
}
# (road, clinic, fibre, water-project centre) metres from the seat: the first village of
# each place just within every limit, the second just beyond (limits in PROFILE)
WITHIN = (498.0, 2_490.0, 996.0, 996.0)
BEYOND = (502.0, 2_510.0, 1_004.0, 1_004.0)
RADIUS_M = 1_000.0   # the water projects' service radius: the seat is served when within it

PROFILE = """\
[project]
name = "edges of China"
working_crs = "{crs}"

[villages]
path = "villages.gpkg"
[villages.columns]
code = "code"
name = "name"
township_code = "town"
township_name = "town_name"
population = "pop"

""" + SEATS + """
[roads]
path = "roads.gpkg"
[roads.columns]
surface = "surface"

[water]
path = "water.geojson"
[water.columns]
name = "name"
radius = "radius"

[clinics]
path = "clinics.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"
[clinics.columns]
name = "name"
type = "type"
standardized = "std"
doctors = "doctors"

[network.fibre]
path = "fibre.csv"
x = "lon"
y = "lat"
assume_crs = "EPSG:4490"

[standards.roads]
max_distance_m = 500
[standards.clinics]
share_max_population = 1000
share_max_distance_m = 2500
[standards.network]
fibre_max_distance_m = 1000
[standards.water]
min_share = 0.5
"""


def _around(lon: float, lat: float) -> Transformer:
    """Metres east/north of (lon, lat) along geodesics -> CGCS2000 longitude/latitude."""
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=GRS80 +units=m")
    return Transformer.from_crs(aeqd, GEO, always_xy=True)


# a real neighbourhood committee of Wuqia, drawn over the first Wuqia village (``overlap``)
OVERLAPPING = "653024100001"
OVERLAP_M2 = 200 * 3000


def write_country(folder: Path, crs: str = "auto", moved: str | None = None, east_deg: float = 0.0,
                  overlap: bool = False) -> Path:
    """Two villages per place; ``moved``: the code of a village whose polygon is drawn
    ``east_deg`` degrees east of where it belongs (a typo), its seat left out;
    ``overlap``: one more village at Wuqia, without a seat, overlapping the first by a
    strip of ``OVERLAP_M2`` on the ground."""
    villages, seats, roads, water, clinics, fibre = [], [], [], [], [], []
    for place, (lon, lat, codes) in PLACES.items():
        for k, (code, distances) in enumerate(zip(codes, (WITHIN, BEYOND))):
            seat_lon, seat_lat, _ = GEOD.fwd(lon, lat, 90, k * 12_000)   # 12 km apart
            to_geo = _around(seat_lon, seat_lat)
            square = shapely.box(-1500, -1500, 1500, 1500)
            polygon = shapely.transform(shapely.segmentize(square, 100), lambda xy: np.column_stack(
                to_geo.transform(xy[:, 0], xy[:, 1])))
            if code == moved:
                polygon = shapely.transform(polygon, lambda xy: xy + [east_deg, 0])
            if overlap and place == "Wuqia" and k == 0:
                strip = shapely.segmentize(shapely.box(1300, -1500, 4300, 1500), 100)
                villages.append({"code": OVERLAPPING, "name": "overlapping", "town": OVERLAPPING[:9],
                                 "town_name": place, "pop": 400, "geometry": shapely.transform(
                                     strip, lambda xy: np.column_stack(to_geo.transform(xy[:, 0], xy[:, 1])))})
            else:
                seats.append({"code": code, "lon": seat_lon, "lat": seat_lat})
            villages.append({"code": code, "name": f"{place}{k}", "town": code[:9], "town_name": place,
                             "pop": 400, "geometry": polygon})
            road_m, clinic_m, fibre_m, water_m = distances
            # north: a 2 m road across the bearing, its middle the nearest point; the others
            # west, south and east, where nothing else lies near
            ends = to_geo.transform([-1.0, 1.0], [road_m, road_m])
            roads.append({"surface": "沥青", "geometry": shapely.LineString(np.column_stack(ends))})
            for items, (x, y), extra in ((clinics, (-clinic_m, 0), {"type": "村卫生室", "std": "是", "doctors": 1}),
                                         (fibre, (0, -fibre_m), {}), (water, (water_m, 0), {"radius": RADIUS_M})):
                plon, plat = to_geo.transform(x, y)
                items.append({"name": f"{place}{k}-{len(items)}", "lon": plon, "lat": plat, **extra})
    folder.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame(villages, crs=GEO).to_file(folder / "villages.gpkg", engine="pyogrio")
    gpd.GeoDataFrame(roads, crs=GEO).to_file(folder / "roads.gpkg", engine="pyogrio")
    water_frame = pd.DataFrame(water)
    gpd.GeoDataFrame(water_frame.drop(columns=["lon", "lat"]),
                     geometry=gpd.points_from_xy(water_frame["lon"], water_frame["lat"]),
                     crs=GEO).to_file(folder / "water.geojson", engine="pyogrio")
    for name, rows in (("seats", seats), ("clinics", clinics), ("fibre", fibre)):
        pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False, float_format="%.10f")
    profile = folder / "profile.toml"
    profile.write_text(PROFILE.format(crs=crs), encoding="utf-8")
    return profile


def expected() -> pd.DataFrame:
    rows = []
    for place, (_, _, codes) in PLACES.items():
        for code, (road, clinic, fibre, water) in zip(codes, (WITHIN, BEYOND)):
            within = road < 500
            rows.append({"village_code": code, "road_hardened_m": road, "clinic_nearest_m": clinic,
                         "fibre_nearest_m": fibre, "verdict": "meets" if within else "fails"})
    return pd.DataFrame(rows).set_index("village_code")


@pytest.fixture(scope="module")
def country(tmp_path_factory) -> Path:
    return write_country(tmp_path_factory.mktemp("china"))


@pytest.fixture(scope="module")
def result(country):
    return assess(load_profile(country))


def test_every_distance_is_the_geodesic_one_within_a_thousandth(result):
    v = result.villages.set_index("village_code")
    want = expected()
    for column in ("road_hardened_m", "clinic_nearest_m", "fibre_nearest_m"):
        got = v.loc[want.index, column].to_numpy()
        np.testing.assert_allclose(got, want[column].to_numpy(), rtol=1e-3, err_msg=column)


def test_every_verdict_is_right_at_the_edges_of_china(result):
    v = result.villages.set_index("village_code")
    want = expected()["verdict"]
    for standard in ("road", "clinic", "fibre", "water"):
        got = v.loc[want.index, f"{standard}_verdict"]
        assert got.to_dict() == want.to_dict(), standard


def test_each_county_is_measured_in_its_own_zone(result):
    zones = dict(zip(result.villages["village_code"], result.inputs.meridians))
    assert zones["653024101200"] == 75 and zones["653121100200"] == 75
    assert zones["230883100202"] == 135 and zones["232701100200"] == 123
    assert zones["460202198200"] == 111 and zones["530127102202"] == 102


def test_one_zone_for_the_country_is_wrong_by_several_percent_and_warned_of(tmp_path):
    # what "auto" used to do: one zone for everything (here the centre of China's, 105E)
    profile = write_country(tmp_path, crs="EPSG:4544")
    result = assess(load_profile(profile))
    v = result.villages.set_index("village_code")
    stretch = v.loc["653024101200", "road_hardened_m"] / WITHIN[0]
    assert stretch > 1.05   # Wuqia, 30 degrees west of 105E: 498 m shown as over 520 m
    assert v.loc["653024101200", "road_verdict"] == "fails"
    warned = [f for f in result.inputs.findings if f.check == "working_crs_stretch"]
    assert len(warned) == 1
    assert "project.working_crs" in str(warned[0]) and "%" in str(warned[0])


def test_a_stray_village_changes_no_other_village(tmp_path):
    before = assess(load_profile(write_country(tmp_path / "before", moved="530127102203")))
    after = assess(load_profile(write_country(tmp_path / "after", moved="530127102203", east_deg=60)))
    keep = before.villages["village_code"] != "530127102203"
    columns = [c for c in before.villages.columns if c.endswith(("_m", "_verdict", "_reason"))]
    pd.testing.assert_frame_equal(pd.DataFrame(after.villages.loc[keep, columns]),
                                  pd.DataFrame(before.villages.loc[keep, columns]))
    # shares are decided in the run's one working CRS (the median village's zone, which the
    # stray moves here, 16 villages being few): a ratio of areas, the same to 1e-4
    shares = [c for c in before.villages.columns if c.endswith("_share")]
    pd.testing.assert_frame_equal(pd.DataFrame(after.villages.loc[keep, shares]),
                                  pd.DataFrame(before.villages.loc[keep, shares]), check_exact=False, rtol=1e-4)
    assert len(after.villages) == len(before.villages)
    stray = after.villages.set_index("village_code").loc["530127102203"]
    assert stray["road_verdict"] == "fails"   # 60 degrees from any road


def test_overlaps_are_measured_on_the_ground_far_from_the_checks_zone(tmp_path):
    result = assess(load_profile(write_country(tmp_path, overlap=True)))
    assert result.inputs.crs.to_epsg() == 4543   # the checks' one zone: 102E, 27 degrees from Wuqia
    found = [f for f in result.inputs.findings if f.check == "overlap"]
    assert len(found) == 1 and OVERLAPPING in str(found[0])
    area = float(str(found[0]).split("overlap by ")[1].split(" m²")[0].replace(",", ""))
    assert abs(area / OVERLAP_M2 - 1) < 1e-3, area   # that zone alone would say 14 % more


def test_run_json_names_the_zones(country, tmp_path):
    from click.testing import CliRunner

    from cli import main
    out = tmp_path / "out"
    outcome = CliRunner().invoke(main, ["-qq", "run", str(country), "-o", str(out), "--no-maps"])
    assert outcome.exit_code == 0, outcome.output
    zones = json.loads((out / "run.json").read_text(encoding="utf-8"))["measuring_zones"]
    assert sum(zones.values()) == 16 and len(zones) == 7
    assert zones["EPSG:4534"] == 4   # Wuqia and Kashgar: CGCS2000 3-degree zone 75E


def test_the_distributed_run_measures_in_the_same_zones(country, result):
    from layers import distributed
    theirs = distributed.assess_distributed(load_profile(country), workers=2, processes=False).villages
    columns = [c for c in result.villages.columns if c.endswith(("_m", "_verdict", "_reason"))]
    pd.testing.assert_frame_equal(pd.DataFrame(theirs[columns]), pd.DataFrame(result.villages[columns]),
                                  check_exact=False, rtol=1e-9)


def test_the_villages_keep_their_coordinates_as_read(country, result):
    # measured in seven zones, written back in degrees exactly as read: no projection there and back
    read = gpd.read_file(country.parent / "villages.gpkg")
    assert CRS(result.villages.crs).equals(read.crs)
    assert shapely.equals_exact(result.villages.geometry.to_numpy(), read.geometry.to_numpy(), tolerance=0).all()


def test_the_villages_as_read_are_held_as_wkb_while_measured(country):
    # 16.7 bytes a vertex against GEOS's 26.6: what keeps a national run within 6 GB
    from layers.inputs import load_inputs
    inputs = load_inputs(load_profile(country))
    read = gpd.read_file(country.parent / "villages.gpkg")
    assert all(isinstance(wkb, bytes) for wkb in inputs.villages_as_read)
    assert shapely.equals_exact(inputs.as_read(), read.geometry.to_numpy(), tolerance=0).all()
