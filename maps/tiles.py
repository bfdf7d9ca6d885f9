"""Tiled vector rendering for maps too big for one SVG path per shape.

Up to ``TILED_ABOVE`` villages a map draws them as one GeoJSON layer (an SVG path each: crisp,
and every path is a DOM element tests and users can inspect). Beyond that, a browser spends
seconds building tens of thousands of paths and stutters on every pan, so the page instead
holds the shapes once, packed as integer coordinates, and draws them onto 256-pixel canvas
tiles at the zoom being viewed (maps/assets/covermap/tiles.js). The same switch applies to an
infrastructure input with more than ``TILED_ABOVE`` features (roads, water areas, clinics...).
Hover, click, search, the side panel and the layer switcher work the same in both modes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from maps.geojson import DECIMALS, script_json

TILED_ABOVE = 10_000  # shapes in one layer; beyond it the layer is drawn on canvas tiles
_SCALE = 10 ** DECIMALS
# shapely.get_type_id -> what tiles.js draws
_KINDS = {3: "polygon", 6: "polygon", 1: "line", 5: "line", 0: "point", 4: "point"}
_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
          6: "MultiPolygon", 7: "GeometryCollection"}


def use_tiles(count: int, tiled: bool | None) -> bool:
    """Whether a layer of ``count`` shapes is drawn on tiles: ``tiled`` when given, else by size."""
    return count > TILED_ABOVE if tiled is None else bool(tiled)


def packed(geometries: np.ndarray) -> dict:
    """The shapes' coordinates as tiles.js reads them: ``kind``; ``parts`` (rings, lines or
    points of each shape); ``sizes`` (vertices of each); ``xy`` (lon/lat times 10**DECIMALS,
    rounded; each part's first vertex absolute, then differences, so most numbers are short).
    Polygon rings leave out their closing vertex. ``geometries`` are non-empty and of one kind."""
    geometries = np.asarray(geometries, dtype=object)
    ids = np.unique(shapely.get_type_id(geometries))
    kinds = {_KINDS.get(int(type_id)) for type_id in ids}
    if len(kinds) != 1 or None in kinds:
        names = ", ".join(sorted(_NAMES.get(int(type_id), "other") for type_id in ids))
        raise ValueError(f"one tiled layer takes one kind of geometry (polygons, lines or points), not {names}")
    kind = kinds.pop()
    parts, owner = shapely.get_parts(geometries, return_index=True)
    if kind == "polygon":
        parts, ring_owner = shapely.get_rings(parts, return_index=True)
        owner = owner[ring_owner]
    coords, vertex_owner = shapely.get_coordinates(parts, return_index=True)
    sizes = np.bincount(vertex_owner, minlength=len(parts))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    if kind == "polygon":  # drop each ring's closing vertex (canvas closes the path)
        keep = np.ones(len(coords), dtype=bool)
        keep[starts + sizes - 1] = False
        coords, sizes = coords[keep], sizes - 1
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    q = np.round(coords * _SCALE).astype(np.int64)
    delta = q.copy()
    delta[1:] -= q[:-1]
    delta[starts] = q[starts]
    return {"kind": kind, "parts": np.bincount(owner, minlength=len(geometries)).tolist(),
            "sizes": sizes.tolist(), "xy": delta.ravel().tolist()}


def store_json(geometries: np.ndarray, properties: Sequence[Mapping], labels: list | None = None) -> str:
    """The JSON of a shape store (see ``packed``; ``props`` one object a shape, ``labels`` a
    [lon, lat] inside each shape or None), safe inside a <script> block. Made once, it can
    back stores on several maps."""
    data = packed(geometries)
    data["props"] = list(properties)
    data["labels"] = labels
    return script_json(data)


class ShapeStore(MacroElement):
    """One page variable holding packed shapes and their properties (``store_json``), shared by
    the TiledLayers drawing them; added to the map by the first of them."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = covermapStore({{ this.data }});
        {% endmacro %}
    """)

    def __init__(self, data: str):
        super().__init__()
        self._name = "ShapeStore"
        self.data = data


class TiledLayer(folium.map.Layer):
    """A layer (in the layer switcher like any other) drawing a ShapeStore's shapes on canvas tiles.

    ``styles`` are Leaflet path options; ``classes`` gives each shape's style index (all use
    style 0 without it); ``codes`` limits the layer to those villages (filled in by the page
    script from the store, like the SVG fails layers); ``fields`` ([label, key] pairs) make
    the hover text of an input layer.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = covermapTiles({{ this.store.get_name() }}, {{ this.options }});
        {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
        {% endmacro %}
    """)

    def __init__(self, store: ShapeStore, name: str, styles: Sequence[Mapping], classes: Sequence[int] | None = None,
                 codes: Sequence[str] | None = None, fields: Sequence[tuple[str, str]] | None = None,
                 show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "TiledLayer"
        self.store = store
        self.codes = None if codes is None else list(codes)
        self.options = script_json({"styles": [dict(style) for style in styles],
                                    "classes": None if classes is None else list(classes),
                                    "fields": [list(field) for field in fields or ()]})

    def add_to(self, parent, name=None, index=None):
        if self.store._parent is None:  # the store's script comes before the first layer using it
            self.store.add_to(parent)
        return super().add_to(parent, name=name, index=index)


def style_classes(keys: pd.Series, styles: Mapping[str, Mapping]) -> tuple[list[Mapping], list[int]]:
    """The styles in order and the index of each row's style, for TiledLayer."""
    order = list(styles)
    position = {key: i for i, key in enumerate(order)}
    return [styles[key] for key in order], [position[key] for key in keys]


def one_kind(geometries: np.ndarray) -> bool:
    """Whether the (non-empty) geometries are all polygons, all lines or all points: one tiled layer."""
    kinds = {_KINDS.get(int(type_id)) for type_id in np.unique(shapely.get_type_id(geometries))}
    return len(kinds) == 1 and None not in kinds
