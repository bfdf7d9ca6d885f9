"""Known-answer tests of maps/: six hand-drawn villages in UTM 48N whose classes, counts and
lon/lat corners are worked out on paper below. No browser: asserts on the folium objects and
on the rendered HTML."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from gis.errors import CRSError, DataError, OutputError
from maps import build_map, write_map
from maps.coverage_map import render
from maps.geojson import dumps
from maps.styles import checked_style

STANDARD_KEYS = ("road", "water", "clinic", "net4g", "fibre")
FAILS_NAMES = {key: f"Fails: {label}" for key, label in zip(
    STANDARD_KEYS, ("Hardened road", "Drinking water", "Village clinic", "4G coverage", "Fibre broadband"))}
OVERVIEW = "Villages by failed standards"

# code, name, township, verdicts (road, water, clinic, net4g, fibre), 1 km square's SW corner (UTM 48N)
# V1 green; V2 fails road+clinic -> orange; V3 no boundary, fails road+water+fibre -> red;
# V4 all no_data -> grey; V5 fails road -> yellow, name with HTML characters; V6 green with a no_data.
VILLAGES = [
    ("520101001001", "甲村", "一镇", ("meets", "meets", "meets", "meets", "meets"), (500_000, 2_900_000)),
    ("520101001002", "乙村", "一镇", ("fails", "basic", "fails", "meets", "meets"), (501_000, 2_900_000)),
    ("520101001003", "丙村", "一镇", ("fails", "fails", "meets", "no_data", "fails"), None),
    ("520101002001", "丁村", "二镇", ("no_data",) * 5, (500_000, 2_901_000)),
    ("520101002002", "戊<b>&村", "二镇", ("fails", "meets", "basic", "meets", "meets"), (501_000, 2_901_000)),
    ("520101002003", "己村", "二镇", ("meets", "meets", "meets", "no_data", "basic"), (502_000, 2_900_000)),
]
DRAWN = {"520101001001", "520101001002", "520101002001", "520101002002", "520101002003"}
# (500000, 2900000) in UTM 48N lies on the central meridian 105°E; latitude from PROJ, rounded.
SW_CORNER_V1 = (105.0, 26.219568)
SW_CORNER_V5 = (105.010012, 26.228597)  # (501000, 2901000)
LIMITS = {"road_max_distance_m": 500.0, "water_min_share": 0.5, "net4g_min_share": 0.9, "fibre_max_distance_m": 1000.0}


def sample_villages(crs="EPSG:32648") -> gpd.GeoDataFrame:
    rows = []
    for code, name, township, verdicts, corner in VILLAGES:
        row = {"village_code": code, "village_name": name, "township_code": code[:9],
               "township_name": township, "population": 800, "poor_population": np.nan,
               "seat_source": "polygon" if corner else "none",
               "gap_count": verdicts.count("fails"), "no_data_count": verdicts.count("no_data"),
               "road_hardened_m": np.nan, "water_share": 0.5, "water_project": "WP-1", "clinic_count": 1,
               "clinic_nearest_m": 300.0, "net4g_share": np.nan, "fibre_nearest_m": 120.0}
        for key, verdict in zip(STANDARD_KEYS, verdicts):
            row[f"{key}_verdict"] = verdict
            row[f"{key}_reason"] = f"{key} is {verdict} in {name}"
        row["geometry"] = box(corner[0], corner[1], corner[0] + 1000, corner[1] + 1000) if corner else None
        rows.append(row)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def sample_infrastructure() -> dict[str, gpd.GeoDataFrame]:
    roads = gpd.GeoDataFrame(
        {"hardened": pd.array([True, False, None], dtype="boolean"),  # as layers/inputs.py gives it
         "surface": ["asphalt", "gravel", None], "name": ["X101", "Y202", None]},
        geometry=[LineString([(105.0, 26.22), (105.02, 26.22)]), LineString([(105.0, 26.225), (105.01, 26.23)]),
                  LineString([(105.01, 26.221), (105.02, 26.229)])],
        crs="EPSG:4490")  # CGCS2000 geographic
    water = gpd.GeoDataFrame({"name": ["Scheme A"]}, geometry=[box(500_100, 2_900_100, 501_500, 2_900_900)],
                             crs="EPSG:32648")
    clinics_lonlat = gpd.GeoSeries([Point(105.003, 26.221), Point(105.015, 26.2255)], crs="EPSG:4326")
    clinics = gpd.GeoDataFrame(
        {"name": ["甲村卫生室", "一镇卫生院"], "kind": ["village_clinic", "health_centre"],
         "qualifies": [True, False]},
        geometry=clinics_lonlat.to_crs("EPSG:4544"))  # CGCS2000 3-degree Gauss-Kruger, CM 105°E
    coverage = gpd.GeoDataFrame({"technology": []}, geometry=[], crs="EPSG:4326")  # empty: no layer
    return {"roads": roads, "water": water, "clinics": clinics, "coverage": coverage}


@pytest.fixture(scope="module")
def built():
    m = build_map(sample_villages(), sample_infrastructure(), title="<script>alert(1)</script> {{ 7*7 }} county",
                  lang="en", limits=LIMITS)
    return m, render(m)


def geojson_layers(m: folium.Map) -> dict[str, folium.GeoJson]:
    return {child.layer_name: child for child in m._children.values() if isinstance(child, folium.GeoJson)}


def codes(layer: folium.GeoJson) -> set[str]:
    return {feature["id"] for feature in layer.data["features"]}


def layer_data(layer: folium.GeoJson) -> dict:   # as written (geometries are text until then)
    return json.loads(dumps(layer.data))


def embedded_collections(html: str) -> dict[str, dict]:
    """Every GeoJSON the page adds to a layer, by the layer's JS variable name."""
    return {name: json.loads(data) for name, data in re.findall(r"\n\s*(geo_json_\w+)_add\((\{.*\})\);", html)}


