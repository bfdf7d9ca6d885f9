"""The bundled sample county: its generator is deterministic, the shipped files are exactly
what it writes (period 1, period 2 in 2026/, the optional standards' files of both, the
filled-in ledger of period 1), and the data holds the real names and codes and the deliberate
cases."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook

from layers.profile import load_profile
from layers.sample import SAMPLE_DIR, generate, profile_path

METRIC = "EPSG:4544"       # the generator's construction CRS
UTM = "EPSG:32648"         # what working_crs = "auto" picks for this county
PERIOD = ["villages.gpkg", "seats.csv", "roads.shp", "roads.shx", "roads.dbf", "roads.prj", "water.geojson",
          "clinics.csv", "coverage.fgb", "fibre.xlsx", "profile.toml", "cases.json"]
PLUGINS = ["schools.csv", "housing.csv", "transformers.csv", "power_lines.gpkg", "towns.csv", "bus_stops.csv",
           "post.csv", "profile_all.toml"]   # plugins.py
GENERATED = [*PERIOD, *PLUGINS, "2026", "ledger_2025.xlsx", "ledger_cases.json"]
GENERATED_2026 = [*PERIOD, *PLUGINS, "code_changes.csv"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    generate.write(generate.build(), first)
    generate.main(["--out", str(second)])
    return first, second


def read_all(folder: Path) -> dict[str, object]:
    """Every generated file read back the way covermap reads it (GDAL), plus the raw tables."""
    return {
        "villages": gpd.read_file(folder / "villages.gpkg", layer="villages"),
        "seats": pd.read_csv(folder / "seats.csv", dtype={"village_code": str}),
        "roads": gpd.read_file(folder / "roads.shp", encoding="GBK"),
        "water": gpd.read_file(folder / "water.geojson"),
        "clinics": pd.read_csv(folder / "clinics.csv", dtype={"standardized": str}),
        "coverage": gpd.read_file(folder / "coverage.fgb"),
        "fibre": pyogrio.read_dataframe(folder / "fibre.xlsx", layer="fibre", read_geometry=False),
        "profile": tomllib.loads((folder / "profile.toml").read_text(encoding="utf-8")),
        "cases": json.loads((folder / "cases.json").read_text(encoding="utf-8")),
    }


def read_period2(folder: Path) -> dict[str, object]:
    return {**read_all(folder / "2026"),
            "codes": pd.read_csv(folder / "2026" / "code_changes.csv", dtype=str)}


def read_ledger(folder: Path) -> dict[str, object]:
    """The ledger by its cells' values, sheet by sheet (openpyxl stamps times into the file,
    so its bytes differ from one build to the next), with its filters and hidden rows; the
    caption's covermap version left out."""
    book = load_workbook(folder / "ledger_2025.xlsx")
    sheets = {}
    for ws in book:
        cells = [[re.sub(r"covermap \S+", "covermap *", v) if isinstance(v, str) else v for v in row]
                 for row in ws.iter_rows(values_only=True)]
        hidden = sorted(r for r, d in ws.row_dimensions.items() if d.hidden)
        filters = [(f.colId, f.filters.filter) for f in ws.auto_filter.filterColumn]
        sheets[ws.title] = (cells, ws.auto_filter.ref, filters, hidden)
    return {"sheets": sheets,
            "cases": json.loads((folder / "ledger_cases.json").read_text(encoding="utf-8"))}


def assert_same(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key in left:
        a, b = left[key], right[key]
        if isinstance(a, gpd.GeoDataFrame):
            assert a.crs == b.crs, key
            pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                          pd.DataFrame(b.drop(columns="geometry")), check_exact=False, atol=1e-6)
            ga, gb = shapely.normalize(a.geometry.to_numpy()), shapely.normalize(b.geometry.to_numpy())
            tolerance = 1e-7 if a.crs.is_geographic else 0.01
            same = shapely.equals_exact(ga, gb, tolerance=tolerance) | (shapely.is_missing(ga) & shapely.is_missing(gb))
            assert same.all(), f"{key}: rows {np.flatnonzero(~same)[:5]} differ"
        elif isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=False, atol=1e-7, obj=key)
        else:
            assert a == b, key


