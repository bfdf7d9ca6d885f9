"""The change map of a comparison over several counties (issue 20): as the run's own maps of
such runs (maps/aggregates.py), one polygon per township, or per county above
``AGGREGATE_TOWNSHIPS_MAX`` townships, in place of every village. A national comparison's
1.4 million changed village x standard items on 490,000 village polygons made a page no
browser opens, and simplifying those polygons took minutes and above 7.6 GB; its 2,850
counties make a page of a few MB.

One layer per standard: each area coloured by how its open problems (fails or basic) moved
between the runs (``NET_CLASSES``), its popup the open problems before and after and the
items of each change. Counts come from the changes table (every row, drawn or not), shapes
from the township polygons (layer ``townships`` of the run's coverage.gpkg, or its villages
dissolved), as maps.aggregates shapes the run's maps. The village-by-village changes are in
changes.csv and changes.gpkg.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from gis.geometry import usable
from maps.aggregates import AGGREGATE_TOWNSHIPS_MAX, area_shapes, area_unit
from maps.basemaps import tile_layers
from maps.changes import CHANGE_COLOURS, CHANGES, check_changes
from maps.coverage_map import MetricScale, save
from maps.extra import words_of
from maps.geojson import require_crs, script_json, to_lonlat
from maps.i18n import texts
from maps.leaflet import InlineAssets, use_leaflet
from maps.legend import _CSS as LEGEND_CSS
from maps.legend import Legend
from maps.options import make_options
from maps.styles import STANDARDS, checked_style, shown_colour

OPEN = ("fails", "basic")   # an open problem (layers.compare.OPEN)
UNIT_WORDS = {"township": "area.townships", "county": "area.counties"}


@dataclass(frozen=True)
class NetClass:
    key: str
    colour: str


# How an area's open problems moved, best first: at most half of before; fewer; as many;
# more; half as many again or more (or some where there were none).
NET_CLASSES = (NetClass("halved", "#1a9641"), NetClass("fewer", "#a6d96a"), NetClass("same", "#ffffbf"),
               NetClass("more", "#fdae61"), NetClass("much_more", "#d7191c"))
NET_STYLES = {net.key: checked_style({"color": "#404040", "weight": 1, "fillColor": net.colour, "fillOpacity": 0.7})
              for net in NET_CLASSES}


def net_classes(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The NET_CLASSES key of each area from its open problems before and after (integers)."""
    before, after = np.asarray(before, dtype=np.int64), np.asarray(after, dtype=np.int64)
    return np.select([(before > 0) & (2 * after <= before), after < before, after == before,
                      (before > 0) & (2 * after < 3 * before)],
                     ["halved", "fewer", "same", "more"], "much_more").astype(object)


def area_changes(changes: pd.DataFrame, unit: str, words: Mapping[str, str]) -> pd.DataFrame:
    """Per area (township code, or the county: the first six digits of the village code) and
    standard, in code then standard order: ``name``, ``county``, ``before`` and ``after``
    (open problems in the old and the new run), ``class`` (NET_CLASSES) and a column per
    change key (its items)."""
    codes = changes["village_code"].astype(str)
    county = codes.str[:6]
    area = (changes["township_code"].astype(object).where(changes["township_code"].notna(), "").astype(str)
            if unit == "township" else county)
    frame = pd.DataFrame({"area": area.to_numpy(), "standard": changes["standard"].astype(str).to_numpy(),
                          "change": changes["change"].astype(str).to_numpy(),
                          "before": changes["old_verdict"].isin(OPEN).to_numpy(),
                          "after": changes["new_verdict"].isin(OPEN).to_numpy()})
    keys = ["area", "standard"]
    grouped = frame.groupby(keys, sort=True)
    table = grouped[["before", "after"]].sum().astype(np.int64)
    each = frame.groupby([*keys, "change"], sort=False).size().unstack("change", fill_value=0)
    table = table.join(each.reindex(columns=list(CHANGES), fill_value=0)).astype(np.int64)
    table.insert(2, "class", net_classes(table["before"].to_numpy(), table["after"].to_numpy()))
    names = pd.DataFrame({"area": area.to_numpy(), "name": changes["township_name"].to_numpy(),
                          "county": county.to_numpy()}).groupby("area", sort=True)[["name", "county"]].first()
    if unit == "county":
        names["name"] = [words["area.county"].format(code=code) for code in names.index]
    names["name"] = [str(name) if pd.notna(name) and str(name) else code for code, name in names["name"].items()]
    return names.join(table.reset_index("standard"), how="inner")


