"""The demo's maps in chromium with the network cut off, checked against the demo's own
tables (villages.csv, gaps.csv): overview, a bureau map, a township map and the index load
without a single failed request or console error, and answer a reviewer's click, search and
layer switch with the evidence the tables hold."""

from __future__ import annotations

import base64

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from maps.styles import INFRASTRUCTURE_STYLES

pytestmark = pytest.mark.browser

_PATHS = ".leaflet-overlay-pane path.leaflet-interactive"
VERDICT_ZH = {"meets": "达标", "basic": "基本达标", "fails": "不达标", "no_data": "无数据", "not_applicable": "不适用"}
STANDARD_ZH = {"road": "硬化路", "water": "饮水安全", "clinic": "村卫生室", "net4g": "4G覆盖", "fibre": "光纤宽带",
               "school": "义务教育", "housing": "住房安全", "electricity": "电网",
               "care": "就医时间", "bus": "通客车", "post": "通邮"}   # the demo runs profile_all.toml


def _table(folder, name) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype={"village_code": str, "township_code": str}, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def tables(demo_output):
    villages = gpd.read_file(demo_output / "coverage.gpkg", layer="villages")
    villages["village_code"] = villages["village_code"].astype(str)
    return villages, _table(demo_output, "villages.csv"), _table(demo_output, "gaps.csv")


def _open(offline_page, path):
    page = offline_page.page
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(_PATHS)
    return page


