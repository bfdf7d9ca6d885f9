"""The coverage map of one result table: check the inputs, build the layers, assemble the map."""

from __future__ import annotations

import os
from collections.abc import Mapping
from html import escape
from pathlib import Path

import folium
import geopandas as gpd
from branca.element import MacroElement, Template

from gis.errors import OutputError
from gis.geometry import usable
from maps.leaflet import use_leaflet
from maps.infrastructure import check_infrastructure, infrastructure_layers
from maps.legend import Legend
from maps.styles import STANDARDS
from maps.villages import (check_villages, class_counts, drawn_bounds, fails_counts, fails_layer,
                           overview_layer, village_geojson)


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (folium's ``control_scale`` adds feet and miles)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


def build_map(villages: gpd.GeoDataFrame, infrastructure: Mapping[str, gpd.GeoDataFrame] | None = None,
              *, title: str = "", online: bool = False) -> folium.Map:
    """A Folium map of a coverage result: villages coloured by failed standards, one hidden
    layer per standard with its failing villages, the infrastructure, a legend and a layer control.

    ``villages`` is the gap table (one row per village, any CRS); ``infrastructure`` maps
    "roads", "water", "clinics", "coverage" and "fibre" to frames in any CRS. Villages without
    a geometry are counted in the legend but not drawn. By default Leaflet is inlined and
    there is no basemap, so the page makes no network request; ``online=True`` loads Leaflet
    from its CDN and adds an OpenStreetMap basemap. Raises DataError (CRSError for a frame
    without CRS) listing the problems of the inputs.
    """
    villages = check_villages(villages)
    frames = check_infrastructure(infrastructure)

    data = village_geojson(villages)
    m = folium.Map(tiles="OpenStreetMap" if online else None)
    MetricScale().add_to(m)
    use_leaflet(m, online)
    if title:
        m.get_root().title = escape(title)
    overview_layer(data).add_to(m)
    for key in STANDARDS:
        fails_layer(data, key).add_to(m)
    for layer in infrastructure_layers(frames):
        layer.add_to(m)
    undrawn = int((~usable(villages.geometry.values)).sum())
    m.get_root().html.add_child(Legend(class_counts(villages), fails_counts(villages), undrawn, title),
                                name="legend")
    folium.LayerControl(collapsed=True).add_to(m)
    m.fit_bounds(drawn_bounds(villages), padding=(20, 20), max_zoom=16)
    return m


def write_map(villages: gpd.GeoDataFrame, infrastructure: Mapping[str, gpd.GeoDataFrame] | None,
              path: str | os.PathLike, *, title: str = "", online: bool = False) -> Path:
    """Write :func:`build_map`'s map to ``path`` as one HTML file (UTF-8); returns the path.

    An existing file is replaced: refusing to overwrite is the caller's decision.
    """
    path = Path(path)
    html = build_map(villages, infrastructure, title=title, online=online).get_root().render()
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the map ({exc.strerror or exc}); "
                          "check that the folder exists and is writable") from exc
    return path
