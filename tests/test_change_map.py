"""The change map of `covermap compare` (maps/changes.py) in the real browser, offline: a
handful of hand-made changes whose drawing, legend and popups can be told on paper."""

from __future__ import annotations

import re
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from gis.errors import CRSError, DataError
from layers import compare as cmp
from layers.verdicts import LANGUAGES, STANDARDS, standard_name
from maps.changes import CHANGE_COLOURS, CHANGES, write_change_map
from maps.i18n import texts

pytestmark = pytest.mark.browser

TOWNSHIP = ("522326100", "复兴镇")
BUREAU = {standard.key: standard.bureau for standard in STANDARDS}
# code, name, lower-left corner (lon, lat) of a 0.01-degree square in EPSG:4490, or None: no boundary
VILLAGES = {
    "522326100201": ("纳夜村", (106.10, 25.20)),
    "522326100202": ("平洞村", (106.11, 25.20)),
    "522326100203": ("<b>坡头</b>村", (106.12, 25.20)),
    "522326100204": ("新寨村", (106.10, 25.21)),   # added in the new run: drawn as a dense circle
    "522326100299": ("撤并村", (106.12, 25.21)),   # removed: the old run's polygon
    "522326100205": ("无边界村", None),
}
# village, standard, old verdict, new verdict, old value, new value
ROWS = [
    ("522326100201", "road", "fails", "meets", 612.0, 480.0),
    ("522326100201", "water", "fails", "fails", 0.62, 0.70),
    ("522326100201", "fibre", "no_data", "fails", np.nan, 3250.0),
    ("522326100202", "road", "meets", "fails", 300.0, 1250.0),
    ("522326100202", "clinic", "fails", "basic", 5400.0, 2800.0),
    ("522326100202", "fibre", "meets", "no_data", 800.0, np.nan),
    ("522326100203", "net4g", "basic", "fails", 0.85, 0.40),
    ("522326100203", "fibre", "fails", "not_applicable", 1800.0, np.nan),   # switched off: [apply.fibre]
    *[("522326100204", key, None, verdict, np.nan, value) for key, verdict, value in
      (("road", "meets", 100.0), ("water", "basic", 0.9), ("clinic", "meets", 900.0), ("net4g", "fails", 0.2),
       ("fibre", "meets", 1500.0))],
    ("522326100299", "road", "fails", None, 2000.0, np.nan),
    ("522326100299", "water", "meets", None, 0.95, np.nan),
    ("522326100205", "road", "meets", "fails", 200.0, 900.0),
]
EXPECTED = {"closed": 1, "new": 2, "persisting": 1, "improved": 1, "worsened": 1, "data_gained": 1, "data_lost": 1,
            "village_added": 5, "village_removed": 2, "scope_changed": 1}
DRAWN = {**EXPECTED, "new": 1}   # 无边界村's new road gap is counted, not drawn
PER_LAYER = {"road": 4, "water": 3, "clinic": 2, "net4g": 2, "fibre": 4}


def _shape(corner):
    if corner is None:
        return None
    if corner == VILLAGES["522326100204"][1]:
        return Point(corner[0] + 0.005, corner[1] + 0.005).buffer(0.0045, quad_segs=500)  # 2,000 vertices
    return box(corner[0], corner[1], corner[0] + 0.01, corner[1] + 0.01)


def changes(lang: str = "zh", crs: str = "EPSG:4490") -> gpd.GeoDataFrame:
    records = []
    for code, key, old, new, old_value, new_value in ROWS:
        change = str(cmp.classify([old], [new])[0])
        name, corner = VILLAGES[code]
        records.append({
            "village_code": code, "old_village_code": code, "village_name": name, "township_code": TOWNSHIP[0],
            "township_name": TOWNSHIP[1], "standard": key, "bureau": BUREAU[key], "change": change,
            "change_text": cmp.change_word(change, lang), "old_verdict": old, "new_verdict": new,
            "old_value": old_value, "new_value": new_value,
            "old_reason": f"{name} {key} 旧原因" if old else None, "new_reason": f"{name} {key} 新原因" if new else None,
            "settings_changed": "yes" if key == "net4g" else "no", "geometry": _shape(corner)})
    frame = gpd.GeoDataFrame(pd.DataFrame(records)[list(cmp.COLUMNS) + ["geometry"]], geometry="geometry",
                             crs="EPSG:4490")
    return frame.to_crs(crs)


