"""The written map in a real browser with the network cut off: it must load without a
single request beyond its own file, draw every village that has a boundary, and answer
a reviewer's hover, click and layer switch."""

from __future__ import annotations

import struct

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from maps import write_map

pytestmark = pytest.mark.browser

KEYS = ("road", "water", "clinic", "net4g", "fibre")
# code, name, verdicts, SW corner of a 1 km square in CGCS2000 / 3-degree Gauss-Kruger CM 105°E (EPSG:4544)
VILLAGES = [
    ("520101001001", "甲村", ("meets",) * 5, (500_000, 2_900_000)),
    ("520101001002", "乙<i>村", ("fails", "basic", "fails", "meets", "meets"), (501_000, 2_900_000)),
    ("520101001003", "丙村", ("fails", "fails", "fails", "no_data", "meets"), None),
    ("520101002001", "丁村", ("no_data",) * 5, (500_000, 2_901_000)),
    ("520101002002", "戊村", ("fails", "meets", "meets", "meets", "meets"), (501_000, 2_901_000)),
]
DRAWN = sorted(code for code, _, _, corner in VILLAGES if corner)
ROAD_FAILS_DRAWN = 2  # 乙<i>村 and 戊村; 丙村 fails too but has no boundary


def villages() -> gpd.GeoDataFrame:
    rows = []
    for code, name, verdicts, corner in VILLAGES:
        row = {"village_code": code, "village_name": name, "township_code": code[:9], "township_name": "一镇",
               "population": 500, "poor_population": 20, "seat_source": "polygon" if corner else "none",
               "gap_count": verdicts.count("fails"), "no_data_count": verdicts.count("no_data"),
               "geometry": box(corner[0], corner[1], corner[0] + 1000, corner[1] + 1000) if corner else None}
        for key, verdict in zip(KEYS, verdicts):
            row[f"{key}_verdict"] = verdict
            row[f"{key}_reason"] = f"{name}: {key} {verdict}"
        rows.append(row)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4544")


def infrastructure() -> dict[str, gpd.GeoDataFrame]:
    return {
        "roads": gpd.GeoDataFrame({"hardened": [True, None], "surface": ["cement", None], "name": ["X1", None]},
                                  geometry=[LineString([(500_000, 2_900_500), (502_000, 2_900_500)]),
                                            LineString([(500_500, 2_901_000), (500_500, 2_902_000)])],
                                  crs="EPSG:4544"),
        "clinics": gpd.GeoDataFrame({"name": ["甲村卫生室"], "kind": ["village_clinic"], "qualifies": [True]},
                                    geometry=[Point(105.002, 26.221)], crs="EPSG:4326"),
        "fibre": gpd.GeoDataFrame({"name": ["OLT-1"]}, geometry=[Point(501_200, 2_900_300)], crs="EPSG:4544"),
    }


# Every L.GeoJSON on the map: its number of features and their ids.
_ON_MAP = """() => {
    const map = Object.values(window).find(value => value instanceof L.Map);
    const layers = [];
    map.eachLayer(layer => {
        if (layer instanceof L.GeoJSON && layer.options.interactive !== false)  // not the township outlines
            layers.push(layer.getLayers().map(sub => sub.feature.id));
    });
    return layers;
}"""
_PATHS = ".leaflet-overlay-pane path.leaflet-interactive"


@pytest.fixture
def loaded(tmp_path, offline_page):
    path = write_map(villages(), infrastructure(), tmp_path / "map.html", title="测试县 coverage", lang="en")
    offline_page.page.goto(path.as_uri(), wait_until="load")
    offline_page.page.wait_for_selector(_PATHS)
    return offline_page


def test_map_loads_offline_and_draws_every_village_with_a_boundary(loaded, screenshot_dir):
    page = loaded.page
    assert page.locator(".folium-map.leaflet-container").count() == 1
    assert [sorted(ids) for ids in page.evaluate(_ON_MAP)] == [DRAWN]  # only the overview is on at first
    assert page.locator(_PATHS).count() == len(DRAWN)
    legend = page.locator(".covermap-legend")
    assert legend.is_visible()
    assert legend.locator('[data-class="three"]').get_attribute("data-count") == "1"  # 丙村, not drawn
    assert "测试县 coverage" in legend.inner_text()
    assert [text.strip() for text in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()] == [
        "Villages by failed standards", "Fails: Hardened road", "Fails: Drinking water", "Fails: Village clinic",
        "Fails: 4G coverage", "Fails: Fibre broadband", "Roads: hardened", "Roads: surface not recorded", "Clinics",
        "Fibre access points", "Township boundaries"]

    shot = page.screenshot(path=str(screenshot_dir / "coverage_map.png"))
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", shot[16:24]) == (1280, 800)
    page.evaluate("() => { document.body.innerHTML = ''; }")
    blank = page.screenshot()
    assert len(shot) > 2 * len(blank), "the map screenshot is hardly bigger than a blank page"
    assert loaded.problems() == []


