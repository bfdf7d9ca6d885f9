"""The change map of runs over several counties (maps/change_areas.py): townships (or
counties) coloured by how their open problems moved, counted from hand-made runs whose
answers can be told on paper; and the township shapes compare reads for it
(layers.changes.township_shapes)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from gis.io import write_gpkg_layers
from layers import changes as ch
from layers import compare as cmp
from layers.verdicts import STANDARDS, standard_name
from maps import change_areas
from maps.change_areas import NET_STYLES, area_changes, change_area_map, net_classes, write_change_area_map
from maps.changes import CHANGES
from maps.i18n import texts

# township -> villages in it; two counties (110101, 120103)
TOWNSHIPS = {"110101001": 3, "110101002": 2, "120103001": 6}
# lower-left corner of each township's 0.1-degree square (EPSG:4490); 110101002 has no shape
CORNERS = {"110101001": (116.0, 39.0), "120103001": (117.0, 39.0)}


def _villages(period: int) -> pd.DataFrame:
    """Roads fail everywhere in period 1 and meet in each township's first village in period 2;
    water meets, then fails in each first village (new); the clinic of 110101001's second
    village fails in both; fibre fails in 120103001's first four villages, then five."""
    records = []
    for township, n in TOWNSHIPS.items():
        for k in range(n):
            code = f"{township}{k + 201:03d}"
            verdicts = {"road": "meets" if period == 2 and k == 0 else "fails",
                        "water": "fails" if period == 2 and k == 0 else "meets",
                        "clinic": "fails" if township == "110101001" and k == 1 else "meets",
                        "net4g": "meets",
                        "fibre": "fails" if township == "120103001" and k < (4 if period == 1 else 5) else "meets"}
            record = {"village_code": code, "village_name": f"村{code}", "township_code": township,
                      "township_name": f"乡{township}"}
            for standard in STANDARDS:
                record[f"{standard.key}_verdict"] = verdicts[standard.key]
                record[f"{standard.key}_reason"] = f"{standard.key} {verdicts[standard.key]}"
                record[standard.value_column] = 100.0 + k
            records.append(record)
    return pd.DataFrame(records)


def _changes() -> pd.DataFrame:
    return cmp.compare(_villages(1), _villages(2))


def _townships(crs: str = "EPSG:4490") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"township_code": list(CORNERS)},
                            geometry=[box(x, y, x + 0.1, y + 0.1) for x, y in CORNERS.values()],
                            crs="EPSG:4490").to_crs(crs)


def test_net_classes_on_paper():
    before = [4, 4, 4, 4, 4, 2, 0, 0, 1]
    after = [2, 3, 4, 5, 6, 1, 1, 0, 0]
    assert net_classes(before, after).tolist() == ["halved", "fewer", "same", "more", "much_more", "halved",
                                                   "much_more", "same", "halved"]


def test_each_township_counts_its_open_problems_and_changes():
    table = area_changes(_changes(), "township", texts("zh"))
    road = table[table["standard"] == "road"]
    # 3 villages: 3 open before, 2 after; 2: 2 -> 1; 6: 6 -> 5
    assert road["before"].to_dict() == {"110101001": 3, "110101002": 2, "120103001": 6}
    assert road["after"].to_dict() == {"110101001": 2, "110101002": 1, "120103001": 5}
    assert road["class"].to_dict() == {"110101001": "fewer", "110101002": "halved", "120103001": "fewer"}
    assert road["closed"].to_dict() == {"110101001": 1, "110101002": 1, "120103001": 1}
    assert road["persisting"].to_dict() == {"110101001": 2, "110101002": 1, "120103001": 5}
    water = table[table["standard"] == "water"]
    assert water[["before", "after", "new"]].to_dict("list") == {"before": [0, 0, 0], "after": [1, 1, 1],
                                                                 "new": [1, 1, 1]}
    assert set(water["class"]) == {"much_more"}
    clinic = table[table["standard"] == "clinic"]   # only 110101001 has a clinic row: persisting
    assert clinic.index.tolist() == ["110101001"] and clinic["class"].tolist() == ["same"]
    fibre = table[table["standard"] == "fibre"]
    assert fibre.index.tolist() == ["120103001"]
    assert fibre[["before", "after", "new", "persisting"]].iloc[0].tolist() == [4, 5, 1, 4]
    assert fibre["class"].tolist() == ["more"]
    assert table["name"].to_dict()["120103001"] == "乡120103001"
    # every change row is counted once
    assert int(table[list(CHANGES)].to_numpy().sum()) == len(_changes())


def test_counties_sum_their_townships():
    table = area_changes(_changes(), "county", texts("en"))
    road = table[table["standard"] == "road"]
    assert road[["before", "after"]].to_dict("index") == {"110101": {"before": 5, "after": 3},
                                                           "120103": {"before": 6, "after": 5}}
    assert road["class"].tolist() == ["fewer", "fewer"]
    assert road["name"].tolist() == ["County 110101", "County 120103"]


