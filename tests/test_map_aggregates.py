"""A run over several counties (maps/aggregates.py): its overview and bureau maps draw one
polygon per township (per county above AGGREGATE_TOWNSHIPS_MAX townships), counted from the
village table and linking to the county's map, instead of every village; a single-county run
keeps its village maps. Counts here are computed again from the villages, not by the code
under test."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from benchmarks.map_benchmark import county
from maps import make_options, write_atlas
from maps.aggregates import AGGREGATE_TOWNSHIPS_MAX
from maps.styles import AREA_STYLES

STANDARDS = ("road", "water", "clinic", "net4g", "fibre")
BUREAUS = {"transport": ("road",), "water": ("water",), "health": ("clinic",), "telecom": ("net4g", "fibre")}
BAD_NAME = "<img src=x onerror=alert(1)>"


def province(n: int = 600, seed: int = 11) -> gpd.GeoDataFrame:
    """The synthetic county of benchmarks/map_benchmark.py (25 townships on a 5 x 5 grid) made
    five counties, one per grid row: county 5201RR, township 5201RR1CC."""
    villages = county(n, seed)
    town = villages["township_code"].str[6:].astype(int) - 101
    row, col = town // 5, town % 5
    counties = [f"5201{r:02d}" for r in row]
    villages["township_code"] = [f"{c}1{k:02d}" for c, k in zip(counties, col)]
    villages["village_code"] = [f"{t}{i:03d}" for i, t in enumerate(villages["township_code"])]
    villages.loc[villages["township_code"] == "520100100", "township_name"] = BAD_NAME
    return villages


def embedded(html: str) -> list[dict]:
    return [json.loads(data) for data in re.findall(r"\n\s*geo_json_\w+_add\((\{.*\})\);", html)]


def app_config(html: str) -> dict:
    return json.loads(re.search(r"covermapApp\([^,]+, \[[^\]]*\], \w+, (\{.*\})\);", html).group(1))


def expected(villages: pd.DataFrame, by: pd.Series, keys: tuple[str, ...]) -> pd.DataFrame:
    """Per area: villages, failing at least one of ``keys``, failing each key, share class."""
    fails = villages[[f"{key}_verdict" for key in keys]] == "fails"
    table = pd.DataFrame({"area": by.to_numpy(), "counted": fails.any(axis=1).to_numpy()})
    for key in keys:
        table[key] = (villages[f"{key}_verdict"] == "fails").to_numpy()
    out = table.groupby("area").agg(villages=("counted", "size"), counted=("counted", "sum"),
                                    **{key: (key, "sum") for key in keys})
    share = out["counted"] / out["villages"]
    out["share_class"] = np.where(out["counted"] == 0, "none", np.where(share <= 0.10, "le10", np.where(
        share <= 0.25, "le25", np.where(share <= 0.50, "le50", np.where(share <= 0.75, "le75", "gt75")))))
    return out


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    villages = province()
    folder = tmp_path_factory.mktemp("aggregates")
    write_atlas(villages, None, folder, make_options(lang="en"), title="Province", township_maps_above=0)
    return villages, folder


def test_the_unit_switch_is_one_named_constant():
    assert AGGREGATE_TOWNSHIPS_MAX == 5000


def test_overview_has_one_feature_per_township_with_its_counts(atlas):
    villages, folder = atlas
    html = (folder / "map.html").read_text(encoding="utf-8")
    collections = embedded(html)
    assert len(collections) == 1  # the areas alone: no village layer, no fails layers
    features = {f["id"]: f for f in collections[0]["features"]}
    want = expected(villages, villages["township_code"], STANDARDS)
    assert sorted(features) == sorted(want.index) and len(features) == 25
    for code, row in want.iterrows():
        p = features[code]["properties"]
        assert (p["villages"], p["counted"]) == (row["villages"], row["counted"]), code
        assert p["fails"] == {key: int(row[key]) for key in STANDARDS}, code
        assert p["share_class"] == row["share_class"], code
        assert p["county"] == code[:6] and p["href"] == f"counties/{code[:6]}.html"
    assert features["520100100"]["properties"]["name"] == BAD_NAME
    assert features["520101102"]["properties"]["name"] == villages.loc[
        villages["township_code"] == "520101102", "township_name"].iloc[0]
    # no village is drawn or even named on the page
    assert not any(code in html for code in villages["village_code"].iloc[::37])
    config = app_config(html)
    assert config["areas"]["unit"] == "township" and config["areas"]["keys"] == list(STANDARDS)
    assert config["townships"]["features"] == [] and config["fill"] == []
    # the legend counts townships per share class and villages per failed standard
    legend = dict(re.findall(r'data-share="(\w+)" data-count="(\d+)"', html))
    counts = want["share_class"].value_counts()
    assert {key: int(value) for key, value in legend.items()} == {
        key: int(counts.get(key, 0)) for key in AREA_STYLES}
    for key in STANDARDS:
        assert f'data-standard="{key}" data-count="{int((villages[f"{key}_verdict"] == "fails").sum())}"' in html


def test_each_township_polygon_covers_its_villages(atlas):
    villages, folder = atlas
    page = (folder / "map.html").read_text("utf-8")
    features = {f["id"]: shape(f["geometry"]) for f in embedded(page)[0]["features"]}
    points = villages.geometry.representative_point().to_crs("EPSG:4326")
    inside = [features[code].buffer(0.002).contains(point) for code, point in zip(villages["township_code"], points)]
    assert all(inside)


def test_bureau_maps_count_villages_failing_any_of_their_standards(atlas):
    villages, folder = atlas
    for bureau, keys in BUREAUS.items():
        html = (folder / f"map_{bureau}.html").read_text(encoding="utf-8")
        features = {f["id"]: f["properties"] for f in embedded(html)[0]["features"]}
        want = expected(villages, villages["township_code"], keys)
        for code, row in want.iterrows():
            assert features[code]["counted"] == row["counted"] and features[code]["share_class"] == row["share_class"]
            assert features[code]["fails"] == {key: int(row[key]) for key in keys}
        panel = app_config(html)["panel"]["items"]
        for key in keys:  # the townships with failing villages, most first, then by code
            listed = [(item["code"], int(item["reason"].split()[0])) for item in panel if item["standard"] == key]
            failing = want[want[key] > 0]
            assert listed == sorted(zip(failing.index, failing[key].astype(int)), key=lambda t: (-t[1], t[0]))


def test_index_links_the_overview_the_bureau_maps_and_every_county(atlas):
    villages, folder = atlas
    index = (folder / "index.html").read_text(encoding="utf-8")
    counties = sorted(villages["village_code"].str[:6].unique())
    assert re.findall(r'href="([^"]+)"', index) == [
        "map.html", "map_transport.html", "map_water.html", "map_health.html", "map_telecom.html"] + [
        f"counties/{code}.html" for code in counties]
    for code in counties:  # each county map still draws its own villages
        page = (folder / "counties" / f"{code}.html").read_text(encoding="utf-8")
        drawn = {f["id"] for f in embedded(page)[0]["features"]}
        assert drawn == set(villages.loc[villages["village_code"].str[:6] == code, "village_code"])


def test_names_from_the_data_are_never_markup(atlas):
    _, folder = atlas
    for path in folder.rglob("*.html"):
        assert "<img src=x" not in path.read_text(encoding="utf-8"), path


def test_above_the_threshold_the_areas_are_counties(tmp_path):
    villages = province()
    townships = villages.dissolve("township_code").reset_index()[["township_code", "geometry"]]
    write_atlas(villages, None, tmp_path, make_options(lang="en"), township_maps_above=0,
                township_frame=townships, aggregate_townships_max=24)  # 25 townships: one too many
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    features = {f["id"]: f for f in embedded(html)[0]["features"]}
    by_county = villages["village_code"].str[:6]
    want = expected(villages, by_county, STANDARDS)
    assert sorted(features) == sorted(want.index) and len(features) == 5
    for code, row in want.iterrows():
        p = features[code]["properties"]
        assert (p["villages"], p["counted"], p["share_class"]) == (row["villages"], row["counted"], row["share_class"])
        assert p["name"] == f"County {code}" and p["href"] == f"counties/{code}.html"
        # the county's shape is its townships' union: same area, to the simplification
        union = shapely.union_all(villages[by_county == code].to_crs("EPSG:4326").geometry.values)
        outline = shape(features[code]["geometry"])
        assert abs(outline.area - union.area) / union.area < 0.01, code
    assert app_config(html)["areas"]["unit"] == "county"
    assert "Counties: share of villages failing at least one standard" in html


def test_the_township_frame_shapes_the_areas(tmp_path):
    """Given (as the pipeline's Result.townships), its shapes are drawn, not the villages' union."""
    villages = province(200)
    codes = sorted(villages["township_code"].unique())
    squares = gpd.GeoDataFrame({"township_code": codes},
                               geometry=[shapely.box(104 + i * 0.1, 26, 104.09 + i * 0.1, 26.09) for i in range(25)],
                               crs="EPSG:4326")
    write_atlas(villages, None, tmp_path, make_options(lang="en"), township_frame=squares)
    page = (tmp_path / "map.html").read_text("utf-8")
    features = {f["id"]: shape(f["geometry"]) for f in embedded(page)[0]["features"]}
    for i, code in enumerate(codes):
        assert features[code].equals_exact(shapely.box(104 + i * 0.1, 26, 104.09 + i * 0.1, 26.09), 1e-5)


def test_a_township_without_any_boundary_is_counted_not_drawn(tmp_path):
    villages = province(200)
    lost = villages["township_code"] == "520102103"
    villages.loc[lost, "geometry"] = None
    write_atlas(villages, None, tmp_path, make_options(lang="en"))
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert "520102103" not in {f["id"] for f in embedded(html)[0]["features"]}
    assert 'data-undrawn-areas="1"' in html
    legend = re.findall(r'data-share="\w+" data-count="(\d+)"', html)
    assert sum(map(int, legend)) == 25  # still counted in its class
    assert f'{len(villages)} villages' in html


def test_a_single_county_run_still_draws_every_village(tmp_path):
    villages = county(300, seed=5)  # one county: 520000
    write_atlas(villages, None, tmp_path, make_options(lang="en"), township_maps_above=10_000)
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    collections = embedded(html)
    assert {f["id"] for f in collections[0]["features"]} == set(villages["village_code"])
    assert len(collections) == 1 + len(STANDARDS)  # villages, then one fails layer per standard
    assert app_config(html)["areas"] is None
    assert not (tmp_path / "counties").exists()
    bureau = (tmp_path / "map_health.html").read_text(encoding="utf-8")
    assert {f["id"] for f in embedded(bureau)[0]["features"]} == set(villages["village_code"])


# ---------------------------------------------------------------- in chromium, network cut off

def _open(page, path) -> None:
    """Load an aggregate map and wait until its 25 townships are indexed."""
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("() => window.covermap && Object.keys(covermap.index).length === 25")


def _screen(page, lat: float, lon: float) -> tuple[float, float]:
    return tuple(page.evaluate("""([lat, lon]) => {
        const map = covermap.map, p = map.latLngToContainerPoint([lat, lon]);
        const box = map.getContainer().getBoundingClientRect(); return [box.left + p.x, box.top + p.y]; }""",
                               [lat, lon]))


@pytest.mark.browser
def test_in_chromium_an_area_answers_hover_click_search_and_links_its_county(atlas, offline_page):
    villages, folder = atlas
    page = offline_page.page
    _open(page, folder / "map.html")
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 25
    feature = next(f for f in embedded((folder / "map.html").read_text("utf-8"))[0]["features"]
                   if f["id"] == "520103102")
    point = shape(feature["geometry"]).representative_point()
    want = expected(villages, villages["township_code"], STANDARDS).loc["520103102"]
    name = villages.loc[villages["township_code"] == "520103102", "township_name"].iloc[0]

    page.mouse.move(*_screen(page, point.y, point.x))
    tip = page.wait_for_selector(".covermap-tip")
    assert tip.inner_text().splitlines()[0] == name
    assert f"Villages: {want['villages']}" in tip.inner_text()

    page.mouse.click(*_screen(page, point.y, point.x))
    popup = page.wait_for_selector('.covermap-popup[data-code="520103102"]')
    assert popup.query_selector("h4").inner_text() == name
    cells = {row.get_attribute("data-count"): row.query_selector("td").inner_text()
             for row in popup.query_selector_all("tr")}
    share = round(100 * want["counted"] / want["villages"])
    assert cells["villages"] == str(want["villages"]) and cells["counted"] == f"{want['counted']} ({share}%)"
    assert {key: int(cells[key]) for key in STANDARDS} == {key: int(want[key]) for key in STANDARDS}
    link = popup.query_selector("a.covermap-county-link")
    assert link.get_attribute("href") == "counties/520103.html"
    # the colour is the share class's
    fill = page.evaluate("code => covermap.index[code].options.fillColor", "520103102")
    assert fill == AREA_STYLES[want["share_class"]]["fillColor"]

    # the name from the data is text, never markup
    page.evaluate("code => covermap.zoomTo(code)", "520100100")
    bad = page.wait_for_selector('.covermap-popup[data-code="520100100"]')
    assert bad.query_selector("h4").inner_text() == BAD_NAME and page.locator(".covermap-popup img").count() == 0

    # search finds a township by name and opens it
    search = page.locator(".covermap-search input")
    search.fill(name)
    page.locator('.covermap-search li[data-code="520103102"]').click()
    page.wait_for_selector('.covermap-popup[data-code="520103102"]')

    # the link opens the county's own map, which draws its villages
    page.locator('.covermap-popup[data-code="520103102"] a.covermap-county-link').click()
    page.wait_for_url("**/counties/520103.html")
    page.wait_for_function("() => window.covermap && Object.keys(covermap.index).length > 0")
    assert page.evaluate("() => Object.keys(covermap.index).length") == int(
        (villages["village_code"].str[:6] == "520103").sum())
    assert offline_page.problems() == []


# ---------------------------------------------------------------- a whole run, as `covermap run` makes it

def test_a_run_over_several_counties_maps_the_pipeline_townships(tmp_path):
    """make_country's first 600 villages (real division codes, several counties), run by the CLI:
    the overview's townships carry the counts of townships.csv (the pipeline's own summary)
    and the shapes of its township table (Result.townships)."""
    from pathlib import Path

    from click.testing import CliRunner

    from benchmarks.make_country import make_country
    from cli import main

    make_country(tmp_path / "in", 600, seed=5, divisions=Path(__file__).parent / "data" / "divisions")
    result = CliRunner().invoke(main, ["-q", "run", str(tmp_path / "in" / "profile.toml"), "-o", str(tmp_path / "out"),
                                       "--lang", "en"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    summary = pd.read_csv(out / "townships.csv", dtype={"township_code": str}, encoding="utf-8-sig")
    villages = pd.read_csv(out / "villages.csv", dtype={"village_code": str}, encoding="utf-8-sig")
    assert villages["village_code"].str[:6].nunique() > 1
    html = (out / "map.html").read_text(encoding="utf-8")
    features = {f["id"]: f for f in embedded(html)[0]["features"]}
    assert sorted(features) == sorted(summary["township_code"])
    for code, total, gaps in zip(summary["township_code"], summary["villages"], summary["villages_with_gaps"]):
        assert (features[code]["properties"]["villages"], features[code]["properties"]["counted"]) == (total, gaps)
    shapes = gpd.read_file(out / "coverage.gpkg", layer="townships").to_crs("EPSG:4326").set_index("township_code")
    for code, feature in features.items():
        drawn, table = shape(feature["geometry"]), shapes.geometry[code]
        assert abs(drawn.area - table.area) / table.area < 0.05, code
    index = (out / "index.html").read_text(encoding="utf-8")
    for county_code in sorted(villages["village_code"].str[:6].unique()):
        assert f'href="counties/{county_code}.html"' in index and (out / "counties" / f"{county_code}.html").is_file()


def test_with_the_gaode_basemap_the_areas_shift_with_the_villages(tmp_path):
    """GCJ-02: the township polygons are shifted once, like the villages of the county maps."""
    villages = province(200)
    write_atlas(villages, None, tmp_path, make_options(lang="en", basemap="gaode"), township_maps_above=0)
    areas = {f["id"]: shape(f["geometry"]) for f in embedded((tmp_path / "map.html").read_text("utf-8"))[0]["features"]}
    for code in sorted(villages["village_code"].str[:6].unique()):
        page = (tmp_path / "counties" / f"{code}.html").read_text(encoding="utf-8")
        for feature in embedded(page)[0]["features"]:
            point = shape(feature["geometry"]).representative_point()
            township = villages.loc[villages["village_code"] == feature["id"], "township_code"].item()
            assert areas[township].buffer(0.0005).contains(point), feature["id"]
    plain = shapely.union_all(villages.to_crs("EPSG:4326").geometry.values)
    assert not shapely.union_all(list(areas.values())).buffer(0.001).contains(plain)  # shifted, not as read


@pytest.mark.browser
def test_in_chromium_a_bureau_panel_entry_opens_its_township(atlas, offline_page):
    villages, folder = atlas
    page = offline_page.page
    _open(page, folder / "map_telecom.html")
    want = expected(villages, villages["township_code"], BUREAUS["telecom"])
    first = want[want["net4g"] > 0].sort_values("net4g", ascending=False, kind="stable").index[0]
    entry = page.locator(".covermap-panel li").first
    assert entry.get_attribute("data-code") == first
    entry.locator("a.name").click()
    popup = page.wait_for_selector(f'.covermap-popup[data-code="{first}"]')
    cells = {row.get_attribute("data-count"): row.query_selector("td").inner_text()
             for row in popup.query_selector_all("tr")}
    assert set(cells) == {"villages", "counted", "net4g", "fibre"}
    assert int(cells["net4g"]) == want.loc[first, "net4g"] and int(cells["fibre"]) == want.loc[first, "fibre"]
    assert cells["counted"].startswith(f"{want.loc[first, 'counted']} (")
    assert offline_page.problems() == []


def test_county_and_township_maps_take_the_villages_outlines_and_inputs_a_full_scan_takes():
    """County and township maps look their villages and outlines up in groups made once, and
    the inputs near them up in a spatial index: the rows, in order, that testing every
    village, outline and input gives."""
    from maps.coverage_map import _within_box, prepare

    villages = province()
    villages.loc[villages.index[::97], "township_code"] = None
    rng = np.random.default_rng(4)
    west, south, east, north = villages.total_bounds
    starts = rng.uniform([west - 5000, south - 5000], [east + 5000, north + 5000], (400, 2))
    lines = shapely.linestrings(np.stack([starts, starts + rng.uniform(-3000, 3000, (400, 2))], axis=1))
    lines[5] = None
    roads = gpd.GeoDataFrame({"hardened": [True] * len(lines), "surface": "asphalt", "name": "r"}, geometry=lines,
                             crs=villages.crs)
    prep = prepare(villages, {"roads": roads}, make_options(lang="en"), whole=False)
    table, frame = prep.villages, prep.frames["roads"]
    sizes = set()
    for kind, keys in (("county", table["village_code"].astype(str).str[:6]),
                       ("township", table["township_code"].astype(str))):
        assert keys.isna().sum() == (kind == "township") * len(villages.index[::97])
        for code in keys.dropna().unique():
            rows = prep.rows_of(kind, code)
            assert np.array_equal(rows, np.flatnonzero((keys == code).to_numpy())), (kind, code)
            own = [f for f in prep.townships["features"]
                   if (f["properties"]["code"][:6] if kind == "county" else f["properties"]["code"]) == code]
            assert prep.outlines_of(kind, code) == own, (kind, code)
            x0, y0, x1, y1 = table.iloc[rows].total_bounds
            near = _within_box(frame, (x0 - 0.02, y0 - 0.02, x1 + 0.02, y1 + 0.02))
            pd.testing.assert_frame_equal(near, frame.cx[x0 - 0.02:x1 + 0.02, y0 - 0.02:y1 + 0.02])
            sizes.add(len(near))
    assert len(prep.rows_of("county", "999999")) == 0 and prep.outlines_of("county", "999999") == []
    assert min(sizes) > 0 and max(sizes) < len(frame)     # each map takes some inputs, none takes all


def test_the_optional_standards_a_run_checked_are_counted_and_get_their_bureau_maps(tmp_path):
    """A run over several counties that checked school (教育局, a bureau of its own) and bus (the
    transport bureau's, beside road): the overview counts them, the education bureau has its
    map, the transport map counts villages failing road or bus, and the index links them."""
    import dataclasses

    from layers.mapdata import drawn
    from layers.standards import BY_KEY
    from maps.extra import from_plain

    villages = province()
    rng = np.random.default_rng(3)
    for key in ("school", "bus"):
        verdicts = rng.choice(["meets", "fails", "no_data", "not_applicable"], size=len(villages), p=[.5, .3, .1, .1])
        villages[f"{key}_verdict"] = verdicts
        villages[f"{key}_reason"] = [f"{key} {v}" for v in verdicts]
        villages[BY_KEY[key].value_column] = rng.uniform(0, 5000, len(villages))
    villages["bus_stop_name"] = "站"
    keys = (*STANDARDS, "school", "bus")
    villages["gap_count"] = (villages[[f"{key}_verdict" for key in keys]] == "fails").sum(axis=1)
    extra = tuple(from_plain(drawn(BY_KEY[key], None, "en")) for key in ("school", "bus"))
    options = dataclasses.replace(make_options(lang="en"), extra=extra)
    write_atlas(villages, None, tmp_path, options, title="Province", township_maps_above=0)

    overview = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert app_config(overview)["areas"]["keys"] == list(keys)
    want = expected(villages, villages["township_code"], keys)
    for feature in embedded(overview)[0]["features"]:
        assert feature["properties"]["fails"] == {key: int(want.at[feature["id"], key]) for key in keys}
        assert feature["properties"]["counted"] == want.at[feature["id"], "counted"]
    for key in ("school", "bus"):
        assert f'data-standard="{key}" data-count="{int((villages[f"{key}_verdict"] == "fails").sum())}"' in overview
    for bureau, its in (("education", ("school",)), ("transport", ("road", "bus"))):
        html = (tmp_path / f"map_{bureau}.html").read_text(encoding="utf-8")
        want = expected(villages, villages["township_code"], its)
        features = {f["id"]: f["properties"] for f in embedded(html)[0]["features"]}
        assert features and all(features[code]["counted"] == row["counted"] and
                                features[code]["fails"] == {key: int(row[key]) for key in its}
                                for code, row in want.iterrows())
        listed = {item["standard"] for item in app_config(html)["panel"]["items"]}
        assert listed == {key for key in its if want[key].sum() > 0}
    links = re.findall(r'href="([^"]+)"', (tmp_path / "index.html").read_text(encoding="utf-8"))
    assert links[:6] == ["map.html", "map_transport.html", "map_water.html", "map_health.html", "map_telecom.html",
                         "map_education.html"]