def test_generator_is_deterministic(runs):
    first, second = runs
    assert sorted(p.name for p in first.iterdir()) == sorted(GENERATED)
    assert sorted(p.name for p in (first / "2026").iterdir()) == sorted(GENERATED_2026)
    assert_same(read_all(first), read_all(second))
    assert_same(read_period2(first), read_period2(second))
    assert read_ledger(first) == read_ledger(second)


def test_shipped_files_equal_the_generator_output(runs):
    """If this fails, rerun `python -m layers.sample.generate` and commit the result."""
    assert_same(read_all(runs[0]), read_all(SAMPLE_DIR))
    assert_same(read_period2(runs[0]), read_period2(SAMPLE_DIR))


def test_shipped_ledger_equals_the_generator_output(runs):
    """Every cell of every sheet of ledger_2025.xlsx, and ledger_cases.json. If this fails,
    rerun `python -m layers.sample.generate` (the workbook is covermap's own: a change to
    layers/workbook.py changes it) and commit the result."""
    built, shipped = read_ledger(runs[0]), read_ledger(SAMPLE_DIR)
    assert built["cases"] == shipped["cases"]
    assert built["sheets"].keys() == shipped["sheets"].keys()
    for title in built["sheets"]:
        assert built["sheets"][title] == shipped["sheets"][title], title