def _drawn(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return villages[villages.geometry.notna() & ~villages.geometry.is_empty]


def _screen_point(page, lon: float, lat: float) -> tuple[float, float]:
    return tuple(page.evaluate("""([lon, lat]) => {
        const map = covermap.map, point = map.latLngToContainerPoint([lat, lon]);
        const box = map.getContainer().getBoundingClientRect();
        return [box.left + point.x, box.top + point.y];
    }""", [lon, lat]))


def _popup_rows(page) -> dict[str, dict[str, str]]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '.leaflet-popup-content tr[data-standard]')].map(tr => [tr.dataset.standard, {
            verdict: tr.dataset.verdict, word: tr.querySelector('.verdict').textContent,
            reason: tr.querySelector('.reason').textContent, limit: tr.querySelector('.limit').textContent,
            facility: tr.querySelector('.facility').textContent}]))""")


def test_overview_loads_offline_with_legend_counts_from_the_tables(demo_output, tables, offline_page,
                                                                   screenshot_dir):
    villages, table, _ = tables
    page = _open(offline_page, demo_output / "map.html")
    assert page.locator(_PATHS).count() == len(_drawn(villages))
    legend = page.locator(".covermap-legend")
    assert legend.is_visible()
    fails = {key: int((table[f"{key}_verdict"] == "fails").sum()) for key in STANDARD_ZH}
    shown = {key: int(legend.locator(f'[data-standard="{key}"]').get_attribute("data-count")) for key in fails}
    assert shown == fails
    assert int(legend.locator('[data-class="none"]').get_attribute("data-count")) == int(
        ((table["gap_count"] == 0) & (table["no_data_count"] < 5)).sum())
    assert "硬化路" in legend.inner_text() and "3项及以上不达标" in legend.inner_text()
    # township names, scale bar, mini-map and full-screen button are there
    labels = page.locator(".covermap-township-label").all_inner_texts()
    assert sorted(labels) == sorted(table["township_name"].dropna().unique())
    assert page.locator(".leaflet-control-scale-line").is_visible()
    assert page.locator(".covermap-minimap path").count() == len(labels) + 1  # outlines and the view frame
    assert page.locator(".covermap-fullscreen a").is_visible()
    page.screenshot(path=str(screenshot_dir / "overview.png"))
    # a click on the mini-map's corner moves the main map there
    before = page.evaluate("() => covermap.map.getCenter()")
    box = page.locator(".covermap-minimap").bounding_box()
    page.mouse.click(box["x"] + 20, box["y"] + 20)
    page.wait_for_function("([lat, lng]) => { const c = covermap.map.getCenter(); "
                           "return c.lat > lat + 0.01 && c.lng < lng - 0.01; }", arg=[before["lat"], before["lng"]])
    page.locator(".covermap-fullscreen a").click()
    page.wait_for_function("() => document.fullscreenElement === document.documentElement")
    # the page's fullscreenchange handler marks the body; the event may come a moment later
    page.wait_for_function("() => document.body.classList.contains('covermap-is-fullscreen')")
    page.locator(".covermap-fullscreen a").click()
    page.wait_for_function("() => document.fullscreenElement === null")
    assert offline_page.problems() == []


@pytest.fixture(scope="module")
def failing(tables):
    """The first clinic gap of the gap list whose village has a boundary: its row in villages.csv."""
    villages, table, gaps = tables
    drawn = set(_drawn(villages)["village_code"])
    clinic = gaps[(gaps["standard"] == "clinic") & gaps["village_code"].isin(drawn)].sort_values("priority")
    code = clinic["village_code"].iloc[0]
    point = villages.set_index("village_code").loc[code].geometry.representative_point()
    return table.set_index("village_code").loc[code], (point.x, point.y)


def test_clicking_a_failing_village_shows_its_verdicts_and_reasons(demo_output, offline_page, failing):
    row, (lon, lat) = failing
    page = _open(offline_page, demo_output / "map.html")
    page.evaluate("([lon, lat]) => covermap.map.setView([lat, lon], 14, {animate: false})", [lon, lat])
    page.mouse.click(*_screen_point(page, lon, lat))
    page.wait_for_selector(".leaflet-popup-content tr[data-standard]")
    assert page.locator(".leaflet-popup-content h4").inner_text() == row["village_name"]
    rows = _popup_rows(page)
    assert {key: value["verdict"] for key, value in rows.items()} == {key: row[f"{key}_verdict"] for key in STANDARD_ZH}
    assert {key: value["word"] for key, value in rows.items()} == {
        key: VERDICT_ZH[row[f"{key}_verdict"]] for key in STANDARD_ZH}
    assert {key: value["reason"] for key, value in rows.items()} == {key: row[f"{key}_reason"] for key in STANDARD_ZH}
    assert rows["clinic"]["word"] == "不达标"
    assert rows["road"]["limit"] == "≤ 500 米" and rows["fibre"]["limit"] == "≤ 1,000 米"  # the sample profile
    assert rows["clinic"]["facility"] == f"{row['clinic_nearest_name']}，{row['clinic_nearest_m']:,.0f} 米"
    assert offline_page.problems() == []


def test_searching_a_name_zooms_to_the_village_and_opens_its_popup(demo_output, offline_page, failing):
    row, (lon, lat) = failing
    page = _open(offline_page, demo_output / "map.html")
    before = page.evaluate("() => covermap.map.getZoom()")
    assert not page.evaluate("([lon, lat]) => covermap.map.getBounds().pad(-0.45).contains([lat, lon])", [lon, lat])
    search = page.locator(".covermap-search input")
    search.fill(row["village_name"])
    assert page.locator(".covermap-search li").first.get_attribute("data-code") == row.name
    search.press("Enter")
    page.wait_for_selector(f'.leaflet-popup-content[data-code="{row.name}"], .covermap-popup[data-code="{row.name}"]')
    assert page.evaluate("() => covermap.map.getZoom()") > before
    assert page.evaluate("([lon, lat]) => covermap.map.getBounds().contains([lat, lon])", [lon, lat])
    assert offline_page.problems() == []


def test_health_bureau_map_lists_failing_villages_in_priority_order_and_toggles(demo_output, tables, offline_page,
                                                                                screenshot_dir):
    villages, _, gaps = tables
    page = _open(offline_page, demo_output / "map_health.html")
    # the health bureau's standards in turn, each in priority order: 村卫生室, then 就医时间
    by_standard = {key: gaps[gaps["standard"] == key].sort_values("priority")["village_code"].tolist()
                   for key in ("clinic", "care")}
    expected = by_standard["clinic"] + by_standard["care"]
    assert len(by_standard["care"]) == 4
    assert page.locator(".covermap-panel li").evaluate_all("items => items.map(li => li.dataset.code)") == expected
    assert "卫生健康局" in page.locator(".covermap-panel h4").inner_text()
    labels = [text.strip() for text in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
    assert labels[0] == "村庄：村卫生室、就医时间" and {"不达标：村卫生室", "不达标：就医时间", "卫生室和卫生院"} <= set(labels)
    page.screenshot(path=str(screenshot_dir / "bureau_health.png"))

    drawn = set(_drawn(villages)["village_code"])
    failing_drawn = {key: len([code for code in codes if code in drawn]) for key, codes in by_standard.items()}
    clinics = page.evaluate("""() => { let n = 0; covermap.map.eachLayer(l => {
        if (l instanceof L.CircleMarker) n += 1; }); return n; }""")
    total = page.locator(_PATHS).count()
    assert total == len(drawn) + sum(failing_drawn.values()) + clinics
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label", has_text="不达标：村卫生室").locator("input").uncheck()
    assert page.locator(_PATHS).count() == total - failing_drawn["clinic"]

    first = page.locator(".covermap-panel li a").first
    code = first.evaluate("a => a.parentElement.dataset.code")
    first.click()
    page.wait_for_selector(f'.covermap-popup[data-code="{code}"]')
    assert offline_page.problems() == []


def test_township_map_and_index_work_from_the_folder(demo_output, tables, offline_page):
    villages, table, _ = tables
    township = sorted(table["township_code"].unique())[0]
    page = _open(offline_page, demo_output / "townships" / f"{township}.html")
    in_township = _drawn(villages)[_drawn(villages)["township_code"].astype(str) == township]
    assert page.locator(_PATHS).count() == len(in_township)
    assert page.locator(".covermap-legend").is_visible()
    assert offline_page.problems() == []

    page.goto((demo_output / "index.html").as_uri(), wait_until="load")
    hrefs = page.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs[:9] == ["map.html", "map_transport.html", "map_water.html", "map_health.html", "map_telecom.html",
                         "map_education.html", "map_housing.html", "map_power.html", "map_postal.html"]
    assert len(hrefs) == 9 + table["township_code"].nunique()
    assert set(table["township_name"]) <= set(page.locator("a").all_inner_texts())  # named, not coded
    for href in hrefs:
        assert not href.startswith(("/", "file:", "http")) and (demo_output / href).is_file()
    page.locator("a", has_text="卫生健康局").click()
    page.wait_for_selector(".covermap-panel")
    page.locator("a.covermap-index").click()
    page.wait_for_selector("h1")
    assert offline_page.problems() == []


def _pixel(page, x: float, y: float) -> tuple[int, int, int]:
    """The colour chromium painted at (x, y) of the page: a one-pixel screenshot, read back
    through a canvas (no image library needed)."""
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    return tuple(page.evaluate("""async (src) => {
        const image = new Image(); image.src = src; await image.decode();
        const canvas = document.createElement("canvas"); canvas.width = canvas.height = 1;
        const context = canvas.getContext("2d"); context.drawImage(image, 0, 0);
        return [...context.getImageData(0, 0, 1, 1).data.slice(0, 3)];
    }""", "data:image/png;base64," + base64.b64encode(png).decode("ascii")))


def _rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(value) for value in css[css.index("(") + 1:css.index(")")].split(",")[:3])


def _label_boxes(page, selector: str) -> list[tuple[float, float, float, float]]:
    return [tuple(box) for box in page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter(node => node.getBoundingClientRect().width > 0)
        .map(node => { const r = node.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""",
                                                selector)]


