"""The map of ``covermap compare``'s changes (issue 20, 动态清零): one offline page, the
villages coloured by what changed, one layer per standard, a legend with the count of each
change, and a popup per village x standard with the verdict, measured value and reason
before and after.

The input is the changes table on the villages' polygons (``layers.changes._on_polygons``:
the columns of ``layers.compare.COLUMNS`` plus ``geometry``, in any CRS). Each polygon is
held once in the page however many standards changed for its village, simplified as the
other maps simplify; the page's script builds the layers and inserts every text with
textContent, so names and reasons from the data stay plain text.

maps/ imports no layers/ (tests/test_imports.py): the change words are its own copy in
maps/i18n.py, checked against layers.compare.CHANGE_WORDS by tests/test_change_map.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from html import escape
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from gis.errors import DataError
from gis.geometry import usable
from maps.basemaps import tile_layers
from maps.coverage_map import MetricScale, save
from maps.geojson import DECIMALS, require_crs, script_json, to_lonlat
from maps.i18n import texts
from maps.leaflet import InlineAssets, use_leaflet
from maps.legend import _CSS as LEGEND_CSS
from maps.legend import Legend
from maps.options import make_options
from maps.simplify import simplify_coverage
from maps.extra import words_of
from maps.standards import FIRST
from maps.styles import STANDARDS, VERDICTS, checked_style, shown_colour

# The change keys of layers.compare.CHANGES, in its order (the legend's).
CHANGES = ("closed", "new", "persisting", "improved", "worsened", "data_gained", "data_lost", "village_added",
           "village_removed", "scope_changed")
CHANGE_COLOURS = {
    "closed": "#1a9641",          # 已销号: green
    "new": "#e31a1c",             # 新增: red
    "persisting": "#fd8d3c",      # 仍未解决: orange
    "improved": "#66c2a5",        # 好转: teal
    "worsened": "#67000d",        # 恶化: dark red
    "data_gained": "#d9d9d9",     # 补齐数据: light grey
    "data_lost": "#737373",       # 数据缺失: dark grey
    "village_added": "#7b3294",   # 新增村: purple
    "village_removed": "#2c7bb6",  # 撤销村: blue
    "scope_changed": "#ffff99",   # 适用范围变化: pale yellow
}
CHANGE_STYLES = {key: checked_style({"color": "#404040", "weight": 1, "fillColor": colour, "fillOpacity": 0.75})
                 for key, colour in CHANGE_COLOURS.items()}
if set(CHANGE_COLOURS) != set(CHANGES) or len(set(CHANGE_COLOURS.values())) != len(CHANGES):
    raise RuntimeError("maps/changes: every change needs a colour of its own")

REQUIRED = ("village_code", "village_name", "township_name", "standard", "change", "old_verdict", "new_verdict",
            "old_value", "new_value", "old_reason", "new_reason")
# How each standard's measured value reads (its value_column, maps/standards.py): scale, words
UNITS = {standard["key"]: (standard["value"]["scale"], standard["value"]["words"]) for standard in FIRST}
# The fields of one row in the page, in this order (the script reads them by position).
ROW_FIELDS = ("shape", "village_code", "village_name", "township_name", "change", "old_verdict", "new_verdict",
              "old_value", "new_value", "old_reason", "new_reason", "settings_changed")
_SHOWN = 5


def check_changes(changes: pd.DataFrame, extra: tuple = ()) -> None:
    """DataError naming every problem of a changes table the map cannot draw; ``extra``: the
    optional standards compared (maps.extra), whose rows it may hold."""
    missing = [column for column in REQUIRED if column not in changes.columns]
    if missing:
        raise DataError(f"changes table: missing column(s) {', '.join(missing)}; map the table covermap compare "
                        "writes (changes.gpkg, layer changes)")
    problems = []
    for column, known in (("standard", (*STANDARDS, *(s.key for s in extra))), ("change", CHANGES)):
        bad = ~changes[column].isin(known)
        if bad.any():
            found = ", ".join(map(repr, changes.loc[bad, column].unique()[:_SHOWN]))
            problems.append(f"column {column} holds {found}, "
                            f"not one of {', '.join(known)}")
    for column in ("old_verdict", "new_verdict"):
        given = changes[column].notna() & (changes[column].astype(str) != "")
        bad = given & ~changes[column].isin(VERDICTS)
        if bad.any():
            problems.append(f"column {column} holds {changes.loc[bad, column].iloc[0]!r} for village "
                            f"{changes.loc[bad, 'village_code'].iloc[0]}, not one of {', '.join(VERDICTS)}")
    if problems:
        raise DataError("changes table cannot be mapped: " + "; ".join(problems))


def change_counts(changes: pd.DataFrame) -> dict[str, int]:
    """Rows (village x standard) of each change key, drawn or not, every key (zeros too)."""
    found = changes["change"].value_counts()
    return {key: int(found.get(key, 0)) for key in CHANGES}


def _drawn_mask(changes: pd.DataFrame) -> np.ndarray:
    try:
        geoms = changes.geometry.values   # a DataFrame, or a GeoDataFrame without geometry, has none
    except AttributeError:
        return np.zeros(len(changes), dtype=bool)
    return usable(geoms)


def _shapes(drawn: gpd.GeoDataFrame) -> tuple[list[str], np.ndarray]:
    """The distinct polygons of ``drawn`` (simplified together, in lon/lat) as GeoJSON texts,
    and for each row the position of its polygon. A village's polygon is held once however
    many of its standards changed; removed villages (old run's polygons, which may overlap
    the new run's) are simplified apart from the others."""
    geoms = np.asarray(drawn.geometry.values, dtype=object)
    kinds = shapely.get_type_id(geoms)
    other = ~np.isin(kinds, (3, 6))
    if other.any():
        codes = drawn["village_code"].astype(str)[other].unique()[:_SHOWN]
        raise DataError(f"changes table: village boundaries must be polygons; village(s) {', '.join(codes)} are "
                        f"{', '.join(sorted(drawn.geometry[other].geom_type.unique()))}")
    _, first, index = np.unique(shapely.to_wkb(geoms), return_index=True, return_inverse=True)
    unique = gpd.GeoDataFrame({"removed": (drawn["change"].to_numpy() == "village_removed")[first]},
                              geometry=gpd.GeoSeries(geoms[first], crs=drawn.crs), crs=drawn.crs)
    parts = [simplify_coverage(unique[unique["removed"] == removed]) for removed in (False, True)]
    lonlat = to_lonlat(pd.concat(parts).sort_index(), "changes")
    rounded = shapely.transform(np.asarray(lonlat.geometry.values, dtype=object),
                                lambda coords: np.round(coords, DECIMALS))
    return shapely.to_geojson(rounded).tolist(), index


def _value_texts(values: pd.Series, standards: pd.Series, words: Mapping[str, str],
                 units: Mapping[str, tuple] = UNITS) -> list[str]:
    """Each measured value as the popups show it: "612 米", "85%"; "" when missing."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    out = []
    for number, key in zip(numbers, standards):
        scale, template = units[key]
        out.append("" if np.isnan(number) else words[template].format(value=f"{number * scale:,.0f}"))
    return out


def _plain(values: pd.Series) -> list[str]:
    return [str(value) for value in values.astype(object).where(values.notna(), "")]


def _verdict_words(values: pd.Series, words: Mapping[str, str]) -> list[str]:
    return ["" if value not in VERDICTS else words[f"verdict.{value}"] for value in values.astype(object)]


def _rows(drawn: pd.DataFrame, index: np.ndarray, words: Mapping[str, str], extra: tuple = ()) -> dict[str, list[list]]:
    """The rows the page draws, per standard (in STANDARDS order, then ``extra``'s), as ROW_FIELDS lists."""
    units = {**UNITS, **{s.key: (s.scale, f"measure.{s.key}") for s in extra}}
    settings = (drawn["settings_changed"].astype(str).str.lower().eq("yes").tolist()
                if "settings_changed" in drawn else [False] * len(drawn))
    columns = [index.tolist(), _plain(drawn["village_code"]), _plain(drawn["village_name"]),
               _plain(drawn["township_name"]), drawn["change"].tolist(),
               _verdict_words(drawn["old_verdict"], words), _verdict_words(drawn["new_verdict"], words),
               _value_texts(drawn["old_value"], drawn["standard"], words, units),
               _value_texts(drawn["new_value"], drawn["standard"], words, units),
               _plain(drawn["old_reason"]), _plain(drawn["new_reason"]), settings]
    rows: dict[str, list[list]] = {key: [] for key in (*STANDARDS, *(s.key for s in extra))}
    for standard, row in zip(drawn["standard"], zip(*columns)):
        rows[standard].append(list(row))
    return {key: found for key, found in rows.items() if found}


def standard_counts(changes: pd.DataFrame, extra: tuple = ()) -> dict[str, dict[str, int]]:
    """Per standard (those with a row), rows of each change key and rows without a location:
    {"road": {"closed": 1, ..., "undrawn": 1}, ...}."""
    drawn = _drawn_mask(changes)
    out = {}
    for key in (*STANDARDS, *(s.key for s in extra)):
        mine = (changes["standard"] == key).to_numpy()
        if mine.any():
            out[key] = {**change_counts(changes[mine]), "undrawn": int((mine & ~drawn).sum())}
    return out


def _legend(counts: Mapping[str, int], undrawn: int, shown: Mapping[str, int], shown_name: str,
            words: Mapping[str, str], title: str) -> Legend:
    """Each change with its swatch, its rows in the standard shown (updated by the page when
    another is chosen) and in all standards; then the rows without a location."""
    def row(attributes: str, swatch: str, label: str, here: int, total: int) -> str:
        return (f"<tr {attributes}><td>{swatch}{escape(label)}</td><td class=\"shown\">{here}</td>"
                f"<td class=\"count\">{total}</td></tr>")

    rows = "".join(row(f'data-change="{key}" data-count="{counts[key]}"',
                       f'<span class="swatch" style="background:{shown_colour(CHANGE_STYLES[key])};'
                       f'border-color:{CHANGE_STYLES[key]["color"]}"></span>',
                       words[f"change.{key}"], shown[key], counts[key]) for key in CHANGES)
    rows += row(f'data-undrawn="{undrawn}"', '<span class="swatch" style="background:#fff"></span>',
                words["changes.undrawn"], shown["undrawn"], undrawn)
    note = f'<p>{escape(words["changes.undrawn_note"])}</p>' if undrawn else ""
    heading = f"<h4>{escape(title)}</h4>" if title else ""
    table = (f'<table class="covermap-change-counts"><tr><th></th><th class="shown-name">{escape(shown_name)}</th>'
             f'<th>{escape(words["changes.all"])}</th></tr>{rows}</table>')
    return Legend(f"<style>{LEGEND_CSS}</style>\n<div class=\"covermap-legend\">{heading}"
                  f"<strong>{escape(words['changes.legend'])}</strong>{table}{note}</div>")


_CSS = """
.covermap-change { font: 12px/1.4 sans-serif; }
.covermap-change h4 { margin: 0 0 2px; font-size: 14px; }
.covermap-change .meta { margin: 0 0 4px; color: #555; }
.covermap-change .what { margin: 0 0 4px; font-weight: bold; }
.covermap-change table { border-collapse: collapse; }
.covermap-change th, .covermap-change td { border-bottom: 1px solid #ddd; padding: 2px 5px; text-align: left;
  vertical-align: top; }
.covermap-change td { max-width: 14em; }
.covermap-change .note { margin: 4px 0 0; color: #8a3b00; }
.covermap-change-counts { border-collapse: collapse; margin: 2px 0 0; }
.covermap-change-counts th { font-weight: normal; color: #555; text-align: right; padding: 0 0 0 10px; }
.covermap-change-counts td { padding: 1px 0; }
.covermap-change-counts td.shown, .covermap-change-counts td.count { text-align: right; padding-left: 10px;
  font-weight: bold; }
.covermap-change-counts td.count { color: #555; }
"""

_JS = """
function covermapChanges(map, shapes, config) {
  const t = config.texts, overlays = {};
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function popup(standard, row) {
    const box = el("div", null, "covermap-change"), dash = "\\u2014";
    box.appendChild(el("h4", row[2] || row[1]));
    box.appendChild(el("p", t["popup.code"] + " " + row[1] + (row[3] ? " \\u00b7 " + t["popup.township"] + " "
      + row[3] : ""), "meta"));
    const what = el("p", null, "what");
    what.appendChild(el("span", config.names[standard] + ": "));
    const word = el("span", t["change." + row[4]]);
    word.style.color = config.colours[row[4]];
    what.appendChild(word);
    box.appendChild(what);
    const table = el("table"), head = el("tr");
    [" ", t["changes.old"], t["changes.new"]].forEach(text => head.appendChild(el("th", text)));
    table.appendChild(head);
    [["popup.verdict", 5], ["popup.measured", 7], ["popup.reason", 9]].forEach(([key, at]) => {
      const tr = el("tr");
      tr.appendChild(el("th", t[key]));
      tr.appendChild(el("td", row[at] || dash, "old"));
      tr.appendChild(el("td", row[at + 1] || dash, "new"));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (row[11]) box.appendChild(el("p", t["changes.settings"], "note"));
    return box;
  }
  config.order.forEach(standard => {
    const features = config.rows[standard].map((row, at) => ({type: "Feature", id: row[1], geometry: shapes[row[0]],
      properties: {standard: standard, change: row[4], row: at}}));
    const layer = L.geoJSON({type: "FeatureCollection", features: features}, {
      style: feature => Object.assign({}, config.styles[feature.properties.change]),
      onEachFeature: (feature, path) => {
        const row = config.rows[standard][feature.properties.row];
        path.bindPopup(() => popup(standard, row), {maxWidth: 420});
        path.bindTooltip(el("span", (row[2] || row[1]) + " \\u00b7 " + config.names[standard] + ": "
          + t["change." + row[4]]), {sticky: true});
        path.on("mouseover", () => path.setStyle({weight: 3}));
        path.on("mouseout", () => path.setStyle({weight: config.styles[row[4]].weight}));
      }});
    overlays[config.names[standard]] = layer;
    layer.standard = standard;
  });
  // one standard at a time: a village with several changes would show its colours blended
  overlays[config.names[config.order[0]]].addTo(map);
  L.control.layers(overlays, null, {collapsed: false}).addTo(map);
  map.on("baselayerchange", event => {
    const counts = config.counts[event.layer.standard];
    document.querySelector(".covermap-change-counts .shown-name").textContent = event.name;
    document.querySelectorAll(".covermap-change-counts tr[data-change]").forEach(tr => {
      tr.querySelector(".shown").textContent = counts[tr.dataset.change];
    });
    document.querySelector(".covermap-change-counts tr[data-undrawn] .shown").textContent = counts.undrawn;
  });
}
"""


class ChangeLayers(MacroElement):
    """The page's call of ``covermapChanges`` with the polygons and the rows per standard."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        covermapChanges({{ this._parent.get_name() }}, {{ this.shapes }}, {{ this.config }});
        {% endmacro %}
    """)

    def __init__(self, shapes: list[str], config: Mapping):
        super().__init__()
        self._name = "ChangeLayers"
        # GEOS' GeoJSON holds numbers and type names only: nothing in it can close the script
        self.shapes = "[" + ",".join(shapes) + "]"
        self.config = script_json(config)


def change_map(changes: gpd.GeoDataFrame, lang: str = "zh", online: bool = False,
               title: str | None = None, extra: tuple = ()) -> folium.Map | None:
    """The map of ``changes`` (see the module), or None when no row has a geometry;
    ``extra``: the optional standards compared (maps.extra)."""
    words = texts(lang) if not extra else {**texts(lang), **words_of(extra),
                                           **{f"measure.{s.key}": s.measure for s in extra}}
    check_changes(changes, extra)
    drawn_mask = _drawn_mask(changes)
    if not drawn_mask.any():
        return None
    require_crs(changes, "changes table")
    drawn = changes[drawn_mask]
    shapes, index = _shapes(drawn)
    rows = _rows(drawn, index, words, extra)
    title = words["changes.title"] if title is None else title

    m = folium.Map(tiles=None)
    for layer in tile_layers(make_options(online=online, lang=lang)):
        layer.add_to(m)
    MetricScale().add_to(m)
    use_leaflet(m, online)
    m.get_root().header.add_child(InlineAssets(f"<style>{_CSS}</style>\n<script>{_JS}</script>"),
                                  name="covermap_changes")
    if title:
        m.get_root().title = escape(title)
    west, south, east, north = to_lonlat(gpd.GeoDataFrame(geometry=drawn.geometry, crs=drawn.crs),
                                         "changes").total_bounds
    m.fit_bounds([[float(south), float(west)], [float(north), float(east)]], padding=(20, 20), max_zoom=16)
    counts = standard_counts(changes, extra)
    config = {"order": list(rows), "rows": rows, "counts": counts,
              "names": {key: words[f"standard.{key}"] for key in (*STANDARDS, *(s.key for s in extra))},
              "styles": {key: dict(style) for key, style in CHANGE_STYLES.items()}, "colours": CHANGE_COLOURS,
              "texts": {key: value for key, value in words.items()
                        if key.startswith(("change.", "changes.", "popup."))}}
    ChangeLayers(shapes, config).add_to(m)
    first = next(iter(rows))
    legend = _legend(change_counts(changes), int((~drawn_mask).sum()), counts[first], words[f"standard.{first}"],
                     words, title)
    m.get_root().html.add_child(legend, name="legend")
    return m


def write_change_map(path: str | os.PathLike, changes: gpd.GeoDataFrame, lang: str = "zh", online: bool = False,
                     title: str | None = None, extra: tuple = ()) -> Path | None:
    """Write the map of ``changes`` (the changes table on the villages' polygons) to ``path``
    as one HTML file (Leaflet inlined unless ``online``) and return the path; when no row has
    a geometry, write nothing and return None. ``title`` defaults to the words
    "changes.title"; "" leaves the legend untitled. An existing file is replaced."""
    m = change_map(changes, lang=lang, online=online, title=title, extra=extra)
    if m is None:
        return None
    return save(m, path)
