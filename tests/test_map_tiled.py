"""Tiled vector rendering (maps/tiles.py, maps/assets/covermap/tiles.js): the packed shapes
decode to the simplified coordinates, a map of more than TILED_ABOVE villages switches to
canvas tiles by itself, and on tiles a reviewer still sees each village in its class colour,
hovers, clicks, searches, toggles a standard's failing villages and reads inputs' names, all
in chromium with the network cut off."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from benchmarks.map_benchmark import county
from maps import build_map, make_options, write_atlas, write_map
from maps.coverage_map import render
from maps.styles import FAILS_STYLE, INFRASTRUCTURE_STYLES, VILLAGE_STYLES
from maps.tiles import TILED_ABOVE, packed, use_tiles

_PATHS = ".leaflet-overlay-pane path.leaflet-interactive"
_TILES = ".leaflet-covermapShapes-pane canvas.leaflet-tile"
STANDARDS = ("road", "water", "clinic", "net4g", "fibre")


def _unpack(data: dict) -> list[list[np.ndarray]]:
    """Python's reading of ``packed``: per shape, its parts as (n, 2) lon/lat arrays."""
    xy = np.asarray(data["xy"], dtype=np.int64).reshape(-1, 2)
    shapes, start, part = [], 0, 0
    for count in data["parts"]:
        parts = []
        for size in data["sizes"][part:part + count]:
            parts.append(np.cumsum(xy[start:start + size], axis=0) / 1e5)
            start += size
        part += count
        shapes.append(parts)
    assert start == len(xy)
    return shapes


def test_packed_shapes_decode_to_their_rounded_coordinates():
    holed = shapely.box(104.0, 26.0, 104.01, 26.01).difference(shapely.box(104.002, 26.002, 104.004, 26.004))
    two = shapely.MultiPolygon([shapely.box(104.123456, 26.0, 104.2, 26.1), shapely.box(105.0, 27.0, 105.1, 27.1)])
    data = packed(np.array([holed, two], dtype=object))
    assert data["kind"] == "polygon" and data["parts"] == [2, 2]
    for shape, geometry in zip(_unpack(data), (holed, two)):
        rings = shapely.get_rings(shapely.get_parts(geometry))
        assert len(shape) == len(rings)
        for ring, expected in zip(shape, rings):
            coords = shapely.get_coordinates(expected)[:-1]  # the closing vertex is left out
            np.testing.assert_allclose(ring, np.round(coords, 5), atol=1e-9)
    lines = packed(np.array([shapely.LineString([(104.0, 26.0), (104.00001, 26.00003), (104.1, 26.2)]),
                             shapely.MultiLineString([[(1, 1), (2, 2)], [(3, 3), (4, 5)]])], dtype=object))
    assert lines["kind"] == "line" and lines["parts"] == [1, 2] and lines["sizes"] == [3, 2, 2]
    assert lines["xy"][:6] == [10400000, 2600000, 1, 3, 9999, 19997]
    points = packed(np.array([shapely.Point(104.5, 26.5), shapely.MultiPoint([(1, 2), (3, 4)])], dtype=object))
    assert points["kind"] == "point" and points["parts"] == [1, 2] and points["xy"] == [
        10450000, 2650000, 100000, 200000, 300000, 400000]
    with pytest.raises(ValueError, match="one kind of geometry"):
        packed(np.array([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)], dtype=object))


def test_the_switch_is_at_tiled_above_unless_asked():
    assert TILED_ABOVE == 10_000
    assert not use_tiles(TILED_ABOVE, None) and use_tiles(TILED_ABOVE + 1, None)
    assert use_tiles(5, True) and not use_tiles(50_000, False)


# ---------------------------------------------------------------- a county above the threshold

