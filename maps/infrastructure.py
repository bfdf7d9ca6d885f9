"""Infrastructure layers: roads, water service areas, clinics, network coverage, fibre.

Each input is optional; a missing or empty one gives no layer. All start hidden so the
overview stays readable; a reviewer switches on what a gap is about. Each layer names the
symbols it draws (``symbols``: keys of maps.styles.INFRASTRUCTURE_STYLES), which the legend
explains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import folium
import geopandas as gpd
import pandas as pd

from gis.errors import DataError
from gis.geometry import usable
from maps.extra import symbols_of
from maps.geojson import display_text, feature_collection, require_columns, to_lonlat
from maps.standards import FIRST, LAYERS
from maps.styles import INFRASTRUCTURE_STYLES
from maps.tiles import ShapeStore, TiledLayer, one_kind, store_json, style_classes, use_tiles

# key -> the columns the layer shows or styles by, as each standard declares its inputs (maps/standards.py)
COLUMNS = {key: tuple(layer["columns"]) for key, layer in LAYERS.items()}
# The inputs each bureau owns, drawn (and shown at first) on its map.
BUREAU_INPUTS = {bureau: tuple(layer["key"] for standard in FIRST if standard["bureau"] == bureau
                               for layer in standard["layers"])
                 for bureau in dict.fromkeys(standard["bureau"] for standard in FIRST)}


def check_infrastructure(infrastructure: Mapping[str, gpd.GeoDataFrame] | None,
                         gcj02: bool = False, extra: tuple = ()) -> dict[str, gpd.GeoDataFrame]:
    """The non-empty inputs in EPSG:4326 (GCJ-02 if asked), or one DataError listing every
    problem; ``extra``: the optional standards (maps.extra), whose symbols' inputs are known too."""
    infrastructure = dict(infrastructure or {})
    columns = {**COLUMNS, **{key: tuple(c for c, _ in symbol.tooltip) for key, symbol in symbols_of(extra).items()}}
    problems = [f"infrastructure: unknown key {key!r}; use {', '.join(columns)}"
                for key in infrastructure if key not in columns]
    frames = {}
    for key, frame in infrastructure.items():
        if key not in columns or frame is None or len(frame) == 0:
            continue
        frames[key] = to_lonlat(frame, f"infrastructure[{key!r}]", gcj02)
        problems += require_columns(frames[key], columns[key], f"infrastructure[{key!r}]")
    if problems:
        raise DataError("; ".join(problems))
    return frames


def _flag(values: pd.Series, words: Mapping[str, str]) -> pd.Series:
    """True/False/missing as the words a reviewer reads."""
    return values.map({True: words["yes"], False: words["no"]}).astype(object).where(values.notna(), words["unknown"])


def _fixed(style: Mapping) -> Callable[[dict], dict]:
    return lambda feature: dict(style)


def _layer(frame: gpd.GeoDataFrame, columns: tuple[str, ...], name: str, words: Mapping[str, str], show: bool,
           style_function: Callable[[dict], dict], marker: bool = False, tiled: bool | None = None,
           styles: Mapping[str, Mapping] | None = None, style_keys: pd.Series | None = None,
           symbols: tuple[str, ...] = ()) -> folium.GeoJson | TiledLayer | None:
    """The layer of ``frame``'s drawable rows: GeoJSON (SVG paths), or canvas tiles when
    ``use_tiles`` says so and the rows are of one kind (``styles``/``style_keys`` then give
    each row's style, as ``style_function`` does for GeoJSON). ``symbols`` are the style keys
    it may draw; the layer's ``symbols`` those its drawable rows do draw."""
    frame = frame.reset_index(drop=True)
    keep = usable(frame.geometry.values)
    if not keep.any():
        return None
    fields = [(words[f"field.{column}"], column) for column in columns]
    if use_tiles(int(keep.sum()), tiled) and one_kind(frame.geometry.values[keep]):
        rows = frame[keep]
        props = [{column: _text(value) for column, value in zip(columns, values)}
                 for values in rows[list(columns)].itertuples(index=False, name=None)]
        if styles is None:
            chosen, classes = [style_function({})], None
        else:
            chosen, classes = style_classes(style_keys[keep].reset_index(drop=True), styles)
        layer = TiledLayer(ShapeStore(store_json(rows.geometry.values, props)), name, chosen, classes,
                           fields=fields, show=show)
    else:
        props = pd.DataFrame({column: display_text(frame[column]) for column in columns})
        layer = folium.GeoJson(feature_collection(frame, props), name=name, show=show, style_function=style_function,
                               marker=folium.CircleMarker() if marker else None,
                               tooltip=folium.GeoJsonTooltip(fields=list(columns),
                                                             aliases=[label for label, _ in fields]))
    used = set(style_keys[keep]) if style_keys is not None else set(symbols)
    layer.symbols = tuple(key for key in symbols if key in used)
    return layer


