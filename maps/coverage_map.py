"""Coverage maps of one result table: check and prepare the inputs once, then assemble the
overview, a bureau's map or a township's map from them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from html import escape
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement, Template

from gis.errors import OutputError
from gis.geometry import usable
from maps.aggregates import Areas, area_geojson, area_panel, share_counts
from maps.app import add_app
from maps.basemaps import tile_layers
from maps.bureau import panel
from maps.geojson import template_safe_dumps
from maps.i18n import texts
from maps.infrastructure import BUREAU_INPUTS, check_infrastructure, infrastructure_layers, layer_symbols
from maps.leaflet import use_leaflet
from maps.legend import area_legend, bureau_legend, overview_legend
from maps.options import MapOptions, make_options
from maps.popup import limit_texts
from maps.extra import bureaus_of, standards_of, symbols_of, words_of
from maps.styles import AREA_STYLES
from maps.townships import township_outlines
from maps.tiles import ShapeStore, use_tiles
from maps.villages import (bureau_layer, check_villages, class_counts, drawn_bounds, fails_counts, fails_layer,
                           overview_layer, tiled_bureau_layer, tiled_fails_layer, tiled_overview_layer,
                           verdict_counts, village_geojson, village_labels, village_store)


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (folium's ``control_scale`` adds feet and miles)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


@dataclass(frozen=True)
class Prepared:
    """Everything the maps of one result share, checked, simplified and in lon/lat."""

    villages: gpd.GeoDataFrame
    frames: Mapping[str, gpd.GeoDataFrame]
    data: dict | None  # the villages' GeoJSON; None when they are drawn on tiles
    townships: dict
    options: MapOptions
    store: str | None = None  # the villages' shape store (maps/tiles.py) when drawn on tiles
    props: pd.DataFrame | None = None  # the properties of the store's villages, in its order
    # made on first use: positions of each township's / county's villages, its outlines
    _groups: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def tiled(self) -> bool:
        return self.store is not None

    def rows_of(self, kind: str, code: str) -> np.ndarray:
        """Positions, in table order, of the villages of township ``code`` (``kind``
        "township": their ``township_code``) or county ``code`` (``kind`` "county": the first
        six digits of their ``village_code``). The villages are grouped once, on first use,
        so that a national run's 2,850 county maps do not each scan every village."""
        if kind not in self._groups:
            keys = (self.villages["township_code"].astype(str) if kind == "township"
                    else self.villages["village_code"].astype(str).str[:6])
            self._groups[kind] = keys.groupby(keys.to_numpy(), sort=False).indices
        return self._groups[kind].get(code, np.zeros(0, dtype=np.intp))

    def outlines_of(self, kind: str, code: str) -> list[dict]:
        """The outlines of township ``code`` or of the townships of county ``code`` (the
        first six digits of their codes), in order; grouped once, on first use."""
        key = f"outlines.{kind}"
        if key not in self._groups:
            found: dict[str, list[dict]] = {}
            for feature in self.townships["features"]:
                town = feature["properties"]["code"]
                found.setdefault(town if kind == "township" else town[:6], []).append(feature)
            self._groups[key] = found
        return list(self._groups[key].get(code, []))

    def index(self, kind: str) -> None:
        """Group the villages and outlines by ``kind`` and build the inputs' spatial indexes
        now, once, before the maps of many townships or counties are shared out between
        processes, each of which would otherwise build them again."""
        self.rows_of(kind, "")
        self.outlines_of(kind, "")
        for frame in self.frames.values():
            frame.sindex  # built on first use and kept by the frame

    @property
    def words(self) -> Mapping[str, str]:
        return _words(self.options)

    @property
    def standards(self) -> Mapping[str, str]:
        """Standard key -> bureau: the five, then the optional ones the run checked (maps.extra)."""
        return standards_of(self.options.extra)

    @property
    def bureaus(self) -> Mapping[str, tuple[str, ...]]:
        return bureaus_of(self.options.extra)

    def inputs_of(self, bureau: str) -> tuple[str, ...]:
        """The inputs a bureau's map draws: its own of the five standards', its optional standards' symbols."""
        return (*BUREAU_INPUTS.get(bureau, ()), *(symbol.key for s in self.options.extra if s.bureau == bureau
                                                   for symbol in s.symbols))