@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A synthetic county of TILED_ABOVE + 201 villages (benchmarks/map_benchmark.py), mapped with
    the default switch: the overview."""
    villages = county(TILED_ABOVE + 201, seed=3)
    folder = tmp_path_factory.mktemp("big-map")
    road = gpd.GeoDataFrame({"hardened": [True], "surface": ["asphalt"], "name": ["X101"]},
                            geometry=[shapely.LineString(villages.geometry.iloc[0].exterior.coords[:2])],
                            crs=villages.crs)
    return villages, write_map(villages, {"roads": road}, folder / "map.html", title="大县")


def test_a_map_above_the_threshold_holds_one_store_and_no_village_geojson(big):
    villages, overview = big
    html = overview.read_text(encoding="utf-8")
    assert html.count("covermapStore(") == 1 + html.count("function covermapStore(")
    assert not re.search(r"geo_json_\w+_add\(\{\"features\"", html)  # no GeoJSON blob at all
    parts = re.search(r'covermapStore\(\{"kind":"polygon","parts":\[([0-9,]*)\]', html).group(1).split(",")
    assert len(parts) == len(villages)
    assert "X101" not in html  # the inputs are left to the bureau maps
    small = build_map(villages.iloc[:TILED_ABOVE], title="小县")  # at the threshold: SVG paths
    assert "covermapStore({" not in render(small)


def _loaded(page, path):
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function(f"""() => {{ const tiles = document.querySelectorAll('{_TILES}');
        return tiles.length > 0 && [...tiles].every(t => t.classList.contains('leaflet-tile-loaded')); }}""")
    return page


def _pixels(page, lat: float, lon: float) -> list[list[int]]:
    """RGBA of the pixel drawn at (lat, lon) on each canvas tile there (one a shown layer),
    read from the canvases themselves."""
    return page.evaluate("""([lat, lon, selector]) => {
        const map = covermap.map, p = map.latLngToContainerPoint([lat, lon]);
        const box = map.getContainer().getBoundingClientRect(), x = box.left + p.x, y = box.top + p.y;
        return [...document.querySelectorAll(selector)].filter(t => {
            const r = t.getBoundingClientRect(); return x >= r.left && x < r.right && y >= r.top && y < r.bottom;
        }).map(t => { const r = t.getBoundingClientRect(), ratio = t.width / r.width;
            return Array.from(t.getContext('2d').getImageData(Math.floor((x - r.left) * ratio),
                                                             Math.floor((y - r.top) * ratio), 1, 1).data); });
    }""", [lat, lon, _TILES])


def _pixel(page, lat: float, lon: float) -> list[int] | None:
    """RGBA at (lat, lon) of the only tiled layer shown, None where it has no tile."""
    found = _pixels(page, lat, lon)
    assert len(found) <= 1, found
    return found[0] if found else None


def _hex(colour: str) -> list[int]:
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


def _label(page, code: str) -> tuple[float, float]:
    return tuple(page.evaluate("""code => { const entry = covermap.index[code];
        const point = covermap.store.label(entry.shape); return [point.lat, point.lng]; }""", code))


def _screen(page, lat: float, lon: float) -> tuple[float, float]:
    return tuple(page.evaluate("""([lat, lon]) => { const map = covermap.map, p = map.latLngToContainerPoint([lat, lon]);
        const box = map.getContainer().getBoundingClientRect(); return [box.left + p.x, box.top + p.y]; }""",
                               [lat, lon]))


def _close_popup(page) -> None:
    page.evaluate("() => { covermap.map.closePopup(); }")  # returns nothing: the map is too big to send back
    page.wait_for_selector(".covermap-popup", state="detached")  # after Leaflet's fade-out


def _all_tiles_drawn(page) -> None:
    page.wait_for_function(f"""() => [...document.querySelectorAll('{_TILES}')].every(
        t => t.classList.contains('leaflet-tile-loaded'))""")


def test_a_big_county_loads_on_tiles_in_class_colours_and_answers_a_click(big, offline_page):
    villages, overview = big
    page = _loaded(offline_page.page, overview)
    assert page.locator(_PATHS).count() == 0
    assert page.evaluate("() => Object.keys(covermap.index).length") == len(villages)
    drawn_any = villages[(villages[[f"{key}_verdict" for key in STANDARDS]] != "no_data").any(axis=1)]
    for gaps, colour_class in ((0, "none"), (1, "one"), (2, "two")):
        row = drawn_any[drawn_any["gap_count"] == gaps].iloc[-1]
        code = row["village_code"]
        page.evaluate("code => covermap.zoomTo(code)", code)  # fits the village and opens its popup
        page.wait_for_selector(f'.covermap-popup[data-code="{code}"]')
        _close_popup(page)
        _all_tiles_drawn(page)
        lat, lon = _label(page, code)
        rgba = _pixel(page, lat, lon)
        assert rgba is not None
        assert max(abs(a - b) for a, b in zip(rgba[:3], _hex(VILLAGE_STYLES[colour_class]["fillColor"]))) <= 3, (
            gaps, rgba)
        assert abs(rgba[3] - round(255 * VILLAGE_STYLES[colour_class]["fillOpacity"])) <= 2
        page.mouse.click(*_screen(page, lat, lon))
        page.wait_for_selector(f'.covermap-popup[data-code="{code}"]')
        assert page.locator(".covermap-popup h4").inner_text() == row["village_name"]
        _close_popup(page)
    # township names show only where their township is wide enough on screen to hold them
    shown = """() => [...document.querySelectorAll('.covermap-township-label')]
        .filter(label => label.style.display !== 'none').length"""
    page.evaluate("() => { covermap.map.setZoom(6, {animate: false}); }")
    assert page.evaluate(shown) == 0
    page.evaluate("() => { covermap.map.setZoom(11, {animate: false}); }")
    assert page.evaluate(shown) > 0
    assert offline_page.problems() == []


# ---------------------------------------------------------------- the demo county, forced onto tiles

@pytest.fixture(scope="module")
def tiled_demo(tmp_path_factory):
    """The sample county's result mapped with ``tiled=True``: every layer on canvas tiles."""
    from layers.pipeline import assess
    from layers.profile import load_profile
    from layers.sample import profile_path

    result = assess(load_profile(profile_path()))
    folder = tmp_path_factory.mktemp("tiled-demo")
    write_atlas(result.villages, result.infrastructure(), folder, make_options(tiled=True), title="样例县",
                gaps=result.gaps)
    return result, folder