def test_the_hand_made_changes_are_what_the_tests_expect():
    table = changes()
    assert table["change"].value_counts().to_dict() == {key: n for key, n in EXPECTED.items()}
    assert list(table.columns[:-1]) == list(cmp.COLUMNS)


def test_the_maps_change_words_are_those_of_compare():
    assert CHANGES == cmp.CHANGES
    for lang in LANGUAGES:
        words = texts(lang)
        for key in cmp.CHANGES:
            assert words[f"change.{key}"] == cmp.change_word(key, lang)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def test_each_change_has_a_colour_of_its_kind():
    (r, g, b), (nr, ng, nb) = _rgb(CHANGE_COLOURS["closed"]), _rgb(CHANGE_COLOURS["new"])
    assert g > r + 60 and g > b + 60   # closed: green
    assert nr > ng + 150 and nr > nb + 150   # new: red
    r, g, b = _rgb(CHANGE_COLOURS["persisting"])
    assert r > g > b and r > 200   # orange
    r, g, b = _rgb(CHANGE_COLOURS["worsened"])
    assert r > g + 60 and r < 160   # dark red
    assert g < _rgb(CHANGE_COLOURS["improved"])[1]
    for key in ("data_gained", "data_lost"):
        assert np.ptp(_rgb(CHANGE_COLOURS[key])) < 10   # grey
    for key in ("village_added", "village_removed"):
        r, g, b = _rgb(CHANGE_COLOURS[key])
        assert b > g   # purple or blue
    colours = [_rgb(colour) for colour in CHANGE_COLOURS.values()]
    assert min(np.linalg.norm(a - b) for i, a in enumerate(colours) for b in colours[i + 1:]) > 60


_PATHS = ".leaflet-overlay-pane path.leaflet-interactive"
_LAYERS = """() => {
    const map = Object.values(window).find(value => value instanceof L.Map);
    const found = [];
    map.eachLayer(layer => {
        if (layer instanceof L.GeoJSON) found.push(layer.getLayers().map(sub => [sub.feature.id,
            sub.feature.properties.standard, sub.feature.properties.change, sub.options.fillColor]));
    });
    return found;
}"""


def _open(offline_page, path):
    offline_page.page.goto(path.as_uri(), wait_until="load")
    offline_page.page.wait_for_selector(_PATHS)
    return offline_page.page


def _fills(page) -> dict[str, int]:
    fills = page.eval_on_selector_all(_PATHS, "paths => paths.map(p => p.getAttribute('fill'))")
    return {key: fills.count(colour) for key, colour in CHANGE_COLOURS.items()}


def _centre(page, code: str, standard: str) -> tuple[float, float]:
    return page.evaluate("""([code, standard]) => {
        const map = Object.values(window).find(value => value instanceof L.Map);
        let point = null;
        map.eachLayer(layer => {
            if (layer.feature && layer.feature.id === code && layer.feature.properties.standard === standard)
                point = map.latLngToContainerPoint(layer.getBounds().getCenter());
        });
        const box = map.getContainer().getBoundingClientRect();
        return [box.left + point.x, box.top + point.y];
    }""", [code, standard])


def _choose(page, label: str) -> None:
    page.locator(".leaflet-control-layers-base label", has_text=label).locator("input").click()


def _per_standard(key: str) -> tuple[dict[str, int], dict[str, int]]:
    """The rows of standard ``key`` per change: all of them, and those drawn."""
    rows = [(code, change) for code, change in
            ((row[0], str(cmp.classify([row[2]], [row[3]])[0])) for row in ROWS if row[1] == key)]
    every = {change: sum(1 for _, c in rows if c == change) for change in CHANGES}
    drawn = {change: sum(1 for code, c in rows if c == change and VILLAGES[code][1]) for change in CHANGES}
    return every, drawn