def test_layer_names_in_the_map_and_the_layer_control(built):
    m, html = built
    expected = {OVERVIEW, *FAILS_NAMES.values(), "Roads: hardened", "Roads: not hardened",
                "Roads: surface not recorded", "Water service areas", "Clinics"}
    assert set(geojson_layers(m)) == expected  # coverage was empty, fibre not given
    control = html[html.index("overlays :"):]
    for name in expected:
        assert f'"{name}" :' in control
    assert "4G/5G coverage" not in html and "Fibre access points" not in html


def test_only_the_overview_is_shown_at_first(built):
    m, _ = built
    assert {name for name, layer in geojson_layers(m).items() if layer.show} == {OVERVIEW}


def test_overview_draws_every_village_with_a_boundary_keyed_by_code(built):
    m, html = built
    overview = geojson_layers(m)[OVERVIEW]
    assert len(overview.data["features"]) == len(DRAWN) == 5
    assert codes(overview) == DRAWN
    assert overview.feature_identifier == "feature.id"
    embedded = embedded_collections(html)[overview.get_name()]
    assert {feature["id"] for feature in embedded["features"]} == DRAWN


def test_fails_layers_hold_exactly_the_drawn_failing_villages(built):
    m, _ = built
    layers = geojson_layers(m)
    assert codes(layers[FAILS_NAMES["road"]]) == {"520101001002", "520101002002"}  # V3 fails too but has no boundary
    assert codes(layers[FAILS_NAMES["clinic"]]) == {"520101001002"}
    assert codes(layers[FAILS_NAMES["water"]]) == set()
    assert codes(layers[FAILS_NAMES["net4g"]]) == set()
    assert codes(layers[FAILS_NAMES["fibre"]]) == set()


def test_popup_evidence_for_every_standard(built):
    m, html = built
    v2 = next(f for f in geojson_layers(m)[OVERVIEW].data["features"] if f["id"] == "520101001002")
    rows = {row[0]: row[1:] for row in v2["properties"]["evidence"]}
    assert list(rows) == list(STANDARD_KEYS)
    # [measured (whole number, the page adds the unit), nearest facility, reason]
    assert rows["road"] == [None, "", "road is fails in 乙村"]  # distance not measured (NaN)
    assert rows["water"] == [50, "WP-1", "water is basic in 乙村"]  # share 0.5 as percent
    assert rows["clinic"] == [1, "", "clinic is fails in 乙村"]
    assert rows["fibre"] == [120, "", "fibre is meets in 乙村"]
    assert v2["properties"]["road_verdict"] == "fails"
    config = json.loads(re.search(r"covermapApp\([^,]+, \[[^\]]*\], \w+, (\{.*\})\);", html).group(1))
    assert config["limits"] == {"road": "≤ 500 m", "water": "≥ 50%", "clinic": "≥ 1 qualifying clinic",
                                "net4g": "≥ 90%", "fibre": "≤ 1,000 m"}
    assert config["measures"]["road"] == "{value} m" and config["measures"]["water"] == "{value}%"
    # the fails layers arrive as ids and are drawn from the overview's features
    assert config["fill"][0] == sorted(codes(geojson_layers(m)[FAILS_NAMES["road"]]))
    # the page script binds tooltips and popups to the overview and the fails layers
    layers = geojson_layers(m)
    call = re.search(r"covermapApp\((map_\w+), \[([^\]]*)\], (layer_control_\w+), ", html)
    assert call.group(2).split(", ") == [layers[name].get_name() for name in (OVERVIEW, *FAILS_NAMES.values())]
    assert '"verdict.fails":"fails"' in html


