"""Text from the data reaches every map as it is, whatever it holds: branca compiles each
rendered map element as a Jinja template again, so a village, township or road named with
"{{ }}", "{% %}" or "{# #}" must come out of the page's JSON unchanged (and not as "49"),
in SVG and in canvas-tile maps, village and aggregate maps, and the map title too."""

from __future__ import annotations

import contextlib
import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from maps import make_options, write_atlas
from test_map_aggregates import province

NAMES = {"village": "村{{ 7*7 }}", "other": "村{% if x %}y{% endif %}{# z #}", "township": "镇{{ 7*7 }}",
         "road": "路{{ 6*7 }}"}
TITLE = "{{ 7*7 }} 县 {% raw %}"
# a JSON string literal as it sits in the page's scripts
STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def _strings(page: str) -> set[str]:
    found = set()
    for literal in STRING.findall(page):
        try:
            found.add(json.loads(literal))
        except ValueError:
            continue
    return found


def _villages(counties: bool) -> gpd.GeoDataFrame:
    villages = province(300, seed=5)
    if not counties:   # one county: village maps and township maps
        villages = villages[villages["village_code"].str[:6] == "520101"].copy()
    first = villages.index[0]
    villages.loc[first, "village_name"] = NAMES["village"]
    villages.loc[villages.index[1], "village_name"] = NAMES["other"]
    villages.loc[villages["township_code"] == villages.loc[first, "township_code"], "township_name"] = NAMES["township"]
    return villages


def _roads(villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    centres = shapely.centroid(villages.geometry.to_numpy()[:40])
    lines = shapely.linestrings(np.stack([shapely.get_coordinates(centres),
                                          shapely.get_coordinates(centres) + 300.0], axis=1))
    names = [NAMES["road"]] + [f"路{k}" for k in range(1, 40)]
    return gpd.GeoDataFrame({"hardened": [True, False] * 20, "surface": "asphalt", "name": names},
                            geometry=lines, crs=villages.crs)


@pytest.mark.parametrize(("counties", "tiled"), [(True, None), (False, False), (False, True)])
def test_names_and_title_with_template_syntax_reach_the_maps_unchanged(tmp_path, counties, tiled):
    villages = _villages(counties)
    write_atlas(villages, {"roads": _roads(villages)}, tmp_path, make_options(lang="en", tiled=tiled),
                title=TITLE, township_maps_above=0)
    pages = {path.relative_to(tmp_path).as_posix(): path.read_text(encoding="utf-8")
             for path in tmp_path.rglob("*.html")}
    assert len(pages) > 6
    seen = set()
    for name, page in pages.items():
        assert "村49" not in page and "镇49" not in page and "路42" not in page, name
        assert "49 县" not in page and TITLE in page, name     # the title as given, in <title> and the legend
        seen |= _strings(page) & set(NAMES.values())
    # each name is in some map's data as it was written (drawn villages, township outlines
    # or aggregates, road layers)
    assert seen == set(NAMES.values())


@pytest.mark.parametrize(("counties", "tiled"), [(True, None), (False, False), (False, True)])
def test_macros_kept_verbatim_give_the_pages_branca_renders(tmp_path, monkeypatch, counties, tiled):
    """maps.coverage_map renders each element's macros without branca compiling their output
    as a template again: every page is the one branca's own MacroElement.render gives
    (folium's random ids aside), names with template syntax included; and branca's method
    is put back after each page, an error included."""
    from branca.element import MacroElement

    from maps import coverage_map
    from test_share_out import pages

    villages = _villages(counties)
    branca_render = MacroElement.render
    options = make_options(lang="en", tiled=tiled)
    (tmp_path / "ours").mkdir()
    write_atlas(villages, {"roads": _roads(villages)}, tmp_path / "ours", options, title=TITLE, township_maps_above=0)
    assert MacroElement.render is branca_render
    monkeypatch.setattr(coverage_map, "_verbatim_macros", contextlib.nullcontext)
    (tmp_path / "branca").mkdir()
    write_atlas(villages, {"roads": _roads(villages)}, tmp_path / "branca", options, title=TITLE,
                township_maps_above=0)
    ours, theirs = pages(tmp_path / "ours"), pages(tmp_path / "branca")
    assert len(ours) >= 7 and ours == theirs
    monkeypatch.undo()

    class Broken(MacroElement):
        _template = coverage_map.Template("{% macro script(this, kwargs) %}{{ this.missing() }}{% endmacro %}")

    m = coverage_map.folium.Map()
    Broken().add_to(m)
    with pytest.raises(Exception):
        coverage_map.render(m)
    assert MacroElement.render is branca_render