def test_reviewer_hovers_clicks_and_switches_layers(loaded):
    page = loaded.page
    x, y = page.evaluate("""() => {
        const map = Object.values(window).find(value => value instanceof L.Map);
        let point = null;
        map.eachLayer(layer => {
            if (layer.feature && layer.feature.id === "520101001002") {
                point = map.latLngToContainerPoint(layer.getBounds().getCenter());
            }
        });
        const box = map.getContainer().getBoundingClientRect();
        return [box.left + point.x, box.top + point.y];
    }""")
    page.mouse.move(x, y)
    tooltip = page.wait_for_selector(".leaflet-tooltip")
    assert "乙<i>村" in tooltip.inner_text() and "520101001002" in tooltip.inner_text()  # shown, not parsed
    page.mouse.click(x, y)
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert "乙<i>村: clinic fails" in popup.inner_text()
    assert "500" in popup.inner_text()  # population

    page.locator(".leaflet-control-layers").hover()  # the control opens on hover
    page.locator(".leaflet-control-layers-overlays label", has_text="Fails: Hardened road").locator("input").check()
    assert page.locator(_PATHS).count() == len(DRAWN) + ROAD_FAILS_DRAWN
    page.locator(".leaflet-control-layers-overlays label", has_text="Clinics").locator("input").check()
    assert page.locator(_PATHS).count() == len(DRAWN) + ROAD_FAILS_DRAWN + 1
    assert loaded.problems() == []


def test_the_offline_harness_catches_a_map_that_needs_the_network(tmp_path, offline_page):
    """The same page with the CDN version: proof that the checks above can fail."""
    path = write_map(villages(), None, tmp_path / "online.html", online=True, basemap="none")
    offline_page.page.goto(path.as_uri(), wait_until="load")
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js" in offline_page.blocked
    assert any("L is not defined" in error for error in offline_page.page_errors)
    assert offline_page.page.locator(_PATHS).count() == 0


XSS = "<img src=x onerror=alert(1)>"


def _named_village_in_the_panel_and_popup(path, offline_page, name: str, township: str, title: str):
    """The health bureau's map of the test villages with village 520101001002 (failing) named
    ``name`` and every township ``township``, opened; the village's entry in the side panel
    clicked, and its popup's heading checked to be ``name``. Returns the page."""
    table = villages()
    table.loc[table["village_code"] == "520101001002", "village_name"] = name
    table["township_name"] = township
    path = write_map(table, None, path, title=title, bureau="health")
    page = offline_page.page
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(_PATHS)
    assert page.locator(".covermap-panel li .name", has_text=name).count() == 1
    page.locator(".covermap-panel li a", has_text=name).click()
    assert page.locator(".covermap-popup h4").inner_text() == name
    return page


def test_a_village_named_like_html_shows_as_text_and_runs_nothing(tmp_path, offline_page):
    """The name reaches the tooltip, popup, search list, side panel and township label: all text."""
    dialogs = []
    offline_page.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page = _named_village_in_the_panel_and_popup(tmp_path / "xss.html", offline_page, XSS, XSS, XSS)
    search = page.locator(".covermap-search input")
    search.fill("img")
    assert XSS in page.locator(".covermap-search li").first.inner_text()
    assert XSS in page.locator(".covermap-legend h4").inner_text()
    assert XSS in page.locator(".covermap-township-label").first.inner_text()
    page.wait_for_timeout(200)
    assert page.evaluate("() => document.querySelectorAll('img[src=x], img[onerror]').length") == 0
    assert dialogs == []
    assert offline_page.problems() == []


TEMPLATE_TEXT = "村{{ 7*7 }}{% if x %}"


def test_a_village_named_with_template_syntax_shows_as_written(tmp_path, offline_page):
    """branca compiles each rendered map element as a Jinja template again: a name with
    "{{ }}" showed as its value, and an unclosed "{% if %}" stopped the map."""
    page = _named_village_in_the_panel_and_popup(tmp_path / "jinja.html", offline_page, TEMPLATE_TEXT, "镇{# c #}",
                                                 "{{ 7*7 }}")
    assert page.locator(".covermap-township-label").first.inner_text() == "镇{# c #}"
    assert "{{ 7*7 }}" in page.locator(".covermap-legend h4").inner_text()
    assert offline_page.problems() == []


def test_gaode_basemap_moves_the_drawn_data_by_the_gcj02_offset(tmp_path, offline_page):
    """A clinic at the published test point (116.404, 39.915) WGS84 is drawn at coordtransform's
    GCJ-02 value; Gaode's tiles are the only requests (blocked here) and the map says so."""
    clinic = gpd.GeoDataFrame({"name": ["测试卫生室"], "kind": ["village_clinic"], "qualifies": [True]},
                              geometry=[Point(116.404, 39.915)], crs="EPSG:4326")
    table = villages().to_crs("EPSG:4326")
    table["geometry"] = table.geometry.translate(116.404 - 105.0, 39.915 - 26.2)  # near the test point
    path = write_map(table, {"clinics": clinic}, tmp_path / "gaode.html", basemap="gaode")
    page = offline_page.page
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(_PATHS)
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label", has_text="卫生室和卫生院").locator("input").check()
    lat, lon = page.evaluate("""() => { let found = null; covermap.map.eachLayer(layer => {
        if (layer instanceof L.CircleMarker) { const p = layer.getLatLng(); found = [p.lat, p.lng]; } });
        return found; }""")
    assert lon == pytest.approx(116.41024449916938, abs=1e-5) and lat == pytest.approx(39.91640428150164, abs=1e-5)
    assert abs(lon - 116.404) > 5e-3  # moved by the offset (about 530 m), not left in place
    assert "GCJ-02" in page.locator(".covermap-note").inner_text()
    assert "高德" in page.locator(".leaflet-control-attribution").inner_text()
    assert offline_page.blocked and all("autonavi.com" in url for url in offline_page.blocked)
    assert offline_page.console_errors == [] or all("ERR_FAILED" in text for text in offline_page.console_errors)
    assert offline_page.page_errors == []
