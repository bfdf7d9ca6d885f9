"""Basemap tile layers, each with its attribution. ``none`` adds nothing, so an offline map
makes no request. Tianditu uses its Web Mercator ("_w") WMTS sets with the key in ``tk``;
Gaode tiles are in GCJ-02, so the caller shifts the drawn data (MapOptions.gcj02)."""

from __future__ import annotations

from urllib.parse import quote

import folium

from maps.options import MapOptions

_TIANDITU = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
             "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
             "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")
_TIANDITU_ATTRIBUTION = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a> GS(2024)0568号'
_SETS = {"tianditu": ("vec", "cva"), "tianditu-img": ("img", "cia")}


def tile_layers(options: MapOptions) -> list[folium.TileLayer]:
    """The tile layers of ``options.basemap``, bottom first."""
    if options.basemap == "osm":
        return [folium.TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", name="OpenStreetMap",
                                 attr='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                                      "contributors", max_zoom=19, control=False)]
    if options.basemap == "gaode":
        return [folium.TileLayer("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
                                 "&x={x}&y={y}&z={z}", name="高德地图 Gaode", subdomains="1234", max_zoom=18,
                                 attr="&copy; 高德地图 AutoNavi (GCJ-02)", control=False)]
    if options.basemap in _SETS:
        key = quote(options.tianditu_key or "", safe="")
        return [folium.TileLayer(_TIANDITU.format(layer=layer, key=key), name=f"天地图 {layer}",
                                 subdomains="01234567", max_zoom=18, attr=_TIANDITU_ATTRIBUTION,
                                 overlay=index > 0, control=False)
                for index, layer in enumerate(_SETS[options.basemap])]
    return []