def _area_villages(changes: pd.DataFrame) -> pd.DataFrame:
    """One row per township (its code and a village code of it): what maps.aggregates needs to
    put townships in counties and choose the unit."""
    township = changes["township_code"].astype(object).where(changes["township_code"].notna(), "").astype(str)
    first = ~township.duplicated().to_numpy()
    return pd.DataFrame({"village_code": changes["village_code"].astype(str).to_numpy()[first],
                         "township_code": township.to_numpy()[first]})


def _county_shapes(townships: gpd.GeoDataFrame, villages: pd.DataFrame) -> dict:
    """``area_shapes``' county shapes, the townships united per county by GEOS' coverage
    union without checking first that they form a clean coverage (490k villages: the check
    took about as long as the union and the simplifying together); a county whose union
    comes out invalid (its townships overlap) is united again by the general union."""
    drawn = townships[usable(townships.geometry.values)]
    county_of = pd.Series(villages["village_code"].astype(str).str[:6].to_numpy(),
                          index=villages["township_code"].astype(str).to_numpy())
    codes = drawn["township_code"].astype(str).map(county_of[~county_of.index.duplicated()])
    frame = gpd.GeoDataFrame({"code": codes.to_numpy()}, geometry=drawn.geometry.values, crs=townships.crs)
    frame = frame[frame["code"].notna()]
    try:
        united = frame.dissolve("code", method="coverage").reset_index()
        bad = united["code"][~shapely.is_valid(np.asarray(united.geometry.values, dtype=object))]
    except shapely.errors.GEOSException:   # GEOS refused the coverage outright
        united, bad = frame.iloc[:0], frame["code"].unique()
    if len(bad):
        again = frame[frame["code"].isin(bad)].dissolve("code", method="unary").reset_index()
        united = pd.concat([united[~united["code"].isin(bad)], again], ignore_index=True)
    # each county its own "township" now: area_shapes simplifies and exports them, uniting nothing
    counties = pd.DataFrame({"village_code": united["code"].astype(str) + "000000", "township_code": united["code"]})
    return area_shapes(united.rename(columns={"code": "township_code"}), counties, "county")


def _legend(shown: Mapping[str, int], counts: Mapping[str, Mapping[str, int]], first: str, unit: str,
            words: Mapping[str, str], title: str) -> Legend:
    """The classes with the areas of each in the standard shown (updated by the page when
    another is chosen), then the items of each change in it and in all standards."""
    def row(attributes: str, label: str, swatch: str, *cells) -> str:
        tds = "".join(f'<td class="{kind}">{value}</td>' for kind, value in cells)
        return f"<tr {attributes}><td>{swatch}{escape(label)}</td>{tds}</tr>"

    classes = "".join(row(f'data-class="{net.key}"', words[f"changes.net.{net.key}"],
                          f'<span class="swatch" style="background:{shown_colour(NET_STYLES[net.key])};'
                          f'border-color:{NET_STYLES[net.key]["color"]}"></span>', ("shown", shown[net.key]))
                      for net in NET_CLASSES)
    total = {key: sum(standard[key] for standard in counts.values()) for key in (*CHANGES, "undrawn")}
    labels = {**{key: words[f"change.{key}"] for key in CHANGES}, "undrawn": words["changes.undrawn"]}
    items = "".join(row(f'data-change="{key}"', labels[key], "", ("shown", counts[first][key]), ("count", total[key]))
                    for key in (*CHANGES, "undrawn") if key != "undrawn" or total[key])
    heading = f"<h4>{escape(title)}</h4>" if title else ""
    return Legend(
        f"<style>{LEGEND_CSS}</style>\n<div class=\"covermap-legend\">{heading}"
        f"<strong>{escape(words['changes.net'].format(unit=words[UNIT_WORDS[unit]].lower()))}</strong>"
        f'<table class="covermap-change-classes">{classes}</table>'
        f"<strong>{escape(words['changes.legend'])}</strong>"
        f'<table class="covermap-change-counts"><tr><th></th><th class="shown-name">'
        f'{escape(words[f"standard.{first}"])}</th><th>{escape(words["changes.all"])}</th></tr>{items}</table>'
        f'<p>{escape(words["changes.areas_note"])}</p></div>')