def _text(value) -> str | None:
    """A hover text for a tiled layer: plain (the page inserts it with textContent), None if missing."""
    return None if pd.isna(value) else str(value)


def infrastructure_layers(frames: Mapping[str, gpd.GeoDataFrame], words: Mapping[str, str],
                          keys: tuple[str, ...] | None = None, show: bool = False,
                          tiled: bool | None = None, extra: tuple = ()) -> list[folium.GeoJson | TiledLayer]:
    """The layers of the checked inputs (only ``keys`` when given), in legend order; hidden at
    first unless ``show``; an input without drawable rows gives none. ``tiled`` as in
    maps.tiles.use_tiles, for each layer by its own size. The optional standards' symbols
    (``extra``, maps.extra) come after the five standards' inputs."""
    wanted = [key for key in COLUMNS if key in frames and (keys is None or key in keys)]
    layers = []
    for key in wanted:
        layers += _drawn(frames[key], LAYERS[key], words, show, tiled)
    for key, symbol in symbols_of(extra).items():
        if key in frames and (keys is None or key in keys):
            layers.append(_layer(frames[key], tuple(c for c, _ in symbol.tooltip), words[f"layer.{key}"], words, show,
                                 _fixed(symbol.style), marker=symbol.shape == "point", tiled=tiled, symbols=(key,)))
    return [layer for layer in layers if layer is not None]


def layer_symbols(layers) -> list[str]:
    """The symbols (INFRASTRUCTURE_STYLES keys) ``layers`` draw, in order, each once: the legend's."""
    return list(dict.fromkeys(key for layer in layers for key in getattr(layer, "symbols", ())))


def _drawn(frame: gpd.GeoDataFrame, layer: Mapping, words: Mapping[str, str], show: bool,
           tiled: bool | None = None) -> list[folium.GeoJson | TiledLayer | None]:
    """The map layers of one standard's input (maps/standards.py): one of its only mark; one
    per mark when its marks are drawn ``apart`` (hardened roads, roads not hardened, roads
    whose surface is not recorded), each of the rows whose ``by`` is the mark's ``when``; else
    one whose rows take the first mark where ``by`` is yes, the second elsewhere (clinics
    that qualify and the others)."""
    marks, tooltip = layer["marks"], tuple(layer["tooltip"])
    marker = marks[0]["shape"] == "point"
    if layer["by"] is None:
        mark = marks[0]["key"]
        return [_layer(frame, tooltip, words[f"layer.{layer['key']}"], words, show,
                       _fixed(INFRASTRUCTURE_STYLES[mark]), marker=marker, tiled=tiled, symbols=(mark,))]
    if layer["apart"]:
        known = frame[layer["by"]].notna().to_numpy(dtype=bool)
        yes = frame[layer["by"]].eq(True).fillna(False).astype(bool).to_numpy()
        rows = {True: yes, False: known & ~yes, None: ~known}
        return [_layer(frame[rows[mark["when"]]], tooltip, words[f"layer.{mark['key']}"], words, show,
                       _fixed(INFRASTRUCTURE_STYLES[mark["key"]]), marker=marker, tiled=tiled,
                       symbols=(mark["key"],))
                for mark in marks]
    return [_classed(frame, layer, words, show, marker, tiled)]


def _classed(frame: gpd.GeoDataFrame, layer: Mapping, words: Mapping[str, str], show: bool, marker: bool,
             tiled: bool | None = None) -> folium.GeoJson | TiledLayer | None:
    """One layer whose rows take the first of ``layer``'s two marks where its ``by`` column
    is yes, the second elsewhere; the ``flags`` columns shown as words."""
    (first, style), (second, other) = ((mark["key"], INFRASTRUCTURE_STYLES[mark["key"]]) for mark in layer["marks"])
    by, yes = layer["by"], words["yes"]
    flags = {column: _flag(frame[column], words).reset_index(drop=True) for column in layer["flags"]}
    return _layer(frame.assign(**{column: flag.to_numpy() for column, flag in flags.items()}),
                  tuple(layer["tooltip"]), words[f"layer.{layer['key']}"], words, show, marker=marker,
                  style_function=lambda feature: dict(style if feature["properties"][by] == yes else other),
                  tiled=tiled, styles={first: style, second: other},
                  style_keys=flags[by].eq(yes).map({True: first, False: second}), symbols=(first, second))