def _words(options: MapOptions) -> Mapping[str, str]:
    """The words of the map's language, with the optional standards' (maps.extra)."""
    if not options.extra:
        return texts(options.lang)
    return MappingProxyType({**texts(options.lang), **words_of(options.extra)})


def prepare(villages: gpd.GeoDataFrame, infrastructure: Mapping[str, gpd.GeoDataFrame] | None,
            options: MapOptions, whole: bool = True) -> Prepared:
    """Check the inputs (DataError/CRSError listing their problems) and convert them once.
    With ``whole=False`` no map draws all the villages at once (a run over several counties:
    aggregate overview and bureau maps, one map per county), so their GeoJSON or tiles of
    the whole are not made."""
    villages = check_villages(villages, options.gcj02)
    frames = check_infrastructure(infrastructure, options.gcj02, options.extra)
    words, outlines = _words(options), township_outlines(villages)
    if not whole:
        return Prepared(villages, frames, None, outlines, options)
    if _on_tiles(villages, options.tiled):
        store, props = village_store(villages, words, options.extra)
        return Prepared(villages, frames, None, outlines, options, store, props)
    return Prepared(villages, frames, village_geojson(villages, words, options.extra), outlines, options)


def _on_tiles(villages: gpd.GeoDataFrame, tiled: bool | None) -> bool:
    """Whether ``villages`` (checked: polygons or none) are drawn on canvas tiles: ``tiled``
    when given, else when more than maps.tiles.TILED_ABOVE have a boundary."""
    return use_tiles(int(usable(villages.geometry.values).sum()), tiled)


def _base(prep: Prepared, villages: gpd.GeoDataFrame, title: str) -> folium.Map:
    m = folium.Map(tiles=None)
    for layer in tile_layers(prep.options):
        layer.add_to(m)
    MetricScale().add_to(m)
    use_leaflet(m, prep.options.online)
    if title:
        m.get_root().title = escape(title)
    m.fit_bounds(drawn_bounds(villages), padding=(20, 20), max_zoom=16)
    return m


def _undrawn(villages: gpd.GeoDataFrame) -> int:
    return int((~usable(villages.geometry.values)).sum())


def _finish(m: folium.Map, prep: Prepared, village_layers: list, legend, townships: dict, side=None,
            minimap: dict | None = None, areas: dict | None = None, labels: list | None = None) -> folium.Map:
    m.get_root().html.add_child(legend, name="legend")
    control = folium.LayerControl(collapsed=True).add_to(m)
    add_app(m, village_layers, control, prep.words, limit_texts(prep.options.limits, prep.words, prep.options.extra),
            townships, prep.townships if minimap is None else minimap, side, areas, labels, prep.options.extra)
    return m


def _symbols(inputs: list, townships: dict, extra: tuple = ()) -> list:
    """The legend's symbols: the inputs' (maps.infrastructure.layer_symbols; an optional
    standard's as its key, style and shape), then the township line when outlines are drawn."""
    own = symbols_of(extra)
    found = [(key, own[key].style, own[key].shape) if key in own else key for key in layer_symbols(inputs)]
    return found + (["townships"] if townships["features"] else [])


def _note(prep: Prepared) -> str:
    return prep.words["note.gaode"] if prep.options.gcj02 else ""