_CSS = """
.covermap-change { font: 12px/1.4 sans-serif; }
.covermap-change h4 { margin: 0 0 2px; font-size: 14px; }
.covermap-change .meta { margin: 0 0 4px; color: #555; }
.covermap-change table { border-collapse: collapse; }
.covermap-change th, .covermap-change td { border-bottom: 1px solid #ddd; padding: 2px 5px; text-align: left; }
.covermap-change td.n { text-align: right; }
.covermap-change-classes, .covermap-change-counts { border-collapse: collapse; margin: 2px 0 4px; }
.covermap-change-counts th { font-weight: normal; color: #555; text-align: right; padding: 0 0 0 10px; }
.covermap-change-classes td, .covermap-change-counts td { padding: 1px 0; }
.covermap-legend td.shown, .covermap-legend td.count { text-align: right; padding-left: 10px; font-weight: bold; }
.covermap-legend td.count { color: #555; }
"""

# rows: [shape, code, name, class, before, after, items of each change in CHANGES order]
_JS = """
function covermapChangeAreas(map, shapes, config) {
  const t = config.texts, overlays = {};
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function popup(standard, row) {
    const box = el("div", null, "covermap-change");
    box.appendChild(el("h4", row[2]));
    box.appendChild(el("p", t["popup.code"] + " " + row[1] + " \\u00b7 " + config.names[standard], "meta"));
    const table = el("table"), head = el("tr");
    [" ", t["changes.old"], t["changes.new"]].forEach(text => head.appendChild(el("th", text)));
    table.appendChild(head);
    const open = el("tr");
    open.appendChild(el("th", t["changes.open"]));
    open.appendChild(el("td", String(row[4]), "n"));
    open.appendChild(el("td", String(row[5]), "n"));
    table.appendChild(open);
    box.appendChild(table);
    const items = el("table");
    config.changes.forEach((key, k) => {
      if (!row[6 + k]) return;
      const tr = el("tr"), word = el("td", t["change." + key]);
      word.style.color = config.colours[key];
      tr.appendChild(word);
      tr.appendChild(el("td", String(row[6 + k]), "n"));
      items.appendChild(tr);
    });
    box.appendChild(items);
    return box;
  }
  config.order.forEach(standard => {
    const rows = config.rows[standard];
    const features = rows.map((row, at) => ({type: "Feature", id: row[1], geometry: shapes[row[0]],
      properties: {row: at}}));
    const layer = L.geoJSON({type: "FeatureCollection", features: features}, {
      style: feature => Object.assign({}, config.styles[rows[feature.properties.row][3]]),
      onEachFeature: (feature, path) => {
        const row = rows[feature.properties.row];
        path.bindPopup(() => popup(standard, row), {maxWidth: 360});
        path.bindTooltip(el("span", row[2] + " \\u00b7 " + config.names[standard] + ": " + row[4] + " \\u2192 "
          + row[5]), {sticky: true});
        path.on("mouseover", () => path.setStyle({weight: 3}));
        path.on("mouseout", () => path.setStyle({weight: 1}));
      }});
    overlays[config.names[standard]] = layer;
    layer.standard = standard;
  });
  overlays[config.names[config.order[0]]].addTo(map);
  L.control.layers(overlays, null, {collapsed: false}).addTo(map);
  map.on("baselayerchange", event => {
    const counts = config.counts[event.layer.standard];
    document.querySelector(".covermap-change-counts .shown-name").textContent = event.name;
    document.querySelectorAll(".covermap-change-counts tr[data-change]").forEach(tr => {
      tr.querySelector(".shown").textContent = counts[tr.dataset.change];
    });
    document.querySelectorAll(".covermap-change-classes tr[data-class]").forEach(tr => {
      tr.querySelector(".shown").textContent = config.classes[event.layer.standard][tr.dataset.class];
    });
  });
}
"""


class ChangeAreaLayers(MacroElement):
    """The page's call of ``covermapChangeAreas`` with the areas' shapes and rows per standard."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        covermapChangeAreas({{ this._parent.get_name() }}, {{ this.shapes }}, {{ this.config }});
        {% endmacro %}
    """)

    def __init__(self, shapes: list, config: Mapping):
        super().__init__()
        self._name = "ChangeAreaLayers"
        self.shapes = script_json(shapes)
        self.config = script_json(config)