def test_chinese_is_the_default():
    m = build_map(sample_villages(), sample_infrastructure())
    names = set(geojson_layers(m))
    assert {"村庄（按不达标项数）", "不达标：硬化路", "不达标：饮水安全", "不达标：村卫生室", "不达标：4G覆盖",
            "不达标：光纤宽带", "硬化道路", "非硬化道路", "路面未记录的道路", "供水工程服务范围", "卫生室和卫生院"} == names
    html = m.get_root().render()
    for word in ("达标", "基本达标", "不达标", "无数据", "3项及以上不达标", "各标准不达标村数"):
        assert word in html


def test_bureau_map_shows_its_standards_and_inputs_and_lists_failing_villages():
    m = build_map(sample_villages(), sample_infrastructure(), lang="en", bureau="transport")
    layers = geojson_layers(m)
    assert set(layers) == {"Villages: Hardened road", "Fails: Hardened road", "Roads: hardened",
                           "Roads: not hardened", "Roads: surface not recorded"}
    assert all(layer.show for layer in layers.values())
    village = layers["Villages: Hardened road"]
    fill = {f["id"]: village.style_function(f)["fillColor"] for f in village.data["features"]}
    assert fill == {"520101001001": "#1a9641", "520101001002": "#d7191c", "520101002001": "#9e9e9e",
                    "520101002002": "#d7191c", "520101002003": "#1a9641"}
    html = m.get_root().render()
    config = json.loads(re.search(r"covermapApp\([^,]+, \[[^\]]*\], \w+, (\{.*\})\);", html).group(1))
    items = config["panel"]["items"]
    # all three road failures; equal (missing) poor population and population: lower code first
    assert [(item["code"], item["drawn"]) for item in items] == [
        ("520101001002", True), ("520101001003", False), ("520101002002", True)]
    assert items[2]["name"] == "戊<b>&村"  # plain text: the page inserts it with textContent
    assert config["panel"]["title"] == "Transport bureau: failing villages (priority order)"


def test_villages_coloured_by_class(built):
    m, _ = built
    overview = geojson_layers(m)[OVERVIEW]
    fill = {feature["id"]: overview.style_function(feature)["fillColor"] for feature in overview.data["features"]}
    assert fill == {"520101001001": "#1a9641", "520101002003": "#1a9641",  # green
                    "520101002002": "#ffd92f",  # yellow: one failed
                    "520101001002": "#fd8d3c",  # orange: two failed
                    "520101002001": "#9e9e9e"}  # grey: all no_data


def test_legend_counts_include_the_village_without_boundary(built):
    _, html = built
    counts = dict(re.findall(r'data-class="(\w+)" data-count="(\d+)"', html))
    assert counts == {"none": "2", "one": "1", "two": "1", "three": "1", "no_data": "1"}
    fails = dict(re.findall(r'data-standard="(\w+)" data-count="(\d+)"', html))
    assert fails == {"road": "3", "water": "1", "clinic": "1", "net4g": "0", "fibre": "1"}
    assert 'data-undrawn="1"' in html


def test_coordinates_are_lonlat_rounded_to_five_decimals(built):
    m, html = built
    drawn = layer_data(geojson_layers(m)[OVERVIEW])["features"]
    v1 = next(f for f in drawn if f["id"] == "520101001001")
    ring = np.asarray(v1["geometry"]["coordinates"][0])
    assert np.abs(ring - SW_CORNER_V1).max(axis=1).min() <= 5e-6
    v5 = next(f for f in drawn if f["id"] == "520101002002")
    assert np.abs(np.asarray(v5["geometry"]["coordinates"][0]) - SW_CORNER_V5).max(axis=1).min() <= 5e-6
    for collection in embedded_collections(html).values():
        for feature in collection["features"]:
            if feature["geometry"] is None:  # a fails layer: ids only, drawn from the overview's features
                continue
            values = np.asarray(_flatten(feature["geometry"]["coordinates"]))
            assert np.array_equal(values, np.round(values, 5))
            lon, lat = values[0::2], values[1::2]
            assert (lon > 104.99).all() and (lon < 105.04).all() and (lat > 26.21).all() and (lat < 26.24).all()


