"""The legend explains every symbol a map draws, and township maps name their villages.

The check is derived from the maps themselves: the styles each drawn layer applies to its
features (GeoJSON: its style function on every feature; canvas tiles: the styles its shapes
use; the township outlines the page script draws) must each be the ``data-style`` of a legend
entry. A layer given a new style and no legend entry fails here, whichever map, language or
drawing mode shows it. The hand-drawn villages and inputs are those of test_maps.py."""

from __future__ import annotations

import json
import re
from html import unescape

import folium
import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from maps import build_map, make_options
from maps.aggregates import make_areas, township_shapes
from maps.coverage_map import area_bureau_map, area_overview_map, overview_map, prepare, render
from maps.legend import SYMBOL_STYLES
from maps.styles import BUREAUS, INFRASTRUCTURE_STYLES, SYMBOL_SHAPES, VILLAGE_STYLES, shown_colour
from maps.tiles import TiledLayer
from maps.villages import village_labels
from test_maps import sample_infrastructure, sample_villages

MAPS = (None, *BUREAUS)  # the overview, then each bureau's map
ROADS = ["roads_hardened", "roads_other", "roads_unknown"]
CLINICS = ["clinic_qualifies", "clinic_other"]
AREA_SYMBOLS = {None: ROADS + ["water"] + CLINICS + ["coverage", "fibre"], "transport": ROADS, "water": ["water"],
                "health": CLINICS, "telecom": ["coverage", "fibre"]}


def every_input() -> dict[str, gpd.GeoDataFrame]:
    """test_maps' inputs with network coverage and fibre too: every kind of symbol is drawn."""
    inputs = sample_infrastructure()
    inputs["coverage"] = gpd.GeoDataFrame({"technology": ["4G"]}, geometry=[box(500_000, 2_900_000, 501_600, 2_901_400)],
                                          crs="EPSG:32648")
    inputs["fibre"] = gpd.GeoDataFrame({"name": ["OLT-1"]}, geometry=[Point(501_200, 2_900_300)], crs="EPSG:32648")
    return inputs


def _canon(style) -> str:
    return json.dumps(dict(style), sort_keys=True)


def used_styles(m: folium.Map, html: str) -> set[str]:
    """Every style the map's layers apply to what they draw."""
    found = set()
    for child in m._children.values():
        if isinstance(child, folium.GeoJson):
            found |= {_canon(child.style_function(feature)) for feature in child.data["features"]}
        elif isinstance(child, TiledLayer):
            options = json.loads(child.options)
            used = set(options["classes"]) if options["classes"] is not None else {0}
            found |= {_canon(options["styles"][i]) for i in used}
    config = json.loads(re.search(r"covermapApp\([^,]+, \[[^\]]*\], \w+, (\{.*\})\);", html).group(1))
    if config["townships"]["features"]:  # drawn by the page script
        found.add(_canon(config["townshipStyle"]))
    return found


def legend(html: str) -> str:
    return html[html.index('<div class="covermap-legend">'):]


def legend_styles(html: str) -> set[str]:
    return {_canon(json.loads(unescape(style))) for style in re.findall(r'data-style="([^"]*)"', legend(html))}


def legend_symbols(html: str) -> list[str]:
    return re.findall(r'<li data-symbol="(\w+)"', legend(html))