def test_water_map_villages_under_service_areas_keep_their_legend_colour(demo_output, offline_page, screenshot_dir):
    """Service areas are drawn over the villages: inside one, away from every line, chromium
    paints the village's own verdict colour, the colour of its legend swatch."""
    page = _open(offline_page, demo_output / "map_water.html")
    style = INFRASTRUCTURE_STYLES["water"]
    areas = page.evaluate("""([color, weight]) => { const found = []; covermap.map.eachLayer(layer => {
        if (layer.feature && layer.options.color === color && layer.options.weight === weight)
            found.push(layer.feature.geometry); }); return found; }""", [style["color"], style["weight"]])
    assert len(areas) > 10
    water = shapely.union_all(shapely.make_valid([shape(area) for area in areas]))
    drawn = page.evaluate("""() => Object.entries(covermap.index).map(([code, layer]) =>
        [code, layer.feature.geometry, layer.feature.properties.water_verdict])""")
    margin = 0.0015  # degrees, about 15 pixels at zoom 14: clear of village, township, failing and area lines
    inside = []
    for code, geometry, verdict in drawn:
        core = shapely.make_valid(shape(geometry)).buffer(-margin).intersection(water.buffer(-margin))
        if not core.is_empty:
            inside.append((core.area, code, verdict, core.representative_point()))
    assert inside, "no village of the demo lies under a water service area"
    checked = set()
    for _, code, verdict, point in sorted(inside, key=lambda item: item[0], reverse=True):
        if verdict in checked:
            continue
        page.evaluate("([lat, lon]) => covermap.map.setView([lat, lon], 14, {animate: false})", [point.y, point.x])
        x, y = _screen_point(page, point.x, point.y)
        if any(left - 4 <= x <= right + 4 and top - 4 <= y <= bottom + 4
               for left, top, right, bottom in _label_boxes(page, ".covermap-township-label div")):
            continue  # under a township's name
        swatch = page.locator(f'.covermap-legend [data-verdict="{verdict}"] .swatch').evaluate(
            "node => getComputedStyle(node).backgroundColor")
        painted = _pixel(page, x, y)
        assert max(abs(a - b) for a, b in zip(painted, _rgb(swatch))) <= 3, (code, verdict, painted, swatch)
        checked.add(verdict)
    assert len(checked) >= 2  # villages of two verdicts at least, each against its own swatch
    page.screenshot(path=str(screenshot_dir / "bureau_water.png"))
    assert offline_page.problems() == []