def test_infrastructure_from_other_crs_lands_in_place(built):
    m, _ = built
    layers = geojson_layers(m)
    clinics = {f["properties"]["name"]: f for f in layer_data(layers["Clinics"])["features"]}
    assert clinics["甲村卫生室"]["geometry"]["coordinates"] == pytest.approx([105.003, 26.221], abs=1e-5)
    assert clinics["一镇卫生院"]["properties"]["qualifies"] == "no"
    assert len(layers["Roads: hardened"].data["features"]) == 1
    assert [feature["properties"]["name"] for feature in layers["Roads: not hardened"].data["features"]] == ["Y202"]
    assert len(layers["Roads: surface not recorded"].data["features"]) == 1  # hardened unknown
    assert layer_data(layers["Roads: hardened"])["features"][0]["geometry"]["coordinates"][0] == [105.0, 26.22]


def test_clinics_coloured_by_whether_they_qualify(built):
    m, _ = built
    clinics = geojson_layers(m)["Clinics"]
    fill = {f["properties"]["name"]: clinics.style_function(f)["fillColor"] for f in clinics.data["features"]}
    assert fill == {"甲村卫生室": "#1b7837", "一镇卫生院": "#bdbdbd"}
    assert isinstance(clinics.marker, folium.CircleMarker)


def test_styles_are_checked_up_front():
    assert checked_style({"color": "#123abc", "weight": 2})["weight"] == 2
    with pytest.raises(ValueError, match="unknown Leaflet path option"):
        checked_style({"colour": "#123abc"})
    with pytest.raises(ValueError, match="not a #rrggbb colour"):
        checked_style({"fillColor": "red"})


def test_text_from_the_data_and_the_title_is_escaped(built):
    m, html = built
    v5 = next(f for f in geojson_layers(m)[OVERVIEW].data["features"] if f["id"] == "520101002002")
    assert v5["properties"]["village_name"] == "戊<b>&村"  # plain text, inserted with textContent
    assert "戊\\u003cb\\u003e\\u0026村" in html and "<b>&" not in html  # JSON-escaped in the page
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} county</title>" in html
    assert "<h4>&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} county</h4>" in html
    assert "<script>alert(1)" not in html and "49 county" not in html


def test_default_html_is_self_contained(built):
    _, html = built
    assert not re.search(r"<script[^>]*\bsrc=", html)
    assert not re.search(r"<link[^>]*\bhref=", html)
    assert 'version="1.9.4"' in html  # the inlined Leaflet
    assert "url(data:image/png;base64," in html and "url(images/" not in html
    assert "sourceMappingURL" not in html
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()
    assert "L.tileLayer" not in html


def test_online_html_links_leaflet_alone_and_a_basemap():
    html = build_map(sample_villages(), online=True).get_root().render()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert sources == ["https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"]
    links = re.findall(r'<link[^>]*\bhref="([^"]+)"', html)
    assert links == ["https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css"]
    assert "tile.openstreetmap.org" in html
    assert 'version="1.9.4"' not in html


def test_map_fits_the_villages(built):
    _, html = built
    bounds = json.loads(re.search(r"map_\w+\.fitBounds\(\s*(\[\[.*?\]\])", html, re.S).group(1))
    # south: V6's SE corner (503000, 2900000); west: V1 on 105°E; north: V4's NW corner (500000, 2902000);
    # east: V6's NE corner (503000, 2901000). Grid lines are curved in lon/lat, hence the four corners.
    assert bounds == [[pytest.approx(26.219565, abs=1e-6), pytest.approx(105.0, abs=1e-6)],
                      [pytest.approx(26.237627, abs=1e-6), pytest.approx(105.030035, abs=1e-6)]]


def test_frame_without_crs_is_a_crs_error():
    with pytest.raises(CRSError, match="villages: has no CRS") as caught:
        build_map(sample_villages().set_crs(None, allow_override=True))
    assert isinstance(caught.value, ValueError)
    infrastructure = sample_infrastructure()
    infrastructure["roads"] = infrastructure["roads"].set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"infrastructure\['roads'\]: has no CRS"):
        build_map(sample_villages(), infrastructure)


def test_every_problem_of_the_table_is_reported_together():
    villages = sample_villages()
    villages.loc[0, "water_verdict"] = "pass"
    villages.loc[3, "gap_count"] = 2
    with pytest.raises(DataError) as caught:
        build_map(villages, {"schools": villages})
    message = str(caught.value)
    assert "water_verdict is not one of meets, basic, fails, no_data, not_applicable for village(s) 520101001001" in message
    assert "gap_count differs" in message and "520101002001" in message
    with pytest.raises(DataError, match="unknown key 'schools'"):
        build_map(sample_villages(), {"schools": villages})
    with pytest.raises(DataError, match="missing column.*gap_count"):
        build_map(sample_villages().drop(columns="gap_count"))


