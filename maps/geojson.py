"""From a GeoDataFrame in any CRS to the GeoJSON a Leaflet layer draws.

Every frame maps/ draws passes through ``to_lonlat``: the one place where data is reprojected
to EPSG:4326 (lon/lat, as GeoJSON wants) for a map.
"""

from __future__ import annotations

import html
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.chinacrs import wgs84_to_gcj02
from gis.crs import reproject
from gis.errors import CRSError, DataError
from gis.geometry import usable

# About 1 m on the ground: below the 10 m the village outlines are simplified by, and finer than
# a pixel up to zoom 17; more digits only make the file bigger.
DECIMALS = 5


def require_crs(frame: gpd.GeoDataFrame, where: str) -> gpd.GeoDataFrame:
    """``frame`` itself; DataError when it is no GeoDataFrame, CRSError when it has no CRS."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise DataError(f"{where}: expected a GeoDataFrame, got {type(frame).__name__}")
    if frame.crs is None:
        raise CRSError(f"{where}: has no CRS, so it cannot be placed on the map; "
                       "give it one with frame.set_crs(...) (for example \"EPSG:4490\") before mapping")
    return frame


def to_lonlat(frame: gpd.GeoDataFrame, where: str, gcj02: bool = False) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326; CRSError when it has no CRS to start from. With ``gcj02`` the
    coordinates are then shifted to GCJ-02, so they line up with a Gaode basemap."""
    frame = reproject(require_crs(frame, where), "EPSG:4326")
    if gcj02:
        frame = frame.copy()
        frame[frame.geometry.name] = gpd.GeoSeries(
            shapely.transform(np.asarray(frame.geometry.values, dtype=object), _shift),
            index=frame.index, crs="EPSG:4326")
    return frame


def _shift(coords: np.ndarray) -> np.ndarray:
    return np.column_stack(wgs84_to_gcj02(coords[:, 0], coords[:, 1]))


# A geometry in the feature collections the maps draw: the GeoJSON text GEOS wrote, under
# the key "\x00" (no column has that name), and "type", which folium reads; ``dumps``
# writes the text in its place. Decoding that text into Python lists only to encode them
# again took a quarter of a county map's time.
_TEXT = "\x00"
# one such geometry as json.dumps writes it (sorted keys or not: "\x00" sorts first, and
# is put first); no "{" followed by an unescaped quote can stand inside a JSON string
_WRITTEN = re.compile(r'\{\s*"\\u0000":\s*("(?:[^"\\]|\\.)*"),\s*"type":\s*"\w+"\s*\}')


def _geometry(text: str) -> dict:
    return {_TEXT: text, "type": text[9:text.index('"', 9)]}   # text starts {"type":"<type>"


def dumps(value, **kwargs) -> str:
    """``json.dumps``, each geometry of ``feature_collection`` written as GEOS wrote it."""
    return _WRITTEN.sub(lambda m: json.loads(m.group(1)), json.dumps(value, **kwargs))


def script_json(value) -> str:
    """JSON that can sit inside a <script> block: no character of it can close the block,
    and no text of it is read as a template (``no_template``)."""
    text = dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return no_template(text)


# "{" where Jinja would begin a tag: {{ }}, {% %} or {# #}
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def no_template(text: str) -> str:
    """JSON text with every "{" that would open a Jinja tag written as the escape \\u007b,
    which JavaScript reads back as "{". branca renders a map element's script and then
    compiles that output as a Jinja template again: a village named "{{ 7*7 }}" showed as
    "49", and a name with "{%" could stop the map. Outside strings JSON never has "{"
    before "{", "%" or "#", so only text inside strings changes."""
    return _JINJA_OPEN.sub(r"\\u007b", text)


def template_safe_dumps(value, **kwargs) -> str:
    """``dumps``, then ``no_template``: Jinja's ``tojson`` (folium's GeoJSON) while a map renders."""
    return no_template(dumps(value, **kwargs))


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> list[str]:
    """One problem sentence if ``columns`` are missing from ``frame``, else none."""
    missing = [column for column in columns if column not in frame.columns]
    if not missing:
        return []
    return [f"{where}: missing column(s) {', '.join(missing)}"]


def display_text(values: pd.Series) -> pd.Series:
    """Text shown in a tooltip: folium inserts it as HTML, so it is escaped here; missing stays None."""
    text = values.astype(object).where(values.notna(), None)
    return text.map(lambda value: None if value is None else html.escape(str(value)))


def feature_collection(frame: gpd.GeoDataFrame, properties: pd.DataFrame) -> dict:
    """A FeatureCollection of the rows of ``frame`` (EPSG:4326) that have a geometry.

    ``properties`` is aligned to ``frame``; its index becomes each feature's ``id``.
    Coordinates are rounded to ``DECIMALS`` places.

    Written with ``dumps`` (as the maps write it), the features are those of
    ``GeoDataFrame.to_json(na="null", drop_id=False)``, made without that round trip: the
    geometries as GEOS writes them, kept as text (``_geometry``: only their "type" is read
    here), the properties as Python values (missing ones None). County maps of a national
    run make thousands of these (3,000 villages: 0.85 -> 0.52 s; 20 county maps of the
    30k-village province, the geometries kept as text: 8.2 -> 6.0-6.2 s).
    """
    keep = usable(frame.geometry.values)
    geoms = shapely.transform(np.asarray(frame.geometry.values[keep], dtype=object),
                              lambda coords: np.round(coords, DECIMALS))
    shapes = [_geometry(text) for text in shapely.to_geojson(geoms).tolist()]
    table = properties.loc[keep]
    rows = (table.astype(object).where(table.notna(), None).to_dict("records") if len(table.columns)
            else [{} for _ in range(len(table))])
    return {"type": "FeatureCollection",
            "features": [{"id": str(key), "type": "Feature", "properties": row, "geometry": shape}
                         for key, row, shape in zip(table.index, rows, shapes)]}