def _within_box(frame: gpd.GeoDataFrame, box: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """The rows of ``frame`` whose geometry intersects ``box``, in order: what
    ``frame.cx[...]`` gives, found through the frame's spatial index (built once per frame)
    instead of testing every row, which a national run's county maps would do 2,850 times."""
    return frame.iloc[np.sort(frame.sindex.query(shapely.box(*box), predicate="intersects"))]


def overview_map(prep: Prepared, title: str = "", index_href: str | None = None,
                 township: str | None = None, county: str | None = None) -> folium.Map:
    """Villages coloured by failed standards, a hidden layer per standard with its failing
    villages, every infrastructure input (hidden), township outlines and names, legend.
    With ``township`` (a township_code) only that township's villages and nearby inputs;
    with ``county`` (the first six digits of village codes) only that county's, and a township's
    villages named where the name fits. The whole overview of more than maps.tiles.TILED_ABOVE
    villages leaves the inputs to the bureau maps."""
    villages, data, frames, townships = prep.villages, prep.data, prep.frames, prep.townships
    words, tiled = prep.words, prep.tiled
    minimap, whole = None, township is None and county is None
    if not whole:
        kind, code = ("township", township) if township is not None else ("county", county)
        villages = villages.iloc[prep.rows_of(kind, code)]
        # a township or a county is small: its own villages as GeoJSON, unless tiles were asked for
        tiled = _on_tiles(villages, prep.options.tiled)
        if tiled:
            store, props = village_store(villages, words, prep.options.extra)
        else:
            data = village_geojson(villages, words, prep.options.extra)
        townships = {"type": "FeatureCollection",
                     "features": prep.outlines_of(kind, code)}
        if county is not None:
            minimap = townships  # the county's own townships: sent once
        west, south, east, north = villages.total_bounds
        pad = 0.02  # degrees, about 2 km: inputs just outside the township still show
        frames = {key: _within_box(frame, (west - pad, south - pad, east + pad, north + pad))
                  for key, frame in frames.items()}
    elif tiled:
        store, props = prep.store, prep.props
    m = _base(prep, villages, title)
    if tiled:
        shapes = ShapeStore(store)
        layers = [tiled_overview_layer(shapes, props, words)] + [
            tiled_fails_layer(shapes, props, key, words) for key in prep.standards]
    else:
        layers = [overview_layer(data, words)] + [fails_layer(data, key, words) for key in prep.standards]
    if whole and _on_tiles(villages, None):
        frames = {}  # a province's inputs would double the page: the bureau maps show them
    inputs = infrastructure_layers(frames, words, tiled=prep.options.tiled, extra=prep.options.extra)
    for layer in layers + inputs:
        layer.add_to(m)
    legend = overview_legend(class_counts(villages), fails_counts(villages, tuple(prep.standards)), _undrawn(villages),
                             words, title, _note(prep), index_href, _symbols(inputs, townships, prep.options.extra))
    labels = village_labels(villages) if township is not None else None
    return _finish(m, prep, layers, legend, townships, minimap=minimap, labels=labels)


def bureau_map(prep: Prepared, bureau: str, title: str = "", gaps: pd.DataFrame | None = None,
               index_href: str | None = None) -> folium.Map:
    """One bureau's standard(s): villages coloured by its verdict, its failing villages outlined,
    the inputs it owns shown, and its failing villages listed beside the map."""
    keys, words, villages = prep.bureaus[bureau], prep.words, prep.villages
    m = _base(prep, villages, title)
    if prep.tiled:
        shapes = ShapeStore(prep.store)
        layers = [tiled_bureau_layer(shapes, prep.props, keys, words)] + [
            tiled_fails_layer(shapes, prep.props, key, words, show=True) for key in keys]
        drawn = set(prep.props.index)
    else:
        layers = [bureau_layer(prep.data, keys, words)] + [fails_layer(prep.data, key, words, show=True)
                                                           for key in keys]
        drawn = {feature["id"] for feature in prep.data["features"]}
    inputs = infrastructure_layers(prep.frames, words, prep.inputs_of(bureau), show=True, tiled=prep.options.tiled,
                                   extra=prep.options.extra)
    for layer in layers + inputs:
        layer.add_to(m)
    legend = bureau_legend(keys, verdict_counts(villages, keys), fails_counts(villages, keys), _undrawn(villages),
                           words, title, _note(prep), index_href, _symbols(inputs, prep.townships, prep.options.extra))
    return _finish(m, prep, layers, legend, prep.townships, panel(villages, bureau, drawn, words, gaps, keys))


_NO_OUTLINES = {"type": "FeatureCollection", "features": []}  # aggregate maps: the areas are the outlines


def _unit(areas: Areas, words) -> str:
    return words["area.townships" if areas.unit == "township" else "area.counties"]


def _area_map(prep: Prepared, areas: Areas, title: str, index_href: str | None, keys: tuple[str, ...],
              counted: str, layer_name: str, heading: str, counted_label: str, inputs: list, panel=None,
              hidden: bool = False) -> folium.Map:
    words, villages, unit = prep.words, prep.villages, _unit(areas, prep.words)
    m = _base(prep, villages, title)
    layer = folium.GeoJson(area_geojson(areas, keys, counted), name=layer_name,
                           style_function=lambda feature: dict(AREA_STYLES[feature["properties"]["share_class"]]),
                           highlight_function=lambda feature: {"weight": 3})
    for item in [layer] + inputs:
        item.add_to(m)
    fails = fails_counts(villages, keys)
    totals = words["legend.totals"].format(n=len(villages), gaps=int((villages["gap_count"] > 0).sum()))
    legend = area_legend(heading, share_counts(areas, counted), totals, {key: fails[key] for key in keys},
                         areas.undrawn, words, title, _note(prep), index_href, unit,
                         _symbols(inputs, _NO_OUTLINES, prep.options.extra), hidden)
    config = {"unit": areas.unit, "keys": list(keys), "counted": counted_label,
              "search": words["search.areas"].format(unit=unit.lower())}
    return _finish(m, prep, [layer], legend, _NO_OUTLINES, panel, minimap=_NO_OUTLINES, areas=config)


def area_overview_map(prep: Prepared, areas: Areas, title: str = "", index_href: str | None = None) -> folium.Map:
    """The overview of a run over several counties: its townships or counties (maps/aggregates.py)
    coloured by the share of their villages failing at least one standard, the legend, and the
    inputs as in ``overview_map``'s (hidden; left to the bureau maps above TILED_ABOVE villages)."""
    words, unit = prep.words, _unit(areas, prep.words)
    frames = {} if _on_tiles(prep.villages, None) else prep.frames
    return _area_map(prep, areas, title, index_href, tuple(areas.standards), "gaps",
                     words["layer.areas"].format(unit=unit), words["legend.share"].format(unit=unit),
                     words["area.gaps"], infrastructure_layers(frames, words, tiled=prep.options.tiled,
                                                               extra=prep.options.extra), hidden=True)


def area_bureau_map(prep: Prepared, areas: Areas, bureau: str, title: str = "",
                    index_href: str | None = None) -> folium.Map:
    """A bureau's map of a run over several counties: the areas coloured by the share of their
    villages failing at least one of the bureau's standards, its inputs shown, and the areas
    with failing villages listed beside the map, most first."""
    keys, words, unit = areas.keys_of(bureau), prep.words, _unit(areas, prep.words)
    standards = words["list.sep"].join(words[f"standard.{key}"] for key in keys)
    inputs = infrastructure_layers(prep.frames, words, prep.inputs_of(bureau), show=True, tiled=prep.options.tiled,
                                   extra=prep.options.extra)
    return _area_map(prep, areas, title, index_href, keys, f"bureau_{bureau}",
                     words["layer.areas_bureau"].format(unit=unit, standard=standards),
                     words["legend.share_bureau"].format(unit=unit, standard=standards),
                     words["area.failing"].format(standard=standards), inputs, area_panel(areas, bureau, words))


def build_map(villages: gpd.GeoDataFrame, infrastructure: Mapping[str, gpd.GeoDataFrame] | None = None,
              *, title: str = "", online: bool = False, lang: str = "zh", basemap: str | None = None,
              tianditu_key: str | None = None, limits: Mapping[str, float] | None = None,
              bureau: str | None = None, gaps: pd.DataFrame | None = None,
              tiled: bool | None = None) -> folium.Map:
    """A Folium map of a coverage result: the overview, or ``bureau``'s map ("transport",
    "water", "health", "telecom").

    ``villages`` is the gap table (one row per village, any CRS); ``infrastructure`` maps
    "roads", "water", "clinics", "coverage" and "fibre" to frames in any CRS. Villages without
    a geometry are counted in the legend but not drawn. By default Leaflet is inlined and there
    is no basemap, so the page makes no network request; ``online=True`` loads Leaflet from its
    CDN and defaults to the OpenStreetMap basemap. ``limits`` (see maps.options.LIMIT_KEYS) are
    quoted in the popups. ``tiled`` draws the villages and inputs on canvas tiles (True) or as
    SVG paths (False); by default each layer is tiled above maps.tiles.TILED_ABOVE shapes.
    Raises DataError (CRSError for a frame without CRS) listing the
    problems of the inputs, ConfigError for unknown options.
    """
    options = make_options(online, lang, basemap, tianditu_key, limits, tiled)
    prep = prepare(villages, infrastructure, options)
    if bureau is None:
        return overview_map(prep, title)
    return bureau_map(prep, bureau, title, gaps)


@contextmanager
def _compact_json(m: folium.Map):
    """While rendering, Jinja's ``tojson`` (which folium uses for the GeoJSON) writes no
    spaces and keeps non-ASCII text as it is: about a tenth smaller for the villages. It
    still escapes < > & ' so no text can close the script block, and no text of the data
    can be read as a template when branca compiles the rendered script again
    (``geojson.no_template``)."""
    policies = m._template.environment.policies
    before = policies["json.dumps_kwargs"], policies["json.dumps_function"]
    policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}
    policies["json.dumps_function"] = template_safe_dumps
    try:
        yield
    finally:
        policies["json.dumps_kwargs"], policies["json.dumps_function"] = before