def test_write_map(tmp_path):
    written = write_map(sample_villages(), None, tmp_path / "map.html", title="T")
    assert written == tmp_path / "map.html"
    assert written.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(OutputError, match="missing"):
        write_map(sample_villages(), None, tmp_path / "missing" / "map.html")


def _flatten(coords) -> list[float]:
    if isinstance(coords, (int, float)):
        return [coords]
    return [value for item in coords for value in _flatten(item)]


def test_township_outlines_dissolve_the_villages(built):
    m, html = built
    config = json.loads(re.search(r"covermapApp\([^,]+, \[[^\]]*\], \w+, (\{.*\})\);", html).group(1))
    townships = {f["properties"]["code"]: f for f in config["townships"]["features"]}
    assert set(townships) == {"520101001", "520101002"}
    assert townships["520101001"]["properties"]["name"] == "一镇"
    lon, lat = townships["520101002"]["properties"]["label"]
    assert 105.0 < lon < 105.031 and 26.219 < lat < 26.238
    assert config["minimap"] is None  # the overview's mini-map reuses the township outlines


def test_atlas_writes_relative_links_and_escapes_the_index(tmp_path):
    from maps import make_options, write_atlas

    villages = sample_villages()
    villages.loc[0, "township_name"] = "<b>一镇</b>"
    written = write_atlas(villages, None, tmp_path, make_options(lang="en"), title="<i>T</i>",
                          township_maps_above=5)  # six villages: township maps too
    names = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*.html"))
    assert names == ["index.html", "map.html", "map_health.html", "map_telecom.html", "map_transport.html",
                     "map_water.html", "townships/520101001.html", "townships/520101002.html"]
    assert len(written) == 7  # the townships folder counts once
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]+)"', index) == [
        "map.html", "map_transport.html", "map_water.html", "map_health.html", "map_telecom.html",
        "townships/520101001.html", "townships/520101002.html"]
    assert "&lt;b&gt;一镇&lt;/b&gt;" in index and "<b>" not in index and "&lt;i&gt;T&lt;/i&gt;" in index
    assert "6 villages, 3 failing at least one standard" in index  # 乙村, 丙村, 戊村
    township = (tmp_path / "townships" / "520101001.html").read_text(encoding="utf-8")
    assert 'href="../index.html"' in township
    drawn = [{f["id"] for f in c["features"] if f["geometry"]} for c in embedded_collections(township).values()]
    assert drawn[0] == {"520101001001", "520101001002"}  # 甲村 and 乙村; 丙村 has no boundary


def test_villages_of_several_counties_get_county_maps_not_township_maps(tmp_path):
    """A prefecture or province: one map per county (counties/), each with that county's
    villages and townships only (its mini-map too); no township maps, whatever their number."""
    from maps import make_options, write_atlas

    villages = sample_villages()
    moved = villages["township_code"] == "520101002"  # the second township into another county
    for column in ("village_code", "township_code"):
        villages.loc[moved, column] = "520102" + villages.loc[moved, column].str[6:]
    write_atlas(villages, None, tmp_path, make_options(lang="en"), township_maps_above=0)
    names = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*.html"))
    assert names == ["counties/520101.html", "counties/520102.html", "index.html", "map.html", "map_health.html",
                     "map_telecom.html", "map_transport.html", "map_water.html"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="(counties/[^"]+)"', index) == ["counties/520101.html", "counties/520102.html"]
    assert "County 520102 (1 townships)" in index and "Maps per county" in index
    page = (tmp_path / "counties" / "520102.html").read_text(encoding="utf-8")
    drawn = [{f["id"] for f in c["features"] if f["geometry"]} for c in embedded_collections(page).values()]
    assert drawn[0] == {"520102002001", "520102002002", "520102002003"}
    config = json.loads(re.search(r"covermapApp\([^,]+, \[[^\]]*\], \w+, (\{.*\})\);", page).group(1))
    assert [f["properties"]["code"] for f in config["townships"]["features"]] == ["520102002"]
    assert config["minimap"] is None  # the county's own outlines, sent once
    assert 'href="../index.html"' in page


def test_a_village_drawn_as_a_point_is_a_data_error_naming_it():
    villages = sample_villages()
    villages.loc[villages["village_code"] == "520101002003", "geometry"] = Point(500_500, 2_900_500)
    with pytest.raises(DataError, match=r"village boundaries must be polygons; village\(s\) 520101002003 are Point"):
        build_map(villages)