@pytest.mark.parametrize("tiled", [False, True], ids=["svg", "tiles"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("bureau", MAPS, ids=lambda bureau: bureau or "overview")
def test_every_style_drawn_has_a_legend_entry(bureau, lang, tiled):
    m = build_map(sample_villages(), every_input(), lang=lang, bureau=bureau, tiled=tiled)
    html = render(m)
    used = used_styles(m, html)
    assert len(used) >= 3
    assert used <= legend_styles(html), used - legend_styles(html)


@pytest.mark.parametrize("bureau", MAPS, ids=lambda bureau: bureau or "overview")
def test_aggregate_maps_explain_their_inputs_too(bureau):
    """A run over several counties: townships coloured by share, the inputs drawn as before."""
    villages = sample_villages()
    moved = villages["township_code"] == "520101002"
    for column in ("village_code", "township_code"):
        villages.loc[moved, column] = "520102" + villages.loc[moved, column].str[6:]
    prep = prepare(villages, every_input(), make_options(lang="en"), whole=False)
    areas = make_areas(prep.villages, township_shapes(villages), prep.words, lambda code: f"counties/{code}.html")
    m = area_overview_map(prep, areas) if bureau is None else area_bureau_map(prep, areas, bureau)
    html = render(m)
    assert used_styles(m, html) <= legend_styles(html)
    assert legend_symbols(html) == AREA_SYMBOLS[bureau]  # no township outlines: the areas are drawn instead


def test_the_legend_names_the_symbols_drawn_and_only_those():
    overview = render(build_map(sample_villages(), sample_infrastructure(), lang="en"))  # no coverage, no fibre
    assert legend_symbols(overview) == ROADS + ["water"] + CLINICS + ["townships"]
    assert "These layers start hidden" in legend(overview)  # the overview's inputs are switched off at first
    assert "Road, surface not recorded (not counted as hardened)" in legend(overview)
    telecom = render(build_map(sample_villages(), every_input(), lang="zh", bureau="telecom"))
    assert legend_symbols(telecom) == ["coverage", "fibre", "townships"]
    assert "4G/5G覆盖范围（边界）" in legend(telecom) and "光纤接入点" in legend(telecom)
    assert "起初隐藏" not in legend(telecom)  # a bureau's inputs are shown
    health = render(build_map(sample_villages(), every_input(), lang="zh", bureau="health"))
    assert legend_symbols(health) == ["clinic_qualifies", "clinic_other", "townships"]
    assert "合格的村卫生室" in legend(health)


def test_every_symbol_has_a_shape_and_words_in_both_languages():
    from maps.i18n import texts

    for key in INFRASTRUCTURE_STYLES:
        assert SYMBOL_SHAPES[key] in ("line", "area", "point")
        assert texts("zh")[f"symbol.{key}"] != texts("en")[f"symbol.{key}"]
    assert set(SYMBOL_STYLES) >= set(INFRASTRUCTURE_STYLES)


def test_areas_over_villages_are_outlines_that_leave_their_colour():
    """Water service areas and network coverage lie over the villages: no fill, so a village
    shows its legend colour and takes the click (an SVG path without fill takes its line only)."""
    for key, shape in SYMBOL_SHAPES.items():
        if shape == "area" and key in INFRASTRUCTURE_STYLES:
            assert INFRASTRUCTURE_STYLES[key]["fill"] is False, key


def test_swatches_show_the_fill_as_the_map_does():
    # #1a9641 at 0.7 over Leaflet's #dddddd: 0.7 * 26 + 0.3 * 221 = 84.5 (in floats just above: 85),
    # 0.7 * 150 + 66.3 = 171.3, 0.7 * 65 + 66.3 = 111.8
    assert shown_colour(VILLAGE_STYLES["none"]) == "#55ab70"
    html = render(build_map(sample_villages(), lang="en"))
    swatch = re.search(r'data-class="none".*?class="swatch" style="background:(#\w{6})', legend(html)).group(1)
    assert swatch == "#55ab70"


def test_village_labels_give_the_room_inside_each_village():
    """An L-shaped village (0.01 degree arms): its label point is on GEOS' scan line halfway
    between the vertices nearest the middle of its height (26.01 and 26.04), where the village
    is 0.01 wide although its box is 0.04; its vertical chord there runs the whole height."""
    ell = Polygon([(105.0, 26.0), (105.04, 26.0), (105.04, 26.01), (105.01, 26.01), (105.01, 26.04), (105.0, 26.04)])
    villages = gpd.GeoDataFrame({"village_code": ["1", "2", "3"], "village_name": ["L村", None, "方村"]},
                                geometry=[ell, box(105.1, 26.0, 105.12, 26.01), box(105.2, 26.0, 105.22, 26.01)],
                                crs="EPSG:4326")
    labels = village_labels(villages)
    assert [row[:2] for row in labels] == [["1", "L村"], ["3", "方村"]]  # no name, no label
    assert labels[0][2:] == pytest.approx([105.005, 26.025, 105.0, 105.01, 26.0, 26.04])
    assert labels[1][2:] == pytest.approx([105.21, 26.005, 105.2, 105.22, 26.0, 26.01])


def test_only_township_maps_name_their_villages():
    prep = prepare(sample_villages(), None, make_options(lang="en"))

    def config(html: str) -> dict:
        return json.loads(re.search(r"covermapApp\([^,]+, \[[^\]]*\], \w+, (\{.*\})\);", html).group(1))

    assert config(render(overview_map(prep)))["villageLabels"] is None
    labels = config(render(overview_map(prep, township="520101002")))["villageLabels"]
    assert [row[1] for row in labels] == ["丁村", "戊<b>&村", "己村"]  # plain text: inserted with textContent
    assert "layer.village_names" in config(render(overview_map(prep, township="520101002")))["texts"]