def _config(m) -> dict:
    [layers] = [child for child in m._children.values() if isinstance(child, change_areas.ChangeAreaLayers)]
    return json.loads(layers.config)


@pytest.mark.parametrize("crs", ["EPSG:4490", "EPSG:4547"])
def test_the_map_draws_the_areas_with_shapes_and_counts_the_rest(crs):
    m = change_area_map(_changes(), _townships(crs), lang="zh", title="两县 2024 → 2025")
    config = _config(m)
    assert config["order"] == ["road", "water", "clinic", "fibre"]   # net4g: no change
    # 110101002 has no shape: its rows are counted as undrawn, not drawn
    assert [row[1] for row in config["rows"]["road"]] == ["110101001", "120103001"]
    assert config["rows"]["road"][0][2:6] == ["乡110101001", "fewer", 3, 2]
    assert config["counts"]["road"]["closed"] == 3 and config["counts"]["road"]["undrawn"] == 2
    assert config["classes"]["road"] == {"halved": 0, "fewer": 2, "same": 0, "more": 0, "much_more": 0}
    assert config["classes"]["fibre"] == {"halved": 0, "fewer": 0, "same": 0, "more": 1, "much_more": 0}
    html = m.get_root().render()
    assert "两县 2024 → 2025" in html and "未解决问题的增减（按乡镇）" in html
    [fit] = [child for child in m._children.values() if type(child).__name__ == "FitBounds"]
    # the shapes' box in lon/lat (a projected box, put in lon/lat, holds a little more)
    assert np.allclose(fit.bounds, [[39.0, 116.0], [39.1, 117.1]], atol=1e-6 if crs == "EPSG:4490" else 0.03)


def test_above_the_townships_limit_the_counties_are_drawn():
    m = change_area_map(_changes(), _townships(), lang="en", townships_max=2)
    config = _config(m)
    # the two counties' shapes: 120103 from its township; 110101 from 110101001 alone
    assert [row[1] for row in config["rows"]["road"]] == ["110101", "120103"]
    assert [row[4:6] for row in config["rows"]["road"]] == [[5, 3], [6, 5]]
    assert config["counts"]["road"]["undrawn"] == 0
    assert "Open problems, change per counties" in m.get_root().render()