def test_shipped_sample_is_small_and_has_no_cpg():
    files = [p for p in SAMPLE_DIR.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert sum(p.stat().st_size for p in files) < 3_000_000
    assert not (SAMPLE_DIR / "roads.cpg").exists()   # GBK text without .cpg; the profile names the encoding
    assert not (SAMPLE_DIR / "2026" / "roads.cpg").exists()


def test_profile_reads_every_file():
    profile = load_profile(profile_path())
    assert profile.name == "望谟县（示例）"
    assert profile.working_crs is None
    assert all(source.path.is_file() for source in profile.sources())
    assert {s.key for s in profile.sources()} == {"villages", "seats", "roads", "water", "clinics",
                                                   "network.coverage", "network.fibre"}
    rules = profile.standards
    assert (rules.roads.max_distance_m, rules.roads.min_width_m) == (500, 4.5)
    assert rules.water.min_share == 0.5
    assert (rules.clinics.share_max_population, rules.clinics.share_max_distance_m) == (600, 2500)
    assert (rules.network.min_share, rules.network.fibre_max_distance_m) == (0.9, 1000)
    assert profile.as_of.isoformat() == "2025-12-31"


def test_period2_profile_reads_its_files_with_period1_standards():
    first, second = load_profile(profile_path()), load_profile(SAMPLE_DIR / "2026" / "profile.toml")
    assert second.as_of.isoformat() == "2026-11-30"
    assert second.standards == first.standards          # closed gaps are fixes, not changed limits
    assert second.name == first.name and second.working_crs is None
    folder = (SAMPLE_DIR / "2026").resolve()
    assert all(source.path.is_file() and source.path.resolve().parent == folder for source in second.sources())


@pytest.fixture(scope="module")
def shipped():
    return read_all(SAMPLE_DIR)


def case(cases: list[dict], name: str) -> dict:
    return next(c for c in cases if c["case"] == name)


def test_villages_are_the_real_units_of_wangmo(shipped):
    villages = shipped["villages"]
    divisions = pd.read_csv(SAMPLE_DIR / "wangmo_divisions.csv", dtype=str)
    assert len(villages) == len(divisions) == 171
    assert divisions["town_code"].nunique() == 16
    pd.testing.assert_frame_equal(
        villages[["village_code", "village_name", "town_code", "town_name"]].astype(str).reset_index(drop=True),
        divisions.sort_values("village_code", ignore_index=True).astype(str), check_dtype=False)
    assert villages["village_code"].str.fullmatch(r"522326\d{6}").all()
    assert villages.crs.to_epsg() == 4490
    assert villages.geometry.isna().sum() == 1
    assert (villages.geom_type == "MultiPolygon").any()
    assert villages.geometry.dropna().is_valid.all()
    assert shapely.coverage_is_valid(villages.geometry.dropna().to_numpy())   # neighbours share edges exactly
    county = shapely.union_all(villages.geometry.dropna().to_numpy())
    assert county.geom_type == "Polygon" and len(county.interiors) == 1      # the only hole: the undrawn village
    undrawn = villages.loc[villages.geometry.isna(), "village_code"].item()
    assert undrawn == case(shipped["cases"], "no_geometry")["code"]
    assert undrawn not in set(shipped["seats"]["village_code"])
    assert len(shipped["seats"]) == 160   # 10 villages rely on their polygon, the undrawn one has nothing


@pytest.mark.parametrize("crs", ["EPSG:4490", UTM])
def test_boundary_clinic_lies_on_exactly_two_villages(shipped, crs):
    villages = shipped["villages"].to_crs(crs)
    table = pyogrio.read_dataframe(SAMPLE_DIR / "clinics.csv", read_geometry=False)   # as covermap reads it
    points = gpd.GeoSeries(gpd.points_from_xy(pd.to_numeric(table["lon"]), pd.to_numeric(table["lat"])),
                           crs="EPSG:4490").to_crs(crs)
    clinic, village = shapely.STRtree(villages.geometry.to_numpy()).query(points.to_numpy(), predicate="intersects")
    hits = pd.Series(village).groupby(clinic).apply(list)
    on_boundary = hits[hits.map(len) > 1]
    assert len(on_boundary) == 1 and len(on_boundary.iloc[0]) == 2
    codes = sorted(villages["village_code"].iloc[on_boundary.iloc[0]])
    cases = shipped["cases"]
    assert codes == [case(cases, "clinic_boundary_low")["code"], case(cases, "clinic_boundary_high")["code"]]


def test_near_misses_are_built_at_their_distances(shipped):
    """Seat to nearest hardened road / qualifying clinic / fibre point, and water shares."""
    v = shipped["villages"].to_crs(METRIC).set_index("village_code")
    seats = shipped["seats"]
    seat = gpd.GeoSeries(gpd.points_from_xy(seats.lon, seats.lat), index=seats.village_code,
                         crs="EPSG:4490").to_crs(METRIC)
    roads, clinics, fibre = shipped["roads"], shipped["clinics"], shipped["fibre"]
    targets = {
        "road": roads.geometry[roads["surface"].isin(["沥青", "水泥"])],
        "clinic": gpd.GeoSeries(gpd.points_from_xy(clinics.lon, clinics.lat), crs="EPSG:4490").to_crs(METRIC)[
            (clinics["type"] == "村卫生室") & (clinics["standardized"] == "是") & (clinics["doctors"] >= 1)],
        "fibre": gpd.GeoSeries(gpd.points_from_xy(fibre.lon, fibre.lat), crs="EPSG:4490").to_crs(METRIC),
    }
    built = [c for c in shipped["cases"] if "built_m" in c]
    assert sorted(c["built_m"] for c in built) == [480, 520, 950, 1050, 2400, 2600]
    for c in built:
        distance = shapely.union_all(targets[c["standard"]].to_numpy()).distance(seat[c["code"]])
        assert distance == pytest.approx(c["built_m"], abs=0.05), c["case"]
    water = shipped["water"].to_crs(METRIC)
    areas = np.where(water.geom_type == "Point", water.buffer(water["radius_m"].fillna(0)), water.geometry)
    served = shapely.union_all(areas)
    for c in (c for c in shipped["cases"] if "built_share" in c):
        polygon = v.geometry[c["code"]]
        assert polygon.intersection(served).area / polygon.area == pytest.approx(c["built_share"], abs=1e-4)
        assert c["code"] not in set(seats.village_code)


def test_every_standard_has_every_verdict_among_the_cases(shipped):
    expected = pd.DataFrame(shipped["cases"]).groupby("standard")["expect"].agg(set)
    tiers = {"road": 4, "water": 4, "clinic": 3, "net4g": 4, "fibre": 2}   # clinic and fibre have no basic tier
    for standard, count in tiers.items():
        assert len(expected[standard]) == count, standard
    assert expected["all"] == {"no_data"}   # and the undrawn village gives no_data for fibre