def _legend_column(page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        ".covermap-change-counts tr[data-change], .covermap-change-counts tr[data-undrawn]")].map(
        tr => [tr.dataset.change || "undrawn", tr.querySelector(".shown").textContent]))""")


def test_change_map_draws_each_change_in_its_colour_offline(tmp_path, offline_page, screenshot_dir):
    path = write_change_map(tmp_path / "changes.html", changes(), title="望谟县 2025-06 → 2025-12")
    assert path == tmp_path / "changes.html"
    page = _open(offline_page, path)
    labels = [text.strip() for text in page.locator(".leaflet-control-layers-base label").all_inner_texts()]
    assert labels == [standard_name(key, "zh") for key in PER_LAYER] == ["硬化路", "饮水安全", "村卫生室", "4G覆盖",
                                                                           "光纤宽带"]
    legend = page.locator(".covermap-legend")
    assert legend.is_visible() and "望谟县 2025-06 → 2025-12" in legend.inner_text()
    for key, n in EXPECTED.items():   # the "all standards" column
        item = legend.locator(f'[data-change="{key}"]')
        assert item.get_attribute("data-count") == str(n) and item.locator(".count").inner_text() == str(n)
        assert item.locator("td").first.inner_text().strip() == cmp.change_word(key, "zh")
    undrawn = legend.locator("[data-undrawn]")
    assert undrawn.get_attribute("data-undrawn") == "1" and "无位置" in undrawn.inner_text()
    assert page.title() == "望谟县 2025-06 → 2025-12"
    page.screenshot(path=str(screenshot_dir / "change_map.png"))

    seen = dict.fromkeys(CHANGES, 0)
    for key, n in PER_LAYER.items():   # one standard at a time, each change in its colour
        _choose(page, standard_name(key, "zh"))
        every, drawn = _per_standard(key)
        assert page.locator(_PATHS).count() == n == sum(drawn.values())
        assert _fills(page) == drawn
        [layer] = page.evaluate(_LAYERS)
        assert sorted((code, standard) for code, standard, _, _ in layer) == sorted(
            (row[0], row[1]) for row in ROWS if row[1] == key and VILLAGES[row[0]][1])
        assert all(fill == CHANGE_COLOURS[change] for _, _, change, fill in layer)
        undrawn = sum(1 for row in ROWS if row[1] == key and not VILLAGES[row[0]][1])
        assert _legend_column(page) == {**{c: str(v) for c, v in every.items()}, "undrawn": str(undrawn)}
        assert legend.locator(".shown-name").inner_text() == standard_name(key, "zh")
        seen = {change: seen[change] + count for change, count in drawn.items()}
    assert seen == DRAWN
    assert offline_page.problems() == []


def test_the_first_standard_is_shown_at_first(tmp_path, offline_page):
    page = _open(offline_page, write_change_map(tmp_path / "changes.html", changes()))
    every, drawn = _per_standard("road")
    assert _fills(page) == drawn and page.locator(_PATHS).count() == PER_LAYER["road"]
    assert _legend_column(page) == {**{c: str(v) for c, v in every.items()}, "undrawn": "1"}
    assert page.locator(".leaflet-control-layers-base input:checked + span").inner_text().strip() == "硬化路"
    assert offline_page.problems() == []


def test_the_popup_tells_before_and_after(tmp_path, offline_page):
    page = _open(offline_page, write_change_map(tmp_path / "changes.html", changes()))
    page.mouse.click(*_centre(page, "522326100201", "road"))
    popup = page.wait_for_selector(".leaflet-popup-content").inner_text()
    assert "纳夜村" in popup and "522326100201" in popup and "复兴镇" in popup
    assert "硬化路: 已销号" in popup
    rows = [line.split("\t") for line in popup.splitlines() if "\t" in line]
    assert ["结论", "不达标", "达标"] in rows
    assert ["测量值", "612 米", "480 米"] in rows
    assert ["原因", "纳夜村 road 旧原因", "纳夜村 road 新原因"] in rows
    assert "设置不同" not in popup
    page.keyboard.press("Escape")

    _choose(page, "饮水安全")
    page.mouse.click(*_centre(page, "522326100201", "water"))
    popup = page.wait_for_selector(".leaflet-popup-content:has-text('饮水安全')").inner_text()
    rows = [line.split("\t") for line in popup.splitlines() if "\t" in line]
    assert "饮水安全: 仍未解决" in popup and ["测量值", "62%", "70%"] in rows

    _choose(page, "4G覆盖")
    page.mouse.click(*_centre(page, "522326100203", "net4g"))   # a name with markup stays text
    popup = page.wait_for_selector(".leaflet-popup-content:has-text('坡头')")
    assert popup.query_selector("b") is None and "<b>坡头</b>村" in popup.inner_text()
    rows = [line.split("\t") for line in popup.inner_text().splitlines() if "\t" in line]
    assert ["测量值", "85%", "40%"] in rows and ["结论", "基本达标", "不达标"] in rows
    assert "两次运行该标准的设置不同" in popup.inner_text()
    assert offline_page.problems() == []


def test_an_added_village_has_nothing_before(tmp_path, offline_page):
    page = _open(offline_page, write_change_map(tmp_path / "changes.html", changes()))
    page.mouse.click(*_centre(page, "522326100204", "road"))
    popup = page.wait_for_selector(".leaflet-popup-content").inner_text()
    rows = [line.split("\t") for line in popup.splitlines() if "\t" in line]
    assert ["测量值", "—", "100 米"] in rows and ["结论", "—", "达标"] in rows
    assert "新增村" in popup


def test_english_map(tmp_path, offline_page):
    page = _open(offline_page, write_change_map(tmp_path / "changes.html", changes("en"), lang="en"))
    labels = [text.strip() for text in page.locator(".leaflet-control-layers-base label").all_inner_texts()]
    assert labels == ["Hardened road", "Drinking water", "Village clinic", "4G coverage", "Fibre broadband"]
    legend = page.locator(".covermap-legend").inner_text()
    assert "Changes between two runs" in legend and "No location" in legend and "village removed" in legend
    assert "Hardened road" in legend and "All" in legend
    assert not any("\u4e00" <= char <= "\u9fff" for char in legend)
    page.mouse.click(*_centre(page, "522326100201", "road"))
    popup = page.wait_for_selector(".leaflet-popup-content").inner_text()
    rows = [line.split("\t") for line in popup.splitlines() if "\t" in line]
    assert ["Measured", "612 m", "480 m"] in rows and ["Verdict", "fails", "meets"] in rows
    assert "Hardened road: closed" in popup
    assert offline_page.problems() == []


def test_a_projected_table_lands_where_it_should(tmp_path, offline_page):
    """The same changes in CGCS2000 / 3-degree Gauss-Kruger CM 105E: drawn at the same place,
    in view, each polygon held once and simplified."""
    path = write_change_map(tmp_path / "changes.html", changes(crs="EPSG:4544"))
    page = _open(offline_page, path)
    found = page.evaluate("""() => {
        const map = Object.values(window).find(value => value instanceof L.Map);
        const view = map.getBounds(), out = {};
        map.eachLayer(layer => {
            if (layer.feature && layer.feature.properties.standard === "road") {
                const b = layer.getBounds();
                out[layer.feature.id] = {west: b.getWest(), south: b.getSouth(), inView: view.contains(b),
                                         vertices: layer.getLatLngs().flat(2).length};
            }
        });
        return out;
    }""")
    assert set(found) == {"522326100201", "522326100202", "522326100204", "522326100299"}
    for code, where in found.items():
        west, south, _, _ = _shape(VILLAGES[code][1]).bounds
        assert where["inView"]
        assert abs(where["west"] - west) < 2e-4 and abs(where["south"] - south) < 2e-4
    assert found["522326100204"]["vertices"] < 200   # the 2,000-vertex circle, simplified by 15 m
    html = path.read_text(encoding="utf-8")
    assert html.count('"type":"Polygon"') == 5   # five villages drawn, each once (14 rows)
    assert not re.search(r'<script[^>]*\ssrc=|<link[^>]*\shref=', html)   # Leaflet inlined, no basemap
    assert offline_page.problems() == []


def test_no_geometry_writes_nothing(tmp_path):
    plain = pd.DataFrame(changes().drop(columns="geometry"))
    assert write_change_map(tmp_path / "a.html", plain) is None
    empty = changes()
    empty["geometry"] = None
    assert write_change_map(tmp_path / "b.html", empty) is None
    assert list(tmp_path.iterdir()) == []


def test_bad_tables_are_explained(tmp_path):
    table = changes()
    table.loc[0, "standard"] = "roads"
    with pytest.raises(DataError, match="column standard holds 'roads'"):
        write_change_map(tmp_path / "a.html", table)
    with pytest.raises(DataError, match="missing column.*old_value"):
        write_change_map(tmp_path / "a.html", changes().drop(columns="old_value"))
    with pytest.raises(CRSError, match="has no CRS"):
        write_change_map(tmp_path / "a.html", changes().set_crs(None, allow_override=True))
    points = changes()
    points["geometry"] = shapely.centroid(points.geometry.values)
    with pytest.raises(DataError, match="must be polygons"):
        write_change_map(tmp_path / "a.html", points)
    assert list(tmp_path.iterdir()) == []