class _Verbatim(Element):
    """Rendered text, rendered again as it is."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


def _render_macro(self: MacroElement, **kwargs) -> None:
    """branca's ``MacroElement.render`` (0.8), but for the wrapper of what each macro
    rendered: branca wraps it in an ``Element``, which compiles the text (a county map's
    village GeoJSON, megabytes of it) as a Jinja template, only to render it back
    unchanged (our JSON never opens a tag: ``geojson.no_template``). Here it is kept
    verbatim: 30 county maps of the 30k-village province, two runs each way, 19.6-20.7 ->
    12.9-13.1 s, the same pages."""
    figure = self.get_root()
    macros = self._template.module.__dict__
    for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
        macro = macros.get(part)
        if macro is not None:
            target.add_child(_Verbatim(macro(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


@contextmanager
def _verbatim_macros():
    """While a map renders, its elements' macros are rendered by ``_render_macro``."""
    before = MacroElement.render
    MacroElement.render = _render_macro
    try:
        yield
    finally:
        MacroElement.render = before


def render(m: folium.Map) -> str:
    """The map's whole HTML page."""
    with _compact_json(m), _verbatim_macros():
        return m.get_root().render()


def save(m: folium.Map, path: str | os.PathLike) -> Path:
    """Write a map as one HTML file (UTF-8), replacing an existing file."""
    path = Path(path)
    try:
        path.write_text(render(m), encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the map ({exc.strerror or exc}); "
                          "check that the folder exists and is writable") from exc
    return path


def write_map(villages: gpd.GeoDataFrame, infrastructure: Mapping[str, gpd.GeoDataFrame] | None,
              path: str | os.PathLike, **kwargs) -> Path:
    """Write :func:`build_map`'s map (same keyword arguments) to ``path``; returns the path.

    An existing file is replaced: refusing to overwrite is the caller's decision.
    """
    return save(build_map(villages, infrastructure, **kwargs), path)