def test_tiled_demo_click_hover_and_search_show_the_evidence(tiled_demo, offline_page):
    result, folder = tiled_demo
    table = result.villages.set_index("village_code")
    code = result.gaps[result.gaps["standard"] == "clinic"].sort_values("priority")["village_code"].iloc[0]
    row = table.loc[code]
    page = _loaded(offline_page.page, folder / "map.html")
    assert page.locator(_PATHS).count() == 0  # no village is an SVG path
    lat, lon = _label(page, code)
    page.evaluate("([lat, lon]) => covermap.map.setView([lat, lon], 14, {animate: false})", [lat, lon])
    _all_tiles_drawn(page)
    x, y = _screen(page, lat, lon)
    page.mouse.move(x - 2, y)
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip .covermap-tip")
    assert page.locator(".leaflet-tooltip .covermap-tip strong").inner_text() == row["village_name"]
    page.mouse.click(x, y)
    page.wait_for_selector(f'.covermap-popup[data-code="{code}"]')
    rows = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '.covermap-popup tr[data-standard]')].map(tr => [tr.dataset.standard,
        [tr.dataset.verdict, tr.querySelector('.reason').textContent]]))""")
    assert rows == {key: [row[f"{key}_verdict"], row[f"{key}_reason"]] for key in STANDARDS}
    assert rows["clinic"][0] == "fails"

    _close_popup(page)
    page.evaluate("() => { covermap.map.setZoom(10, {animate: false}); }")
    search = page.locator(".covermap-search input")
    search.fill(row["village_name"])
    search.press("Enter")
    page.wait_for_selector(f'.covermap-popup[data-code="{code}"]')
    assert page.evaluate("() => covermap.map.getZoom()") > 10
    assert offline_page.problems() == []


def test_tiled_bureau_map_draws_and_hides_the_failing_outlines(tiled_demo, offline_page):
    result, folder = tiled_demo
    page = _loaded(offline_page.page, folder / "map_health.html")
    expected = result.gaps[result.gaps["standard"] == "clinic"].sort_values("priority")["village_code"].tolist()
    assert page.locator(".covermap-panel li").evaluate_all("items => items.map(li => li.dataset.code)") == expected
    code = expected[0]
    vertex = page.evaluate("""code => { const i = covermap.index[code].shape;
        const ring = covermap.store.latlngs(i)[0]; const a = ring[0], b = ring[1];
        return [(a.lat + b.lat) / 2, (a.lng + b.lng) / 2]; }""", code)  # middle of the first edge
    page.evaluate("([lat, lon]) => covermap.map.setView([lat, lon], 15, {animate: false})", vertex)
    _all_tiles_drawn(page)
    outline = _hex(FAILS_STYLE["color"])

    def purple() -> bool:  # the failing outline's colour on some canvas at that edge
        return any(max(abs(a - b) for a, b in zip(rgba[:3], outline)) <= 3 and rgba[3] > 200
                   for rgba in _pixels(page, *vertex))

    assert purple()
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label", has_text="不达标：村卫生室").locator("input").uncheck()
    page.wait_for_timeout(100)
    assert not purple()
    assert offline_page.problems() == []


def test_tiled_transport_map_names_a_road_on_hover(tiled_demo, offline_page):
    result, folder = tiled_demo
    roads = result.infrastructure()["roads"].to_crs("EPSG:4326")
    named = roads[roads["name"].notna() & roads["hardened"].eq(True).fillna(False).astype(bool)]
    road = named.iloc[0]
    middle = road.geometry.interpolate(0.5, normalized=True)
    page = _loaded(offline_page.page, folder / "map_transport.html")
    page.evaluate("([lat, lon]) => covermap.map.setView([lat, lon], 16, {animate: false})", [middle.y, middle.x])
    _all_tiles_drawn(page)
    blue = _hex(INFRASTRUCTURE_STYLES["roads_hardened"]["color"])
    assert any(max(abs(a - b) for a, b in zip(rgba[:3], blue)) <= 3 and rgba[3] > 200
               for rgba in _pixels(page, middle.y, middle.x))  # the road is drawn in its colour
    x, y = _screen(page, middle.y, middle.x)
    page.mouse.move(x - 1, y)
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip .covermap-tip")
    assert str(road["name"]) in page.locator(".leaflet-tooltip .covermap-tip").inner_text()
    assert offline_page.problems() == []


def test_tiled_water_areas_take_the_pointer_on_their_outline_only(tiled_demo, offline_page):
    """A service area is drawn unfilled: inside it the village under the pointer answers (as
    with SVG paths), on its line the area names itself."""
    result, folder = tiled_demo
    water = result.infrastructure()["water"].to_crs("EPSG:4326")
    water = water[water.geom_type.isin(["Polygon", "MultiPolygon"]) & water["name"].notna()]
    villages = result.villages.to_crs("EPSG:4326")
    villages = villages[villages.geometry.notna() & ~villages.geometry.is_empty]
    area = water.iloc[int(np.argmax(shapely.area(water.geometry.values)))]  # the largest, in square degrees
    core = shapely.make_valid(area.geometry).buffer(-0.002)  # about 20 pixels in from the line at zoom 14
    village = villages[villages.intersects(core)].iloc[0]
    point = shapely.make_valid(village.geometry).buffer(-0.002).intersection(core).representative_point()
    page = _loaded(offline_page.page, folder / "map_water.html")
    page.evaluate("([lat, lon]) => covermap.map.setView([lat, lon], 14, {animate: false})", [point.y, point.x])
    _all_tiles_drawn(page)
    x, y = _screen(page, point.y, point.x)
    page.mouse.move(x - 1, y)
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip .covermap-tip strong")
    assert page.locator(".leaflet-tooltip .covermap-tip strong").inner_text() == village["village_name"]
    page.mouse.click(x, y)
    page.wait_for_selector(f'.covermap-popup[data-code="{village["village_code"]}"]')
    _close_popup(page)
    edge = shapely.get_exterior_ring(shapely.get_parts(area.geometry)[0]).interpolate(0.5, normalized=True)
    page.evaluate("([lat, lon]) => covermap.map.setView([lat, lon], 14, {animate: false})", [edge.y, edge.x])
    _all_tiles_drawn(page)
    x, y = _screen(page, edge.y, edge.x)
    page.mouse.move(x - 1, y)
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip .covermap-tip")
    assert str(area["name"]) in page.locator(".leaflet-tooltip .covermap-tip").inner_text()
    assert offline_page.problems() == []


XSS = "<img src=x onerror=alert(1)>"


def test_tiled_names_like_html_stay_text(tiled_demo, tmp_path, offline_page):
    result, _ = tiled_demo
    table = result.villages.copy()
    code = table["village_code"].iloc[10]
    table.loc[table["village_code"] == code, "village_name"] = XSS
    dialogs = []
    offline_page.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    path = write_map(table, None, tmp_path / "xss.html", tiled=True)
    page = _loaded(offline_page.page, path)
    lat, lon = _label(page, code)
    page.evaluate("([lat, lon]) => covermap.map.setView([lat, lon], 14, {animate: false})", [lat, lon])
    x, y = _screen(page, lat, lon)
    page.mouse.move(x - 1, y)
    page.mouse.move(x, y)
    page.wait_for_selector(".leaflet-tooltip .covermap-tip")
    assert page.locator(".leaflet-tooltip .covermap-tip strong").inner_text() == XSS
    page.mouse.click(x, y)
    assert page.locator(".covermap-popup h4").inner_text() == XSS
    page.wait_for_timeout(200)
    assert page.evaluate("() => document.querySelectorAll('img[src=x], img[onerror]').length") == 0
    assert dialogs == [] and offline_page.problems() == []