def test_township_map_names_its_villages_where_the_names_fit(demo_output, tables, offline_page, screenshot_dir):
    villages, _, _ = tables
    drawn = _drawn(villages)
    township = drawn["township_code"].astype(str).value_counts().index[0]  # the township of most villages
    page = _open(offline_page, demo_output / "townships" / f"{township}.html")
    names = dict(zip(drawn["village_code"], drawn["village_name"]))
    labels = page.evaluate("""() => [...document.querySelectorAll(".covermap-village-label div")].map(node =>
        [node.dataset.code, node.textContent])""")
    in_township = drawn[drawn["township_code"].astype(str) == township]
    assert sorted(code for code, _ in labels) == sorted(in_township["village_code"])
    assert all(text == names[code] for code, text in labels)

    def shown():
        return page.evaluate("""() => [...document.querySelectorAll(".covermap-village-label div")]
            .filter(node => node.getBoundingClientRect().width > 0).map(node => {
                const r = node.getBoundingClientRect(), box = covermap.map.getContainer().getBoundingClientRect();
                const at = (x, y) => covermap.map.containerPointToLatLng([x - box.left, y - box.top]);
                const middle = (r.top + r.bottom) / 2, west = at(r.left + 1, middle), east = at(r.right - 1, middle);
                return {code: node.dataset.code, box: [r.left, r.top, r.right, r.bottom],
                        ends: [[west.lng, west.lat], [east.lng, east.lat]]}; })""")

    first = shown()
    assert len(first) >= len(labels) / 2, (len(first), len(labels))  # most villages are named at first
    outlines = page.evaluate("() => Object.fromEntries(Object.entries(covermap.index).map(([code, layer]) => "
                             "[code, layer.feature.geometry]))")
    for label in first:  # each name lies across its own village...
        village = shapely.make_valid(shape(outlines[label["code"]]))
        assert all(village.contains(shapely.Point(end)) for end in label["ends"]), label
    boxes = [label["box"] for label in first] + _label_boxes(page, ".covermap-township-label div")
    for i, a in enumerate(boxes):  # ...and over no other name
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    page.screenshot(path=str(screenshot_dir / "township.png"))

    zoom = page.evaluate("() => covermap.map.getZoom()")
    page.evaluate("() => covermap.map.setZoom(8, {animate: false})")
    assert shown() == []  # far out, no village is wide enough for its name
    page.evaluate("(zoom) => covermap.map.setZoom(zoom, {animate: false})", zoom)
    assert [label["code"] for label in shown()] == [label["code"] for label in first]
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label", has_text="村名").locator("input").uncheck()
    assert page.locator(".covermap-village-label").count() == 0
    assert offline_page.problems() == []