def change_area_map(changes: pd.DataFrame, townships: gpd.GeoDataFrame, lang: str = "zh", online: bool = False,
                    title: str | None = None, extra: tuple = (),
                    townships_max: int = AGGREGATE_TOWNSHIPS_MAX) -> folium.Map | None:
    """The map of ``changes`` (layers.compare.COLUMNS, no geometry needed) over areas shaped
    from ``townships`` (``township_code`` and the township's polygon, any CRS); None when no
    area has a shape. ``extra``: the optional standards compared (maps.extra)."""
    words = texts(lang) if not extra else {**texts(lang), **words_of(extra)}
    check_changes(changes, extra)
    require_crs(townships, "township shapes")
    villages = _area_villages(changes)
    unit = area_unit(villages, townships_max)
    table = area_changes(changes, unit, words)
    shapes = area_shapes(townships, villages, unit) if unit == "township" else _county_shapes(townships, villages)
    at = {feature["id"]: k for k, feature in enumerate(shapes["features"])}
    drawn = table.index.isin(list(at))
    if not drawn.any():
        return None
    title = words["changes.title"] if title is None else title
    order = [key for key in (*STANDARDS, *(s.key for s in extra)) if (table["standard"] == key).any()]
    rows, counts, classes = {}, {}, {}
    for key in order:
        mine = table[table["standard"] == key]
        shown = mine[mine.index.isin(list(at))]
        rows[key] = [[at[code], code, name, net, int(before), int(after), *map(int, items)]
                     for code, name, net, before, after, *items in zip(
                         shown.index, shown["name"], shown["class"], shown["before"], shown["after"],
                         *(shown[change] for change in CHANGES))]
        counts[key] = {**{change: int(mine[change].sum()) for change in CHANGES},
                       "undrawn": int(mine.loc[~mine.index.isin(list(at)), list(CHANGES)].to_numpy().sum())}
        found = shown["class"].value_counts()
        classes[key] = {net.key: int(found.get(net.key, 0)) for net in NET_CLASSES}

    m = folium.Map(tiles=None)
    for layer in tile_layers(make_options(online=online, lang=lang)):
        layer.add_to(m)
    MetricScale().add_to(m)
    use_leaflet(m, online)
    m.get_root().header.add_child(InlineAssets(f"<style>{_CSS}</style>\n<script>{_JS}</script>"),
                                  name="covermap_change_areas")
    if title:
        m.get_root().title = escape(title)
    # the frame's box, not its 40,000 polygons, put in lon/lat (its edges cut into 50 pieces each)
    box = shapely.segmentize(shapely.box(*townships.total_bounds), max(*np.ptp(
        np.reshape(townships.total_bounds, (2, 2)), axis=0), 1e-9) / 50)
    west, south, east, north = to_lonlat(gpd.GeoDataFrame(geometry=[box], crs=townships.crs),
                                         "township shapes").total_bounds
    m.fit_bounds([[float(south), float(west)], [float(north), float(east)]], padding=(20, 20))
    config = {"order": order, "rows": rows, "counts": counts, "classes": classes, "changes": list(CHANGES),
              "names": {key: words[f"standard.{key}"] for key in order},
              "styles": {key: dict(style) for key, style in NET_STYLES.items()}, "colours": CHANGE_COLOURS,
              "texts": {key: value for key, value in words.items() if key.startswith(("change.", "changes.", "popup."))}}
    ChangeAreaLayers([feature["geometry"] for feature in shapes["features"]], config).add_to(m)
    m.get_root().html.add_child(_legend(classes[order[0]], counts, order[0], unit, words, title), name="legend")
    return m


def write_change_area_map(path: str | os.PathLike, changes: pd.DataFrame, townships: gpd.GeoDataFrame,
                          lang: str = "zh", online: bool = False, title: str | None = None,
                          extra: tuple = ()) -> Path | None:
    """Write ``change_area_map`` to ``path`` (one HTML file, Leaflet inlined unless ``online``)
    and return the path; None, writing nothing, when no area has a shape."""
    m = change_area_map(changes, townships, lang=lang, online=online, title=title, extra=extra)
    return None if m is None else save(m, path)