def test_no_shapes_writes_nothing(tmp_path):
    far = gpd.GeoDataFrame({"township_code": ["999999999"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4490")
    assert write_change_area_map(tmp_path / "changes.html", _changes(), far) is None
    assert not (tmp_path / "changes.html").exists()


def _run_folder(folder, townships_layer: bool):
    """coverage.gpkg of ``_villages(2)``: each village a 0.01-degree square in its township's row."""
    villages = _villages(2)
    shapes = [box(116.0 + 0.01 * k, 39.0 + 0.01 * t, 116.01 + 0.01 * k, 39.01 + 0.01 * t)
              for t, (township, n) in enumerate(TOWNSHIPS.items()) for k in range(n)]
    frame = gpd.GeoDataFrame(villages, geometry=shapes, crs="EPSG:4490")
    layers = {"villages": frame}
    if townships_layer:
        layers["townships"] = frame[["township_code", "geometry"]].dissolve("township_code").reset_index()
    folder.mkdir()
    write_gpkg_layers(folder / "coverage.gpkg", layers)
    return frame


@pytest.mark.parametrize("batch", [65_536, 4])
def test_township_shapes_dissolved_from_the_villages(tmp_path, monkeypatch, batch):
    """Without a townships layer the villages are united per township a batch at a time; a
    township cut by a batch's end is united again."""
    monkeypatch.setattr(ch, "ARROW_BATCH", batch)
    frame = _run_folder(tmp_path / "run", townships_layer=False)
    shapes = ch.township_shapes(tmp_path / "run").set_index("township_code")
    assert sorted(shapes.index) == sorted(TOWNSHIPS)
    for township, n in TOWNSHIPS.items():
        shape = shapes.geometry[township]
        assert np.isclose(shape.area, 0.0001 * n) and shape.equals(frame[frame["township_code"] == township].union_all())
    assert shapes.crs == frame.crs


def test_township_shapes_read_from_the_run(tmp_path):
    frame = _run_folder(tmp_path / "run", townships_layer=True)
    shapes = ch.township_shapes(tmp_path / "run")
    assert sorted(shapes["township_code"]) == sorted(TOWNSHIPS) and list(shapes.columns) == ["township_code",
                                                                                            "geometry"]
    assert shapes.set_index("township_code").geometry["110101002"].equals(
        frame[frame["township_code"] == "110101002"].union_all())
    assert ch.township_shapes(tmp_path / "nothing") is None


@pytest.mark.browser
def test_the_area_map_in_the_browser(tmp_path, offline_page):
    path = write_change_area_map(tmp_path / "changes.html", _changes(), _townships(), lang="zh")
    page = offline_page.page
    page.goto(path.as_uri(), wait_until="load")
    paths = "path.leaflet-interactive"
    page.wait_for_selector(paths)
    assert page.locator(paths).count() == 2
    fills = page.eval_on_selector_all(paths, "paths => paths.map(p => p.getAttribute('fill'))")
    assert fills == [NET_STYLES["fewer"]["fillColor"]] * 2
    page.locator(paths).first.click()
    popup = page.locator(".covermap-change")
    assert "乡110101001" in popup.inner_text() and "未解决问题\t3\t2" in popup.inner_text()
    page.locator(".leaflet-control-layers-base label", has_text=standard_name("fibre", "zh")).locator("input").click()
    assert page.locator(paths).count() == 1
    shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        ".covermap-change-classes tr[data-class]")].map(tr => [tr.dataset.class, tr.querySelector(".shown").textContent]))""")
    assert shown == {"halved": "0", "fewer": "0", "same": "0", "more": "1", "much_more": "0"}
    assert offline_page.problems() == []


# -- changes.gpkg: the polygons as the runs hold them, a block of rows at a time ---------------

@pytest.mark.parametrize("block", [50_000, 4])
def test_the_changes_layer_holds_each_rows_polygon(tmp_path, monkeypatch, block):
    """changes.gpkg written block by block from the runs' WKB (promoted to multis where the
    layer mixes polygons and multipolygons; the old run's polygons for removed villages; none
    for a village without one) holds what the layer written from decoded polygons holds."""
    from shapely.geometry import MultiPolygon

    from gis.io import read_vector
    from layers import changelayer, polygons

    monkeypatch.setattr(changelayer, "GPKG_ROWS", block)
    old, new = _villages(1), _villages(2)
    removed = old["village_code"].iloc[3]
    new = new[new["village_code"] != removed].reset_index(drop=True)

    def square(k):
        return box(116.0 + 0.01 * k, 39.0, 116.01 + 0.01 * k, 39.01)

    def shapes(table):
        out = [square(k) if k % 3 else MultiPolygon([square(k), square(k + 100)]) for k in range(len(table))]
        out[1] = None   # a village without a boundary
        return out

    for name, table in (("old", old), ("new", new)):
        (tmp_path / name).mkdir()
        write_gpkg_layers(tmp_path / name / "coverage.gpkg",
                          {"villages": gpd.GeoDataFrame(table, geometry=shapes(table), crs="EPSG:4490")})
    changes = cmp.compare(old, new)
    assert (changes["change"] == "village_removed").any()
    changelayer.write_layer(tmp_path / "fast.gpkg", changelayer._FrameRows(changes), tmp_path / "old",
                            tmp_path / "new")
    write_gpkg_layers(tmp_path / "plain.gpkg",
                      {"changes": polygons.on_polygons(changes, tmp_path / "old", tmp_path / "new")})
    fast, plain = read_vector(tmp_path / "fast.gpkg"), read_vector(tmp_path / "plain.gpkg")
    assert len(fast) == len(changes) and fast.geom_type.dropna().unique().tolist() == ["MultiPolygon"]
    pd.testing.assert_frame_equal(fast.drop(columns="geometry"), plain.drop(columns="geometry"))
    assert fast.geometry.isna().tolist() == plain.geometry.isna().tolist()
    drawn = fast.geometry.notna()
    assert fast.geometry[drawn].geom_equals_exact(plain.geometry[drawn], 0).all()
    # a removed village drawn with the old run's polygon
    gone = fast[fast["change"] == "village_removed"].geometry
    assert len(gone) and gone.iloc[0].equals(MultiPolygon([square(3), square(103)]))


def test_overlapping_townships_are_united_by_the_general_union():
    """Counties are united by the coverage union, unchecked; one whose townships overlap (its
    coverage union invalid) is united again by the general union: valid, with its whole area."""
    import shapely

    from maps.geojson import dumps

    townships = gpd.GeoDataFrame({"township_code": ["110101001", "110101002", "120103001"]},
                                 geometry=[box(116.0, 39.0, 116.1, 39.1), box(116.05, 39.0, 116.15, 39.1),
                                           box(117.0, 39.0, 117.1, 39.1)], crs="EPSG:4490")
    villages = pd.DataFrame({"village_code": ["110101001201", "110101002201", "120103001201"],
                             "township_code": ["110101001", "110101002", "120103001"]})
    shapes = {f["id"]: shapely.from_geojson(dumps(f["geometry"])) for f in
              change_areas._county_shapes(townships, villages)["features"]}
    assert sorted(shapes) == ["110101", "120103"]
    assert all(shapely.is_valid(shape) for shape in shapes.values())
    assert np.isclose(shapes["110101"].area, 0.015, rtol=1e-3) and np.isclose(shapes["120103"].area, 0.01, rtol=1e-3)
